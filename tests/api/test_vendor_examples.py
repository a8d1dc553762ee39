"""Every request shape of the vendor's own example clients, through the client and the simulator.

The vendor's example repository (veo-video, omni-flash, images, nano-banana-compare) drives the
API with a list of prompt entries; the shapes below restate those entries in our own words
(fields and values, not their text). Spec §7.1: what the vendor shows working must never be
refused or warned about by default, and the simulator must accept it too. Each shape is sent
twice: built by the client from the body (``from_payload`` + ``call_for``) and waited for, and
posted raw, the way the example scripts do (``async: true`` for videos; images are synchronous).
Local files the examples upload first (``./first_image.jpeg``…) are uploaded here as well.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from PIL import Image

from flow_widgets.api.client import FlowClient, call_for
from flow_widgets.api.requests import ImageRequest, VideoRequest
from flow_widgets.api.requests._evidence import RuleWarning
from flow_widgets.simulator.server import RunningSimulator, start_background

EMAIL = "ultra.demo@gmail.com"
IMAGE = "<image>"  # placeholder: an uploaded JPEG's id
VIDEO = "<video>"  # placeholder: an uploaded MP4's id

# (example client, what the entry does, body as the script sends it, minus email and async)
VIDEO_SHAPES: list[tuple[str, str, dict[str, Any]]] = [
    ("veo-video", "defaults: veo-3.1-fast, landscape, 8 s", {"model": "veo-3.1-fast"}),
    (
        "veo-video",
        "quality, two seeded variations",
        {
            "model": "veo-3.1-quality",
            "aspectRatio": "landscape",
            "duration": 8,
            "count": 2,
            "seed": 123456,
        },
    ),
    (
        "veo-video",
        "portrait first and last frame",
        {
            "model": "veo-3.1-fast",
            "aspectRatio": "portrait",
            "duration": 8,
            "startImage": IMAGE,
            "endImage": IMAGE,
        },
    ),
    ("veo-video", "omni-flash 10 s", {"model": "omni-flash", "duration": 10}),
    ("omni-flash", "defaults: omni-flash T2V", {"model": "omni-flash"}),
    (
        "omni-flash",
        "narration by a system voice, no face (C5)",
        {"model": "omni-flash", "duration": 10, "referenceAudio_1": "Charon"},
    ),
    (
        "omni-flash",
        "one reference image narrated by a preset",
        {
            "model": "omni-flash",
            "duration": 8,
            "referenceImage_1": IMAGE,
            "referenceAudio_1": "Kore",
        },
    ),
    (
        "omni-flash",
        "video edit of an uploaded MP4, full 10 s window",
        {
            "model": "omni-flash",
            "referenceVideo_1": VIDEO,
            "startFrameIndex_1": 0,
            "endFrameIndex_1": 240,
        },
    ),
]

IMAGE_SHAPES: list[tuple[str, str, dict[str, Any]]] = [
    ("images", "defaults with the old alias", {"model": "imagen-4"}),
    (
        "images",
        "nano-banana-pro, two seeded squares",
        {"model": "nano-banana-pro", "aspectRatio": "1:1", "count": 2, "seed": 123456},
    ),
    (
        "images",
        "nano-banana-2, aspect from the first reference",
        {"model": "nano-banana-2", "aspectRatio": "auto", "reference_1": IMAGE},
    ),
    ("images", "alias, four portraits", {"model": "imagen-4", "aspectRatio": "9:16", "count": 4}),
    (
        "nano-banana-compare",
        "lite, four portraits",
        {"model": "nano-banana-2-lite", "aspectRatio": "9:16", "count": 4},
    ),
    (
        "nano-banana-compare",
        "2.1, four portraits",
        {"model": "nano-banana-2", "aspectRatio": "9:16", "count": 4},
    ),
    (
        "nano-banana-compare",
        "pro, four portraits",
        {"model": "nano-banana-pro", "aspectRatio": "9:16", "count": 4},
    ),
]


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with start_background(seed=17, time_scale=0.004) as running:
        yield running


@pytest.fixture(scope="module")
def client(sim: RunningSimulator) -> Iterator[FlowClient]:
    with FlowClient(sim.token, base_url=sim.base_url) as made:
        yield made


@pytest.fixture(scope="module")
def uploads(client: FlowClient) -> dict[str, str]:
    """The ids the examples would get by uploading their local JPEG and MP4 first."""
    picture = io.BytesIO()
    Image.new("RGB", (96, 64), (200, 120, 40)).save(picture, "JPEG")
    image_id = client.assets.upload(picture.getvalue(), email=EMAIL).media_generation_id
    job = client.videos.create("a source clip", model="omni-flash", duration=4, email=EMAIL)
    done = client.jobs.wait(job.jobid, timeout=120, poll_interval=0.05)
    url = done.media[0].url
    assert url is not None
    clip = httpx.get(url).content
    video_id = client.assets.upload(clip, email=EMAIL).media_generation_id
    return {IMAGE: image_id, VIDEO: video_id}


def _filled(body: dict[str, Any], uploads: dict[str, str], prompt: str) -> dict[str, Any]:
    return {"prompt": prompt, "email": EMAIL, **{k: uploads.get(v, v) for k, v in body.items()}}


def _quietly_built(cls: Any, body: dict[str, Any]) -> Any:
    """Built from the body with no refusal and no reported-rule warning (spec §7.1)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuleWarning)
        request = cls.from_payload(body)
    assert request.rule_warnings == (), [w.line() for w in request.rule_warnings]
    return request


@pytest.mark.parametrize(
    ("example", "what", "body"), VIDEO_SHAPES, ids=[f"{e}: {w}" for e, w, _ in VIDEO_SHAPES]
)
def test_vendor_video_shapes_pass_the_client_and_the_simulator(
    sim: RunningSimulator,
    client: FlowClient,
    uploads: dict[str, str],
    example: str,
    what: str,
    body: dict[str, Any],
) -> None:
    filled = _filled(body, uploads, f"{example}: {what}")
    request = _quietly_built(VideoRequest, filled)
    job = client.run(call_for(request))
    done = client.jobs.wait(job.jobid, timeout=120, poll_interval=0.05)
    assert done.status == "completed", done
    assert len(done.media) == filled.get("count", 1)
    raw = httpx.post(
        f"{sim.base_url}/videos",
        json={**filled, "async": True},
        headers={"Authorization": f"Bearer {sim.token}"},
    )
    assert raw.status_code == 201, raw.text


@pytest.mark.parametrize(
    ("example", "what", "body"), IMAGE_SHAPES, ids=[f"{e}: {w}" for e, w, _ in IMAGE_SHAPES]
)
def test_vendor_image_shapes_pass_the_client_and_the_simulator(
    sim: RunningSimulator,
    client: FlowClient,
    uploads: dict[str, str],
    example: str,
    what: str,
    body: dict[str, Any],
) -> None:
    filled = _filled(body, uploads, f"{example}: {what}")
    request = _quietly_built(ImageRequest, filled)
    job = client.run(call_for(request))
    assert job.status == "completed" and len(job.media) == filled.get("count", 4)
    raw = httpx.post(
        f"{sim.base_url}/images",
        json=filled,
        headers={"Authorization": f"Bearer {sim.token}"},
        timeout=120,
    )
    assert raw.status_code == 200, raw.text
