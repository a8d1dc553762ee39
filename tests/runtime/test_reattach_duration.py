"""A re-attached card shows how long the job itself took, not the time since it was submitted.

The scene over real HTTP: a clip made in one session; a while later another session on the same
ledger runs the same cell and re-attaches to it. Its card must say "done in" the job's own
duration, as the first session's card did, not the gap between the sessions.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from session_support import open_session

from flow_widgets.runtime.job_runner import recorded_finish
from flow_widgets.runtime.ledger import Submission
from flow_widgets.simulator.server import RunningSimulator
from flow_widgets.ui.view import card_view_from_job

pytestmark = pytest.mark.timeout(120)

SIMULATOR = {"seed": 37}

GAP_S = 3.0  # wall seconds between the sessions, at least; always several times the clip's run


def test_a_reattached_card_shows_the_jobs_own_duration(
    sim: RunningSimulator, tmp_path: Path
) -> None:
    earlier = open_session(sim, tmp_path)
    try:
        first = earlier.video("a kite over the dunes", model="veo-3.1-lite").wait(60)
        own = card_view_from_job(first).elapsed_s
    finally:
        earlier.close()
    time.sleep(max(GAP_S, 3 * own))  # on a busy machine the clip itself may run longer
    later = open_session(sim, tmp_path)
    try:
        again = later.video("a kite over the dunes", model="veo-3.1-lite").wait(60)
        time.sleep(0.2)  # a finished card must not keep counting
        shown = card_view_from_job(again).elapsed_s
    finally:
        later.close()
    assert again.submission_id == first.submission_id and again.status == "completed"
    assert abs(shown - own) < 0.5, (shown, own)


def _submission(created: float, job: dict[str, Any] | None) -> Submission:
    return Submission(
        submission_id="s1",
        kind="video",
        endpoint="videos",
        payload={},
        fingerprint="f",
        model="veo-3.1-lite",
        estimate=10,
        account=None,
        state="completed",
        jobid="j1",
        job=job,
        error=None,
        charged=True,
        credits=10,
        created=created,
        updated=created,
    )


def _job(created: str, updated: str) -> dict[str, Any]:
    return {"jobid": "j1", "status": "completed", "created": created, "updated": updated}


def test_the_end_is_the_ledgers_unless_a_later_session_closed_the_row() -> None:
    t0 = 1_800_000_000.0
    ran_90_s = _job("2027-01-15T10:00:00Z", "2027-01-15T10:01:30Z")
    # closed by a later session an hour on: the server's run time wins
    late_close = [("submitting", t0), ("accepted", t0 + 1), ("completed", t0 + 3600)]
    assert recorded_finish(_submission(t0, ran_90_s), late_close) == t0 + 90
    # a server stamp a day off: the ledger's first finish wins
    skewed = _job("2027-01-14T10:00:00Z", "2027-01-15T10:01:30Z")
    on_time = [("submitting", t0), ("completed", t0 + 95), ("completed", t0 + 5000)]
    assert recorded_finish(_submission(t0, skewed), on_time) == t0 + 95
    # closed on time, a little after the server's end (polling, saving): the ledger's, as shown live
    on_time = [("submitting", t0), ("completed", t0 + 150)]
    assert recorded_finish(_submission(t0, ran_90_s), on_time) == t0 + 150
    # no server stamps: the ledger's
    assert recorded_finish(_submission(t0, None), late_close) == t0 + 3600
    # neither witness: unknown (the card then measures to now)
    assert recorded_finish(_submission(t0, None), [("submitting", t0)]) is None
