"""Adaptive per-account concurrency for batches: how many jobs may run where, right now.

Why: every Google account has a cap on executing jobs, and going over it is not free -- the API
answers ``429 PUBLIC_ERROR_USER_REQUESTS_THROTTLED`` and may pull the account out of rotation for
half an hour. A batch therefore starts from the documented caps, spreads work over the accounts
that have room, halves an account's limit when it is throttled anyway (and pauses it for the
``Retry-After`` when that is 0 < v <= 120 s, its own short rest otherwise -- a server asking for
eleven days must not park the account for eleven days), raises the limit back one step after a
run of clean submissions, and closes an account that is out of quota or credits, so the rest of
the batch goes elsewhere or stops. A daily quota of one model blocks only that model on that
account until the reset: the account's other models stay usable.

:class:`SlotPool` lives on the engine loop. ``acquire()`` waits for a slot and names the account;
``release()`` gives it back when the job stops running remotely.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

__all__ = ["MAX_PAUSE_S", "Lane", "SlotPool"]

_DEFAULT_PAUSE_S = 5.0
#: The longest server-named wait a lane follows (reliability policy: 0 < Retry-After <= 120 s).
MAX_PAUSE_S = 120.0


@dataclass
class Lane:
    """One account's share of a batch.

    Attributes:
        account: the account email, or ``None`` for "let the API's load balancer choose".
        cap: the documented maximum of executing jobs.
        limit: the current, learnt maximum (``1 ≤ limit ≤ cap``).
        busy: jobs of this batch running on the account now.
        paused_until: no new job before this monotonic time (after a throttle).
        closed: the account cannot take more work in this batch (quota or credits).
        blocked: model -> (monotonic time the block ends, why): that model's daily quota is
            spent on this account; other models are not affected.
    """

    account: str | None
    cap: int
    limit: int
    busy: int = 0
    clean_runs: int = 0
    paused_until: float = 0.0
    closed: bool = False
    order: int = 0
    blocked: dict[str, tuple[float, str]] = field(default_factory=dict)

    @property
    def free(self) -> int:
        return self.limit - self.busy

    def serves(self, model: str | None, now: float) -> bool:
        """True when the lane is open and ``model`` is not blocked on it at ``now``."""
        if self.closed:
            return False
        block = self.blocked.get(model) if model is not None else None
        return block is None or block[0] <= now


class SlotPool:
    """Slots over several accounts, adapting each account's limit to what the API allows.

    Args:
        caps: account -> documented cap of executing jobs (``{None: n}`` for one unnamed lane).
        total: an overall cap on top (the user's ``concurrency=``), or ``None``.
        recover_after: clean submissions in a row before a lowered limit grows by one.
        default_pause: how long a throttled account rests when the API names no usable wait.
        max_pause: the longest ``Retry-After`` followed; a longer one gets ``default_pause``.
        clock: a monotonic clock (injectable for tests).
    """

    def __init__(
        self,
        caps: Mapping[str | None, int],
        *,
        total: int | None = None,
        recover_after: int = 3,
        default_pause: float = _DEFAULT_PAUSE_S,
        max_pause: float = MAX_PAUSE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.default_pause = default_pause
        self.max_pause = max_pause
        if not caps:
            raise ValueError("caps must name at least one account lane.")
        if total is not None and total < 1:
            raise ValueError("concurrency must be 1 or more.")
        self._lanes = {
            account: Lane(account, max(1, cap), max(1, cap), order=i)
            for i, (account, cap) in enumerate(caps.items())
        }
        self.total = total
        self._recover_after = recover_after
        self._clock = clock
        self._changed = asyncio.Event()
        self._turn = itertools.count()
        self.peak_busy = 0
        self.throttles = 0
        self.closed_reason: str | None = None

    def __repr__(self) -> str:
        lanes = ", ".join(f"{lane.account}:{lane.busy}/{lane.limit}" for lane in self.lanes)
        return f"<SlotPool {lanes}>"

    @property
    def lanes(self) -> list[Lane]:
        return list(self._lanes.values())

    @property
    def busy(self) -> int:
        return sum(lane.busy for lane in self._lanes.values())

    @property
    def closed(self) -> bool:
        """True when no account can take more work."""
        return all(lane.closed for lane in self._lanes.values())

    def lane(self, account: str | None) -> Lane:
        return self._lanes[account]

    def serves(self, model: str | None, account: str | None = None) -> bool:
        """True when some open account (``account``'s own lane, if it has one) is not blocked
        for ``model`` (it may be busy)."""
        now = self._clock()
        return any(lane.serves(model, now) for lane in self._lanes_for(account))

    def _lanes_for(self, account: str | None) -> list[Lane]:
        """The lanes a request may use: its named account's alone, else every lane."""
        if account is not None and account in self._lanes:
            return [self._lanes[account]]
        return list(self._lanes.values())

    def refusal(self, model: str | None) -> str:
        """Why no slot can be had for ``model``: every account closed, or blocked for it."""
        if self.closed or model is None:
            return self.closed_reason or "no account can take more work"
        now = self._clock()
        reasons = [
            lane.blocked[model][1]
            for lane in self._lanes.values()
            if not lane.closed and model in lane.blocked and lane.blocked[model][0] > now
        ]
        return reasons[-1] if reasons else "no account can take more work"

    # -- taking and giving back --------------------------------------------------------------

    async def acquire(self, model: str | None = None, account: str | None = None) -> Lane | None:
        """Wait for a free slot for ``model`` and take it; ``None`` when every account is
        closed or blocked for that model (:meth:`refusal` says why). A request that names its
        ``account`` waits for that account's slot."""
        while True:
            if not self.serves(model, account):
                return None
            now = self._clock()
            lane = self._pick(now, model, account)
            if lane is not None:
                lane.busy += 1
                lane.order = next(self._turn)
                self.peak_busy = max(self.peak_busy, self.busy)
                return lane
            self._changed.clear()
            wake = self._next_unpause(now)
            timeout = None if wake is None else max(0.0, wake - now)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout)

    def _pick(self, now: float, model: str | None, account: str | None = None) -> Lane | None:
        if self.total is not None and self.busy >= self.total:
            return None
        ready = [
            lane
            for lane in self._lanes_for(account)
            if lane.serves(model, now) and lane.paused_until <= now and lane.free > 0
        ]
        if not ready:
            return None
        # most room first; among equals, the lane used longest ago
        return max(ready, key=lambda lane: (lane.free, -lane.order))

    def _next_unpause(self, now: float) -> float | None:
        times = [
            lane.paused_until
            for lane in self._lanes.values()
            if not lane.closed and lane.paused_until > now
        ]
        return min(times) if times else None

    def release(self, lane: Lane) -> None:
        """The job on ``lane`` stopped running remotely (finished, failed, or never started)."""
        lane.busy = max(0, lane.busy - 1)
        self._changed.set()

    # -- what the API said -------------------------------------------------------------------

    def accepted(self, lane: Lane) -> None:
        """A submission on ``lane`` was accepted: count towards raising a lowered limit."""
        lane.clean_runs += 1
        if lane.limit < lane.cap and lane.clean_runs >= self._recover_after:
            lane.limit += 1
            lane.clean_runs = 0
            self._changed.set()

    def throttled(self, lane: Lane, retry_after: float | None) -> None:
        """``lane``'s account refused a submission as too busy: halve its limit and pause it.

        The caller still holds the slot it acquired and must :meth:`release` it.
        """
        self.throttles += 1
        lane.limit = max(1, lane.limit // 2)
        lane.clean_runs = 0
        self.rest(lane, retry_after)

    def rest(self, lane: Lane, retry_after: float | None) -> None:
        """Give ``lane`` no work for the server's ``retry_after`` when 0 < v <= ``max_pause``,
        for ``default_pause`` otherwise (no wait named, nonsense, or days away)."""
        usable = retry_after is not None and 0 < retry_after <= self.max_pause
        self.pause(lane, retry_after if usable and retry_after is not None else self.default_pause)

    def pause(self, lane: Lane | None, seconds: float | None, reason: str = "") -> None:
        """Give ``lane`` (every lane when ``None``) no work for ``seconds``; close it when
        ``None`` (out of quota until a reset too far away to wait for)."""
        if seconds is None:
            self.close(lane, reason)
            return
        for item in [lane] if lane is not None else self._lanes.values():
            item.paused_until = max(item.paused_until, self._clock() + seconds)
        self._changed.set()

    def block(self, lane: Lane, model: str, seconds: float, reason: str) -> None:
        """``model`` is out of its daily quota on ``lane`` for ``seconds``; others still run."""
        until = self._clock() + max(0.0, seconds)
        current = lane.blocked.get(model)
        if current is None or current[0] < until:
            lane.blocked[model] = (until, reason)
        self._changed.set()

    def close(self, lane: Lane | None = None, reason: str = "") -> None:
        """Stop giving out slots on ``lane`` (out of quota or credits), or on every lane."""
        for item in [lane] if lane is not None else self._lanes.values():
            item.closed = True
        self.closed_reason = reason or self.closed_reason
        self._changed.set()

    def reopen(self) -> None:
        """Open every closed lane again (a new, explicit submission after a top-up)."""
        for item in self._lanes.values():
            item.closed = False
        self.closed_reason = None
        self._changed.set()
