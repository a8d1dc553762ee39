"""Every click spends once, and each button acts on the take above it — in a real JupyterLab.

A notebook shows a ``%%flow_video`` card with its toolbar and the Studio, on the embedded
simulator. The test double-clicks *new take #2* (one take bought), then presses *new take #3*
(a second, deliberate purchase) and double-clicks *vary #4* (one take, a new seed); presses
*copy as cell* in the row of the second of the takes and checks the clipboard holds that
take's cell with its seed; double-clicks the Studio's *Generate* and presses Ctrl+Enter twice
in a row in its prompt (one take each). A last cell reads the simulator's own count of
``POST /videos``: exactly one per intent.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.jupyter import Lab, write_notebook

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

SETUP = """%load_ext flow_widgets
import flow_widgets as fw
from flow_widgets.simulator.faults import Fault
flow = fw.session()
flow.refresh_accounts()
sim = flow.simulator
posts = sim.app_state.faults.add(Fault(route="POST /videos", action="delay", seconds=0.0))
def fired():
    return next(e["fired"] for e in sim.app_state.faults.listing() if e["id"] == posts.id)"""
CARD = "%%flow_video -m veo-3.1-lite\na paper boat on a pond"
STUDIO = "fw.Studio()"
COUNT = 'print("POSTS", fired())'

BUTTON = ".jp-CodeCell:nth-child({cell}) .fw-press-button[data-label='{label}']"


def _completed_cards(page: object, cell: int) -> int:
    return int(
        page.evaluate(  # type: ignore[attr-defined]
            "(i) => document.querySelectorAll('.jp-Notebook .jp-Cell.jp-CodeCell')[i]"
            ".querySelectorAll('.fw-card.fw-completed').length",
            cell,
        )
    )


def _wait_cards(page: object, cell: int, count: int, timeout: float = 120_000) -> None:
    page.wait_for_function(  # type: ignore[attr-defined]
        "([i, n]) => document.querySelectorAll('.jp-Notebook .jp-Cell.jp-CodeCell')[i]"
        ".querySelectorAll('.fw-card.fw-completed').length >= n",
        arg=[cell, count],
        timeout=timeout,
    )


def test_double_clicks_buy_once_and_each_row_acts_on_its_take(lab: Lab, lab_root: Path) -> None:
    try:
        _drive(lab, lab_root)
    except Exception:
        lab.screenshot("clicks-failure")
        raise


def _drive(lab: Lab, lab_root: Path) -> None:
    write_notebook(lab_root / "clicks.ipynb", SETUP, CARD, STUDIO, COUNT)
    page = lab.page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    lab.open("clicks.ipynb")
    lab.run_all()
    cells = page.locator(".jp-Notebook .jp-Cell.jp-CodeCell")
    card = cells.nth(1)
    _wait_cards(page, 1, 1)

    # A double-click on "new take #2" buys take #2 once; the bar then offers take #3.
    card.locator(".fw-press-button[data-label='new take #2']").dblclick()
    card.locator(".fw-press-button[data-label='new take #3']").wait_for(timeout=60_000)
    _wait_cards(page, 1, 2)
    card.locator(".fw-press-button[data-label='new take #3']").click()
    _wait_cards(page, 1, 3)
    assert card.locator(".fw-card").count() == 3

    # The row of the second take: copy as cell gives take #2's cell, with take #2's seed.
    seeds = [
        re.search(r"seed (\d+)", card.locator(".fw-card").nth(i).inner_text()).group(1)  # type: ignore[union-attr]
        for i in range(3)
    ]
    assert len(set(seeds)) == 3
    row = card.locator(".fw-press-row:has(.fw-press-title:text-is('#2'))")
    row.locator(".fw-press-button[data-label='copy as cell']").click()
    page.wait_for_function(
        "(seed) => document.body.innerText.includes('--seed ' + seed)", arg=seeds[1]
    )
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied.startswith("%%flow_video --model veo-3.1-lite")
    assert f"--seed {seeds[1]}" in copied and "a paper boat on a pond" in copied
    lab.screenshot("clicks-three-takes")

    # A double-click on "vary #4 · N credits" buys take #4 once, with a new seed.
    vary = card.locator(".fw-press-button[data-label='vary #4']")
    assert re.fullmatch(r"vary #4 · \d+ credits", vary.inner_text().strip()), vary.inner_text()
    vary.dblclick()
    card.locator(".fw-press-button[data-label='vary #5']").wait_for(timeout=60_000)
    _wait_cards(page, 1, 4)
    fourth = card.locator(".fw-card").nth(3).inner_text()
    varied = re.search(r"new seed (\d+)", fourth).group(1)  # type: ignore[union-attr]
    assert varied not in seeds

    # The Studio: a double-click on Generate, then Ctrl+Enter pressed twice in a row.
    studio = cells.nth(2)
    prompt = studio.locator(".fw-studio-prompt textarea")
    generate = studio.locator(".fw-studio-generate button")
    prompt.fill("a heron lands on a pier")
    page.wait_for_function(
        "() => { const b = document.querySelector('.fw-studio-generate button');"
        " return b && !b.disabled && b.textContent.includes('credits'); }",
        timeout=30_000,
    )
    generate.dblclick()
    _wait_cards(page, 2, 1)
    prompt.fill("a heron takes off from the pier")
    page.wait_for_function(
        "() => !document.querySelector('.fw-studio-generate button').disabled", timeout=30_000
    )
    # Two presses in one browser task: the second comes before the kernel has answered the
    # first (what a double press is), whatever the machine's speed. Two presses a kernel round
    # trip apart are two intents by design (the second carries the next take the Studio offers).
    prompt.evaluate(
        "(area) => { for (let i = 0; i < 2; i++) area.dispatchEvent(new KeyboardEvent("
        "'keydown', {key: 'Enter', ctrlKey: true, bubbles: true, cancelable: true})); }"
    )
    _wait_cards(page, 2, 2)
    lab.wait_idle()

    # One POST per intent: the cell, take #2, take #3, vary #4, one Generate, one Ctrl+Enter.
    assert "POSTS 6" in lab.run_cell(3)
    assert studio.locator(".fw-card").count() == 2
