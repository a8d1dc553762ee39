"""Job handles: what ``flow.video(...)`` returns at once, and what the UI watches.

A :class:`JobHandle` is a live view of one submission. Its state is an immutable
:class:`JobState` swapped atomically by the engine thread, so any thread can read it without a
lock and never sees half an update. Observers (:meth:`JobHandle.on_change`) hear about every
change on the engine thread; the UI layer turns that into trait updates or ``update_display``.

Waiting comes in two forms that share one outcome rule (:meth:`JobHandle._outcome`): ``wait()``
blocks the calling thread (never the engine's own, which would deadlock), and ``await handle``
works from any event loop. A failed job raises :class:`~flow_widgets.errors.JobFailedError` by
default, because returning a failed job as if it succeeded is the classic pitfall of job SDKs.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from flow_widgets.errors import JobFailedError, JobTimeoutError
from flow_widgets.runtime.engine import EngineThreadError, in_engine_thread
from flow_widgets.runtime.interrupts import StoppedWaiting

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Coroutine

__all__ = [
    "FAILED_STATUSES",
    "TERMINAL_STATUSES",
    "JobController",
    "JobHandle",
    "JobState",
    "JobStatus",
    "MediaFile",
]

log = logging.getLogger("flow_widgets.jobs")

JobStatus = Literal[
    "queued",  # waiting for a free slot (batches); nothing sent yet
    "submitting",  # recorded in the ledger, the POST is on its way
    "unknown",  # the POST was sent but its fate is unknown; being reconciled
    "accepted",  # the API answered with a jobid
    "running",  # the API says the job started
    "downloading",  # finished remotely; media files are being saved
    "completed",  # every media file is on disk
    "failed",  # the job failed remotely
    "rejected",  # the API refused the request (nothing was bought)
    "timed_out",  # stopped watching at the deadline; can be re-attached
    "cancelled",  # the user stopped watching; the remote job may still run
    "lost",  # the job cannot be found (not reconcilable, expired, or not ours)
    "download_failed",  # finished remotely but saving failed (disk full, URL expired)
]

TERMINAL_STATUSES: frozenset[str] = frozenset(
    {"completed", "failed", "rejected", "timed_out", "cancelled", "lost", "download_failed"}
)
FAILED_STATUSES: frozenset[str] = frozenset({"failed", "rejected", "lost", "download_failed"})
_PROGRESS_CAP_WHILE_RUNNING = 0.95


@dataclass(frozen=True)
class MediaFile:
    """One output of a job: where it came from and where it is on disk.

    Attributes:
        index: position in the job's ``media[]``.
        kind: ``"video"``, ``"image"`` or ``"gif"``.
        media_id: the ``mediaGenerationId`` (feed it to extend, upscale, gif, concatenate).
        url: the signed download URL (expires; metadata only, never shown in full).
        path: the local file once downloaded, else ``None``.
        seed: the generation seed when the API reports it.
        size: bytes on disk.
        sha256: checksum of the file on disk.
        duration: seconds of video, when the API reports it.
    """

    index: int
    kind: str
    media_id: str | None = None
    url: str | None = field(default=None, repr=False)
    path: Path | None = None
    seed: int | None = None
    size: int | None = None
    sha256: str | None = None
    duration: float | None = None

    @property
    def saved(self) -> bool:
        """True when the file is on disk."""
        return self.path is not None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able view (the URL is reduced to host and path)."""
        return {
            "index": self.index,
            "kind": self.kind,
            "media_id": self.media_id,
            "url": _url_without_query(self.url),
            "path": str(self.path) if self.path is not None else None,
            "seed": self.seed,
            "size": self.size,
            "sha256": self.sha256,
            "duration": self.duration,
        }


def _url_without_query(url: str | None) -> str | None:
    if url is None:
        return None
    base, sep, _ = url.partition("?")
    return base + ("?…" if sep else "")


@dataclass(frozen=True)
class JobState:
    """Everything a handle knows, as one immutable value (swapped atomically on change)."""

    status: JobStatus = "queued"
    jobid: str | None = None
    submission_id: str | None = None
    account: str | None = None
    created: float = field(default_factory=time.time)
    updated: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    credits: int | None = None
    estimated_credits: int | None = None
    charged: bool | None = None
    media: tuple[MediaFile, ...] = ()
    error: str | None = None
    error_code: int | None = None
    note: str | None = None
    result: Any = None


class JobController(Protocol):
    """What a handle asks of the runtime that drives it (the session implements this)."""

    def refresh_job(self, handle: JobHandle) -> Coroutine[Any, Any, None]:
        """Re-read the job from the API now."""
        ...

    def cancel_job(self, handle: JobHandle) -> Coroutine[Any, Any, None]:
        """Stop polling the job and mark it cancelled (the remote job is untouched)."""
        ...

    def run_sync(self, coro: Coroutine[Any, Any, None], timeout: float | None) -> None:
        """Run ``coro`` on the engine and block until it is done."""
        ...


Observer = Callable[["JobHandle"], None]


class JobHandle:
    """A live, thread-safe view of one generation (or upload, voice, character…).

    Read it from anywhere: ``status``, ``progress``, ``media``, ``error``, ``credits``… Wait with
    ``handle.wait(timeout)`` or ``await handle``. Watch with ``handle.on_change(callback)``.
    """

    def __init__(
        self,
        *,
        kind: str,
        model: str | None = None,
        prompt: str | None = None,
        expected_seconds: float = 0.0,
        request: Mapping[str, Any] | None = None,
        controller: JobController | None = None,
        state: JobState | None = None,
    ) -> None:
        self.kind = kind
        self.model = model
        self.prompt = prompt
        self.expected_seconds = expected_seconds
        self.request: Mapping[str, Any] = dict(request or {})
        self._controller = controller
        self._state = state or JobState()
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._observers: list[Observer] = []
        if self._state.status in TERMINAL_STATUSES:
            self._done.set()

    # -- reading -------------------------------------------------------------------------------

    @property
    def state(self) -> JobState:
        """The whole current state, as one consistent value."""
        return self._state

    @property
    def status(self) -> JobStatus:
        return self._state.status

    @property
    def jobid(self) -> str | None:
        return self._state.jobid

    @property
    def submission_id(self) -> str | None:
        return self._state.submission_id

    @property
    def account(self) -> str | None:
        """The Google account (email) the job runs on, once known."""
        return self._state.account

    @property
    def created(self) -> float:
        """Epoch seconds when the handle was created (the user's intent)."""
        return self._state.created

    @property
    def updated(self) -> float:
        return self._state.updated

    @property
    def credits(self) -> int | None:
        """Credits charged when known, else the estimate made before sending."""
        state = self._state
        return state.credits if state.credits is not None else state.estimated_credits

    @property
    def charged(self) -> bool | None:
        """Whether credits were spent: True, False, or None while unknown."""
        return self._state.charged

    @property
    def media(self) -> list[MediaFile]:
        return list(self._state.media)

    @property
    def media_id(self) -> str | None:
        """The first output's ``mediaGenerationId`` (what extend, upscale or a reference takes)."""
        media = self._state.media
        return media[0].media_id if media else None

    @property
    def result(self) -> Any:
        """The parsed result for kinds that are not media (a ``Voice``, ``Character``…)."""
        return self._state.result

    @property
    def error(self) -> str | None:
        """What went wrong, in plain words (already free of secrets)."""
        return self._state.error

    @property
    def done(self) -> bool:
        """True once the status is terminal."""
        return self._state.status in TERMINAL_STATUSES

    @property
    def ok(self) -> bool:
        return self._state.status == "completed"

    @property
    def elapsed(self) -> float:
        """Seconds since the job started (or until it finished)."""
        state = self._state
        if state.started is None:
            return 0.0
        end = state.finished if state.finished is not None else time.time()
        return max(0.0, end - state.started)

    @property
    def progress(self) -> float:
        """An estimate from 0 to 1: elapsed over expected time, held below 1 until done."""
        state = self._state
        if state.status == "completed":
            return 1.0
        if state.status in ("queued", "submitting") or state.started is None:
            return 0.0
        if state.status == "downloading":
            return _PROGRESS_CAP_WHILE_RUNNING
        if self.expected_seconds <= 0:
            return 0.0
        return min(_PROGRESS_CAP_WHILE_RUNNING, self.elapsed / self.expected_seconds)

    @property
    def paths(self) -> list[Path]:
        """Local files of the media saved so far."""
        return [m.path for m in self._state.media if m.path is not None]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able summary (for tables, the dashboard and tests)."""
        state = self._state
        return {
            "kind": self.kind,
            "model": self.model,
            "prompt": self.prompt,
            "status": state.status,
            "jobid": state.jobid,
            "submission_id": state.submission_id,
            "account": state.account,
            "created": state.created,
            "updated": state.updated,
            "expected_seconds": self.expected_seconds,
            "progress": round(self.progress, 3),
            "credits": self.credits,
            "charged": state.charged,
            "media": [m.to_dict() for m in state.media],
            "error": state.error,
        }

    def __repr__(self) -> str:
        prompt = self.prompt or ""
        short = prompt if len(prompt) <= 40 else prompt[:39] + "…"
        model = f" {self.model}" if self.model else ""
        return f"<JobHandle {self.kind}{model} {self.status} {short!r}>"

    # -- observing -----------------------------------------------------------------------------

    def on_change(self, callback: Observer) -> Callable[[], None]:
        """Call ``callback(handle)`` after every change (on the engine thread); returns an
        unsubscribe function. Keep callbacks cheap: they run on the engine loop."""
        with self._lock:
            self._observers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._observers:
                    self._observers.remove(callback)

        return unsubscribe

    # -- changing (runtime side) ---------------------------------------------------------------

    def apply(self, *, reopen: bool = False, **changes: Any) -> JobState:
        """Swap in a new state with ``changes`` (:class:`JobState` fields) and notify observers.

        The controller API of a handle: only the parts that drive a job call it -- the
        :class:`~flow_widgets.runtime.job_runner.JobRunner` and its output handler, the
        dispatcher, uploads, batches and the session's same-request re-run. Displays never
        change a handle; they read it and subscribe with :meth:`on_change`.

        A finished job keeps its terminal status (a late poll answer cannot undo a cancel)
        unless ``reopen`` is set, which is what re-attaching does.
        """
        with self._lock:
            current = self._state
            new_status = changes.get("status", current.status)
            if (
                current.status in TERMINAL_STATUSES
                and new_status not in TERMINAL_STATUSES
                and not reopen
            ):
                changes.pop("status")
                new_status = current.status
            now = time.time()
            changes.setdefault("updated", now)
            if new_status in ("accepted", "running") and current.started is None:
                changes.setdefault("started", now)
            if new_status in TERMINAL_STATUSES:
                if current.finished is None:
                    changes.setdefault("finished", now)
            else:
                changes["finished"] = None
            state = dataclasses.replace(current, **changes)
            self._state = state
            observers = list(self._observers)
            if state.status not in TERMINAL_STATUSES:
                self._done.clear()
        for callback in observers:
            try:
                callback(self)
            except Exception:
                log.exception("A job observer failed")
        # Done only after the observers ran: wait() returns once the card shows the result.
        with self._lock:
            if self._state.status in TERMINAL_STATUSES:
                self._done.set()
        return state

    # -- waiting -------------------------------------------------------------------------------

    def wait(self, timeout: float | None = None, *, raise_on_failure: bool = True) -> JobHandle:
        """Block this thread until the job is done (``timeout`` seconds at most).

        Raises:
            JobFailedError: the job failed, was rejected, lost, or its media could not be saved
                (unless ``raise_on_failure=False``).
            JobTimeoutError: ``timeout`` passed first, or the job hit its polling deadline. The
                job is still tracked and can be waited on again.
            EngineThreadError: called from the engine thread (use ``await`` there).
            StoppedWaiting: interrupted (a ``KeyboardInterrupt``); the job runs on.
        """
        if in_engine_thread():
            raise EngineThreadError(
                "JobHandle.wait() was called on the flow_widgets engine thread, where it would "
                "deadlock; use 'await handle' in engine-side code."
            )
        started = time.monotonic()
        try:
            finished = self._done.wait(timeout)
        except KeyboardInterrupt:  # only the waiting stops: say so in one line
            raise StoppedWaiting() from None
        return self._outcome(finished, time.monotonic() - started, raise_on_failure)

    async def wait_async(
        self, timeout: float | None = None, *, raise_on_failure: bool = True
    ) -> JobHandle:
        """The ``await`` form of :meth:`wait`; works on any event loop, the engine's included."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()

        def resolve() -> None:
            if not done.done():
                done.set_result(None)

        def on_change(handle: JobHandle) -> None:
            if handle.done:
                loop.call_soon_threadsafe(resolve)

        unsubscribe = self.on_change(on_change)
        started = time.monotonic()
        try:
            if self.done:
                resolve()
            try:
                await asyncio.wait_for(done, timeout)
                finished = True
            except asyncio.TimeoutError:
                finished = self.done
        finally:
            unsubscribe()
        return self._outcome(finished, time.monotonic() - started, raise_on_failure)

    def __await__(self) -> Generator[Any, None, JobHandle]:
        return self.wait_async().__await__()

    def _outcome(self, finished: bool, waited: float, raise_on_failure: bool) -> JobHandle:
        """The one rule both wait forms follow."""
        state = self._state
        if not finished:
            if not raise_on_failure:
                return self
            raise JobTimeoutError(
                f"The {self.kind} job is still {state.status} after {waited:.0f} s; it keeps "
                "running, so wait again or check flow.jobs() later.",
                job=self,
                waited=waited,
            )
        if not raise_on_failure:
            return self
        if state.status == "timed_out":
            raise JobTimeoutError(
                f"The {self.kind} job did not finish before its polling deadline; it may still "
                "finish remotely, so call flow.resume() to look again.",
                job=self,
                waited=waited,
            )
        if state.status in FAILED_STATUSES:
            reason = state.error or "no reason was given"
            raise JobFailedError(f"The {self.kind} job {state.status}: {reason}", job=self)
        return self

    # -- actions -------------------------------------------------------------------------------

    def refresh(self, timeout: float | None = 60.0) -> JobHandle:
        """Re-read the job from the API now (blocks until the answer is in)."""
        controller = self._require_controller()
        controller.run_sync(controller.refresh_job(self), timeout)
        return self

    def cancel(self, timeout: float | None = 30.0) -> JobHandle:
        """Stop watching this job. The remote job is not stopped (the API cannot do that);
        ``flow.resume()`` or an identical request re-attaches to it later."""
        controller = self._require_controller()
        if not self.done:
            controller.run_sync(controller.cancel_job(self), timeout)
        return self

    def _require_controller(self) -> JobController:
        if self._controller is None:
            raise RuntimeError("This job handle is detached from any session.")
        return self._controller
