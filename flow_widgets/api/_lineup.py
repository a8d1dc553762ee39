"""The fixed facts of the catalog: plans, video and image models, voice presets, Google keys.

These change only when Google ships or retires something, unlike prices and timings, which
drift and live in :class:`flow_widgets.api.catalog.Catalog`. Import them from
``flow_widgets.api.catalog``; this module exists so each file keeps to one idea. Pure data.

Every fact group carries the date of the source it was taken from (:data:`AS_OF`); where sources
disagree the latest dated one wins and the choice is written next to the fact.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal, get_args

__all__ = [
    "AS_OF",
    "DEFAULT_IMAGE_MODEL",
    "DEFAULT_VIDEO_MODEL",
    "IMAGE_ASPECTS",
    "IMAGE_MODELS",
    "IMAGE_MODEL_ALIASES",
    "TIERS",
    "TIER_NAMES",
    "VIDEO_ASPECTS",
    "VIDEO_MODELS",
    "VIDEO_RESOLUTIONS",
    "VOICE_PRESETS",
    "ImageModel",
    "Tier",
    "VideoModel",
    "canonical_voice_preset",
    "is_ultra",
    "model_for_google_key",
    "omni_key_duration",
    "resolve_image_model",
    "tier_from_account",
]

Tier = Literal["free", "plus", "pro", "ultra_100", "ultra_200"]
TIERS: tuple[Tier, ...] = get_args(Tier)

#: Where each group of facts comes from and how current it is (ISO date of the source).
AS_OF: Mapping[str, str] = MappingProxyType(
    {
        "tiers": "2026-06-05",  # overview page: plan table; captcha-stats lookup for SKUs
        "veo_models": "2026-06-05",  # videos page: Veo durations, aspects, budgets, credits
        "omni_flash": "2026-11-12",  # official skill/n8n/UGC examples: 720p/360p price table
        "omni_flash_1_2": "2026-11-06",  # C3 ja article: 3 cr/s to 10 s, 6/s beyond; C12
        "image_models": "2026-10-05",  # C6/C10/C11 images README: Nano Banana 2.1, lite default
        "upscale": "2026-10-05",  # C1 omni-flash README: Omni 360p->720p, 720p->1080p, free
        "concatenate": "2026-09-11",  # C2 ugc-product-video v1.1: Omni clips can be joined
        "assets_url": "2026-12-01",  # C4 n8n ugc-ad-factory: GET /assets/{id} -> fresh URL
        "voice_without_face": "2026-10-05",  # C5 omni-flash/prompts.json: narration, no face
        "captcha_free": "2026-10-01",  # C7 repo README: 300 free solves, 3 accounts per plan
        "quota_cooldown": "2026-06-15",  # C8 jobs page: user quota ~30 min; per-model: midnight
        "url_lifetime": "2026-11-01",  # C9 official skill: signed URLs last ~6 hours
        "voices": "2026-06-05",  # voices pages: the 30 presets
        "timings": "2026-06-15",  # account model list and docs' typical durations
    }
)

TIER_NAMES: Mapping[Tier, str] = MappingProxyType(
    {
        "free": "Free",
        "plus": "Plus",
        "pro": "Pro",
        "ultra_100": "Ultra $100",
        "ultra_200": "Ultra $200",
    }
)

_PAYGATE_TIERS: Mapping[str, Tier] = MappingProxyType(
    {
        "PAYGATE_TIER_NOT_PAID": "free",
        "PAYGATE_TIER_ONE": "pro",
        "PAYGATE_TIER_TWO": "ultra_100",
    }
)
_SKU_TIERS: Mapping[str, Tier] = MappingProxyType(
    {
        "G1_TIER1P5": "plus",
        "G1_TIER1": "pro",
        "G1_TIER2": "ultra_200",
        "WS_ULTRA": "ultra_200",
    }
)


def tier_from_account(
    paygate: str | None, sku: str | None = None, *, video_model_keys: Iterable[str] = ()
) -> Tier | None:
    """Map Google's ``userPaygateTier`` and SKU strings to a :data:`Tier`, or ``None`` if unknown.

    A known SKU wins (``G1_TIER1P5`` Plus, ``G1_TIER1`` Pro, ``G1_TIER2`` Ultra $199, ``WS_ULTRA``
    Workspace Ultra). Both Ultra plans report ``PAYGATE_TIER_TWO`` (the Feb 2026 lookup calls it
    "Ultra $199" only because the $100 plan did not exist yet), so without a SKU the answer is
    ``ultra_100`` -- the cautious choice that never unlocks the $200-only model -- unless the
    account's model list carries a ``_low_priority`` key, which Google lists only on Ultra $200.

    >>> tier_from_account("PAYGATE_TIER_ONE")
    'pro'
    >>> tier_from_account("PAYGATE_TIER_TWO", video_model_keys=["veo_3_1_t2v_lite_low_priority"])
    'ultra_200'
    """
    if sku and sku.strip().upper() in _SKU_TIERS:
        return _SKU_TIERS[sku.strip().upper()]
    if not paygate:
        return None
    tier = _PAYGATE_TIERS.get(paygate.strip().upper())
    if tier == "ultra_100" and any("low_priority" in key for key in video_model_keys):
        return "ultra_200"
    return tier


def is_ultra(tier: Tier) -> bool:
    """True for both Ultra plans (they get the Veo Fast/Lite discount and 4/6 s clips)."""
    return tier in ("ultra_100", "ultra_200")


# --------------------------------------------------------------------------------------------
# Models

VIDEO_ASPECTS: tuple[str, ...] = ("landscape", "portrait", "1:1", "4:3", "3:4")
VIDEO_RESOLUTIONS: tuple[str, ...] = ("720p", "360p")
IMAGE_ASPECTS: tuple[str, ...] = (
    "16:9",
    "4:3",
    "1:1",
    "3:4",
    "9:16",
    "auto",
    "landscape",
    "portrait",
)


@dataclass(frozen=True)
class VideoModel:
    """What one ``model`` value of ``POST /videos`` accepts.

    Budgets count images (a character counts its 1-2 images) and voices (``referenceAudio_N``);
    the ``_v2v`` budgets apply when ``referenceVideo_1`` is present. ``end_image_max_duration``
    is the longest clip that may also carry an ``endImage`` (``None``: no limit beyond the
    durations themselves).
    """

    id: str
    display_name: str
    family: Literal["veo", "omni"]
    durations: tuple[int, ...]
    default_duration: int
    aspect_ratios: tuple[str, ...]
    resolutions: tuple[str, ...]
    max_image_refs: int
    max_voices: int
    r2v_durations: tuple[int, ...]
    can_extend: bool
    supports_v2v: bool = False
    max_image_refs_v2v: int = 0
    max_voices_v2v: int = 0
    end_image_max_duration: int | None = None
    ultra_200_only: bool = False
    google_keys: tuple[str, ...] = ()
    as_of: str = AS_OF["veo_models"]

    @property
    def supports_r2v(self) -> bool:
        """True when reference images, characters and voices are accepted."""
        return self.max_image_refs > 0


_VEO_DURATIONS = (4, 6, 8)
_OMNI_ASPECTS = ("landscape", "portrait")


def _veo(model_id: str, name: str, keys: tuple[str, ...], **kw: Any) -> VideoModel:
    base: dict[str, Any] = {
        "durations": _VEO_DURATIONS,
        "default_duration": 8,
        "aspect_ratios": VIDEO_ASPECTS,
        "resolutions": ("720p",),
        "max_image_refs": 3,
        "max_voices": 1,
        "r2v_durations": (8,),
        "can_extend": True,
    }
    base.update(kw)
    return VideoModel(id=model_id, display_name=name, family="veo", google_keys=keys, **base)


VIDEO_MODELS: Mapping[str, VideoModel] = MappingProxyType(
    {
        "veo-3.1-fast": _veo(
            "veo-3.1-fast", "Veo 3.1 - Fast", ("veo_3_1_t2v_fast", "veo_3_1_t2v_fast_ultra")
        ),
        "veo-3.1-lite": _veo("veo-3.1-lite", "Veo 3.1 - Lite", ("veo_3_1_t2v_lite",)),
        "veo-3.1-quality": _veo(
            "veo-3.1-quality",
            "Veo 3.1 - Quality",
            ("veo_3_1_t2v",),
            durations=(8,),
            max_image_refs=0,
            max_voices=0,
            r2v_durations=(),
        ),
        "veo-3.1-lite-low-priority": _veo(
            "veo-3.1-lite-low-priority",
            "Veo 3.1 - Lite Lower Priority",
            ("veo_3_1_t2v_lite_low_priority",),
            ultra_200_only=True,
        ),
        # The latest sources (Sep 2026) allow start+end frames on omni-flash with nothing else.
        "omni-flash": VideoModel(
            id="omni-flash",
            display_name="Gemini Omni Flash",
            family="omni",
            durations=(4, 6, 8, 10),
            default_duration=8,
            aspect_ratios=_OMNI_ASPECTS,
            resolutions=VIDEO_RESOLUTIONS,
            max_image_refs=7,
            max_voices=5,
            r2v_durations=(4, 6, 8, 10),
            can_extend=False,
            supports_v2v=True,
            max_image_refs_v2v=5,
            max_voices_v2v=3,
            google_keys=("abra_t2v_4s", "abra_t2v_6s", "abra_t2v_8s", "abra_t2v_10s"),
            as_of=AS_OF["omni_flash"],
        ),
        # Omni 1.2 (Nov 2026): the article speaks of 10 reference images, but the API body only
        # has referenceImage_1..7, so the budget is 7. Frames mode takes an end frame up to 10 s;
        # longer clips are start-frame only. V2V stays omni-flash only (referenceVideo_1 rule).
        "omni-flash-1.2": VideoModel(
            id="omni-flash-1.2",
            display_name="Omni 1.2 Flash",
            family="omni",
            durations=tuple(range(3, 16)),
            default_duration=8,
            aspect_ratios=_OMNI_ASPECTS,
            resolutions=VIDEO_RESOLUTIONS,
            max_image_refs=7,
            max_voices=5,
            r2v_durations=tuple(range(3, 16)),
            can_extend=False,
            end_image_max_duration=10,
            as_of=AS_OF["omni_flash_1_2"],
        ),
    }
)
DEFAULT_VIDEO_MODEL = "veo-3.1-fast"


@dataclass(frozen=True)
class ImageModel:
    """What one ``model`` value of ``POST /images`` accepts."""

    id: str
    display_name: str
    max_refs: int
    aspect_ratios: tuple[str, ...]
    default_aspect: str
    upscalable: bool
    as_of: str = AS_OF["image_models"]


def _nano(model_id: str, name: str) -> ImageModel:
    # Upscaling nano-banana-2-lite: the Jul 2026 compare README (latest) says all three can.
    return ImageModel(model_id, name, 10, IMAGE_ASPECTS, "16:9", upscalable=True)


IMAGE_MODELS: Mapping[str, ImageModel] = MappingProxyType(
    {
        "nano-banana-2-lite": _nano("nano-banana-2-lite", "Nano Banana 2 Lite"),
        # C6 (images/README.md, Oct 5 2026): shown as Nano Banana 2.1, same id.
        "nano-banana-2": _nano("nano-banana-2", "Nano Banana 2.1"),
        "nano-banana-pro": _nano("nano-banana-pro", "Nano Banana Pro"),
    }
)
#: Legacy names the API still accepts. Imagen left Flow in July 2026, so ``imagen-4`` is now
#: ``nano-banana-2-lite`` (and no longer limited to 3 references).
IMAGE_MODEL_ALIASES: Mapping[str, str] = MappingProxyType(
    {"imagen-4": "nano-banana-2-lite", "nano-banana": "nano-banana-2"}
)
DEFAULT_IMAGE_MODEL = "nano-banana-2-lite"


def resolve_image_model(name: str) -> ImageModel | None:
    """The image model for ``name`` (aliases followed), or ``None`` if the API does not know it."""
    return IMAGE_MODELS.get(IMAGE_MODEL_ALIASES.get(name, name))


# --------------------------------------------------------------------------------------------
# Voices

VOICE_PRESETS: tuple[str, ...] = (
    "Achernar", "Achird", "Algenib", "Algieba", "Alnilam", "Aoede", "Autonoe", "Callirrhoe",
    "Charon", "Despina", "Enceladus", "Erinome", "Fenrir", "Gacrux", "Iapetus", "Kore",
    "Laomedeia", "Leda", "Orus", "Puck", "Pulcherrima", "Rasalgethi", "Sadachbia", "Sadaltager",
    "Schedar", "Sulafat", "Umbriel", "Vindemiatrix", "Zephyr", "Zubenelgenubi",
)  # fmt: skip
_PRESETS_BY_LOWER: Mapping[str, str] = MappingProxyType({p.lower(): p for p in VOICE_PRESETS})


def canonical_voice_preset(name: str, *, case_sensitive: bool = False) -> str | None:
    """The preset's exact spelling, or ``None`` when ``name`` is not one of the 30 presets.

    ``POST /voices`` matches case-sensitively; ``referenceAudio_N`` and ``POST /characters`` do not.

    >>> canonical_voice_preset("umbriel")
    'Umbriel'
    >>> canonical_voice_preset("umbriel", case_sensitive=True) is None
    True
    """
    if case_sensitive:
        return name if name in VOICE_PRESETS else None
    return _PRESETS_BY_LOWER.get(name.lower())


# --------------------------------------------------------------------------------------------
# Google model keys (``models.videoModels[].key``) -> our model ids


def model_for_google_key(key: str) -> str | None:
    """Our model id for a Google catalogue key, or ``None`` for keys we do not price.

    Google varies the key by mode, orientation and plan (``veo_3_1_t2v_fast_ultra``,
    ``veo_3_1_i2v_s_fast_ultra``…), so the family words decide: ``lite`` + ``low_priority``,
    ``lite``, ``fast``, otherwise a bare ``veo_3_1_*`` key is Quality; ``abra_*`` is Omni Flash.
    Upsampler keys are not generation models.

    >>> model_for_google_key("veo_3_1_t2v_fast_ultra")
    'veo-3.1-fast'
    >>> model_for_google_key("veo_3_1_t2v")
    'veo-3.1-quality'
    """
    words = key.lower().split("_")
    if key.lower().startswith("abra_"):
        return "omni-flash"
    if not key.lower().startswith("veo_3_1_") or "upsampler" in words:
        return None
    if "lite" in words:
        return "veo-3.1-lite-low-priority" if "priority" in words else "veo-3.1-lite"
    if "fast" in words:
        return "veo-3.1-fast"
    return "veo-3.1-quality"


def omni_key_duration(key: str) -> int | None:
    """``abra_t2v_8s`` -> 8 (Omni keys carry the clip length)."""
    tail = key.lower().rsplit("_", 1)[-1]
    if tail.endswith("s") and tail[:-1].isdigit():
        return int(tail[:-1])
    return None
