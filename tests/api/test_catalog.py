"""The catalog: model facts, plan mapping, prices per tier, overrides, refresh from an account."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from flow_widgets.api import catalog
from flow_widgets.api.catalog import (
    AS_OF,
    DEFAULT_CATALOG,
    IMAGE_MODEL_ALIASES,
    IMAGE_MODELS,
    TIERS,
    VIDEO_MODELS,
    VOICE_PRESETS,
    Catalog,
    Tier,
    canonical_voice_preset,
    is_ultra,
    model_for_google_key,
    resolve_image_model,
    tier_from_account,
)
from flow_widgets.errors import ValidationError

# Expected credits for one generation, per model and plan (spec §2.2, latest tables).
VEO_PRICES: dict[str, dict[Tier, int]] = {
    "veo-3.1-fast": {"free": 20, "plus": 20, "pro": 20, "ultra_100": 10, "ultra_200": 10},
    "veo-3.1-lite": {"free": 10, "plus": 10, "pro": 10, "ultra_100": 5, "ultra_200": 5},
    "veo-3.1-quality": {t: 100 for t in TIERS},
    "veo-3.1-lite-low-priority": {t: 0 for t in TIERS},
}
OMNI_PRICES = {
    (4, "720p"): 7,
    (6, "720p"): 10,
    (8, "720p"): 12,
    (10, "720p"): 15,
    (4, "360p"): 4,
    (6, "360p"): 5,
    (8, "360p"): 6,
    (10, "360p"): 7,
}


def test_every_model_named_by_the_spec_is_present() -> None:
    assert set(VIDEO_MODELS) == {
        "veo-3.1-lite",
        "veo-3.1-fast",
        "veo-3.1-quality",
        "veo-3.1-lite-low-priority",
        "omni-flash",
        "omni-flash-1.2",
    }
    assert set(IMAGE_MODELS) == {"nano-banana-2-lite", "nano-banana-2", "nano-banana-pro"}
    assert catalog.DEFAULT_VIDEO_MODEL == "veo-3.1-fast"
    assert catalog.DEFAULT_IMAGE_MODEL == "nano-banana-2-lite"
    assert dict(IMAGE_MODEL_ALIASES) == {
        "imagen-4": "nano-banana-2-lite",
        "nano-banana": "nano-banana-2",
    }


def test_video_model_facts() -> None:
    fast = VIDEO_MODELS["veo-3.1-fast"]
    assert (fast.durations, fast.default_duration, fast.r2v_durations) == ((4, 6, 8), 8, (8,))
    assert fast.aspect_ratios == ("landscape", "portrait", "1:1", "4:3", "3:4")
    assert (fast.max_image_refs, fast.max_voices, fast.supports_v2v) == (3, 1, False)
    assert fast.can_extend and fast.supports_r2v
    quality = VIDEO_MODELS["veo-3.1-quality"]
    assert quality.durations == (8,) and not quality.supports_r2v and quality.max_voices == 0
    assert VIDEO_MODELS["veo-3.1-lite-low-priority"].ultra_200_only
    omni = VIDEO_MODELS["omni-flash"]
    assert omni.durations == (4, 6, 8, 10) and omni.aspect_ratios == ("landscape", "portrait")
    assert (omni.max_image_refs, omni.max_image_refs_v2v) == (7, 5)
    assert (omni.max_voices, omni.max_voices_v2v) == (5, 3)
    assert omni.supports_v2v and not omni.can_extend and omni.resolutions == ("720p", "360p")
    omni12 = VIDEO_MODELS["omni-flash-1.2"]
    assert omni12.durations == tuple(range(3, 16)) and omni12.end_image_max_duration == 10
    assert VIDEO_MODELS["veo-3.1-quality"].display_name == "Veo 3.1 - Quality"


def test_every_fact_group_and_model_carries_a_date() -> None:
    for date in AS_OF.values():
        assert len(date) == 10 and date.startswith("2026-")
    for video in VIDEO_MODELS.values():
        assert video.as_of in AS_OF.values()
    for image in IMAGE_MODELS.values():
        assert image.as_of in AS_OF.values()


def test_image_models_and_aliases() -> None:
    for model in IMAGE_MODELS.values():
        assert model.max_refs == 10 and model.default_aspect == "16:9"
        assert "auto" in model.aspect_ratios and "9:16" in model.aspect_ratios
    alias = resolve_image_model("imagen-4")
    assert alias is not None and alias.id == "nano-banana-2-lite"
    assert resolve_image_model("nano-banana") == IMAGE_MODELS["nano-banana-2"]
    assert resolve_image_model("dall-e") is None


def test_the_thirty_voice_presets_are_spelled_exactly() -> None:
    assert len(VOICE_PRESETS) == len(set(VOICE_PRESETS)) == 30
    assert VOICE_PRESETS[0] == "Achernar" and VOICE_PRESETS[-1] == "Zubenelgenubi"
    assert {"Callirrhoe", "Laomedeia", "Vindemiatrix", "Sadaltager"} <= set(VOICE_PRESETS)
    assert canonical_voice_preset("ZEPHYR") == "Zephyr"
    assert canonical_voice_preset("zephyr", case_sensitive=True) is None
    assert canonical_voice_preset("Zephyr", case_sensitive=True) == "Zephyr"
    assert canonical_voice_preset("Alexa") is None


@pytest.mark.parametrize(
    ("paygate", "sku", "keys", "expected"),
    [
        ("PAYGATE_TIER_NOT_PAID", None, (), "free"),
        ("PAYGATE_TIER_ONE", None, (), "pro"),
        ("PAYGATE_TIER_TWO", None, (), "ultra_100"),
        ("PAYGATE_TIER_TWO", None, ("veo_3_1_t2v_lite_low_priority",), "ultra_200"),
        ("PAYGATE_TIER_ONE", "G1_TIER1P5", (), "plus"),
        (None, "G1_TIER1", (), "pro"),
        ("PAYGATE_TIER_TWO", "G1_TIER2", (), "ultra_200"),
        ("PAYGATE_TIER_TWO", "WS_ULTRA", (), "ultra_200"),
        ("paygate_tier_one", None, (), "pro"),
        ("PAYGATE_TIER_NINE", None, (), None),
        (None, None, (), None),
    ],
)
def test_tier_from_account(
    paygate: str | None, sku: str | None, keys: tuple[str, ...], expected: str | None
) -> None:
    assert tier_from_account(paygate, sku, video_model_keys=keys) == expected


def test_is_ultra() -> None:
    assert [t for t in TIERS if is_ultra(t)] == ["ultra_100", "ultra_200"]


@pytest.mark.parametrize(
    ("key", "model"),
    [
        ("veo_3_1_t2v", "veo-3.1-quality"),
        ("veo_3_1_t2v_fast_ultra", "veo-3.1-fast"),
        ("veo_3_1_t2v_fast", "veo-3.1-fast"),
        ("veo_3_1_i2v_s_fast_ultra", "veo-3.1-fast"),
        ("veo_3_1_t2v_lite", "veo-3.1-lite"),
        ("veo_3_1_t2v_lite_low_priority", "veo-3.1-lite-low-priority"),
        ("abra_t2v_8s", "omni-flash"),
        ("veo_3_1_upsampler_1080p", None),
        ("imagen_4", None),
    ],
)
def test_google_keys_map_to_model_ids(key: str, model: str | None) -> None:
    assert model_for_google_key(key) == model


@pytest.mark.parametrize("model", sorted(VEO_PRICES))
@pytest.mark.parametrize("tier", TIERS)
def test_veo_credits_per_tier(model: str, tier: Tier) -> None:
    price = VEO_PRICES[model][tier]
    for duration in VIDEO_MODELS[model].durations:
        assert DEFAULT_CATALOG.video_credits(model, duration, "720p", tier) == price
    assert DEFAULT_CATALOG.extend_credits(model, tier) == price


@pytest.mark.parametrize("tier", TIERS)
def test_omni_flash_credits_do_not_depend_on_the_plan(tier: Tier) -> None:
    for (duration, resolution), price in OMNI_PRICES.items():
        assert DEFAULT_CATALOG.video_credits("omni-flash", duration, resolution, tier) == price
    assert DEFAULT_CATALOG.video_credits("omni-flash", 8, "720p", tier, v2v=True) == 20
    assert DEFAULT_CATALOG.video_credits("omni-flash", 8, "360P", tier, v2v=True) == 10


@pytest.mark.parametrize(
    ("duration", "resolution", "credits"),
    [(3, "720p", 9), (8, "720p", 24), (10, "720p", 30), (15, "720p", 60), (15, "360p", 30)],
)
def test_omni_flash_1_2_is_priced_per_second(duration: int, resolution: str, credits: int) -> None:
    assert DEFAULT_CATALOG.video_credits("omni-flash-1.2", duration, resolution, "pro") == credits


def test_utility_prices() -> None:
    assert DEFAULT_CATALOG.video_upscale_credits("1080p") == 0
    assert DEFAULT_CATALOG.video_upscale_credits("4K") == 50
    assert DEFAULT_CATALOG.video_upscale_credits("4k") == 50
    assert DEFAULT_CATALOG.image_credits == 0


def test_price_lookups_name_the_bad_field() -> None:
    with pytest.raises(ValidationError, match="model") as info:
        DEFAULT_CATALOG.video_credits("sora-2", 8, "720p", "pro")
    assert info.value.field == "model"
    with pytest.raises(ValidationError, match="omni-flash cannot extend") as info:
        DEFAULT_CATALOG.extend_credits("omni-flash", "pro")
    with pytest.raises(ValidationError, match="duration") as info:
        DEFAULT_CATALOG.video_credits("omni-flash", 5, "720p", "pro")
    assert info.value.field == "duration"
    with pytest.raises(ValidationError, match="resolution") as info:
        DEFAULT_CATALOG.video_upscale_credits("8K")
    assert info.value.field == "resolution"


def test_expected_seconds() -> None:
    assert DEFAULT_CATALOG.expected_seconds("video", "veo-3.1-quality") == 240
    assert DEFAULT_CATALOG.expected_seconds("video") == 100  # default model: veo-3.1-fast
    assert DEFAULT_CATALOG.expected_seconds("extend", "veo-3.1-lite") == 90
    assert DEFAULT_CATALOG.expected_seconds("image", "imagen-4") == 15
    assert DEFAULT_CATALOG.expected_seconds("gif") == 45
    for kind in catalog.TASK_KINDS:
        assert DEFAULT_CATALOG.expected_seconds(kind) > 0
    with pytest.raises(ValidationError, match="kind") as info:
        DEFAULT_CATALOG.expected_seconds("teleport")
    assert info.value.field == "kind"


def test_catalog_is_frozen_and_its_tables_read_only() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT_CATALOG.image_credits = 5  # type: ignore[misc]
    with pytest.raises(TypeError):
        DEFAULT_CATALOG.veo_credits[("veo-3.1-fast", "pro")] = 1  # type: ignore[index]


def test_overrides_replace_only_what_is_given() -> None:
    custom = DEFAULT_CATALOG.with_overrides(
        veo_credits={"veo-3.1-fast": 15, ("veo-3.1-lite", "ultra_200"): 3},
        omni_credits={8: 25, (4, "360p"): 2},
        omni_v2v_credits={"720p": 40},
        omni_credits_per_second={"720p": 2.0},
        upscale_credits={"4k": 40},
        image_credits=1,
        generation_seconds={"omni-flash": 60},
        task_seconds={"gif": 30},
    )
    assert all(custom.video_credits("veo-3.1-fast", 8, "720p", t) == 15 for t in TIERS)
    assert custom.video_credits("veo-3.1-lite", 8, "720p", "ultra_200") == 3
    assert custom.video_credits("veo-3.1-lite", 8, "720p", "ultra_100") == 5
    assert custom.video_credits("omni-flash", 8, "720p", "pro") == 25
    assert custom.video_credits("omni-flash", 4, "360p", "pro") == 2
    assert custom.video_credits("omni-flash", 6, "720p", "pro") == 10
    assert custom.video_credits("omni-flash", 6, "720p", "pro", v2v=True) == 40
    assert custom.video_credits("omni-flash-1.2", 5, "720p", "pro") == 10
    assert custom.video_upscale_credits("4K") == 40
    assert custom.image_credits == 1
    assert custom.expected_seconds("video", "omni-flash") == 60
    assert custom.expected_seconds("gif") == 30
    # the default is untouched
    assert DEFAULT_CATALOG.video_credits("veo-3.1-fast", 8, "720p", "pro") == 20
    assert DEFAULT_CATALOG.expected_seconds("gif") == 45


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"veo_credits": {"omni-flash": 3}}, "veo_credits"),
        ({"veo_credits": {("veo-3.1-fast", "gold"): 3}}, "veo_credits"),
        ({"veo_credits": {"veo-3.1-fast": -1}}, "veo_credits"),
        ({"veo_credits": {"veo-3.1-fast": 2.5}}, "veo_credits"),
        ({"omni_credits": {7: 3}}, "omni_credits"),
        ({"omni_credits": {(8, "1080p"): 3}}, "omni_credits"),
        ({"omni_v2v_credits": {"4K": 3}}, "omni_v2v_credits"),
        ({"omni_credits_per_second": {"720p": "fast"}}, "omni_credits_per_second"),
        ({"upscale_credits": {"8K": 3}}, "upscale_credits"),
        ({"image_credits": True}, "image_credits"),
        ({"generation_seconds": {"sora": 3}}, "generation_seconds"),
        ({"generation_seconds": {"omni-flash": 0}}, "generation_seconds"),
        ({"task_seconds": {"gif": -5}}, "task_seconds"),
    ],
)
def test_bad_overrides_name_the_field(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError, match=field) as info:
        DEFAULT_CATALOG.with_overrides(**overrides)
    assert info.value.field == field


def _account(paygate: str, models: list[Any]) -> dict[str, Any]:
    return {
        "health": "OK",
        "credits": {"credits": 18760, "userPaygateTier": paygate},
        "models": {"videoModels": models},
    }


ULTRA_ACCOUNT = _account(
    "PAYGATE_TIER_TWO",
    [
        {
            "key": "veo_3_1_t2v",
            "displayName": "Veo 3.1 - Quality",
            "videoLengthSeconds": 8,
            "videoGenerationTimeSeconds": 200,
            "creditCost": 90,
            "paygateTier": "PAYGATE_TIER_TWO",
        },
        {"key": "veo_3_1_i2v_s_fast_ultra", "creditCost": 99, "videoGenerationTimeSeconds": 1},
        {"key": "veo_3_1_t2v_fast_ultra", "creditCost": 8, "videoGenerationTimeSeconds": 80},
        {"key": "veo_3_1_t2v_lite", "videoGenerationTimeSeconds": 70},  # no creditCost
        {"key": "abra_t2v_8s", "creditCost": 11, "videoGenerationTimeSeconds": 150},
        {"key": "veo_3_1_upsampler_1080p", "creditCost": 0},
        {"key": "some_future_model", "creditCost": 1},
        "not an entry",
    ],
)


def test_refresh_from_an_account_prices_its_own_plan() -> None:
    fresh = DEFAULT_CATALOG.updated_from_account(ULTRA_ACCOUNT)
    assert fresh.video_credits("veo-3.1-quality", 8, "720p", "ultra_100") == 90
    assert fresh.video_credits("veo-3.1-quality", 8, "720p", "pro") == 100  # other plans kept
    # the text-to-video key wins over the image-to-video variant of the same model
    assert fresh.video_credits("veo-3.1-fast", 8, "720p", "ultra_100") == 8
    assert fresh.expected_seconds("video", "veo-3.1-fast") == 80
    assert fresh.video_credits("veo-3.1-lite", 8, "720p", "ultra_100") == 5  # unchanged
    assert fresh.expected_seconds("video", "veo-3.1-lite") == 70
    assert fresh.video_credits("omni-flash", 8, "720p", "ultra_100") == 11
    assert fresh.video_credits("omni-flash", 8, "360p", "ultra_100") == 6
    assert fresh.expected_seconds("video", "omni-flash") == 150
    assert fresh.expected_seconds("video", "veo-3.1-quality") == 200


def test_refresh_reads_ultra_200_from_the_model_list_and_accepts_an_explicit_tier() -> None:
    account = _account(
        "PAYGATE_TIER_TWO", [{"key": "veo_3_1_t2v_lite_low_priority", "creditCost": 1}]
    )
    fresh = DEFAULT_CATALOG.updated_from_account(account)
    assert fresh.video_credits("veo-3.1-lite-low-priority", 8, "720p", "ultra_200") == 1
    assert fresh.video_credits("veo-3.1-lite-low-priority", 8, "720p", "ultra_100") == 0
    explicit = DEFAULT_CATALOG.updated_from_account(account, tier="pro")
    assert explicit.video_credits("veo-3.1-lite-low-priority", 8, "720p", "pro") == 1


def test_refresh_of_an_unhealthy_account_changes_nothing_but_needs_a_tier() -> None:
    unhealthy = {"health": "session expired", "error": "re-add the account"}
    with pytest.raises(ValidationError, match="userPaygateTier") as info:
        DEFAULT_CATALOG.updated_from_account(unhealthy)
    assert info.value.field == "credits.userPaygateTier"
    assert DEFAULT_CATALOG.updated_from_account(unhealthy, tier="pro") == DEFAULT_CATALOG


def test_default_constructor_builds_an_equal_catalog() -> None:
    assert Catalog.default() == DEFAULT_CATALOG
