"""The Studio, the Jobs list, Credits, the Gallery and a card as one family in a real JupyterLab.

JupyterLab on its default settings (widget state not saved), headless Chromium, the embedded
simulator. One notebook makes two images and a video and shows the video's card, then shows the
four panels. The test runs
axe-core (WCAG 2.1 A and AA tags, ``tests/e2e/axe.py``) on each panel's outputs in the light
theme and again in the dark theme, and expects no violation and a contrast check that saw at
least ``MIN_CONTRAST`` nodes of each panel; then it walks the Studio by keyboard only: from the
prompt, Tab reaches *Generate* without leaving the panel and never lands on a control with no
name, and ArrowDown in a dropdown changes its value instead of moving to the next cell.

Screenshots of the Studio and the Jobs list in both themes go to ``artifacts/``; with
``FLOW_UPDATE_SCREENSHOTS=1`` they are also written to ``docs/screenshots/`` for the README.
Time budget: about 2½ minutes on an idle machine (the timeout below leaves room for a busy one).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.axe import assert_accessible, inject, require_axe
from tests.e2e.jupyter import ARTIFACTS, Lab, write_notebook
from tests.e2e.test_compare_browser import DOCS_SCREENSHOTS, UPDATE_SCREENSHOTS

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.timeout(300)]

CELLS = (
    "import flow_widgets as fw\nflow = fw.session()\nflow.refresh_accounts()\n"
    "done = [flow.image('a paper boat on a pond', new=True),\n"
    "        flow.image('a lighthouse at dusk', new=True),\n"
    "        flow.video('a red fox runs through snow', new=True)]\n"
    "[job.wait(120) for job in done]\nprint('made', len(done))\n"
    "from flow_widgets.ui.cards import LiveCard\n_ = LiveCard(done[2]).show()",
    "fw.Studio()",
    "fw.Jobs()",
    "fw.Gallery()",
    "fw.Credits()",
)
# what axe checks in each cell: its outputs (in the first cell only the card's output, not the
# session's printed text, which JupyterLab turns into links of its own)
PANELS = {
    "card": (0, ".jp-OutputArea-child:has(.fw-card)"),
    "Studio": (1, ".jp-OutputArea"),
    "Jobs": (2, ".jp-OutputArea"),
    "Gallery": (3, ".jp-OutputArea"),
    "Credits": (4, ".jp-OutputArea"),
}
# the contrast rule must see at least this many nodes in each panel (a check that sees nothing
# cannot fail). Measured: card 9, Studio 34, Jobs 37, Gallery 29, Credits 28; with JupyterLab's
# 0 px body left as it is, card 0, Jobs 3, Gallery 6, Credits 1.
MIN_CONTRAST = 8

# Everything that can take focus, and the name a screen reader would read for it.
_NAME = """(el) => {
    const text = (s) => (s || '').replace(/\\s+/g, ' ').trim();
    const by = el.getAttribute('aria-labelledby');
    const byId = (id) => document.getElementById(id)?.textContent;
    if (by) return text(by.split(' ').map(byId).join(' '));
    if (el.getAttribute('aria-label')) return text(el.getAttribute('aria-label'));
    if (el.labels && el.labels.length)
        return text([...el.labels].map(l => l.textContent).join(' '));
    if (['BUTTON', 'A', 'SUMMARY'].includes(el.tagName) && text(el.textContent))
        return text(el.textContent);
    return text(el.getAttribute('title'));
}"""


def _cell(lab: Lab, index: int) -> Any:
    return lab.page.locator(".jp-Notebook .jp-Cell.jp-CodeCell").nth(index)


def test_the_panels_pass_axe_in_light_and_dark_and_the_studio_works_by_keyboard(
    lab: Lab, lab_root: Path
) -> None:
    require_axe()
    write_notebook(lab_root / "family.ipynb", *CELLS)
    lab.open("family.ipynb")
    try:
        lab.run_all()
        _check(lab)
    except Exception:
        lab.screenshot("family-failure")
        raise


def _check(lab: Lab) -> None:
    page = lab.page
    assert "made 3" in _cell(lab, 0).locator(".jp-OutputArea").inner_text()
    # the Dress of each panel has run: the root box wears the family and the slider is named
    page.wait_for_selector(".fw-studio.fw-family .fw-studio-generate button", timeout=60_000)
    page.wait_for_function(
        "() => document.querySelectorAll('.widget-box.fw-family').length >= 4", timeout=30_000
    )
    page.wait_for_function(
        "() => document.querySelectorAll('table.fw-jobs .fw-chip-completed').length >= 3",
        timeout=60_000,
    )
    # each job row has its own named actions, pressed by keyboard (Enter shows the job's card)
    jobs = _cell(lab, 2)
    show = jobs.locator("button[aria-label='show a red fox runs through snow']")
    show.wait_for(timeout=30_000)
    show.focus()
    page.keyboard.press("Enter")
    jobs.locator(".fw-card").first.wait_for(timeout=30_000)
    # an icon never touches its label
    gap = page.evaluate(
        """() => [...document.querySelectorAll('.fw-family .jupyter-button > i.fa')]
            .filter(i => i.nextSibling && i.nextSibling.textContent.trim())
            .map(i => parseFloat(getComputedStyle(i).marginRight))"""
    )
    assert gap and min(gap) >= 4, gap
    # the Gallery's thumbnail grid holds every take
    page.wait_for_function(
        "() => document.querySelectorAll('.fw-family .fw-thumbs .fw-thumb').length >= 3",
        timeout=30_000,
    )
    inject(page)
    _no_violations(lab, "light")
    _shots(lab, "light")

    _keyboard_walk(lab)

    page.click(".lm-MenuBar-itemLabel:text-is('Settings')")
    page.locator(".lm-Menu-itemLabel", has_text="Theme").first.hover()
    page.locator(".lm-Menu-itemLabel", has_text="JupyterLab Dark").first.click()
    page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'", timeout=30_000)
    page.wait_for_timeout(500)  # the theme's stylesheet is applied
    _no_violations(lab, "dark")
    _shots(lab, "dark")


def _no_violations(lab: Lab, theme: str) -> None:
    assert_accessible(lab.page, PANELS, theme=theme, min_contrast=MIN_CONTRAST)


def _keyboard_walk(lab: Lab) -> None:
    page = lab.page
    studio = page.locator(".fw-studio").first
    prompt = studio.locator("textarea.fw-prompt-box-input")
    assert prompt.get_attribute("aria-label") == "prompt"  # its name, not its placeholder
    # the form's groups are named groups; the prompt is in "what"
    assert studio.locator("[role=group][aria-label=what] textarea.fw-prompt-box-input").count() == 1
    prompt.click()
    page.keyboard.type("a heron lands on a pier")
    # A disabled Generate is not in the Tab order: walk once the kernel has priced the prompt
    # (on a busy machine it can lag the typing by more than the walk takes).
    page.wait_for_function(
        "() => { const b = document.querySelector('.fw-studio .fw-studio-generate button');"
        " return b && !b.disabled && b.textContent.includes('credits'); }",
        timeout=30_000,
    )
    visited: list[str] = []
    for _ in range(40):
        page.keyboard.press("Tab")
        here = page.evaluate(
            f"""() => {{
                const el = document.activeElement;
                return {{inside: !!el.closest('.fw-studio'),
                         generate: !!el.closest('.fw-studio-generate'),
                         tag: el.tagName, name: ({_NAME})(el),
                         ring: getComputedStyle(el).outlineStyle + ' '
                               + getComputedStyle(el).outlineWidth}};
            }}"""
        )
        assert here["inside"], f"Tab left the Studio after {visited}"
        assert here["name"], f"a {here['tag']} with no name after {visited}"
        assert here["ring"] == "solid 2px", f"{here['name']}: focus ring {here['ring']}"
        visited.append(here["name"])
        if here["generate"]:
            break
    else:
        raise AssertionError(f"Tab never reached Generate: {visited}")
    assert "credits" in visited[-1], visited  # Generate says what it costs
    assert any(name.startswith("duration") for name in visited), visited

    # ArrowDown in a dropdown moves the dropdown, and focus stays in the same cell
    aspect = studio.locator(".widget-dropdown:has(label:text-is('aspect')) select").first
    aspect.focus()
    before = aspect.input_value()
    page.keyboard.press("ArrowDown")
    page.wait_for_timeout(300)
    assert aspect.input_value() != before, "ArrowDown did not move the aspect dropdown"
    assert aspect.evaluate("(el) => document.activeElement === el"), "focus left the dropdown"


def _shots(lab: Lab, theme: str) -> None:
    """The Studio's and the Jobs list's outputs, for artifacts/ and (on request) the README."""
    for index, name in ((1, "studio"), (2, "jobs")):
        area = _cell(lab, index).locator(".jp-OutputArea")
        area.scroll_into_view_if_needed()
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"family-{name}-{theme}.png"
        area.screenshot(path=str(path))
        if UPDATE_SCREENSHOTS:
            from PIL import Image

            DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            with Image.open(path) as shot:
                small = shot.convert("RGB").quantize(colors=160, method=Image.Quantize.MEDIANCUT)
                small.save(DOCS_SCREENSHOTS / f"family-{name}-{theme}.png", optimize=True)
