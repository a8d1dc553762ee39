"""Arrow keys in the panels belong to the panels, not to JupyterLab's notebook.

On JupyterLab's default settings, a focused ``<select>`` in an output does not count as an
editor, so the notebook's command-mode shortcuts took ArrowDown (focus jumped to the next cell
and the dropdown did not move). This test focuses the Studio's *model* dropdown and the
Gallery's *A* dropdown, presses ArrowDown in each, and checks that the value moved, that focus
is still in the same control of the same panel, and that the kernel saw the new value; then it
walks the Gallery's thumbnail grid by keyboard (ArrowRight, Space) and checks the tiles are
named by their prompts and the kernel got the pick.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.jupyter import Lab, write_notebook

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

CELLS = (
    "import flow_widgets as fw\nflow = fw.session()\nflow.refresh_accounts()\n"
    "studio = fw.Studio()\nstudio",
    "gallery = fw.Gallery('media')\ngallery",
    "print('indices', studio.model.index, gallery.a.index, *gallery.selection.value)",
)


def _press_down(lab: Lab, select: Any) -> tuple[str, str]:
    """Focus ``select``, press ArrowDown (ArrowUp on its last option); (before, after)."""
    select.scroll_into_view_if_needed()
    select.focus()
    before = str(select.input_value())
    last = select.evaluate("(el) => el.selectedIndex === el.options.length - 1")
    lab.page.keyboard.press("ArrowUp" if last else "ArrowDown")
    lab.page.wait_for_timeout(300)  # a moved focus or value settles within a frame or two
    return before, str(select.input_value())


def _focus_is(select: Any) -> bool:
    return bool(select.evaluate("(el) => document.activeElement === el"))


def test_arrow_keys_move_panel_dropdowns_and_focus_stays(lab: Lab, lab_root: Path) -> None:
    media = lab_root / "media"
    media.mkdir()
    from PIL import Image

    for name, colour in (
        ("image-a-red-fox-3f2a9c1b07-0.png", "#c2410c"),
        ("image-a-grey-wolf-4a1b2c3d4e-0.png", "#6b7280"),
    ):
        Image.new("RGB", (48, 32), colour).save(media / name)
    write_notebook(lab_root / "keys.ipynb", *CELLS)
    lab.open("keys.ipynb")
    try:
        lab.run_all()
        _check(lab)
    except Exception:
        lab.screenshot("panel-keys-failure")
        raise


def _check(lab: Lab) -> None:
    page = lab.page
    page.wait_for_selector(".fw-studio select", timeout=60_000)
    # The guard marks each panel's root box once it is on the page.
    page.wait_for_selector(".fw-studio[data-fw-keys]", timeout=30_000)

    model = page.locator(".fw-studio .widget-dropdown:has(label:text-is('model')) select").first
    assert model.locator("option").count() >= 2, "the Studio offers several models"
    before, after = _press_down(lab, model)
    assert after != before, "ArrowDown did not move the Studio's model dropdown"
    assert _focus_is(model), "focus left the Studio's model dropdown"

    cells = page.locator(".jp-Notebook .jp-Cell.jp-CodeCell")
    gallery_a = cells.nth(1).locator(".widget-dropdown:has(label:text-is('A')) select").first
    gallery_a.wait_for(timeout=60_000)
    assert gallery_a.locator("option").count() >= 2, "the Gallery lists both takes"
    before, after = _press_down(lab, gallery_a)
    assert after != before, "ArrowDown did not move the Gallery's A dropdown"
    assert _focus_is(gallery_a), "focus left the Gallery's A dropdown"

    # The Gallery's takes are a grid of thumbnails, named by their prompts, used by keyboard:
    # ArrowRight moves to the next tile, Space selects it, and focus stays on it.
    tiles = cells.nth(1).locator(".fw-thumbs button.fw-thumb")
    tiles.first.wait_for(timeout=30_000)
    assert tiles.count() == 2
    assert sorted(tiles.locator("img").evaluate_all("(els) => els.map(e => e.alt)")) == [
        "a grey wolf",
        "a red fox",
    ]
    tiles.first.focus()
    page.keyboard.press("ArrowRight")
    second = tiles.nth(1)
    assert second.evaluate("(el) => document.activeElement === el"), "focus left the grid"
    page.keyboard.press("Space")
    page.wait_for_function(
        "(el) => el.getAttribute('aria-pressed') === 'true'", arg=second.element_handle()
    )
    assert second.evaluate("(el) => el.closest('.fw-thumbs').contains(document.activeElement)")
    picked = str(second.get_attribute("data-key"))

    # The kernel saw every move (the widgets synced, not just the page).
    page.keyboard.press("Tab")  # leave the dropdown the way a keyboard user does
    wanted = [
        model.evaluate("(el) => el.selectedIndex"),
        gallery_a.evaluate("(el) => el.selectedIndex"),
    ]
    out = lab.run_cell(2)
    words = out.split()
    assert "indices" in words, out
    after = words[words.index("indices") + 1 :]
    assert [int(w) for w in after[:2]] == wanted, out
    assert after[2:] == [picked], out
