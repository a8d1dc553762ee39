"""A cell's takes in an IPython shell against the simulator: edits and re-runs of one cell
(sent with its cell id, as JupyterLab does), the strip on the card, the star, *use this
prompt*, ``%flow takes``, and the fallbacks when no cell id arrives (``--out``, a lineage)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from flow_widgets.magics import _takes
from tests.magics.conftest import Shell

FOX = ["a red fox in snow", "a red fox in deep snow", "a red fox in deep snow at dawn"]


def _run(shell: Shell, prompt: str, *, cell_id: str | None = "cell-1", flags: str = "") -> Any:
    source = f"%%flow_video -m veo-3.1-lite {flags}\n{prompt}"
    result = shell.ip.run_cell(source, store_history=False, cell_id=cell_id)
    assert result.error_in_exec is None and result.error_before_exec is None
    from flow_widgets.magics._cells import _LIVE

    return _LIVE[-1]


def _strip_takes(html: str) -> list[str]:
    return re.findall(r'<li class="fw-take"[^>]*data-name="([^"]*)"', html)


def test_three_edits_of_one_cell_are_three_takes_with_their_diffs(shell: Shell) -> None:
    shell.cell("%config FlowMagics.toolbar = True")
    posts = shell.count_requests("POST /videos")
    for prompt in FOX:
        card = _run(shell, prompt)
    assert shell.fired(posts) == 3
    html, text = card.bundle()[0]["text/html"], card.bundle()[0]["text/plain"]
    assert _strip_takes(html) == [f"take {n}: {p}" for n, p in enumerate(FOX, 1)]
    assert '<ins class="fw-add" aria-label="added deep">deep</ins>' in html
    assert "+at +dawn" in text and "#1  first take" in text
    assert 'aria-current="true" data-kind="video"' in html  # the take this run shows
    # a re-run of the unchanged cell re-attaches: no purchase, no new take
    card = _run(shell, FOX[-1])
    assert shell.fired(posts) == 3
    assert len(_strip_takes(card.bundle()[0]["text/html"])) == 3
    # another cell keeps takes of its own
    other = _run(shell, "a heron in a pond", cell_id="cell-2")
    assert _strip_takes(other.bundle()[0]["text/html"]) == []


def test_star_a_take_from_the_toolbar_and_copy_its_exact_cell(
    shell: Shell, capsys: pytest.CaptureFixture[str]
) -> None:
    shell.cell("%config FlowMagics.toolbar = True")
    for prompt in FOX:
        card = _run(shell, prompt)
    bar = card.toolbar
    takes_row = [p["label"] for g in bar.groups if g["title"] == "takes" for p in g["actions"]]
    assert takes_row[:3] == ["☆ #1", "☆ #2", "☆ #3"]
    bar.click("☆ #2", "takes")
    html = card.bundle()[0]["text/html"]
    assert html.count("★ pick") == 1
    assert "★ #2 (unstar)" in bar.actions and "☆ #1" in bar.actions
    cell = bar.find("use prompt #1", "takes").copy
    seed = _takes.store_for(_session(shell)).takes(*_key(card))[0].seed
    assert seed is not None  # the seed the server chose for take 1, kept once it was known
    assert cell.startswith("%%flow_video --model veo-3.1-lite")
    assert f" --seed {seed}" in cell and cell.endswith(f"\n{FOX[0]}")
    capsys.readouterr()
    shell.ip.run_line_magic("flow", "takes")
    said = capsys.readouterr().out
    assert "3 take(s) of cell:cell-1 (recognised by its cell id)" in said
    assert "pick: #2" in said and "#2 ★  +deep" in said
    bar.click("★ #2 (unstar)", "takes")
    assert "★ pick" not in card.bundle()[0]["text/html"]


def _session(shell: Shell) -> Any:
    from flow_widgets.runtime.session import current_session

    session = current_session()
    assert session is not None
    return session


def _key(card: Any) -> tuple[str, str]:
    strip = card.strip.__self__  # the card's CellTakes
    return strip.key.notebook, strip.key.key


def test_without_a_cell_id_the_out_name_then_a_lineage_names_the_cell(
    shell: Shell, capsys: pytest.CaptureFixture[str]
) -> None:
    for prompt in FOX[:2]:
        card = _run(shell, prompt, cell_id=None, flags="--out fox")
    assert card.strip.__self__.key.source == "--out"
    assert len(_strip_takes(card.bundle()[0]["text/html"])) == 2
    assert "matched by --out" in card.bundle()[0]["text/html"]
    # neither an id nor --out: the nearest earlier prompt of the same magic and flags
    for prompt in ("an owl on a branch at night", "an owl on a snowy branch at night"):
        card = _run(shell, prompt, cell_id=None, flags="--aspect portrait")
    key = card.strip.__self__.key
    assert key.source == "lineage"
    assert len(_strip_takes(card.bundle()[0]["text/html"])) == 2
    assert "matched by lineage" in card.bundle()[0]["text/html"]
    capsys.readouterr()
    shell.ip.run_line_magic("flow", "takes fox")
    assert "2 take(s) of out:fox (recognised by its --out)" in capsys.readouterr().out


def test_prompts_in_the_strip_are_escaped(shell: Shell) -> None:
    evil = 'a fox "<img src=x onerror=alert(1)>"'
    _run(shell, "a fox", cell_id="c-evil", flags="--no-interp")
    card = _run(shell, evil, cell_id="c-evil", flags="--no-interp")
    html = card.bundle()[0]["text/html"]
    strip = html[html.index('<section class="fw-takes"') :]
    assert "<img src=x" not in strip and "&lt;img src=x onerror=alert(1)&gt;" in strip


def test_the_starred_pick_comes_first_in_the_gallery_and_the_export(shell: Shell) -> None:
    from flow_widgets.ui.export import export
    from flow_widgets.ui.gallery import Gallery

    shell.cell("%config FlowMagics.toolbar = True")
    for prompt in FOX:
        card = _run(shell, prompt)
    card.toolbar.click("☆ #2", "takes")
    session = _session(shell)
    gallery = Gallery()  # every job of the session
    try:
        takes = gallery.takes()
        assert takes[0].prompt == FOX[1] and takes[0].starred
        assert [t.starred for t in takes].count(True) == 1
    finally:
        gallery.close()
    page = export("page.html", session.jobs()).read_text()
    picked = page.index("★ pick")
    assert picked < page.index(FOX[0]) and page.index(FOX[1], picked) < page.index(FOX[0])


def test_new_take_shows_its_cost_on_the_button_and_joins_the_strip(shell: Shell) -> None:
    shell.cell("%config FlowMagics.toolbar = True")
    card = _run(shell, FOX[0], cell_id="cell-cost")
    bar = card.toolbar
    (offer,) = [p for g in bar.groups for p in g["actions"] if p["label"] == "new take #2"]
    assert offer["cost"] == f"{card.handles[0].credits} credits" and card.handles[0].credits
    posts = shell.count_requests("POST /videos")
    bar.click("new take #2")
    card.handles[-1].wait(60)
    assert shell.fired(posts) == 1
    html = card.bundle()[0]["text/html"]
    assert _strip_takes(html) == [f"take 1: {FOX[0]}", f"take 2: {FOX[0]}"]
    assert "(same prompt)" in html  # a new take of the same prompt: nothing changed


def test_a_store_that_cannot_write_never_breaks_the_cell(
    shell: Shell, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    from flow_widgets.runtime.take_store import TakeStore

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise sqlite3.OperationalError("disk I/O error")

    shell.cell("%config FlowMagics.toolbar = True")
    posts = shell.count_requests("POST /videos")
    _run(shell, "a lynx on a ridge", cell_id="cell-broken")
    monkeypatch.setattr(TakeStore, "record", broken)  # a real disk failure cannot be staged here
    card = _run(shell, "a lynx on a ridge", cell_id="cell-broken")  # re-attaches: known at once
    card = _run(shell, "a lynx on a high ridge", cell_id="cell-broken")  # a new purchase
    assert shell.fired(posts) == 2 and card.handles[0].status == "completed"
    assert "fw-takes" not in card.bundle()[0]["text/html"]
    assert "new take #2" in card.toolbar.actions
