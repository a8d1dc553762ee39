"""A process killed with SIGKILL mid-job: the next one resumes, buys nothing, downloads once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from session_support import SimControl, assert_valid_media, open_session

from flow_widgets.simulator.server import RunningSimulator

pytestmark = [pytest.mark.timeout(120), pytest.mark.skipif(os.name != "posix", reason="SIGKILL")]

CHILD = textwrap.dedent(
    """
    import sys, time
    from flow_widgets.runtime.session import FlowSession
    from flow_widgets.runtime.settings import Settings

    flow = FlowSession(Settings.resolve(), time_scale=float(sys.argv[1]))
    job = flow.video(sys.argv[2], model="veo-3.1-quality")
    while job.status not in (sys.argv[3], "completed", "failed", "rejected"):
        time.sleep(0.005)
    print(job.status, job.submission_id, flush=True)
    time.sleep(120)
    """
)


SIMULATOR = {"seed": 31, "time_scale": 0.02}


def start_child(
    sim: RunningSimulator, home: Path, prompt: str, stop_at: str
) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "USEAPI_TOKEN": sim.token,
        "FLOW_API_BASE": sim.base_url,
        "FLOW_WIDGETS_HOME": str(home / "data"),
        "FLOW_MEDIA_DIR": str(home / "media"),
    }
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, "0.02", prompt, stop_at],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def kill(child: subprocess.Popen[str]) -> None:
    os.kill(child.pid, signal.SIGKILL)
    child.communicate(timeout=10)  # reaps it and closes its pipes
    assert child.returncode == -signal.SIGKILL


def resume_and_check(sim: RunningSimulator, home: Path, control: SimControl, sid: str) -> None:
    flow = open_session(sim, home)  # resumes on start
    try:
        jobs = {job.submission_id: job for job in flow.jobs()}
        assert sid in jobs, "the killed process's job was not re-attached"
        job = jobs[sid].wait(60)
        assert job.status == "completed"
        assert job.media[0].path is not None
        assert_valid_media(job.media[0].path, "video")
        states = [state for state, _ in flow.ledger.history(sid)]
        assert states[-1] == "completed"
    finally:
        flow.close()
    assert control.count("POST /videos") == 1  # the child's only purchase; nothing new
    assert control.jobs_by_key() == {sid: 1}
    media = [r for r in control.ledger()["requests"] if r["origin"] == "media"]
    assert [r["status"] for r in media] == [200]  # one download


def test_killed_after_acceptance_resumes_with_no_new_post_and_one_download(
    sim: RunningSimulator, tmp_path: Path, control: SimControl
) -> None:
    child = start_child(sim, tmp_path, "killed after acceptance", "accepted")
    try:
        assert child.stdout is not None
        status, sid = child.stdout.readline().split()
        assert status == "accepted"
    finally:
        kill(child)
    resume_and_check(sim, tmp_path, control, sid)


def test_killed_between_send_and_reply_is_reconciled_not_resent(
    sim: RunningSimulator, tmp_path: Path, control: SimControl
) -> None:
    control.fault(route="POST /videos", action="delay_reply", seconds=30, times=1)
    child = start_child(sim, tmp_path, "killed while the reply is on its way", "submitting")
    try:
        assert child.stdout is not None
        status, sid = child.stdout.readline().split()
        assert status == "submitting"
        deadline = time.monotonic() + 20
        while not control.ledger()["jobs"] and time.monotonic() < deadline:
            time.sleep(0.02)  # the server accepted the job; its reply is held back
        assert control.ledger()["jobs"], "the simulator never accepted the job"
    finally:
        kill(child)
    resume_and_check(sim, tmp_path, control, sid)
