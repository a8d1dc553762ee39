"""Ctrl/Cmd+Enter in the Studio's prompt, and the magic cell that *copy as cell* gives."""

from __future__ import annotations

import shlex
from collections.abc import Iterator

import pytest

from flow_widgets.api.ids import make_media_id
from flow_widgets.api.requests import (
    ExtendRequest,
    ImageRequest,
    VideoRequest,
    VideoUpscaleRequest,
)
from flow_widgets.magics._args import video_parser
from flow_widgets.runtime.session import FlowSession
from flow_widgets.ui.prompt_box import PromptBox
from flow_widgets.ui.studio import Studio
from flow_widgets.ui.studio_results import cell_for_take
from tests.ui.panel_support import PRO, Recorder

_EMAIL = "someone@example.com"


@pytest.fixture
def studio(flow: FlowSession, board: Recorder) -> Iterator[Studio]:
    panel = Studio(flow, board_options={"publisher": board})
    panel.results.board.show()
    try:
        yield panel
    finally:
        panel.close()


def test_the_box_counts_presses_and_reports_each_with_the_latest_value() -> None:
    box = PromptBox(placeholder="say something", rows=3)
    seen: list[str] = []
    box.on_submit(lambda b: seen.append(b.value))
    box.value = "first"
    box.submit()
    box.value = "second"
    box.submits += 1  # what the browser's Ctrl+Enter sends
    box.submits = 0  # a reset is not a press
    assert seen == ["first", "second"]
    state = box.get_state()
    assert (state["placeholder"], state["rows"], state["value"]) == ("say something", 3, "second")
    assert "http" not in box._css and "import " not in box._esm  # nothing fetched from outside


def test_ctrl_enter_generates_a_valid_form_and_not_an_invalid_one(studio: Studio) -> None:
    studio.account.value = PRO
    studio.prompt.submit()  # empty prompt: Generate is disabled, so the key does nothing
    assert studio.results.results == []
    assert studio.generate.disabled and "prompt is empty" in studio.status.value

    studio.prompt.value = "a red fox runs through snow"
    assert not studio.generate.disabled
    studio.prompt.submit()
    assert [r.form.prompt for r in studio.results.results] == ["a red fox runs through snow"]
    studio.results.results[0].handle.cancel()


def test_copy_as_cell_gives_a_magic_cell_that_parses_back_to_the_same_request() -> None:
    ref = make_media_id(1, _EMAIL, "image", "pic1")
    request = VideoRequest(
        "a {curly} fox", model="veo-3.1-fast", duration=8, reference_images=[ref], email=_EMAIL
    )
    cell = cell_for_take(request, seed=42)
    line, body = cell.split("\n", 1)
    assert line.startswith("%%flow_video ") and body == "a {curly} fox"
    args = video_parser().parse_args(shlex.split(line.removeprefix("%%flow_video ")))
    assert (args.model, args.duration, args.seed, args.ref, args.email) == (
        "veo-3.1-fast", 8, 42, [ref], _EMAIL
    )  # fmt: skip
    assert args.no_interp  # braces are sent as written

    image = cell_for_take(ImageRequest("a lamp", model="imagen-4"))
    assert image.startswith("%%flow_image --model imagen-4") and image.endswith("\na lamp")


def test_copy_as_cell_falls_back_to_python_for_what_the_magics_cannot_say() -> None:
    video = make_media_id(1, _EMAIL, "video", "clip1")
    extend = cell_for_take(ExtendRequest(video, "it starts to rain"))
    assert "flow.extend(" in extend and "%%" not in extend
    upscale = cell_for_take(VideoUpscaleRequest(video, resolution="1080p"))
    assert "flow.upscale(" in upscale and "resolution='1080p'" in upscale and "%%" not in upscale
