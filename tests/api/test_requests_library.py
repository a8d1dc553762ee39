"""Voices, characters, uploads, accounts, captcha options and query requests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from flow_widgets.api.ids import make_media_id, make_voice_ref
from flow_widgets.api.requests import (
    AddAccount,
    Captcha,
    CaptchaStatsQuery,
    CharacterRequest,
    FlowRequest,
    JobsQuery,
    SetCaptchaProviders,
    UploadAsset,
    VoiceRequest,
    sniff_content_type,
)
from flow_widgets.errors import ValidationError

ME = "john@gmail.com"
IMG1 = make_media_id(7, ME, "image", "img-1")
IMG2 = make_media_id(7, ME, "image", "img-2")
OTHER_IMG = make_media_id(7, "ann@gmail.com", "image", "img-x")
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


Factory = Callable[..., FlowRequest]

VALID: list[tuple[Factory, dict[str, Any]]] = [
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

INVALID: list[tuple[Factory, dict[str, Any], str]] = [
    (voice, {"email": None}, "email"),
    (voice, {"email": "john"}, "email"),
    (voice, {"voice": "achernar"}, "voice"),
    (voice, {"voice": "Alexa"}, "voice"),
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
    (character, {"voice": "Alexa"}, "voice"),
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
    (providers, {"providers": {"Capsolver": "k"}}, "Capsolver"),
    (providers, {"providers": {"CapSolver": 5}}, "CapSolver"),
    (CaptchaStatsQuery, {"date": "2026-2-3"}, "date"),
    (CaptchaStatsQuery, {"date": "2026-02-30"}, "date"),
    (CaptchaStatsQuery, {"limit": 0}, "limit"),
    (CaptchaStatsQuery, {"limit": 50001}, "limit"),
    (CaptchaStatsQuery, {"provider": "capsolver"}, "provider"),
    (JobsQuery, {"options": "all"}, "options"),
]  # fmt: skip


@pytest.mark.parametrize(("factory", "kwargs"), VALID)
def test_valid_requests_round_trip(factory: Factory, kwargs: dict[str, Any]) -> None:
    request = factory(**kwargs)
    assert type(request).from_payload(request.to_payload()) == request


@pytest.mark.parametrize(("factory", "kwargs", "field"), INVALID)
def test_invalid_requests_name_the_field(
    factory: Factory, kwargs: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as info:
        factory(**kwargs)
    assert info.value.field == field
    assert field in str(info.value)


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
        ({"order": ("CapSolver", "DeathByCaptcha")}, "captchaOrder"),
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
    assert [sniff_content_type(b) for b in (PNG, JPEG, WEBP, MP4, b"abc")] == [
        "image/png",
        "image/jpeg",
        "image/webp",
        "video/mp4",
        None,
    ]
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
