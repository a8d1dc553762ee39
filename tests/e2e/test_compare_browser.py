"""Comparisons on a projector: ``fw.show`` and the teaching notebook in JupyterLab at 1280×720.

What a teacher does: open the notebook on a 1280×720 projector, run it, and click *play
together*. The first test checks, in headless Chromium, that ``fw.show(a, b)`` puts both
videos in one row and that one click plays both in sync (their clocks within a fraction of a
second while they run). The second runs the rebuilt teaching notebook: presenter mode makes
card text at least 18 px, each comparison fits its row, and each compared clip is visible once
(the cards above collapse to their text); saved and reopened with no kernel, the comparisons
still stand side by side and their videos load. Screenshots go to ``artifacts/``; with
``FLOW_UPDATE_SCREENSHOTS=1`` the teaching ones are also written to ``docs/screenshots/`` for
the README.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.jupyter import JupyterServer, Lab, write_notebook
from tests.e2e.test_quickstart_browser import _dismiss_kernel_error, _refuse_kernels
from tests.notebooks.notebook_files import NOTEBOOK_DIR

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

# Read before the autouse fixture clears FLOW_* variables.
UPDATE_SCREENSHOTS = os.environ.get("FLOW_UPDATE_SCREENSHOTS") == "1"
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PROJECTOR = {"width": 1280, "height": 720}

_COMPARE_CELLS = (
    "import flow_widgets as fw\n"
    "flow = fw.session()\n"
    "a = flow.video('a red car in a city at noon, pan right', model='veo-3.1-lite').wait(300)\n"
    "b = flow.video('a red car in a city at night, pan left', model='veo-3.1-lite').wait(300)",
    "fw.show(a, b)",
)

_GEOMETRY = """() => [...document.querySelectorAll('.fw-compare')].map(grid => ({
    width: grid.getBoundingClientRect().width,
    takes: [...grid.querySelectorAll('figure.fw-take')].map(figure => {
        const box = (figure.querySelector('video, img') || figure).getBoundingClientRect();
        return {top: Math.round(box.top), width: Math.round(box.width)};
    }),
}))"""

_CLOCKS = """() => [...document.querySelectorAll('.fw-compare video')].map(v => ({
    paused: v.paused, time: v.currentTime, ready: v.readyState, error: v.error && v.error.code,
}))"""


def _wait_for(page: Any, script: str, check: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = page.evaluate(script)
        if check(value):
            return value
        time.sleep(0.25)
    raise AssertionError(f"{what} within {timeout} s: {value}")


def _readme_shot(page: Any, name: str) -> Path:
    """A viewport screenshot (what the projector shows) in artifacts/, and for the README."""
    from tests.e2e.jupyter import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    if UPDATE_SCREENSHOTS:
        from PIL import Image

        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        with Image.open(path) as shot:
            small = shot.convert("RGB").quantize(colors=160, method=Image.Quantize.MEDIANCUT)
            small.save(DOCS_SCREENSHOTS / f"{name}.png", optimize=True)
    return path


def test_show_puts_two_videos_in_one_row_and_one_click_plays_both_in_sync(
    tmp_path: Path, chromium: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLOW_SIM_TIME_SCALE", "0.01")
    root = tmp_path / "nb"
    root.mkdir()
    write_notebook(root / "compare.ipynb", *_COMPARE_CELLS)
    with JupyterServer(root) as server:
        context = chromium.new_context(viewport=PROJECTOR)
        try:
            lab = Lab(context.new_page(), server)
            lab.open("compare.ipynb")
            lab.run_all(timeout=240_000)
            page = lab.page
            page.locator(".fw-compare").first.scroll_into_view_if_needed()
            clocks = _wait_for(
                page,
                _CLOCKS,
                lambda v: len(v) == 2 and all(c["ready"] >= 3 for c in v),
                60,
                "the two videos did not load",
            )
            grids = page.evaluate(_GEOMETRY)
            assert len(grids) == 1, grids
            takes = grids[0]["takes"]
            # One row: same top edge, each at least 380 px wide, together inside the output.
            assert len(takes) == 2 and abs(takes[0]["top"] - takes[1]["top"]) <= 2, grids
            assert min(t["width"] for t in takes) >= 380, grids
            assert all(c["paused"] for c in clocks), clocks

            page.locator(".fw-compare-play").click()  # the one click
            time.sleep(2.0)
            playing = page.evaluate(_CLOCKS)
            lab.screenshot("compare-playing")
            assert not any(c["paused"] for c in playing), playing
            assert min(c["time"] for c in playing) > 0.8, playing
            assert abs(playing[0]["time"] - playing[1]["time"]) < 0.25, playing
            time.sleep(1.0)
            later = page.evaluate(_CLOCKS)
            assert later[0]["time"] > playing[0]["time"] + 0.5, (playing, later)
            assert abs(later[0]["time"] - later[1]["time"]) < 0.25, later

            # Pausing one pauses the other; seeking one moves the other.
            page.evaluate("() => document.querySelectorAll('.fw-compare video')[1].pause()")
            _wait_for(page, _CLOCKS, lambda v: all(c["paused"] for c in v), 5, "not both paused")
            page.evaluate(
                "() => { const v = document.querySelectorAll('.fw-compare video')[0];"
                " v.currentTime = 5.0; }"
            )
            _wait_for(
                page,
                _CLOCKS,
                lambda v: all(abs(c["time"] - 5.0) < 0.1 for c in v),
                5,
                "the seek did not reach both videos",
            )
        finally:
            context.close()


def test_the_teaching_notebook_fits_a_1280_by_720_projector(
    tmp_path: Path, chromium: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLOW_SIM_TIME_SCALE", "0.01")
    root = tmp_path / "nb"
    root.mkdir()
    shutil.copyfile(NOTEBOOK_DIR / "teaching.ipynb", root / "teaching.ipynb")
    with JupyterServer(root) as server:
        context = chromium.new_context(viewport=PROJECTOR)
        try:
            lab = Lab(context.new_page(), server)
            lab.open("teaching.ipynb")
            lab.run_all(timeout=400_000)
            page = lab.page
            grids = _wait_for(
                page,
                _GEOMETRY,
                lambda g: len(g) == 5 and all(len(grid["takes"]) >= 2 for grid in g),
                60,
                "the five comparisons did not all show",
            )
            for grid in grids:
                first_row = [t for t in grid["takes"] if t["top"] == grid["takes"][0]["top"]]
                assert len(first_row) >= 2, grid  # side by side, never stacked
                assert min(t["width"] for t in grid["takes"]) >= 380, grid

            sizes = page.evaluate(
                "() => [...document.querySelectorAll('.fw-card, .fw-compare figcaption')]"
                ".map(e => parseFloat(getComputedStyle(e).fontSize))"
            )
            assert sizes and min(sizes) >= 18, sizes
            shown = page.evaluate(
                "() => [...document.querySelectorAll('.jp-OutputArea video')]"
                ".filter(v => v.getClientRects().length > 0)"
                ".map(v => new URL(v.getAttribute('src'), location.href).pathname)"
            )
            assert len(shown) == len(set(shown)) >= 9, shown  # each clip once

            for _settle in range(2):  # a second pass once the media above have their size
                page.evaluate(
                    "() => document.querySelectorAll('.fw-compare')[0]"
                    ".closest('.jp-Cell').scrollIntoView({block: 'start'})"
                )
                time.sleep(1.0)
            _readme_shot(page, "teaching-compare-1280x720")
            page.evaluate(
                "() => document.querySelectorAll('.fw-compare')[2]"
                ".closest('.jp-Cell').scrollIntoView({block: 'start'})"
            )
            time.sleep(1.0)
            _readme_shot(page, "teaching-light-1280x720")
            page.locator(".jp-Notebook .jp-InputPrompt").first.click()  # not on a player
            page.keyboard.press("Escape")
            page.keyboard.press("Control+s")
            _wait_for(
                page,
                "() => 0",
                lambda _: (
                    (root / "teaching.ipynb").read_text().count('class=\\"fw-compare\\"') >= 5
                ),
                60,
                "the notebook was not saved with its comparisons",
            )
        finally:
            context.close()

        # Reopened with no kernel (and untrusted, so no scripts): still side by side, playable.
        server.shutdown_kernels()
        context = chromium.new_context(viewport=PROJECTOR)
        try:
            page = context.new_page()
            refused = _refuse_kernels(page)
            Lab(page, server).open("teaching.ipynb", wait_kernel=False)
            _dismiss_kernel_error(page)
            grids = _wait_for(
                page,
                _GEOMETRY,
                lambda g: len(g) == 5 and all(len(grid["takes"]) >= 2 for grid in g),
                60,
                "the saved comparisons did not show",
            )
            for grid in grids:
                first_row = [t for t in grid["takes"] if t["top"] == grid["takes"][0]["top"]]
                assert len(first_row) >= 2, grid
            page.locator(".fw-compare video").first.scroll_into_view_if_needed()
            _wait_for(
                page,
                "() => [...document.querySelectorAll('.fw-compare video')].slice(0, 2)"
                ".map(v => v.readyState)",
                lambda states: len(states) == 2 and min(states) >= 1,
                60,
                "the saved videos did not load",
            )
            assert refused, "the reopened page never tried to start a kernel"
        finally:
            context.close()
