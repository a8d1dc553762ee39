"""Uploads, voices and characters over real HTTP (spec §3.8, §3.16-§3.23)."""

from __future__ import annotations

import io
import re

import httpx
import pytest

from flow_widgets.api.ids import make_character_ref, make_voice_ref
from flow_widgets.simulator.server import RunningSimulator
from tests.simulator.sim_support import PRO, ULTRA, png_bytes, tiny_mp4, upload

MIB = 1024 * 1024


def _webp() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (30, 40), (1, 2, 3)).save(buffer, format="WEBP")
    return buffer.getvalue()


def _jpeg() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (48, 48), (9, 9, 9)).save(buffer, format="JPEG")
    return buffer.getvalue()


# --------------------------------------------------------------------------- uploads


def test_image_upload_has_the_documented_shape(api: httpx.Client) -> None:
    response = api.post(
        f"/assets/{PRO}", content=png_bytes(64, 36), headers={"Content-Type": "image/png"}
    )
    body = response.json()
    media_id = body["mediaGenerationId"]["mediaGenerationId"]
    assert re.match(r"^user:12345-email:[0-9a-f]+-image:[0-9a-f-]{36}$", media_id)
    assert (body["width"], body["height"], body["email"]) == (64, 36, PRO)
    assert body["media"]["image"]["dimensions"] == {"width": 64, "height": 36}
    assert body["workflow"]["metadata"]["displayName"] == "upload.png"
    assert body["media"]["workflowStepId"] == "CAE"


@pytest.mark.parametrize(("data", "kind"), [(_jpeg(), "image/jpeg"), (_webp(), "image/webp")])
def test_jpeg_and_webp_uploads_are_accepted(api: httpx.Client, data: bytes, kind: str) -> None:
    response = api.post("/assets", content=data, headers={"Content-Type": kind})
    assert response.status_code == 200
    assert response.json()["email"] in (ULTRA, PRO)  # no email: the balancer picked one


def test_video_upload_reports_its_duration_and_feeds_a_v2v_edit(api: httpx.Client) -> None:
    response = api.post(
        f"/assets/{ULTRA}", content=tiny_mp4(1.0), headers={"Content-Type": "video/mp4"}
    )
    body = response.json()
    assert body["durationSeconds"] == pytest.approx(1.0, abs=0.05)
    assert body["media"]["video"]["dimensions"]["width"] == 64
    assert "workflow" not in body
    source = body["mediaGenerationId"]["mediaGenerationId"]
    edit = api.post(
        "/videos",
        json={
            "prompt": "make it night",
            "model": "omni-flash",
            "referenceVideo_1": source,
            "async": True,
        },
    )
    assert edit.status_code == 201 and edit.json()["request"]["email"] == ULTRA


@pytest.mark.parametrize(
    ("data", "kind", "words"),
    [
        (b"", "image/png", "empty"),
        (png_bytes(), "image/gif", "image/gif"),
        (b"plain text pretending", "image/png", "bytes"),
        (_jpeg(), "image/png", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n" + bytes(21 * MIB), "image/png", "20 MB"),
    ],
)
def test_bad_uploads_are_refused_with_the_reason(
    api: httpx.Client, data: bytes, kind: str, words: str
) -> None:
    response = api.post(f"/assets/{PRO}", content=data, headers={"Content-Type": kind})
    assert response.status_code == 400
    assert words in response.json()["error"]


def test_upload_to_an_unknown_account_is_404(api: httpx.Client) -> None:
    response = api.post(
        "/assets/ghost%40example.com", content=png_bytes(), headers={"Content-Type": "image/png"}
    )
    assert response.status_code == 404


def test_a_damaged_png_is_refused_after_measuring(api: httpx.Client) -> None:
    broken = png_bytes()[:20]
    response = api.post(f"/assets/{PRO}", content=broken, headers={"Content-Type": "image/png"})
    assert response.status_code == 400 and "could not be read" in response.json()["error"]


# --------------------------------------------------------------------------- voices


def _voice(api: httpx.Client, email: str = PRO, **extra: str) -> httpx.Response:
    body = {
        "email": email,
        "voice": "Achernar",
        "displayName": "Cheerful Narrator",
        "dialog": "Hello, this is a test voice.",
        "voicePerformance": "Cheerful, energetic delivery",
        **extra,
    }
    return api.post("/voices", json=body)


def test_voice_lifecycle(api: httpx.Client, media_http: httpx.Client) -> None:
    created = _voice(api)
    assert created.status_code == 200
    voice = created.json()
    assert re.match(r"^user:12345-email:[0-9a-f]+-voice:[0-9a-f-]+-mid:[0-9a-f-]+$", voice["voice"])
    assert (voice["source"], voice["baseVoice"]) == ("user", "Achernar")
    sample = media_http.get(voice["audioUrl"])
    assert sample.status_code == 200 and sample.content[:4] == b"RIFF"
    listed = api.get("/voices", params={"email": PRO}).json()["voices"]
    assert len([v for v in listed if v["source"] == "system"]) == 30
    users = api.get("/voices", params={"email": PRO, "source": "user"}).json()["voices"]
    assert voice["voice"] in {v["voice"] for v in users} and all("audioUrl" not in v for v in users)
    assert api.get("/voices", params={"email": ULTRA, "source": "user"}).json()["voices"] == []
    one = api.get(f"/voices/{voice['voice']}").json()
    assert one["audioUrl"] and one["workflowId"] == voice["workflowId"]
    deleted = api.delete(f"/voices/{voice['voice']}").json()
    assert deleted == {"deleted": True, "workflowId": voice["workflowId"], "voice": voice["voice"]}
    gone = api.get(f"/voices/{voice['voice']}")
    assert (
        gone.status_code == 404
        and gone.json()["error"] == f"Voice not found: {voice['workflowId']}"
    )


def test_system_voices_are_case_insensitive_to_read_and_cannot_be_deleted(
    api: httpx.Client,
) -> None:
    preset = api.get("/voices/umbriel").json()
    assert preset == {
        "voice": "Umbriel",
        "source": "system",
        "displayName": "Umbriel",
        "sampleUrl": "https://www.gstatic.com/aitestkitchen/voices/samples/Umbriel.wav",
    }
    refused = api.delete("/voices/Umbriel")
    assert refused.status_code == 400 and refused.json() == {
        "error": "Built-in voices cannot be deleted."
    }
    bad = api.get("/voices/not-a-voice")
    assert bad.status_code == 400 and "neither a system voice" in bad.json()["error"]


def test_voice_errors(api: httpx.Client) -> None:
    assert _voice(api, voice="achernar").status_code == 400  # case-sensitive on POST
    assert _voice(api, email="ghost@example.com").status_code == 404
    assert api.get("/voices").json() == {"error": "Parameter email is required"}
    stranger = make_voice_ref(99999, PRO, "abc-1", "mid-1")
    assert api.get(f"/voices/{stranger}").status_code == 403
    assert api.delete(f"/voices/{stranger}").status_code == 403


# --------------------------------------------------------------------------- characters


def test_character_lifecycle_with_a_user_voice(api: httpx.Client, media_http: httpx.Client) -> None:
    first, second = upload(api, PRO), upload(api, PRO, png_bytes(colour=(1, 200, 1)))
    voice = _voice(api).json()
    created = api.post(
        "/characters",
        json={
            "displayName": "Carol",
            "imageReference_1": first,
            "imageReference_2": second,
            "personalityNotes": "A curious traveler",
            "voice": voice["voice"],
        },
    )
    assert created.status_code == 200, created.text
    body = created.json()
    assert body["character"].endswith(f"-imgs:2-voice:{voice['workflowId']}")
    assert body["voice"] == voice["voice"] and len(body["imageReferences"]) == 2
    entry = api.get("/characters", params={"email": PRO}).json()["characters"][0]
    assert entry["voice"]["source"] == "user" and "audioUrl" not in entry["voice"]
    assert [set(i) for i in entry["imageReferences"]] == [{"workflowId"}, {"workflowId"}]
    detail = api.get(f"/characters/{body['character']}").json()
    assert media_http.get(detail["imageReferences"][0]["previewUrl"]).status_code == 200
    assert media_http.get(detail["thumbnailUrl"]).status_code == 200
    assert detail["voice"]["audioUrl"]
    video = api.post(
        "/videos",
        json={"prompt": "@character_1 waves", "character_1": body["character"], "async": True},
    )
    assert video.status_code == 201 and video.json()["request"]["email"] == PRO
    image = api.post(
        "/images",
        json={"prompt": "@character_1 portrait", "character_1": body["character"], "count": 1},
    )
    assert image.status_code == 200, image.text
    api.delete(f"/voices/{voice['voice']}")
    orphan = api.get(f"/characters/{body['character']}").json()["voice"]
    assert orphan == {"workflowId": voice["workflowId"], "deleted": True}
    deleted = api.delete(f"/characters/{body['character']}").json()
    assert deleted == {
        "deleted": True,
        "entityId": body["entityId"],
        "character": body["character"],
    }
    reuse = api.post(
        "/videos", json={"prompt": "again", "character_1": body["character"], "async": True}
    )
    assert reuse.status_code == 404 and body["entityId"] in reuse.json()["error"]


def test_character_with_a_system_voice_writes_it_lowercase_in_the_ref(api: httpx.Client) -> None:
    body = api.post(
        "/characters",
        json={"displayName": "Sam", "imageReference_1": upload(api, ULTRA), "voice": "UMBRIEL"},
    ).json()
    assert body["character"].endswith("-imgs:1-voice:umbriel") and body["voice"] == "Umbriel"
    entry = api.get(f"/characters/{body['character']}").json()
    assert entry["voice"] == {"source": "system", "voice": "Umbriel", "displayName": "Umbriel"}


def test_character_errors(sim: RunningSimulator, api: httpx.Client) -> None:
    mixed = api.post(
        "/characters",
        json={
            "displayName": "Mix",
            "imageReference_1": upload(api, PRO),
            "imageReference_2": upload(api, ULTRA),
        },
    )
    assert mixed.status_code == 400
    assert api.post("/characters", json={"displayName": "None"}).status_code == 400
    bad = api.delete("/characters/not-a-ref")
    assert bad.status_code == 400 and bad.json() == {
        "error": "Parameter character has incorrect format"
    }
    stranger = make_character_ref(99999, PRO, "e-1", 1)
    assert api.get(f"/characters/{stranger}").status_code == 403
    unknown = make_character_ref(12345, PRO, "e-404", 1)
    assert api.get(f"/characters/{unknown}").json() == {"error": "Character not found: e-404"}
    assert api.get("/characters").status_code == 400
