"""The session's public surface beyond generating: a handle for a known job id, the voice and
character listings, the request a handle carries, and closing while the first read is in flight.
"""

from __future__ import annotations

import gc
import time
from pathlib import Path

import pytest
from session_support import SimControl, open_session

from flow_widgets.errors import ValidationError
from flow_widgets.runtime.session import FlowSession
from flow_widgets.simulator.server import RunningSimulator

pytestmark = pytest.mark.timeout(120)

MODEL = "veo-3.1-lite"


def an_account(flow: FlowSession) -> str:
    flow.refresh_accounts()
    return flow.credits.accounts[0].email


def test_job_finds_a_handle_in_the_session_and_in_a_later_sessions_ledger(
    sim: RunningSimulator, tmp_path: Path
) -> None:
    first = open_session(sim, tmp_path, auto_resume=False)
    try:
        bought = first.video("a heron in the reeds", model=MODEL).wait(60)
        assert first.job(str(bought.jobid)) is bought
        assert first.job(str(bought.submission_id)) is bought
    finally:
        first.close()
    later = open_session(sim, tmp_path, auto_resume=False)
    try:
        again = later.job(f"  {bought.jobid} ")
        again.wait(60)
        assert again is not bought and again.jobid == bought.jobid
        assert again.status == "completed"
        assert [m.path for m in again.media] == [m.path for m in bought.media]
        assert again.request["prompt"] == "a heron in the reeds"
        assert later.job(str(bought.jobid)) is again  # now driven by this session
    finally:
        later.close()


def test_job_refuses_an_unknown_id_naming_the_field(flow: FlowSession) -> None:
    with pytest.raises(ValidationError) as caught:
        flow.job("j0000000000000v-u1-email:nobody@example.com-bot:google-flow")
    assert caught.value.field == "jobid"
    assert "\n" not in str(caught.value) and "flow.jobs()" in str(caught.value)


def test_a_handle_carries_its_validated_request_and_never_the_token(
    flow: FlowSession, sim: RunningSimulator
) -> None:
    handle = flow.video("a kite over dunes", model=MODEL, duration=8)
    assert handle.request["prompt"] == "a kite over dunes"
    assert handle.request["model"] == MODEL
    assert sim.token not in repr(dict(handle.request))
    handle.wait(60)


def test_voices_and_characters_are_listed_for_an_account(flow: FlowSession) -> None:
    email = an_account(flow)
    voices = flow.voices(email)
    system = [v for v in voices if v.source == "system"]
    assert len(system) == 30
    assert {v.source for v in flow.voices(email, source="system")} == {"system"}
    assert isinstance(flow.characters(email), list)


def test_listings_without_an_account_say_which_field_is_missing(
    sim: RunningSimulator, tmp_path: Path
) -> None:
    flow = open_session(sim, tmp_path, auto_resume=False)
    try:
        assert flow.settings.email is None
        with pytest.raises(ValidationError) as caught:
            flow.voices()
        assert caught.value.field == "email" and "USEAPI_EMAIL" in str(caught.value)
    finally:
        flow.close()


def test_closing_during_the_first_account_read_leaks_no_socket(
    sim: RunningSimulator, control: SimControl, tmp_path: Path
) -> None:
    """The read started by the constructor is cancelled *and awaited*; a socket left open would
    surface as a ResourceWarning, which this suite turns into a failure."""
    control.fault(route="GET /accounts", action="delay_reply", seconds=5, times=3)
    for n in range(3):
        flow = open_session(sim, tmp_path / str(n), auto_resume=False)
        deadline = time.monotonic() + 5
        while not control.requests("GET /accounts") and time.monotonic() < deadline:
            time.sleep(0.01)
        flow.close()
        assert flow.credits.accounts == ()  # closed while the read was still on the wire
    gc.collect()
