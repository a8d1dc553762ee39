"""The session-wide gate: every paid job waits for a slot on an account that has room.

Why: Google caps how many jobs run at once on each account, and a request over the cap is not
free to make -- the API answers 429 and its load balancer pulls the account out of rotation for
half an hour. A plain loop of twelve ``flow.video()`` calls over two accounts of four slots would
have its last four refused for good. So single submissions and batches alike go through one
:class:`Dispatcher`: it keeps a :class:`~flow_widgets.runtime.slots.SlotPool` per kind of job
(videos, images) over the session's healthy accounts, makes each job wait ``queued`` until a slot
frees, sends it to the account with the most room (keeping the request's identity, so a re-run
still re-attaches), holds the slot until the job stops running remotely, and on a throttle slows
that account down and tries again -- nothing was bought, so nothing is lost by waiting. After
:data:`MAX_TRIES` capacity refusals in a row (or :data:`BURST_S` of them) a job is *parked*: it
stays ``queued``, its note says when it tries again, and after :data:`PARK_S` it gets a fresh
round -- a busy hour must not turn paid intents into refusals the user has to resubmit.

What refuses for good is sorted by scope: a 401 closes every account (no further POST until a
new request after a new login), a 402 closes the spent account, a daily quota of one model
blocks that model on that account until the reset (the account's other models stay usable),
and a job that no open account can take is refused in plain words instead of waiting forever.

Every refusal is classified (:mod:`flow_widgets.runtime.failures`): a permanent one (401, 402,
access denied, a captcha provider out of balance) stops its account or the whole queue at once
with one sentence naming the cause and the fix; transient and capacity ones are retried within
:data:`MAX_POSTS_PER_INTENT` POSTs per intent, and an account that keeps refusing rests longer
and longer (a circuit breaker: :data:`BREAKER_AFTER` refusals in a row, then doubling rests).

Kinds without a per-account cap (GIF, joining, voices, characters, image upscales) pass straight
through. Runs on the engine loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Mapping

from flow_widgets.api.client import AsyncFlowClient
from flow_widgets.errors import (
    FlowError,
    InsufficientCreditsError,
    ModelBlocked,
    NoEligibleAccountError,
    NotSent,
    QuotaExceededError,
    ServiceUnavailableError,
    ThrottledError,
)
from flow_widgets.runtime.failures import classify
from flow_widgets.runtime.job_runner import JobRunner
from flow_widgets.runtime.jobs import JobHandle
from flow_widgets.runtime.slots import Lane, SlotPool
from flow_widgets.runtime.tracker import CreditTracker
from flow_widgets.runtime.work_item import WorkItem

__all__ = [
    "MAX_POSTS_PER_INTENT",
    "SLOTS_PER_ACCOUNT",
    "Dispatcher",
    "GaveUp",
    "ModelBlocked",
    "NotSent",
]

#: Executing jobs per account the gate starts from (the simulator's caps, which follow useapi's
#: documented per-account concurrency); a throttle lowers an account's share.
SLOTS_PER_ACCOUNT = {"video": 4, "image": 8}
#: A quota or balancer wait longer than this is reported rather than waited out.
MAX_WAIT_S = 120.0
#: Capacity refusals (429 throttle, 503) in a row before a job is parked.
MAX_TRIES = 6
#: API seconds of capacity refusals in a row before a job is parked, however few they were.
BURST_S = 600.0
#: API seconds a parked job rests before its next round of tries.
PARK_S = 120.0
#: The 429 reason that spends one model's daily quota on one account, not the whole account.
PER_MODEL_QUOTA = "PUBLIC_ERROR_PER_MODEL_DAILY_QUOTA_REACHED"

#: The most POSTs one intent (one call) can send, whatever the API answers: two rounds of
#: :data:`MAX_TRIES`. Only refusals are retried (an unknown outcome is reconciled, never resent),
#: so this is also the most refusals one intent can collect before it ends ``rejected``.
MAX_POSTS_PER_INTENT = 2 * MAX_TRIES
#: Refusals in a row on one account before its breaker opens (it rests, doubling each time).
BREAKER_AFTER = 3
#: API seconds of the breaker's first rest, and its longest.
BREAKER_REST_S = 10.0
BREAKER_MAX_REST_S = 300.0

_REMOTE_ACTIVE = frozenset({"queued", "submitting", "unknown", "accepted", "running"})


class GaveUp(NotSent):
    """The intent used its :data:`MAX_POSTS_PER_INTENT` tries on refusals; nothing was bought."""


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
        self._strikes: dict[str | None, int] = {}  # refusals in a row, per account

    async def pool(self, group: str | None) -> SlotPool | None:
        """The pool of the per-account cap ``group`` (a request class's ``slot_group``;
        ``None``: no per-account cap applies)."""
        if group is None:
            return None
        async with self._pool_lock:
            if group not in self.pools:
                if not self.tracker.accounts():
                    with contextlib.suppress(FlowError):  # unknown accounts: one balancer lane
                        await self.refresh_accounts()
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

    async def refresh_accounts(self) -> None:
        """Read the accounts again; a topped-up account may take work again."""
        await self._refresh_accounts()
        for pool in self.pools.values():
            pool.reopen()

    async def submit(
        self,
        handle: JobHandle,
        work: WorkItem,
        *,
        withdrawn: Callable[[], bool] = lambda: False,
    ) -> None:
        """Send ``work`` when an account has room; returns once it stops running remotely.

        Raises what refused it for good (budget, 401, 402, a long quota, a refusal of the
        content), already recorded on the handle; :class:`ModelBlocked` when every account is
        out of quota for its model; :class:`NotSent` when ``withdrawn()`` became true (or the
        handle was cancelled) while it waited, or every account was closed.
        """
        pool = await self.pool(work.request.slot_group)
        if pool is None:
            await self.runner.submit(handle, work)
            return
        try:
            await self._submit_in(pool, handle, work, withdrawn)
        except BaseException:
            self._abandon(handle)
            raise

    def _abandon(self, handle: JobHandle, reason: str | None = None) -> None:
        """An intent left waiting to retry when its submission ends (given up, refused for
        good, withdrawn, the session closed) is closed ``rejected``: nothing was bought.
        Called before the handle shows the end, so a waiter reads a settled ledger."""
        sid = handle.submission_id
        ledger = self.runner.ledger
        if sid is not None and ledger.waiting_to_retry(sid):
            reason = reason or handle.error or "Not sent again: it stopped while it waited."
            ledger.mark_state(sid, "rejected", error=reason, charged=False, credits=0)

    async def _submit_in(
        self,
        pool: SlotPool,
        handle: JobHandle,
        work: WorkItem,
        withdrawn: Callable[[], bool],
    ) -> None:
        if pool.closed:  # every account was spent earlier: a new request tries them again
            pool.reopen()

        def gone() -> bool:
            return withdrawn() or handle.done

        tries, burst_start, posts = 0, 0.0, 0
        while True:
            lane = await pool.acquire(work.model, work.account)  # a named account's own slot
            if lane is not None and gone():
                pool.release(lane)
                raise NotSent("withdrawn before it was sent")
            if lane is None:  # every account was closed (or blocked for the model) meanwhile
                reason = pool.refusal(work.model)
                self._abandon(handle, f"Not sent: {reason}")
                handle.apply(status="rejected", error=f"Not sent: {reason}", charged=False)
                raise NotSent(reason) if pool.closed else ModelBlocked(reason)
            if self._short_of_credits(lane, work):
                pool.close(lane, f"{lane.account} has too few credits left for this request")
                pool.release(lane)
                continue
            if tries == 0:
                burst_start = time.monotonic()
            tries += 1
            posts += 1
            if not await self._attempt(handle, work, lane, pool):
                return
            if posts >= MAX_POSTS_PER_INTENT:
                reason = (
                    f"Not bought: the service refused this request {posts} times in a row "
                    f"(last: {handle.state.note or 'busy'}); nothing was charged -- run the cell "
                    "again later."
                )
                self._abandon(handle, reason)
                handle.apply(status="rejected", error=reason, charged=False, note=None)
                raise GaveUp(reason)
            burst = (time.monotonic() - burst_start) / self.time_scale
            if tries >= MAX_TRIES or burst >= BURST_S:
                await self._park(handle, tries, gone)
                tries = 0

    async def _park(self, handle: JobHandle, tries: int, gone: Callable[[], bool]) -> None:
        """Rest :data:`PARK_S` with the job ``queued`` and the next try's time on its note."""
        rest = PARK_S * self.time_scale
        at = time.strftime("%H:%M:%S", time.localtime(time.time() + rest))
        note = f"waiting for capacity after {tries} busy answers in a row; next try at {at}"
        handle.apply(status="queued", note=note)
        deadline = time.monotonic() + rest
        while not gone() and (left := deadline - time.monotonic()) > 0:
            await asyncio.sleep(min(left, 1.0))  # a stopped batch or a cancel ends the rest

    async def _attempt(self, handle: JobHandle, work: WorkItem, lane: Lane, pool: SlotPool) -> bool:
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
            requeued = self._adapt(pool, lane, exc, work.model)
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
            self._strikes[lane.account] = 0
            if handle.status in _REMOTE_ACTIVE:
                await remote_done.wait()
            return False
        finally:
            pool.release(lane)  # the slot frees as soon as the job stops running remotely
            unsubscribe()

    def _short_of_credits(self, lane: Lane, work: WorkItem) -> bool:
        """True when the account's last known balance cannot pay for ``work`` (a sure 402)."""
        if lane.account is None:
            return False
        known = {a.email: a for a in self.tracker.accounts()}.get(lane.account)
        if known is None or known.credits is None:
            return False
        cost = self.tracker.estimate(work.request, self.tracker.tier_of(lane.account))
        return cost > known.credits

    def _adapt(self, pool: SlotPool, lane: Lane, exc: FlowError, model: str | None) -> bool:
        """Learn from a refusal that bought nothing; True if the job should try again."""
        refusal = classify(exc)
        if refusal.kind == "permanent" and refusal.scope == "queue":
            pool.close(None, refusal.sentence)  # the token or the captcha provider: send nothing
            return False
        if refusal.kind == "permanent" and refusal.scope == "account":
            if isinstance(exc, InsufficientCreditsError):
                # "not enough credits on <account>": that account is spent, another may not be;
                # any other 402 (no plan, an expired subscription) stops every account.
                own = lane.account is not None and lane.account in str(exc)
                pool.close(lane if own else None, refusal.sentence)
            else:
                pool.close(lane if lane.account else None, refusal.sentence)
            return not pool.closed
        if refusal.kind != "permanent":
            self._strike(pool, lane)
        if isinstance(exc, ThrottledError):  # too busy: this account gets fewer slots for a while
            pool.throttled(lane, exc.retry_after)
            return True
        if isinstance(exc, QuotaExceededError) and exc.reason == PER_MODEL_QUOTA and model:
            pool.block(lane, model, _until_reset(exc.retry_after), str(exc))
            return pool.serves(model)  # another account may still have that model's quota
        if isinstance(exc, (QuotaExceededError, NoEligibleAccountError)):
            wait = exc.retry_after
            short = wait is not None and 0 <= wait <= MAX_WAIT_S
            pool.pause(lane if lane.account else None, wait if short else None, str(exc))
            return not pool.closed  # another account, or this one soon, can take it
        if isinstance(exc, ServiceUnavailableError):  # Google or a captcha solver is overloaded
            pool.rest(lane, getattr(exc, "retry_after", None))
            return True
        return False

    def _strike(self, pool: SlotPool, lane: Lane) -> None:
        """One more refusal in a row on ``lane``'s account; past :data:`BREAKER_AFTER` the
        account rests, twice as long each time, so many queued jobs cannot hammer it."""
        strikes = self._strikes.get(lane.account, 0) + 1
        self._strikes[lane.account] = strikes
        if strikes >= BREAKER_AFTER:
            rest = min(BREAKER_MAX_REST_S, BREAKER_REST_S * 2.0 ** (strikes - BREAKER_AFTER))
            pool.pause(lane, rest * self.time_scale)


def _until_reset(retry_after: float | None) -> float:
    """Seconds until a daily quota resets: the server's word, else the next UTC midnight."""
    if retry_after is not None and retry_after > 0:
        return retry_after
    return 86_400.0 - time.time() % 86_400.0
