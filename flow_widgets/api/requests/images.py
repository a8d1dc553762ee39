"""``POST /images`` and ``POST /images/upscale`` as validated requests (spec §2.5, §3.9-3.10).

Images are free on every plan, but a bad request still wastes a captcha solve and 10-20 s, and
a marker without its slot is a 400 the user meets only after waiting. Pure: no I/O.

Choices where sources disagree (spec §6): the default model is ``nano-banana-2-lite`` and
``imagen-4`` is its alias (Jul 2026 onwards), so the old 3-reference limit of Imagen no longer
applies; ``count`` defaults to 4 as the API does, and is always sent so the server's default
can never surprise us; every Nano Banana image may be upscaled (Jul 2026 compare README).

Example:
    >>> ImageRequest("a lighthouse at dusk", count=1).to_payload()
    {'prompt': 'a lighthouse at dusk', 'model': 'nano-banana-2-lite', 'count': 1}
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from flow_widgets.api._retry import Safety
from flow_widgets.api.catalog import (
    DEFAULT_CATALOG,
    DEFAULT_IMAGE_MODEL,
    IMAGE_ASPECTS,
    IMAGE_MODEL_ALIASES,
    IMAGE_MODELS,
    Catalog,
    ImageModel,
    Tier,
    resolve_image_model,
)
from flow_widgets.api.models import Job, UpscaledImage
from flow_widgets.api.requests import _rules as rules
from flow_widgets.api.requests._base import FlowRequest, Reply
from flow_widgets.api.requests._captcha import Captcha
from flow_widgets.api.requests._evidence import breach, refuse
from flow_widgets.api.requests._fields import Field, Scalar, Slots

__all__ = ["ImageRequest", "ImageUpscaleRequest"]


#: What an image model this version does not know is checked against: every known ratio and
#: the largest reference budget, so only the API refuses what it does not take.
_OPEN_MODEL = ImageModel(
    id="",
    display_name="unknown model",
    max_refs=10,
    aspect_ratios=IMAGE_ASPECTS,
    default_aspect="landscape",
    upscalable=True,
)


@dataclass(frozen=True)
class ImageRequest(FlowRequest):
    """A validated ``POST /images`` body.

    ``references`` fill ``reference_1..10`` and ``characters`` fill ``character_1..7`` from 1;
    a character's images count towards the 10 references. ``aspect_ratio="auto"`` takes the
    ratio of the first reference, so it needs at least one ``reference_N``.
    """

    method: ClassVar[str] = "POST"
    path: ClassVar[str] = "/images"
    reply: ClassVar[type[Reply] | None] = Job
    safety: ClassVar[Safety] = Safety.NEVER_RESEND
    kind: ClassVar[str | None] = "image"
    task: ClassVar[str | None] = "image"
    timed_by_model: ClassVar[bool] = True
    slot_group: ClassVar[str | None] = "image"
    owner_fields: ClassVar[tuple[str, ...]] = ("references", "characters")
    _captcha: ClassVar[bool] = True
    _fields: ClassVar[tuple[Field, ...]] = (
        Scalar("prompt", "prompt"),
        Scalar("model", "model"),
        Scalar("aspect_ratio", "aspectRatio"),
        Scalar("count", "count", int),
        Scalar("seed", "seed", int),
        Slots("references", "reference_", 10),
        Slots("characters", "character_", 7),
        Scalar("email", "email"),
        Scalar("reply_url", "replyUrl"),
        Scalar("reply_ref", "replyRef"),
    )

    prompt: str
    model: str = DEFAULT_IMAGE_MODEL
    aspect_ratio: str | None = None
    count: int = 4
    seed: int | None = None
    references: tuple[str | None, ...] = ()
    characters: tuple[str | None, ...] = ()
    email: str | None = None
    reply_url: str | None = None
    reply_ref: str | None = None
    captcha: Captcha | None = None
    #: Fields the API gained after this release, merged into the body as given (see
    #: :func:`~flow_widgets.api.requests._fields.check_extra`).
    extra: Mapping[str, Any] | None = dataclasses.field(default=None, hash=False)

    @property
    def spec(self) -> ImageModel:
        """The catalog entry of :attr:`model`, aliases followed (a permissive stand-in for a
        model this version does not know)."""
        return resolve_image_model(self.model) or _OPEN_MODEL

    def _validate(self) -> None:
        rules.check_prompt(self.prompt)
        known = resolve_image_model(self.model)
        if known is None:  # an open set (spec §7.1): sent, and the API decides
            names = [*IMAGE_MODELS, *IMAGE_MODEL_ALIASES]
            breach(
                "known-image-model",
                "model",
                f"model {self.model!r} is not in this version's catalog ({', '.join(names)})",
            )
        spec = known or _OPEN_MODEL
        refs = rules.filled(self.references)
        if self.aspect_ratio is not None:
            if self.aspect_ratio not in IMAGE_ASPECTS:
                breach(
                    "known-aspect-ratio",
                    "aspectRatio",
                    f"aspectRatio {self.aspect_ratio!r} is not one this version knows "
                    f"({', '.join(IMAGE_ASPECTS)})",
                )
            elif self.aspect_ratio not in spec.aspect_ratios:
                breach(
                    "model-aspect-ratio",
                    "aspectRatio",
                    f"aspectRatio {self.aspect_ratio!r} is not available on {self.model}; "
                    f"use {', '.join(spec.aspect_ratios)}.",
                )
            if self.aspect_ratio == "auto" and not refs:
                breach(
                    "image-auto-needs-reference",
                    "aspectRatio",
                    "aspectRatio auto copies the first reference's shape, and there is no "
                    "reference_N",
                )
        rules.check_count(self.count)
        rules.check_seed(self.seed)
        rules.check_email(self.email)
        rules.check_reply(self.reply_url, self.reply_ref)
        owners: list[rules.Owner | None] = [
            rules.check_media_id(value, f"reference_{i}", "image") for i, value in refs
        ]
        used = len(refs)
        for i, value in rules.filled(self.characters):
            owner, images = rules.check_character(value, f"character_{i}")
            owners.append(owner)
            used += images
            if used > spec.max_refs:
                raise refuse(
                    "image-reference-budget",
                    f"character_{i}",
                    f"character_{i} brings the references to {used} (a character counts its "
                    f"1-2 images); {self.model} takes at most {spec.max_refs}.",
                )
        rules.check_markers(
            self.prompt,
            {
                "character": [i for i, _ in rules.filled(self.characters)],
                "reference": [i for i, _ in refs],
            },
            forbidden=["referenceAudio", "referenceVideo"],
            endpoint="POST /images",
        )
        rules.check_same_account(owners, self.email)

    def estimate_credits(self, tier: Tier, catalog: Catalog = DEFAULT_CATALOG) -> int:
        """Images cost no Flow credits on any plan (the catalog can say otherwise)."""
        return catalog.image_credits * self.count


_IMAGE_UPSCALES = ("2k", "4k")


@dataclass(frozen=True)
class ImageUpscaleRequest(FlowRequest):
    """A validated ``POST /images/upscale`` body: a generated image to ``2k`` (default) or
    ``4k`` (any case; sent lowercase, as documented)."""

    method: ClassVar[str] = "POST"
    path: ClassVar[str] = "/images/upscale"
    reply: ClassVar[type[Reply] | None] = UpscaledImage
    safety: ClassVar[Safety] = Safety.NEVER_RESEND
    kind: ClassVar[str | None] = "image_upscale"
    task: ClassVar[str | None] = "image_upscale"
    inline_result: ClassVar[bool] = True
    owner_fields: ClassVar[tuple[str, ...]] = ("media_generation_id",)
    _captcha: ClassVar[bool] = True
    _fields: ClassVar[tuple[Field, ...]] = (
        Scalar("media_generation_id", "mediaGenerationId"),
        Scalar("resolution", "resolution"),
    )

    media_generation_id: str
    resolution: str | None = None
    captcha: Captcha | None = None
    #: Fields the API gained after this release, merged into the body as given (see
    #: :func:`~flow_widgets.api.requests._fields.check_extra`).
    extra: Mapping[str, Any] | None = dataclasses.field(default=None, hash=False)

    def _validate(self) -> None:
        rules.check_media_id(self.media_generation_id, "mediaGenerationId", "image")
        if self.resolution is not None:
            if self.resolution.lower() not in _IMAGE_UPSCALES:
                raise refuse(
                    "image-upscale-resolution",
                    "resolution",
                    f"resolution {self.resolution!r} is not an image upscale; use 2k or 4k.",
                )
            object.__setattr__(self, "resolution", self.resolution.lower())

    def validate_for_tier(self, tier: Tier) -> None:
        """4k needs a paid Google AI plan."""
        if self.resolution == "4k" and tier == "free":
            raise refuse(
                "image-4k-needs-paid-plan",
                "resolution",
                "resolution 4k needs a paid Google AI plan; use 2k on a free account.",
            )
