"""Batches: many prompts through the API at the pace the accounts allow, without waste.

Why: a class of thirty students or a prompt sweep over a spreadsheet is a batch, and the naive
way (submit one by one and poll each every 15 s, as the vendor's example does) leaves slots idle
and trips throttles. A :class:`Batch` validates every row first (a bad row fails at once, naming
its number), checks the whole estimated cost against the budget before anything is sent, then
keeps every account's slots full through the session's
:class:`~flow_widgets.runtime.dispatch.Dispatcher`, refilling a slot the moment the shared poller
sees a job end. A throttled row waits for the next free slot; a 401, a 402, a spent quota or a
budget refusal stops submitting while what runs finishes (a rejected token is refused for every
row alike, so sending the rest would only collect more refusals); a row whose model is out of
its daily quota on every account is refused alone. Identical rows bought before are
re-attached, not bought again.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

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
from flow_widgets.runtime.dispatch import GROUPS, PER_MODEL_QUOTA, ModelBlocked, NotSent
from flow_widgets.runtime.jobs import FAILED_STATUSES, TERMINAL_STATUSES, JobHandle
from flow_widgets.runtime.slots import SlotPool
from flow_widgets.runtime.work import Work

if TYPE_CHECKING:  # pragma: no cover
    from flow_widgets.runtime.session import FlowSession

__all__ = ["BATCH_KINDS", "Batch", "BatchProgress", "rows_of"]

#: Kinds a batch can submit (the ones with a per-account cap the dispatcher gates).
BATCH_KINDS = frozenset(GROUPS)
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

    # -- the engine side -----------------------------------------------------------------------

    async def _run(self) -> Batch:
        dispatcher = self.flow._wiring.dispatcher
        self.pool = pool = await dispatcher.pool(self.kind)
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
        item.handle._update(
            status="cancelled", error=f"Not sent: {self.stop_reason or 'the batch was stopped'}."
        )
