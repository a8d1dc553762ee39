"""Spec §7.2 (December 2026 review), item by item, through the client and the simulator.

Each test names its item (C1...C19). The simulator runs over real loopback HTTP with a fast clock,
so jobs finish in a fraction of a second of wall time.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest

from flow_widgets.api._error_mapping import map_error
from flow_widgets.api.catalog import AS_OF, DEFAULT_CATALOG, IMAGE_MODELS, VIDEO_MODELS
from flow_widgets.api.client import AsyncFlowClient, FlowClient
from flow_widgets.api.ids import make_media_id
from flow_widgets.api.models import sniff_mime_type
from flow_widgets.api.requests import ImageRequest, VideoRequest
from flow_widgets.errors import NotFoundError, QuotaExceededError
from flow_widgets.runtime.fresh_urls import fresh_media_url
from flow_widgets.simulator.config import SimulatorConfig
from flow_widgets.simulator.server import RunningSimulator, start_background

ULTRA = "ultra.demo@gmail.com"


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with start_background(seed=21, time_scale=0.004, test_controls=True) as running:
        yield running


@pytest.fixture
def client(sim: RunningSimulator) -> Iterator[FlowClient]:
    with FlowClient(sim.token, base_url=sim.base_url) as made:
        yield made


def _video(client: FlowClient, **options: Any) -> str:
    job = client.videos.create("a lighthouse in fog", email=ULTRA, **options)
    done = client.jobs.wait(job.jobid, timeout=120, poll_interval=0.05)
    return done.media[0].media_generation_id


def _credits(client: FlowClient) -> int:
    credits = client.accounts.get(ULTRA).credits
    assert credits is not None
    return credits


def test_c1_omni_360p_is_promoted_to_720p_and_720p_to_1080p_for_free(client: FlowClient) -> None:
    small = _video(client, model="omni-flash", duration=4, resolution="360p")
    full = _video(client, model="omni-flash", duration=4)
    before = _credits(client)
    job = client.videos.upscale(small, resolution="720p")
    done = client.jobs.wait(job.jobid, timeout=120, poll_interval=0.05)
    assert done.status == "completed" and done.media
    job = client.videos.upscale(full, resolution="1080p")
    assert client.jobs.wait(job.jobid, timeout=120, poll_interval=0.05).status == "completed"
    assert _credits(client) == before  # both free
    assert {"upscale", "concatenate"} <= VideoRequest("x", model="omni-flash").follow_ups()
    assert DEFAULT_CATALOG.video_upscale_credits("720p") == 0


def test_c2_omni_clips_can_be_concatenated(client: FlowClient) -> None:
    first = _video(client, model="omni-flash", duration=4)
    second = _video(client, model="omni-flash", duration=4)
    joined = client.videos.concatenate([first, second])
    assert sniff_mime_type(joined.data) == "video/mp4"


@pytest.mark.parametrize(("seconds", "credits"), [(8, 24), (10, 30), (15, 60), (3, 9)])
def test_c3_omni_flash_1_2_costs_3_per_second_to_10_s_and_6_beyond(
    client: FlowClient, seconds: int, credits: int
) -> None:
    request = VideoRequest("x", model="omni-flash-1.2", duration=seconds)
    assert request.estimate_credits("ultra_200") == credits
    if seconds == 8:  # and the simulator charges what the client estimates
        before = _credits(client)
        _video(client, model="omni-flash-1.2", duration=8)
        assert before - _credits(client) == 24


def test_c4_assets_get_returns_a_fresh_url_after_links_expire(
    sim: RunningSimulator, client: FlowClient
) -> None:
    media_id = _video(client, model="veo-3.1-fast")
    control = httpx.post(sim.base_url.split("/v1/")[0] + "/_sim/expire-urls")
    control.raise_for_status()
    fresh = client.assets.get(media_id)
    assert fresh.media_generation_id == media_id
    download = httpx.get(fresh.url)
    assert download.status_code == 200 and sniff_mime_type(download.content) == "video/mp4"

    async def both() -> tuple[str, str]:
        async with AsyncFlowClient(sim.token, base_url=sim.base_url) as aclient:
            answer = await aclient.assets.get(media_id)
            return answer.url, await fresh_media_url(aclient, media_id)

    async_url, helper_url = anyio.run(both)
    assert httpx.get(async_url).status_code == 200
    assert httpx.get(helper_url).status_code == 200


def test_c4_an_unknown_asset_is_not_found(client: FlowClient) -> None:
    missing = _video(client, model="veo-3.1-fast").rsplit(":", 1)[0] + ":nothing-here"
    with pytest.raises(NotFoundError):
        client.assets.get(missing)


def test_c6_to_c19_are_in_the_catalog_the_advice_and_the_simulator() -> None:
    # C6: nano-banana-2 is shown as Nano Banana 2.1.
    assert IMAGE_MODELS["nano-banana-2"].display_name == "Nano Banana 2.1"
    # C7: 300 free captcha solves in the simulator; no client-side account limit exists.
    assert SimulatorConfig().free_captcha_credits == 300
    # C8: the user quota cools down in ~30 minutes; only the per-model quota waits for midnight.
    user = map_error(
        429, {"error": {"details": [{"reason": "PUBLIC_ERROR_USER_QUOTA_REACHED"}]}}, {}
    )
    model = map_error(
        429, {"error": {"details": [{"reason": "PUBLIC_ERROR_PER_MODEL_DAILY_QUOTA_REACHED"}]}}, {}
    )
    assert isinstance(user, QuotaExceededError) and "30 minutes" in str(user)
    assert "midnight" not in str(user) and "midnight" in str(model)
    # C9: signed URLs last about 6 hours in the simulator.
    assert SimulatorConfig().url_ttl == 6 * 3600
    # C10: images default to nano-banana-2-lite, count 4; imagen-4 is an alias.
    image = ImageRequest("a cat")
    assert image.model == "nano-banana-2-lite" and image.count == 4
    assert ImageRequest("a cat", model="imagen-4", count=1).rule_warnings == ()
    # C11: every Nano Banana model can be upscaled.
    assert all(model.upscalable for model in IMAGE_MODELS.values())
    # C12: omni-flash-1.2 runs on a free account up to 10 s.
    VideoRequest("x", model="omni-flash-1.2", duration=10).validate_for_tier("free")
    # C13: Omni 1.1 prices.
    for seconds, credits in ((4, 7), (6, 10), (8, 12), (10, 15)):
        assert DEFAULT_CATALOG.video_credits("omni-flash", seconds, "720p", "pro") == credits
    # C16: 360p on Veo is a vendor refusal; on Omni it is fine.
    assert VideoRequest("x", model="omni-flash", resolution="360p").rule_warnings == ()
    # C17: Lite Lower Priority on another plan is sent (with a note), not refused.
    VideoRequest("x", model="veo-3.1-lite-low-priority").validate_for_tier("ultra_100")
    # Every correction has its date in the catalog.
    for key in ("upscale", "concatenate", "assets_url", "voice_without_face", "captcha_free"):
        assert AS_OF[key].startswith("2026-")
    assert "omni-flash-1.2" in VIDEO_MODELS


def test_c14_omni_takes_start_and_end_frames_and_c15_portrait_veo_takes_references() -> None:
    image = make_media_id(1, "me@example.org", "image", "a")
    other = make_media_id(1, "me@example.org", "image", "b")
    assert (
        VideoRequest("x", model="omni-flash", start_image=image, end_image=other).rule_warnings
        == ()
    )
    assert VideoRequest("x", aspect_ratio="portrait", reference_images=(image,)).rule_warnings == ()


def test_c19_downloads_sniff_bytes_not_extensions() -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 16
    assert sniff_mime_type(png) == "image/png"
