"""The documented credit prices and typical timings, each with where and when it was read.

These are the starting values of :class:`flow_widgets.api.catalog.Catalog`, which users may
override and refresh from their account; they live apart from the catalog's logic so a price
change is a one-line edit next to its source. Pure data. Dates are in
:data:`flow_widgets.api._lineup.AS_OF`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from flow_widgets.api._lineup import TIERS, Tier, is_ultra

__all__ = [
    "GENERATION_SECONDS",
    "OMNI_CREDITS",
    "OMNI_CREDITS_PER_SECOND",
    "OMNI_V2V_CREDITS",
    "TASK_SECONDS",
    "UPSCALE_CREDITS",
    "VEO_CREDITS",
]

# Videos page and overview (June 2026): Fast 20 / Lite 10 off Ultra and half on Ultra; Quality
# 100 everywhere; Lite Lower Priority is free (and Ultra $200 only -- a plan rule, not a price).
# One price per clip whatever its length (spec §6 item 27).
_VEO_REGULAR_AND_ULTRA = {
    "veo-3.1-fast": (20, 10),
    "veo-3.1-lite": (10, 5),
    "veo-3.1-quality": (100, 100),
    "veo-3.1-lite-low-priority": (0, 0),
}
VEO_CREDITS: Mapping[tuple[str, Tier], int] = MappingProxyType(
    {
        (model, tier): ultra if is_ultra(tier) else regular
        for model, (regular, ultra) in _VEO_REGULAR_AND_ULTRA.items()
        for tier in TIERS
    }
)

# Official skill, n8n and UGC examples (Sep-Nov 2026), which replaced June's 15/20/25/30 + V2V 40.
OMNI_CREDITS: Mapping[tuple[int, str], int] = MappingProxyType(
    {
        (4, "720p"): 7,
        (6, "720p"): 10,
        (8, "720p"): 12,
        (10, "720p"): 15,
        (4, "360p"): 4,
        (6, "360p"): 5,
        (8, "360p"): 6,
        (10, "360p"): 7,
    }
)
OMNI_V2V_CREDITS: Mapping[str, int] = MappingProxyType({"720p": 20, "360p": 10})

# omni-flash-1.2 (C3, [ART:google-flow-bash-ja] updated Nov 6 2026): 3 credits per second up to
# 10 s, 6 per second beyond, at 720p (8 s = 24, 15 s = 30 + 30 = 60). The 360p rate is not
# stated; half the 720p rate, as for omni-flash, is our estimate. Rounded up per clip.
OMNI_CREDITS_PER_SECOND: Mapping[str, float] = MappingProxyType({"720p": 3.0, "360p": 1.5})
#: Seconds billed at the base rate; every second beyond costs ``OMNI_LONG_FACTOR`` times more.
OMNI_BASE_SECONDS = 10
OMNI_LONG_FACTOR = 2

# Video upscale page (May 2026): 1080p free, 4K 50 credits (Ultra only).
# C1 (Oct 2026): Omni 360p -> 720p is free too ("upscaling and joining are free", n8n README).
UPSCALE_CREDITS: Mapping[str, int] = MappingProxyType({"720p": 0, "1080p": 0, "4K": 50})

# Quality 240 s and Fast 100 s are ``videoGenerationTimeSeconds`` from an account's model list;
# Omni clips take "1 to 3 minutes"; nano-banana-2 took 23.6 s in a live test; the rest are
# estimates inside the documented 60-180 s (video) and 10-20 s (image) ranges.
GENERATION_SECONDS: Mapping[str, float] = MappingProxyType(
    {
        "veo-3.1-fast": 100.0,
        "veo-3.1-lite": 90.0,
        "veo-3.1-quality": 240.0,
        "veo-3.1-lite-low-priority": 180.0,
        "omni-flash": 120.0,
        "omni-flash-1.2": 120.0,
        "nano-banana-2-lite": 15.0,
        "nano-banana-2": 24.0,
        "nano-banana-pro": 20.0,
    }
)

# Upscale 30-60 s (4K "a few minutes"), GIF up to 90 s, concatenate 15-20 s; voice, character
# and upload times are estimates (not documented).
TASK_SECONDS: Mapping[str, float] = MappingProxyType(
    {
        "video_upscale": 45.0,
        "video_upscale_4k": 180.0,
        "image_upscale": 15.0,
        "gif": 45.0,
        "concatenate": 18.0,
        "voice": 10.0,
        "character": 5.0,
        "upload": 5.0,
    }
)
