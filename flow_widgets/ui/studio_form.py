"""What the Studio form offers and what it would buy, as pure functions of the form's values.

Why separate from the widgets: the interesting part of the Studio is not the controls but the
rules behind them — which models, durations, aspect ratios, resolutions and reference slots
make sense for *this* kind of generation, *this* model and *this* account's plan, and which
request the form describes. All of that is here, over frozen values, so it is tested without a
browser and the widget layer only copies :class:`Options` into dropdowns (what it would cost,
and why *Generate* may be disabled, is :mod:`flow_widgets.ui.studio_preview`).

The request objects (:mod:`flow_widgets.api.requests`) stay the source of truth: the form never
re-implements an API rule, it builds the request and reports the request's own
:class:`~flow_widgets.errors.ValidationError`. What the form adds is the narrowing of choices by
plan (so an invalid choice is not even offered) and the checks that depend on which *kind* of
form is open (a first/last-frame video needs its first frame). Pure: no I/O, no widgets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from flow_widgets.api.catalog import (
    DEFAULT_IMAGE_MODEL,
    DEFAULT_VIDEO_MODEL,
    IMAGE_MODELS,
    VIDEO_MODELS,
    Tier,
    is_ultra,
)
from flow_widgets.api.ids import parse_media_id
from flow_widgets.api.requests import (
    ExtendRequest,
    FlowRequest,
    ImageRequest,
    ImageUpscaleRequest,
    VideoRequest,
    VideoUpscaleRequest,
)
from flow_widgets.errors import ValidationError

__all__ = [
    "COUNTS",
    "KIND_LABELS",
    "Options",
    "StudioForm",
    "StudioKind",
    "build_request",
    "normalise",
    "options_for",
]

StudioKind = Literal["text", "frames", "ingredients", "edit", "extend", "upscale", "image"]

KIND_LABELS: dict[StudioKind, str] = {
    "text": "Text to video",
    "frames": "First/last frame",
    "ingredients": "Ingredients",
    "edit": "Video edit (Omni)",
    "extend": "Extend",
    "upscale": "Upscale",
    "image": "Image",
}
COUNTS: tuple[int, ...] = (1, 2, 3, 4)
_MAX_CHARACTER_SLOTS = 7
_V2V_MAX_FRAME = 240

# Which form fields each kind shows (the widget layer hides the rest).
_VIDEO_FIELDS = frozenset({"prompt", "model", "aspect", "resolution", "count", "seed"})
_USES: dict[StudioKind, frozenset[str]] = {
    "text": _VIDEO_FIELDS | {"duration"},
    "frames": _VIDEO_FIELDS | {"duration", "start", "end"},
    "ingredients": _VIDEO_FIELDS | {"duration", "references", "characters", "voices"},
    "edit": _VIDEO_FIELDS | {"video", "window", "references", "characters", "voices"},
    "extend": frozenset({"prompt", "model", "count", "seed", "source"}),
    "upscale": frozenset({"source", "upscale"}),
    "image": frozenset({"prompt", "model", "aspect", "count", "seed", "references", "characters"}),
}


@dataclass(frozen=True)
class StudioForm:
    """Everything typed or picked in the Studio, as plain values (ids, not files).

    Media inputs hold mediaGenerationIds (uploads are turned into ids before they get here);
    ``source`` is the video or image that *extend* and *upscale* work on. ``None`` means "not
    chosen": the API's default applies.
    """

    kind: StudioKind = "text"
    prompt: str = ""
    model: str | None = None
    duration: int | None = None
    aspect_ratio: str | None = None
    resolution: str | None = None
    count: int = 1
    seed: int | None = None
    start_image: str | None = None
    end_image: str | None = None
    reference_images: tuple[str, ...] = ()
    characters: tuple[str, ...] = ()
    voices: tuple[str, ...] = ()
    reference_video: str | None = None
    start_frame: int | None = None
    end_frame: int | None = None
    source: str | None = None
    upscale_resolution: str | None = None
    email: str | None = None

    def uses(self, name: str) -> bool:
        """True when this kind of form shows the field ``name`` (``"duration"``, ``"voices"``…)."""
        return name in _USES[self.kind]


@dataclass(frozen=True)
class Options:
    """What the form offers for one kind, model and plan (empty tuples: the field is hidden).

    Attributes:
        models: the models this kind can use on this plan.
        model: the model in effect (the chosen one if offered, else the first offered).
        durations, aspect_ratios, resolutions: the valid choices, in display order.
        reference_slots, character_slots, voice_slots: how many of each the form offers.
        upscale_resolutions: ``1080p``/``4K`` for a video source, ``2k``/``4k`` for an image.
        unavailable: why this kind cannot be used at all on this plan (``None`` when it can).
    """

    models: tuple[str, ...]
    model: str | None
    durations: tuple[int, ...] = ()
    aspect_ratios: tuple[str, ...] = ()
    resolutions: tuple[str, ...] = ()
    reference_slots: int = 0
    character_slots: int = 0
    voice_slots: int = 0
    upscale_resolutions: tuple[str, ...] = ()
    unavailable: str | None = None


def _video_models_for(kind: StudioKind, tier: Tier | None) -> tuple[str, ...]:
    chosen: list[str] = []
    for spec in VIDEO_MODELS.values():
        if kind == "ingredients" and not spec.supports_r2v:
            continue
        if kind == "edit" and not spec.supports_v2v:
            continue
        if kind == "extend" and not spec.can_extend:
            continue
        if tier is not None:
            if tier == "free" and spec.id != "omni-flash-1.2":
                continue
            if spec.ultra_200_only and tier != "ultra_200":
                continue
        chosen.append(spec.id)
    return tuple(chosen)


def _durations_for(form: StudioForm, model: str, tier: Tier | None) -> tuple[int, ...]:
    spec = VIDEO_MODELS[model]
    durations = spec.r2v_durations if form.kind == "ingredients" else spec.durations
    if form.kind == "frames" and form.end_image and spec.end_image_max_duration is not None:
        durations = tuple(d for d in durations if d <= spec.end_image_max_duration)
    if tier is not None:
        if spec.family == "veo" and not is_ultra(tier):
            durations = tuple(d for d in durations if d not in (4, 6))
        if model == "omni-flash-1.2" and tier in ("free", "plus"):
            durations = tuple(d for d in durations if d <= 10)
    return durations


def _unavailable(kind: StudioKind, tier: Tier | None) -> str:
    label = KIND_LABELS[kind]
    if tier == "free" and kind in ("edit", "extend"):
        return f"{label} needs a paid Google AI plan (Plus, Pro or Ultra); this account is Free."
    return f"{label} has no model available on this account's plan."


def options_for(form: StudioForm, tier: Tier | None) -> Options:
    """The choices the form offers for ``form.kind`` and ``form.model`` on plan ``tier``.

    ``tier=None`` (plan not known yet) narrows by the catalog only; the plan rules are then
    checked when the request is built.

    >>> options_for(StudioForm(model="veo-3.1-fast"), "pro").durations
    (8,)
    >>> options_for(StudioForm(model="veo-3.1-fast"), "ultra_100").durations
    (4, 6, 8)
    """
    kind = form.kind
    if kind == "upscale":
        return _upscale_options(form, tier)
    if kind == "image":
        return _image_options(form)
    models = _video_models_for(kind, tier)
    if not models:
        return Options(models=(), model=None, unavailable=_unavailable(kind, tier))
    default = DEFAULT_VIDEO_MODEL if DEFAULT_VIDEO_MODEL in models else models[0]
    model = form.model if form.model in models else default
    spec = VIDEO_MODELS[model]
    if kind == "extend":
        return Options(models=models, model=model)
    v2v = kind == "edit"
    budget = spec.max_image_refs_v2v if v2v else spec.max_image_refs
    takes_refs = kind in ("ingredients", "edit")
    return Options(
        models=models,
        model=model,
        durations=() if v2v else _durations_for(form, model, tier),
        aspect_ratios=spec.aspect_ratios,
        resolutions=spec.resolutions,
        reference_slots=budget if takes_refs else 0,
        character_slots=min(budget, _MAX_CHARACTER_SLOTS) if takes_refs else 0,
        voice_slots=(spec.max_voices_v2v if v2v else spec.max_voices) if takes_refs else 0,
    )


def _image_options(form: StudioForm) -> Options:
    models = tuple(IMAGE_MODELS)
    model = form.model if form.model in models else DEFAULT_IMAGE_MODEL
    spec = IMAGE_MODELS[model]
    aspects = spec.aspect_ratios
    if not form.reference_images:
        aspects = tuple(a for a in aspects if a != "auto")
    return Options(
        models=models,
        model=model,
        aspect_ratios=aspects,
        reference_slots=spec.max_refs,
        character_slots=min(spec.max_refs, _MAX_CHARACTER_SLOTS),
    )


def _upscale_options(form: StudioForm, tier: Tier | None) -> Options:
    parsed = parse_media_id(form.source) if form.source else None
    if parsed is not None and parsed.kind == "image":
        choices: tuple[str, ...] = ("2k",) if tier == "free" else ("2k", "4k")
    else:
        choices = ("1080p", "4K") if tier is None or is_ultra(tier) else ("1080p",)
    return Options(models=(), model=None, upscale_resolutions=choices)


def normalise(form: StudioForm, options: Options) -> StudioForm:
    """``form`` with every choice the options no longer offer reset to the default.

    Switching from omni-flash-1.2 (3-15 s) to veo-3.1-fast on a Pro plan turns a 12 s choice
    into the model's default, so the form never holds a value its dropdown does not show.
    """
    changes: dict[str, object] = {"model": options.model}
    if form.duration is not None and form.duration not in options.durations:
        spec = VIDEO_MODELS.get(options.model or "")
        default = spec.default_duration if spec else None
        changes["duration"] = default if default in options.durations else None
        if changes["duration"] is None and options.durations:
            changes["duration"] = options.durations[-1]
    if form.aspect_ratio is not None and form.aspect_ratio not in options.aspect_ratios:
        changes["aspect_ratio"] = None
    if form.resolution is not None and form.resolution not in options.resolutions:
        changes["resolution"] = None
    if (
        form.upscale_resolution is not None
        and form.upscale_resolution not in options.upscale_resolutions
    ):
        changes["upscale_resolution"] = None
    changes["reference_images"] = form.reference_images[: options.reference_slots]
    changes["characters"] = form.characters[: options.character_slots]
    changes["voices"] = form.voices[: options.voice_slots]
    return replace(form, **changes)  # type: ignore[arg-type]


def _required(value: str | None, field: str, what: str) -> str:
    if not value:
        raise ValidationError(
            f"{field} is required for {what}; upload a file, pick an earlier result, or paste "
            "a media id.",
            field=field,
        )
    return value


def _slots(values: Sequence[str]) -> tuple[str | None, ...]:
    return tuple(v for v in values if v)


def build_request(form: StudioForm) -> FlowRequest:
    """The validated request the form describes.

    Raises:
        ValidationError: a rule of the API or of this kind of form is broken; the message is
            one sentence naming the field and the fix.
    """
    kind = form.kind
    if kind == "upscale":
        source = _required(form.source, "mediaGenerationId", "an upscale")
        parsed = parse_media_id(source)
        if parsed is not None and parsed.kind == "image":
            return ImageUpscaleRequest(source, resolution=form.upscale_resolution)
        return VideoUpscaleRequest(source, resolution=form.upscale_resolution)
    if kind == "extend":
        source = _required(form.source, "mediaGenerationId", "an extension")
        return ExtendRequest(
            source,
            form.prompt,
            model=form.model or DEFAULT_VIDEO_MODEL,
            count=form.count,
            seed=form.seed,
        )
    if kind == "image":
        return ImageRequest(
            form.prompt,
            model=form.model or DEFAULT_IMAGE_MODEL,
            aspect_ratio=form.aspect_ratio,
            count=form.count,
            seed=form.seed,
            references=_slots(form.reference_images),
            characters=_slots(form.characters),
            email=form.email,
        )
    common = {
        "model": form.model or DEFAULT_VIDEO_MODEL,
        "aspect_ratio": form.aspect_ratio,
        "resolution": form.resolution,
        "count": form.count,
        "seed": form.seed,
        "email": form.email,
    }
    if kind == "frames":
        start = _required(form.start_image, "startImage", "a first/last frame video")
        return VideoRequest(
            form.prompt,
            duration=form.duration,
            start_image=start,
            end_image=form.end_image or None,
            **common,  # type: ignore[arg-type]
        )
    if kind == "ingredients":
        if not _slots(form.reference_images) and not _slots(form.characters):
            raise ValidationError(
                "referenceImage_1 is required for an ingredients video; add a reference image "
                "or a character.",
                field="referenceImage_1",
            )
        return VideoRequest(
            form.prompt,
            duration=form.duration,
            reference_images=_slots(form.reference_images),
            characters=_slots(form.characters),
            voices=_slots(form.voices),
            **common,  # type: ignore[arg-type]
        )
    if kind == "edit":
        video = _required(form.reference_video, "referenceVideo_1", "a video edit")
        return VideoRequest(
            form.prompt,
            reference_video=video,
            start_frame=form.start_frame,
            end_frame=form.end_frame,
            reference_images=_slots(form.reference_images),
            characters=_slots(form.characters),
            voices=_slots(form.voices),
            **common,  # type: ignore[arg-type]
        )
    return VideoRequest(form.prompt, duration=form.duration, **common)  # type: ignore[arg-type]
