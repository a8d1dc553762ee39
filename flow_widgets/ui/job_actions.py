"""Which follow-ups a job allows now: one rule for the card's toolbar and the Studio's results.

Why one: the card and the Studio each offer *stop watching*, *extend* and *upscale* under a
take. They now ask the same question the same way -- the job's state, and what its request's
class says can follow its result (:meth:`~flow_widgets.api.requests.FlowRequest.follow_ups`,
the catalog's facts, never the model's name) -- and only what each button then does differs.
"""

from __future__ import annotations

from flow_widgets.api.requests import FlowRequest
from flow_widgets.runtime.jobs import JobHandle
from flow_widgets.ui._session import first_media_id

__all__ = ["EXTEND", "STOP", "UPSCALE", "VARY", "VARY_TIP", "actions_for", "can_vary"]

STOP = "stop watching"
EXTEND = "extend"
UPSCALE = "upscale"
VARY = "vary"
VARY_TIP = "Another take with the same prompt and settings and a new seed"


def actions_for(
    handle: JobHandle, request: FlowRequest | None, *, upscaled: bool = False
) -> tuple[str, ...]:
    """The follow-ups ``handle`` allows now, in the order the buttons show them.

    While the job runs: ``stop watching`` alone. Once it completed with media: ``extend`` when
    its ``request`` (the one it was bought with) says its result can be continued, and
    ``upscale`` unless it is an upscale already (``upscaled``). Otherwise nothing.
    """
    if not handle.done:
        return (STOP,)
    if handle.status != "completed" or first_media_id(handle) is None:
        return ()
    follows = request.follow_ups() if request is not None else frozenset()
    names = [EXTEND] if EXTEND in follows else []
    if not upscaled:
        names.append(UPSCALE)
    return tuple(names)


def can_vary(request: FlowRequest | None) -> bool:
    """Whether ``request`` can be asked for again with a new seed (*vary*): it has a seed."""
    return request is not None and "seed" in getattr(request, "__dataclass_fields__", {})
