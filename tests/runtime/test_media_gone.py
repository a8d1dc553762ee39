"""A finished job whose media is gone before it was saved ends, shown, and is never bought again.

Over real HTTP against the simulator: the job completes, its media URL answers 404 and so does
``GET /assets/{mediaGenerationId}`` (the media itself is gone). The card must say so in one
sentence, and the ledger row must end there — not stay ``running`` for every later session to
re-attach — while an identical request, in this session or a new one on the same ledger, buys
nothing (the credits were spent on this job).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from session_support import SimControl, open_session

from flow_widgets.runtime.fresh_urls import media_gone_text
from flow_widgets.runtime.ledger import UNFINISHED_STATES
from flow_widgets.runtime.session import FlowSession

pytestmark = pytest.mark.timeout(120)

SIMULATOR = {"seed": 37}

ASSETS = "GET /assets/{mediaGenerationId}"
PROMPT = "a kite over dunes, gone before it was saved"
MODEL = "veo-3.1-lite"


def test_media_gone_on_download_ends_the_row_and_a_rerun_buys_nothing(
    flow: FlowSession, control: SimControl, tmp_path: Path
) -> None:
    # The media stays gone for every try of this test (cleared afterwards by the fixture).
    control.fault(route="media", action="status", status=404, times=20)
    control.fault(route=ASSETS, action="status", status=404, times=20)
    job = flow.video(PROMPT, model=MODEL).wait(60, raise_on_failure=False)
    assert job.status == "download_failed"
    assert job.error == media_gone_text(0)
    row = flow.ledger.get(job.submission_id or "")
    assert row is not None and row.state not in UNFINISHED_STATES, row.state
    assert row.error == media_gone_text(0)
    assert job.submission_id not in {s.submission_id for s in flow.ledger.unfinished()}

    again = flow.video(PROMPT, model=MODEL).wait(60, raise_on_failure=False)
    assert again.submission_id == job.submission_id and again.status == "download_failed"
    flow.close()

    # A new session on the same ledger re-attaches nothing by itself, and a re-run buys nothing.
    jobs_read = control.count("GET /jobs/{jobid}")
    later = open_session(control.sim, tmp_path)
    try:
        assert later.resume() == []
        assert control.count("GET /jobs/{jobid}") == jobs_read
        rerun = later.video(PROMPT, model=MODEL).wait(60, raise_on_failure=False)
    finally:
        later.close()
    assert rerun.submission_id == job.submission_id
    assert rerun.status == "download_failed" and rerun.error == media_gone_text(0)
    assert control.count("POST /videos") == 1
