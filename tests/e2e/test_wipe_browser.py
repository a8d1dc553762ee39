"""Two images compared are one component with a wipe, in the strip and in ``fw.show``.

A ``%%flow_image`` cell run with two prompts gets a takes strip; *compare* on the first take
lays it over the second with a named slider, and moving the slider moves the cut. ``fw.show``
of the same two files draws the same wipe (the script of :mod:`flow_widgets.ui.compare`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.jupyter import Lab, write_notebook
from tests.e2e.test_takes_browser import _cell, _edit, _wait

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

SETUP = "%load_ext flow_widgets\n%config FlowMagics.toolbar = False\nimport flow_widgets as fw"
SHOW = (  # the first take's file and the second's
    "from pathlib import Path\n"
    "files = sorted(Path('flow_media').glob('*.png'), key=lambda p: p.stat().st_mtime)\n"
    "fw.show(files[0], files[-1])"
)


def _cut(slider: Any, value: int) -> str:
    """Move ``slider`` to ``value`` as a person does (an input event); the top image's clip."""
    return str(
        slider.evaluate(
            "(s, v) => { s.value = String(v); s.dispatchEvent(new Event('input'));"
            " const grid = s.previousElementSibling;"
            " return grid.querySelectorAll('figure')[1].querySelector('img').style.clipPath; }",
            value,
        )
    )


def test_two_images_get_the_same_wipe_in_the_strip_and_in_show(lab: Lab, lab_root: Path) -> None:
    write_notebook(lab_root / "wipe.ipynb", SETUP, "%%flow_image\na lighthouse", SHOW)
    lab.open("wipe.ipynb")
    try:
        lab.run_cell(0)
        lab.run_cell(1)
        _edit(lab, 1, "%%flow_image\na lighthouse at dusk")
        lab.run_cell(1)
        _wait(lab, "() => document.querySelectorAll('.fw-takes .fw-take-pick').length === 2")
        card = _cell(lab, 1)
        card.locator(".fw-take-pick").nth(0).click()  # compare take 1 with take 2 (shown)
        slider = card.locator(".fw-takes-compare input.fw-compare-wipe")
        slider.wait_for(timeout=30_000)
        assert slider.get_attribute("aria-label") == "wipe between take 2 and take 1"
        assert card.locator(".fw-takes-compare .fw-compare.fw-wipe figure").count() == 2
        marks = card.locator(".fw-takes-compare figcaption mark").all_inner_texts()
        assert marks == ["at", "dusk"]
        assert _cut(slider, 20) == "inset(0px 0px 0px 20%)"

        lab.run_cell(2)
        shown = _cell(lab, 2).locator("input.fw-compare-wipe")
        shown.wait_for(timeout=30_000)
        assert _cut(shown, 70) == "inset(0px 0px 0px 70%)"
        assert _cell(lab, 2).locator(".fw-compare figcaption mark").all_inner_texts() == [
            "at",
            "dusk",
        ]
    except Exception:
        lab.screenshot("wipe-failure")
        raise
