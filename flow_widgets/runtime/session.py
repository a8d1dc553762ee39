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
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from flow_widgets.api.catalog import DEFAULT_CATALOG, TIER_NAMES, Catalog
from flow_widgets.api.ids import parse_media_id
from flow_widgets.api.requests import (
    CharacterRequest,
    ConcatClip,
    ConcatenateRequest,
    ExtendRequest,
    FlowRequest,
    GifRequest,
    ImageRequest,
    ImageUpscaleRequest,
    VideoRequest,
    VideoUpscaleRequest,
    VoiceRequest,
)
from flow_widgets.api.requests._evidence import collecting, emit, report, strict_rules
from flow_widgets.errors import BudgetExceededError, FlowError, ValidationError
from flow_widgets.runtime import notebooks
from flow_widgets.runtime.credit_snapshot import CreditSnapshot
from flow_widgets.runtime.engine import Engine
from flow_widgets.runtime.jobs import JobHandle, JobState
from flow_widgets.runtime.parts import build_parts, close_parts
from flow_widgets.runtime.quote import Quote, QuoteLine
from flow_widgets.runtime.routing import route_work
from flow_widgets.runtime.settings import Settings
from flow_widgets.runtime.takes import take_identity
from flow_widgets.runtime.uploads import upload_once
from flow_widgets.runtime.work_item import WorkItem, request_from_submission

if TYPE_CHECKING:  # pragma: no cover
    from flow_widgets.api.client import AsyncFlowClient
    from flow_widgets.api.models import Character, Voice
    from flow_widgets.runtime.batch import Batch
    from flow_widgets.simulator.server import RunningSimulator

__all__ = ["FlowSession", "build_request", "current_session", "session", "shutdown"]

log = logging.getLogger("flow_widgets.session")
R = TypeVar("R", bound=FlowRequest)


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
        media: how results are shown in this kernel: ``auto``, ``files``, ``embed`` or
            ``serve`` (see :mod:`flow_widgets.runtime.media_mode`).
        strict: refuse requests that break a reported rule (spec §7.1) instead of sending
            them with a one-line warning.
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
        media: str | None = None,
        strict: bool = False,
        **settings_overrides: Any,
    ) -> None:
        if media is not None:  # checked first: bad input fails before anything starts
            from flow_widgets.runtime.media_mode import set_media_mode

            set_media_mode(media, "fw.session(media=…)")
        self.strict = bool(strict)
        self.settings = settings or Settings.resolve(**settings_overrides)
        self.engine = engine or Engine.get()
        self._parts = build_parts(
            self.settings,
            self.engine,
            simulator=simulator,
            budget=budget,
            catalog=catalog,
            announce=announce,
            time_scale=time_scale,
            slots_per_account=slots_per_account,
        )
        self.simulator = self._parts.simulator
        self.ledger = self._parts.ledger
        self.tracker = self._parts.tracker
        self.runner = self._parts.runner
        self.catalog = catalog
        self._closed = False
        self._parts.accounts.refresh_soon()
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

    def submit(
        self, request: FlowRequest, *, new: bool = False, take: int = 1, scope: str = ""
    ) -> JobHandle:
        """Start ``request`` (any job-making request object); returns its handle at once.

        The one way a job is started: the builders below, the magics, the Studio and batches
        all end here. On this thread the plan rules and the budget are checked (a refusal is
        raised before anything is queued) and an identical earlier purchase is re-attached
        instead of bought again unless ``new``; the engine then waits for a slot, checks the
        budget again where it reserves the credits, records the ledger row and sends the POST.

        ``take``/``scope`` name take #N of the request (a button's "new take #3", one Studio):
        asking for the same take again re-attaches to it, so a double click buys once.

        Raises:
            ValidationError: the request breaks a rule of the account's plan.
            BudgetExceededError: the session budget cannot cover it.
            TypeError: the request does not make a job (an account or listing request).
        """
        work = self._work(request, new=new)
        if take > 1 or scope:  # take #N of this request: bought once, however often it is asked
            work = dataclasses.replace(work, identity=take_identity(work.fingerprint, take, scope))
        with self.runner.submit_lock:
            if not new:
                same = self.runner.bought_here(work.fingerprint)
                if same is not None:  # this session already bought it: the same handle
                    if self.runner.reopen_for_rerun(same):
                        self._track(self.engine.submit(self.runner.reattach(same)))
                    return same
            self._quote([work]).check()
            handle = self.runner.new_handle(work, status="queued")
            self.runner.remember(work.fingerprint, handle)
            notebooks.record(self.ledger, work.fingerprint)  # history shows it in this notebook
        self._track(self.engine.submit(self._parts.dispatcher.submit(handle, work)))
        return handle

    def quote(self, requests: Iterable[FlowRequest], *, new: bool = False) -> Quote:
        """What submitting ``requests`` would do, without sending anything: each one's plan,
        exact cost for the account it will use and whether it re-attaches to an earlier
        purchase, and whether the budget covers the new purchases together
        (:meth:`Quote.check` raises if not).

        Raises:
            ValidationError: a request breaks a rule of its account's plan.
        """
        return self._quote([self._work(request, new=new) for request in requests])

    # -- builders: keyword arguments -> a request -> submit ------------------------------------

    def video(self, prompt: str, *, new: bool = False, **options: Any) -> JobHandle:
        """Start a video (Veo 3.1 / Omni Flash); returns at once. Options are
        :class:`~flow_widgets.api.requests.VideoRequest`'s (``model``, ``aspect_ratio``,
        ``duration``, ``count``, ``seed``, ``start_image``, ``reference_images``…)."""
        return self.submit(self._build(VideoRequest, {"prompt": prompt, **options}), new=new)

    def image(self, prompt: str, *, new: bool = False, **options: Any) -> JobHandle:
        """Generate images (Nano Banana / Imagen 4); ``count`` defaults to 1 here."""
        return self.submit(self._build(ImageRequest, {"prompt": prompt, **options}), new=new)

    def extend(self, video: Any, prompt: str, *, new: bool = False, **options: Any) -> JobHandle:
        """Continue a Veo video by about 8 s (``video``: a media id or a finished handle)."""
        fields = {"media_generation_id": _media_id(video), "prompt": prompt, **options}
        return self.submit(self._build(ExtendRequest, fields), new=new)

    def upscale(self, media: Any, *, new: bool = False, **options: Any) -> JobHandle:
        """Upscale a video (``resolution`` 1080p/4K, or 720p for an Omni 360p clip) or an image
        (2k/4k)."""
        media_id = _media_id(media)
        parsed = parse_media_id(media_id)
        image = parsed is not None and parsed.kind == "image"
        cls = ImageUpscaleRequest if image else VideoUpscaleRequest
        return self.submit(self._build(cls, {"media_generation_id": media_id, **options}), new=new)

    def gif(self, video: Any, *, new: bool = False) -> JobHandle:
        """An animated GIF preview of a generated video (free)."""
        fields = {"media_generation_id": _media_id(video)}
        return self.submit(self._build(GifRequest, fields), new=new)

    def concatenate(self, clips: Sequence[Any], *, new: bool = False) -> JobHandle:
        """Join 2–10 videos of one account into one MP4 (ids, handles or ``ConcatClip``)."""
        items = tuple(c if isinstance(c, ConcatClip) else ConcatClip(_media_id(c)) for c in clips)
        return self.submit(self._build(ConcatenateRequest, {"clips": items}), new=new)

    def voice(self, *, new: bool = False, **options: Any) -> JobHandle:
        """Create a custom voice (``voice`` preset, ``display_name``, ``dialog``,
        ``voice_performance``; ``email`` defaults to ``USEAPI_EMAIL``)."""
        return self.submit(self._build(VoiceRequest, options), new=new)

    def character(
        self, display_name: str, images: Sequence[Any], *, new: bool = False, **options: Any
    ) -> JobHandle:
        """Create a reusable character from 1–2 reference images (ids or upload handles)."""
        refs = tuple(_media_id(i) for i in images)
        fields = {"display_name": display_name, "image_references": refs, **options}
        return self.submit(self._build(CharacterRequest, fields), new=new)

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
                upload_once(
                    handle,
                    file,
                    client=self._parts.client,
                    ledger=self.ledger,
                    email=email or self.settings.email,
                    content_type=content_type,
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
        """Submit many prompts (strings, dicts or a DataFrame's rows) with adaptive concurrency.

        Every row is validated first (a bad row fails at once, naming its number) and the whole
        cost is quoted against the budget before anything is sent.
        """
        from flow_widgets.runtime.batch import Batch, batch_class, rows_of

        cls = batch_class(kind)
        if concurrency is not None and concurrency < 1:
            raise ValidationError("concurrency must be 1 or more.", field="concurrency")
        requests: list[FlowRequest] = []
        for number, row in enumerate(rows_of(rows), start=1):
            try:
                requests.append(self._build(cls, {**defaults, **row}))
            except ValidationError as exc:
                raise ValidationError(f"Row {number}: {exc}", field=exc.field) from None
        works = [self._work(request, new=new) for request in requests]
        self._quote(works).check()
        items = [(work, self.runner.new_handle(work, status="queued")) for work in works]
        return Batch(self.engine, self._parts.dispatcher, items, kind=kind, concurrency=concurrency)

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
        handle = self.runner.handle_for_submission(submission)
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
            return await self._parts.client.voices.list(account, source=source)

        return list(self.engine.run(read(), timeout))

    def characters(self, email: str | None = None, *, timeout: float = 60.0) -> list[Character]:
        """The account's saved characters (``email`` defaults to ``USEAPI_EMAIL``)."""
        account = self._account(email)

        async def read() -> tuple[Character, ...]:
            return await self._parts.client.characters.list(account)

        return list(self.engine.run(read(), timeout))

    @property
    def client(self) -> AsyncFlowClient:
        """The async API client this session uses; run its calls with ``engine.run``."""
        return self._parts.client

    def resume(self, timeout: float | None = 60.0, *, only: str | None = None) -> list[JobHandle]:
        """Re-attach every unfinished job in the ledger (and finish interrupted downloads);
        ``only``: just the job of that submission id."""
        return self.engine.run(self.runner.resume(only), timeout)

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
        self.engine.run(self._parts.dispatcher.refresh_accounts(), timeout)

    def close(self, timeout: float = 10.0) -> None:
        """Stop watching (jobs stay in the ledger for the next session) and close connections."""
        if self._closed:
            return
        self._closed = True
        if self.engine.is_running:
            try:
                self.engine.run(close_parts(self._parts), timeout)
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

    def _work(self, request: FlowRequest, *, new: bool) -> WorkItem:
        """``request`` as it will be sent: the default account filled in where it takes one.
        A strict session refuses a request built elsewhere (the Studio, a caller) that broke a
        reported rule, as it would have refused building it."""
        if self.strict and request.rule_warnings:
            with strict_rules(True):
                report(request.rule_warnings)
        email = self.settings.email
        if email and getattr(request, "email", "") is None:
            request = dataclasses.replace(request, email=email)  # type: ignore[type-var]
        return route_work(self.tracker, WorkItem(request, new=new))  # the cheapest eligible account

    def _build(self, cls: type[R], fields: Mapping[str, Any]) -> R:
        """:func:`build_request` with this session's ``strict`` setting; reported-rule warnings
        (spec §7.1) are raised as Python warnings, one line in the cell output."""
        with strict_rules(self.strict), collecting() as found:
            request = build_request(cls, fields)
        emit(found, stacklevel=4)
        return request

    def _quote(self, works: Sequence[WorkItem]) -> Quote:
        """The caller's-thread check of :meth:`quote` and :meth:`submit` (plan, price,
        re-attach, budget); the engine's reservation is the authoritative one."""
        lines: list[QuoteLine] = []
        for work in works:
            tier = self.tracker.tier_of(work.account)
            if tier is not None:
                work.request.validate_for_tier(tier)
            reattach = not work.new and (
                self.runner.bought_here(work.fingerprint) is not None
                or self.ledger.find_reusable(work.fingerprint) is not None
            )
            credits = self.tracker.estimate(work.request, tier)
            plan = TIER_NAMES.get(tier) if tier is not None else None
            lines.append(QuoteLine(work.request, work.account, plan, credits, reattach))
        quote = Quote(tuple(lines), self.tracker.budget)
        try:
            self.tracker.check_budget(quote.to_spend)
        except BudgetExceededError as exc:
            return dataclasses.replace(quote, refusal=exc)
        return quote

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


#: What the keyword builders fill in when it is left out (the Python API's conveniences).
_BUILDER_DEFAULTS: dict[type[FlowRequest], dict[str, Any]] = {ImageRequest: {"count": 1}}


def build_request(cls: type[R], fields: Mapping[str, Any]) -> R:
    """Validate keyword ``fields`` into a ``cls`` request on the caller's thread: handles and
    media files become their media ids, an unknown option is refused in one sentence."""
    names = [f.name for f in dataclasses.fields(cast(Any, cls))]
    values = {key: _resolve(value) for key, value in fields.items()}
    unknown = sorted(set(values) - set(names))
    if unknown:
        raise ValidationError(
            f"{cls.kind} has no option {unknown[0]!r}; use one of {', '.join(names)}.",
            field=unknown[0],
        )
    return cls(**{**_BUILDER_DEFAULTS.get(cls, {}), **values})


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
