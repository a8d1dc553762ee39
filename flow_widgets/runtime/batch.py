"""Batches: many prompts through the API at the pace the accounts allow, without waste.

Why: a class of thirty students or a prompt sweep over a spreadsheet is a batch, and the naive
way (submit one by one and poll each every 15 s, as the vendor's example does) leaves slots idle
and trips throttles. A :class:`Batch` validates every row first (a bad row fails at once, naming
its number), checks the whole estimated cost against the budget before anything is sent, then
keeps every account's slots full through the session's
:class:`~flow_widgets.runtime.dispatcher.Dispatcher`, refilling a slot the moment the shared poller
sees a job end. A throttled row waits for the next free slot; a 401, a 402, a spent quota or a
budget refusal stops submitting while what runs finishes (a rejected token is refused for every
row alike, so sending the rest would only collect more refusals); a row whose model is out of
its daily quota on every account is refused alone. Identical rows bought before are
re-attached, not bought again.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flow_widgets.api.requests import FlowRequest
from flow_widgets.errors import (
    AuthenticationError,
    BudgetExceededError,
    FlowError,
    InsufficientCreditsError,
    JobTimeoutError,
    NoEligibleAccountError,
    QuotaExceededError,
    ValidationError,
)
from flow_widgets.runtime.dispatcher import PER_MODEL_QUOTA, Dispatcher, ModelBlocked, NotSent
from flow_widgets.runtime.engine import Engine
from flow_widgets.runtime.jobs import FAILED_STATUSES, TERMINAL_STATUSES, JobHandle
from flow_widgets.runtime.slots import SlotPool
from flow_widgets.runtime.work_item import WorkItem

__all__ = ["Batch", "BatchProgress", "batch_class", "rows_of"]


def batch_class(kind: str) -> type[FlowRequest]:
    """The request class of ``kind``, refused in one sentence when it cannot be batched: a batch
    is for the kinds whose request class counts against a per-account cap (``slot_group``),
    which the dispatcher keeps full."""
    cls = FlowRequest.for_kind(kind)
    if cls is None or cls.slot_group is None:
        batchable = (k for k in FlowRequest.kinds() if _class(k).slot_group is not None)
        raise ValidationError(
            f"kind {kind!r} cannot be batched; use one of {', '.join(sorted(batchable))}.",
            field="kind",
        )
    return cls


def _class(kind: str) -> type[FlowRequest]:
    cls = FlowRequest.for_kind(kind)
    assert cls is not None  # kinds() lists only registered kinds
    return cls


_STOPPERS = (
    AuthenticationError,
    InsufficientCreditsError,
    BudgetExceededError,
    QuotaExceededError,
    NoEligibleAccountError,
)


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
    work: WorkItem
    handle: JobHandle


class Batch:
    """A running batch. Returned at once by ``flow.batch(...)``; wait with :meth:`wait`.

    Args:
        engine: runs the batch's submissions.
        dispatcher: the session's gate, which finds each job a slot.
        items: each row's validated work and its ``queued`` handle (the session made them, after
            quoting the whole batch against the budget).
        kind: the kind of every row.
        concurrency: at most this many of the batch's jobs at once (default: every slot).
    """

    def __init__(
        self,
        engine: Engine,
        dispatcher: Dispatcher,
        items: list[tuple[WorkItem, JobHandle]],
        *,
        kind: str,
        concurrency: int | None,
    ) -> None:
        self.kind = kind
        self.concurrency = concurrency
        self._dispatcher = dispatcher
        self._items = [_Item(work, handle) for work, handle in items]
        self.stop_reason: str | None = None
        self._stop = threading.Event()
        self.pool: SlotPool | None = None
        self._future = engine.submit(self._run())

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

    # -- the engine side -----------------------------------------------------------------------

    async def _run(self) -> Batch:
        dispatcher = self._dispatcher
        group = self._items[0].work.request.slot_group if self._items else None
        self.pool = pool = await dispatcher.pool(group)
        width = self.concurrency or (sum(lane.cap for lane in pool.lanes) if pool else 8)
        gate = asyncio.Semaphore(width)

        async def one(item: _Item) -> None:
            async with gate:  # at most `concurrency` of this batch's jobs run at once
                if self._stop.is_set():
                    self._not_sent(item)
                    return
                try:
                    await dispatcher.submit(item.handle, item.work, withdrawn=self._stop.is_set)
                except ModelBlocked:  # this row's model only; the refusal is on its handle
                    return
                except NotSent as exc:
                    if item.handle.status != "rejected":  # withdrawn, rather than refused
                        self._not_sent(item)
                    else:
                        self.stop(str(exc))
                    return
                except _STOPPERS as exc:  # token, account or budget spent: send no more
                    if getattr(exc, "reason", None) != PER_MODEL_QUOTA:  # else: this model only
                        self.stop(str(exc))
                    return
                except FlowError:  # refused for this row only (content, validation…): on the handle
                    return
            if item.handle.status not in TERMINAL_STATUSES:  # saving files needs no slot
                await item.handle.wait_async(raise_on_failure=False)

        await asyncio.gather(*(one(item) for item in self._items))
        return self

    def _not_sent(self, item: _Item) -> None:
        item.handle.apply(
            status="cancelled", error=f"Not sent: {self.stop_reason or 'the batch was stopped'}."
        )
