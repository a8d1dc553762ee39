"""Takes as intents: "take #3 of this request" is bought once, however often it is asked for.

Why: a button that buys ("new take", the Studio's *Generate*) can be pressed twice for one
intent — a double-click, a Ctrl+Enter pressed again while the first is on its way, a press that
reached the kernel after the card already offered the next take. A timer cannot tell those from
a second deliberate press; the number of the take the person saw can. So a take is submitted
with the session's ordinary re-run matching (``new=False``) under an identity that is the
request's own fingerprint *plus the take number* (and a scope, such as one Studio): asking for
take #3 again re-attaches to the take #3 already bought — in this kernel through the session's
handles, after a restart through the ledger — while take #4 is a new purchase.

Take #1 with no scope is the request's plain fingerprint, i.e. exactly what re-running the cell
re-attaches to, so the original take and its re-runs stay one purchase.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

from flow_widgets.runtime.work import KIND_REQUESTS

__all__ = ["kind_of", "start_take", "take_fingerprint", "take_identity"]


def take_fingerprint(request: Any, take: int, scope: str = "") -> str:
    """The identity of take number ``take`` of ``request`` (within ``scope``).

    >>> from flow_widgets.api.requests import VideoRequest
    >>> fox = VideoRequest("a fox", model="veo-3.1-lite")
    >>> take_fingerprint(fox, 1) == fox.fingerprint()
    True
    >>> take_fingerprint(fox, 3) == take_fingerprint(fox, 3) != take_fingerprint(fox, 4)
    True
    """
    return take_identity(str(request.fingerprint()), take, scope)


def take_identity(base: str, take: int, scope: str = "") -> str:
    """The identity of take ``take`` of the request whose fingerprint is ``base``."""
    if take <= 1 and not scope:
        return base
    key = json.dumps({"request": base, "take": int(take), "scope": scope}, sort_keys=True)
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def kind_of(request: Any) -> str:
    """The runtime's name for the kind of work a request is (``video``, ``image_upscale``…)."""
    for kind, cls in KIND_REQUESTS.items():
        if type(request) is cls:
            return kind
    raise TypeError(f"{type(request).__name__} is not submitted through the session")


def start_take(session: Any, request: Any, *, take: int, scope: str = "") -> Any:
    """Buy take ``take`` of ``request`` once; asking again returns (re-attaches to) that take.

    Returns the session's job handle — the same handle when this session already holds the
    take, so a caller can tell a repeat (``handle in shown``) from a new take.
    """
    kind = kind_of(request)
    fields = {f.name: getattr(request, f.name) for f in dataclasses.fields(request)}
    work = session._build(kind, fields, new=False)
    # The request as asked for (before an account was picked for it) is what a take is of.
    work = dataclasses.replace(work, identity=take_identity(work.fingerprint, take, scope))
    return session._start(work)
