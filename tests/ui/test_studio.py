"""The Studio driven like a browser would: set values, press buttons, read what it shows."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from flow_widgets.runtime.session import FlowSession
from flow_widgets.ui import _session
from flow_widgets.ui.studio import Studio
from tests.ui.panel_support import PRO, ULTRA, Recorder, eventually


@pytest.fixture
def studio(flow: FlowSession, board: Recorder) -> Iterator[Studio]:
    panel = Studio(flow, board_options={"publisher": board})
    panel.results.board.show()
    try:
        yield panel
    finally:
        panel.close()


def _durations(studio: Studio) -> list[int]:
    return [value for _label, value in studio.duration.options]


def test_only_choices_valid_for_the_model_and_the_accounts_plan_are_offered(studio: Studio) -> None:
    studio.account.value = PRO
    studio.model.value = "veo-3.1-fast"
    assert _durations(studio) == [8]  # 4 and 6 s need Ultra
    assert "veo-3.1-lite-low-priority" not in studio.model.options
    studio.model.value = "omni-flash-1.2"
    assert _durations(studio) == list(range(3, 16))
    studio.duration.value = 12
    studio.model.value = "veo-3.1-fast"
    assert _durations(studio) == [8] and studio.duration.value == 8  # 12 s disappeared
    studio.account.value = ULTRA
    assert _durations(studio) == [4, 6, 8]
    assert "veo-3.1-lite-low-priority" in studio.model.options


def test_generate_stays_disabled_with_the_reason_shown_until_the_form_is_valid(
    studio: Studio,
) -> None:
    studio.account.value = PRO
    assert studio.generate.disabled
    assert "prompt is empty" in studio.preview_line.value
    assert "color:#6b7280" in studio.preview_line.value  # a form not finished is no error
    studio.prompt.value = "hello @character_1"
    assert studio.generate.disabled
    assert "character 1 (character_1) is empty" in studio.preview_line.value
    studio.prompt.value = "a red fox runs through snow"
    assert not studio.generate.disabled
    assert "20 credits · balance 1,000 → 980" in studio.preview_line.value
    studio.kind.value = "frames"
    assert studio.generate.disabled
    assert "first frame (startImage) is required" in studio.preview_line.value


def test_over_budget_disables_generate_and_follows_budget_changes_made_elsewhere(
    flow: FlowSession, studio: Studio
) -> None:
    studio.account.value = PRO
    studio.prompt.value = "a lighthouse in a storm"
    studio.model.value = "veo-3.1-quality"
    flow.budget = 50
    assert studio.generate.disabled
    assert "100 credits but only 50 of the 50-credit budget" in studio.preview_line.value
    assert "color:#d0342c" in studio.preview_line.value  # a request that cannot go: red
    flow.budget = 500  # from a cell, not from the Studio: the tracker tells the Studio
    eventually(lambda: not studio.generate.disabled, 5, "the Studio to see the new budget")
    assert "budget 500 → 400" in studio.preview_line.value


def test_generate_shows_a_live_card_with_the_video_on_the_plain_board(
    flow: FlowSession, studio: Studio, board: Recorder
) -> None:
    studio.account.value = PRO
    studio.prompt.value = 'a red <fox> "runs"'
    studio.generate.click()
    assert studio.status.tone == "ok", studio.status.text
    [result] = studio.results.results
    result.handle.wait(60)
    eventually(lambda: "done in" in board.last_text, 10, "the finished card on the board")
    page = board.last_html
    assert "<video" in page and "flow_media/video-a-red-fox-runs" in page
    assert "&lt;fox&gt;" in page and "<fox>" not in page
    assert {did for did, _, _ in board.sent} == {studio.results.board.display_id}
    assert board.sent[0][1] is False and all(update for _, update, _ in board.sent[1:])
    assert result.handle.media[0].path.exists()
    assert flow.tracker.spent_by_model()["veo-3.1-fast"] == 20
    # the take is now offered as an input of later forms
    eventually(
        lambda: any(label.startswith("#1 video") for label, _ in studio.source.picker.options),
        5,
        "the take to be offered as a source",
    )
    assert not any(label.startswith("#1") for label, _ in studio.start.picker.options)


def test_follow_up_actions_load_the_form_vary_and_copy_as_cell(
    flow: FlowSession, studio: Studio, board: Recorder
) -> None:
    studio.account.value = ULTRA
    studio.model.value = "veo-3.1-fast"
    studio.duration.value = 4
    studio.seed.value = "11"
    studio.prompt.value = "waves at dawn"
    first = studio._generate()
    assert first is not None
    first.handle.wait(60)
    eventually(lambda: "extend" in studio.results.bar.actions, 5, "the finished take's actions")
    assert set(studio.results.bar.actions) >= {"vary", "edit", "extend", "upscale", "copy as cell"}

    studio.results.bar.click("copy as cell")
    eventually(lambda: "%%flow_video" in board.last_text, 5, "the runnable magic cell")
    assert "--seed 11" in board.last_text and "--duration 4" in board.last_text
    assert "--model veo-3.1-fast" in board.last_text and "waves at dawn" in board.last_text
    assert "%%flow_video" in board.last_html  # escaped into the card's snippet block

    studio.results.bar.click("extend")
    assert studio.kind.value == "extend"
    assert studio.source.value == _session.first_media_id(first.handle, "video")
    assert studio.generate.disabled and "prompt is empty" in studio.preview_line.value

    studio.results.picker.value = first.number
    studio.results.bar.click("edit")
    form = studio.form()
    assert (form.kind, form.prompt, form.duration, form.seed) == ("text", "waves at dawn", 4, 11)

    studio.results.picker.value = first.number
    studio.results.bar.click("vary")
    assert len(studio.results.results) == 2
    second = studio.results.results[1]
    assert second.form.prompt == "waves at dawn" and second.form.seed != 11
    second.handle.wait(60)
    assert second.handle.jobid != first.handle.jobid


def test_images_are_free_and_land_as_images(studio: Studio, board: Recorder) -> None:
    studio.kind.value = "image"
    assert studio.duration.layout.display == "none"
    studio.prompt.value = "a paper boat"
    studio.count.value = 2
    assert "free" in studio.preview_line.value and not studio.generate.disabled
    result = studio._generate()
    assert result is not None
    result.handle.wait(60)
    eventually(lambda: board.last_html.count("<img") >= 2, 10, "two images on the board")


def test_errors_in_callbacks_are_shown_in_plain_words(
    studio: Studio, monkeypatch: pytest.MonkeyPatch
) -> None:
    studio.prompt.value = "a fox"

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("the engine is on fire")

    monkeypatch.setattr(studio.session, "submit", broken)
    studio.generate.click()
    assert studio.status.tone == "error"
    assert studio.status.text.startswith("Generate failed: RuntimeError: the engine is on fire")
    assert not studio.generate.disabled  # the form stays usable


def test_an_upload_becomes_a_media_id_and_leaves_no_bytes_in_widget_state(
    studio: Studio,
) -> None:
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (64, 36), "teal").save(buffer, format="PNG")
    studio.account.value = PRO
    studio.kind.value = "frames"
    studio.prompt.value = "the frame comes alive"
    from datetime import datetime, timezone

    now = datetime.now(timezone.utc)
    picked = {"name": "frame.png", "type": "image/png", "size": 1, "last_modified": now}
    studio.start.uploads.widget.value = ({**picked, "content": memoryview(buffer.getvalue())},)
    assert studio.start.uploads.widget.value == ()
    eventually(lambda: studio.start.value is not None, 10, "the upload's media id")
    assert "-image:" in str(studio.start.value)
    eventually(lambda: not studio.generate.disabled, 5, "Generate to be enabled")
    state = json.dumps(_widget_states(studio), default=str)
    assert "frame.png" in state  # the label, fine
    assert "iVBOR" not in state and "\\x89PNG" not in state


def _widget_states(studio: Studio) -> list[dict[str, Any]]:
    """The synced state of every widget in the Studio's tree (what a saved notebook keeps)."""
    from ipywidgets import Image
    from ipywidgets.widgets.widget import _remove_buffers

    states = []
    todo = [studio.widget]
    while todo:
        widget = todo.pop()
        state, _paths, buffers = _remove_buffers(widget.get_state())
        # Only the "will be sent" strip's thumbnails carry bytes, and only a small JPEG each.
        small = isinstance(widget, Image) and widget.format == "jpeg"
        assert all(len(b) == 0 or (small and len(b) <= 4096) for b in buffers), widget
        states.append(state)
        todo.extend(getattr(widget, "children", ()))
    return states


def test_static_fallback_has_the_widget_view_and_escaped_html_without_secrets(
    studio: Studio,
) -> None:
    studio.prompt.value = "<script>x</script> a fox"
    data, _ = studio._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in data
    assert "&lt;script&gt;" in data["text/html"] and "<script>" not in data["text/html"]
    assert "Text to video" in data["text/plain"]
    assert "@gmail.com" not in data["text/html"]


def test_results_from_elsewhere_in_the_session_are_offered_as_inputs(
    flow: FlowSession, studio: Studio
) -> None:
    made = flow.image("a frame made by a magic", new=True).wait(60)
    eventually(
        lambda: any("a frame made by a magic" in label for label, _ in studio.start.picker.options),
        10,
        "the session's image to be offered as a first frame",
    )
    studio.kind.value = "frames"
    studio.prompt.value = "it starts to rain"
    label = next(lbl for lbl, _ in studio.start.picker.options if "a frame made by" in lbl)
    studio.start.picker.label = label
    assert studio.form().start_image == made.media[0].media_id


def test_upscale_of_an_image_take_offers_image_resolutions(studio: Studio) -> None:
    studio.kind.value = "image"
    studio.prompt.value = "a tiny house"
    first = studio._generate()
    assert first is not None
    first.handle.wait(60)
    eventually(lambda: "upscale" in studio.results.bar.actions, 5, "the upscale action")
    studio.results.bar.click("upscale")
    assert studio.status.tone == "info", studio.status.text
    assert studio.kind.value == "upscale"
    assert studio.form().source == _session.first_media_id(first.handle, "image")
    assert list(studio.upscale_to.options) == ["2k", "4k"]
    assert not studio.generate.disabled and "free" in studio.preview_line.value


def test_a_refused_upload_is_reported_in_plain_words(studio: Studio) -> None:
    from datetime import datetime, timezone

    studio.kind.value = "frames"
    picked = {
        "name": "notes.txt",
        "type": "text/plain",
        "size": 5,
        "last_modified": datetime.now(timezone.utc),
    }
    studio.start.uploads.widget.value = ({**picked, "content": memoryview(b"hello")},)
    eventually(lambda: studio.status.tone == "error", 10, "the upload to be refused")
    assert "notes.txt" in studio.status.text and "failed" in studio.status.text
    assert studio.start.value is None and studio.start.pending == []
