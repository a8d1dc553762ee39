"""A clip whose signed URL and whole job record have expired is fetched again through
``GET /assets/{mediaGenerationId}`` (spec C4), over real HTTP against the simulator.

The scene: a clip made and saved in an earlier session; its file was deleted; days later (the
simulator's clock moved on, so its URL answers 403 and its job 410) the same cell runs again on
the same ledger. The re-run must re-attach, ask the assets endpoint once, save the clip, and buy
nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from session_support import SimControl, assert_valid_media, open_session

from flow_widgets.runtime.fresh_urls import media_gone_text
from flow_widgets.runtime.jobs import JobHandle
from flow_widgets.simulator.server import RunningSimulator

pytestmark = pytest.mark.timeout(120)

SIMULATOR = {"seed": 31}

ASSETS = "GET /assets/{mediaGenerationId}"
JOB = "GET /jobs/{jobid}"
PROMPT = "a lighthouse at dawn, kept for later"
MODEL = "veo-3.1-lite"
EIGHT_DAYS = 8 * 86400.0  # past the 6 h URL lifetime and the 7-day job retention


@pytest.fixture
def made_long_ago(sim: RunningSimulator, tmp_path: Path) -> Iterator[JobHandle]:
    """A clip saved by an earlier session, its file since deleted, eight days ago."""
    earlier = open_session(sim, tmp_path)
    try:
        job = earlier.video(PROMPT, model=MODEL).wait(60)
    finally:
        earlier.close()
    assert job.media[0].path is not None
    job.media[0].path.unlink()
    root = sim.base_url.split("/v1/")[0]
    httpx.post(f"{root}/_sim/clock", json={"advance": EIGHT_DAYS}).raise_for_status()
    httpx.get(f"{root}/_sim/state").raise_for_status()  # lets the scheduler expire the job
    gone = httpx.get(
        f"{sim.base_url.rstrip('/')}/jobs/{job.jobid}",
        headers={"Authorization": f"Bearer {sim.token}"},
    )
    assert gone.status_code == 410, gone.text
    yield job


def test_an_expired_url_of_an_expired_job_is_refreshed_by_one_assets_call(
    sim: RunningSimulator, made_long_ago: JobHandle, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    control = SimControl(sim)
    request.addfinalizer(control.close)
    later = open_session(sim, tmp_path)
    try:
        again = later.video(PROMPT, model=MODEL).wait(60)
    finally:
        later.close()
    assert again.submission_id == made_long_ago.submission_id
    assert again.status == "completed", again.error
    assert again.media[0].path is not None
    assert_valid_media(again.media[0].path, "video")
    assert control.count(ASSETS) == 1
    assert control.count(JOB) == 0  # the job is not re-read: it would answer 410
    assert control.count("POST /videos") == 0
    assert not [r for r in control.ledger()["requests"] if r["method"] == "POST"]
    media = [r for r in control.ledger()["requests"] if r["origin"] == "media"]
    assert [r["status"] for r in media] == [403, 200]


def test_media_the_assets_call_no_longer_knows_is_gone_in_one_sentence(
    sim: RunningSimulator, made_long_ago: JobHandle, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    control = SimControl(sim)
    request.addfinalizer(control.close)
    control.fault(route=ASSETS, action="status", status=404, times=1)
    later = open_session(sim, tmp_path)
    try:
        again = later.video(PROMPT, model=MODEL).wait(60, raise_on_failure=False)
    finally:
        later.close()
    assert again.status == "download_failed"
    assert again.error == media_gone_text(0)
    assert control.count(ASSETS) == 1
    assert control.count("POST /videos") == 0
