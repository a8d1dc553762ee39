"""``%%flow_image --seeds``/``--compare`` grids record their images as takes of the cell: each
image labelled with its place in the grid, the images of one run kept together on the strip,
the unchanged grid re-run re-attaching (no take, no POST), and the best image starred.
Time budget: about 10 s."""

from __future__ import annotations

import re
from typing import Any

from flow_widgets.magics import _takes
from tests.magics.conftest import Shell

LAKE = [
    "a lighthouse on a cliff, watercolour",
    "a lighthouse on a cliff at dusk, watercolour",
    "a lighthouse on a cliff at dusk in fog, watercolour",
]


def _grid(shell: Shell, prompt: str, flags: str = "-m nano-banana-2 --seeds 1,2,3,4") -> Any:
    source = f"%%flow_image {flags}\n{prompt}"
    result = shell.ip.run_cell(source, store_history=False, cell_id="grid-cell")
    assert result.error_in_exec is None and result.error_before_exec is None
    from flow_widgets.magics._cells import _LIVE

    return _LIVE[-1]


def _strip(card: Any) -> str:
    return str(card.bundle()[0]["text/html"])


def _heads(html: str) -> list[str]:
    return [h.strip() for h in re.findall(r"<div class=\"fw-take-head\">([^<]*)", html)]


def _runs(html: str) -> list[str]:
    return re.findall(r'<li class="fw-take[^"]*"[^>]*data-run="([^"]*)"', html)


def test_each_image_of_a_seeds_grid_is_a_labelled_take_and_a_rerun_adds_none(
    shell: Shell, capsys: Any
) -> None:
    posts = shell.count_requests("POST /images")
    first = _grid(shell, LAKE[0])
    assert shell.fired(posts) == 4
    assert _strip(first).count('<section class="fw-takes"') == 0  # one run: the grid shows it
    takes = first.strip.__self__
    records = takes.records()
    assert [(r.number, r.label, r.seed) for r in records] == [
        (1, "seed 1", 1), (2, "seed 2", 2), (3, "seed 3", 3), (4, "seed 4", 4),
    ]  # fmt: skip
    assert len({r.run for r in records}) == 1 and records[0].run
    # the card's takes row stars an image of the first grid already: "keep the better one"
    assert "☆ #3" in takes.actions(takes_session(shell))
    takes.star(3)

    again = _grid(shell, LAKE[0])  # unchanged: re-attaches, no take, no POST
    assert shell.fired(posts) == 4
    assert [r.number for r in again.strip.__self__.records()] == [1, 2, 3, 4]

    edited = _grid(shell, LAKE[1])
    assert shell.fired(posts) == 8
    html = _strip(edited)
    assert _heads(html) == [
        "#1 · seed 1", "#2 · seed 2", "#3 · seed 3", "#4 · seed 4",
        "#5 · seed 1", "#6 · seed 2", "#7 · seed 3", "#8 · seed 4",
    ]  # fmt: skip
    assert "★ pick" in html and len(set(_runs(html))) == 2
    assert html.count('class="fw-take fw-run-start"') == 1  # the second run is set apart
    assert 'aria-label="added dusk,"' in html  # take #5's words changed from take #4's

    capsys.readouterr()
    shell.ip.run_line_magic("flow", "takes grid-cell")
    listing = capsys.readouterr().out
    assert "8 take(s) of cell:grid-cell" in listing and "pick: #3" in listing
    assert "#3 · seed 3 ★" in listing


def takes_session(shell: Shell) -> Any:
    from flow_widgets.runtime.session import current_session

    return current_session()


def test_the_strip_keeps_whole_runs_of_a_grid(shell: Shell) -> None:
    """Five images a run: three runs are 15 takes, over STRIP_MOST (12), so the strip shows the
    newest two runs whole (10 takes) rather than cutting the oldest run."""
    assert _takes.STRIP_MOST == 12
    for prompt in LAKE:
        card = _grid(shell, prompt, "-m nano-banana-2 --seeds 1,2,3,4,5")
    html = _strip(card)
    numbers = [int(h.split()[0][1:]) for h in _heads(html)]
    assert numbers == list(range(6, 16))
    assert len(set(_runs(html))) == 2
    compare = _grid(shell, LAKE[2], "--compare nano-banana-2,nano-banana-pro --seeds 7")
    labels = [r.label for r in compare.strip.__self__.records()[-2:]]
    assert labels == ["nano-banana-2", "nano-banana-pro"]


def test_a_grid_card_offers_no_new_take_or_vary(shell: Shell) -> None:
    """A grid is many requests: its card offers no *new take*/*vary* that would have to refuse
    (its next takes come from editing or re-running the cell), a single image's card does."""
    shell.cell("%config FlowMagics.toolbar = True")
    grid = _grid(shell, LAKE[0])
    for handle in grid.handles:
        handle.wait(60)
    assert _settled(grid.toolbar, "download")
    assert not [a for a in grid.toolbar.actions if a.startswith(("new take", "vary"))]
    single = _grid(shell, LAKE[2], flags="-m nano-banana-2")
    single.handles[0].wait(60)
    assert _settled(single.toolbar, "new take #2")
    assert single.toolbar.actions[:2] == ["new take #2", "vary #2"]


def _settled(bar: Any, label: str) -> bool:
    """Whether ``bar`` offers ``label`` within 10 s (the card redraws its bar from the engine)."""
    import time

    deadline = time.monotonic() + 10
    while label not in bar.actions and time.monotonic() < deadline:
        time.sleep(0.05)
    return label in bar.actions
