"""The session-wide gate: every paid job waits for a slot on an account that has room.

Why: Google caps how many jobs run at once on each account, and a request over the cap is not
free to make -- the API answers 429 and its load balancer pulls the account out of rotation for
half an hour. A plain loop of twelve ``flow.video()`` calls over two accounts of four slots would
have its last four refused for good. So single submissions and batches alike go through one
:class:`Dispatcher`: it keeps a :class:`~flow_widgets.runtime.slots.SlotPool` per kind of job
(videos, images) over the session's healthy accounts, makes each job wait ``queued`` until a slot
frees, sends it to the account with the most room (keeping the request's identity, so a re-run
still re-attaches), holds the slot until the job stops running remotely, and on a throttle slows
that account down and tries again -- nothing was bought, so nothing is lost by waiting.

Kinds without a per-account cap (GIF, joining, voices, characters, image upscales) pass straight
through. Runs on the engine loop.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping

from flow_widgets.api.client import AsyncFlowClient
from flow_widgets.errors import (
    FlowError,
    InsufficientCreditsError,
    NoEligibleAccountError,
    QuotaExceededError,
    ServiceUnavailableError,
    ThrottledError,
)
from flow_widgets.runtime.jobs import JobHandle
from flow_widgets.runtime.pipeline import JobRunner
from flow_widgets.runtime.slots import Lane, SlotPool
from flow_widgets.runtime.tracker import CreditTracker
from flow_widgets.runtime.work import Work

__all__ = ["GROUPS", "SLOTS_PER_ACCOUNT", "Dispatcher", "NotSent"]

#: Which per-account cap a kind of work counts against.
GROUPS = {"video": "video", "extend": "video", "upscale": "video", "image": "image"}
#: Executing jobs per account the gate starts from (the simulator's caps, which follow useapi's
#: documented per-account concurrency); a throttle lowers an account's share.
SLOTS_PER_ACCOUNT = {"video": 4, "image": 8}
#: A quota or balancer wait longer than this is reported rather than waited out.
MAX_WAIT_S = 120.0
#: Capacity refusals (429 throttle, 503) one job may meet before it is reported as refused.
MAX_TRIES = 6

_REMOTE_ACTIVE = frozenset({"queued", "submitting", "unknown", "accepted", "running"})


class NotSent(FlowError):
    """The caller withdrew the job before it was sent (a stopped batch)."""


class Dispatcher:
    """Gates paid submissions by per-account capacity (one per session).

    Args:
        runner: what sends and watches a job.
        tracker: knows the accounts (plan, health).
        client: the API client that reports a throttle at once instead of retrying it.
        refresh_accounts: reads the accounts when none is known yet.
        time_scale: wall seconds per API second (an accelerated simulator rests shorter).
        slots_per_account: ``{"video": n, "image": m}`` to start from other caps than the
            documented ones (an account known to run more at once).
    """

    def __init__(
        self,
        runner: JobRunner,
        tracker: CreditTracker,
        client: AsyncFlowClient,
        refresh_accounts: Callable[[], Awaitable[None]],
        *,
        time_scale: float = 1.0,
        slots_per_account: Mapping[str, int] | None = None,
    ) -> None:
        self.time_scale = time_scale
        self.slots_per_account = {**SLOTS_PER_ACCOUNT, **(slots_per_account or {})}
        self.runner = runner
        self.tracker = tracker
        self.client = client
        self._refresh_accounts = refresh_accounts
        self.pools: dict[str, SlotPool] = {}
        self._pool_lock = asyncio.Lock()

    async def pool(self, kind: str) -> SlotPool | None:
        """The pool ``kind`` counts against (``None``: no per-account cap applies)."""
        group = GROUPS.get(kind)
        if group is None:
            return None
        async with self._pool_lock:
            if group not in self.pools:
                if not self.tracker.accounts():
                    with contextlib.suppress(FlowError):  # unknown accounts: one balancer lane
                        await self._refresh_accounts()
                cap = self.slots_per_account[group]
                lanes: dict[str | None, int] = {
                    account.email: cap
                    for account in self.tracker.accounts()
                    if account.healthy and not (group == "video" and account.tier == "free")
                }
                # A throttled account rests 5 API seconds unless the API names the wait.
                pause = max(0.05, 5.0 * self.time_scale)
                self.pools[group] = SlotPool(lanes or {None: cap}, default_pause=pause)
            return self.pools[group]

    async def submit(
        self,
        handle: JobHandle,
        work: Work,
        *,
        withdrawn: Callable[[], bool] = lambda: False,
    ) -> None:
        """Send ``work`` when an account has room; returns once it stops running remotely.

        Raises what refused it for good (budget, 402, a long quota, a refusal of the content,
        capacity refusals past :data:`MAX_TRIES`), already recorded on the handle, or
        :class:`NotSent` when ``withdrawn()`` became true while it waited.
        """
        pool = await self.pool(work.kind)
        if pool is None:
            await self.runner.submit(handle, work)
            return
        if pool.closed:  # every account was spent earlier: a new request tries them again
            pool.reopen()
        tries = 0
        while True:
            lane = await pool.acquire()
            if lane is not None and withdrawn():
                pool.release(lane)
                raise NotSent("withdrawn before it was sent")
            if lane is None:  # every account was closed while this job waited
                reason = pool.closed_reason or "no account can take more work"
                handle._update(status="rejected", error=f"Not sent: {reason}", charged=False)
                raise NotSent(reason)
            if self._short_of_credits(lane, work):
                pool.close(lane, f"{lane.account} has too few credits left for this request")
                pool.release(lane)
                continue
            tries += 1
            if not await self._attempt(handle, work, lane, pool, last=tries >= MAX_TRIES):
                return

    async def _attempt(
        self, handle: JobHandle, work: Work, lane: Lane, pool: SlotPool, *, last: bool
    ) -> bool:
        """One try on ``lane``; True when nothing was bought and the job should wait again."""
        sent = work.on_account(lane.account) if lane.account else work
        remote_done = asyncio.Event()
        loop = asyncio.get_running_loop()
        requeued = False

        def watch(changed: JobHandle) -> None:
            if changed.status not in _REMOTE_ACTIVE:
                loop.call_soon_threadsafe(remote_done.set)

        def again(exc: FlowError) -> bool:
            nonlocal requeued
            requeued = not last and self._adapt(pool, lane, exc)
            return requeued

        unsubscribe = handle.on_change(watch)
        try:
            try:
                await self.runner.submit(handle, sent, client=self.client, requeue=again)
            except FlowError:
                if requeued:
                    return True
                raise
            pool.accepted(lane)
            if handle.status in _REMOTE_ACTIVE:
                await remote_done.wait()
            return False
        finally:
            pool.release(lane)  # the slot frees as soon as the job stops running remotely
            unsubscribe()

    def _short_of_credits(self, lane: Lane, work: Work) -> bool:
        """True when the account's last known balance cannot pay for ``work`` (a sure 402)."""
        if lane.account is None:
            return False
        known = {a.email: a for a in self.tracker.accounts()}.get(lane.account)
        if known is None or known.credits is None:
            return False
        cost = self.tracker.estimate(work.request, self.tracker.tier_of(lane.account))
        return cost > known.credits

    def _adapt(self, pool: SlotPool, lane: Lane, exc: FlowError) -> bool:
        """Learn from a refusal that bought nothing; True if the job should try again."""
        if isinstance(exc, ThrottledError):  # too busy: this account gets fewer slots for a while
            pool.throttled(lane, exc.retry_after)
            return True
        if isinstance(exc, (QuotaExceededError, NoEligibleAccountError)):
            wait = exc.retry_after
            short = wait is not None and 0 <= wait <= MAX_WAIT_S
            pool.pause(lane if lane.account else None, wait if short else None, str(exc))
            return not pool.closed  # another account, or this one soon, can take it
        if isinstance(exc, InsufficientCreditsError):
            # "not enough credits on <account>": that account is spent, another may not be;
            # any other 402 (no plan, an expired subscription) stops every account.
            own = lane.account is not None and lane.account in str(exc)
            pool.close(lane if own else None, str(exc))
            return not pool.closed
        if isinstance(exc, ServiceUnavailableError):  # Google or a captcha solver is overloaded
            pool.pause(lane, getattr(exc, "retry_after", None) or pool.default_pause)
            return True
        return False
