"""The live card: published once, updated in place, throttled; and the action toolbar."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from flow_widgets.runtime.jobs import JobHandle, MediaFile
from flow_widgets.ui.cards import LiveCard, card_bundle
from flow_widgets.ui.toolbar import ActionBar
from flow_widgets.ui.view import CardView


class Recorder:
    """Stands in for IPython's display machinery and the engine's timer."""

    def __init__(self) -> None:
        self.published: list[tuple[dict[str, str], dict[str, Any], str, bool]] = []
        self.scheduled: list[tuple[float, Callable[[], None]]] = []
        self.now = 1000.0

    def publish(
        self, data: dict[str, str], metadata: dict[str, Any], did: str, update: bool
    ) -> None:
        self.published.append((data, metadata, did, update))

    def schedule(self, delay: float, callback: Callable[[], None]) -> None:
        self.scheduled.append((delay, callback))

    def clock(self) -> float:
        return self.now


def make_card(handle: JobHandle, rec: Recorder, tmp_path: Path, **kw: Any) -> LiveCard:
    return LiveCard(
        handle,
        base=tmp_path,
        publisher=rec.publish,
        scheduler=rec.schedule,
        clock=rec.clock,
        **kw,
    )


def new_handle(**kw: Any) -> JobHandle:
    handle = JobHandle(
        kind="video", model="veo-3.1-fast", prompt="a <b>fox</b>", expected_seconds=100
    )
    if kw:
        handle.apply(**kw)
    return handle


def test_show_displays_once_with_a_display_id_and_provenance(tmp_path: Path) -> None:
    rec = Recorder()
    handle = new_handle(
        status="running", jobid="j1v", account="john.doe@gmail.com", estimated_credits=20
    )
    card = make_card(handle, rec, tmp_path).show()
    card.show()
    assert len(rec.published) == 1
    data, metadata, did, update = rec.published[0]
    assert did == card.display_id and did.startswith("flow-") and update is False
    assert set(data) == {"text/plain", "text/html"}
    assert metadata == {
        "flow_widgets": {
            "job_id": "j1v",
            "model": "veo-3.1-fast",
            "credits": 20,
            "status": "running",
        }
    }
    assert "john.doe" not in data["text/html"] + data["text/plain"]
    assert "jo***@gmail.com" in data["text/html"]
    assert "&lt;b&gt;fox&lt;/b&gt;" in data["text/html"]


def test_phase_changes_publish_at_once_as_updates(tmp_path: Path) -> None:
    rec = Recorder()
    handle = new_handle(status="accepted", jobid="j1v")
    make_card(handle, rec, tmp_path).show()
    handle.apply(status="running")
    clip = tmp_path / "flow_media" / "fox.mp4"
    clip.parent.mkdir()
    clip.write_bytes(b"\0" * 10)
    handle.apply(status="completed", media=(MediaFile(index=0, kind="video", path=clip, seed=4),))
    assert [p[3] for p in rec.published] == [False, True, True]
    final_html = rec.published[-1][0]["text/html"]
    assert '<video src="flow_media/fox.mp4"' in final_html
    assert rec.published[-1][1]["flow_widgets"]["status"] == "completed"


def test_unnoticeable_changes_are_not_published(tmp_path: Path) -> None:
    rec = Recorder()
    handle = new_handle(status="running", jobid="j1v")
    make_card(handle, rec, tmp_path).show()
    for _ in range(50):
        handle.apply()  # only the 'updated' time moves: the CSS clock covers that
    assert len(rec.published) == 1
    assert rec.scheduled == []


def test_rapid_changes_are_throttled_and_the_last_one_is_flushed(tmp_path: Path) -> None:
    rec = Recorder()
    handle = new_handle(status="running", jobid="j1v", estimated_credits=20)
    card = make_card(handle, rec, tmp_path, min_interval=1.0).show()
    for credits in range(21, 121):
        rec.now += 0.01
        handle.apply(estimated_credits=credits)
    # One publish for show; every later change falls inside the interval: a single flush is due.
    assert len(rec.published) == 1
    assert len(rec.scheduled) == 1
    delay, flush = rec.scheduled[0]
    assert 0 < delay <= 1.0
    rec.now += delay
    flush()
    assert len(rec.published) == 2
    assert rec.published[-1][1]["flow_widgets"]["credits"] == 120
    assert card.publish_count == 2


def test_changes_after_the_interval_publish_directly(tmp_path: Path) -> None:
    rec = Recorder()
    handle = new_handle(status="running", jobid="j1v", estimated_credits=20)
    make_card(handle, rec, tmp_path, min_interval=1.0).show()
    rec.now += 5
    handle.apply(estimated_credits=30)
    assert len(rec.published) == 2 and rec.scheduled == []


def test_a_forced_refresh_is_sent_even_when_nothing_changed(tmp_path: Path) -> None:
    """``refresh(force=True)`` (a magic's last word after waiting, a button's note) goes out
    at once, inside the interval and with the same content, as an update of the same output."""
    rec = Recorder()
    handle = new_handle(status="completed", jobid="j1v")
    card = make_card(handle, rec, tmp_path, min_interval=60.0).show()
    assert card.refresh() is False  # nothing a person would notice
    assert card.refresh(force=True) is True
    assert len(rec.published) == 2 and rec.published[1][3] is True
    assert rec.published[1][0] == rec.published[0][0] and rec.scheduled == []


def test_close_stops_following(tmp_path: Path) -> None:
    rec = Recorder()
    handle = new_handle(status="running")
    card = make_card(handle, rec, tmp_path).show()
    card.close()
    handle.apply(status="failed", error="boom")
    assert len(rec.published) == 1


def test_followups_and_snippets_share_the_output(tmp_path: Path) -> None:
    rec = Recorder()
    first = new_handle(status="completed", jobid="j1v")
    card = make_card(first, rec, tmp_path).show()
    take = new_handle(status="running", jobid="j2v")
    card.add_followup(take, kind="video", note="new take")
    card.add_snippet("Copy this cell:", "%%flow_video --seed 3\na <fox>")
    data, metadata, _, update = rec.published[-1]
    assert update is True
    assert data["text/html"].count('class="fw-card') == 2
    assert "new take" in data["text/html"]
    assert "a &lt;fox&gt;" in data["text/html"] and "a <fox>" in data["text/plain"]
    assert metadata["flow_widgets"]["job_id"] == "j1v"
    assert metadata["flow_widgets"]["followups"][0]["job_id"] == "j2v"
    # The follow-up is followed too.
    take.apply(status="failed", error="refused", charged=False)
    assert "refused" in rec.published[-1][0]["text/html"]
    assert card.handles == [first, take]


def test_set_note_shows_on_the_card(tmp_path: Path) -> None:
    rec = Recorder()
    card = make_card(new_handle(status="running"), rec, tmp_path).show()
    card.set_note("upscale failed: no credits")
    assert "upscale failed: no credits" in rec.published[-1][0]["text/html"]


def test_repr_mimebundle_respects_include_and_exclude(tmp_path: Path) -> None:
    card = make_card(new_handle(status="running"), Recorder(), tmp_path)
    data, metadata = card._repr_mimebundle_(include={"text/plain"})
    assert set(data) == {"text/plain"} and "flow_widgets" in metadata
    data, _ = card._repr_mimebundle_(exclude={"text/plain"})
    assert set(data) == {"text/html"}


def test_an_observer_error_never_reaches_the_engine(tmp_path: Path) -> None:
    """The card's own guard, not the handle's: a throttled update is flushed later by the
    engine loop itself (``scheduler``), where nothing else would catch a failing publish."""

    def broken(*_: Any) -> None:
        raise OSError("display channel closed")

    now = [0.0]
    scheduled: list[Callable[[], None]] = []
    handle = new_handle(status="running")
    card = LiveCard(
        handle,
        base=tmp_path,
        publisher=lambda *a: None,
        scheduler=lambda _wait, flush: scheduled.append(flush),
        clock=lambda: now[0],
    )
    card.show()
    card._board._publisher = broken
    handle.apply(note="half way")  # the same phase, too soon: left for a later flush
    assert len(scheduled) == 1
    now[0] += 5.0
    scheduled[0]()  # what the engine loop runs: must not raise
    assert card.publish_count == 1  # the failed publish was not counted as sent


def test_card_bundle_of_one_view() -> None:
    view = CardView(kind="image", prompt="p", phase="failed", credits=0, error="x")
    data, metadata = card_bundle([view])
    assert metadata["flow_widgets"]["status"] == "failed"
    assert "followups" not in metadata["flow_widgets"]
    assert data["text/plain"].startswith("[flow image] failed: x")


# -- toolbar ------------------------------------------------------------------------------


def test_action_bar_runs_the_pressed_action_and_unlocks() -> None:
    calls: list[str] = []
    bar = ActionBar(
        {"stop watching": lambda: calls.append("stop"), "new take #2": lambda: calls.append("new")}
    )
    assert not bar.busy and bar.actions == ["stop watching", "new take #2"]
    bar.click("new take")  # a name finds the button whose label starts with it
    bar.click("stop watching")
    assert calls == ["new", "stop"]
    assert not bar.busy and bar.presses == 2
    assert repr(bar) == "<flow actions: stop watching, new take #2>"
    bar.close()


def test_action_errors_go_to_the_error_callback() -> None:
    errors: list[tuple[str, str]] = []

    def fail() -> None:
        raise RuntimeError("no session")

    bar = ActionBar({"upscale": fail}, on_error=lambda name, exc: errors.append((name, str(exc))))
    bar.click("upscale")
    assert errors == [("upscale", "no session")]
    assert not bar.busy  # unlocked even when the action failed
    bar.close()


def test_set_actions_replaces_the_buttons() -> None:
    bar = ActionBar({"stop watching": lambda: None})
    hit: list[int] = []
    bar.set_actions({"new take #2": lambda: hit.append(1), "copy as cell": lambda: hit.append(2)})
    assert [a["label"] for a in bar.groups[0]["actions"]] == ["new take #2", "copy as cell"]
    bar.click("copy as cell")
    assert hit == [2]
    bar.close()


def test_a_stale_press_runs_what_its_label_was_bound_to() -> None:
    """A press that left the browser before the bar offered take #3 still asks for take #2."""
    asked: list[int] = []
    bar = ActionBar({"new take #2": lambda: asked.append(2)})
    bar.set_actions({"new take #3": lambda: asked.append(3)})
    bar.pressed = {"group": "", "label": "new take #2", "intent": "take:2", "n": 1}
    assert asked == [2] and not bar.busy
    bar.pressed = {"group": "", "label": "new take #3", "intent": "take:3", "n": 2}
    assert asked == [2, 3]
    bar.close()


def test_rows_act_on_their_own_take() -> None:
    hit: list[str] = []
    bar = ActionBar()
    bar.set_rows(
        [(f"#{n}", {"upscale": (lambda n=n: hit.append(f"#{n}"))}) for n in (1, 2, 3)]  # type: ignore[misc]
    )
    bar.click("upscale", "#2")
    assert hit == ["#2"]
    assert [g["title"] for g in bar.groups] == ["#1", "#2", "#3"]
    bar.close()


def test_every_result_output_carries_the_reopening_guard_once() -> None:
    from flow_widgets.ui._board import Board
    from flow_widgets.ui.reopen import GUARD

    view = CardView(kind="image", prompt="p", phase="failed", credits=0, error="x")
    html = card_bundle([view, view])[0]["text/html"]
    assert html.startswith(GUARD) and html.count("<style") == 1
    board = Board(lambda: ({"text/html": "<table></table>", "text/plain": "t"}, {}))
    assert board.bundle()[0]["text/html"] == GUARD + "<table></table>"
    toolbar = ActionBar({"upscale": lambda: None})
    data, _ = toolbar._repr_mimebundle_()
    assert data["text/plain"] == ""  # nothing stray where the buttons were, without widgets
    toolbar.close()
