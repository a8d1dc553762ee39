"""Fault switches: make one route misbehave on chosen requests, reproducibly.

A client's retry, reconciliation and download code is only as good as the failures it was tested
against, so the simulator can be told, per route and per request number, to fail in each way the
real service (or the network in between) can:

=================  ==========================================================================
``status``         answer ``status`` at once without doing the work (``reason``, ``message``,
                   ``retryAfter`` -- any raw header text, even garbage -- shape the answer)
``delay``          wait ``seconds`` (real time) before handling the request
``reset``          close the connection at once, without doing the work or answering
``drop``           do the work (accept and charge the job), then close without answering
``half_headers``   do the work, send half of the status line and headers, then close
``delay_reply``    do the work, then wait ``seconds`` before answering
``truncate``       do the work, announce the full ``Content-Length``, send ``fraction`` of the
                   body, then close
``trickle``        send the body ``chunk`` bytes at a time, ``seconds`` apart
``malformed``      do the work, then answer with ``body`` (raw text, default an HTML error page)
                   instead of the JSON, keeping the status
``fail_job``       the job this request creates fails (``error``, ``code``; ``charged`` says
                   whether its credits stay spent)
``never_finish``   the job this request creates stays ``started`` forever
``range_ignore``   media origin: ignore ``Range`` and answer 200 with the whole body
``range_wrong_offset``  media origin: answer 206 from byte 0 whatever range was asked
=================  ==========================================================================

Selection: ``route`` is a route key such as ``"POST /videos"`` or ``"GET /jobs/{jobid}"`` (the
documented path template), ``"*"`` for every API route or ``"media"`` for every media-origin
request. ``on`` lists 1-based request numbers on that route (counted from the simulator's start;
omit for every request), ``times`` caps how often the fault fires, ``probability`` fires it at
random (from the seeded generator) and ``forSeconds`` limits it to a window of clock time. The
first matching fault in registration order wins.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

__all__ = ["ACTIONS", "JOB_ACTIONS", "Fault", "FaultBook", "fault_from_dict"]

ACTIONS = frozenset(
    {
        "status",
        "delay",
        "reset",
        "drop",
        "half_headers",
        "delay_reply",
        "truncate",
        "trickle",
        "malformed",
        "fail_job",
        "never_finish",
        "range_ignore",
        "range_wrong_offset",
    }
)
#: Actions that change the job a request creates rather than the HTTP exchange.
JOB_ACTIONS = frozenset({"fail_job", "never_finish"})
_DEFAULT_MALFORMED = "<html><body><h1>502 Bad Gateway</h1></body></html>"


@dataclass(frozen=True)
class Fault:
    """One fault switch (see the module docstring for what each action does)."""

    route: str
    action: str
    on: frozenset[int] | None = None
    times: int | None = None
    probability: float | None = None
    until: float | None = None
    status: int = 500
    reason: str | None = None
    message: str | None = None
    retry_after: str | None = None
    seconds: float = 1.0
    fraction: float = 0.4
    chunk: int = 1
    body: str = _DEFAULT_MALFORMED
    content_type: str = "text/html"
    charged: bool = False
    error: str = "API error: 500"
    code: int = 500
    id: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The fault as the control API shows it."""
        return {
            "id": self.id,
            "route": self.route,
            "action": self.action,
            "on": sorted(self.on) if self.on is not None else None,
            "times": self.times,
            "probability": self.probability,
            "until": self.until,
            "status": self.status,
            "reason": self.reason,
            "message": self.message,
            "retryAfter": self.retry_after,
            "seconds": self.seconds,
            "fraction": self.fraction,
            "chunk": self.chunk,
            "charged": self.charged,
            "error": self.error,
            "code": self.code,
        }


def _number(data: Mapping[str, Any], key: str, default: float, *, low: float = 0.0) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"fault field {key} must be a number, got {value!r}.")
    if value < low:
        raise ValueError(f"fault field {key} must be at least {low:g}, got {value!r}.")
    return float(value)


def _integer(data: Mapping[str, Any], key: str, default: int, *, low: int = 0) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"fault field {key} must be a whole number of at least {low}.")
    return value


def fault_from_dict(data: Mapping[str, Any], *, now: float) -> Fault:
    """Read a fault from the control API's JSON (camelCase keys as in the module docstring).

    Raises:
        ValueError: with one sentence naming the field and the fix.
    """
    route = data.get("route")
    if not isinstance(route, str) or not route.strip():
        raise ValueError('fault field route is required, such as "POST /videos" or "*".')
    action = data.get("action")
    if action not in ACTIONS:
        raise ValueError(f"fault field action must be one of {', '.join(sorted(ACTIONS))}.")
    on = data.get("on")
    if on is not None and (
        not isinstance(on, list)
        or not on
        or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in on)
    ):
        raise ValueError("fault field on must be a list of request numbers starting at 1.")
    times = data.get("times")
    if times is not None:
        times = _integer(data, "times", 1, low=1)
    probability = data.get("probability")
    if probability is not None:
        probability = _number(data, "probability", 1.0)
        if probability > 1.0:
            raise ValueError("fault field probability must be between 0 and 1.")
    until = None
    if data.get("forSeconds") is not None:
        until = now + _number(data, "forSeconds", 0.0)
    fraction = _number(data, "fraction", 0.4)
    if fraction >= 1.0:
        raise ValueError("fault field fraction must be below 1 (the share of the body sent).")
    retry_after = data.get("retryAfter")
    for key in ("reason", "message", "error", "body", "contentType"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise ValueError(f"fault field {key} must be a string.")
    return Fault(
        route=route.strip(),
        action=str(action),
        on=frozenset(on) if on is not None else None,
        times=times,
        probability=probability,
        until=until,
        status=_integer(data, "status", 500, low=100),
        reason=data.get("reason"),
        message=data.get("message"),
        retry_after=None if retry_after is None else str(retry_after),
        seconds=_number(data, "seconds", 1.0),
        fraction=fraction,
        chunk=_integer(data, "chunk", 1, low=1),
        body=data.get("body", _DEFAULT_MALFORMED),
        content_type=data.get("contentType", "text/html"),
        charged=bool(data.get("charged", False)),
        error=data.get("error", "API error: 500"),
        code=_integer(data, "code", 500, low=100),
    )


@dataclass
class _Armed:
    fault: Fault
    fired: int = 0
    remaining: int | None = field(default=None)


class FaultBook:
    """The registered faults and the per-route request counters they are matched against."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._armed: list[_Armed] = []
        self._counters: dict[str, int] = {}
        self._next_id = 1

    def __repr__(self) -> str:
        return f"FaultBook(faults={len(self._armed)})"

    def add(self, fault: Fault) -> Fault:
        fault = replace(fault, id=self._next_id)
        self._next_id += 1
        self._armed.append(_Armed(fault, remaining=fault.times))
        return fault

    def remove(self, fault_id: int) -> bool:
        before = len(self._armed)
        self._armed = [armed for armed in self._armed if armed.fault.id != fault_id]
        return len(self._armed) != before

    def clear(self) -> None:
        self._armed.clear()

    def listing(self) -> list[dict[str, Any]]:
        return [{**armed.fault.to_dict(), "fired": armed.fired} for armed in self._armed]

    def count(self, route: str) -> int:
        """Count one more request on ``route`` and return its 1-based number."""
        number = self._counters.get(route, 0) + 1
        self._counters[route] = number
        return number

    def match(self, route: str, number: int, *, now: float, media: bool = False) -> Fault | None:
        """The fault that fires for request ``number`` on ``route``, consuming one use of it."""
        for armed in self._armed:
            fault = armed.fault
            wanted = fault.route == route or fault.route == ("media" if media else "*")
            if not wanted or armed.remaining == 0:
                continue
            if fault.on is not None and number not in fault.on:
                continue
            if fault.until is not None and now >= fault.until:
                continue
            if fault.probability is not None and self._rng.random() >= fault.probability:
                continue
            armed.fired += 1
            if armed.remaining is not None:
                armed.remaining -= 1
            return fault
        return None
