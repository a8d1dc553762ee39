"""Payload plumbing shared by every request: round trips, multipart strings, unknown fields,
fingerprints, and a property test that accepted requests survive to_payload/from_payload."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from flow_widgets.api import requests as api_requests
from flow_widgets.api.catalog import VIDEO_MODELS
from flow_widgets.api.ids import make_character_ref, make_media_id, make_voice_ref
from flow_widgets.api.requests import (
    Captcha,
    ConcatClip,
    ConcatenateRequest,
    ExtendRequest,
    FlowRequest,
    ImageRequest,
    VideoRequest,
    VoiceRequest,
    wants_async,
)
from flow_widgets.errors import ValidationError

ME = "john@gmail.com"
IMGS = tuple(make_media_id(7, ME, "image", f"img-{i}") for i in range(10))
VID = make_media_id(7, ME, "video", "vid-1")
CHARS = (make_character_ref(7, ME, "c-1", 1), make_character_ref(7, ME, "c-2", 2, voice="Puck"))
VOICES = ("Kore", "puck", make_voice_ref(7, ME, "wf-1", "mid-1"), "Leda", "ORUS")

FULL_VIDEO = VideoRequest(
    "@character_1 meets @referenceImage_2, voiced by @referenceAudio_1",
    model="omni-flash",
    aspect_ratio="portrait",
    duration=6,
    resolution="360p",
    count=2,
    seed=42,
    reference_images=IMGS[:2],
    characters=CHARS[:1],
    voices=VOICES[:2],
    email=ME,
    reply_url="https://example.com/hook",
    reply_ref="cell-3",
    captcha=Captcha(order=("CapSolver", "AntiCaptcha")),
)


def _multipart(payload: dict[str, Any]) -> dict[str, str]:
    """What a multipart form carries: every value as text (booleans as lowercase words)."""
    return {k: (str(v).lower() if isinstance(v, bool) else str(v)) for k, v in payload.items()}


def test_full_video_payload_uses_api_names() -> None:
    assert FULL_VIDEO.to_payload() == {
        "prompt": "@character_1 meets @referenceImage_2, voiced by @referenceAudio_1",
        "model": "omni-flash",
        "aspectRatio": "portrait",
        "duration": 6,
        "resolution": "360p",
        "count": 2,
        "seed": 42,
        "referenceImage_1": IMGS[0],
        "referenceImage_2": IMGS[1],
        "character_1": CHARS[0],
        "referenceAudio_1": "Kore",
        "referenceAudio_2": "puck",
        "email": ME,
        "replyUrl": "https://example.com/hook",
        "replyRef": "cell-3",
        "captchaOrder": "CapSolver,AntiCaptcha",
        "async": True,
    }


def test_json_and_multipart_round_trips() -> None:
    payload = FULL_VIDEO.to_payload()
    assert VideoRequest.from_payload(json.loads(json.dumps(payload))) == FULL_VIDEO
    assert VideoRequest.from_payload(_multipart(payload)) == FULL_VIDEO
    v2v = VideoRequest("edit", model="omni-flash", reference_video=VID, start_frame=0, end_frame=96)
    assert VideoRequest.from_payload(_multipart(v2v.to_payload())) == v2v


@pytest.mark.parametrize(
    ("field", "text", "value"),
    [
        ("duration", "8", 8),
        ("duration", " 6 ", 6),
        ("count", "+2", 2),
        ("seed", "0", 0),
    ],
)
def test_multipart_numbers_are_coerced(field: str, text: str, value: int) -> None:
    request = VideoRequest.from_payload({"prompt": "x", field: text})
    assert request.to_payload()[field] == value


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"prompt": "x", "duration": "eight"}, "duration"),
        ({"prompt": "x", "duration": 8.5}, "duration"),
        ({"prompt": "x", "count": True}, "count"),
        ({"prompt": "x", "async": "maybe"}, "async"),
        ({"prompt": ["x"]}, "prompt"),
        ({"prompt": "x", "captchaRetry": "three"}, "captchaRetry"),
        ({"prompt": "x", "referenceImage_1": 5}, "referenceImage_1"),
    ],
)
def test_wrong_json_types_name_the_field(body: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        VideoRequest.from_payload(body)
    assert info.value.field == field and field in str(info.value)


@pytest.mark.parametrize(
    ("cls", "body", "field", "hint"),
    [
        (VideoRequest, {"prompt": "x", "durration": 8}, "durration", "did you mean duration?"),
        (VideoRequest, {"prompt": "x", "reference_1": IMGS[0]}, "reference_1", "did you mean"),
        (VideoRequest, {"prompt": "x", "referenceImage_8": IMGS[0]}, "referenceImage_8", ""),
        (VideoRequest, {"prompt": "x", "referenceImage_0": IMGS[0]}, "referenceImage_0", ""),
        (ImageRequest, {"prompt": "x", "async": True}, "async", ""),
        (ImageRequest, {"prompt": "x", "referenceImage_1": IMGS[0]}, "referenceImage_1", ""),
        (ConcatenateRequest, {"media": [], "captchaRetry": 3}, "captchaRetry", ""),
        (VoiceRequest, {"email": ME, "voice": "Kore", "wat": 1}, "wat", "use email, voice"),
    ],
)
def test_unknown_fields_are_refused(
    cls: type[FlowRequest], body: dict[str, Any], field: str, hint: str
) -> None:
    with pytest.raises(ValidationError) as info:
        cls.from_payload(body)
    assert info.value.field == field
    assert str(info.value).startswith(f"{field} is not a field of {cls.method} {cls.path}")
    assert hint in str(info.value)


def test_missing_required_fields_and_non_objects() -> None:
    with pytest.raises(ValidationError) as info:
        VideoRequest.from_payload({"model": "omni-flash"})
    assert info.value.field == "prompt" and "prompt is required" in str(info.value)
    with pytest.raises(ValidationError) as info:
        ExtendRequest.from_payload({"prompt": "more"})
    assert info.value.field == "mediaGenerationId"
    with pytest.raises(ValidationError) as info:
        VideoRequest.from_payload(["prompt"])  # type: ignore[arg-type]
    assert info.value.field == "body"


def test_wants_async() -> None:
    assert wants_async({"async": True}) and wants_async({"async": "TRUE"})
    assert not wants_async({"async": "false"}) and not wants_async({})
    assert VideoRequest.from_payload({"prompt": "x", "async": "false"}) == VideoRequest("x")


def test_fingerprint_ignores_delivery_and_captcha_but_not_content() -> None:
    base = VideoRequest("a fox", duration=8)
    same = VideoRequest(
        "a fox",
        duration=8,
        captcha=Captcha(token="tok"),
        reply_url="https://example.com/a",
        reply_ref="x",
    )
    assert base.fingerprint() == same.fingerprint()
    assert len(base.fingerprint()) == 64 and int(base.fingerprint(), 16) >= 0
    assert base.fingerprint() != VideoRequest("a fox", duration=6).fingerprint()
    assert base.fingerprint() != VideoRequest("a fox ", duration=8).fingerprint()
    assert base.fingerprint() != VideoRequest("a fox", duration=8, seed=1).fingerprint()
    assert base.fingerprint() != VideoRequest("a fox", duration=8, email=ME).fingerprint()
    # the same body on another endpoint is another purchase
    extend = ExtendRequest(VID, "a fox")
    assert extend.fingerprint() != ExtendRequest(VID, "a fox", model="veo-3.1-lite").fingerprint()
    assert VideoRequest.from_payload(base.to_payload()).fingerprint() == base.fingerprint()


def test_every_class_declares_method_and_path() -> None:
    classes = [
        getattr(api_requests, name)
        for name in api_requests.__all__
        if isinstance(getattr(api_requests, name), type)
        and issubclass(getattr(api_requests, name), FlowRequest)
        and getattr(api_requests, name) is not FlowRequest
    ]
    assert len(classes) == 14
    for cls in classes:
        assert cls.method in ("GET", "POST") and cls.path.startswith("/")


def test_concat_clip_length_is_not_part_of_the_request() -> None:
    with_length = ConcatenateRequest((ConcatClip(VID, clip_seconds=8.0), ConcatClip(VID)))
    without = ConcatenateRequest((ConcatClip(VID), ConcatClip(VID)))
    assert with_length == without and with_length.to_payload() == without.to_payload()


# ----------------------------------------------------------------------------- property tests

slots = st.lists(st.one_of(st.none(), st.sampled_from(IMGS)), max_size=8).map(tuple)
captchas = st.one_of(
    st.none(),
    st.builds(Captcha, token=st.text("abcdef0123456789-_", min_size=1, max_size=30)),
    st.builds(Captcha, retry=st.integers(1, 10)),
    st.builds(
        Captcha,
        order=st.lists(
            st.sampled_from(["CapSolver", "2captcha", "EzCaptcha"]), min_size=1, max_size=10
        ).map(tuple),
    ),
)
prompts = st.one_of(
    st.text(min_size=0, max_size=60),
    st.sampled_from(["@referenceImage_1 runs", "@character_2 talks", "@referenceAudio_1 sings"]),
)


def _optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


@st.composite
def video_kwargs(draw: st.DrawFn) -> dict[str, Any]:
    """Keyword arguments shaped like real use: one mode per draw, values mostly in range."""
    model = draw(st.sampled_from(sorted(VIDEO_MODELS)))
    spec = VIDEO_MODELS[model]
    kwargs: dict[str, Any] = {
        "prompt": draw(prompts.filter(str.strip)),
        "model": model,
        "aspect_ratio": draw(_optional(st.sampled_from(spec.aspect_ratios))),
        "resolution": draw(_optional(st.sampled_from(spec.resolutions))),
        "count": draw(st.integers(1, 4)),
        "seed": draw(_optional(st.integers(0, 2**32))),
        "email": draw(st.sampled_from([None, ME])),
        "reply_ref": draw(_optional(st.text(max_size=20))),
        "captcha": draw(captchas),
    }
    mode = draw(st.sampled_from(["t2v", "i2v", "i2v_fl", "r2v", "v2v"]))
    if mode in ("i2v", "i2v_fl"):
        kwargs["start_image"] = IMGS[0]
        kwargs["end_image"] = IMGS[1] if mode == "i2v_fl" else None
    v2v = mode == "v2v" and spec.supports_v2v
    if (mode == "r2v" and spec.supports_r2v) or v2v:
        most = spec.max_image_refs_v2v if v2v else spec.max_image_refs
        kwargs["reference_images"] = tuple(
            draw(st.lists(_optional(st.sampled_from(IMGS)), max_size=most))
        )
        kwargs["characters"] = tuple(draw(st.lists(st.sampled_from(CHARS), max_size=2)))
        voices = spec.max_voices_v2v if v2v else spec.max_voices
        kwargs["voices"] = tuple(draw(st.lists(st.sampled_from(VOICES), max_size=voices)))
    if v2v:
        kwargs["reference_video"] = VID
        kwargs["start_frame"] = draw(_optional(st.integers(0, 120)))
        kwargs["end_frame"] = draw(_optional(st.integers(121, 240)))
    else:
        kwargs["duration"] = draw(_optional(st.sampled_from(spec.durations)))
    return kwargs


@settings(max_examples=150, deadline=None)
@given(kwargs=video_kwargs())
def test_accepted_video_requests_round_trip_unchanged(kwargs: dict[str, Any]) -> None:
    try:
        request = VideoRequest(**kwargs)
    except ValidationError as error:
        assert error.field and error.field in str(error)
        assume(False)
        return
    payload = request.to_payload()
    assert VideoRequest.from_payload(payload) == request
    assert VideoRequest.from_payload(json.loads(json.dumps(payload))) == request
    assert VideoRequest.from_payload(_multipart(payload)).to_payload() == payload
    assert VideoRequest.from_payload(payload).fingerprint() == request.fingerprint()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(
    prompt=prompts,
    model=st.sampled_from(["nano-banana-2-lite", "nano-banana-pro", "imagen-4", "dall-e"]),
    aspect_ratio=st.sampled_from([None, "auto", "16:9", "9:16", "portrait"]),
    count=st.integers(1, 4),
    references=st.lists(st.one_of(st.none(), st.sampled_from(IMGS)), max_size=11).map(tuple),
    characters=st.lists(st.sampled_from(CHARS), max_size=3).map(tuple),
    captcha=captchas,
)
def test_accepted_image_requests_round_trip_unchanged(**kwargs: Any) -> None:
    try:
        request = ImageRequest(**kwargs)
    except ValidationError as error:
        assert error.field and error.field in str(error)
        assume(False)
        return
    payload = request.to_payload()
    assert ImageRequest.from_payload(payload) == request
    assert ImageRequest.from_payload(_multipart(payload)) == request
