"""Builders of the generation endpoints: images, upscales, videos, extensions, GIFs, joins.

These are the calls that spend credits or captcha solves, so each builds its validated request
object from :mod:`flow_widgets.api.requests` and hands it to
:func:`~flow_widgets.api._endpoints.call_for`, which marks it never-resend (or idempotent, for
the free GIF and concatenation) and gives it an ``Idempotency-Key``. Video generations are
always asynchronous: the result is the ``created`` job to poll.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flow_widgets.api._calls import Call
from flow_widgets.api._endpoints import call_for
from flow_widgets.api.catalog import DEFAULT_IMAGE_MODEL, DEFAULT_VIDEO_MODEL
from flow_widgets.api.models import ConcatenatedVideo, Gif, Job, UpscaledImage
from flow_widgets.api.requests import (
    Captcha,
    ConcatClip,
    ConcatenateRequest,
    ExtendRequest,
    GifRequest,
    ImageRequest,
    ImageUpscaleRequest,
    VideoRequest,
    VideoUpscaleRequest,
)

__all__ = [
    "concatenate_videos",
    "create_images",
    "create_video",
    "extend_video",
    "upscale_image",
    "upscale_video",
    "video_gif",
]


# ------------------------------------------------------------------------------------- images


def create_images(
    prompt: str,
    *,
    model: str = DEFAULT_IMAGE_MODEL,
    aspect_ratio: str | None = None,
    count: int = 4,
    seed: int | None = None,
    references: Sequence[str | None] = (),
    characters: Sequence[str | None] = (),
    email: str | None = None,
    reply_url: str | None = None,
    reply_ref: str | None = None,
    captcha: Captcha | None = None,
    idempotency_key: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Call[Job]:
    """Generate 1-4 images (synchronous: the reply is a completed job with ``media``)."""
    request = ImageRequest(
        prompt,
        model=model,
        aspect_ratio=aspect_ratio,
        count=count,
        seed=seed,
        references=tuple(references),
        characters=tuple(characters),
        email=email,
        reply_url=reply_url,
        reply_ref=reply_ref,
        captcha=captcha,
        extra=extra,
    )
    return call_for(request, idempotency_key=idempotency_key)


def upscale_image(
    media_generation_id: str,
    *,
    resolution: str | None = None,
    captcha: Captcha | None = None,
    idempotency_key: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Call[UpscaledImage]:
    """Upscale a generated image to ``2k`` (default) or ``4k``; returns the JPEG bytes."""
    request = ImageUpscaleRequest(
        media_generation_id, resolution=resolution, captcha=captcha, extra=extra
    )
    return call_for(request, idempotency_key=idempotency_key)


# ------------------------------------------------------------------------------------- videos


def create_video(
    prompt: str,
    *,
    model: str = DEFAULT_VIDEO_MODEL,
    aspect_ratio: str | None = None,
    duration: int | None = None,
    resolution: str | None = None,
    count: int = 1,
    seed: int | None = None,
    start_image: str | None = None,
    end_image: str | None = None,
    reference_images: Sequence[str | None] = (),
    characters: Sequence[str | None] = (),
    voices: Sequence[str | None] = (),
    reference_video: str | None = None,
    start_frame: int | None = None,
    end_frame: int | None = None,
    email: str | None = None,
    reply_url: str | None = None,
    reply_ref: str | None = None,
    captcha: Captcha | None = None,
    idempotency_key: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Call[Job]:
    """Start a video job (always async): returns the ``created`` job to poll or wait on.

    ``reference_images``, ``characters`` and ``voices`` fill ``referenceImage_N``,
    ``character_N`` and ``referenceAudio_N`` from 1; ``reference_video`` with
    ``start_frame``/``end_frame`` is the omni-flash video edit.
    """
    request = VideoRequest(
        prompt,
        model=model,
        aspect_ratio=aspect_ratio,
        duration=duration,
        resolution=resolution,
        count=count,
        seed=seed,
        start_image=start_image,
        end_image=end_image,
        reference_images=tuple(reference_images),
        characters=tuple(characters),
        voices=tuple(voices),
        reference_video=reference_video,
        start_frame=start_frame,
        end_frame=end_frame,
        email=email,
        reply_url=reply_url,
        reply_ref=reply_ref,
        captcha=captcha,
        extra=extra,
    )
    return call_for(request, idempotency_key=idempotency_key)


def upscale_video(
    media_generation_id: str,
    *,
    resolution: str | None = None,
    reply_url: str | None = None,
    reply_ref: str | None = None,
    captcha: Captcha | None = None,
    idempotency_key: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Call[Job]:
    """Start an upscale to ``1080p`` (default, free), ``4K`` (Ultra) or ``720p`` (an Omni 360p
    clip, free; C1 Oct 2026); returns the job."""
    request = VideoUpscaleRequest(
        media_generation_id,
        resolution=resolution,
        reply_url=reply_url,
        reply_ref=reply_ref,
        captcha=captcha,
        extra=extra,
    )
    return call_for(request, idempotency_key=idempotency_key)


def extend_video(
    media_generation_id: str,
    prompt: str,
    *,
    model: str = DEFAULT_VIDEO_MODEL,
    count: int = 1,
    seed: int | None = None,
    reply_url: str | None = None,
    reply_ref: str | None = None,
    captcha: Captcha | None = None,
    idempotency_key: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Call[Job]:
    """Start an ~8 s continuation of a Veo video; returns the job."""
    request = ExtendRequest(
        media_generation_id,
        prompt,
        model=model,
        count=count,
        seed=seed,
        reply_url=reply_url,
        reply_ref=reply_ref,
        captcha=captcha,
        extra=extra,
    )
    return call_for(request, idempotency_key=idempotency_key)


def video_gif(media_generation_id: str, *, extra: Mapping[str, Any] | None = None) -> Call[Gif]:
    """An animated GIF preview of a generated video (free; may take up to 90 s)."""
    return call_for(GifRequest(media_generation_id, extra=extra))


def concatenate_videos(
    clips: Sequence[ConcatClip | str], *, extra: Mapping[str, Any] | None = None
) -> Call[ConcatenatedVideo]:
    """Join 2-10 videos of one account into one MP4 (a clip is an id or a ``ConcatClip``)."""
    request = ConcatenateRequest(
        tuple(ConcatClip(c) if isinstance(c, str) else c for c in clips), extra=extra
    )
    return call_for(request)
