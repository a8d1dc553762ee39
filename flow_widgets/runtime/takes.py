"""Takes as intents: "take #3 of this request" is bought once, however often it is asked for.

Why: a button that buys ("new take", the Studio's *Generate*) can be pressed twice for one
intent — a double-click, a Ctrl+Enter pressed again while the first is on its way, a press that
reached the kernel after the card already offered the next take. A timer cannot tell those from
a second deliberate press; the number of the take the person saw can. So a take is submitted
with the session's ordinary re-run matching (``FlowSession.submit(request, take=, scope=)``)
under an identity that is the request's own fingerprint *plus the take number* (and a scope,
such as one Studio): asking for take #3 again re-attaches to the take #3 already bought — in
this kernel through the session's handles, after a restart through the ledger — while take #4 is
a new purchase.

Take #1 with no scope is the request's plain fingerprint, i.e. exactly what re-running the cell
re-attaches to, so the original take and its re-runs stay one purchase.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

__all__ = ["take_fingerprint", "take_identity"]


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
