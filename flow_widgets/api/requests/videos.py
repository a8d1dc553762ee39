"""``POST /videos`` as a validated request: every mode, budget and duration rule of spec §2-3.11.

Video generation is where credits go, and the API answers many mistakes only after a minute of
waiting (or with a charge). So :class:`VideoRequest` checks, at construction, every rule that
needs no account knowledge -- modes (T2V, I2V, first+last frame, R2V "ingredients", V2V edit),
reference budgets (a character counts its 1-2 images), voice slots, durations per model, inline
``@markers``, and that all media come from one Google account -- and
:meth:`VideoRequest.validate_for_tier` adds the plan rules. Pure: no I/O.

Choices where sources disagree (latest dated source wins, spec §6): ``endImage`` is allowed on
omni-flash (Sep 2026); omni-flash V2V takes up to 5 reference images (Postman, Jun 2026);
omni-flash-1.2 keeps to ``referenceImage_1..7`` (the only slots the API has) and takes an end
frame only up to 10 s; free accounts may use omni-flash-1.2 up to 10 s (Nov 2026).

Example:
    >>> req = VideoRequest("a red fox runs through snow", duration=8)
    >>> req.to_payload()
    {'prompt': 'a red fox runs through snow', 'model': 'veo-3.1-fast', 'duration': 8, 'count': 1, 'async': True}
    >>> req.estimate_credits("pro")
    20
"""  # noqa: E501

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from flow_widgets.api._retry import Safety
from flow_widgets.api.catalog import (
    DEFAULT_CATALOG,
    DEFAULT_VIDEO_MODEL,
    VIDEO_ASPECTS,
    VIDEO_MODELS,
    Catalog,
    Tier,
    VideoModel,
    is_ultra,
)
from flow_widgets.api.models import Job
from flow_widgets.api.requests import _rules as rules
from flow_widgets.api.requests._base import FlowRequest, Reply
from flow_widgets.api.requests._captcha import Captcha
from flow_widgets.api.requests._evidence import breach, refuse
from flow_widgets.api.requests._fields import Field, Scalar, Slots, fail

__all__ = ["VideoMode", "VideoRequest"]

VideoMode = Literal["t2v", "i2v", "i2v_fl", "r2v", "v2v"]


def _choices(values: tuple[int, ...]) -> str:
    if len(values) > 4 and values == tuple(range(values[0], values[-1] + 1)):
        return f"{values[0]} to {values[-1]}"
    words = [str(v) for v in values]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


@dataclass(frozen=True)
class VideoRequest(FlowRequest):
    """A validated ``POST /videos`` body.

    ``reference_images``, ``characters`` and ``voices`` fill ``referenceImage_N``,
    ``character_N`` and ``referenceAudio_N`` from 1 (``None`` leaves a slot empty);
    ``reference_video`` with ``start_frame``/``end_frame`` is the omni-flash V2V edit
    (``referenceVideo_1``, ``startFrameIndex_1``, ``endFrameIndex_1``). ``None`` fields are not
    sent, so the API's defaults apply (landscape, 8 s, 720p).
    """

    method: ClassVar[str] = "POST"
    path: ClassVar[str] = "/videos"
    reply: ClassVar[type[Reply] | None] = Job
    safety: ClassVar[Safety] = Safety.NEVER_RESEND
    kind: ClassVar[str | None] = "video"
    task: ClassVar[str | None] = "video"
    timed_by_model: ClassVar[bool] = True
    slot_group: ClassVar[str | None] = "video"
    owner_fields: ClassVar[tuple[str, ...]] = (
        "start_image",
        "end_image",
        "reference_video",
        "reference_images",
        "characters",
    )
    _async: ClassVar[bool] = True
    _captcha: ClassVar[bool] = True
    _fields: ClassVar[tuple[Field, ...]] = (
        Scalar("prompt", "prompt"),
        Scalar("model", "model"),
        Scalar("aspect_ratio", "aspectRatio"),
        Scalar("duration", "duration", int),
        Scalar("resolution", "resolution"),
        Scalar("count", "count", int),
        Scalar("seed", "seed", int),
        Scalar("start_image", "startImage"),
        Scalar("end_image", "endImage"),
        Slots("reference_images", "referenceImage_", 7),
        Slots("characters", "character_", 7),
        Slots("voices", "referenceAudio_", 5),
        Scalar("reference_video", "referenceVideo_1"),
        Scalar("start_frame", "startFrameIndex_1", int),
        Scalar("end_frame", "endFrameIndex_1", int),
        Scalar("email", "email"),
        Scalar("reply_url", "replyUrl"),
        Scalar("reply_ref", "replyRef"),
    )

    prompt: str
    model: str = DEFAULT_VIDEO_MODEL
    aspect_ratio: str | None = None
    duration: int | None = None
    resolution: str | None = None
    count: int = 1
    seed: int | None = None
    start_image: str | None = None
    end_image: str | None = None
    reference_images: tuple[str | None, ...] = ()
    characters: tuple[str | None, ...] = ()
    voices: tuple[str | None, ...] = ()
    reference_video: str | None = None
    start_frame: int | None = None
    end_frame: int | None = None
    email: str | None = None
    reply_url: str | None = None
    reply_ref: str | None = None
    captcha: Captcha | None = None
    #: The most credits the caller accepts for a request whose price is unknown (a model newer
    #: than the catalog); never sent, it lets such a request run under a budget.
    max_credits: int | None = None
    #: Fields the API gained after this release, merged into the body as given (see
    #: :func:`~flow_widgets.api.requests._fields.check_extra`).
    extra: Mapping[str, Any] | None = dataclasses.field(default=None, hash=False)

    # ------------------------------------------------------------------ derived facts

    @property
    def spec(self) -> VideoModel:
        """The catalog entry of :attr:`model`."""
        return VIDEO_MODELS[self.model]

    def follow_ups(self) -> frozenset[str]:
        """A finished video can be upscaled, turned into a GIF and joined; a model the catalog
        says can extend (Veo) can also be continued."""
        extend = {"extend"} if self.spec.can_extend else set()
        return frozenset({"upscale", "gif", "concatenate", *extend})

    @property
    def mode(self) -> VideoMode:
        """Which generation mode the fields select."""
        if self.reference_video is not None:
            return "v2v"
        if self.end_image is not None:
            return "i2v_fl"
        if self.start_image is not None:
            return "i2v"
        if self.reference_images or self.characters:
            return "r2v"
        return "t2v"

    @property
    def effective_duration(self) -> int:
        """Seconds of output: the given duration, the V2V window, or the model's default."""
        if self.reference_video is not None:
            start = self.start_frame or 0
            end = self.end_frame if self.end_frame is not None else 240
            return max(1, round((end - start) / 24))
        if self.duration is not None:
            return self.duration
        spec = VIDEO_MODELS.get(self.model)
        return spec.default_duration if spec is not None else 8

    @property
    def image_budget_used(self) -> int:
        """Reference images plus every character's 1-2 images (what the budget counts)."""
        refs = len(rules.filled(self.reference_images))
        return refs + sum(rules.check_character(c, "character")[1] for c in self._chars())

    def _chars(self) -> list[str]:
        return [value for _, value in rules.filled(self.characters)]

    # ------------------------------------------------------------------ rules

    def _validate(self) -> None:
        rules.check_prompt(self.prompt)
        rules.check_count(self.count)
        rules.check_seed(self.seed)
        rules.check_email(self.email)
        rules.check_reply(self.reply_url, self.reply_ref)
        if self.max_credits is not None and (
            not isinstance(self.max_credits, int) or self.max_credits < 0
        ):
            raise fail("max_credits", f"max_credits {self.max_credits!r} must be 0 or more.")
        if self.model not in VIDEO_MODELS:
            # An open set (spec §7.1): a model Google added yesterday is sent; the API decides.
            breach(
                "known-video-model",
                "model",
                f"model {self.model!r} is not in this version's catalog "
                f"({', '.join(VIDEO_MODELS)})",
            )
            self._check_open_ids()
            return
        spec = self.spec
        if self.aspect_ratio is not None and self.aspect_ratio not in spec.aspect_ratios:
            if self.aspect_ratio not in VIDEO_ASPECTS:
                breach(
                    "known-aspect-ratio",
                    "aspectRatio",
                    f"aspectRatio {self.aspect_ratio!r} is not one this version knows "
                    f"({', '.join(VIDEO_ASPECTS)})",
                )
            else:
                breach(
                    "model-aspect-ratio",
                    "aspectRatio",
                    f"aspectRatio {self.aspect_ratio!r} is not available on {self.model}; "
                    f"use {', '.join(spec.aspect_ratios)}.",
                )
        if self.resolution is not None and self.resolution not in spec.resolutions:
            if self.resolution == "360p":
                breach(
                    "veo-no-360p",
                    "resolution",
                    f"resolution '360p' is not available on {self.model}; use 720p.",
                )
            else:
                breach(
                    "known-resolution",
                    "resolution",
                    f"resolution {self.resolution!r} is not one this version knows (720p, 360p)",
                )
        self._check_frames_and_v2v(spec)
        self._check_modes(spec)
        owners = self._check_ids()
        self._check_image_budget(spec)
        self._check_voices(spec)
        self._check_duration(spec)
        self._check_markers(owners)

    def _check_open_ids(self) -> None:
        """What holds whatever the model: ids well formed, from one account, markers filled."""
        self._check_markers(self._check_ids())

    def _check_markers(self, owners: list[rules.Owner | None]) -> None:
        """Each ``@marker`` names a filled slot, and every id comes from one account."""
        rules.check_markers(
            self.prompt,
            {
                "character": [i for i, _ in rules.filled(self.characters)],
                "referenceImage": [i for i, _ in rules.filled(self.reference_images)],
                "referenceAudio": [i for i, _ in rules.filled(self.voices)],
            },
            forbidden=["referenceVideo"],
            endpoint="POST /videos",
        )
        rules.check_same_account(owners, self.email)

    def _check_frames_and_v2v(self, spec: VideoModel) -> None:
        if self.reference_video is None:
            for field, value in (
                ("startFrameIndex_1", self.start_frame),
                ("endFrameIndex_1", self.end_frame),
            ):
                if value is not None:
                    raise refuse(
                        "v2v-frames-need-video",
                        field,
                        f"{field} trims a referenceVideo_1; add one or drop {field}.",
                    )
            return
        if not spec.supports_v2v and spec.family == "omni":
            # Omni 1.2's edit parameters are still open (spec §7.3): send, and let the API say.
            breach(
                "omni-1.2-edit",
                "referenceVideo_1",
                f"referenceVideo_1 (video edit) is documented for omni-flash, not {self.model}",
            )
        elif not spec.supports_v2v:
            raise refuse(
                "v2v-needs-omni-flash",
                "referenceVideo_1",
                f"referenceVideo_1 (video edit) needs model omni-flash, not {self.model}.",
            )
        if self.duration is not None:
            raise refuse(
                "v2v-no-duration",
                "duration",
                "duration cannot be sent with referenceVideo_1; the edit is as long as its "
                "frame window, so drop duration.",
            )
        for field, image in (("startImage", self.start_image), ("endImage", self.end_image)):
            if image is not None:
                raise refuse(
                    "v2v-no-frame-images",
                    field,
                    f"{field} cannot be combined with referenceVideo_1; drop one.",
                )
        start, end = self.start_frame, self.end_frame
        if start is not None and not 0 <= start <= 239:
            raise refuse(
                "v2v-frame-window",
                "startFrameIndex_1",
                f"startFrameIndex_1 {start} is out of range; use 0-239.",
            )
        if end is not None and not 1 <= end <= 240:
            raise refuse(
                "v2v-frame-window",
                "endFrameIndex_1",
                f"endFrameIndex_1 {end} is out of range; use 1-240.",
            )
        if end is not None and end <= (start or 0):
            raise refuse(
                "v2v-frame-window",
                "endFrameIndex_1",
                f"endFrameIndex_1 {end} must be after startFrameIndex_1 {start or 0}; raise it.",
            )

    def _check_modes(self, spec: VideoModel) -> None:
        if self.end_image is not None and self.start_image is None:
            raise refuse(
                "end-image-needs-start",
                "endImage",
                "endImage needs a startImage; add the first frame too.",
            )
        if self.start_image is None:
            return
        frame = "startImage" if self.end_image is None else "startImage/endImage"
        for attr, prefix in (("reference_images", "referenceImage_"), ("characters", "character_")):
            slots = rules.filled(getattr(self, attr))
            if slots:
                field = f"{prefix}{slots[0][0]}"
                raise refuse(
                    "frames-or-references",
                    field,
                    f"{field} cannot be combined with {frame}; use references or frames, not both.",
                )
        voices = rules.filled(self.voices)
        if voices and spec.family == "omni":
            field = f"referenceAudio_{voices[0][0]}"
            raise refuse(
                "omni-start-frame-alone",
                field,
                f"{field} cannot be used in {self.model}'s start-frame mode; drop the voice "
                "or use reference images instead of startImage.",
            )

    def _check_ids(self) -> list[rules.Owner | None]:
        owners: list[rules.Owner | None] = []
        for field, value in (("startImage", self.start_image), ("endImage", self.end_image)):
            if value is not None:
                owners.append(rules.check_media_id(value, field, "image"))
        for i, value in rules.filled(self.reference_images):
            owners.append(rules.check_media_id(value, f"referenceImage_{i}", "image"))
        for i, value in rules.filled(self.characters):
            owners.append(rules.check_character(value, f"character_{i}")[0])
        for i, value in rules.filled(self.voices):
            owners.append(rules.check_voice(value, f"referenceAudio_{i}"))
        if self.reference_video is not None:
            owners.append(rules.check_media_id(self.reference_video, "referenceVideo_1", "video"))
        return owners

    def _check_image_budget(self, spec: VideoModel) -> None:
        refs = rules.filled(self.reference_images)
        chars = rules.filled(self.characters)
        if not refs and not chars:
            return
        first = f"referenceImage_{refs[0][0]}" if refs else f"character_{chars[0][0]}"
        if not spec.supports_r2v:
            raise refuse(
                "model-takes-no-references",
                first,
                f"{first} is not available on {self.model}, which takes no reference images "
                "or characters; use veo-3.1-fast or omni-flash.",
            )
        v2v = self.reference_video is not None
        slot_limit = spec.max_image_refs_v2v if v2v else spec.max_image_refs
        for i, _ in refs:
            if i > slot_limit:
                field = f"referenceImage_{i}"
                where = "with referenceVideo_1" if v2v else f"on {self.model}"
                fix = "omni-flash" if spec.family == "veo" else f"slots 1-{slot_limit}"
                raise refuse(
                    "reference-slots", field, f"{field} is not available {where}; use {fix}."
                )
        used = len(refs)
        for i, value in chars:
            used += rules.check_character(value, f"character_{i}")[1]
            if used > slot_limit:
                field = f"character_{i}"
                raise refuse(
                    "image-budget",
                    field,
                    f"{field} brings the reference images to {used} (a character counts its "
                    f"1-2 images); {self.model} takes at most {slot_limit}"
                    f"{' in a video edit' if v2v else ''}.",
                )

    def _check_voices(self, spec: VideoModel) -> None:
        voices = rules.filled(self.voices)
        if not voices:
            return
        v2v = self.reference_video is not None
        limit = spec.max_voices_v2v if v2v else spec.max_voices
        for i, _ in voices:
            field = f"referenceAudio_{i}"
            if spec.max_voices == 0:
                raise refuse(
                    "model-takes-no-voices",
                    field,
                    f"{field} is not available on {self.model}; use veo-3.1-fast.",
                )
            if i > limit:
                where = "with referenceVideo_1" if v2v else f"on {self.model}"
                fix = "omni-flash" if spec.family == "veo" else f"slots 1-{limit}"
                raise refuse("voice-slots", field, f"{field} is not available {where}; use {fix}.")
        # C5 (Dec 2026): Omni narrates with a voice and no face in the vendor's own examples;
        # for Veo the "needs a face" rule has no source, so it only warns.
        has_face = rules.filled(self.reference_images) or self.characters or v2v
        if not has_face and spec.family != "omni":
            field = f"referenceAudio_{voices[0][0]}"
            breach(
                "voice-needs-face-veo",
                field,
                f"{field} without a face (referenceImage_N, character_N) may be refused on "
                f"{self.model}",
            )

    def _check_duration(self, spec: VideoModel) -> None:
        duration = self.duration
        if duration is None:
            return
        if duration not in spec.durations:
            where = (
                "only available on omni models"
                if duration > 8 and spec.family == "veo"
                else f"not available on {self.model}"
            )
            raise refuse(
                "model-durations",
                "duration",
                f"duration {duration} is {where}; use {_choices(spec.durations)} for {self.model}.",
            )
        r2v = bool(rules.filled(self.reference_images) or self.characters)
        if r2v and duration not in spec.r2v_durations:
            raise refuse(
                "r2v-durations",
                "duration",
                f"duration {duration} cannot be used with reference images or characters on "
                f"{self.model}; use {_choices(spec.r2v_durations)}.",
            )
        limit = spec.end_image_max_duration
        if self.end_image is not None and limit is not None and duration > limit:
            raise refuse(
                "end-frame-duration",
                "duration",
                f"duration {duration} cannot be used with endImage on {self.model}; use "
                f"{limit} or less, or drop endImage.",
            )

    # ------------------------------------------------------------------ plan and price

    def validate_for_tier(self, tier: Tier) -> None:
        """Plan rules: paid plan for video, Ultra for 4/6 s Veo, Ultra $200 for Lite Lower
        Priority, Pro or Ultra for omni-flash-1.2 beyond 10 s."""
        if self.model not in VIDEO_MODELS:
            return  # an unknown model: the API knows its plans
        spec = self.spec
        if tier == "free" and self.model != "omni-flash-1.2":
            raise refuse(
                "video-needs-paid-plan",
                "model",
                f"model {self.model} needs a paid Google AI plan (Plus, Pro or Ultra); on a "
                "free account use omni-flash-1.2 up to 10 seconds.",
            )
        if spec.ultra_200_only and tier != "ultra_200":
            breach(
                "model-plan-ultra-200",
                "model",
                f"model {self.model} is for the owner of an Ultra $200 plan (others get 403)",
            )
        duration = self.effective_duration
        if spec.family == "veo" and duration in (4, 6) and not is_ultra(tier):
            raise refuse(
                "veo-short-needs-ultra",
                "duration",
                f"duration {duration} on {self.model} needs an Ultra plan; use 8 on this plan.",
            )
        if self.model == "omni-flash-1.2" and duration > 10 and tier in ("free", "plus"):
            raise refuse(
                "omni-1.2-long-needs-pro",
                "duration",
                f"duration {duration} on omni-flash-1.2 needs a Pro or Ultra plan; use 10 or "
                "less on this plan.",
            )

    def estimate_credits(self, tier: Tier, catalog: Catalog = DEFAULT_CATALOG) -> int:
        """Credits for all ``count`` variations on plan ``tier``.

        A model the catalog does not know costs what the account's ``creditCost`` said, else
        the caller's ``max_credits`` ceiling, else :class:`~flow_widgets.errors.UnknownPriceError`.
        """
        if self.model not in VIDEO_MODELS:
            known = catalog.open_price(self.model)
            if known is not None:
                return known * self.count
            if self.max_credits is not None:
                return self.max_credits
            raise catalog.unknown_price(self.model)
        per_video = catalog.video_credits(
            self.model,
            self.effective_duration,
            self.resolution or "720p",
            tier,
            v2v=self.reference_video is not None,
        )
        return per_video * self.count
