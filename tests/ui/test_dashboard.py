"""The jobs dashboard follows the session and the ledger live, filters, picks, cancels, resumes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from flow_widgets.runtime.session import FlowSession
from flow_widgets.simulator.server import RunningSimulator
from flow_widgets.ui.dashboard import Jobs
from tests.ui import panel_support as support
from tests.ui.panel_support import PRO, Recorder, eventually


@pytest.fixture
def jobs(flow: FlowSession, board: Recorder) -> Iterator[Jobs]:
    panel = Jobs(flow, board_options={"publisher": board})
    for board in panel.boards:
        board.show()
    try:
        yield panel
    finally:
        panel.close()


def _table(panel: Jobs, board: Recorder) -> str:
    sent = [data for did, _, data in board.sent if did == panel.table.display_id]
    return sent[-1]["text/html"]


def test_jobs_started_elsewhere_appear_and_update_without_another_cell(
    flow: FlowSession, jobs: Jobs, board: Recorder
) -> None:
    assert "No jobs match" in _table(jobs, board)
    video = flow.video("a <b>bold</b> fox", model="veo-3.1-fast", email=PRO, new=True)
    image = flow.image("a paper boat", new=True)
    eventually(lambda: len(jobs.rows) == 2, 10, "both jobs in the dashboard")
    video.wait(60)
    image.wait(60)
    eventually(lambda: _table(jobs, board).count(">completed</span>") == 2, 10, "both completed")
    table = _table(jobs, board)
    assert "&lt;b&gt;bold&lt;/b&gt;" in table and "<b>bold</b>" not in table
    assert "pr***@gmail.com" in table and PRO not in table
    assert "<video" in table and "<img" in table  # thumbnails
    assert "veo-3.1-fast" in [m for _, m in jobs.model_filter.options]


def test_filters_narrow_the_table_and_the_picker(
    flow: FlowSession, jobs: Jobs, board: Recorder
) -> None:
    flow.image("a lighthouse", new=True).wait(60)
    flow.video("storm", model="veo-3.1-quality", email=PRO, new=True).wait(60)
    eventually(lambda: len(jobs.rows) == 2, 10, "two rows")
    jobs.model_filter.value = "veo-3.1-quality"
    assert [r.model for r in jobs.visible_rows()] == ["veo-3.1-quality"]
    assert len(jobs.picker.options) == 2  # the hint and one job
    assert "lighthouse" not in _table(jobs, board)
    jobs.model_filter.value = ""
    jobs.status_filter.value = "failed"
    assert jobs.visible_rows() == []
    assert "No jobs match" in _table(jobs, board)


def test_picking_a_job_shows_its_card_and_cancel_stops_watching(
    flow: FlowSession, jobs: Jobs, board: Recorder
) -> None:
    slow = flow.video("a very long take", model="veo-3.1-quality", email=PRO, new=True)
    eventually(lambda: len(jobs.rows) == 1, 10, "the job row")
    jobs.picker.value = jobs.rows[0].key
    card = [d for did, _, d in board.sent if did == jobs.card.display_id][-1]
    assert "a very long take" in card["text/html"] and "fw-card" in card["text/html"]
    assert not slow.done  # a Quality clip takes about 2 s on this simulator
    assert not jobs.cancel_button.disabled
    jobs.cancel_button.click()
    assert slow.status == "cancelled"
    assert jobs.status.tone == "warning" and "still runs on the server" in jobs.status.text
    assert jobs.cancel_button.disabled


def test_ledger_rows_of_earlier_sessions_are_listed_and_resume_reattaches(
    sim: RunningSimulator, tmp_path: Path, board: Recorder
) -> None:
    first = support.open_session(sim, tmp_path)
    try:
        first.video("from yesterday", model="veo-3.1-fast", email=PRO, new=True).wait(60)
    finally:
        first.close()
    later = support.open_session(sim, tmp_path)  # same ledger and media folder, new session
    panel = Jobs(later, board_options={"publisher": board})
    try:
        panel.table.show()
        [row] = panel.rows
        assert not row.live and row.phase == "completed" and row.thumbnail is not None
        panel.picker.value = row.key
        view_html = panel._card_bundle()[0]["text/html"]
        assert "from the ledger" in view_html and "<video" in view_html
        panel.resume_button.click()
        eventually(lambda: panel.status.tone == "ok", 30, "resume to finish")
        assert "Re-attached 0 unfinished jobs" in panel.status.text
    finally:
        panel.close()
        later.close()


def test_fallback_is_the_table_as_plain_html(flow: FlowSession, jobs: Jobs) -> None:
    flow.image("a kite", new=True).wait(60)
    jobs.reload()
    data, _ = jobs._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in data
    assert "a kite" in data["text/html"] and "a kite" in data["text/plain"]
