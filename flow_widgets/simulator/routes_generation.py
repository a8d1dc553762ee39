"""Video endpoints: ``POST /videos``, ``/videos/extend`` and ``/videos/upscale``.

Each validates its body with the client's own request class (``from_payload`` then
``validate_for_tier``), resolves its inputs and account, and hands a :class:`Plan` to
:func:`~flow_widgets.simulator.submission.run_plan`. The job records *what* its media will look
like; the bytes are made when first downloaded. With ``async`` the answer is 201 and the job
record; otherwise the call waits (200, the job's error, or 408).
"""

from __future__ import annotations

from starlette.responses import Response

from flow_widgets.api.ids import make_media_id
from flow_widgets.api.requests import ExtendRequest, VideoRequest, VideoUpscaleRequest
from flow_widgets.simulator.generation import (
    find_character,
    find_media,
    find_voice,
    pick_account,
    respond,
)
from flow_widgets.simulator.http import HttpError
from flow_widgets.simulator.media_store import MediaItem
from flow_widgets.simulator.routing import Call
from flow_widgets.simulator.shapes import generation_mode
from flow_widgets.simulator.state import SimulatorState
from flow_widgets.simulator.submission import (
    Plan,
    check_model_access,
    open_request,
    run_plan,
    variations,
)

__all__ = ["post_videos", "post_videos_extend", "post_videos_upscale"]


# --------------------------------------------------------------------------- POST /videos


async def post_videos(state: SimulatorState, call: Call) -> Response:
    req, intake, replayed = await open_request(state, call, VideoRequest)
    if replayed is not None:
        return replayed
    owners: list[str] = []
    references: list[str] = []
    source: MediaItem | None = None
    inputs = [("startImage", req.start_image, "image"), ("endImage", req.end_image, "image")]
    inputs += [(f"referenceImage_{i}", v, "image") for i, v in enumerate(req.reference_images, 1)]
    inputs.append(("referenceVideo_1", req.reference_video, "video"))
    for field_name, value, kind in inputs:
        if value is not None:
            item = find_media(state, value, field_name, kind)
            owners.append(item.email)
            references.append(value)
            source = item if kind == "video" else source
    for i, ref in enumerate(req.characters, 1):
        if ref is not None:
            owners.append(find_character(state, ref, f"character_{i}").email)
    for ref in req.voices:
        if ref is not None and ref.startswith("user:"):
            owners.append(find_voice(state, ref).email)
    account = pick_account(state, email=req.email, owners=owners, kind="videos", model=req.model)
    req.validate_for_tier(account.tier)
    check_model_access(account, req.model)
    seed = req.seed if req.seed is not None else state.new_seed()
    aspect = source.aspect if source is not None else (req.aspect_ratio or "landscape")
    mode = generation_mode(
        start=req.start_image is not None,
        end=req.end_image is not None,
        refs=bool(req.reference_images or req.characters),
        v2v=source is not None,
        extend=False,
    )
    plan = Plan(
        req,
        intake,
        account,
        "videos",
        req.model,
        "post-videos",
        "VIDEO_GENERATION",
        state.catalog.expected_seconds("video", req.model),
        seed,
        {
            "operation": "video",
            "mode": mode,
            "base_image": req.start_image or "",
            "references": references,
        },
    )
    return await run_plan(
        state,
        plan,
        variations(
            state,
            account,
            "video",
            count=req.count,
            seed=seed,
            origin="generated",
            prompt=req.prompt,
            model=req.model,
            aspect=aspect,
            duration=float(req.effective_duration),
            resolution=req.resolution or "720p",
        ),
    )


# --------------------------------------------------------------------------- POST /videos/extend


async def post_videos_extend(state: SimulatorState, call: Call) -> Response:
    req, intake, replayed = await open_request(state, call, ExtendRequest)
    if replayed is not None:
        return replayed
    source = find_media(state, req.media_generation_id, "mediaGenerationId", "video")
    if source.origin == "upload" or source.family == "omni":
        raise HttpError(
            400,
            "mediaGenerationId must be a Veo-generated or extended video; omni-flash outputs and "
            "uploads cannot be extended (use a referenceVideo_1 edit instead).",
        )
    account = state.account(source.email)
    req.validate_for_tier(account.tier)
    check_model_access(account, req.model)
    seed = req.seed if req.seed is not None else state.new_seed()
    mode = generation_mode(start=False, end=False, refs=False, v2v=False, extend=True)
    plan = Plan(
        req,
        intake,
        account,
        "videos",
        req.model,
        "post-videos-extend",
        "VIDEO_EXTENSION",
        state.catalog.expected_seconds("extend", req.model),
        seed,
        {"operation": "extend", "mode": mode, "references": [source.media_id]},
    )
    return await run_plan(
        state,
        plan,
        variations(
            state,
            account,
            "video",
            count=req.count,
            seed=seed,
            origin="extended",
            prompt=req.prompt,
            model=req.model,
            aspect=source.aspect,
            duration=8.0,
            source=source.media_id,
        ),
    )


# --------------------------------------------------------------------------- POST /videos/upscale


async def post_videos_upscale(state: SimulatorState, call: Call) -> Response:
    req, intake, replayed = await open_request(state, call, VideoUpscaleRequest)
    if replayed is not None:
        return replayed
    source = find_media(state, req.media_generation_id, "mediaGenerationId", "video")
    # C1 (Oct 2026, vendor examples): Omni clips upscale too, 360p -> 720p and 720p -> 1080p.
    if source.origin in ("upload", "upscaled"):
        raise HttpError(
            400,
            "mediaGenerationId must be a video from POST /videos or /videos/extend; uploads and "
            "upscales cannot be upscaled.",
        )
    account = state.account(source.email)
    req.validate_for_tier(account.tier)
    resolution = (req.resolution or "1080p").lower()
    cached = state.jobs.get(state.upscales.get((source.media_id, resolution), ""))
    if cached is not None:  # the same upscale again: the cached result, at no cost
        return await respond(state, cached, wants_async=intake.wants_async)
    task = "video_upscale_4k" if resolution == "4k" else "video_upscale"
    plan = Plan(
        req,
        intake,
        account,
        "videos",
        f"video-upscale-{resolution}",
        "post-videos-upscale",
        "VIDEO_UPSCALE",
        state.catalog.expected_seconds(task),
        None,
        {"operation": "upscale", "references": [source.media_id]},
    )

    def upscaled(jobid: str) -> list[MediaItem]:
        state.upscales[(source.media_id, resolution)] = jobid
        token = source.name if resolution == "1080p" else f"{source.name}-{resolution}"
        media_id = make_media_id(
            state.config.user_id, account.email, "video", token, upsampled=True
        )
        item = MediaItem(
            name=media_id.rsplit(":", 1)[-1],
            media_id=media_id,
            kind="video",
            email=account.email,
            origin="upscaled",
            created=state.now(),
            prompt=source.prompt,
            model=source.model,
            seed=source.seed,
            aspect=source.aspect,
            duration=source.duration,
            resolution=resolution,
            source=source.media_id,
            workflow_id=state.uuid(),
            jobid=jobid,
        )
        return [state.media.add(item)]

    return await run_plan(state, plan, upscaled)
