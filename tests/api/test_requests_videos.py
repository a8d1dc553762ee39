"""POST /videos: every rule of spec §2.3, §2.4 and §3.11 with a valid and an invalid case."""

from __future__ import annotations

from typing import Any

import pytest

from flow_widgets.api.catalog import TIERS, VIDEO_MODELS, Tier
from flow_widgets.api.ids import make_character_ref, make_media_id, make_voice_ref
from flow_widgets.api.requests import Captcha, ImageRequest, VideoRequest
from flow_widgets.api.requests._evidence import RULES
from flow_widgets.errors import ValidationError

ME = "john@gmail.com"
IMG = tuple(make_media_id(7, ME, "image", f"img-{i}") for i in range(8))
VID = make_media_id(7, ME, "video", "vid-1")
CH1 = make_character_ref(7, ME, "char-1", 1)
CH2 = make_character_ref(7, ME, "char-2", 2, voice="Kore")
VOICE = make_voice_ref(7, ME, "wf-1", "mid-1")
OTHER_IMG = make_media_id(7, "ann@gmail.com", "image", "img-x")
OTHER_USER_IMG = make_media_id(8, ME, "image", "img-y")
OTHER_CHAR = make_character_ref(7, "ann@gmail.com", "char-x", 1)
OTHER_VOICE = make_voice_ref(7, "ann@gmail.com", "wf-x", "mid-x")
OMNI = {"model": "omni-flash"}
V2V = {"model": "omni-flash", "reference_video": VID}

VALID: list[dict[str, Any]] = [
    {},
    {"duration": 4},
    {"duration": 6, "aspect_ratio": "1:1"},
    {"duration": 8, "aspect_ratio": "3:4", "model": "veo-3.1-lite"},
    {"model": "veo-3.1-quality", "duration": 8},
    {"model": "veo-3.1-lite-low-priority", "duration": 6},
    {**OMNI, "duration": 10, "aspect_ratio": "portrait", "resolution": "360p"},
    {"model": "omni-flash-1.2", "duration": 3},
    {"model": "omni-flash-1.2", "duration": 15, "start_image": IMG[0]},
    {"model": "omni-flash-1.2", "duration": 10, "start_image": IMG[0], "end_image": IMG[1]},
    {"resolution": "720p"},
    {"start_image": IMG[0]},
    {"start_image": IMG[0], "end_image": IMG[1], "duration": 6},
    {**OMNI, "start_image": IMG[0], "end_image": IMG[0]},
    {"reference_images": IMG[:3], "duration": 8},
    {"reference_images": IMG[:1], "characters": (CH2,)},
    {"characters": (CH1, CH2)},
    {**OMNI, "reference_images": IMG[:7], "duration": 4},
    {**OMNI, "reference_images": IMG[:3], "characters": (CH2, CH2)},
    {"reference_images": IMG[:1], "voices": ("kore",)},
    {"characters": (CH1,), "voices": (VOICE,)},
    {**OMNI, "reference_images": IMG[:1], "voices": ("Kore", "Puck", VOICE, "zephyr", "Leda")},
    {**V2V},
    {**V2V, "reference_images": IMG[:5], "voices": ("Kore", "Puck", "Leda")},
    {**V2V, "voices": ("Kore",)},
    {**V2V, "start_frame": 0, "end_frame": 240},
    {**V2V, "start_frame": 239, "end_frame": 240},
    {**V2V, "start_frame": 10, "resolution": "360p"},
    {"prompt": "@referenceImage_1 waves at @Character_1", "reference_images": IMG[:1],
     "characters": (CH1,)},
    {"prompt": "@REFERENCEIMAGE_2 speaks", "reference_images": (None, IMG[1])},
    {**OMNI, "prompt": "@character_1 says hi in @referenceAudio_2", "characters": (CH1,),
     "voices": ("Kore", "Puck")},
    {"prompt": "mail me at fox@example.com about @reference_9"},  # not a video marker
    {"reference_images": IMG[:2], "email": ME},
    {"reference_images": IMG[:2], "email": "JOHN@gmail.com"},
    {"count": 4, "seed": 0},
    {"count": 1, "seed": 2**40},
    {"captcha": Captcha(token="03AFcWeA-token")},
    {"captcha": Captcha(retry=10)},
    {"captcha": Captcha(order=("CapSolver", "2Captcha", "capsolver"))},
    {"reply_url": "https://example.com/" + "x" * 1004, "reply_ref": "r" * 1024},
    {"prompt": "p" * 8000},
    {"email": "someone@example.org"},
]  # fmt: skip

INVALID: list[tuple[dict[str, Any], str]] = [
    ({"prompt": ""}, "prompt"),
    ({"prompt": "   "}, "prompt"),
    ({**OMNI, "aspect_ratio": "1:1"}, "aspectRatio"),
    ({"resolution": "360p"}, "resolution"),
    ({"count": 0}, "count"),
    ({"count": 5}, "count"),
    ({"seed": -1}, "seed"),
    ({"duration": 10}, "duration"),
    ({"duration": 5}, "duration"),
    ({"model": "veo-3.1-quality", "duration": 4}, "duration"),
    ({**OMNI, "duration": 12}, "duration"),
    ({"model": "omni-flash-1.2", "duration": 2}, "duration"),
    ({"model": "omni-flash-1.2", "duration": 16}, "duration"),
    ({"reference_images": IMG[:1], "duration": 6}, "duration"),
    ({"characters": (CH1,), "duration": 4, "model": "veo-3.1-lite"}, "duration"),
    ({"model": "omni-flash-1.2", "duration": 11, "start_image": IMG[0], "end_image": IMG[1]},
     "duration"),
    ({"end_image": IMG[1]}, "endImage"),
    ({"start_image": IMG[0], "reference_images": IMG[:1]}, "referenceImage_1"),
    ({"start_image": IMG[0], "end_image": IMG[1], "characters": (None, CH1)}, "character_2"),
    ({**OMNI, "start_image": IMG[0], "voices": ("Kore",)}, "referenceAudio_1"),
    ({"model": "veo-3.1-quality", "reference_images": IMG[:1]}, "referenceImage_1"),
    ({"model": "veo-3.1-quality", "characters": (CH1,)}, "character_1"),
    ({"model": "veo-3.1-quality", "voices": ("Kore",)}, "referenceAudio_1"),
    ({"reference_images": (None, None, None, IMG[3])}, "referenceImage_4"),
    ({"reference_images": IMG[:2], "characters": (CH2,)}, "character_1"),
    ({"characters": (CH2, CH2)}, "character_2"),
    ({**OMNI, "reference_images": IMG[:8]}, "referenceImage_8"),
    ({**OMNI, "reference_images": IMG[:4], "characters": (CH2, CH2)}, "character_2"),
    ({**V2V, "reference_images": IMG[:6]}, "referenceImage_6"),
    ({**V2V, "reference_images": IMG[:5], "characters": (CH1,)}, "character_1"),
    ({"reference_images": IMG[:1], "voices": ("Kore", "Puck")}, "referenceAudio_2"),
    ({**OMNI, "reference_images": IMG[:1], "voices": ("Kore",) * 6}, "referenceAudio_6"),
    ({**V2V, "voices": ("Kore", "Puck", "Leda", "Orus")}, "referenceAudio_4"),
    ({"reference_video": VID}, "referenceVideo_1"),
    ({**OMNI, "reference_video": IMG[0]}, "referenceVideo_1"),
    ({**V2V, "duration": 8}, "duration"),
    ({**V2V, "start_image": IMG[0]}, "startImage"),
    ({"start_frame": 0}, "startFrameIndex_1"),
    ({**OMNI, "end_frame": 48}, "endFrameIndex_1"),
    ({**V2V, "start_frame": 240}, "startFrameIndex_1"),
    ({**V2V, "start_frame": -1}, "startFrameIndex_1"),
    ({**V2V, "end_frame": 0}, "endFrameIndex_1"),
    ({**V2V, "end_frame": 241}, "endFrameIndex_1"),
    ({**V2V, "start_frame": 48, "end_frame": 48}, "endFrameIndex_1"),
    ({"prompt": "@referenceImage_2 dances", "reference_images": IMG[:1]}, "prompt"),
    ({"prompt": "@character_1 dances"}, "prompt"),
    ({"prompt": "@REFERENCEAUDIO_1 speaks", "reference_images": IMG[:1]}, "prompt"),
    ({**V2V, "prompt": "restyle @referenceVideo_1"}, "prompt"),
    ({"reference_images": (IMG[0], OTHER_IMG)}, "referenceImage_2"),
    ({"reference_images": (IMG[0], OTHER_USER_IMG)}, "referenceImage_2"),
    ({"reference_images": IMG[:1], "characters": (OTHER_CHAR,)}, "character_1"),
    ({"reference_images": IMG[:1], "voices": (OTHER_VOICE,)}, "referenceAudio_1"),
    ({"reference_images": IMG[:1], "email": "ann@gmail.com"}, "email"),
    ({**V2V, "reference_images": (OTHER_IMG,)}, "referenceVideo_1"),
    ({"start_image": VID}, "startImage"),
    ({"reference_images": ("not-an-id",)}, "referenceImage_1"),
    ({"reference_images": ("user:7-email:6a6f...-image:abc",)}, "referenceImage_1"),
    ({"characters": (IMG[0],)}, "character_1"),
    ({"reply_url": "https://example.com/" + "x" * 1005}, "replyUrl"),
    ({"reply_ref": "r" * 1025}, "replyRef"),
    ({"email": "john"}, "email"),
    ({"duration": "8"}, "duration"),
    ({"count": True}, "count"),
    ({"seed": 1.5}, "seed"),
    ({"prompt": 42}, "prompt"),
    ({"reference_images": IMG[0]}, "referenceImage_1"),
    ({"reference_images": ("",)}, "referenceImage_1"),
    ({"voices": ("Kore",) * 6, "model": "omni-flash"}, "referenceAudio_6"),
    ({"captcha": "retry=3"}, "captcha"),
]  # fmt: skip


def _build(kwargs: dict[str, Any]) -> VideoRequest:
    args = {"prompt": "a red fox runs through fresh snow", **kwargs}
    return VideoRequest(**args)


@pytest.mark.parametrize("kwargs", VALID, ids=[str(i) for i in range(len(VALID))])
def test_valid_requests_are_accepted(kwargs: dict[str, Any]) -> None:
    request = _build(kwargs)
    assert VideoRequest.from_payload(request.to_payload()) == request


@pytest.mark.parametrize(
    ("kwargs", "field"), INVALID, ids=[f"{i}-{f}" for i, (_, f) in enumerate(INVALID)]
)
def test_invalid_requests_name_the_field(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        _build(kwargs)
    assert info.value.field == field
    message = str(info.value)
    assert field in message
    assert message.endswith((".", "?")) and message.count(". ") == 0  # one sentence
    # Every refusal names its rule (with its evidence), except the field-type layer's.
    assert info.value.rule in RULES or " must be " in message or "does not exist" in message


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"prompt": "x", "duration": 8}, None),
        ({"prompt": "x", "referenceImage_1": IMG[0], "duration": "6"}, "duration"),
        ({"prompt": "@referenceImage_2 waves", "referenceImage_1": IMG[0]}, "prompt"),
    ],
)
def test_the_simulator_path_applies_the_same_rules(
    kwargs: dict[str, Any], field: str | None
) -> None:
    if field is None:
        assert VideoRequest.from_payload(kwargs).duration == 8
        return
    with pytest.raises(ValidationError) as info:
        VideoRequest.from_payload(kwargs)
    assert info.value.field == field


def test_the_documented_message_shape() -> None:
    with pytest.raises(ValidationError) as info:
        VideoRequest("a fox", duration=10)
    assert str(info.value) == (
        "duration 10 is only available on omni models; use 4, 6 or 8 for veo-3.1-fast."
    )


def test_modes_and_derived_facts() -> None:
    assert _build({}).mode == "t2v"
    assert _build({"start_image": IMG[0]}).mode == "i2v"
    assert _build({"start_image": IMG[0], "end_image": IMG[1]}).mode == "i2v_fl"
    assert _build({"characters": (CH2,)}).mode == "r2v"
    edit = _build({**V2V, "start_frame": 24, "end_frame": 144})
    assert edit.mode == "v2v" and edit.effective_duration == 5
    assert _build({"characters": (CH2, CH1)}).image_budget_used == 3
    assert _build({"model": "omni-flash"}).effective_duration == 8
    assert _build({"reference_images": (None, IMG[1])}).reference_images == (None, IMG[1])
    assert _build({"reference_images": (IMG[0], None, None)}).reference_images == (IMG[0],)


# ------------------------------------------------------------------------------ plan rules

TIER_CASES: list[tuple[dict[str, Any], Tier, str | None]] = [
    ({}, "free", "model"),
    ({}, "plus", None),
    ({"model": "omni-flash"}, "plus", None),
    ({"model": "omni-flash-1.2", "duration": 10}, "free", None),
    ({"model": "omni-flash-1.2", "duration": 12}, "free", "duration"),
    ({"model": "omni-flash-1.2", "duration": 12}, "plus", "duration"),
    ({"model": "omni-flash-1.2", "duration": 15}, "pro", None),
    ({"duration": 4}, "pro", "duration"),
    ({"duration": 6}, "plus", "duration"),
    ({"duration": 4}, "ultra_100", None),
    ({"duration": 6, "model": "veo-3.1-lite"}, "ultra_200", None),
    ({"model": "veo-3.1-lite-low-priority", "duration": 4}, "ultra_200", None),
    ({**OMNI, "duration": 4}, "pro", None),
]


@pytest.mark.parametrize(("kwargs", "tier", "field"), TIER_CASES)
def test_plan_rules(kwargs: dict[str, Any], tier: Tier, field: str | None) -> None:
    request = _build(kwargs)
    if field is None:
        request.validate_for_tier(tier)
        return
    with pytest.raises(ValidationError) as info:
        request.validate_for_tier(tier)
    assert info.value.field == field and field in str(info.value)


# ------------------------------------------------------------------------------ credits

EXPECTED: dict[str, dict[Tier, int]] = {
    "veo-3.1-fast": {"free": 20, "plus": 20, "pro": 20, "ultra_100": 10, "ultra_200": 10},
    "veo-3.1-lite": {"free": 10, "plus": 10, "pro": 10, "ultra_100": 5, "ultra_200": 5},
    "veo-3.1-quality": dict.fromkeys(TIERS, 100),
    "veo-3.1-lite-low-priority": dict.fromkeys(TIERS, 0),
    "omni-flash": dict.fromkeys(TIERS, 12),
    "omni-flash-1.2": dict.fromkeys(TIERS, 24),  # C3: 8 s at 3 credits/s
}


@pytest.mark.parametrize("model", sorted(VIDEO_MODELS))
@pytest.mark.parametrize("tier", TIERS)
def test_credits_per_tier_for_every_model(model: str, tier: Tier) -> None:
    single = VideoRequest("a fox", model=model)
    assert single.estimate_credits(tier) == EXPECTED[model][tier]
    assert VideoRequest("a fox", model=model, count=3).estimate_credits(tier) == (
        3 * EXPECTED[model][tier]
    )


def test_omni_credits_follow_duration_resolution_and_edit() -> None:
    assert _build({**OMNI, "duration": 10}).estimate_credits("pro") == 15
    assert _build({**OMNI, "duration": 4, "resolution": "360p"}).estimate_credits("pro") == 4
    assert _build({**V2V, "count": 2}).estimate_credits("ultra_200") == 40
    assert _build({**V2V, "resolution": "360p"}).estimate_credits("plus") == 10
    # C3 (Nov 2026): 3 credits/s to 10 s, 6/s beyond.
    assert _build({"model": "omni-flash-1.2", "duration": 15}).estimate_credits("pro") == 60


def test_what_can_follow_a_video_comes_from_the_catalog() -> None:
    veo = VideoRequest("a fox", model="veo-3.1-lite")
    omni = VideoRequest("a fox", model="omni-flash")
    assert veo.follow_ups() == {"extend", "upscale", "gif", "concatenate"}
    assert "extend" not in omni.follow_ups()  # the catalog: omni models cannot extend
    assert ImageRequest("a fox").follow_ups() == frozenset()
