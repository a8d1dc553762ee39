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

*Vary* (the same prompt and flags, a new seed) is a take too: its seed is derived from the
request's fingerprint and the take number the person saw (:func:`vary_seed`), so a double
click, or the same press in a second kernel on the ledger, asks for the very same request and
re-attaches to it. The varied request is bought under its own plain fingerprint, so running
the cell that *use prompt* / *copy as cell* gives for that take (seed included) re-attaches
to it as well, as re-running any cell does.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any, TypeVar

__all__ = ["MAX_SEED", "take_fingerprint", "take_identity", "take_request", "vary_seed"]

#: The largest seed the API takes (seeds are 0 … 2**31 - 1).
MAX_SEED = 2**31 - 1

R = TypeVar("R")


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


def vary_seed(request: Any, take: int) -> int:
    """The seed of take ``take`` when it is a *vary* of ``request``: new, and the same however
    often (or in however many kernels) that take is asked for.

    >>> from flow_widgets.api.requests import VideoRequest
    >>> fox = VideoRequest("a fox", model="veo-3.1-lite")
    >>> vary_seed(fox, 2) == vary_seed(fox, 2) != vary_seed(fox, 3)
    True
    >>> 0 <= vary_seed(fox, 2) <= MAX_SEED
    True
    """
    key = json.dumps({"request": str(request.fingerprint()), "vary": int(take)}, sort_keys=True)
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % (MAX_SEED + 1)


def take_request(request: R, take: int, *, vary: bool = False) -> tuple[R, int]:
    """What to submit for take ``take`` of ``request``: ``(request, take)`` for a *new take*
    (the same request as take N), or ``(request with its vary seed, 1)`` for a *vary* (a
    request of its own, bought under its plain fingerprint).

    Raises:
        TypeError: ``vary`` for a request that has no seed.
    """
    if not vary:
        return request, take
    if not dataclasses.is_dataclass(request) or not hasattr(request, "seed"):
        raise TypeError(f"a {type(request).__name__} has no seed to vary")
    seed = vary_seed(request, take)
    return dataclasses.replace(request, seed=seed), 1  # type: ignore[type-var]
