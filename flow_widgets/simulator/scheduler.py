"""Acts on job transitions as the clock passes them: statistics, refunds, webhooks, waits.

A job's status is a pure function of the clock (see :mod:`flow_widgets.simulator.jobs`), but some
things must *happen* when it changes: the load balancer's counters move, an uncharged failure
gives its credits back, ``remainingCredits`` is fixed, and the ``replyUrl`` webhook is posted
(on created, started, completed and failed, each with the ``GET /jobs/{jobid}`` record).

:meth:`Scheduler.settle` does that for every transition that is due; every request calls it
first, and a background task calls it as transitions fall due (it sleeps until the next one, and
wakes early when the clock is advanced through the control API). The task starts lazily on the
event loop that serves the first request, so the simulator works the same under uvicorn and
inside ``httpx.ASGITransport``. Synchronous API calls wait through :meth:`wait_until`, which
follows the simulated clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from typing import TYPE_CHECKING

import httpx

from flow_widgets.simulator.balancer import StatKind
from flow_widgets.simulator.jobs import TERMINAL, Job, JobStatus

if TYPE_CHECKING:
    from flow_widgets.simulator.state import SimulatorState

__all__ = ["Scheduler"]

_MAX_NAP = 0.25  # longest real sleep between clock checks (a ManualClock may jump meanwhile)
_WEBHOOK_TIMEOUT = 5.0


class Scheduler:
    """Settles due transitions, delivers webhooks and wakes waiters."""

    def __init__(self, state: SimulatorState) -> None:
        self._state = state
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._bell: asyncio.Future[None] | None = None
        self._http: httpx.AsyncClient | None = None
        self._deliveries: set[asyncio.Task[None]] = set()
        self._last_delivery: dict[str, asyncio.Task[None]] = {}
        self._last_expiry = 0.0

    def __repr__(self) -> str:
        running = self._task is not None and not self._task.done()
        return f"Scheduler(running={running}, deliveries={len(self._deliveries)})"

    # ----------------------------------------------------------------- lifecycle

    def ensure_running(self) -> None:
        """Start the background task on the current event loop if it is not running there."""
        loop = asyncio.get_running_loop()
        if self._loop is loop and self._task is not None and not self._task.done():
            return
        self._loop = loop
        self._http = None
        self._task = loop.create_task(self._run(), name="flow-sim-scheduler")

    async def aclose(self) -> None:
        """Stop the background task and any webhook deliveries (server shutdown)."""
        tasks = [t for t in (self._task, *self._deliveries) if t is not None and not t.done()]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, RuntimeError):
                await task
        if self._http is not None:
            await self._http.aclose()
            self._http = None
        self._task = None

    def wake(self) -> None:
        """Re-check the timetable now (after the clock was advanced); safe from any thread."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._ring)

    def _ring(self) -> None:
        if self._bell is not None and not self._bell.done():
            self._bell.set_result(None)

    async def _nap(self, seconds: float) -> None:
        """Sleep up to ``seconds`` (at most a quarter second), or until :meth:`wake`."""
        loop = asyncio.get_running_loop()
        self._bell = loop.create_future()
        timer = loop.call_later(max(0.0, min(seconds, _MAX_NAP)), self._ring)
        try:
            await self._bell
        finally:
            timer.cancel()
            self._bell = None

    async def _run(self) -> None:
        while True:
            now = self._state.now()
            self.settle(now)
            due = self._state.jobs.next_due()
            await self._nap(_MAX_NAP if due is None else due - now)

    # ----------------------------------------------------------------- transitions

    def settle(self, now: float) -> None:
        """Act on every transition due by ``now``; cheap when nothing is due."""
        state = self._state
        for job in state.jobs.pop_due(now):
            status = job.status_at(now)
            if status == job.settled:
                continue
            if status in TERMINAL:
                self._finish(job, status, now)
            job.settled = status
            self.notify(job, now)
        if now - self._last_expiry > 60.0:
            self._last_expiry = now
            state.jobs.expire(now, state.config.job_retention)

    def _finish(self, job: Job, status: JobStatus, now: float) -> None:
        state = self._state
        account = state.accounts.get(job.email)
        failure = job.failure
        refund = status == "failed" and failure is not None and not failure.charged
        if refund and job.credits and account is not None:
            account.credits += job.credits
            state.ledger.record_charge(
                time=now,
                email=job.email,
                jobid=job.jobid,
                amount=-job.credits,
                balance=account.credits,
            )
        if account is not None and job.type == "video":
            job.remaining_credits = account.credits
        http_status = failure.code if status == "failed" and failure is not None else 200
        ended = job.ends if job.ends is not None else now
        ok = status == "completed"
        state.balancer.finished(_kind(job), job.jobid, ok=ok, now=ended, status=http_status)

    # ----------------------------------------------------------------- waiting

    async def wait_until(self, deadline: float, done: Callable[[], bool] | None = None) -> bool:
        """Wait on the simulated clock until ``deadline`` or until ``done()`` is true.

        Returns ``True`` when ``done()`` became true first.
        """
        self.ensure_running()
        while True:
            now = self._state.now()
            self.settle(now)
            if done is not None and done():
                return True
            if now >= deadline:
                return False
            await asyncio.sleep(min(deadline - now, _MAX_NAP / 5))

    # ----------------------------------------------------------------- webhooks

    def notify(self, job: Job, now: float) -> None:
        """Post the job record to its ``replyUrl`` (in the background, in transition order)."""
        if not job.reply_url:
            return
        record = job.record(now, self._state.media, self._state.url)
        previous = self._last_delivery.get(job.jobid)
        task = asyncio.get_running_loop().create_task(self._deliver(job, record, previous))
        self._deliveries.add(task)
        self._last_delivery[job.jobid] = task
        task.add_done_callback(self._delivered)

    def _delivered(self, task: asyncio.Task[None]) -> None:
        self._deliveries.discard(task)
        for jobid, last in list(self._last_delivery.items()):
            if last is task:
                del self._last_delivery[jobid]

    async def _deliver(
        self, job: Job, record: dict[str, object], previous: asyncio.Task[None] | None
    ) -> None:
        assert job.reply_url is not None
        if previous is not None:  # one job's callbacks arrive in the order they happened
            await asyncio.wait([previous])
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=_WEBHOOK_TIMEOUT, trust_env=False)
        try:
            response = await self._http.post(
                job.reply_url,
                content=json.dumps(record),
                headers={"content-type": "application/json"},
            )
            outcome = str(response.status_code)
        except httpx.HTTPError as exc:
            outcome = type(exc).__name__
        self._state.ledger.record_webhook(
            time=self._state.now(),
            jobid=job.jobid,
            status=str(record.get("status")),
            url=job.reply_url,
            outcome=outcome,
        )


def _kind(job: Job) -> StatKind:  # the balancer keeps videos and images apart
    return "videos" if job.type == "video" else "images"
