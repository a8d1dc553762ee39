"""What can be done to a finished video: upscale, GIF, extend, concatenate (spec §3.12-3.15).

Each takes a generated video's mediaGenerationId, so each checks that it really is a *video* id
before anything is sent; extend and 4K upscale cost credits, so they carry their price and plan
rules too. Pure: no I/O.

Example:
    >>> vid = "user:1-email:6a6f686e40676d61696c2e636f6d-video:abc"
    >>> VideoUpscaleRequest(vid, resolution="4k").to_payload()["resolution"]
    '4K'
    >>> ExtendRequest(vid, "the fox jumps", count=2).estimate_credits("pro")
    40
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from flow_widgets.api._retry import Safety
from flow_widgets.api.catalog import (
    DEFAULT_CATALOG,
    DEFAULT_VIDEO_MODEL,
    VIDEO_MODELS,
    Catalog,
    Tier,
)
from flow_widgets.api.models import ConcatenatedVideo, Gif, Job
from flow_widgets.api.requests import _rules as rules
from flow_widgets.api.requests._base import FlowRequest, Reply
from flow_widgets.api.requests._captcha import Captcha
from flow_widgets.api.requests._evidence import breach, refuse
from flow_widgets.api.requests._fields import Field, Scalar, coerce, fail

__all__ = [
    "ConcatClip",
    "ConcatenateRequest",
    "ExtendRequest",
    "GifRequest",
    "VideoUpscaleRequest",
]

#: C1 (Oct 2026): Omni 360p clips are promoted to 720p, Omni 720p clips go to 1080p, free.
_VIDEO_UPSCALES = {"720p": "720p", "1080p": "1080p", "4k": "4K"}
_ALL_MARKERS = ("character", "referenceImage", "referenceAudio", "referenceVideo", "reference")
MAX_TRIM_SECONDS = 8.0


@dataclass(frozen=True)
class VideoUpscaleRequest(FlowRequest):
    """A validated ``POST /videos/upscale`` body: ``1080p`` (default, free) or ``4K``
    (50 credits, Ultra only), and ``720p`` for an Omni 360p clip (C1, free). The resolution
    is accepted in any case and sent as the upscale page spells it. Upscaling the same video
    twice is free the second time (cached); the estimate cannot know that and prices it as
    new."""

    method: ClassVar[str] = "POST"
    path: ClassVar[str] = "/videos/upscale"
    reply: ClassVar[type[Reply] | None] = Job
    safety: ClassVar[Safety] = Safety.NEVER_RESEND
    kind: ClassVar[str | None] = "upscale"
    task: ClassVar[str | None] = "video_upscale"
    slot_group: ClassVar[str | None] = "video"
    owner_fields: ClassVar[tuple[str, ...]] = ("media_generation_id",)
    _async: ClassVar[bool] = True
    _captcha: ClassVar[bool] = True
    _fields: ClassVar[tuple[Field, ...]] = (
        Scalar("media_generation_id", "mediaGenerationId"),
        Scalar("resolution", "resolution"),
        Scalar("reply_url", "replyUrl"),
        Scalar("reply_ref", "replyRef"),
    )

    media_generation_id: str
    resolution: str | None = None
    reply_url: str | None = None
    reply_ref: str | None = None
    captcha: Captcha | None = None
    #: Fields the API gained after this release, merged into the body as given (see
    #: :func:`~flow_widgets.api.requests._fields.check_extra`).
    extra: Mapping[str, Any] | None = dataclasses.field(default=None, hash=False)

    def _validate(self) -> None:
        rules.check_media_id(self.media_generation_id, "mediaGenerationId", "video")
        if self.resolution is not None:
            canonical = _VIDEO_UPSCALES.get(self.resolution.lower())
            if canonical is None:
                breach(
                    "upscale-resolution",
                    "resolution",
                    f"resolution {self.resolution!r} is not a video upscale; use 720p (Omni), "
                    "1080p or 4K.",
                )
                return
            object.__setattr__(self, "resolution", canonical)
        rules.check_reply(self.reply_url, self.reply_ref)

    def validate_for_tier(self, tier: Tier) -> None:
        """4K needs an Ultra plan."""
        if self.resolution == "4K" and tier not in ("ultra_100", "ultra_200"):
            raise refuse(
                "video-4k-needs-ultra",
                "resolution",
                "resolution 4K needs an Ultra plan; use 1080p on this plan.",
            )

    def estimate_credits(self, tier: Tier, catalog: Catalog = DEFAULT_CATALOG) -> int:
        """0 for 1080p, 50 for 4K (from the catalog)."""
        return catalog.video_upscale_credits(self.resolution or "1080p")


@dataclass(frozen=True)
class GifRequest(FlowRequest):
    """A validated ``POST /videos/gif`` body (free, no captcha)."""

    method: ClassVar[str] = "POST"
    path: ClassVar[str] = "/videos/gif"
    reply: ClassVar[type[Reply] | None] = Gif
    safety: ClassVar[Safety] = Safety.IDEMPOTENT
    kind: ClassVar[str | None] = "gif"
    task: ClassVar[str | None] = "gif"
    inline_result: ClassVar[bool] = True
    owner_fields: ClassVar[tuple[str, ...]] = ("media_generation_id",)
    _fields: ClassVar[tuple[Field, ...]] = (Scalar("media_generation_id", "mediaGenerationId"),)

    media_generation_id: str
    #: Fields the API gained after this release, merged into the body as given (see
    #: :func:`~flow_widgets.api.requests._fields.check_extra`).
    extra: Mapping[str, Any] | None = dataclasses.field(default=None, hash=False)

    def _validate(self) -> None:
        rules.check_media_id(self.media_generation_id, "mediaGenerationId", "video")


@dataclass(frozen=True)
class ExtendRequest(FlowRequest):
    """A validated ``POST /videos/extend`` body: about 8 more seconds of a Veo video.

    Only Veo models extend (omni-flash videos cannot be; that shows only on the server, since
    the id does not say which model made it). The prompt takes no ``@markers``: the endpoint
    has no reference slots.
    """

    method: ClassVar[str] = "POST"
    path: ClassVar[str] = "/videos/extend"
    reply: ClassVar[type[Reply] | None] = Job
    safety: ClassVar[Safety] = Safety.NEVER_RESEND
    kind: ClassVar[str | None] = "extend"
    task: ClassVar[str | None] = "extend"
    timed_by_model: ClassVar[bool] = True
    slot_group: ClassVar[str | None] = "video"
    owner_fields: ClassVar[tuple[str, ...]] = ("media_generation_id",)
    _async: ClassVar[bool] = True
    _captcha: ClassVar[bool] = True
    _fields: ClassVar[tuple[Field, ...]] = (
        Scalar("media_generation_id", "mediaGenerationId"),
        Scalar("prompt", "prompt"),
        Scalar("model", "model"),
        Scalar("count", "count", int),
        Scalar("seed", "seed", int),
        Scalar("reply_url", "replyUrl"),
        Scalar("reply_ref", "replyRef"),
    )

    media_generation_id: str
    prompt: str
    model: str = DEFAULT_VIDEO_MODEL
    count: int = 1
    seed: int | None = None
    reply_url: str | None = None
    reply_ref: str | None = None
    captcha: Captcha | None = None
    #: The most credits the caller accepts for an extension whose price is unknown (a model
    #: newer than the catalog); never sent, it lets such a request run under a budget.
    max_credits: int | None = None
    #: Fields the API gained after this release, merged into the body as given (see
    #: :func:`~flow_widgets.api.requests._fields.check_extra`).
    extra: Mapping[str, Any] | None = dataclasses.field(default=None, hash=False)

    def follow_ups(self) -> frozenset[str]:
        """An extension is a video of an extending model: it can be continued again, upscaled,
        turned into a GIF and joined (a model newer than the catalog is taken at its word)."""
        spec = VIDEO_MODELS.get(self.model)
        extend = {"extend"} if spec is None or spec.can_extend else set()
        return frozenset({"upscale", "gif", "concatenate", *extend})

    def _validate(self) -> None:
        rules.check_media_id(self.media_generation_id, "mediaGenerationId", "video")
        rules.check_prompt(self.prompt)
        if self.max_credits is not None and (
            not isinstance(self.max_credits, int) or self.max_credits < 0
        ):
            raise fail("max_credits", f"max_credits {self.max_credits!r} must be 0 or more.")
        spec = VIDEO_MODELS.get(self.model)
        if spec is None:  # an open set (spec §7.1): a new extender is sent
            breach(
                "known-video-model",
                "model",
                f"model {self.model!r} is not in this version's catalog "
                f"({', '.join(VIDEO_MODELS)})",
            )
        elif not spec.can_extend:
            extenders = [m.id for m in VIDEO_MODELS.values() if m.can_extend]
            raise refuse(
                "extend-needs-veo",
                "model",
                f"model {self.model!r} cannot extend videos; use {', '.join(extenders)}.",
            )
        rules.check_count(self.count)
        rules.check_seed(self.seed)
        rules.check_reply(self.reply_url, self.reply_ref)
        rules.check_markers(self.prompt, {}, forbidden=_ALL_MARKERS, endpoint="POST /videos/extend")

    def validate_for_tier(self, tier: Tier) -> None:
        """Extending needs a paid plan; Lite Lower Priority needs Ultra $200."""
        if tier == "free":
            raise refuse(
                "extend-needs-paid-plan",
                "model",
                f"model {self.model} needs a paid Google AI plan to extend videos.",
            )
        spec = VIDEO_MODELS.get(self.model)
        if spec is not None and spec.ultra_200_only and tier != "ultra_200":
            breach(
                "model-plan-ultra-200",
                "model",
                f"model {self.model} is for the owner of an Ultra $200 plan (others get 403)",
            )

    def estimate_credits(self, tier: Tier, catalog: Catalog = DEFAULT_CATALOG) -> int:
        """One generation of the chosen Veo model per variation (a model the catalog does not
        know: the account's ``creditCost`` for it, else the caller's ``max_credits`` ceiling,
        else :class:`UnknownPriceError`)."""
        if self.model not in VIDEO_MODELS:
            known = catalog.open_price(self.model)
            if known is not None:
                return known * self.count
            if self.max_credits is not None:
                return self.max_credits
            raise catalog.unknown_price(self.model)
        return catalog.extend_credits(self.model, tier) * self.count


@dataclass(frozen=True)
class ConcatClip:
    """One input of a concatenation, with optional trims in seconds (fractions allowed).

    ``clip_seconds`` is the clip's length when the caller knows it; it is never sent, only used
    to check that the trims leave something of the clip.
    """

    media_generation_id: str
    trim_start: float | None = None
    trim_end: float | None = None
    clip_seconds: float | None = dataclasses.field(default=None, compare=False)

    def __post_init__(self) -> None:
        Scalar("media_generation_id", "mediaGenerationId").check(self.media_generation_id)
        for attr, api in (("trim_start", "trimStart"), ("trim_end", "trimEnd")):
            object.__setattr__(self, attr, Scalar(attr, api, float).check(getattr(self, attr)))

    def to_payload(self) -> dict[str, Any]:
        """``{"mediaGenerationId", "trimStart"?, "trimEnd"?}``."""
        out: dict[str, Any] = {"mediaGenerationId": self.media_generation_id}
        Scalar("trim_start", "trimStart", float).dump(self.trim_start, out)
        Scalar("trim_end", "trimEnd", float).dump(self.trim_end, out)
        return out


class _ClipList:
    """The ``media`` array of ``POST /videos/concatenate`` (a JSON array, or its JSON text)."""

    attr = "clips"

    def check(self, value: Any) -> tuple[ConcatClip, ...]:
        if not isinstance(value, (tuple, list)) or not all(
            isinstance(clip, ConcatClip) for clip in value
        ):
            raise fail("media", "media must be a list of ConcatClip(mediaGenerationId, …).")
        return tuple(value)

    def dump(self, value: tuple[ConcatClip, ...], out: dict[str, Any]) -> None:
        out["media"] = [clip.to_payload() for clip in value]

    def load(self, data: dict[str, Any], kwargs: dict[str, Any]) -> None:
        if "media" not in data:
            return
        items = data.pop("media")
        if isinstance(items, str):
            try:
                items = json.loads(items)
            except ValueError:
                items = None
        if not isinstance(items, list):
            raise fail("media", "media must be a list of {mediaGenerationId, trimStart, trimEnd}.")
        kwargs["clips"] = tuple(_load_clip(item, i) for i, item in enumerate(items))

    def names(self) -> str:
        return "media"


def _load_clip(item: Any, index: int) -> ConcatClip:
    where = f"media[{index}]"
    if not isinstance(item, dict):
        raise fail(where, f"{where} must be an object with a mediaGenerationId.")
    rest = dict(item)
    if "mediaGenerationId" not in rest:
        raise fail(f"{where}.mediaGenerationId", f"{where}.mediaGenerationId is required.")
    media_id = coerce(rest.pop("mediaGenerationId"), str, f"{where}.mediaGenerationId")
    trims = {
        attr: coerce(rest.pop(api), float, f"{where}.{api}")
        for attr, api in (("trim_start", "trimStart"), ("trim_end", "trimEnd"))
        if api in rest
    }
    if rest:
        unknown = sorted(rest)[0]
        raise fail(
            f"{where}.{unknown}",
            f"{where}.{unknown} is not a field of a clip; use mediaGenerationId, trimStart, "
            "trimEnd.",
        )
    return ConcatClip(media_id, **trims)


@dataclass(frozen=True)
class ConcatenateRequest(FlowRequest):
    """A validated ``POST /videos/concatenate`` body: 2-10 clips from one account, in order.

    Trims are 0-8 s each (the Jan 2026 page; a third-party fork's 0-10 s is not first-party).
    """

    method: ClassVar[str] = "POST"
    path: ClassVar[str] = "/videos/concatenate"
    reply: ClassVar[type[Reply] | None] = ConcatenatedVideo
    safety: ClassVar[Safety] = Safety.IDEMPOTENT
    kind: ClassVar[str | None] = "concatenate"
    task: ClassVar[str | None] = "concatenate"
    inline_result: ClassVar[bool] = True
    owner_fields: ClassVar[tuple[str, ...]] = ("clips",)
    _fields: ClassVar[tuple[Field, ...]] = (_ClipList(),)

    clips: tuple[ConcatClip, ...]
    #: Fields the API gained after this release, merged into the body as given (see
    #: :func:`~flow_widgets.api.requests._fields.check_extra`).
    extra: Mapping[str, Any] | None = dataclasses.field(default=None, hash=False)

    def _validate(self) -> None:
        if not 2 <= len(self.clips) <= 10:
            raise refuse(
                "concat-clip-count", "media", f"media has {len(self.clips)} clips; join 2 to 10."
            )
        owners: list[rules.Owner | None] = []
        for i, clip in enumerate(self.clips):
            where = f"media[{i}]"
            owners.append(
                rules.check_media_id(
                    clip.media_generation_id, f"{where}.mediaGenerationId", "video"
                )
            )
            for api, trim in (("trimStart", clip.trim_start), ("trimEnd", clip.trim_end)):
                if trim is not None and not 0 <= trim <= MAX_TRIM_SECONDS:
                    raise refuse(
                        "concat-trim-range",
                        f"{where}.{api}",
                        f"{where}.{api} {trim:g} is out of range; use 0 to 8 seconds.",
                    )
            total = (clip.trim_start or 0.0) + (clip.trim_end or 0.0)
            if clip.clip_seconds is not None and total >= clip.clip_seconds:
                breach(
                    "trim-leaves-nothing",
                    f"{where}.trimStart",
                    f"{where}.trimStart + trimEnd = {total:g} s leaves nothing of a "
                    f"{clip.clip_seconds:g} s clip; trim less.",
                )
        rules.check_same_account(owners)
