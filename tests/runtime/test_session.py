"""The session end to end against the simulator over real HTTP: buy once, save everything."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from session_support import SimControl, assert_valid_media, open_session

from flow_widgets.errors import BudgetExceededError, JobFailedError, ValidationError
from flow_widgets.runtime.jobs import JobHandle
from flow_widgets.runtime.session import FlowSession
from flow_widgets.simulator.server import RunningSimulator

pytestmark = pytest.mark.timeout(120)


def wait_in_mode(mode: str, job: JobHandle, timeout: float = 60) -> JobHandle:
    if mode == "sync":
        return job.wait(timeout)
    return asyncio.run(job.wait_async(timeout))


def check_completed_video(job: JobHandle, count: int) -> None:
    """What every finished video job must satisfy, whichever way it was waited for."""
    assert job.status == "completed", job.error
    assert job.charged is True and job.credits and job.credits > 0
    assert len(job.media) == count
    for media in job.media:
        assert media.path is not None and media.media_id
        assert_valid_media(media.path, "video")
    assert job.progress == 1.0


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_video_completes_and_is_saved(mode: str, flow: FlowSession, control: SimControl) -> None:
    job = flow.video(f"a red fox in snow ({mode})", model="veo-3.1-lite", count=2)
    assert job.status in ("queued", "submitting", "accepted")  # returned at once
    check_completed_video(wait_in_mode(mode, job), count=2)
    assert control.count("POST /videos") == 1
    assert control.jobs_by_key() == {job.submission_id: 1}


def test_many_concurrent_jobs_complete_each_bought_once(
    flow: FlowSession, control: SimControl
) -> None:
    jobs = [flow.video(f"scene {i}: waves at dusk", model="veo-3.1-lite") for i in range(6)]
    images = [flow.image(f"poster {i}") for i in range(4)]
    for job in jobs:
        check_completed_video(job.wait(60), count=1)
    for image in images:
        image.wait(60)
        assert image.status == "completed"
        assert image.media[0].path is not None
        assert_valid_media(image.media[0].path, "image")
    assert control.count("POST /videos") == 6
    assert control.count("POST /images") == 4
    keys = control.jobs_by_key()
    assert sorted(keys.values()) == [1] * 10
    assert set(keys) == {j.submission_id for j in jobs + images}
    assert sum(job.credits or 0 for job in jobs) == flow.credits.spent_by_model["veo-3.1-lite"]


def test_an_identical_request_re_attaches_in_this_and_the_next_session(
    sim: RunningSimulator, tmp_path: Path, control: SimControl
) -> None:
    first = open_session(sim, tmp_path)
    try:
        job = first.video("a lighthouse in fog", model="veo-3.1-lite")
        assert first.video("a lighthouse in fog", model="veo-3.1-lite") is job
        job.wait(60)
    finally:
        first.close()
    second = open_session(sim, tmp_path)
    try:
        again = second.video("a lighthouse in fog", model="veo-3.1-lite")
        again.wait(30)
        assert again.status == "completed"
        assert again.submission_id == job.submission_id
        assert [m.path for m in again.media] == [m.path for m in job.media]
        fresh = second.video("a lighthouse in fog", model="veo-3.1-lite", new=True)
        fresh.wait(60)
        assert fresh.submission_id != job.submission_id
    finally:
        second.close()
    assert control.count("POST /videos") == 2  # the first purchase and the explicit new one
    assert control.requests("GET /video/{name}", origin="media") != []


def test_budget_refusal_names_cost_and_remainder_and_sends_nothing(
    flow: FlowSession, control: SimControl
) -> None:
    flow.budget = 50
    with pytest.raises(BudgetExceededError) as info:
        flow.video("an expensive scene", model="veo-3.1-quality")
    assert info.value.cost == 100 and info.value.remaining == 50
    assert "100 credits" in str(info.value) and "50" in str(info.value)
    assert control.count("POST /videos") == 0
    assert flow.credits.spent == 0


def test_bad_input_fails_at_once_in_one_sentence_and_sends_nothing(
    flow: FlowSession, control: SimControl
) -> None:
    with pytest.raises(ValidationError, match="duration") as info:
        flow.video("a fox", model="veo-3.1-quality", duration=10)
    assert info.value.field == "duration"
    with pytest.raises(ValidationError, match="no option 'aspect'"):
        flow.video("a fox", aspect="portrait")
    assert control.ledger()["requests"] == []


def test_a_failed_job_raises_in_plain_words_and_charges_nothing(
    flow: FlowSession, control: SimControl
) -> None:
    control.fault(route="POST /videos", action="fail_job", times=1, error="API error: 500")
    job = flow.video("a doomed scene", model="veo-3.1-lite")
    with pytest.raises(JobFailedError, match="failed on the server: API error: 500"):
        job.wait(60)
    assert job.charged is False and job.credits == 0
    assert flow.ledger.get(job.submission_id or "").state == "failed"  # type: ignore[union-attr]


def test_uploads_are_cached_by_content(
    flow: FlowSession, control: SimControl, tmp_path: Path
) -> None:
    from PIL import Image

    frame = tmp_path / "frame.png"
    Image.new("RGB", (64, 36), (200, 120, 40)).save(frame)
    first = flow.upload(frame).wait(30)
    second = flow.upload(frame).wait(30)
    assert first.media_id and first.media_id == second.media_id
    assert control.count("POST /assets") + control.count("POST /assets/{email}") == 1
    video = flow.video("the frame comes alive", model="veo-3.1-lite", start_image=first)
    check_completed_video(video.wait(60), count=1)


def test_gif_and_concatenate_save_inline_payloads(flow: FlowSession) -> None:
    a = flow.video("clip one", model="veo-3.1-lite", email="ultra.demo@gmail.com").wait(60)
    b = flow.video("clip two", model="veo-3.1-lite", email="ultra.demo@gmail.com").wait(60)
    gif = flow.gif(a).wait(60)
    joined = flow.concatenate([a, b]).wait(60)
    assert gif.media[0].path is not None and gif.media[0].path.suffix == ".gif"
    assert_valid_media(gif.media[0].path, "image")
    assert joined.media[0].path is not None
    assert_valid_media(joined.media[0].path, "video")


def test_without_a_token_the_embedded_simulator_is_used_and_announced_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flow_widgets.runtime import embedded
    from flow_widgets.runtime import session as session_module
    from flow_widgets.runtime.embedded import stop_embedded_simulator

    monkeypatch.chdir(tmp_path)  # no .env here, and ./flow_media lands in the temporary folder
    # The banner is once per process: start from a process that has not shown it yet, whatever
    # other tests ran before in this one.
    session_module.shutdown()
    stop_embedded_simulator()
    monkeypatch.setattr(embedded, "_announced", False)
    notices: list[str] = []
    try:
        flow = session_module.session(announce=notices.append)
        assert flow.simulated and session_module.session() is flow
        image = flow.image("a teaching example").wait(60)
        assert image.media[0].path is not None
        assert image.media[0].path.parent == tmp_path / "flow_media"
        flow.close()
        again = session_module.session(announce=notices.append)  # a new session, same simulator
        assert again.simulator is flow.simulator
        assert len(notices) == 1 and "simulator" in notices[0] and "USEAPI_TOKEN" in notices[0]
    finally:
        session_module.shutdown()
        stop_embedded_simulator()
    assert session_module.current_session() is None


def test_a_loop_of_single_submissions_waits_for_slots_instead_of_being_refused(
    flow: FlowSession, control: SimControl
) -> None:
    # veo-3.1-quality costs the same on both plans, so the slots spread the work (a cheaper
    # plan would take it all: cost-aware routing)
    jobs = [flow.video(f"one of twelve {i}", model="veo-3.1-quality") for i in range(12)]
    assert any(job.status == "queued" for job in jobs)  # 2 accounts x 4 slots: some must wait
    for job in jobs:
        check_completed_video(job.wait(90), count=1)
    statuses = [r["status"] for r in control.requests("POST /videos")]
    assert statuses == [201] * 12  # never over an account's cap, so never throttled
    assert {job.account for job in jobs} == {"ultra.demo@gmail.com", "pro.demo@gmail.com"}


def test_cancel_stops_watching_and_an_identical_rerun_watches_again(
    flow: FlowSession, control: SimControl
) -> None:
    job = flow.video("a slow sunset", model="veo-3.1-quality")  # 2.4 s at this time scale
    while job.jobid is None:
        job.wait(0.01, raise_on_failure=False)
    job.cancel()
    assert job.status == "cancelled" and job.done
    assert flow.ledger.get(job.submission_id or "").state == "cancelled"  # type: ignore[union-attr]
    again = flow.video("a slow sunset", model="veo-3.1-quality")
    assert again is job
    check_completed_video(job.wait(60), count=1)
    assert control.count("POST /videos") == 1
    job.refresh()  # a finished job reads the same
    assert job.status == "completed"
