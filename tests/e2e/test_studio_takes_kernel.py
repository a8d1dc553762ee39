"""A Studio's takes in real IPython kernels: the cell id arrives the way JupyterLab sends it
(``metadata.cellId``), with no ``%load_ext`` (the Studio reads it from the request the kernel
answers); the takes and the star survive a kernel restart; two kernels on one ledger, both
generating from the same Studio cell at once, never share a take number. POSTs are counted at
each kernel's simulator: recording a take never buys anything. Time budget: about 30 s
(three kernel starts)."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.test_magics_kernel import FAST_SESSION, kernel_env
from tests.e2e.test_takes_kernel import Kernel

pytestmark = pytest.mark.e2e

STUDIO = "import flow_widgets as fw\nstudio = fw.Studio()\nstudio"
FOX = ["a red fox in snow", "a red fox in deep snow", "a red fox in deep snow at dawn"]


def _generate(prompts: list[str]) -> str:
    """A cell pressing Generate once per prompt, each take waited for."""
    lines = []
    for prompt in prompts:
        lines += [
            f"studio.prompt.value = {prompt!r}",
            "_r = studio._generate()",
            "assert _r is not None, studio.status.text",
            "_r.handle.wait(60)",
        ]
    return "\n".join(lines)


def _takes(home: Path) -> list[tuple[int, str, int]]:
    """``(number, submission id, starred)`` of every take of the Studio's cell, in the ledger."""
    (ledger,) = home.rglob("ledger*.sqlite3")
    with sqlite3.connect(ledger) as conn:
        rows = conn.execute(
            "SELECT number, submission_id, starred FROM cell_takes"
            " WHERE cell_key = 'cell:studio-cell' ORDER BY number"
        ).fetchall()
    return [(int(n), str(s), int(star)) for n, s, star in rows]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def kernel(tmp_path: Path, home: Path) -> Iterator[Kernel]:
    started = Kernel(tmp_path, kernel_env(home, JPY_SESSION_NAME="studio.ipynb"))
    try:
        yield started
    finally:
        started.shutdown()


def test_a_studio_cells_takes_and_star_survive_a_restart(kernel: Kernel, home: Path) -> None:
    kernel.run(FAST_SESSION)
    kernel.run(STUDIO, cell_id="studio-cell")  # no %load_ext: no pre_run_cell hook
    kernel.run(_generate(FOX[:2]))
    kernel.run("studio.results.takes.cell.star(1)")  # what the bar's ☆ #1 does
    board = kernel.run("print(studio.results.bundle()[0]['text/plain'])")
    assert "#1 ★  first take" in board and "#2  +deep" in board
    assert kernel.run("print(video_posts())").strip() == "2"
    kernel.restart()
    kernel.run(FAST_SESSION)
    kernel.run("%load_ext flow_widgets")
    listing = kernel.run("%flow takes studio-cell")
    assert "2 take(s) of cell:studio-cell (recognised by its cell id)" in listing
    assert "pick: #1" in listing
    # the Studio cell run again after the restart: its next Generate is take #3 of the cell
    kernel.run(STUDIO, cell_id="studio-cell")
    kernel.run(_generate(FOX[2:]))
    board = kernel.run("print(studio.results.bundle()[0]['text/plain'])")
    assert "#1 ★  first take" in board and "#3  +at +dawn" in board
    assert kernel.run("print(video_posts())").strip() == "1"  # this kernel's simulator
    assert [(n, star) for n, _, star in _takes(home)] == [(1, 1), (2, 0), (3, 0)]


def test_two_kernels_on_one_ledger_never_share_a_take_number(tmp_path: Path, home: Path) -> None:
    env = kernel_env(home, JPY_SESSION_NAME="studio.ipynb")
    kernels = [Kernel(tmp_path, env), Kernel(tmp_path, env)]
    try:
        for k in kernels:
            k.run(FAST_SESSION)
            k.run(STUDIO, cell_id="studio-cell")
        prompts = [[f"{p}, kernel {i}" for p in FOX] for i in range(2)]
        # both cells sent before either is waited for: the two kernels generate at once
        sent = [k.send(_generate(mine)) for k, mine in zip(kernels, prompts, strict=True)]
        for k, msg_id in zip(kernels, sent, strict=True):
            k.collect(msg_id, 240)
        takes = _takes(home)
        assert [n for n, _, _ in takes] == list(range(1, 7))
        assert len({sid for _, sid, _ in takes}) == 6
        for k in kernels:
            assert k.run("print(video_posts())").strip() == "3"
            board = k.run("print(studio.results.bundle()[0]['text/plain'])")
            shown = {int(n) for n in re.findall(r"^\s*#(\d+)", board, re.MULTILINE)}
            assert shown >= set(range(1, 7)), board  # each strip shows both kernels' takes
    finally:
        for k in kernels:
            k.shutdown()


def test_headless_a_named_studio_saves_its_strip_in_the_notebook(tmp_path: Path) -> None:
    """nbclient sends no cell id: ``fw.Studio(name=…)`` names the cell. The Studio's board is
    a plain output of the Studio's cell, updated in place by later cells; the saved notebook
    holds the strip with both takes and their files' links — what a reopened notebook shows
    with no kernel and no widget state."""
    from tests.e2e.test_magics_kernel import cell, execute

    nb = execute(
        tmp_path,
        [
            cell(FAST_SESSION, "setup"),
            cell("import flow_widgets as fw\nstudio = fw.Studio(name='fox')\nstudio", "studio"),
            cell(_generate(FOX[:2]), "generate"),
            cell("studio.results.board.refresh_now()", "publish"),
        ],
        env=kernel_env(tmp_path / "home", JPY_SESSION_NAME="headless.ipynb"),
    )
    (studio,) = [c for c in nb.cells if "studio" in c.metadata["tags"]]
    html = "".join(o.get("data", {}).get("text/html", "") for o in studio.outputs)
    assert html.count('<li class="fw-take"') == 2
    assert "matched by name" in html
    assert '<ins class="fw-add" aria-label="added deep">deep</ins>' in html
    assert html.count('href="flow_media/') >= 2  # each take links its file
