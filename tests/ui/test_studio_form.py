"""The Studio's rules as pure functions: choices per kind, model and plan; requests; the preview."""

from __future__ import annotations

import pytest

from flow_widgets.api.ids import make_character_ref, make_media_id
from flow_widgets.api.requests import (
    ExtendRequest,
    ImageRequest,
    ImageUpscaleRequest,
    VideoRequest,
    VideoUpscaleRequest,
)
from flow_widgets.errors import ValidationError
from flow_widgets.ui.studio_form import (
    StudioForm,
    build_request,
    normalise,
    options_for,
)
from flow_widgets.ui.studio_preview import preview

EMAIL = "ann@example.com"
IMAGE = make_media_id(1, EMAIL, "image", "img1")
IMAGE2 = make_media_id(1, EMAIL, "image", "img2")
VIDEO = make_media_id(1, EMAIL, "video", "vid1")
CHARACTER = make_character_ref(1, EMAIL, "ent-1", 2)


# -- choices -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tier", "model", "durations"),
    [
        ("pro", "veo-3.1-fast", (8,)),
        ("ultra_100", "veo-3.1-fast", (4, 6, 8)),
        (None, "veo-3.1-fast", (4, 6, 8)),
        ("pro", "veo-3.1-quality", (8,)),
        ("plus", "omni-flash-1.2", tuple(range(3, 11))),
        ("pro", "omni-flash-1.2", tuple(range(3, 16))),
        ("pro", "omni-flash", (4, 6, 8, 10)),
    ],
)
def test_text_to_video_offers_only_durations_valid_for_model_and_plan(
    tier: str | None, model: str, durations: tuple[int, ...]
) -> None:
    assert options_for(StudioForm(model=model), tier).durations == durations  # type: ignore[arg-type]


def test_free_plan_offers_only_omni_flash_1_2_and_no_video_edit() -> None:
    assert options_for(StudioForm(kind="text"), "free").models == ("omni-flash-1.2",)
    edit = options_for(StudioForm(kind="edit"), "free")
    assert edit.models == ()
    assert edit.unavailable is not None and "paid" in edit.unavailable


def test_lite_lower_priority_is_offered_only_on_ultra_200() -> None:
    assert "veo-3.1-lite-low-priority" not in options_for(StudioForm(), "ultra_100").models
    assert "veo-3.1-lite-low-priority" in options_for(StudioForm(), "ultra_200").models


def test_kinds_narrow_models_to_what_the_mode_supports() -> None:
    assert options_for(StudioForm(kind="edit"), "pro").models == ("omni-flash",)
    assert "veo-3.1-quality" not in options_for(StudioForm(kind="ingredients"), "pro").models
    extenders = options_for(StudioForm(kind="extend"), "pro").models
    assert extenders and all(m.startswith("veo") for m in extenders)


def test_reference_slots_follow_the_model_and_the_edit_budget() -> None:
    veo = options_for(StudioForm(kind="ingredients", model="veo-3.1-fast"), "pro")
    omni = options_for(StudioForm(kind="ingredients", model="omni-flash"), "pro")
    edit = options_for(StudioForm(kind="edit", model="omni-flash"), "pro")
    assert (veo.reference_slots, veo.voice_slots) == (3, 1)
    assert (omni.reference_slots, omni.voice_slots) == (7, 5)
    assert (edit.reference_slots, edit.voice_slots, edit.durations) == (5, 3, ())
    assert options_for(StudioForm(kind="text"), "pro").reference_slots == 0


def test_ingredients_durations_are_the_reference_durations() -> None:
    form = StudioForm(kind="ingredients", model="veo-3.1-fast")
    assert options_for(form, "ultra_100").durations == (8,)


def test_an_end_frame_limits_omni_1_2_to_ten_seconds() -> None:
    without = options_for(StudioForm(kind="frames", model="omni-flash-1.2"), "pro")
    with_end = options_for(
        StudioForm(kind="frames", model="omni-flash-1.2", end_image=IMAGE2), "pro"
    )
    assert max(without.durations) == 15
    assert max(with_end.durations) == 10


def test_image_aspect_auto_needs_a_reference_and_upscale_choices_follow_the_source() -> None:
    assert "auto" not in options_for(StudioForm(kind="image"), "pro").aspect_ratios
    assert (
        "auto"
        in options_for(StudioForm(kind="image", reference_images=(IMAGE,)), "pro").aspect_ratios
    )
    video_up = options_for(StudioForm(kind="upscale", source=VIDEO), "pro")
    image_up = options_for(StudioForm(kind="upscale", source=IMAGE), "free")
    assert video_up.upscale_resolutions == ("1080p",)
    assert options_for(
        StudioForm(kind="upscale", source=VIDEO), "ultra_100"
    ).upscale_resolutions == (
        "1080p",
        "4K",
    )
    assert image_up.upscale_resolutions == ("2k",)


def test_switching_model_drops_choices_the_new_model_does_not_offer() -> None:
    form = StudioForm(
        model="omni-flash-1.2", duration=12, resolution="360p", aspect_ratio="portrait"
    )
    switched = StudioForm(**{**form.__dict__, "model": "veo-3.1-fast"})
    fixed = normalise(switched, options_for(switched, "pro"))
    assert fixed.duration == 8
    assert fixed.resolution is None
    assert fixed.aspect_ratio == "portrait"
    kept = normalise(form, options_for(form, "pro"))
    assert (kept.duration, kept.resolution) == (12, "360p")


# -- requests ------------------------------------------------------------------------------------


def test_each_kind_builds_its_request() -> None:
    assert isinstance(build_request(StudioForm(prompt="a fox")), VideoRequest)
    frames = build_request(StudioForm(kind="frames", prompt="go", start_image=IMAGE))
    assert isinstance(frames, VideoRequest) and frames.mode == "i2v"
    ingredients = build_request(
        StudioForm(kind="ingredients", prompt="@character_1 waves", characters=(CHARACTER,))
    )
    assert isinstance(ingredients, VideoRequest) and ingredients.mode == "r2v"
    edit = build_request(
        StudioForm(
            kind="edit", prompt="make it rain", model="omni-flash", reference_video=VIDEO,
            start_frame=0, end_frame=96,
        )
    )  # fmt: skip
    assert isinstance(edit, VideoRequest) and edit.effective_duration == 4
    assert isinstance(
        build_request(StudioForm(kind="extend", prompt="then", source=VIDEO)), ExtendRequest
    )
    assert isinstance(build_request(StudioForm(kind="upscale", source=VIDEO)), VideoUpscaleRequest)
    assert isinstance(build_request(StudioForm(kind="upscale", source=IMAGE)), ImageUpscaleRequest)
    image = build_request(StudioForm(kind="image", prompt="a lighthouse", count=2))
    assert isinstance(image, ImageRequest) and image.count == 2


@pytest.mark.parametrize(
    ("form", "field"),
    [
        (StudioForm(kind="frames", prompt="go"), "startImage"),
        (StudioForm(kind="ingredients", prompt="go"), "referenceImage_1"),
        (StudioForm(kind="edit", prompt="go", model="omni-flash"), "referenceVideo_1"),
        (StudioForm(kind="extend", prompt="go"), "mediaGenerationId"),
        (StudioForm(kind="upscale"), "mediaGenerationId"),
        (StudioForm(prompt="   "), "prompt"),
    ],
)
def test_missing_inputs_name_the_field_and_the_fix(form: StudioForm, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        build_request(form)
    assert caught.value.field == field
    assert field in str(caught.value)


# -- preview -------------------------------------------------------------------------------------


def test_preview_prices_the_request_for_the_plan_and_shows_what_remains() -> None:
    shown = preview(
        StudioForm(prompt="a fox", model="veo-3.1-fast", count=2),
        tier="pro",
        balance=1000,
        remaining_budget=300,
        budget=300,
    )
    assert shown.ok
    assert shown.credits == 40
    assert (shown.balance_after, shown.budget_after) == (960, 260)
    assert shown.summary() == "40 credits · balance 1,000 → 960 · budget 300 → 260"


def test_preview_names_a_reported_rule_the_form_breaks_and_still_allows_generate() -> None:
    shown = preview(StudioForm(prompt="a fox " * 2000, model="veo-3.1-fast"), tier="pro")
    assert shown.ok  # a reported rule warns and sends (spec §7.1)
    assert "rule prompt-length" in shown.summary() and "sent anyway" in shown.summary()
    assert "rule" not in preview(StudioForm(prompt="a fox"), tier="pro").summary()


def test_preview_over_budget_disables_generate_with_the_cost_and_what_remains() -> None:
    shown = preview(
        StudioForm(prompt="a fox", model="veo-3.1-quality"),
        tier="pro",
        remaining_budget=30,
        budget=50,
    )
    assert not shown.ok
    assert shown.problem is not None
    assert "100 credits" in shown.problem and "30 of the 50-credit budget" in shown.problem


def test_preview_over_balance_disables_generate() -> None:
    shown = preview(StudioForm(prompt="a fox", count=4), tier="pro", balance=50)
    assert not shown.ok and shown.problem is not None and "has 50 left" in shown.problem


def test_preview_reports_plan_rules_and_request_rules_as_reasons() -> None:
    plan = preview(StudioForm(prompt="a fox", model="veo-3.1-fast", duration=4), tier="pro")
    assert not plan.ok and plan.problem_field == "duration" and "Ultra" in (plan.problem or "")
    marker = preview(StudioForm(prompt="hello @character_2"), tier="pro")
    assert not marker.ok and marker.problem_field == "prompt"


def test_unknown_plan_prices_conservatively_and_says_so() -> None:
    shown = preview(StudioForm(prompt="a fox", model="veo-3.1-fast"), tier=None)
    assert shown.credits == 20  # the Pro price, never the cheaper Ultra one
    assert "plan unknown" in shown.summary()


def test_images_are_free() -> None:
    shown = preview(StudioForm(kind="image", prompt="a cat", count=4), tier="pro", balance=0)
    assert shown.ok and shown.credits == 0 and shown.summary().startswith("free")
