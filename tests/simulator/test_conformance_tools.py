"""Images and the media tools over real HTTP, with the real media they return: ``POST /images``,
``/images/upscale``, ``/videos/gif``, ``/videos/concatenate`` and generated-video downloads."""

from __future__ import annotations

import base64
import re

import httpx
import pytest

from flow_widgets.simulator.media import probe
from flow_widgets.simulator.server import RunningSimulator
from tests.simulator.sim_support import (
    PRO,
    ULTRA,
    control,
    credits_of,
    finish_jobs,
    png_bytes,
    upload,
)


@pytest.fixture(scope="module")
def clips(sim: RunningSimulator, api: httpx.Client) -> list[dict[str, object]]:
    """Two finished 4-second Veo clips on the Ultra account (4 s keeps encoding cheap)."""
    job = api.post(
        "/videos",
        json={"prompt": "short clip", "duration": 4, "count": 2, "email": ULTRA, "async": True},
    ).json()
    finish_jobs(api)
    media: list[dict[str, object]] = api.get(f"/jobs/{job['jobid']}").json()["response"]["media"]
    return media


def test_generated_video_is_a_real_h264_aac_mp4(
    clips: list[dict[str, object]], media_http: httpx.Client
) -> None:
    video = media_http.get(str(clips[0]["videoUrl"]))
    assert video.headers["content-type"] == "video/mp4"
    info = probe(video.content)
    assert (info.video_codec, info.audio_codec, info.width, info.height) == (
        "h264",
        "aac",
        640,
        360,
    )
    assert info.duration == pytest.approx(4.0, abs=0.1)
    thumbnail = media_http.get(str(clips[0]["thumbnailUrl"]))
    assert (
        thumbnail.headers["content-type"] == "image/jpeg" and probe(thumbnail.content).width == 640
    )
    again = media_http.get(str(clips[0]["videoUrl"]))
    assert again.headers["x-content-sha256"] == video.headers["x-content-sha256"]  # cached, stable


def test_images_are_synchronous_free_and_default_to_four(
    api: httpx.Client, media_http: httpx.Client
) -> None:
    before = credits_of(api, PRO)
    response = api.post(
        "/images", json={"prompt": "a lighthouse", "email": PRO, "model": "nano-banana-2"}
    )
    assert response.status_code == 200
    body = response.json()
    assert re.match(r"^j\d{13}i-u12345-email:pro\.demo@gmail\.com-bot:google-flow$", body["jobId"])
    assert len(body["media"]) == 4 and "remainingCredits" not in body
    generated = body["media"][0]["image"]["generatedImage"]
    assert generated["modelNameType"] == "NARWHAL"
    assert generated["aspectRatio"] == "IMAGE_ASPECT_RATIO_LANDSCAPE"
    assert [m["image"]["generatedImage"]["seed"] for m in body["media"]] == [
        generated["seed"] + i for i in range(4)
    ]
    picture = media_http.get(generated["fifeUrl"])
    assert picture.headers["content-type"] == "image/png" and probe(picture.content).width == 1024
    assert credits_of(api, PRO) == before
    record = api.get(f"/jobs/{body['jobId']}").json()
    assert (record["type"], record["status"]) == ("image", "completed")


def test_auto_aspect_follows_the_first_reference(api: httpx.Client) -> None:
    portrait = upload(api, PRO, png_bytes(36, 64))
    body = api.post(
        "/images",
        json={
            "prompt": "like @reference_1",
            "reference_1": portrait,
            "aspectRatio": "auto",
            "count": 1,
        },
    ).json()
    generated = body["media"][0]["image"]["generatedImage"]
    assert generated["aspectRatio"] == "IMAGE_ASPECT_RATIO_PORTRAIT"
    inputs = generated["requestData"]["imageGenerationRequestData"]["imageGenerationImageInputs"]
    assert inputs == [{"mediaGenerationId": portrait}]


def test_images_have_no_async_flag(api: httpx.Client) -> None:
    response = api.post("/images", json={"prompt": "x", "async": True})
    assert response.status_code == 400 and "async" in response.json()["error"]


def test_image_upscale_returns_a_jpeg_inline(api: httpx.Client) -> None:
    image = api.post("/images", json={"prompt": "a fox", "count": 1, "email": ULTRA}).json()
    source = image["media"][0]["image"]["generatedImage"]["mediaGenerationId"]
    response = api.post("/images/upscale", json={"mediaGenerationId": source, "resolution": "2K"})
    assert response.status_code == 200
    body = response.json()
    jpeg = base64.b64decode(body["encodedImage"])
    assert probe(jpeg).format == "jpeg" and probe(jpeg).width == 2048
    assert body["captcha"]["attempts"][-1]["success"] is True
    refused = api.post("/images/upscale", json={"mediaGenerationId": upload(api, ULTRA)})
    assert refused.status_code == 400 and "uploads" in refused.json()["error"]


def test_gif_preview_of_a_generated_video(
    api: httpx.Client, clips: list[dict[str, object]]
) -> None:
    response = api.post("/videos/gif", json={"mediaGenerationId": clips[0]["mediaGenerationId"]})
    assert response.status_code == 200
    gif = base64.b64decode(response.json()["encodedGif"])
    assert gif[:6] == b"GIF89a" and probe(gif).frames > 1
    wrong = api.post("/videos/gif", json={"mediaGenerationId": upload(api, ULTRA)})
    assert wrong.status_code == 400 and "video" in wrong.json()["error"]
    missing = api.post(
        "/videos/gif", json={"mediaGenerationId": str(clips[0]["mediaGenerationId"]) + "x"}
    )
    assert missing.status_code == 404
    assert api.post("/videos/gif", json={}).status_code == 400


def test_concatenate_joins_clips_with_trims(
    api: httpx.Client, clips: list[dict[str, object]]
) -> None:
    body = {
        "media": [
            {"mediaGenerationId": clips[0]["mediaGenerationId"], "trimEnd": 1},
            {"mediaGenerationId": clips[1]["mediaGenerationId"], "trimStart": 0.5},
        ]
    }
    response = api.post("/videos/concatenate", json=body)
    assert response.status_code == 200
    result = response.json()
    assert (result["status"], result["inputsCount"]) == ("MEDIA_GENERATION_STATUS_SUCCESSFUL", 2)
    assert re.match(r"^j\d{13}v-", result["jobId"])
    info = probe(base64.b64decode(result["encodedVideo"]))
    assert info.duration == pytest.approx(6.5, abs=0.15) and info.audio_codec == "aac"


def test_concatenate_refusals(
    sim: RunningSimulator, api: httpx.Client, clips: list[dict[str, object]]
) -> None:
    first = clips[0]["mediaGenerationId"]
    assert (
        api.post("/videos/concatenate", json={"media": [{"mediaGenerationId": first}]}).status_code
        == 400
    )
    too_much = {
        "media": [
            {"mediaGenerationId": first, "trimStart": 3, "trimEnd": 2},
            {"mediaGenerationId": first},
        ]
    }
    refused = api.post("/videos/concatenate", json=too_much)
    assert refused.status_code == 400 and "trim" in refused.json()["error"]
    portrait = api.post(
        "/videos", json={"prompt": "tall", "aspectRatio": "portrait", "email": ULTRA, "async": True}
    ).json()
    omni = api.post(
        "/videos", json={"prompt": "omni", "model": "omni-flash", "email": ULTRA, "async": True}
    ).json()
    finish_jobs(api)
    tall = api.get(f"/jobs/{portrait['jobid']}").json()["response"]["media"][0]["mediaGenerationId"]
    flash = api.get(f"/jobs/{omni['jobid']}").json()["response"]["media"][0]["mediaGenerationId"]
    mixed = api.post(
        "/videos/concatenate",
        json={"media": [{"mediaGenerationId": first}, {"mediaGenerationId": tall}]},
    )
    assert mixed.status_code == 400 and "aspect" in mixed.json()["error"]
    # C2 (Dec 2026): the vendor's UGC script and n8n workflow join Omni clips.
    with_omni = api.post(
        "/videos/concatenate",
        json={"media": [{"mediaGenerationId": first}, {"mediaGenerationId": flash}]},
    )
    assert with_omni.status_code == 200, with_omni.text
    assert control(api, "GET", "state")["renders"] >= 1
