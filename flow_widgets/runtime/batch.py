"""Batches: many prompts through the API at the pace the accounts allow, without waste.

Why: a class of thirty students or a prompt sweep over a spreadsheet is a batch, and the naive
way (submit one by one and poll each every 15 s, as the vendor's example does) leaves slots idle
and trips throttles. A :class:`Batch` validates every row first (a bad row fails at once, naming
its number), checks the whole estimated cost against the budget before anything is sent, then
keeps each account's slots full (:class:`~flow_widgets.runtime.slots.SlotPool`), refilling a slot
the moment the shared poller sees a job end. A throttled row goes back to the queue; a 402 or a
budget refusal stops submitting while what runs finishes; a quota closes that account only.
Identical rows bought before are re-attached, not bought again.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flow_widgets.errors import (
    BudgetExceededError,
    FlowError,
    InsufficientCreditsError,
    JobTimeoutError,
    NoEligibleAccountError,
    QuotaExceededError,
    ThrottledError,
    ValidationError,
)
from flow_widgets.runtime.jobs import FAILED_STATUSES, TERMINAL_STATUSES, JobHandle
from flow_widgets.runtime.slots import Lane, SlotPool
from flow_widgets.runtime.work import Work

if TYPE_CHECKING:  # pragma: no cover
    from flow_widgets.runtime.session import FlowSession

__all__ = ["BATCH_KINDS", "SLOTS_PER_ACCOUNT", "Batch", "BatchProgress", "rows_of"]

#: Executing jobs per account a batch starts from (the simulator's caps, which follow useapi's
#: documented per-account concurrency; a 429 lowers them).
SLOTS_PER_ACCOUNT = {"video": 4, "extend": 4, "upscale": 4, "image": 8}
BATCH_KINDS = frozenset(SLOTS_PER_ACCOUNT)
_PAID_VIDEO = frozenset({"video", "extend", "upscale"})
_REMOTE_ACTIVE = frozenset({"queued", "submitting", "unknown", "accepted", "running"})


def rows_of(rows: Any) -> list[dict[str, Any]]:
    """Rows as dicts: strings become ``{"prompt": …}``; a DataFrame gives its records."""
    if hasattr(rows, "to_dict") and hasattr(rows, "columns"):
        rows = rows.to_dict("records")
    result: list[dict[str, Any]] = []
    for row in rows:
        if isinstance(row, str):
            result.append({"prompt": row})
        elif isinstance(row, Mapping):
            result.append({str(k): v for k, v in row.items()})
        else:
            raise ValidationError(
                f"Batch rows must be prompts (text) or dicts of options, not {type(row).__name__}.",
                field="rows",
            )
    return result


@dataclass(frozen=True)
class BatchProgress:
    """How far a batch has come."""

    total: int
    queued: int
    running: int
    completed: int
    failed: int
    stopped: int

    @property
    def done(self) -> int:
        return self.completed + self.failed + self.stopped

    def __str__(self) -> str:
        return (
            f"{self.done}/{self.total} done: {self.completed} completed, {self.failed} failed, "
            f"{self.stopped} not sent, {self.running} running, {self.queued} queued"
        )


@dataclass
class _Item:
    row: dict[str, Any]
    work: Work
    handle: JobHandle


class Batch:
    """A running batch. Returned at once by ``flow.batch(...)``; wait with :meth:`wait`."""

    def __init__(
        self, flow: FlowSession, items: list[_Item], *, kind: str, concurrency: int | None
    ) -> None:
        self.flow = flow
        self.kind = kind
        self.concurrency = concurrency
        self._items = items
        self.stop_reason: str | None = None
        self._stop = threading.Event()
        self.pool: SlotPool | None = None
        self._future = flow.engine.submit(self._run())

    @classmethod
    def start(
        cls,
        flow: FlowSession,
        rows: Iterable[Any],
        *,
        kind: str = "video",
        concurrency: int | None = None,
        new: bool = False,
        **defaults: Any,
    ) -> Batch:
        """Validate every row, check the total against the budget, then start submitting."""
        if kind not in BATCH_KINDS:
            raise ValidationError(
                f"kind {kind!r} cannot be batched; use one of {', '.join(sorted(BATCH_KINDS))}.",
                field="kind",
            )
        if concurrency is not None and concurrency < 1:
            raise ValidationError("concurrency must be 1 or more.", field="concurrency")
        items: list[_Item] = []
        for number, row in enumerate(rows_of(rows), start=1):
            try:
                work = flow._build(kind, {**defaults, **row}, new=new)
            except ValidationError as exc:
                raise ValidationError(f"Row {number}: {exc}", field=exc.field) from None
            items.append(_Item(row, work, flow._wiring.new_handle(work, status="queued")))
        flow._wiring.precheck_total([item.work for item in items])
        return cls(flow, items, kind=kind, concurrency=concurrency)

    def __repr__(self) -> str:
        return f"<Batch {self.kind} {self.progress}>"

    # -- reading -------------------------------------------------------------------------------

    @property
    def jobs(self) -> list[JobHandle]:
        return [item.handle for item in self._items]

    def __len__(self) -> int:
        return len(self._items)

    @property
    def progress(self) -> BatchProgress:
        counts = {"queued": 0, "running": 0, "completed": 0, "failed": 0, "stopped": 0}
        for item in self._items:
            status = item.handle.status
            if status == "completed":
                counts["completed"] += 1
            elif status in FAILED_STATUSES or status == "timed_out":
                counts["failed"] += 1
            elif status == "cancelled":
                counts["stopped"] += 1
            elif status == "queued":
                counts["queued"] += 1
            else:
                counts["running"] += 1
        return BatchProgress(total=len(self._items), **counts)

    @property
    def done(self) -> bool:
        return self._future.done()

    def results(self) -> list[dict[str, Any]]:
        """One row per item: prompt, status, files, credits, error (and the job id)."""
        return [
            {
                "prompt": item.handle.prompt,
                "status": item.handle.status,
                "files": [str(p) for p in item.handle.paths],
                "credits": item.handle.credits,
                "error": item.handle.error,
                "jobid": item.handle.jobid,
            }
            for item in self._items
        ]

    def to_pandas(self) -> Any:
        """The results table as a pandas DataFrame (pandas must be installed)."""
        import pandas

        return pandas.DataFrame(self.results())

    # -- waiting and stopping ------------------------------------------------------------------

    def wait(self, timeout: float | None = None) -> Batch:
        """Block until every item is finished (or was not sent); failures are in the results."""
        try:
            self._future.result(timeout)
        except TimeoutError:
            raise JobTimeoutError(
                f"The batch is still running after {timeout} s ({self.progress}); wait again.",
                job=self,
                waited=timeout or 0.0,
            ) from None
        return self

    def __await__(self) -> Any:
        return asyncio.wrap_future(self._future).__await__()

    def stop(self, reason: str = "the batch was stopped") -> None:
        """Send nothing more; jobs already running still finish and are saved."""
        self.stop_reason = self.stop_reason or reason
        self._stop.set()
        pool = self.pool
        if pool is not None:
            self.flow.engine.call_soon(pool.close)

    # -- the engine side -----------------------------------------------------------------------

    async def _run(self) -> Batch:
        self.pool = pool = await self._make_pool()
        if self._stop.is_set():
            pool.close()
        queue: deque[_Item] = deque(self._items)
        running: set[asyncio.Task[None]] = set()
        while True:
            if not queue:  # a throttled row may still come back from a runner
                if not running:
                    break
                await asyncio.wait(set(running), return_when=asyncio.FIRST_COMPLETED)
                continue
            lane = await pool.acquire()
            if lane is None:
                break
            item = queue.popleft()
            task = asyncio.get_running_loop().create_task(self._one(item, lane, pool, queue))
            running.add(task)
            task.add_done_callback(running.discard)
        while running:
            await asyncio.gather(*list(running), return_exceptions=True)
        for item in queue:
            item.handle._update(
                status="cancelled", error=f"Not sent: {self.stop_reason or 'stopped'}."
            )
        return self

    async def _make_pool(self) -> SlotPool:
        tracker = self.flow.tracker
        if not tracker.accounts():
            with contextlib.suppress(FlowError):  # no accounts known: one lane, the balancer's
                await self.flow._wiring.refresh_accounts()
        cap = SLOTS_PER_ACCOUNT[self.kind]
        lanes: dict[str | None, int] = {
            account.email: cap
            for account in tracker.accounts()
            if account.healthy and not (self.kind in _PAID_VIDEO and account.tier == "free")
        }
        return SlotPool(lanes or {None: cap}, total=self.concurrency)

    async def _one(self, item: _Item, lane: Lane, pool: SlotPool, queue: deque[_Item]) -> None:
        work = item.work.on_account(lane.account) if lane.account else item.work
        remote_done = asyncio.Event()
        loop = asyncio.get_running_loop()

        def watch(handle: JobHandle) -> None:
            if handle.status not in _REMOTE_ACTIVE:
                loop.call_soon_threadsafe(remote_done.set)

        unsubscribe = item.handle.on_change(watch)
        try:
            try:
                await self.flow.runner.submit(
                    item.handle, work, client=self.flow._wiring.batch_client
                )
            except ThrottledError as exc:  # nothing bought: back to the queue, account slows
                pool.throttled(lane, exc.retry_after)
                _requeue(item, queue)
                return
            except (QuotaExceededError, NoEligibleAccountError) as exc:
                pool.close(lane if lane.account else None)
                self.stop_reason = str(exc)
                if not pool.closed:
                    _requeue(item, queue)
                return
            except (InsufficientCreditsError, BudgetExceededError) as exc:
                self.stop_reason = str(exc)
                pool.close()
                return
            except FlowError:  # refused for this row only (content, validation…): on the handle
                return
            pool.accepted(lane)
            if item.handle.status in _REMOTE_ACTIVE:
                await remote_done.wait()
        finally:
            pool.release(lane)  # the slot frees as soon as the job stops running remotely
            unsubscribe()
        if item.handle.status not in TERMINAL_STATUSES:
            await item.handle.wait_async(raise_on_failure=False)


def _requeue(item: _Item, queue: deque[_Item]) -> None:
    """Put a row that bought nothing back at the front of the queue."""
    item.handle._update(status="queued", error=None, reopen=True)
    queue.appendleft(item)
