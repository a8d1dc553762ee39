"""Any exception on the engine ends the handle terminal or re-attachable, with a message.

Faults made real where the machine allows: a data or media folder that cannot exist (its
parent is a regular file -- the tests run as root here, so permission bits alone would not
refuse anything), and a ledger that is full (sqlite's own ``max_page_count`` limit, which fails
writes with "database or disk is full" exactly as a full disk does).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from flow_widgets.errors import ConfigError
from tests.reliability.harness import VIDEO_ROUTE, SimControl

MODEL = "veo-3.1-lite"


def test_an_unusable_data_folder_at_session_start_is_one_sentence(
    sim: Any, make_session: Any, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(ConfigError) as raised:
        make_session(sim, data_dir=blocker / "home")
    text = str(raised.value)
    assert "FLOW_WIDGETS_HOME" in text and "Errno" not in text and text.count(". ") == 0


def test_an_unusable_media_folder_ends_download_failed_not_downloading(
    sim: Any,
    control: SimControl,
    cheap_media: Any,
    make_session: Any,
    tmp_path: Path,
    figures: Any,
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    flow = make_session(sim, media_dir=blocker / "media")
    job = flow.video("a fox with nowhere to go", model=MODEL)
    job.wait(30, raise_on_failure=False)
    posts = len(control.ledger().posts(VIDEO_ROUTE))
    row = flow.ledger.get(job.submission_id)
    figures.record(
        "media folder unusable",
        "the media folder's parent is a file: the clip is bought, saving fails",
        posts=posts,
        stuck=int(not job.done),
        status=job.status,
    )
    assert job.status == "download_failed", (job.status, job.error)
    assert "flow.resume()" in (job.error or "") and "Traceback" not in (job.error or "")
    assert row is not None and row.state == "running"  # paid, re-attachable: resume finishes it
    assert posts == 1


def test_a_full_ledger_refuses_before_sending_instead_of_leaving_the_job_queued(
    sim: Any, control: SimControl, make_session: Any, figures: Any
) -> None:
    flow = make_session(sim)
    conn = flow.ledger._connection()
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")  # the ledger's disk is full from here on
    job = flow.video("a fox the ledger cannot hold " + "x" * 4000, model=MODEL)
    job.wait(30, raise_on_failure=False)
    posts = len(control.ledger().posts(VIDEO_ROUTE))
    figures.record(
        "ledger disk full",
        "every ledger write fails with 'database or disk is full'",
        posts=posts,
        stuck=int(not job.done),
        status=job.status,
    )
    assert job.status == "rejected", (job.status, job.error)
    assert "could not record" in (job.error or "") and "run the cell again" in (job.error or "")
    assert posts == 0


def test_closing_a_session_with_queued_submissions_records_no_refusals(
    make_sim: Any, make_session: Any, figures: Any
) -> None:
    import time

    sim = make_sim(free_captcha_credits=100_000)
    control = SimControl(sim)
    # Each POST takes 0.5 s to be handled: at the close, most clips still wait for a slot, even
    # on a busy machine where submitting the 60 clips takes seconds.
    control.arm({"route": VIDEO_ROUTE, "action": "delay", "seconds": 0.5})
    flow = make_session(sim)
    handles = [flow.video(f"queued at close {n}", model=MODEL) for n in range(60)]
    time.sleep(0.3)  # some are sent, most still wait for a slot
    flow.close()
    time.sleep(0.5)  # a queued task whose turn comes now must not send or record anything
    rows = flow.ledger.list(limit=None)
    posts = len(control.ledger().posts(VIDEO_ROUTE))
    control.close()
    figures.record(
        "close() with queued work",
        "60 clips submitted (each POST 0.5 s), the session closed 0.3 s later",
        posts=posts,
        rows=len(rows),
        rejected_rows=sum(1 for row in rows if row.state == "rejected"),
        queued=sum(1 for h in handles if h.status == "queued"),
    )
    assert [row.error for row in rows if row.state == "rejected"] == []
    assert len(rows) < len(handles), "the scenario must really close with work still queued"
