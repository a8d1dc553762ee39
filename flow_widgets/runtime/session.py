"""The session: one per kernel, the Python API users type, and the composition root.

Why it exists: everything the runtime needs -- settings and token, the engine thread, the API
client, the ledger, the credit tracker, the shared poller, the media saver -- is built here,
once, and wired together, so the rest of the runtime never looks anything up. Each generation
method validates its arguments on the caller's thread (bad input fails at once, in one plain
sentence, with nothing sent), checks the budget, and hands the work to the engine; it returns a
:class:`~flow_widgets.runtime.jobs.JobHandle` immediately, and the cell is free again.

With no token the embedded simulator is started (and announced once); with ``USEAPI_TOKEN`` the
real API is used -- the same code path either way. On start, unfinished jobs from the ledger are
re-attached (``flow.resume()`` does it again on demand).

Example:
    >>> import flow_widgets as fw                                              # doctest: +SKIP
    >>> flow = fw.session()                                                    # doctest: +SKIP
    >>> job = flow.video("a red fox in snow", model="veo-3.1-lite")            # doctest: +SKIP
    >>> job.wait(timeout=600).media[0].path                                    # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, Literal, cast

from flow_widgets.api.catalog import DEFAULT_CATALOG, Catalog
from flow_widgets.api.requests import ConcatClip
from flow_widgets.errors import FlowError, ValidationError
from flow_widgets.runtime import notebooks
from flow_widgets.runtime.credit_snapshot import CreditSnapshot
from flow_widgets.runtime.engine import Engine
from flow_widgets.runtime.jobs import JobHandle, JobState
from flow_widgets.runtime.routing import route_work
from flow_widgets.runtime.settings import Settings
from flow_widgets.runtime.wiring import Wiring
from flow_widgets.runtime.work import KIND_REQUESTS, Work, request_from_submission

if TYPE_CHECKING:  # pragma: no cover
    from flow_widgets.api.client import AsyncFlowClient
    from flow_widgets.api.models import Character, Voice
    from flow_widgets.runtime.batch import Batch
    from flow_widgets.simulator.server import RunningSimulator

__all__ = ["FlowSession", "current_session", "session", "shutdown"]

log = logging.getLogger("flow_widgets.session")

#: A re-run of an identical request picks these handles up again (the purchase stands).
_WATCH_AGAIN = frozenset({"cancelled", "timed_out", "download_failed"})


class FlowSession:
    """Generate, watch, download and account for Google Flow jobs from Python.

    Args:
        settings: resolved settings (default: arguments/environment/``.env``).
        simulator: a running simulator to talk to instead of the API or the embedded one.
        budget: a session budget in credits (``None``: no limit).
        catalog: prices and timings (default: the built-in catalog).
        auto_resume: re-attach unfinished jobs from the ledger on start.
        announce: where the one-line "using the simulator" notice goes (default stderr).
        time_scale: wall seconds per API second, when talking to an accelerated simulator that
            this session did not start (default: the simulator's own, else 1).
        slots_per_account: jobs one account may run at once, per kind (default
            ``{"video": 4, "image": 8}``); raise it for accounts known to take more.
        **settings_overrides: ``token``, ``media_dir``, ``data_dir``… when ``settings`` is
            not given.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        simulator: RunningSimulator | None = None,
        budget: int | None = None,
        catalog: Catalog = DEFAULT_CATALOG,
        auto_resume: bool = True,
        announce: Callable[[str], None] | None = None,
        time_scale: float | None = None,
        slots_per_account: Mapping[str, int] | None = None,
        engine: Engine | None = None,
        **settings_overrides: Any,
    ) -> None:
        self.settings = settings or Settings.resolve(**settings_overrides)
        self.engine = engine or Engine.get()
        self._wiring = Wiring.build(
            self.settings,
            self.engine,
            simulator=simulator,
            budget=budget,
            catalog=catalog,
            announce=announce,
            time_scale=time_scale,
            slots_per_account=slots_per_account,
        )
        self.simulator = self._wiring.simulator
        self.ledger = self._wiring.ledger
        self.tracker = self._wiring.tracker
        self.runner = self._wiring.runner
        self.catalog = catalog
        self._closed = False
        self._wiring.refresh_accounts_soon()
        if auto_resume:
            self.resume()

    def __repr__(self) -> str:
        where = "simulator" if self.simulated else "api"
        return f"<FlowSession {where} jobs={len(self.runner.live)} {self.tracker!r}>"

    @property
    def simulated(self) -> bool:
        """True when this session talks to a simulator, not the real API."""
        return self.simulator is not None

    # -- generation ----------------------------------------------------------------------------

    def video(self, prompt: str, *, new: bool = False, **options: Any) -> JobHandle:
        """Start a video (Veo 3.1 / Omni Flash); returns at once. Options are
        :class:`~flow_widgets.api.requests.VideoRequest`'s (``model``, ``aspect_ratio``,
        ``duration``, ``count``, ``seed``, ``start_image``, ``reference_images``…)."""
        return self._start(self._build("video", {"prompt": prompt, **options}, new=new))

    def image(self, prompt: str, *, new: bool = False, **options: Any) -> JobHandle:
        """Generate images (Nano Banana / Imagen 4); ``count`` defaults to 1 here."""
        return self._start(self._build("image", {"prompt": prompt, **options}, new=new))

    def extend(self, video: Any, prompt: str, *, new: bool = False, **options: Any) -> JobHandle:
        """Continue a Veo video by about 8 s (``video``: a media id or a finished handle)."""
        fields = {"media_generation_id": _media_id(video), "prompt": prompt, **options}
        return self._start(self._build("extend", fields, new=new))

    def upscale(self, media: Any, *, new: bool = False, **options: Any) -> JobHandle:
        """Upscale a video (``resolution`` 1080p/4K) or an image (2k/4k)."""
        media_id = _media_id(media)
        kind = "image_upscale" if "-image:" in media_id else "upscale"
        return self._start(self._build(kind, {"media_generation_id": media_id, **options}, new=new))

    def gif(self, video: Any, *, new: bool = False) -> JobHandle:
        """An animated GIF preview of a generated video (free)."""
        return self._start(self._build("gif", {"media_generation_id": _media_id(video)}, new=new))

    def concatenate(self, clips: Sequence[Any], *, new: bool = False) -> JobHandle:
        """Join 2–10 videos of one account into one MP4 (ids, handles or ``ConcatClip``)."""
        items = tuple(c if isinstance(c, ConcatClip) else ConcatClip(_media_id(c)) for c in clips)
        return self._start(self._build("concatenate", {"clips": items}, new=new))

    def voice(self, *, new: bool = False, **options: Any) -> JobHandle:
        """Create a custom voice (``voice`` preset, ``display_name``, ``dialog``,
        ``voice_performance``; ``email`` defaults to ``USEAPI_EMAIL``)."""
        return self._start(self._build("voice", options, new=new))

    def character(
        self, display_name: str, images: Sequence[Any], *, new: bool = False, **options: Any
    ) -> JobHandle:
        """Create a reusable character from 1–2 reference images (ids or upload handles)."""
        refs = tuple(_media_id(i) for i in images)
        fields = {"display_name": display_name, "image_references": refs, **options}
        return self._start(self._build("character", fields, new=new))

    def upload(
        self, file: Any, *, email: str | None = None, content_type: str | None = None
    ) -> JobHandle:
        """Upload an image or MP4 to use as a reference; the same content is sent only once."""
        handle = JobHandle(
            kind="upload",
            prompt=getattr(file, "name", None) or (str(file) if isinstance(file, str) else None),
            controller=self.runner,
            state=JobState(status="queued"),
        )
        self._track(
            self.engine.submit(
                self._wiring.upload(
                    handle, file, email=email or self.settings.email, content_type=content_type
                )
            )
        )
        return handle

    def batch(
        self,
        rows: Iterable[Any],
        *,
        kind: str = "video",
        concurrency: int | None = None,
        new: bool = False,
        **defaults: Any,
    ) -> Batch:
        """Submit many prompts (strings, dicts or a DataFrame's rows) with adaptive concurrency."""
        from flow_widgets.runtime.batch import Batch

        return Batch.start(self, rows, kind=kind, concurrency=concurrency, new=new, **defaults)

    # -- jobs, resume, credits -----------------------------------------------------------------

    def jobs(self, *, limit: int | None = None) -> list[JobHandle]:
        """The jobs this session drives, newest first."""
        handles = sorted(
            {id(live.handle): live.handle for live in list(self.runner.live.values())}.values(),
            key=lambda h: h.created,
            reverse=True,
        )
        return handles if limit is None else handles[:limit]

    def job(self, jobid: str, *, timeout: float | None = 120.0) -> JobHandle:
        """The handle of a known job: by jobid or submission id, from this session's jobs or the
        ledger (a ledger row is re-attached, so an unfinished job is watched again).

        Raises:
            ValidationError: no job with that id in this session or the ledger.
        """
        wanted = jobid.strip() if isinstance(jobid, str) else ""
        for handle in self.jobs():
            if wanted and wanted in (handle.jobid, handle.submission_id):
                return handle
        submission = (self.ledger.by_jobid(wanted) or self.ledger.get(wanted)) if wanted else None
        if submission is None:
            raise ValidationError(
                f"jobid {jobid!r} is not a job of this session or its ledger; pass the jobid or "
                "submission id as flow.jobs() or the ledger lists it.",
                field="jobid",
            )
        live = self.runner.live.get(submission.submission_id)
        if live is not None:
            return live.handle
        handle = self._wiring.handle_for_submission(submission)
        if request_from_submission(submission) is not None or submission.jobid:
            self.engine.run(self.runner.attach(handle, submission, note="shown again"), timeout)
        return handle

    def voices(
        self,
        email: str | None = None,
        *,
        source: Literal["system", "user"] | None = None,
        timeout: float = 60.0,
    ) -> list[Voice]:
        """The 30 system voices and the account's saved ones (``source``: system or user)."""
        account = self._account(email)

        async def read() -> tuple[Voice, ...]:
            return await self._wiring.client.voices.list(account, source=source)

        return list(self.engine.run(read(), timeout))

    def characters(self, email: str | None = None, *, timeout: float = 60.0) -> list[Character]:
        """The account's saved characters (``email`` defaults to ``USEAPI_EMAIL``)."""
        account = self._account(email)

        async def read() -> tuple[Character, ...]:
            return await self._wiring.client.characters.list(account)

        return list(self.engine.run(read(), timeout))

    @property
    def client(self) -> AsyncFlowClient:
        """The async API client this session uses; run its calls with ``engine.run``."""
        return self._wiring.client

    def resume(self, timeout: float | None = 60.0) -> list[JobHandle]:
        """Re-attach every unfinished job in the ledger (and finish interrupted downloads)."""
        return self.engine.run(self._wiring.resume(), timeout)

    @property
    def credits(self) -> CreditSnapshot:
        """Accounts, balances, spend by model and account, and the budget, as one snapshot."""
        return self.tracker.snapshot()

    @property
    def budget(self) -> int | None:
        return self.tracker.budget

    @budget.setter
    def budget(self, value: int | None) -> None:
        self.tracker.budget = value

    def refresh_accounts(self, timeout: float | None = 60.0) -> None:
        """Read every account's health, plan and credits now."""
        self.engine.run(self._wiring.refresh_accounts(), timeout)

    def close(self, timeout: float = 10.0) -> None:
        """Stop watching (jobs stay in the ledger for the next session) and close connections."""
        if self._closed:
            return
        self._closed = True
        if self.engine.is_running:
            try:
                self.engine.run(self._wiring.aclose(), timeout)
            except (TimeoutError, FlowError) as exc:
                log.warning("Closing the session did not finish cleanly: %s", exc)
        self.ledger.close()
        global _current
        with _current_lock:
            if _current is self:
                _current = None

    # -- internals -----------------------------------------------------------------------------

    def _account(self, email: str | None) -> str:
        """The account a listing is for: ``email``, else ``USEAPI_EMAIL``."""
        chosen = email or self.settings.email
        if not chosen:
            raise ValidationError(
                "email is needed to list an account's voices or characters; pass email= or set "
                "USEAPI_EMAIL.",
                field="email",
            )
        return str(chosen)

    def _build(self, kind: str, fields: dict[str, Any], *, new: bool = False) -> Work:
        """Validate ``fields`` into the request of ``kind`` (on the caller's thread)."""
        cls = KIND_REQUESTS[kind]
        names = [f.name for f in dataclasses.fields(cast(Any, cls))]
        values = {key: _resolve(value) for key, value in fields.items()}
        unknown = sorted(set(values) - set(names))
        if unknown:
            raise ValidationError(
                f"{kind} has no option {unknown[0]!r}; use one of {', '.join(names)}.",
                field=unknown[0],
            )
        if kind == "image":
            values.setdefault("count", 1)
        if "email" in names and values.get("email") is None and self.settings.email:
            values["email"] = self.settings.email
        return route_work(self.tracker, Work(kind, cls(**values), new=new))  # cheapest account

    def _start(self, work: Work) -> JobHandle:
        with self._wiring.submit_lock:
            if not work.new:
                same = self._wiring.handle_for(work.fingerprint)
                if same is not None:  # this session already bought it: the same handle
                    if same.status in _WATCH_AGAIN and self.ledger.get(same.submission_id or ""):
                        # Reopened here, so a wait() right after the re-run cannot see the old
                        # terminal state before the engine gets to re-attach it.
                        status = "accepted" if same.jobid else "submitting"
                        same._update(status=status, error=None, note="re-attached", reopen=True)
                        self._track(self.engine.submit(self._wiring.reattach(same)))
                    return same
            self._wiring.precheck(work)
            handle = self._wiring.new_handle(work, status="queued")
            self._wiring.remember(work.fingerprint, handle)
            notebooks.record(self.ledger, work.fingerprint)  # history shows it in this notebook
        self._track(self.engine.submit(self._wiring.dispatcher.submit(handle, work)))
        return handle

    @staticmethod
    def _track(future: Future[Any]) -> None:
        future.add_done_callback(_log_unexpected)


def _log_unexpected(future: Future[Any]) -> None:
    """Refusals are on the handle already; only a bug deserves the log."""
    if future.cancelled():
        return
    exc = future.exception()
    if exc is not None and not isinstance(exc, FlowError):
        log.error("A submission failed unexpectedly: %s", exc, exc_info=exc)


def _media_id(value: Any) -> str:
    """A media id from a string, a ``MediaFile`` or a finished handle (waiting for it)."""
    resolved = _resolve(value)
    if not isinstance(resolved, str):
        raise TypeError(f"expected a media id or a job handle, got {type(value).__name__}")
    return resolved


def _resolve(value: Any) -> Any:
    if isinstance(value, JobHandle):
        media_id = value.wait().media_id
        if media_id is None:
            raise ValueError(f"{value!r} has no media to refer to.")
        return media_id
    if isinstance(value, (list, tuple)):
        return tuple(_resolve(v) for v in value)
    media_id = getattr(value, "media_id", None)
    if isinstance(media_id, str) and hasattr(value, "index"):
        return media_id
    return value


# -- the process-wide session ------------------------------------------------------------------

_current: FlowSession | None = None
_current_lock = threading.Lock()


def session(**options: Any) -> FlowSession:
    """The process-wide session, created on first call (``options`` go to :class:`FlowSession`).

    Calling it again returns the same session; passing options then replaces it (the old one's
    jobs are re-attached by the new one).
    """
    global _current
    with _current_lock:
        existing = _current
    if existing is not None and not options:
        return existing
    if existing is not None:
        existing.close()
    created = FlowSession(**options)
    with _current_lock:
        _current = created
    return created


def current_session() -> FlowSession | None:
    """The process-wide session if one was created."""
    return _current


def shutdown(timeout: float = 10.0) -> None:
    """Close the process-wide session, stop the engine thread and the embedded simulator.

    What ``%unload_ext flow_widgets`` calls; unfinished jobs stay in the ledger and the next
    session resumes them.
    """
    from flow_widgets.runtime.embedded import stop_embedded_simulator

    existing = current_session()
    if existing is not None:
        existing.close(timeout)
    engine = Engine.current()
    if engine is not None:
        engine.shutdown(timeout)
    stop_embedded_simulator()
