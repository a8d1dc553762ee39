"""One validated request object per endpoint of the Google Flow API.

Every class is a frozen dataclass with snake_case fields. Construction checks every rule that
needs no account knowledge and raises :class:`flow_widgets.errors.ValidationError` whose
``field`` is the API's name for the culprit and whose message is one sentence naming it and the
fix; ``validate_for_tier(tier)`` adds the plan rules. Each class has ``method`` and ``path``,
``to_payload()`` (API names, numbered slots expanded, ``async: True`` where supported),
``from_payload(body)`` (JSON types or multipart strings; unknown fields refused) so the simulator
validates with exactly these rules, ``estimate_credits(tier, catalog)`` and ``fingerprint()``.

Example:
    >>> from flow_widgets.api.requests import VideoRequest
    >>> VideoRequest("a fox", model="veo-3.1-quality", duration=10)
    Traceback (most recent call last):
    ...
    flow_widgets.errors.ValidationError: duration 10 is only available on omni models; use 8 for veo-3.1-quality.
"""  # noqa: E501

from __future__ import annotations

from flow_widgets.api.requests._base import VOLATILE_FIELDS, FlowRequest
from flow_widgets.api.requests._captcha import CAPTCHA_PROVIDERS, Captcha
from flow_widgets.api.requests._fields import wants_async
from flow_widgets.api.requests._rules import MAX_PROMPT_CHARS
from flow_widgets.api.requests.accounts import (
    STATS_PROVIDERS,
    AddAccount,
    CaptchaStatsQuery,
    JobsQuery,
    SetCaptchaProviders,
)
from flow_widgets.api.requests.assets import UPLOAD_LIMITS, UploadAsset
from flow_widgets.api.requests.images import ImageRequest, ImageUpscaleRequest
from flow_widgets.api.requests.library import CharacterRequest, VoiceRequest
from flow_widgets.api.requests.video_tools import (
    ConcatClip,
    ConcatenateRequest,
    ExtendRequest,
    GifRequest,
    VideoUpscaleRequest,
)
from flow_widgets.api.requests.videos import VideoMode, VideoRequest

__all__ = [
    "CAPTCHA_PROVIDERS",
    "MAX_PROMPT_CHARS",
    "STATS_PROVIDERS",
    "UPLOAD_LIMITS",
    "VOLATILE_FIELDS",
    "AddAccount",
    "Captcha",
    "CaptchaStatsQuery",
    "CharacterRequest",
    "ConcatClip",
    "ConcatenateRequest",
    "ExtendRequest",
    "FlowRequest",
    "GifRequest",
    "ImageRequest",
    "ImageUpscaleRequest",
    "JobsQuery",
    "SetCaptchaProviders",
    "UploadAsset",
    "VideoMode",
    "VideoRequest",
    "VideoUpscaleRequest",
    "VoiceRequest",
    "wants_async",
]
