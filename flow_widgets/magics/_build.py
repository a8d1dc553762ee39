"""Parsed magic options + the final prompt -> validated request objects (and dry-run pages).

Why separate from the magics: this is the part with rules in it — which option fills which API
field, how ``%config`` defaults fill the gaps, how ``--compare``/``--seeds`` fan one prompt out
into a grid — and it is pure: the request classes validate every API rule at construction and
raise :class:`ValidationError` before anything is sent. The magic only turns that into a
one-line ``UsageError``.
"""

from __future__ import annotations

import argparse
import html
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from flow_widgets.api.ids import parse_media_id
from flow_widgets.api.requests import (
    Captcha,
    ConcatClip,
    ConcatenateRequest,
    ExtendRequest,
    FlowRequest,
    GifRequest,
    ImageRequest,
    ImageUpscaleRequest,
    VideoRequest,
    VideoUpscaleRequest,
)
from flow_widgets.errors import ValidationError
from flow_widgets.magics._args import extra_of
from flow_widgets.magics._refs import RefResolver

__all__ = [
    "Defaults",
    "GridCell",
    "captcha_from",
    "concat_request",
    "dry_run_bundle",
    "extend_request",
    "gif_request",
    "image_requests",
    "upscale_request",
    "video_request",
]


@dataclass(frozen=True)
class Defaults:
    """What ``%config FlowMagics.<trait>`` supplies when an option is left out."""

    model: str | None = None
    aspect: str | None = None
    duration: int | None = None
    count: int | None = None
    image_model: str | None = None
    image_aspect: str | None = None
    image_count: int | None = None


@dataclass(frozen=True)
class GridCell:
    """One request of an image fan-out and where it sits in the grid."""

    row: str
    column: str
    request: ImageRequest


def captcha_from(args: argparse.Namespace) -> Captcha | None:
    """The captcha choice from ``--captcha-token/--captcha-retry/--captcha-order``."""
    token = getattr(args, "captcha_token", None)
    retry = getattr(args, "captcha_retry", None)
    order = getattr(args, "captcha_order", None)
    if token is None and retry is None and order is None:
        return None
    given = [
        name for name, value in (("token", token), ("retry", retry), ("order", order)) if value
    ]
    if len(given) > 1:
        raise ValidationError(
            f"--captcha-{given[0]} and --captcha-{given[1]} cannot be combined; pick one.",
            field="captcha",
        )
    return Captcha(token=token, retry=retry, order=tuple(order) if order else None)


T = TypeVar("T")


def _pick(value: T | None, default: T) -> T:
    return value if value is not None else default


def video_request(
    args: argparse.Namespace, prompt: str, refs: RefResolver, defaults: Defaults
) -> VideoRequest:
    """``%%flow_video`` options -> :class:`VideoRequest` (every POST /videos field)."""
    start = refs.media(args.start, option="--start") if args.start else None
    end = refs.media(args.end, option="--end") if args.end else None
    references = tuple(refs.media(r, option="--ref") for r in args.ref)
    characters = tuple(refs.character(c) for c in args.character)
    voices = tuple(refs.voice(v) for v in args.voice)
    video = refs.media(args.video, option="--video", kind="video") if args.video else None
    captcha, extra = captcha_from(args), extra_of(args)
    if args.frames and not args.video:
        raise ValidationError("--frames trims a source video; add --video VIDEO.", field="--frames")
    model = _pick(args.model, defaults.model)
    # a %config duration never applies to a video edit
    duration = args.duration if args.video else _pick(args.duration, defaults.duration)
    return VideoRequest(
        prompt,
        model=model if model is not None else VideoRequest.model,
        aspect_ratio=_pick(args.aspect, defaults.aspect),
        duration=duration,
        resolution=args.resolution,
        count=_pick(args.count, defaults.count) or 1,
        seed=args.seed,
        start_image=start,
        end_image=end,
        reference_images=references,
        characters=characters,
        voices=voices,
        reference_video=video,
        start_frame=args.frames.start if args.frames else None,
        end_frame=args.frames.end if args.frames else None,
        email=args.email,
        captcha=captcha,
        extra=extra,
        max_credits=args.max_credits,
    )


def image_requests(
    args: argparse.Namespace, prompt: str, refs: RefResolver, defaults: Defaults
) -> list[GridCell]:
    """``%%flow_image`` options -> one request, or a grid of them for ``--compare``/``--seeds``."""
    models: Sequence[str | None] = args.compare or [_pick(args.model, defaults.image_model)]
    seeds: Sequence[int | None] = args.seeds or [args.seed]
    if args.compare and args.model:
        raise ValidationError(
            "--model and --compare cannot be combined; list the models in --compare.",
            field="--compare",
        )
    if args.seeds and args.seed is not None:
        raise ValidationError(
            "--seed and --seeds cannot be combined; list the seeds in --seeds.", field="--seeds"
        )
    fan_out = len(models) * len(seeds) > 1
    count = _pick(args.count, 1 if fan_out else defaults.image_count)
    references = tuple(refs.media(r, option="--ref") for r in args.ref)
    characters = tuple(refs.character(c) for c in args.character)
    aspect, captcha, extra = (
        _pick(args.aspect, defaults.image_aspect),
        captcha_from(args),
        extra_of(args),
    )
    cells: list[GridCell] = []
    for model in models:
        for seed in seeds:
            request = ImageRequest(
                prompt,
                model=model if model is not None else ImageRequest.model,
                aspect_ratio=aspect,
                count=count if count is not None else ImageRequest.count,
                seed=seed,
                references=references,
                characters=characters,
                email=args.email,
                captcha=captcha,
                extra=extra,
            )
            cells.append(
                GridCell(
                    row=request.model,
                    column=f"seed {seed}" if seed is not None else "random seed",
                    request=request,
                )
            )
    return cells


def extend_request(args: argparse.Namespace, prompt: str, refs: RefResolver) -> ExtendRequest:
    """``%flow extend VIDEO PROMPT…`` -> :class:`ExtendRequest`."""
    captcha = captcha_from(args)
    source = refs.media(args.source, option="extend", kind="video")
    return ExtendRequest(
        source,
        prompt,
        model=args.model or ExtendRequest.model,
        count=args.count or 1,
        seed=args.seed,
        captcha=captcha,
        max_credits=args.max_credits,
    )


def upscale_request(args: argparse.Namespace, refs: RefResolver) -> FlowRequest:
    """``%flow upscale MEDIA`` -> a video or image upscale, chosen by the media's kind."""
    source = refs.media(args.source, option="upscale", kind="video")
    parsed = parse_media_id(source)
    captcha = captcha_from(args)
    if parsed is not None and parsed.kind == "image":
        return ImageUpscaleRequest(source, resolution=args.resolution, captcha=captcha)
    return VideoUpscaleRequest(source, resolution=args.resolution, captcha=captcha)


def gif_request(args: argparse.Namespace, refs: RefResolver) -> GifRequest:
    """``%flow gif VIDEO`` -> :class:`GifRequest`."""
    return GifRequest(refs.media(args.source, option="gif", kind="video"))


def _trims(specs: Sequence[str], clips: int) -> dict[int, tuple[float | None, float | None]]:
    trims: dict[int, tuple[float | None, float | None]] = {}
    for spec in specs:
        parts = spec.split(":")
        try:
            index = int(parts[0])
            start = float(parts[1]) if len(parts) > 1 and parts[1] else None
            end = float(parts[2]) if len(parts) > 2 and parts[2] else None
        except ValueError:
            index, start, end = 0, None, None
        if len(parts) != 3 or not 1 <= index <= clips:
            raise ValidationError(
                f"--trim {spec!r}: write N:START:END with N a clip number from 1 to {clips} and "
                "seconds to cut from its start and end, like 2:1:0.",
                field="--trim",
            )
        trims[index] = (start, end)
    return trims


def concat_request(args: argparse.Namespace, refs: RefResolver) -> ConcatenateRequest:
    """``%flow concat A B …`` -> :class:`ConcatenateRequest` (with ``--trim N:START:END``)."""
    trims = _trims(args.trim, len(args.sources))
    clips = []
    for index, source in enumerate(args.sources, start=1):
        start, end = trims.get(index, (None, None))
        media_id = refs.media(source, option="concat", kind="video")
        clips.append(ConcatClip(media_id, trim_start=start, trim_end=end))
    return ConcatenateRequest(tuple(clips))


def _shown_payload(request: FlowRequest, placeholders: dict[str, Path]) -> dict[str, object]:
    """The body as it would be sent, with stand-ins named and a captcha token hidden."""
    payload = request.to_payload()

    def show(value: object) -> object:
        if isinstance(value, str) and value in placeholders:
            return f"<upload of {placeholders[value].name}>"
        if isinstance(value, list):
            return [show(v) for v in value]
        if isinstance(value, dict):
            return {k: show(v) for k, v in value.items()}
        return value

    shown = {k: show(v) for k, v in payload.items()}
    if "captchaToken" in shown:
        shown["captchaToken"] = "(hidden)"
    return shown


def dry_run_bundle(
    prompt: str,
    requests: Sequence[tuple[str, FlowRequest]],
    credits: int,
    *,
    placeholders: dict[str, Path] | None = None,
    plan: str | None = None,
) -> dict[str, str]:
    """What ``--dry-run`` shows: the final prompt, each request (no token), the total cost.

    Args:
        prompt: the prompt after interpolation.
        requests: ``(label, request)`` pairs (one, or a grid's worth).
        credits: the estimated total (negative: unknown).
        placeholders: stand-in media ids -> the local files that would be uploaded.
        plan: the plan the estimate assumes (shown next to the cost).
    """
    stand_ins = placeholders or {}
    plan_note = f" on the {plan} plan" if plan else ""
    cost = "free" if credits == 0 else f"{credits} credits"
    if credits < 0:  # a model newer than the price list, and no account price for it
        cost = "unknown (the model is newer than this version's prices)"
    blocks_text: list[str] = []
    blocks_html: list[str] = []
    for label, request in requests:
        body = json.dumps(_shown_payload(request, stand_ins), indent=2, ensure_ascii=False)
        head = f"{request.method} {request.request_path()}" + (f"  ({label})" if label else "")
        blocks_text.append(f"{head}\n{body}")
        blocks_html.append(
            f"<div><code>{html.escape(head)}</code></div>"
            '<pre style="margin:2px 0 6px;padding:6px;background:#f6f8fa;border-radius:4px;'
            f'white-space:pre-wrap;overflow-wrap:anywhere">{html.escape(body)}</pre>'
        )
    summary = f"Dry run: nothing was sent. Estimated cost: {cost}{plan_note}."
    text = "\n".join([summary, f"Prompt: {prompt}", *blocks_text])
    markup = (
        '<div class="fw-dry-run" style="border:1px dashed #8a8f98;border-radius:6px;'
        'padding:6px 10px;font:13px/1.45 system-ui,sans-serif;max-width:760px">'
        f"<div><b>{html.escape(summary)}</b></div>"
        '<div>Prompt:</div><div dir="auto" style="white-space:pre-wrap;overflow-wrap:anywhere;'
        f'margin:2px 0 6px">{html.escape(prompt)}</div>{"".join(blocks_html)}</div>'
    )
    return {"text/plain": text, "text/html": markup}
