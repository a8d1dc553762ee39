"""Generation endpoints: ``POST /videos``, ``/videos/extend``, ``/videos/upscale`` and ``/images``.

Each validates its body with the client's own request class (``from_payload`` then
``validate_for_tier``), resolves its inputs and account, and runs the shared pipeline of
:mod:`flow_widgets.simulator.generation`. The job records *what* its media will look like; the
bytes are made when first downloaded. Videos, extends and upscales answer 201 with ``async``
and otherwise wait (200, the job's error, or 408); images are always synchronous.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from flow_widgets.api.catalog import VIDEO_MODELS, resolve_image_model
from flow_widgets.api.ids import make_media_id
from flow_widgets.api.requests import (
    ExtendRequest,
    FlowRequest,
    ImageRequest,
    VideoRequest,
    VideoUpscaleRequest,
)
from flow_widgets.simulator.accounts import Account
from flow_widgets.simulator.balancer import StatKind
from flow_widgets.simulator.captcha import CaptchaTicket
from flow_widgets.simulator.generation import (
    Intake,
    accept,
    check_reply_url,
    failure_for,
    find_character,
    find_media,
    find_voice,
    google_checks,
    new_jobid,
    pick_account,
    refused,
    respond,
    timetable,
)
from flow_widgets.simulator.http import HttpError, google_error
from flow_widgets.simulator.jobs import Job
from flow_widgets.simulator.media_store import MediaItem
from flow_widgets.simulator.routing import Call
from flow_widgets.simulator.shapes import generation_mode
from flow_widgets.simulator.state import SimulatorState

__all__ = ["post_images", "post_videos", "post_videos_extend", "post_videos_upscale"]

_CAPTCHA_FIELDS = ("captchaToken", "captchaRetry", "captchaOrder")
_IMAGE_ASPECT_OF = {"landscape": "16:9", "portrait": "9:16"}


def _echo(
    request: FlowRequest, intake: Intake, account: Account, seed: int | None
) -> dict[str, Any]:
    """``request`` of the job record: what was asked, with the account and seed used."""
    echo = {k: v for k, v in request.to_payload().items() if k not in _CAPTCHA_FIELDS}
    if "async" in echo or intake.wants_async:
        echo["async"] = intake.wants_async
    echo["email"] = account.email
    if seed is not None:
        echo.setdefault("seed", seed)
    return echo


def _replayed(state: SimulatorState, intake: Intake) -> Job | None:
    """The job an earlier request with the same ``Idempotency-Key`` created, if any."""
    if not intake.idempotency_key:
        return None
    try:
        jobid = state.idempotency.lookup(intake.idempotency_key, intake.route, intake.body_sha256)
    except ValueError as exc:
        raise HttpError(400, str(exc)) from None
    return state.jobs.get(jobid) if jobid is not None else None


def _admit(
    state: SimulatorState,
    request: Any,
    account: Account,
    *,
    jobid: str,
    kind: StatKind,
    model: str,
    route: str,
    page_action: str,
) -> CaptchaTicket | None:
    """Captcha, then Google's own checks; refusals are counted, then raised."""
    ticket: CaptchaTicket | None = None
    try:
        if hasattr(request, "captcha"):
            ticket = state.captcha.solve(
                request.captcha,
                route=route,
                page_action=page_action,
                tier=account.tier,
                jobid=jobid,
                now=state.now(),
            )
        credits = request.estimate_credits(account.tier, state.catalog)
        google_checks(state, account, kind=kind, model=model, credits=credits)
    except HttpError as error:
        raise refused(state, error, kind=kind, email=account.email, ticket=ticket) from None
    return ticket


def _media(
    state: SimulatorState, account: Account, kind: str, *, suffix: str = "", **fields: Any
) -> MediaItem:
    name = state.uuid()
    media_id = make_media_id(state.config.user_id, account.email, kind, name + suffix)  # type: ignore[arg-type]
    return state.media.add(
        MediaItem(
            name=media_id.rsplit(":", 1)[-1],
            media_id=media_id,
            kind=kind,  # type: ignore[arg-type]
            email=account.email,
            created=state.now(),
            workflow_id=state.uuid(),
            **fields,
        )
    )


def _job(state: SimulatorState, **fields: Any) -> Job:
    return Job(**fields)


def _model_access(account: Account, model: str) -> None:
    spec = VIDEO_MODELS.get(model)
    if spec is not None and spec.ultra_200_only and account.family_member:
        raise HttpError(
            403,
            {
                "error": google_error(
                    403,
                    "PUBLIC_ERROR_MODEL_ACCESS_DENIED",
                    f"{model} is not served to invited members of an Ultra family plan.",
                ),
                "code": 403,
            },
        )


# --------------------------------------------------------------------------- POST /videos


async def post_videos(state: SimulatorState, call: Call) -> Response:
    payload = await call.payload()
    intake = call.intake(payload)
    req = VideoRequest.from_payload(payload)
    replay = _replayed(state, intake)
    if replay is not None:
        return await respond(state, replay, wants_async=intake.wants_async)
    check_reply_url(req.reply_url)
    owners: list[str] = []
    source: MediaItem | None = None
    inputs = [("startImage", req.start_image, "image"), ("endImage", req.end_image, "image")]
    inputs += [(f"referenceImage_{i}", v, "image") for i, v in enumerate(req.reference_images, 1)]
    inputs.append(("referenceVideo_1", req.reference_video, "video"))
    references: list[str] = []
    for field, value, kind in inputs:
        if value is not None:
            item = find_media(state, value, field, kind)
            owners.append(item.email)
            references.append(value)
            source = item if field == "referenceVideo_1" else source
    for i, ref in enumerate(req.characters, 1):
        if ref is not None:
            owners.append(find_character(state, ref, f"character_{i}").email)
    for ref in req.voices:
        if ref is not None and ref.startswith("user:"):
            owners.append(find_voice(state, ref).email)
    account = pick_account(state, email=req.email, owners=owners, kind="videos", model=req.model)
    req.validate_for_tier(account.tier)
    _model_access(account, req.model)
    jobid = new_jobid(state, "video", account.email)
    ticket = _admit(
        state, req, account, jobid=jobid, kind="videos", model=req.model,
        route="post-videos", page_action="VIDEO_GENERATION",
    )  # fmt: skip
    seed = req.seed if req.seed is not None else state.new_seed()
    aspect = source.aspect if source is not None else (req.aspect_ratio or "landscape")
    outputs = [
        _media(
            state, account, "video", origin="generated", prompt=req.prompt, model=req.model,
            seed=seed + i, aspect=aspect, duration=float(req.effective_duration),
            resolution=req.resolution or "720p", jobid=jobid,
        ).name
        for i in range(req.count)
    ]  # fmt: skip
    starts, ends = timetable(
        state, state.catalog.expected_seconds("video", req.model), intake.fault
    )
    mode = generation_mode(
        start=req.start_image is not None,
        end=req.end_image is not None,
        refs=bool(req.reference_images or req.characters),
        v2v=source is not None,
        extend=False,
    )
    job = _job(
        state, jobid=jobid, type="video", operation="video", email=account.email,
        model=req.model, tier=account.tier, project_id=account.project_id,
        request=_echo(req, intake, account, seed), created=state.now(), starts=starts,
        ends=ends, outputs=outputs, credits=req.estimate_credits(account.tier, state.catalog),
        captcha=ticket.json if ticket else {}, failure=failure_for(state, intake.fault),
        reply_url=req.reply_url, mode=mode, base_image=req.start_image or "",
        references=references,
    )  # fmt: skip
    accept(state, job, account, ticket, intake)
    return await respond(state, job, wants_async=intake.wants_async)


# --------------------------------------------------------------------------- POST /videos/extend


async def post_videos_extend(state: SimulatorState, call: Call) -> Response:
    payload = await call.payload()
    intake = call.intake(payload)
    req = ExtendRequest.from_payload(payload)
    replay = _replayed(state, intake)
    if replay is not None:
        return await respond(state, replay, wants_async=intake.wants_async)
    check_reply_url(req.reply_url)
    source = find_media(state, req.media_generation_id, "mediaGenerationId", "video")
    if source.origin == "upload" or source.family == "omni":
        raise HttpError(
            400,
            "mediaGenerationId must be a Veo-generated or extended video; omni-flash outputs and "
            "uploads cannot be extended (use a referenceVideo_1 edit instead).",
        )
    account = state.account(source.email)
    req.validate_for_tier(account.tier)
    _model_access(account, req.model)
    jobid = new_jobid(state, "video", account.email)
    ticket = _admit(
        state, req, account, jobid=jobid, kind="videos", model=req.model,
        route="post-videos-extend", page_action="VIDEO_EXTENSION",
    )  # fmt: skip
    seed = req.seed if req.seed is not None else state.new_seed()
    outputs = [
        _media(
            state, account, "video", origin="extended", prompt=req.prompt, model=req.model,
            seed=seed + i, aspect=source.aspect, duration=8.0, source=source.media_id, jobid=jobid,
        ).name
        for i in range(req.count)
    ]  # fmt: skip
    starts, ends = timetable(
        state, state.catalog.expected_seconds("extend", req.model), intake.fault
    )
    job = _job(
        state, jobid=jobid, type="video", operation="extend", email=account.email,
        model=req.model, tier=account.tier, project_id=account.project_id,
        request=_echo(req, intake, account, seed), created=state.now(), starts=starts,
        ends=ends, outputs=outputs, credits=req.estimate_credits(account.tier, state.catalog),
        captcha=ticket.json if ticket else {}, failure=failure_for(state, intake.fault),
        reply_url=req.reply_url,
        mode=generation_mode(start=False, end=False, refs=False, v2v=False, extend=True),
        base_image="", references=[source.media_id],
    )  # fmt: skip
    accept(state, job, account, ticket, intake)
    return await respond(state, job, wants_async=intake.wants_async)


# --------------------------------------------------------------------------- POST /videos/upscale


async def post_videos_upscale(state: SimulatorState, call: Call) -> Response:
    payload = await call.payload()
    intake = call.intake(payload)
    req = VideoUpscaleRequest.from_payload(payload)
    replay = _replayed(state, intake)
    if replay is not None:
        return await respond(state, replay, wants_async=intake.wants_async)
    check_reply_url(req.reply_url)
    source = find_media(state, req.media_generation_id, "mediaGenerationId", "video")
    if source.origin in ("upload", "upscaled") or source.family == "omni":
        raise HttpError(
            400,
            "mediaGenerationId must be a Veo video from POST /videos or /videos/extend; uploads, "
            "upscales and omni-flash outputs (720p at most) cannot be upscaled.",
        )
    account = state.account(source.email)
    req.validate_for_tier(account.tier)
    resolution = (req.resolution or "1080p").lower()
    cached = state.jobs.get(state.upscales.get((source.media_id, resolution), ""))
    if cached is not None:  # the same upscale again: the cached result, at no cost
        return await respond(state, cached, wants_async=intake.wants_async)
    model = f"video-upscale-{resolution}"
    jobid = new_jobid(state, "video", account.email)
    ticket = _admit(
        state, req, account, jobid=jobid, kind="videos", model=model,
        route="post-videos-upscale", page_action="VIDEO_UPSCALE",
    )  # fmt: skip
    media_id = make_media_id(
        state.config.user_id,
        account.email,
        "video",
        source.name if resolution == "1080p" else f"{source.name}-4k",
        upsampled=True,
    )
    item = state.media.add(
        MediaItem(
            name=media_id.rsplit(":", 1)[-1], media_id=media_id, kind="video", email=account.email,
            origin="upscaled", created=state.now(), prompt=source.prompt, model=source.model,
            seed=source.seed, aspect=source.aspect, duration=source.duration,
            resolution=resolution, source=source.media_id, workflow_id=state.uuid(), jobid=jobid,
        )
    )  # fmt: skip
    task = "video_upscale" if resolution == "1080p" else "video_upscale_4k"
    starts, ends = timetable(state, state.catalog.expected_seconds(task), intake.fault)
    job = _job(
        state, jobid=jobid, type="video", operation="upscale", email=account.email, model=model,
        tier=account.tier, project_id=account.project_id,
        request=_echo(req, intake, account, None), created=state.now(), starts=starts,
        ends=ends, outputs=[item.name], credits=req.estimate_credits(account.tier, state.catalog),
        captcha=ticket.json if ticket else {}, failure=failure_for(state, intake.fault),
        reply_url=req.reply_url, references=[source.media_id],
    )  # fmt: skip
    accept(state, job, account, ticket, intake)
    state.upscales[(source.media_id, resolution)] = jobid
    return await respond(state, job, wants_async=intake.wants_async)


# --------------------------------------------------------------------------- POST /images


def _image_aspect(requested: str | None, default: str, first_ref: MediaItem | None) -> str:
    aspect = requested or ("auto" if first_ref is not None and default != "16:9" else default)
    if aspect == "auto":
        ref_aspect = first_ref.aspect if first_ref is not None else "16:9"
        return _IMAGE_ASPECT_OF.get(ref_aspect, ref_aspect)
    return _IMAGE_ASPECT_OF.get(aspect, aspect)


async def post_images(state: SimulatorState, call: Call) -> Response:
    payload = await call.payload()
    intake = call.intake(payload)
    req = ImageRequest.from_payload(payload)
    replay = _replayed(state, intake)
    if replay is not None:
        return await respond(state, replay, wants_async=False)
    check_reply_url(req.reply_url)
    spec = resolve_image_model(req.model)
    assert spec is not None  # the request checked the name
    owners: list[str] = []
    references: list[str] = []
    first_ref: MediaItem | None = None
    for i, value in enumerate(req.references, 1):
        if value is not None:
            item = find_media(state, value, f"reference_{i}", "image")
            owners.append(item.email)
            references.append(value)
            first_ref = first_ref or item
    for i, ref in enumerate(req.characters, 1):
        if ref is not None:
            character = find_character(state, ref, f"character_{i}")
            owners.append(character.email)
            references.extend(state.media.by_name(n).media_id for n in character.image_names)  # type: ignore[union-attr]
    account = pick_account(state, email=req.email, owners=owners, kind="images", model=spec.id)
    req.validate_for_tier(account.tier)
    jobid = new_jobid(state, "image", account.email)
    ticket = _admit(
        state, req, account, jobid=jobid, kind="images", model=spec.id,
        route="post-images", page_action="IMAGE_GENERATION",
    )  # fmt: skip
    seed = req.seed if req.seed is not None else state.new_seed()
    default_aspect = "auto" if spec.id != "nano-banana-2-lite" else spec.default_aspect
    aspect = _image_aspect(req.aspect_ratio, default_aspect, first_ref)
    outputs = [
        _media(
            state, account, "image", origin="generated", prompt=req.prompt, model=spec.id,
            seed=seed + i, aspect=aspect, jobid=jobid,
        ).name
        for i in range(req.count)
    ]  # fmt: skip
    starts, ends = timetable(state, state.catalog.expected_seconds("image", spec.id), intake.fault)
    job = _job(
        state, jobid=jobid, type="image", operation="image", email=account.email, model=spec.id,
        tier=account.tier, project_id=account.project_id,
        request=_echo(req, intake, account, seed), created=state.now(), starts=starts,
        ends=ends, outputs=outputs, credits=req.estimate_credits(account.tier, state.catalog),
        captcha=ticket.json if ticket else {}, failure=failure_for(state, intake.fault),
        reply_url=req.reply_url, references=references,
    )  # fmt: skip
    accept(state, job, account, ticket, intake)
    return await respond(state, job, wants_async=False)
