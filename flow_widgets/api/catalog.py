"""The Google Flow model catalog as data: models, plans, voices, credit prices and timings.

Everything the client, the simulator and the cost preview need to know about *what* the API
offers is reachable from here, so a price change or a new model is one edit in one place. The
fixed facts (plans, models, voices) live in :mod:`flow_widgets.api._lineup` and are re-exported;
prices and timings live in the frozen :class:`Catalog`, because they drift (Google changed Omni
prices between June and September 2026) and users may know better than we do:
:meth:`Catalog.with_overrides` takes their numbers and :meth:`Catalog.updated_from_account` reads
the live ``creditCost``/``videoGenerationTimeSeconds`` that ``GET /accounts/{email}`` reports.

Pure: no I/O, no clock. Prices are credits per generation; a request's ``count`` multiplies them.

Example:
    >>> DEFAULT_CATALOG.video_credits("veo-3.1-fast", 8, "720p", "pro")
    20
    >>> DEFAULT_CATALOG.video_credits("veo-3.1-fast", 8, "720p", "ultra_100")
    10
    >>> DEFAULT_CATALOG.with_overrides(veo_credits={"veo-3.1-fast": 15}).extend_credits(
    ...     "veo-3.1-fast", "pro")
    15
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, TypeVar

from flow_widgets.api._lineup import (
    AS_OF,
    DEFAULT_IMAGE_MODEL,
    DEFAULT_VIDEO_MODEL,
    IMAGE_ASPECTS,
    IMAGE_MODEL_ALIASES,
    IMAGE_MODELS,
    TIER_NAMES,
    TIERS,
    VIDEO_ASPECTS,
    VIDEO_MODELS,
    VIDEO_RESOLUTIONS,
    VOICE_PRESETS,
    ImageModel,
    Tier,
    VideoModel,
    canonical_voice_preset,
    is_ultra,
    model_for_google_key,
    omni_key_duration,
    resolve_image_model,
    tier_from_account,
)
from flow_widgets.api._price_list import (
    GENERATION_SECONDS,
    OMNI_BASE_SECONDS,
    OMNI_CREDITS,
    OMNI_CREDITS_PER_SECOND,
    OMNI_LONG_FACTOR,
    OMNI_V2V_CREDITS,
    TASK_SECONDS,
    UPSCALE_CREDITS,
    VEO_CREDITS,
)
from flow_widgets.errors import UnknownPriceError, ValidationError

__all__ = [
    "AS_OF",
    "DEFAULT_CATALOG",
    "DEFAULT_IMAGE_MODEL",
    "DEFAULT_VIDEO_MODEL",
    "IMAGE_ASPECTS",
    "IMAGE_MODELS",
    "IMAGE_MODEL_ALIASES",
    "TASK_KINDS",
    "TIERS",
    "TIER_NAMES",
    "VIDEO_ASPECTS",
    "VIDEO_MODELS",
    "VIDEO_RESOLUTIONS",
    "VOICE_PRESETS",
    "Catalog",
    "ImageModel",
    "Tier",
    "VideoModel",
    "canonical_voice_preset",
    "is_ultra",
    "model_for_google_key",
    "resolve_image_model",
    "tier_from_account",
]

#: Kinds of work :meth:`Catalog.expected_seconds` knows. ``video``, ``extend`` and ``image`` take
#: a model; the others are fixed-cost tasks.
TASK_KINDS: tuple[str, ...] = (
    "video",
    "extend",
    "image",
    "video_upscale",
    "video_upscale_4k",
    "image_upscale",
    "gif",
    "concatenate",
    "voice",
    "character",
    "upload",
)
_MODEL_KINDS = ("video", "extend", "image")
_UPSCALE_RESOLUTIONS = {"720p": "720p", "1080p": "1080p", "4k": "4K"}

K = TypeVar("K")


def _frozen(mapping: Mapping[K, Any]) -> Mapping[K, Any]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class Catalog:
    """Credit prices and typical timings, frozen so a session can share one safely.

    The starting values and their sources are in :mod:`flow_widgets.api._price_list`.

    Attributes:
        veo_credits: ``(model, tier) -> credits`` per Veo generation (also one extend segment).
        omni_credits: ``(duration, resolution) -> credits`` for ``omni-flash``.
        omni_v2v_credits: ``resolution -> credits`` for an ``omni-flash`` V2V edit.
        omni_credits_per_second: ``resolution -> credits/s`` for ``omni-flash-1.2``, rounded
            up per clip -- an **estimate**: Google's values were not published.
        upscale_credits: ``"1080p"`` free, ``"4K"`` 50 (Ultra only).
        image_credits: images cost no Flow credits on any plan.
        generation_seconds: model id -> typical seconds for one generation.
        task_seconds: task kind -> typical seconds for the fixed-cost tasks.
        open_credits: credits per generation of models this version does not know, by model
            id or Google key (from an account's ``creditCost``, or the user's own number).
    """

    veo_credits: Mapping[tuple[str, Tier], int]
    omni_credits: Mapping[tuple[int, str], int]
    omni_v2v_credits: Mapping[str, int]
    omni_credits_per_second: Mapping[str, float]
    upscale_credits: Mapping[str, int]
    image_credits: int
    generation_seconds: Mapping[str, float]
    task_seconds: Mapping[str, float]
    open_credits: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def default(cls) -> Catalog:
        """The catalog as documented (dates in :data:`AS_OF`)."""
        return cls(
            veo_credits=VEO_CREDITS,
            omni_credits=OMNI_CREDITS,
            omni_v2v_credits=OMNI_V2V_CREDITS,
            omni_credits_per_second=OMNI_CREDITS_PER_SECOND,
            upscale_credits=UPSCALE_CREDITS,
            image_credits=0,
            generation_seconds=GENERATION_SECONDS,
            task_seconds=TASK_SECONDS,
        )

    # ---------------------------------------------------------------- prices

    def video_credits(
        self, model: str, duration: int, resolution: str, tier: Tier, v2v: bool = False
    ) -> int:
        """Credits for one generation of ``model`` (a request's ``count`` multiplies it)."""
        spec = _video_model(model)
        res = resolution.lower()
        if spec.family == "veo":
            return self.veo_credits[(model, tier)]
        if model == "omni-flash":
            table_key: Any = res if v2v else (duration, res)
            table: Mapping[Any, int] = self.omni_v2v_credits if v2v else self.omni_credits
            if table_key not in table:
                raise ValidationError(
                    f"omni-flash has no price for duration {duration} at {resolution}; "
                    "use 4, 6, 8 or 10 seconds at 720p or 360p.",
                    field="duration",
                )
            return table[table_key]
        rate = self.omni_credits_per_second[res]
        base = min(duration, OMNI_BASE_SECONDS)
        longer = max(0, duration - OMNI_BASE_SECONDS)
        return math.ceil(rate * base + rate * OMNI_LONG_FACTOR * longer)

    def open_price(self, model: str) -> int | None:
        """Credits per generation of a model the catalog does not know, if an account or the
        user said (``omni-flash-1.3`` matches the Google key ``omni_flash_1_3``)."""
        wanted = _key_words(model)
        for key, cost in self.open_credits.items():
            if _key_words(key) == wanted:
                return int(cost)
        return None

    def unknown_price(self, model: str) -> UnknownPriceError:
        """The error for a model with no known price (see :class:`UnknownPriceError`)."""
        return UnknownPriceError(
            f"the price of model {model!r} is not known to this version; state a ceiling with "
            "max_credits=… (--max-credits) to spend under a budget.",
            field="model",
        )

    def extend_credits(self, model: str, tier: Tier) -> int:
        """Credits for one extension variation: one generation of that Veo model."""
        spec = _video_model(model)
        if not spec.can_extend:
            raise ValidationError(
                f"model {model} cannot extend videos; use a veo-3.1 model.", field="model"
            )
        return self.veo_credits[(model, tier)]

    def video_upscale_credits(self, resolution: str) -> int:
        """Credits for upscaling one video (``1080p`` or ``4K``, any case)."""
        canonical = _UPSCALE_RESOLUTIONS.get(resolution.lower())
        if canonical is None:
            raise ValidationError(
                f"resolution {resolution!r} cannot be upscaled to; use 720p, 1080p or 4K.",
                field="resolution",
            )
        return self.upscale_credits[canonical]

    def expected_seconds(self, kind: str, model: str | None = None) -> float:
        """Typical wall-clock seconds for one task, for progress bars and polling plans."""
        if kind in _MODEL_KINDS:
            default = DEFAULT_IMAGE_MODEL if kind == "image" else DEFAULT_VIDEO_MODEL
            name = model or default
            if kind == "image":
                image = resolve_image_model(name)
                name = image.id if image else name
            if name not in self.generation_seconds:
                raise ValidationError(
                    f"model {name!r} has no known timing; use one of "
                    f"{', '.join(self.generation_seconds)}.",
                    field="model",
                )
            return self.generation_seconds[name]
        if kind not in self.task_seconds:
            raise ValidationError(
                f"kind {kind!r} is not a known task; use one of {', '.join(TASK_KINDS)}.",
                field="kind",
            )
        return self.task_seconds[kind]

    # ---------------------------------------------------------------- changes

    def with_overrides(
        self,
        *,
        veo_credits: Mapping[str | tuple[str, Tier], int] | None = None,
        omni_credits: Mapping[int | tuple[int, str], int] | None = None,
        omni_v2v_credits: Mapping[str, int] | None = None,
        omni_credits_per_second: Mapping[str, float] | None = None,
        upscale_credits: Mapping[str, int] | None = None,
        image_credits: int | None = None,
        generation_seconds: Mapping[str, float] | None = None,
        task_seconds: Mapping[str, float] | None = None,
        open_credits: Mapping[str, int] | None = None,
    ) -> Catalog:
        """A copy with the user's numbers in place of ours; keys that are not given keep theirs.

        ``veo_credits`` keys are a model id (every plan) or ``(model, tier)``; ``omni_credits``
        keys are a duration (720p) or ``(duration, resolution)``.
        """
        changes: dict[str, Any] = {}
        if veo_credits is not None:
            table = dict(self.veo_credits)
            for key, value in veo_credits.items():
                model, tiers = (key, TIERS) if isinstance(key, str) else (key[0], (key[1],))
                if VIDEO_MODELS.get(model, None) is None or VIDEO_MODELS[model].family != "veo":
                    raise ValidationError(
                        f"veo_credits names {model!r}; use a Veo model id such as veo-3.1-fast.",
                        field="veo_credits",
                    )
                for tier in tiers:
                    _check_tier(tier, "veo_credits")
                    table[(model, tier)] = _credits(value, "veo_credits")
            changes["veo_credits"] = _frozen(table)
        if omni_credits is not None:
            omni = dict(self.omni_credits)
            for okey, value in omni_credits.items():
                duration, res = (okey, "720p") if isinstance(okey, int) else okey
                _check_resolution(res, "omni_credits")
                if duration not in VIDEO_MODELS["omni-flash"].durations:
                    raise ValidationError(
                        f"omni_credits names duration {duration}; use 4, 6, 8 or 10.",
                        field="omni_credits",
                    )
                omni[(duration, res)] = _credits(value, "omni_credits")
            changes["omni_credits"] = _frozen(omni)
        if omni_v2v_credits is not None:
            changes["omni_v2v_credits"] = _merged_by_resolution(
                self.omni_v2v_credits, omni_v2v_credits, "omni_v2v_credits", whole=True
            )
        if omni_credits_per_second is not None:
            changes["omni_credits_per_second"] = _merged_by_resolution(
                self.omni_credits_per_second,
                omni_credits_per_second,
                "omni_credits_per_second",
                whole=False,
            )
        if upscale_credits is not None:
            upscale = dict(self.upscale_credits)
            for res, value in upscale_credits.items():
                upscale[_canonical_upscale(res)] = _credits(value, "upscale_credits")
            changes["upscale_credits"] = _frozen(upscale)
        if image_credits is not None:
            changes["image_credits"] = _credits(image_credits, "image_credits")
        if generation_seconds is not None:
            known = {*VIDEO_MODELS, *IMAGE_MODELS}
            changes["generation_seconds"] = self._merged_seconds(
                "generation_seconds", generation_seconds, known
            )
        if task_seconds is not None:
            known = set(self.task_seconds)
            changes["task_seconds"] = self._merged_seconds("task_seconds", task_seconds, known)
        if open_credits is not None:
            merged = {**self.open_credits}
            for key, value in open_credits.items():
                merged[key] = _credits(value, "open_credits")
            changes["open_credits"] = _frozen(merged)
        return replace(self, **changes)

    def _merged_seconds(
        self, name: str, given: Mapping[str, float], known: set[str]
    ) -> Mapping[str, float]:
        merged = dict(getattr(self, name))
        for key, value in given.items():
            if key not in known:
                raise ValidationError(
                    f"{name} names {key!r}; use one of {', '.join(sorted(known))}.", field=name
                )
            merged[key] = _positive_seconds(value, name)
        return _frozen(merged)

    def updated_from_account(
        self, account_json: Mapping[str, Any], tier: Tier | None = None
    ) -> Catalog:
        """A copy updated from ``GET /accounts/{email}``'s ``models.videoModels[]``.

        ``creditCost`` prices the account's own plan (the list follows the plan), so the tier is
        read from ``credits.userPaygateTier`` unless given. Text-to-video keys win over
        image/reference variants of the same model. Unknown keys and entries without numbers are
        skipped, so a partial or newer list never breaks the catalog.
        """
        entries = _video_model_entries(account_json)
        if tier is None:
            credits = account_json.get("credits")
            paygate = credits.get("userPaygateTier") if isinstance(credits, Mapping) else None
            keys = [str(entry.get("key", "")) for entry in entries]
            tier = tier_from_account(
                paygate if isinstance(paygate, str) else None, None, video_model_keys=keys
            )
            if tier is None:
                raise ValidationError(
                    "credits.userPaygateTier is missing or unknown; pass tier= explicitly.",
                    field="credits.userPaygateTier",
                )
        veo: dict[str, int] = {}
        omni: dict[int, int] = {}
        seconds: dict[str, float] = {}
        unknown: dict[str, int] = {}
        for entry in sorted(entries, key=lambda e: "_t2v" in str(e.get("key", ""))):
            key = str(entry.get("key", ""))
            model = model_for_google_key(key)
            cost = entry.get("creditCost")
            if model is None:
                if isinstance(cost, int) and not isinstance(cost, bool) and cost >= 0 and key:
                    unknown[key] = cost  # a model newer than us: its price, by its key
                continue
            if isinstance(cost, int) and not isinstance(cost, bool) and cost >= 0:
                if model == "omni-flash":
                    duration = omni_key_duration(key)
                    if duration is not None and duration in VIDEO_MODELS["omni-flash"].durations:
                        omni[duration] = cost
                else:
                    veo[model] = cost
            took = entry.get("videoGenerationTimeSeconds")
            if isinstance(took, (int, float)) and not isinstance(took, bool) and took > 0:
                seconds[model] = float(took)
        return self.with_overrides(
            veo_credits={(model, tier): cost for model, cost in veo.items()},
            omni_credits={(duration, "720p"): cost for duration, cost in omni.items()},
            generation_seconds=seconds,
            open_credits=unknown,
        )


def _key_words(name: str) -> str:
    return "_".join(w for w in re.split(r"[^a-z0-9]+", name.lower()) if w)


def _video_model_entries(account_json: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    models = account_json.get("models")
    entries = models.get("videoModels") if isinstance(models, Mapping) else None
    if not isinstance(entries, list):
        return []
    return [entry for entry in entries if isinstance(entry, Mapping)]


def _video_model(model: str) -> VideoModel:
    spec = VIDEO_MODELS.get(model)
    if spec is None:
        raise ValidationError(
            f"model {model!r} is not a video model; use one of {', '.join(VIDEO_MODELS)}.",
            field="model",
        )
    return spec


def _check_tier(tier: str, name: str) -> None:
    if tier not in TIERS:
        raise ValidationError(
            f"{name} names plan {tier!r}; use one of {', '.join(TIERS)}.", field=name
        )


def _merged_by_resolution(
    current: Mapping[str, Any], given: Mapping[str, Any], name: str, *, whole: bool
) -> Mapping[str, Any]:
    merged = dict(current)
    for res, value in given.items():
        _check_resolution(res, name)
        merged[res] = _credits(value, name, whole=whole)
    return _frozen(merged)


def _check_resolution(res: str, name: str) -> None:
    if res not in VIDEO_RESOLUTIONS:
        raise ValidationError(f"{name} names resolution {res!r}; use 720p or 360p.", field=name)


def _canonical_upscale(res: str) -> str:
    canonical = _UPSCALE_RESOLUTIONS.get(res.lower())
    if canonical is None:
        raise ValidationError(
            f"upscale_credits names {res!r}; use 720p, 1080p or 4K.", field="upscale_credits"
        )
    return canonical


def _credits(value: Any, name: str, *, whole: bool = True) -> Any:
    numeric = (int,) if whole else (int, float)
    if isinstance(value, bool) or not isinstance(value, numeric) or value < 0:
        kind = "a whole number" if whole else "a number"
        raise ValidationError(f"{name} must be {kind} of credits, 0 or more.", field=name)
    return value


def _positive_seconds(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ValidationError(f"{name} must be a number of seconds above 0.", field=name)
    return float(value)


DEFAULT_CATALOG: Catalog = Catalog.default()
