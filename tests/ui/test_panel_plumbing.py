"""What every panel stands on: throttled boards, error-catching handlers, rows and static HTML."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from flow_widgets.errors import BudgetExceededError
from flow_widgets.runtime.credit_snapshot import AccountCredits, CreditSnapshot
from flow_widgets.ui._board import Board
from flow_widgets.ui._handlers import StatusLine, guarded
from flow_widgets.ui._throttle import Throttle
from flow_widgets.ui.job_rows import filter_rows, merge_rows, row_from_submission
from flow_widgets.ui.panel_html import (
    Take,
    compare_html,
    credits_html,
    credits_text,
    export_page,
    jobs_html,
    jobs_text,
    takes_html,
)
from flow_widgets.ui.view import MediaView

HOSTILE = '<script>alert("x")</script>'


class ManualTime:
    """A clock and a scheduler the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0
        self.pending: list[tuple[float, Callable[[], None]]] = []

    def clock(self) -> float:
        return self.now

    def schedule(self, delay: float, callback: Callable[[], None]) -> None:
        self.pending.append((self.now + delay, callback))

    def advance(self, seconds: float) -> None:
        self.now += seconds
        due = [cb for at, cb in self.pending if at <= self.now]
        self.pending = [(at, cb) for at, cb in self.pending if at > self.now]
        for callback in due:
            callback()


# -- throttle and board --------------------------------------------------------------------------


def test_throttle_runs_at_once_then_folds_a_burst_into_one_trailing_run() -> None:
    t = ManualTime()
    runs: list[float] = []
    throttle = Throttle(
        lambda: runs.append(t.now), min_interval=0.5, scheduler=t.schedule, clock=t.clock
    )
    for _ in range(50):
        throttle()
    assert runs == [100.0]
    assert len(t.pending) == 1
    t.advance(0.5)
    assert runs == [100.0, 100.5]
    t.advance(5)
    assert len(runs) == 2  # nothing more was asked for


def test_throttle_swallows_and_logs_a_failing_callback(caplog: pytest.LogCaptureFixture) -> None:
    def broken() -> None:
        raise RuntimeError("boom")

    with caplog.at_level(logging.ERROR, logger="flow_widgets.ui"):
        Throttle(broken)()
    assert "repaint failed" in caplog.text


def test_board_shows_once_then_updates_in_place_at_most_twice_a_second() -> None:
    t = ManualTime()
    sent: list[tuple[str, bool, str]] = []
    counter = {"n": 0}

    def render() -> tuple[dict[str, str], dict[str, Any]]:
        return {"text/plain": str(counter["n"]), "text/html": f"<b>{counter['n']}</b>"}, {}

    board = Board(
        render,
        name="demo",
        publisher=lambda data, md, did, update: sent.append((did, update, data["text/plain"])),
        scheduler=t.schedule,
        clock=t.clock,
    )
    board.refresh()
    assert sent == []  # nothing is sent before the output exists
    board.show()
    for n in range(1, 20):
        counter["n"] = n
        board.refresh()
        t.advance(0.05)
    t.advance(1)
    ids = {did for did, _, _ in sent}
    assert ids == {board.display_id}
    assert sent[0][1] is False
    assert sent[-1][2] == "19"  # the last change is never lost
    assert len(sent) <= 1 + 2 + 2  # show + at most ~2 per second over ~1.95 s
    before = len(sent)
    board.refresh_now()
    assert len(sent) == before  # unchanged content is not re-sent


# -- handlers ------------------------------------------------------------------------------------


def test_guarded_shows_flow_errors_as_they_are_and_others_as_one_sentence(
    caplog: pytest.LogCaptureFixture,
) -> None:
    status = StatusLine(scrub=lambda text: text.replace("user:1-secret", "***"))

    @guarded(status, "Generate")
    def over_budget() -> None:
        raise BudgetExceededError("costs 100 but 30 remain; raise it.", cost=100, remaining=30)

    @guarded(status, "Refresh")
    def crash() -> None:
        raise KeyError("user:1-secret <b>")

    assert over_budget() is None
    assert status.tone == "error"
    assert status.text == "Generate failed: costs 100 but 30 remain; raise it."
    with caplog.at_level(logging.ERROR, logger="flow_widgets.ui"):
        crash()
    assert "Refresh failed: KeyError" in status.text
    assert "user:1-secret" not in status.value
    assert "&lt;b&gt;" in status.value  # escaped
    assert "Refresh failed" in caplog.text


# -- rows ----------------------------------------------------------------------------------------


def _submission(sid: str, state: str, created: float, **extra: Any) -> SimpleNamespace:
    base: dict[str, Any] = {
        "submission_id": sid,
        "kind": "video",
        "payload": {"prompt": f"prompt {sid}"},
        "model": "veo-3.1-fast",
        "estimate": 20,
        "account": "ann@example.com",
        "state": state,
        "jobid": None,
        "error": None,
        "charged": None,
        "credits": None,
        "created": created,
    }
    base.update(extra)
    return SimpleNamespace(**base)


def test_ledger_rows_become_masked_rows_with_a_thumbnail(tmp_path: Path) -> None:
    clip = tmp_path / "flow_media" / "video-a-fox-0.mp4"
    clip.parent.mkdir()
    clip.write_bytes(b"\0" * 10)
    record = SimpleNamespace(index=0, path=clip, size=10, media_id="m")
    row = row_from_submission(_submission("s1", "completed", 5.0), [record], base=tmp_path)
    assert row.account == "an***@example.com"
    assert row.phase == "completed" and row.credits == 20
    assert row.thumbnail is not None and row.thumbnail.src == "flow_media/video-a-fox-0.mp4"


def test_merge_prefers_live_handles_sorts_newest_first_and_filters() -> None:
    live = SimpleNamespace(
        kind="image", status="running", prompt="live one", model="nano-banana-2", jobid=None,
        submission_id="s2", account=None, credits=0, charged=None, created=50.0, media=[],
        error=None, expected_seconds=10,
    )  # fmt: skip
    subs = [
        _submission("s1", "failed", 10.0, charged=False),
        _submission("s2", "accepted", 50.0),
        _submission("s3", "completed", 30.0, model="omni-flash"),
    ]
    rows = merge_rows([live], subs)
    assert [r.key for r in rows] == ["s2", "s3", "s1"]
    assert rows[0].live and rows[0].kind == "image"
    assert [r.key for r in filter_rows(rows, phase="failed")] == ["s1"]
    assert [r.key for r in filter_rows(rows, model="omni-flash")] == ["s3"]


# -- static HTML ---------------------------------------------------------------------------------


def test_jobs_table_escapes_prompts_and_errors_and_truncates() -> None:
    rows = merge_rows(
        [],
        [
            _submission("s1", "failed", time.time() - 120, payload={"prompt": HOSTILE * 20},
                        error=HOSTILE, charged=False),
        ],
    )  # fmt: skip
    page = jobs_html(rows)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "0 (not charged)" in page and "2 min" in page
    text = jobs_text(rows)
    assert "failed" in text and "…" in text
    assert jobs_html([]).find("No jobs match") >= 0


def _snapshot(**overrides: Any) -> CreditSnapshot:
    values: dict[str, Any] = {
        "version": 3,
        "accounts": (AccountCredits("ann@example.com", "OK", "pro", 180),),
        "budget": 100,
        "spent": 80,
        "charged": 60,
        "pending": 20,
        "remaining_budget": 20,
        "spent_by_model": {"veo-3.1-fast": 80},
        "spent_by_account": {"ann@example.com": 80},
        "captcha_credits": 7,
        "total_credits": 180,
        "updated": 0.0,
    }
    values.update(overrides)
    return CreditSnapshot(**values)


def test_credits_summary_shows_masked_accounts_spend_and_the_budget_bar() -> None:
    page = credits_html(_snapshot(), warnings=[f"low {HOSTILE}"])
    assert "an***@example.com" in page and "ann@example.com" not in page
    assert "Pro" in page and "180" in page and "captcha credits: 7" in page
    assert 'class="fw-budget-bar"' in page and "width:80%" in page
    assert "&lt;script&gt;" in page and "<script>" not in page
    text = credits_text(_snapshot(budget=None, remaining_budget=None))
    assert "no budget" in text and "spent on veo-3.1-fast: 80" in text


def _take(key: str, kind: str = "image", **extra: Any) -> Take:
    media = MediaView(kind=kind, src=f"flow_media/{key}.png", file_name=f"{key}.png")
    return Take(key=key, media=media, **extra)


def test_takes_grid_captions_and_stars() -> None:
    page = takes_html([_take("a", model="nano-banana-pro", seed=3, prompt=HOSTILE, starred=True)])
    assert "★ nano-banana-pro · seed 3" in page and "2px solid #e0a800" in page
    assert "<script>" not in page


def test_compare_is_an_offline_slider_for_images_and_side_by_side_for_videos() -> None:
    page = compare_html(_take("a"), _take("b"), position=30)
    assert "resize:horizontal" in page and "width:30%" in page
    assert "<script" not in page and "http" not in page
    videos = compare_html(_take("a", kind="video"), _take("b", kind="video"))
    assert videos.count("<video") == 2 and "resize" not in videos


def test_export_page_is_a_complete_document_with_relative_links_only() -> None:
    page = export_page(f"Best {HOSTILE}", [_take("a", prompt="a fox"), _take("b")])
    assert page.startswith("<!doctype html>") and page.rstrip().endswith("</html>")
    assert 'src="flow_media/a.png"' in page and "<script>" not in page
    assert "<details>" in page


def test_board_updates_answer_the_cell_that_showed_it_even_from_another_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import contextvars
    import threading

    import IPython

    from flow_widgets.ui import _board

    class FakeDisplayPub:
        """ipykernel 7's shape: a per-thread parent that falls back to the last one seen."""

        def __init__(self) -> None:
            self._var: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar("p")
            self.global_parent: dict[str, Any] = {"msg_id": "cell-1"}

        @property
        def parent_header(self) -> dict[str, Any]:
            return self._var.get(self.global_parent)

        def set_thread_parent(self, parent: dict[str, Any]) -> Any:
            return self._var.set(parent)

        def reset_thread_parent(self, token: Any) -> None:
            self._var.reset(token)

    pub = FakeDisplayPub()
    seen: list[tuple[str, bool]] = []
    monkeypatch.setattr(IPython, "get_ipython", lambda: SimpleNamespace(display_pub=pub))
    monkeypatch.setattr(
        _board,
        "ipython_publisher",
        lambda data, md, did, update: seen.append((pub.parent_header["msg_id"], update)),
    )
    board = Board(lambda: ({"text/plain": str(len(seen))}, {}), name="t", min_interval=0)
    board.show()  # while "cell-1" runs
    pub.global_parent = {"msg_id": "a-later-click"}  # the kernel moved on
    worker = threading.Thread(target=board.refresh_now)
    worker.start()
    worker.join()
    # The update answers the cell that showed the board, and also the cell running now, for
    # clients (nbclient) that only follow the executing cell.
    assert seen == [("cell-1", False), ("cell-1", True), ("a-later-click", True)]
    assert pub.parent_header["msg_id"] == "a-later-click"  # nothing leaked into this thread


def test_voice_tables_escape_names_and_keep_only_safe_sample_links() -> None:
    from flow_widgets.ui.library_html import VoiceRow, characters_html, voices_html

    user = [
        VoiceRow(HOSTILE, "Kore", "hi", "an***@example.com", "javascript:alert(1)"),
        VoiceRow("Narrator", "Puck", "hello", "", "flow_media/voice.wav"),
    ]
    system = [VoiceRow("Achernar", "system preset", sample="https://example.com/a.wav")]
    page = voices_html(system, user)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "javascript:" not in page
    assert 'src="flow_media/voice.wav"' in page and 'src="https://example.com/a.wav"' in page
    assert "1 system voices" in page
    assert "&lt;b&gt;" in characters_html([("<b>", "2", "", "", "")])


def test_panels_scrub_the_sessions_token_out_of_every_message() -> None:
    from flow_widgets.ui import _session

    token = "user:4242-s3cr3tT0kenValue"
    scrub = _session.scrubber(SimpleNamespace(settings=SimpleNamespace(token=token)))
    assert scrub is not None
    status = StatusLine(scrub=scrub)

    @guarded(status, "Refresh")
    def leak() -> None:
        raise RuntimeError(f"401 for Bearer {token}")

    leak()
    assert token not in status.text and token not in status.value
    assert "***" in status.text
    assert _session.scrubber(SimpleNamespace(settings=SimpleNamespace(token=None))) is None


def test_a_redraw_that_failed_to_send_is_sent_by_the_next_one() -> None:
    """A board remembers what it sent, not what it tried to send: after a failed update the
    same content goes out again with the next redraw instead of being skipped as unchanged."""
    sent: list[str] = []
    broken = [True]

    def publish(data: dict[str, str], _md: Any, _did: str, update: bool) -> None:
        if update and broken[0]:
            raise OSError("display channel closed")
        sent.append(data["text/plain"])

    text = ["first"]
    board = Board(
        lambda: ({"text/plain": text[0]}, {}), name="t", min_interval=0, publisher=publish
    )
    board.show()
    text[0] = "second"
    board.refresh_now()  # the send fails; the throttle logs it
    broken[0] = False
    board.refresh_now()
    assert sent == ["first", "second"]
