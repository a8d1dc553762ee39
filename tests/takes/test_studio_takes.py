"""Studio generations are takes of the cell the Studio was made in: run in an IPython shell the
way JupyterLab runs a cell (its cell id), against the simulator, counting the POSTs bought.
Time budget: about 15 s."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

from flow_widgets.runtime.take_store import cell_picks, store_for, take_cells
from flow_widgets.ui.gallery import Gallery
from flow_widgets.ui.gallery_filters import TakeFilter, cell_choices, filter_takes
from flow_widgets.ui.studio import Studio
from flow_widgets.ui.studio_results import Result
from flow_widgets.ui.studio_takes import cell_id_now
from tests.magics.conftest import Shell
from tests.ui.panel_support import Recorder, eventually

FOX = ["a red fox in snow", "a red fox in deep snow", "a red fox in deep snow at dawn"]
STUDIO_CELL = (
    "studio = fw.Studio(board_options={'publisher': rec}{extra})\nstudio.results.board.show()"
)


def _studio(shell: Shell, rec: Recorder, cell_id: str | None, extra: str = "") -> Studio:
    shell.ip.user_ns["rec"] = rec
    source = "import flow_widgets as fw\n" + STUDIO_CELL.replace("{extra}", extra)
    result = shell.ip.run_cell(source, store_history=False, cell_id=cell_id)
    assert result.error_in_exec is None and result.error_before_exec is None
    studio = shell.ip.user_ns["studio"]
    assert isinstance(studio, Studio)
    return studio


def _generate(studio: Studio, prompt: str, *, press: str | None = None) -> Result:
    studio.prompt.value = prompt
    result = studio._generate(SimpleNamespace(pressed_intent=press) if press else None)
    assert result is not None, studio.status.text
    result.handle.wait(60)
    return result


def _takes_in(html: str) -> list[str]:
    return re.findall(r'<li class="fw-take"[^>]*data-name="([^"]*)"', html)


def _board_html(studio: Studio) -> str:
    return str(studio.results.bundle()[0]["text/html"])


def _closing(*studios: Studio) -> None:
    for studio in studios:
        studio.close()


def test_studio_takes_join_the_cell_across_a_rerun_and_the_star_is_the_cells_pick(
    shell: Shell, capsys: Any
) -> None:
    posts = shell.count_requests("POST /videos")
    rec = Recorder()
    first = _studio(shell, rec, "studio-cell")
    try:
        one = _generate(first, FOX[0])
        again = _generate(first, FOX[0], press="take:1")  # a double press of the same take
        assert again is one and shell.fired(posts) == 1
        two = _generate(first, FOX[1])
        eventually(lambda: len(_takes_in(_board_html(first))) == 2, 10, "the strip of 2 takes")
        html = _board_html(first)
        assert html.count('<section class="fw-takes"') == 1  # one strip: the newest card's
        # ... right after that card, which comes first: the strip's script plays a take in
        # the first card of its output
        cards = [m.start() for m in re.finditer(r'<div class="fw-card ', html)]
        assert len(cards) == 2 and cards[0] < html.index('<section class="fw-takes"') < cards[1]
        assert "matched by" not in html  # recognised by its cell id
        assert '<ins class="fw-add" aria-label="added deep">deep</ins>' in html

        # the star, from the Studio's own action bar
        first.results.picker.value = one.number
        eventually(lambda: "☆ #1" in first.results.bar.actions, 10, "the star of take #1")
        first.results.bar.click("☆ #1")
        assert "★ pick" in _board_html(first)
        assert "★ #1 (unstar)" in first.results.bar.actions
        assert "★ pick" in rec.last_html  # the board was published again with the pick
        sids = [str(one.handle.submission_id), str(two.handle.submission_id)]
    finally:
        _closing(first)

    # the Studio cell run again: a new Studio, the same cell, numbering goes on
    second = _studio(shell, Recorder(), "studio-cell")
    try:
        three = _generate(second, FOX[2])
        eventually(lambda: len(_takes_in(_board_html(second))) == 3, 10, "3 takes on the strip")
        html = _board_html(second)
        assert "★ pick" in html and 'aria-label="added dawn"' in html
        second.results.picker.value = three.number
        eventually(lambda: "☆ #3" in second.results.bar.actions, 10, "take #3's star")
        # the new Studio's own take #1 is the cell's take #3, and its picker says so
        second.results._refresh_controls()
        assert three.number == 1
        assert second.results.picker.label.endswith("· = cell take #3")
    finally:
        _closing(second)
    assert shell.fired(posts) == 3  # recording, drawing and starring never bought anything

    capsys.readouterr()
    shell.ip.run_line_magic("flow", "takes studio-cell")
    listing = capsys.readouterr().out
    assert "3 take(s) of cell:studio-cell (recognised by its cell id)" in listing
    assert "pick: #1" in listing
    ledger = second.session.ledger
    cells = take_cells(ledger)
    bought = [*sids, str(three.handle.submission_id)]
    assert {cells[sid] for sid in bought} == {"cell:studio-cell"}
    assert cell_picks(ledger) == {sids[0]}  # what the Gallery and the export offer first
    gallery = Gallery(session=second.session)
    try:
        takes = gallery.takes()
        assert takes[0].prompt == FOX[0] and takes[0].starred  # the Studio's pick comes first
        assert ("cell:studio-cell", "cell:studio-cell") in cell_choices(takes)
        only = filter_takes(takes, TakeFilter(cell="cell:studio-cell"))
        assert sorted(t.prompt for t in only) == sorted(FOX)
    finally:
        gallery.close()


def test_without_a_cell_id_a_studio_uses_its_name_else_a_lineage(shell: Shell, capsys: Any) -> None:
    named = _studio(shell, Recorder(), None, ", name='fox'")
    try:
        _generate(named, FOX[0])
        _generate(named, "a heron at the edge of the lake")  # still the same Studio's cell
        eventually(lambda: len(_takes_in(_board_html(named))) == 2, 10, "the named strip")
        assert "matched by name" in _board_html(named)
        assert named.results.takes is not None and named.results.takes.cell is not None
        assert named.results.takes.cell.key.key == "studio:fox"
    finally:
        _closing(named)
    capsys.readouterr()
    shell.ip.run_line_magic("flow", "takes fox")
    assert "2 take(s) of studio:fox (recognised by its name)" in capsys.readouterr().out
    # no id, no name: an earlier Studio lineage whose latest prompt is alike
    keys = []
    for prompt in ("an owl on a branch at night", "an owl on a snowy branch at night"):
        studio = _studio(shell, Recorder(), None)
        try:
            _generate(studio, prompt)
            assert studio.results.takes is not None and studio.results.takes.cell is not None
            keys.append(studio.results.takes.cell.key)
        finally:
            _closing(studio)
    assert keys[0] == keys[1] and keys[0].source == "lineage"
    store = store_for(shell.ip.user_ns["studio"].session.ledger)
    assert [t.number for t in store.takes(keys[0].notebook, keys[0].key)] == [1, 2]


def test_the_cell_id_comes_from_the_request_the_kernel_answers_without_the_hook() -> None:
    """Without ``%load_ext`` no hook runs; ipykernel's parent header still names the cell.
    (A stand-in kernel: the real one is driven in tests/e2e/test_takes_kernel.py.)"""
    kernel = SimpleNamespace(get_parent=lambda channel: {"metadata": {"cellId": "c-9"}})
    assert cell_id_now(SimpleNamespace(kernel=kernel)) == "c-9"
    old = SimpleNamespace(get_parent=lambda: {"metadata": {}})
    assert cell_id_now(SimpleNamespace(kernel=old)) is None
    assert cell_id_now(None) is None
