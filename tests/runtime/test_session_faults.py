"""Faults over real HTTP: throttling storms, lost replies, broken downloads, a full disk.

Each scenario ends with the simulator's own ledger proving that every submission bought exactly
one job, and with valid files on disk.
"""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any, BinaryIO

import pytest
from session_support import SimControl, assert_valid_media

from flow_widgets.runtime.session import FlowSession

pytestmark = pytest.mark.timeout(120)

SIMULATOR = {"seed": 23}


def test_a_429_and_503_storm_ends_with_one_job_per_submission(
    flow: FlowSession, control: SimControl
) -> None:
    control.throttle("POST /videos", times=4)  # at most 5 refusals for one job: within 6 tries
    control.fault(route="POST /videos", action="status", status=503, times=1)
    jobs = [flow.video(f"storm {i}", model="veo-3.1-lite") for i in range(4)]
    for job in jobs:
        job.wait(90)
        assert job.status == "completed", job.error
    keys = control.jobs_by_key()
    assert keys == {job.submission_id: 1 for job in jobs}
    assert control.count("POST /videos") == 4 + 4 + 1
    statuses = sorted(r["status"] for r in control.requests("POST /videos"))
    assert statuses.count(429) == 4 and statuses.count(503) == 1


def test_an_accepted_then_dropped_post_is_reconciled_not_resent(
    flow: FlowSession, control: SimControl
) -> None:
    control.fault(route="POST /videos", action="drop", times=1)
    job = flow.video("the reply gets lost", model="veo-3.1-lite")
    job.wait(60)
    assert job.status == "completed", job.error
    assert control.count("POST /videos") == 1
    assert control.jobs_by_key() == {job.submission_id: 1}
    states = [state for state, _ in flow.ledger.history(job.submission_id or "")]
    assert states[:3] == ["submitting", "unknown", "accepted"]
    assert states[-1] == "completed"


def test_a_truncated_download_resumes_and_ends_valid(
    flow: FlowSession, control: SimControl
) -> None:
    control.fault(route="media", action="truncate", fraction=0.4, times=1)
    job = flow.video("a cut-off transfer", model="veo-3.1-lite").wait(60)
    path = job.media[0].path
    assert path is not None
    assert_valid_media(path, "video")
    media_gets = [r for r in control.ledger()["requests"] if r["origin"] == "media"]
    assert len(media_gets) == 2
    assert media_gets[1]["range"] and media_gets[1]["range"].startswith("bytes=")


def test_an_expired_url_is_refreshed_once_from_the_job(
    flow: FlowSession, control: SimControl
) -> None:
    control.fault(route="media", action="status", status=403, times=1)
    job = flow.video("a stale link", model="veo-3.1-lite").wait(60)
    assert job.media[0].path is not None
    assert_valid_media(job.media[0].path, "video")
    media = [r for r in control.ledger()["requests"] if r["origin"] == "media"]
    assert [r["status"] for r in media] == [403, 200]
    assert control.count("POST /videos") == 1


class _FullDisk:
    """A ``.part`` file on a disk that fills up after ``room`` bytes."""

    def __init__(self, handle: BinaryIO, room: list[int]) -> None:
        self._handle = handle
        self._room = room

    def write(self, data: bytes) -> int:
        if len(data) > self._room[0]:
            raise OSError(errno.ENOSPC, "No space left on device")
        self._room[0] -= len(data)
        return self._handle.write(data)

    def __enter__(self) -> _FullDisk:
        return self

    def __exit__(self, *exc: object) -> None:
        self._handle.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._handle, name)


def test_a_full_disk_stops_downloads_keeps_parts_and_resume_finishes(
    flow: FlowSession, control: SimControl, tmp_path: Path
) -> None:
    room = [50_000]
    saver = flow.runner.outputs.saver

    def tiny_disk(path: Path, mode: str) -> Any:
        return _FullDisk(open(path, mode), room)  # closed by _FullDisk

    saver.open_part = tiny_disk
    job = flow.video("a very large scene", model="veo-3.1-lite", count=2)
    job.wait(60, raise_on_failure=False)
    assert job.status == "download_failed"
    assert "disk" in (job.error or "").lower() and "flow.resume()" in (job.error or "")
    parts = list((tmp_path / "media").glob("*.part"))
    assert parts and all(p.stat().st_size <= 50_000 for p in parts)
    assert flow.ledger.get(job.submission_id or "").state == "running"  # type: ignore[union-attr]

    saver.open_part = None  # space was freed
    resumed = flow.resume()
    assert job in resumed
    job.wait(60)
    assert job.status == "completed"
    for media in job.media:
        assert media.path is not None
        assert_valid_media(media.path, "video")
    assert control.count("POST /videos") == 1
    assert control.jobs_by_key() == {job.submission_id: 1}


def test_an_account_out_of_credits_is_left_and_the_others_take_the_work(
    flow: FlowSession, control: SimControl
) -> None:
    flow.refresh_accounts()
    control.http.post("/_sim/accounts/pro.demo@gmail.com", json={"credits": 0}).raise_for_status()
    try:
        # one price on both plans, so both accounts are eligible and tried
        jobs = [flow.video(f"spent account {i}", model="veo-3.1-quality") for i in range(6)]
        for job in jobs:
            job.wait(60)
            assert job.status == "completed", job.error
            assert job.account == "ultra.demo@gmail.com"
        refused = [r for r in control.requests("POST /videos") if r["status"] == 402]
        assert 1 <= len(refused) <= 4  # only what was in flight on the spent account's slots
        assert sorted(control.jobs_by_key().values()) == [1] * 6
        flow.refresh_accounts()  # the balance is known now: nothing more is even tried there
        extra = flow.video("after the balance is known", model="veo-3.1-quality").wait(60)
        assert extra.account == "ultra.demo@gmail.com"
        assert len([r for r in control.requests("POST /videos") if r["status"] == 402]) == len(
            refused
        )
    finally:
        control.http.post("/_sim/accounts/pro.demo@gmail.com", json={"credits": 1000})
