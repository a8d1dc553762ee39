"""Gallery and compare over real takes: captions, grids, the offline slider, stars, export."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from flow_widgets.errors import ValidationError
from flow_widgets.runtime.session import FlowSession
from flow_widgets.ui.gallery import Gallery, takes_from_folder
from tests.ui import panel_support as support
from tests.ui.panel_support import Recorder, eventually


@pytest.fixture
def fan_out(flow: FlowSession) -> list[Any]:
    """A ``--compare nano-banana-2,nano-banana-pro --seeds 1,2`` fan-out, finished."""
    jobs = [
        flow.image("a <lighthouse> at dusk", model=model, seed=seed, new=True)
        for model in ("nano-banana-2", "nano-banana-pro")
        for seed in (1, 2)
    ]
    for job in jobs:
        job.wait(60)
    return jobs


@pytest.fixture
def board() -> Recorder:
    return Recorder()


def _open(source: Any, board: Recorder) -> Gallery:
    gallery = Gallery(source, board_options={"publisher": board})
    for each in gallery.boards:
        each.show()
    return gallery


def _last(board: Recorder, display_id: str) -> dict[str, str]:
    return [data for did, _, data in board.sent if did == display_id][-1]


def test_grid_captions_each_take_with_model_seed_and_escaped_prompt(
    fan_out: list[Any], board: Recorder
) -> None:
    gallery = _open(fan_out, board)
    try:
        page = _last(board, gallery.grid.display_id)["text/html"]
        assert page.count('class="fw-take"') == 4
        assert "nano-banana-pro · seed 2 · a &lt;lighthouse&gt; at dusk" in page
        assert "<lighthouse>" not in page
        gallery.layout_choice.value = "matrix"
        matrix = _last(board, gallery.grid.display_id)["text/html"]
        assert matrix.count("<tr>") == 3  # heading row + one row per model
        assert ">seed 1</th>" in matrix and ">nano-banana-2</th>" in matrix
    finally:
        gallery.close()


def test_compare_slider_moves_the_divider_and_works_without_script(
    fan_out: list[Any], board: Recorder
) -> None:
    gallery = _open(fan_out, board)
    try:
        keys = [key for _, key in gallery.a.options]
        gallery.a.value, gallery.b.value = keys[0], keys[3]
        gallery.position.value = 25
        gallery.compare.refresh_now()
        page = _last(board, gallery.compare.display_id)["text/html"]
        assert "width:25%" in page and "resize:horizontal" in page and "<script" not in page
        assert page.count("<img") == 2
    finally:
        gallery.close()


def test_star_frames_keepers_and_export_writes_a_self_contained_page(
    fan_out: list[Any], board: Recorder, tmp_path: Path
) -> None:
    gallery = _open(fan_out, board)
    try:
        gallery.star_button.click()
        assert gallery.status.tone == "info" and "Pick one or more takes" in gallery.status.text
        first, second = (key for _, key in list(gallery.selection.options)[:2])
        gallery.selection.value = (first, second)
        gallery.star_button.click()
        assert gallery.starred == sorted([first, second])
        assert _last(board, gallery.grid.display_id)["text/html"].count("#e0a800") == 2
        gallery.selection.value = ()
        gallery.export_name.value = str(tmp_path / "exports" / "keepers")
        gallery.export_button.click()
        page = (tmp_path / "exports" / "keepers.html").read_text()
        assert gallery.status.tone == "ok" and "keepers.html" in gallery.status.text
        assert page.count("<img") == 2  # the starred takes, as nothing is selected
        assert page.count('<img src="data:image/jpeg;base64,') == 2  # plays anywhere
        assert 'href="../flow_media/image-a-lighthouse-at-dusk-' in page  # and links the file
        assert "<script" not in page and "&lt;lighthouse&gt;" in page
    finally:
        gallery.close()


def test_export_with_nothing_chosen_says_what_to_do(fan_out: list[Any], tmp_path: Path) -> None:
    gallery = Gallery(fan_out, board_options={"publisher": Recorder()})
    try:
        with pytest.raises(ValidationError, match="select takes in the grid or star some"):
            gallery.export(tmp_path / "nothing.html")
        gallery.export_button.click()  # the button: a hint in a neutral colour, not a red ✗
        assert gallery.status.tone == "info" and "Select takes in the grid" in gallery.status.text
        assert "✗" not in gallery.status.value
    finally:
        gallery.close()


def test_a_folder_gallery_reads_captions_from_file_names(
    fan_out: list[Any], board: Recorder, tmp_path: Path
) -> None:
    takes = takes_from_folder(tmp_path / "flow_media")
    assert len(takes) == 4 and all(t.prompt == "a lighthouse at dusk" for t in takes)
    with pytest.raises(ValidationError, match="does not exist"):
        takes_from_folder(tmp_path / "missing")
    gallery = _open(str(tmp_path / "flow_media"), board)
    try:
        assert "a lighthouse at dusk" in _last(board, gallery.grid.display_id)["text/plain"]
    finally:
        gallery.close()


def test_takes_still_running_appear_when_they_finish(flow: FlowSession, board: Recorder) -> None:
    job = flow.video("a slow pan", model="veo-3.1-fast", email=support.PRO, new=True)
    gallery = _open([job], board)
    try:
        assert "(no takes yet)" in _last(board, gallery.grid.display_id)["text/plain"]
        job.wait(60)
        eventually(
            lambda: "<video" in _last(board, gallery.grid.display_id)["text/html"],
            10,
            "the finished take in the grid",
        )
    finally:
        gallery.close()


def test_a_session_gallery_picks_up_jobs_started_after_it_opened(
    flow: FlowSession, board: Recorder
) -> None:
    gallery = Gallery(session=flow, board_options={"publisher": board})
    gallery.grid.show()
    try:
        flow.image("a late arrival", new=True).wait(60)
        eventually(
            lambda: "a late arrival" in _last(board, gallery.grid.display_id)["text/plain"],
            10,
            "the new take in the session gallery",
        )
    finally:
        gallery.close()
