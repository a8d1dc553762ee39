"""Every endpoint but POST /videos: a valid and an invalid case per rule, plan rules, credits.

Images and image upscale, the video tools (upscale, gif, extend, concatenate), voices,
characters, uploads, accounts, captcha options and the query requests.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from flow_widgets.api.catalog import DEFAULT_CATALOG, TIERS, Tier
from flow_widgets.api.ids import make_character_ref, make_media_id, make_voice_ref
from flow_widgets.api.requests import (
    AddAccount,
    Captcha,
    CaptchaStatsQuery,
    CharacterRequest,
    ConcatClip,
    ConcatenateRequest,
    ExtendRequest,
    FlowRequest,
    GifRequest,
    ImageRequest,
    ImageUpscaleRequest,
    JobsQuery,
    SetCaptchaProviders,
    UploadAsset,
    VideoUpscaleRequest,
    VoiceRequest,
)
from flow_widgets.errors import ValidationError

ME = "john@gmail.com"
IMG = tuple(make_media_id(7, ME, "image", f"img-{i}") for i in range(11))
VIDS = tuple(make_media_id(7, ME, "video", f"vid-{i}") for i in range(11))
CH2 = make_character_ref(7, ME, "char-2", 2)
OTHER_IMG = make_media_id(7, "ann@gmail.com", "image", "img-x")
OTHER_VID = make_media_id(7, "ann@gmail.com", "video", "vid-x")
PROMPT = "a lighthouse at dusk"


def image(**kw: Any) -> ImageRequest:
    return ImageRequest(**{"prompt": PROMPT, **kw})


def image_upscale(**kw: Any) -> ImageUpscaleRequest:
    return ImageUpscaleRequest(**{"media_generation_id": IMG[0], **kw})


def video_upscale(**kw: Any) -> VideoUpscaleRequest:
    return VideoUpscaleRequest(**{"media_generation_id": VIDS[0], **kw})


def gif(**kw: Any) -> GifRequest:
    return GifRequest(**{"media_generation_id": VIDS[0], **kw})


def extend(**kw: Any) -> ExtendRequest:
    return ExtendRequest(**{"media_generation_id": VIDS[0], "prompt": "it keeps going", **kw})


def concat(**kw: Any) -> ConcatenateRequest:
    return ConcatenateRequest(**{"clips": (ConcatClip(VIDS[0]), ConcatClip(VIDS[1])), **kw})


Factory = Callable[..., FlowRequest]

VALID: list[tuple[Factory, dict[str, Any]]] = [
    (image, {}),
    (image, {"model": "nano-banana-pro", "aspect_ratio": "9:16", "count": 1, "seed": 0}),
    (image, {"model": "imagen-4", "aspect_ratio": "landscape"}),
    (image, {"model": "nano-banana", "references": IMG[:1], "aspect_ratio": "auto"}),
    (image, {"references": IMG[:10]}),
    (image, {"references": IMG[:6], "characters": (CH2, CH2)}),
    (image, {"prompt": "@Reference_2 meets @CHARACTER_1", "references": IMG[:2],
             "characters": (CH2,)}),
    (image, {"prompt": "@referenceImage_4 is plain text here"}),
    (image, {"references": IMG[:2], "email": ME, "reply_url": "http://localhost/hook"}),
    (image_upscale, {}),
    (image_upscale, {"resolution": "4K"}),
    (image_upscale, {"resolution": "2k"}),
    (video_upscale, {}),
    (video_upscale, {"resolution": "4k", "reply_ref": "job-7"}),
    (video_upscale, {"media_generation_id": make_media_id(7, ME, "video", "v", upsampled=True)}),
    (gif, {}),
    (extend, {}),
    (extend, {"model": "veo-3.1-quality", "count": 4, "seed": 9}),
    (extend, {"model": "veo-3.1-lite-low-priority", "prompt": "mail a@b.c"}),
    (concat, {}),
    (concat, {"clips": tuple(ConcatClip(v, trim_start=1, trim_end=0.5) for v in VIDS[:10])}),
    (concat, {"clips": (ConcatClip(VIDS[0], 8, 0, clip_seconds=8.5), ConcatClip(VIDS[1]))}),
]  # fmt: skip

INVALID: list[tuple[Factory, dict[str, Any], str]] = [
    (image, {"prompt": ""}, "prompt"),
    (image, {"count": 0}, "count"),
    (image, {"count": 5}, "count"),
    (image, {"seed": -3}, "seed"),
    (image, {"references": IMG[:11]}, "reference_11"),
    (image, {"references": IMG[:7], "characters": (CH2, CH2)}, "character_2"),
    (image, {"references": (VIDS[0],)}, "reference_1"),
    (image, {"characters": ("Carol",)}, "character_1"),
    (image, {"prompt": "@reference_1 at night"}, "prompt"),
    (image, {"prompt": "@character_2", "characters": (CH2,)}, "prompt"),
    (image, {"prompt": "@referenceAudio_1 sings"}, "prompt"),
    (image, {"prompt": "@referenceVideo_1 frame"}, "prompt"),
    (image, {"references": (IMG[0], OTHER_IMG)}, "reference_2"),
    (image, {"references": IMG[:1], "email": "ann@gmail.com"}, "email"),
    (image, {"reply_ref": "r" * 1025}, "replyRef"),
    (image_upscale, {"media_generation_id": VIDS[0]}, "mediaGenerationId"),
    (image_upscale, {"media_generation_id": "img-1"}, "mediaGenerationId"),
    (image_upscale, {"resolution": "8k"}, "resolution"),
    (video_upscale, {"media_generation_id": IMG[0]}, "mediaGenerationId"),
    (video_upscale, {"resolution": "2K"}, "resolution"),
    (gif, {"media_generation_id": IMG[0]}, "mediaGenerationId"),
    (gif, {"media_generation_id": None}, "mediaGenerationId"),
    (extend, {"media_generation_id": IMG[0]}, "mediaGenerationId"),
    (extend, {"prompt": " "}, "prompt"),
    (extend, {"model": "omni-flash"}, "model"),
    (extend, {"model": "omni-flash-1.2"}, "model"),
    (extend, {"count": 5}, "count"),
    (extend, {"seed": -1}, "seed"),
    (extend, {"prompt": "then @character_1 waves"}, "prompt"),
    (concat, {"clips": (ConcatClip(VIDS[0]),)}, "media"),
    (concat, {"clips": tuple(ConcatClip(v) for v in VIDS[:11])}, "media"),
    (concat, {"clips": (ConcatClip(VIDS[0]), ConcatClip(IMG[0]))}, "media[1].mediaGenerationId"),
    (concat, {"clips": (ConcatClip(VIDS[0]), ConcatClip(OTHER_VID))}, "media[1].mediaGenerationId"),
    (concat, {"clips": (ConcatClip(VIDS[0], trim_start=8.5), ConcatClip(VIDS[1]))},
     "media[0].trimStart"),
    (concat, {"clips": (ConcatClip(VIDS[0]), ConcatClip(VIDS[1], trim_end=-0.1))},
     "media[1].trimEnd"),
    (concat, {"clips": [VIDS[0], VIDS[1]]}, "media"),
]  # fmt: skip


IMG1 = make_media_id(7, ME, "image", "img-1")
IMG2 = make_media_id(7, ME, "image", "img-2")
MY_VOICE = make_voice_ref(7, ME, "wf-1", "mid-1")
OTHER_VOICE = make_voice_ref(7, "ann@gmail.com", "wf-x", "mid-x")

PNG = b"\x89PNG\r\n\x1a\n" + bytes(32)
JPEG = b"\xff\xd8\xff\xe0" + bytes(32)
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(32)
MP4 = b"\x00\x00\x00\x18ftypisom" + bytes(32)
COOKIES = "SID\tabc123\t.google.com\t/\t2027-01-01T00:00:00.000Z"


def voice(**kw: Any) -> VoiceRequest:
    base = {
        "email": ME,
        "voice": "Achernar",
        "display_name": "Narrator",
        "dialog": "Hello there.",
        "voice_performance": "Warm and slow",
    }
    return VoiceRequest(**{**base, **kw})


def character(**kw: Any) -> CharacterRequest:
    return CharacterRequest(**{"display_name": "Carol", "image_references": (IMG1,), **kw})


def upload(**kw: Any) -> UploadAsset:
    return UploadAsset(**{"content": PNG, **kw})


def providers(**kw: Any) -> SetCaptchaProviders:
    return SetCaptchaProviders(**{"providers": {"CapSolver": "CAP-abcdef"}, **kw})


LIBRARY_VALID: list[tuple[Factory, dict[str, Any]]] = [
    (voice, {}),
    (voice, {"voice": "Zubenelgenubi", "display_name": "n" * 200, "dialog": "d" * 120,
             "voice_performance": "v" * 120, "captcha": Captcha(retry=5)}),
    (character, {}),
    (character, {"image_references": (IMG1, IMG2), "personality_notes": "p" * 2000,
                 "voice": "umbriel"}),
    (character, {"voice": MY_VOICE}),
    (upload, {}),
    (upload, {"filename": "photo.JPG", "content": JPEG}),
    (upload, {"content_type": "image/webp", "content": WEBP, "email": ME}),
    (upload, {"content_type": "image/jpg", "content": JPEG}),
    (upload, {"content": MP4}),
    (upload, {"content": MP4, "filename": "clip.mp4", "content_type": "video/mp4"}),
    (AddAccount, {"cookies": COOKIES}),
    (providers, {}),
    (providers, {"providers": {"2Captcha": "k2", "EzCaptcha": "", "CapMonster": "k3"}}),
    (CaptchaStatsQuery, {}),
    (CaptchaStatsQuery, {"date": "2026-02-28", "provider": "UserProvided"}),
    (CaptchaStatsQuery, {"limit": 50000, "anonymized": True}),
    (JobsQuery, {}),
    (JobsQuery, {"options": "history"}),
]  # fmt: skip

LIBRARY_INVALID: list[tuple[Factory, dict[str, Any], str]] = [
    (voice, {"email": None}, "email"),
    (voice, {"email": "john"}, "email"),
    (voice, {"voice": "achernar"}, "voice"),
    (voice, {"voice": MY_VOICE}, "voice"),
    (voice, {"display_name": ""}, "displayName"),
    (voice, {"display_name": "n" * 201}, "displayName"),
    (voice, {"dialog": "d" * 121}, "dialog"),
    (voice, {"dialog": " "}, "dialog"),
    (voice, {"voice_performance": "v" * 121}, "voicePerformance"),
    (voice, {"voice_performance": None}, "voicePerformance"),
    (character, {"display_name": ""}, "displayName"),
    (character, {"display_name": "c" * 201}, "displayName"),
    (character, {"image_references": ()}, "imageReference_1"),
    (character, {"image_references": (None, IMG2)}, "imageReference_1"),
    (character, {"image_references": (IMG1, IMG2, IMG1)}, "imageReference_3"),
    (character, {"image_references": (IMG1, OTHER_IMG)}, "imageReference_2"),
    (character, {"image_references": (make_media_id(7, ME, "video", "v"),)}, "imageReference_1"),
    (character, {"personality_notes": "p" * 2001}, "personalityNotes"),
    (character, {"voice": OTHER_VOICE}, "voice"),
    (upload, {"content": b""}, "content"),
    (upload, {"content": "text"}, "content"),
    (upload, {"content": b"GIF89a" + bytes(10)}, "contentType"),
    (upload, {"content_type": "image/gif"}, "contentType"),
    (upload, {"content_type": "image/jpeg"}, "contentType"),
    (upload, {"filename": "cat.jpg"}, "contentType"),
    (upload, {"filename": "cat.gif"}, "contentType"),
    (upload, {"content": PNG + bytes(20 * 1024 * 1024)}, "content"),
    (upload, {"content": MP4 + bytes(100 * 1024 * 1024)}, "content"),
    (upload, {"email": "not-an-address"}, "email"),
    (AddAccount, {"cookies": ""}, "cookies"),
    (AddAccount, {"cookies": "SID=abc; HSID=def"}, "cookies"),
    (providers, {"providers": {}}, "providers"),
    (providers, {"providers": {"CapSolver": 5}}, "CapSolver"),
    (CaptchaStatsQuery, {"date": "2026-2-3"}, "date"),
    (CaptchaStatsQuery, {"date": "2026-02-30"}, "date"),
    (CaptchaStatsQuery, {"limit": 0}, "limit"),
    (CaptchaStatsQuery, {"limit": 50001}, "limit"),
    (JobsQuery, {"options": "all"}, "options"),
]  # fmt: skip


@pytest.mark.parametrize(("factory", "kwargs"), VALID + LIBRARY_VALID)
def test_valid_requests_round_trip(factory: Factory, kwargs: dict[str, Any]) -> None:
    request = factory(**kwargs)
    assert type(request).from_payload(request.to_payload()) == request


@pytest.mark.parametrize(("factory", "kwargs", "field"), INVALID + LIBRARY_INVALID)
def test_invalid_requests_name_the_field(
    factory: Factory, kwargs: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as info:
        factory(**kwargs)
    assert info.value.field == field
    assert field in str(info.value)


def test_resolutions_are_normalised_to_the_documented_spelling() -> None:
    assert image_upscale(resolution="4K").to_payload() == {
        "mediaGenerationId": IMG[0],
        "resolution": "4k",
    }
    assert video_upscale(resolution="4k").resolution == "4K"
    assert video_upscale(resolution="1080P").resolution == "1080p"


def test_async_is_sent_where_the_endpoint_has_it() -> None:
    assert video_upscale().to_payload()["async"] is True
    assert extend().to_payload()["async"] is True
    assert "async" not in image().to_payload()
    assert "async" not in gif().to_payload()
    assert "async" not in concat().to_payload()


def test_concatenate_payload_shape() -> None:
    request = concat(clips=(ConcatClip(VIDS[0], trim_end=0.458), ConcatClip(VIDS[1], 1)))
    assert request.to_payload() == {
        "media": [
            {"mediaGenerationId": VIDS[0], "trimEnd": 0.458},
            {"mediaGenerationId": VIDS[1], "trimStart": 1.0},
        ]
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"media": "not json"}, "media"),
        ({"media": [VIDS[0], VIDS[1]]}, "media[0]"),
        (
            {"media": [{"trimStart": 1}, {"mediaGenerationId": VIDS[1]}]},
            "media[0].mediaGenerationId",
        ),
        ({"media": [{"mediaGenerationId": VIDS[0], "trim": 1}, {}]}, "media[0].trim"),
        ({"media": [{"mediaGenerationId": VIDS[0], "trimEnd": "lots"}]}, "media[0].trimEnd"),
        ({}, "media"),
    ],
)
def test_concatenate_bodies_are_checked(body: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        ConcatenateRequest.from_payload(body)
    assert info.value.field == field


def test_concatenate_accepts_media_as_json_text() -> None:
    clips = [{"mediaGenerationId": VIDS[0]}, {"mediaGenerationId": VIDS[1], "trimStart": "1"}]
    text = json.dumps(clips)
    request = ConcatenateRequest.from_payload({"media": text})
    assert request.clips[1].trim_start == 1.0


@pytest.mark.parametrize(
    ("request_", "tier", "field"),
    [
        (image_upscale(resolution="4k"), "free", "resolution"),
        (video_upscale(resolution="4K"), "pro", "resolution"),
        (extend(), "free", "model"),
    ],
)
def test_plan_rules(request_: FlowRequest, tier: Tier, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        request_.validate_for_tier(tier)
    assert info.value.field == field and field in str(info.value)


@pytest.mark.parametrize(
    ("request_", "tier"),
    [
        (image_upscale(resolution="4k"), "plus"),
        (image(model="nano-banana-pro"), "free"),
        (video_upscale(resolution="4K"), "ultra_100"),
        (video_upscale(), "plus"),
        (extend(), "plus"),
        (extend(model="veo-3.1-lite-low-priority"), "ultra_200"),
        (gif(), "free"),
    ],
)
def test_plan_rules_allow(request_: FlowRequest, tier: Tier) -> None:
    request_.validate_for_tier(tier)


@pytest.mark.parametrize("tier", TIERS)
def test_credits(tier: Tier) -> None:
    ultra = tier.startswith("ultra")
    assert image(count=4).estimate_credits(tier) == 0
    assert image_upscale(resolution="4k").estimate_credits(tier) == 0
    assert video_upscale().estimate_credits(tier) == 0
    assert video_upscale(resolution="4K").estimate_credits(tier) == 50
    assert gif().estimate_credits(tier) == 0
    assert concat().estimate_credits(tier) == 0
    assert extend(count=2).estimate_credits(tier) == (20 if ultra else 40)
    assert extend(model="veo-3.1-quality").estimate_credits(tier) == 100
    assert extend(model="veo-3.1-lite", count=3).estimate_credits(tier) == (15 if ultra else 30)
    assert extend(model="veo-3.1-lite-low-priority").estimate_credits(tier) == 0


def test_credits_follow_a_custom_catalog() -> None:
    custom = DEFAULT_CATALOG.with_overrides(image_credits=1, upscale_credits={"4K": 40})
    assert image(count=3).estimate_credits("pro", custom) == 3
    assert video_upscale(resolution="4K").estimate_credits("ultra_100", custom) == 40


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"token": "t", "retry": 3}, "captchaToken"),
        ({"token": "t", "order": ("CapSolver",)}, "captchaToken"),
        ({"retry": 3, "order": ("CapSolver",)}, "captchaRetry"),
        ({"token": ""}, "captchaToken"),
        ({"retry": 0}, "captchaRetry"),
        ({"retry": 11}, "captchaRetry"),
        ({"retry": "3"}, "captchaRetry"),
        ({"order": ()}, "captchaOrder"),
        ({"order": ("CapSolver",) * 11}, "captchaOrder"),
    ],
)
def test_captcha_rules(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        Captcha(**kwargs)
    assert info.value.field == field and field in str(info.value)


def test_captcha_payloads() -> None:
    assert Captcha().to_payload() == {}
    assert Captcha(token="tok").to_payload() == {"captchaToken": "tok"}
    assert Captcha(order="ezcaptcha").order == ("EzCaptcha",)  # type: ignore[arg-type]
    data = {"captchaOrder": "capsolver, AntiCaptcha", "prompt": "x"}
    assert Captcha.from_payload(data) == Captcha(order=("CapSolver", "AntiCaptcha"))
    assert data == {"prompt": "x"}  # captcha fields were taken out


def test_character_payload_numbers_its_images() -> None:
    payload = character(image_references=(IMG1, IMG2), voice="Umbriel").to_payload()
    assert payload == {
        "displayName": "Carol",
        "imageReference_1": IMG1,
        "imageReference_2": IMG2,
        "voice": "Umbriel",
    }


def test_upload_infers_and_checks_the_type() -> None:
    assert upload(filename="a.jpeg", content=JPEG).content_type == "image/jpeg"
    assert upload(content=WEBP).content_type == "image/webp"
    assert upload(content_type="IMAGE/PNG; charset=binary").content_type == "image/png"
    assert upload(content=MP4, filename="clip.MP4").content_type == "video/mp4"
    with pytest.raises(ValidationError, match="image/gif is not accepted") as info:
        upload(content=b"GIF89a" + bytes(10))
    assert info.value.field == "contentType"
    assert upload().request_path() == "/assets"
    assert upload(email="a+b@example.com").request_path() == "/assets/a%2Bb%40example.com"
    assert upload().to_payload() == {"content": PNG, "contentType": "image/png"}


def test_upload_fingerprint_hashes_the_bytes() -> None:
    one, same, other = upload(), upload(filename="x.png"), upload(content=PNG + b"\x00")
    assert one.fingerprint() == same.fingerprint() != other.fingerprint()


def test_secrets_never_show_in_reprs() -> None:
    account = AddAccount(COOKIES)
    assert "abc123" not in repr(account) and "SID" not in str(account)
    keys = providers(providers={"CapSolver": "CAP-secret-1", "2Captcha": "two-secret"})
    assert "secret" not in repr(keys) and "CapSolver" in repr(keys)
    token = Captcha(token="03AF-secret-token")
    assert "secret" not in repr(token) and "hidden" in repr(token)
    assert "\x89PNG" not in repr(upload())


def test_query_payloads_are_query_parameters() -> None:
    stats = CaptchaStatsQuery(date="2026-02-03", provider="CapSolver", anonymized=False)
    assert (stats.method, stats.path) == ("GET", "/accounts/captcha-stats")
    assert stats.to_payload() == {
        "date": "2026-02-03",
        "provider": "CapSolver",
        "anonymized": False,
    }
    multipart = CaptchaStatsQuery.from_payload({"limit": "100", "anonymized": "true"})
    assert multipart == CaptchaStatsQuery(limit=100, anonymized=True)
    assert JobsQuery("executing").to_payload() == {"options": "executing"}
