"""The jobs dashboard follows the session and the ledger live, filters, and gives each row its
own actions: show its card, stop watching, resume (which re-attaches and never buys: POSTs are
counted at the simulator)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from flow_widgets.runtime.jobs import JobHandle
from flow_widgets.runtime.session import FlowSession
from flow_widgets.simulator.faults import Fault
from flow_widgets.simulator.server import RunningSimulator
from flow_widgets.ui.dashboard import Jobs
from tests.ui import panel_support as support
from tests.ui.panel_support import PRO, Recorder, eventually


@pytest.fixture
def jobs(flow: FlowSession, board: Recorder) -> Iterator[Jobs]:
    panel = Jobs(flow, board_options={"publisher": board})
    for shown in panel.boards:
        shown.show()
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


def test_filters_narrow_the_table_and_the_rows(
    flow: FlowSession, jobs: Jobs, board: Recorder
) -> None:
    flow.image("a lighthouse", new=True).wait(60)
    flow.video("storm", model="veo-3.1-quality", email=PRO, new=True).wait(60)
    eventually(lambda: len(jobs.rows) == 2, 10, "two rows")
    jobs.model_filter.value = "veo-3.1-quality"
    assert [r.model for r in jobs.visible_rows()] == ["veo-3.1-quality"]
    assert len(jobs.row_actions.widget.children) == 1  # one row of actions, for the one job
    assert "lighthouse" not in _table(jobs, board)
    jobs.model_filter.value = ""
    jobs.status_filter.value = "failed"
    assert jobs.visible_rows() == []
    assert "No jobs match" in _table(jobs, board)


def test_a_rows_show_button_shows_its_card_and_its_stop_button_stops_watching(
    flow: FlowSession, jobs: Jobs, board: Recorder
) -> None:
    slow = flow.video("a very long take", model="veo-3.1-quality", email=PRO, new=True)
    eventually(
        lambda: (
            len(jobs.rows) == 1
            and jobs.row_actions.button(jobs.rows[0].key, "stop watching") is not None
        ),
        10,
        "the job row and its buttons",
    )
    key = jobs.rows[0].key
    show = jobs.row_actions.button(key, "show")
    assert show is not None and "fw-aria-show_a_very_long_take" in show._dom_classes
    show.click()
    card = [d for did, _, d in board.sent if did == jobs.card.display_id][-1]
    assert "a very long take" in card["text/html"] and "fw-card" in card["text/html"]
    assert not slow.done  # a Quality clip takes about 2 s on this simulator
    stop = jobs.row_actions.button(key, "stop watching")
    assert stop is not None and "fw-aria-stop_watching_a_very_long_take" in stop._dom_classes
    assert jobs.row_actions.button(key, "resume") is None  # watched here: nothing to resume
    stop.click()
    assert slow.status == "cancelled"
    assert jobs.status.tone == "warning" and "still runs on the server" in jobs.status.text
    assert jobs.row_actions.button(key, "stop watching") is None  # nothing left to stop


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
        assert jobs_buttons(panel, row.key) == ["show"]  # ended: nothing to stop or resume
        panel.pick(row.key)
        view_html = panel._card_bundle()[0]["text/html"]
        assert "from the ledger" in view_html and "<video" in view_html
        panel.resume_button.click()
        eventually(lambda: panel.status.tone == "ok", 30, "resume to finish")
        assert "Re-attached 0 unfinished jobs" in panel.status.text
    finally:
        panel.close()
        later.close()


def jobs_buttons(panel: Jobs, key: str) -> list[str]:
    return [a for a in ("show", "stop watching", "resume") if panel.row_actions.button(key, a)]


def test_fallback_is_the_table_as_plain_html(flow: FlowSession, jobs: Jobs) -> None:
    flow.image("a kite", new=True).wait(60)
    jobs.reload()
    data, _ = jobs._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in data
    assert "a kite" in data["text/html"] and "a kite" in data["text/plain"]


def test_a_rows_resume_pressed_twice_reattaches_once_and_buys_nothing(
    sim: RunningSimulator, tmp_path: Path, board: Recorder
) -> None:
    first = support.open_session(sim, tmp_path)
    try:  # a job left running by a session that ended (a restart)
        job = first.video("left running", model="veo-3.1-quality", email=PRO, new=True)
        eventually(lambda: job.jobid is not None, 30, "the job accepted")
    finally:
        first.close()
    sim.app_state.faults.clear()  # the simulator is the module's: one counter at a time
    posts = sim.app_state.faults.add(Fault(route="POST /videos", action="delay", seconds=0.0))
    later = support.open_session(sim, tmp_path)
    attached: list[JobHandle] = []  # every handle a resume took up (the real resume, recorded)
    calls: list[str | None] = []
    real_resume = later.resume

    def recorded(timeout: float | None = 60.0, *, only: str | None = None) -> list[JobHandle]:
        calls.append(only)
        time.sleep(0.3)  # a slow answer: the second press of a double click lands meanwhile
        handles = real_resume(timeout, only=only)
        attached.extend(handles)
        return handles

    later.resume = recorded  # type: ignore[method-assign]
    panel = Jobs(later, board_options={"publisher": board})
    try:
        [row] = panel.rows
        assert not row.live and jobs_buttons(panel, row.key) == ["show", "resume"]
        resume = panel.row_actions.button(row.key, "resume")
        assert resume is not None and "fw-aria-resume_left_running" in resume._dom_classes
        resume.click()
        resume.click()  # a double click
        eventually(lambda: panel.rows[0].live, 30, "the job followed here")
        assert calls == [row.key]  # the second press of the double click asked nothing
        panel._act("resume", row.key)  # a press on a row drawn before the first one settled
        eventually(lambda: bool(later.jobs()) and later.jobs()[0].done, 60, "the job to finish")
        assert _fired(sim, posts) == 0  # resume re-attached: nothing was bought
        assert [h.status for h in later.jobs()] == ["completed"]
        assert len(attached) == 1  # three presses, one re-attach
        ended = lambda: jobs_buttons(panel, panel.rows[0].key) == ["show"]  # noqa: E731
        eventually(ended, 10, "the ended job's row offering only show")
    finally:
        panel.close()
        later.close()


def _fired(sim: RunningSimulator, fault: Fault) -> int:
    entry = next(e for e in sim.app_state.faults.listing() if e["id"] == fault.id)
    return int(entry["fired"])


def test_a_rows_resume_reattaches_that_job_only(
    sim: RunningSimulator, tmp_path: Path, board: Recorder
) -> None:
    first = support.open_session(sim, tmp_path)
    try:  # two jobs left running by a session that ended
        left = [
            first.video(prompt, model="veo-3.1-quality", email=PRO, new=True)
            for prompt in ("the first left", "the second left")
        ]
        eventually(lambda: all(j.jobid for j in left), 30, "both jobs accepted")
    finally:
        first.close()
    later = support.open_session(sim, tmp_path)
    panel = Jobs(later, board_options={"publisher": board})
    try:
        rows = {row.prompt: row.key for row in panel.rows}
        button = panel.row_actions.button(rows["the first left"], "resume")
        assert button is not None
        button.click()
        eventually(lambda: "Re-attached the job" in panel.status.text, 30, "the resume")
        assert [h.prompt for h in later.jobs()] == ["the first left"]
        eventually(
            lambda: jobs_buttons(panel, rows["the second left"]) == ["show", "resume"],
            10,
            "the other row still offering resume",
        )
    finally:
        panel.close()
        later.close()
