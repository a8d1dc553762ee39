"""The life of one submission on the engine loop: record, send, watch, save, settle.

Why it is shaped this way (DESIGN decision 4, exactly-once spending): the ledger row is committed
*before* the POST leaves, with the row's id sent as ``replyRef`` and ``Idempotency-Key``; the
client retries only what certainly never ran (not sent, 429 throttle, 503); an unknown outcome is
reconciled through ``GET /jobs`` and never resent; and an identical request re-attaches to the job
it already bought unless ``new=True``. After acceptance the shared :class:`Poller` watches the
job, the :class:`MediaSaver` saves its outputs, and the credit tracker settles the estimate.

:class:`JobRunner` is also the :class:`~flow_widgets.runtime.jobs.JobController` of the handles
it drives (refresh, cancel). Every method runs on the engine loop except :meth:`run_sync`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flow_widgets.api.catalog import DEFAULT_CATALOG, Catalog
from flow_widgets.api.client import AsyncFlowClient, call_for
from flow_widgets.api.models import Job, JobsStats, Media
from flow_widgets.errors import (
    BudgetExceededError,
    FlowError,
    JobExpiredError,
    NotFoundError,
    PermissionDeniedError,
    UnknownOutcomeError,
)
from flow_widgets.runtime.failures import refusal_text
from flow_widgets.runtime.fresh_urls import MediaGoneError, fresh_media_url, media_gone_text
from flow_widgets.runtime.jobs import JobHandle, JobState
from flow_widgets.runtime.ledger import TERMINAL_STATES, Ledger, Submission
from flow_widgets.runtime.output_handler import OutputHandler
from flow_widgets.runtime.poller import Poller
from flow_widgets.runtime.reconcile import ReconcileTarget, find_bought_job, listing_may_hide
from flow_widgets.runtime.tracker import CreditTracker
from flow_widgets.runtime.work_item import WorkItem, request_from_submission

__all__ = ["JobRunner", "SessionClosedError", "job_run_seconds", "queue_note"]

log = logging.getLogger("flow_widgets.pipeline")


class SessionClosedError(FlowError):
    """A queued request's turn came after its session closed: nothing was recorded or sent."""


@dataclass
class _Live:
    """What the runner keeps about one submission it drives."""

    handle: JobHandle
    work: WorkItem | None
    jobid: str | None = None


class JobRunner:
    """Drives submissions from the ledger row to saved files. Lives on the engine loop.

    Args:
        client: the API client (on the engine loop).
        ledger, tracker, outputs: the session's ledger, credit tracker and output handler.
        poller: the shared status poller.
        run_sync: blocks a foreign thread on a coroutine (``Engine.run``).
        time_scale: wall seconds per API second (the embedded simulator runs faster).
        reconcile_attempts, reconcile_interval: how long an unknown outcome is searched for.
        catalog: the timings a new handle's expected duration comes from.
        spawn: starts a coroutine on the engine loop and keeps it (``Engine.spawn``); re-attaching
            many ledger rows at once must not wait for each.
    """

    def __init__(
        self,
        *,
        client: AsyncFlowClient,
        catalog: Catalog = DEFAULT_CATALOG,
        spawn: Callable[[Coroutine[Any, Any, None]], object] | None = None,
        ledger: Ledger,
        tracker: CreditTracker,
        outputs: OutputHandler,
        poller: Poller,
        run_sync: Callable[[Coroutine[Any, Any, Any], float | None], Any],
        time_scale: float = 1.0,
        reconcile_attempts: int = 12,
        reconcile_interval: float = 10.0,
    ) -> None:
        self.client = client
        self.catalog = catalog
        self._spawn_kept = spawn
        self.ledger = ledger
        self.tracker = tracker
        self.outputs = outputs
        self.poller = poller
        self._run_sync = run_sync
        self.time_scale = time_scale
        self.reconcile_attempts = reconcile_attempts
        self.reconcile_interval = reconcile_interval
        self.live: dict[str, _Live] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._by_fingerprint: dict[str, JobHandle] = {}
        #: Held by the session while it looks up and records a purchase (two threads, one buy).
        self.submit_lock = threading.Lock()

    # -- submitting ----------------------------------------------------------------------------

    async def submit(
        self,
        handle: JobHandle,
        work: WorkItem,
        *,
        client: AsyncFlowClient | None = None,
        requeue: Callable[[FlowError], bool] | None = None,
    ) -> None:
        """Send ``work`` once (or re-attach to its earlier purchase) and start watching it.

        Raises what refused the submission (budget, validation, an API status) after recording
        it, so the dispatcher can adapt; ``requeue(exc)`` says whether the handle waits for
        another try (``queued``) rather than ending ``rejected``. An unknown outcome is not
        raised: it is reconciled.
        """
        retrying = self._waiting_intent(handle, work)
        if not work.new and retrying is None:
            earlier = self.ledger.find_reusable(work.fingerprint)
            if earlier is not None:
                note = "re-attached to the identical request bought before"
                live = self.live.get(earlier.submission_id)
                if live is not None and live.handle is not handle:
                    _mirror(live.handle, handle, note)
                else:
                    await self.attach(handle, earlier, note=note)
                return
        tier = self.tracker.tier_of(work.account)
        estimate = self.tracker.estimate(work.request, tier)
        try:
            self.tracker.check_budget(estimate)
        except BudgetExceededError as exc:
            handle.apply(status="rejected", error=str(exc), charged=False, reopen=True)
            raise
        if getattr(client or self.client, "_closed", False):  # the session closed meanwhile
            message = "Not sent: the session was closed before this request's turn came."
            handle.apply(status="cancelled", error=message, charged=False, note=None)
            raise SessionClosedError(message)
        try:
            sid, earlier = self._retry_of(retrying, work) or self.ledger.begin_or_reuse(
                work.kind,
                work.request.request_path(),
                work.request.to_payload(),
                work.fingerprint,
                work.model,
                estimate,
                work.account,
                reuse=not work.new,
            )
        except (OSError, sqlite3.Error) as exc:  # disk full, read-only: nothing was sent
            error = self.ledger.write_error(exc, bought=False)
            handle.apply(status="rejected", error=str(error), charged=False, reopen=True)
            raise error from None
        if earlier is not None:
            await self.attach(
                handle, earlier, note="re-attached to the identical request bought before"
            )
            return
        self.live[sid] = _Live(handle, work)
        try:
            self.tracker.reserve(sid, work.model or work.kind, work.account, estimate)
        except BudgetExceededError as exc:
            self._refused(handle, sid, exc)
            raise
        handle.apply(
            status="submitting",
            submission_id=sid,
            estimated_credits=estimate,
            error=None,
            reopen=True,
        )
        sent_at = time.time()
        try:
            result = await (client or self.client).run(
                call_for(work.with_reply_ref(sid), idempotency_key=sid)
            )
        except UnknownOutcomeError as exc:
            await self._reconcile(handle, sid, work, sent_at, str(exc))
            return
        except FlowError as exc:
            self._refused(handle, sid, exc, again=requeue is not None and requeue(exc))
            raise
        try:
            await self._accepted(handle, sid, result)
        except (OSError, sqlite3.Error) as exc:  # bought, but not recorded: resume reconciles
            error = self.ledger.write_error(exc, bought=True)
            handle.apply(status="timed_out", error=str(error), note=None)

    def _waiting_intent(self, handle: JobHandle, work: WorkItem) -> str | None:
        """The intent this try belongs to, when the handle's last try was refused: a retry is
        one more attempt beneath the same ledger row, never a new row."""
        sid = handle.submission_id
        live = self.live.get(sid or "")
        if sid is None or live is None or live.work is None or live.handle is not handle:
            return None
        if live.work.fingerprint != work.fingerprint or not self.ledger.waiting_to_retry(sid):
            return None
        return sid

    def _retry_of(self, sid: str | None, work: WorkItem) -> tuple[str, None] | None:
        """Record the next attempt of intent ``sid`` (``None`` when it cannot take one)."""
        if sid is None or not self.ledger.retry_intent(sid, work.account):
            return None
        return sid, None

    def _refused(self, handle: JobHandle, sid: str, exc: FlowError, *, again: bool = False) -> None:
        """Nothing was bought: record the refusal in plain words (or that it waits to retry)."""
        self.tracker.settle(sid, 0)
        if again:
            self.ledger.refused_attempt(sid, str(exc))
            handle.apply(status="queued", error=None, note=f"waiting to retry: {exc}")
            return
        text = refusal_text(exc)  # a permanent refusal names its cause and fix
        self.ledger.mark_state(sid, "rejected", error=text, charged=False, credits=0)
        handle.apply(
            status="rejected",
            error=text,
            error_code=getattr(exc, "status_code", None),
            charged=False,
            credits=0,
        )

    async def _accepted(self, handle: JobHandle, sid: str, result: Any) -> None:
        if not isinstance(result, Job):
            await self.outputs.finish_payload(handle, sid, self._work(sid), result)
            return
        self.ledger.mark_accepted(sid, result.jobid, result.account_email, result.to_dict())
        self.outputs.note_accepted(sid, result.account_email)
        self.live[sid].jobid = result.jobid
        handle.apply(
            status="accepted",
            jobid=result.jobid,
            account=result.account_email,
            note=queue_note(result) or handle.state.note,
        )
        if result.is_terminal:
            await self.outputs.finish_job(handle, sid, self._work(sid), result, self._refresher)
        else:
            self._watch(handle, sid, result.jobid, elapsed_s=0.0)

    # -- unknown outcomes ----------------------------------------------------------------------

    async def _reconcile(
        self, handle: JobHandle, sid: str, work: WorkItem | None, sent_at: float, reason: str
    ) -> None:
        """Find the job an unanswered POST may have bought; never resend it."""
        row = self.ledger.mark_state(sid, "unknown", error=reason)
        if row.state != "unknown":  # another kernel owns it now, or it already settled
            await self._follow(handle, row)
            return
        handle.apply(
            status="unknown",
            submission_id=sid,
            note="the reply was lost; looking for the job in GET /jobs (nothing is resent)",
            reopen=True,
        )
        target = ReconcileTarget(
            submission_id=sid,
            kind="image" if work is not None and work.kind == "image" else "video",
            sent_at=sent_at + (self.client.server_offset or 0.0),  # on the server's clock
            prompt=work.prompt if work else None,
            model=work.model if work else None,
            account=work.account if work else None,
        )
        seen: list[JobsStats] = []

        async def listings() -> list[JobsStats]:
            seen[:] = await self._listings()
            return seen

        found = await find_bought_job(
            target,
            list_jobs=listings,
            get_job=self.client.jobs.get,
            owned=lambda jobid: _owned_by_other(self.ledger, jobid, sid),
            attempts=self.reconcile_attempts,
            interval_s=self.reconcile_interval * self.time_scale,
        )
        hidden = not seen or listing_may_hide(seen, target, now=self.client.server_time())
        if found is None and hidden:
            message = (
                "The request's reply was lost and its job could not be confirmed: GET /jobs "
                "lists only the 10 most recent jobs of the last 15 minutes, so it may have run "
                "and been charged. Nothing was resent; flow.resume() or re-running the cell "
                "checks again, and new=True buys it anew."
            )
            self.ledger.mark_state(sid, "unknown", error=message)
            handle.apply(status="timed_out", error=message, charged=None, note=None)
            return
        if found is None:
            message = (
                "The request's reply was lost and no job was found for it, so it most likely "
                "never ran; nothing was resent. Submit again with new=True to try once more."
            )
            self.ledger.mark_state(sid, "lost", error=message)
            self.tracker.settle(sid, 0)
            handle.apply(status="lost", error=message, charged=None, note=None)
            return
        handle.apply(note="found the job the lost reply had created")
        await self._accepted(handle, sid, found)

    async def _listings(self) -> list[JobsStats]:
        executing = await self.client.jobs.stats("executing")
        history = await self.client.jobs.stats("history")
        return [executing, history]

    # -- watching ------------------------------------------------------------------------------

    def _watch(self, handle: JobHandle, sid: str, jobid: str, *, elapsed_s: float) -> None:
        work = self._work(sid)
        model = work.model if work else handle.model
        self.poller.watch(
            jobid,
            expected_s=handle.expected_seconds,
            elapsed_s=elapsed_s,
            profile=f"{handle.kind}:{model}",
            on_result=lambda job: self._on_status(handle, sid, job),
            on_error=lambda exc, fatal: self._on_poll_error(handle, sid, exc, fatal),
            on_timeout=lambda: self._on_timeout(handle, sid),
        )

    def _on_status(self, handle: JobHandle, sid: str, job: Job) -> bool:
        waiting, shown = queue_note(job), handle.state.note
        if shown != waiting and (waiting is not None or (shown or "").startswith(_QUEUED)):
            handle.apply(note=waiting)  # the place in line while waiting; cleared on leaving
        if job.status == "queued":
            self.poller.hold(job.jobid)  # not running yet: its deadline counts from the start
        if not job.is_terminal:
            if job.status == "unknown":  # spec 7.1: neither done nor failed; keep watching
                said = job.raw_status or "no status"
                note = (
                    f"the API answered {said!r}, which this version does not know; still watching"
                )
                if handle.state.note != note:
                    handle.apply(note=note)
                return False
            if job.status == "started" and handle.status != "running":
                self.ledger.mark_state(sid, "running")
                handle.apply(status="running")
            return False
        # Show the news at once (a batch refills its slot on it); the ledger and files follow.
        if job.status == "completed":
            handle.apply(status="downloading")
        self._spawn(
            self.outputs.finish_job(handle, sid, self._work(sid), job, self._refresher), handle
        )
        return True

    def _on_poll_error(self, handle: JobHandle, sid: str, exc: BaseException, fatal: bool) -> None:
        if not fatal:
            handle.apply(note=f"status check failed, retrying: {exc}")
            return
        if isinstance(exc, (NotFoundError, JobExpiredError)):
            message = f"The API no longer knows this job ({exc}); its results cannot be fetched."
            self.ledger.mark_state(sid, "lost", error=message)
            handle.apply(status="lost", error=message)
        else:  # 401/403: keep the ledger row so a fixed token can resume it
            handle.apply(status="timed_out", error=_poll_refusal(exc))

    def _on_timeout(self, handle: JobHandle, sid: str) -> None:
        message = "The job did not finish before its deadline; flow.resume() looks again."
        self.ledger.mark_state(sid, "timed_out", error=message)
        handle.apply(status="timed_out", error=message)

    async def _refresher(self, sid: str, index: int, media: Media) -> str | None:
        """A fresh URL for output ``index`` of ``sid``'s job, asked once per download.

        ``GET /assets/{mediaGenerationId}`` first: it is free and still answers after the job
        record itself expired (410), when re-reading the job cannot help. Its 404 means the media
        is gone, which no later try can fix. Only an output without an id, or an assets call that
        failed for a passing reason, falls back to re-reading the job.
        """
        if media.media_generation_id:
            try:
                return await fresh_media_url(self.client, media.media_generation_id)
            except NotFoundError:
                raise MediaGoneError(media_gone_text(index)) from None
            except FlowError as exc:
                log.info("A fresh URL from the assets call failed (%s); re-reading the job", exc)
        live = self.live.get(sid)
        if live is None or live.jobid is None:
            return None
        try:
            job = await self.client.jobs.get(live.jobid)
        except FlowError:
            return None
        usable = [m for m in job.media if not m.filtered]
        return usable[index].url if index < len(usable) else None

    # -- this session's purchases, by request -------------------------------------------------

    def bought_here(self, fingerprint: str) -> JobHandle | None:
        """The handle this session already made for an identical request, if it still stands
        for a purchase (a refused, failed or lost one may be bought again)."""
        handle = self._by_fingerprint.get(fingerprint)
        if handle is None or handle.status in _NOT_REUSABLE:
            return None
        return handle

    def remember(self, fingerprint: str, handle: JobHandle) -> None:
        """Record ``handle`` as this session's purchase of the request ``fingerprint``."""
        self._by_fingerprint[fingerprint] = handle

    def reopen_for_rerun(self, handle: JobHandle) -> bool:
        """Reopen a stopped handle (cancelled, timed out, download failed) its request's re-run
        picked up again; True when the engine should :meth:`reattach` it.

        Reopened on the caller's thread, so a ``wait()`` right after the re-run cannot see the
        old terminal state before the engine gets to re-attach it."""
        if handle.status not in _WATCH_AGAIN or not self.ledger.get(handle.submission_id or ""):
            return False
        status = "accepted" if handle.jobid else "submitting"
        handle.apply(status=status, error=None, note="re-attached", reopen=True)
        return True

    # -- re-attaching --------------------------------------------------------------------------

    async def attach(
        self, handle: JobHandle, submission: Submission, *, note: str | None = None
    ) -> None:
        """Take over a submission from the ledger (an identical re-run, or a resume)."""
        sid = submission.submission_id
        if submission.state not in TERMINAL_STATES and not self.ledger.claim(sid):
            await self._follow(handle, submission, note=note)
            return
        work = self._work(sid) or request_from_submission(submission)
        self.live[sid] = _Live(handle, work, submission.jobid)
        handle.apply(
            status="accepted" if submission.jobid else "submitting",
            submission_id=sid,
            jobid=submission.jobid,
            account=submission.account,
            estimated_credits=submission.estimate,
            credits=submission.credits,
            charged=submission.charged,
            created=submission.created,
            started=submission.created,
            error=None,
            note=note,
            reopen=True,
        )
        result_in = submission.state == "completed" or (
            submission.state == "running" and submission.job is not None
        )
        ended = recorded_finish(submission, self.ledger.history(sid))
        if result_in and await self.outputs.reopen(
            handle, submission, work, self._refresher, ended
        ):
            return
        if submission.jobid is not None:
            self._watch(handle, sid, submission.jobid, elapsed_s=time.time() - submission.created)
            self.poller.poll_soon(submission.jobid)
            return
        if self.ledger.waiting_to_retry(sid):  # its last try was refused: nothing is out there
            message = (
                "Not sent again: the session that was retrying this request stopped; nothing "
                "was bought -- run the cell again."
            )
            self.ledger.mark_state(sid, "rejected", error=message, charged=False, credits=0)
            handle.apply(status="rejected", error=message, charged=False, note=None)
            return
        if submission.state in ("submitting", "unknown"):
            await self._reconcile(handle, sid, work, submission.created, "resumed without a reply")
            return
        handle.apply(status="lost", error=submission.error or "nothing to re-attach to")

    def new_handle(self, work: WorkItem | None, *, kind: str = "", **state: Any) -> JobHandle:
        """A fresh handle for ``work`` that this runner drives, its expected duration in
        wall-clock seconds."""
        expected = work.expected_seconds(self.catalog) if work is not None else 0.0
        return JobHandle(
            kind=work.kind if work is not None else kind,
            model=work.model if work is not None else None,
            prompt=work.prompt if work is not None else None,
            expected_seconds=expected * self.time_scale,
            request=work.request.to_payload() if work is not None else None,
            controller=self,
            state=JobState(**state),
        )

    def handle_for_submission(self, submission: Submission) -> JobHandle:
        """A fresh handle describing a ledger row (not yet watching it)."""
        work = request_from_submission(submission)
        handle = self.new_handle(work, kind=submission.kind, created=submission.created)
        if work is None:
            prompt = submission.payload.get("prompt")
            handle.prompt = prompt if isinstance(prompt, str) else None
            handle.model = submission.model
            handle.request = {k: v for k, v in submission.payload.items() if k != "replyRef"}
        return handle

    async def resume(self, only: str | None = None) -> list[JobHandle]:
        """Re-attach unfinished ledger rows and retry interrupted downloads; returns the handles.
        ``only``: just that submission (a row's own *resume* in the Jobs list)."""
        self.outputs.saver.clear_disk_full()
        handles: list[JobHandle] = []
        for sid, live in list(self.live.items()):
            if only is not None and sid != only:
                continue
            if live.handle.status in ("download_failed", "timed_out"):
                submission = self.ledger.get(sid)
                if submission is not None and submission.state in (
                    "running",
                    "timed_out",
                    "unknown",
                ):
                    self._start(self.attach(live.handle, submission))
                    handles.append(live.handle)
        waiting = [
            s
            for s in self.ledger.unfinished()
            if s.submission_id not in self.live and only in (None, s.submission_id)
        ]
        self.tracker.adopt(waiting)
        for submission in waiting:
            handle = self.handle_for_submission(submission)
            self._start(self.attach(handle, submission, note="resumed"))
            handles.append(handle)
        return handles

    async def reattach(self, handle: JobHandle) -> None:
        """Watch a stopped handle again (a re-run of its cell after a cancel or a timeout)."""
        submission = self.ledger.get(handle.submission_id or "")
        if submission is not None:
            self.outputs.saver.clear_disk_full()
            await self.attach(handle, submission, note="re-attached")

    def _start(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run ``coro`` alongside (kept by the engine, so a refresh never waits for it)."""
        if self._spawn_kept is not None:
            self._spawn_kept(coro)
        else:
            self._spawn(coro)

    async def _follow(
        self, handle: JobHandle, submission: Submission, *, note: str | None = None
    ) -> None:
        """Show a row another live kernel owns, read from the ledger alone (no API request, no
        write), until it settles or its owner's lease is gone -- then attach as usual."""
        sid = submission.submission_id
        handle.apply(
            status="accepted" if submission.jobid else "submitting",
            submission_id=sid,
            jobid=submission.jobid,
            error=None,
            note="another notebook on this machine is buying this request; following it here",
            reopen=True,
        )
        row: Submission | None = submission
        while row is not None and row.state not in TERMINAL_STATES:
            if not self.ledger.held_elsewhere(sid):
                break
            if row.state in ("accepted", "running") and handle.status != row.state:
                handle.apply(status=row.state, jobid=row.jobid, account=row.account)
            await asyncio.sleep(_FOLLOW_INTERVAL_S)
            row = self.ledger.get(sid)
        if row is not None:
            await self.attach(handle, row, note=note)

    # -- the handle's controller ---------------------------------------------------------------

    async def refresh_job(self, handle: JobHandle) -> None:
        sid = handle.submission_id
        live = self.live.get(sid or "")
        if sid is None or live is None or handle.status == "completed":
            return
        if live.jobid is None:
            submission = self.ledger.get(sid)
            if submission is not None:
                await self.attach(handle, submission)
            return
        job = await self.client.jobs.get(live.jobid)
        if self._on_status(handle, sid, job):
            self.poller.unwatch(live.jobid)
            await self._drain()

    async def cancel_job(self, handle: JobHandle) -> None:
        sid = handle.submission_id
        live = self.live.get(sid or "")
        if live is not None and live.jobid is not None:
            self.poller.unwatch(live.jobid)
        if sid is not None:
            self.ledger.mark_state(sid, "cancelled")
        handle.apply(status="cancelled", note="stopped watching; the remote job may still finish")

    def run_sync(self, coro: Coroutine[Any, Any, None], timeout: float | None) -> None:
        self._run_sync(coro, timeout)

    # -- helpers -------------------------------------------------------------------------------

    def _work(self, sid: str) -> WorkItem | None:
        live = self.live.get(sid)
        return live.work if live is not None else None

    def _spawn(self, coro: Coroutine[Any, Any, Any], handle: JobHandle | None = None) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(lambda done: self._task_done(done, handle))

    def _task_done(self, task: asyncio.Task[Any], handle: JobHandle | None = None) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            log.error("Finishing a job failed: %s", exc, exc_info=exc)
            if handle is not None and not handle.done:
                # Whatever broke (a read-only media folder, a full ledger disk), the job is paid
                # and its row stays re-attachable: never leave the handle "downloading".
                handle.apply(
                    status="download_failed",
                    error=f"Saving the results failed ({_plain(exc)}); the job is paid and "
                    "recorded -- fix that, then flow.resume() finishes it without buying.",
                    note=None,
                )

    async def _drain(self) -> None:
        """Wait for the finishing tasks started so far (tests and refresh use it)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


_FOLLOW_INTERVAL_S = 0.5
#: Statuses whose handle no longer stands for a purchase: a re-run buys again.
_NOT_REUSABLE = frozenset({"rejected", "failed", "lost"})
#: A re-run of an identical request picks these handles up again (the purchase stands).
_WATCH_AGAIN = frozenset({"cancelled", "timed_out", "download_failed"})


_QUEUED = "queued at the gateway"


def queue_note(job: Job) -> str | None:
    """The handle's note while a classroom gateway holds ``job`` for a slot ("queued at the
    gateway: 3rd in line, waiting 1 min 5 s"), else ``None``."""
    if job.status != "queued":
        return None
    place, wait = job.queue_position, _wait_words(job.queue_wait_s)
    if place is None or place < 1:
        return _QUEUED + (f", {wait}" if wait else "")
    tens = place % 100
    suffix = "th" if 10 <= tens <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(place % 10, "th")
    return f"{_QUEUED}: {place}{suffix} in line" + (f", {wait}" if wait else "")


def _wait_words(seconds: float | None) -> str:
    """Time in line as a student reads it: "waiting 12 s", "waiting 3 min 5 s"."""
    if seconds is None or seconds < 0:
        return ""
    whole = int(seconds)
    return f"waiting {whole // 60} min {whole % 60} s" if whole >= 60 else f"waiting {whole} s"


def _poll_refusal(exc: BaseException) -> str:
    """Why watching a bought job stopped, for a refusal of its status request (401/403).

    A submit's 403 advice (the plan, the references) does not apply to reading a job that was
    already bought, so the server's own words are kept and the advice is about access."""
    text = str(exc)
    said = text.split("(HTTP ", 1)[1].rstrip(")") if "(HTTP " in text else text
    if isinstance(exc, PermissionDeniedError):
        return (
            f"Watching stopped: the API would not show this job (HTTP {said}); the token's user "
            "may not own it or the account lost access -- check both, then flow.resume() "
            "watches it again (nothing is bought)."
        )
    return f"Watching stopped: {text} Then flow.resume() watches it again (nothing is bought)."


def _plain(exc: BaseException | None) -> str:
    """An exception in a few words: the OS's reason when it gave one, else its message."""
    if isinstance(exc, OSError) and exc.strerror:
        where = f" at {exc.filename}" if exc.filename else ""
        return f"{exc.strerror.lower()}{where}"
    return str(exc) or type(exc).__name__


def _owned_by_other(ledger: Ledger, jobid: str, sid: str) -> bool:
    """True when another submission already holds ``jobid`` (the row itself does not count)."""
    holder = ledger.by_jobid(jobid)
    return holder is not None and holder.submission_id != sid


def _mirror(source: JobHandle, target: JobHandle, note: str) -> None:
    """Make ``target`` follow ``source`` (two handles for one purchase in one session)."""

    def copy(changed: JobHandle) -> None:
        fields = {f.name: getattr(changed.state, f.name) for f in dataclasses.fields(JobState)}
        target.apply(**fields, reopen=True)

    source.on_change(copy)
    copy(source)
    target.apply(note=note)


def job_run_seconds(job: Job) -> float | None:
    """How long a finished job ran, by the server's own ``created``/``updated`` stamps."""
    if not job.created or not job.updated:
        return None
    created = datetime.fromisoformat(job.created.replace("Z", "+00:00"))
    updated = datetime.fromisoformat(job.updated.replace("Z", "+00:00"))
    return (updated - created).total_seconds()


#: Seconds a live card's end may trail the server's own run time: sending, the polling gap (at
#: most 60 s) and saving the files. A ledger record later than that was closed by a later session.
_CLOSING_SLACK_S = 120.0


def recorded_finish(submission: Submission, history: list[tuple[str, float]]) -> float | None:
    """When a re-attached job really ended, on the ledger's clock; ``None`` if not known.

    A re-attached card measures its duration from the original submission, so its end must be
    the job's own, not the moment of re-attaching. The ledger's first record of the row finished
    is what the live card showed; but when a later session closed the row (a resumed download)
    that record is late, and the submission time plus the server's own run time (its
    ``created``/``updated`` stamps) is used instead. A skewed stamp (a longer run) never wins.
    """
    closed = next((at for state, at in history if state in ("completed", "failed")), None)
    try:
        ran = job_run_seconds(Job.from_dict(submission.job)) if submission.job else None
    except (TypeError, ValueError, KeyError):
        ran = None
    by_server = submission.created + ran if ran is not None and ran >= 0 else None
    if closed is None:
        return by_server
    if by_server is not None and closed > by_server + _CLOSING_SLACK_S:
        return by_server
    return closed
