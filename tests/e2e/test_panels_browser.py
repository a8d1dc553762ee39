"""The panels in a real JupyterLab, in headless Chromium, against the embedded simulator.

One notebook shows every panel: the Studio, the jobs dashboard, the credits panel, the gallery,
and the voices and characters managers. The test then works
the Studio like a person: picks models (invalid durations disappear), sees an invalid form keep
*Generate* disabled with its reason, types a prompt, presses *Generate* and waits for a video
that actually plays, then types a second prompt and presses Ctrl+Enter, which generates too —
while the dashboard and the credits panel, in other cells, update without any cell being run
again. Screenshots of each panel go to ``artifacts/`` (not committed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
import pytest

from tests.e2e.jupyter import Lab

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

_CELLS = (
    "import flow_widgets as fw\nflow = fw.session()\nflow.refresh_accounts()\nfw.Studio()",
    "fw.Jobs()",
    "fw.Credits()",
    "fw.Gallery()",
    "fw.Voices()",
    "fw.Characters()",
)


def _notebook(path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in _CELLS]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)


def _accept_kernel_dialog(page: Any) -> None:
    """JupyterLab now and then asks which kernel to start (a modal that swallows every key and
    click until answered); take the one offered."""
    dialog = page.locator(".jp-Dialog:has-text('Select Kernel')")
    if dialog.count():
        dialog.locator("button.jp-mod-accept").click()
        dialog.wait_for(state="detached")


def _run_all(lab: Lab) -> None:
    """Run the cells in order, one at a time, each asked again until JupyterLab shows it
    queued or running: right after a notebook opens, JupyterLab may still be attaching the
    kernel (or asking which one to start) and drops run requests silently, and a retried cell
    that never started cannot run twice."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page = lab.page
    cells = page.locator(".jp-Notebook .jp-Cell.jp-CodeCell")
    for index in range(len(_CELLS)):
        started = (
            "(i) => /[*0-9]/.test(document.querySelectorAll("
            "'.jp-Notebook .jp-Cell.jp-CodeCell')[i].querySelector('.jp-InputArea-prompt')"
            ".textContent)"
        )
        for _attempt in range(6):
            _accept_kernel_dialog(page)
            cells.nth(index).locator(".jp-InputPrompt").click()
            page.keyboard.press("Escape")
            page.keyboard.press("Shift+Enter")
            try:
                page.wait_for_function(started, arg=index, timeout=10_000)
                break
            except PlaywrightTimeout:
                continue
    page.wait_for_function(
        "(n) => [...document.querySelectorAll('.jp-Notebook .jp-Cell.jp-CodeCell')]"
        ".slice(0, n).every(c => /[0-9]/.test(c.querySelector('.jp-InputArea-prompt')"
        ".textContent))",
        arg=len(_CELLS),
        timeout=240_000,
    )


def _options(select: Any) -> list[str]:
    # ipywidgets writes option labels with no-break spaces
    return [
        text.replace("\xa0", " ").strip() for text in select.locator("option").all_inner_texts()
    ]


def _select_by_label(page: Any, label: str) -> Any:
    """The ``<select>`` of the ipywidgets Dropdown described as ``label`` in the Studio."""
    return page.locator(f".fw-studio .widget-dropdown:has(label:text-is('{label}')) select").first


def test_studio_generates_a_playable_video_and_the_other_panels_follow(
    lab: Lab, lab_root: Path
) -> None:
    try:
        _drive_the_panels(lab, lab_root)
    except Exception:
        lab.screenshot("panels-failure")  # for a person to look at
        raise


def _drive_the_panels(lab: Lab, lab_root: Path) -> None:
    _notebook(lab_root / "panels.ipynb")
    lab.open("panels.ipynb")
    _run_all(lab)
    page = lab.page
    page.wait_for_selector(".fw-studio .fw-studio-prompt textarea", timeout=60_000)
    generate = page.locator(".fw-studio .fw-studio-generate button")
    reason = page.locator(".fw-studio .fw-studio-reason")

    # An empty prompt: Generate stays disabled and says why.
    assert generate.is_disabled()
    assert "prompt is empty" in reason.inner_text()

    # Switching the model offers only that model's durations.
    model = _select_by_label(page, "model")
    duration = _select_by_label(page, "duration")
    model.select_option("omni-flash-1.2")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.fw-studio select option')]"
        ".some(o => o.textContent.replace(/\\u00a0/g, ' ').trim() === '12 s')"
    )
    assert "12 s" in _options(duration)
    model.select_option("veo-3.1-fast")
    page.wait_for_function(
        "() => ![...document.querySelectorAll('.fw-studio select option')]"
        ".some(o => o.textContent.replace(/\\u00a0/g, ' ').trim() === '12 s')"
    )
    assert "12 s" not in _options(duration) and "8 s" in _options(duration)

    # An invalid choice: a first/last-frame video with no first frame.
    page.locator(".fw-studio .widget-toggle-buttons button:text-is('First/last frame')").click()
    page.locator(".fw-studio .fw-studio-prompt textarea").fill("the frame comes alive")
    page.wait_for_function(
        "() => (document.querySelector('.fw-studio .fw-studio-reason') || {}).textContent"
        "?.includes('first frame (startImage) is required')"
    )
    assert generate.is_disabled()
    lab.screenshot("panels-studio-invalid")

    # A valid text-to-video form: the cost is shown and Generate works.
    page.locator(".fw-studio .widget-toggle-buttons button:text-is('Text to video')").click()
    page.locator(".fw-studio .fw-studio-prompt textarea").fill("a red fox runs through snow")
    # Wait for the form as the kernel last checked it (the price beside an enabled button), not
    # for the first moment the button is enabled: updates arrive one widget at a time.
    page.wait_for_function(
        "() => !document.querySelector('.fw-studio .fw-studio-generate button').disabled"
        " && document.querySelector('.fw-studio .fw-studio-preview').textContent.includes("
        "'credits')"
    )
    assert "prompt" not in page.locator(".fw-studio .fw-studio-preview").inner_text()
    generate.click()

    # The card lands on the plain results output under the Studio, with a video that plays.
    page.wait_for_selector(".fw-card.fw-completed video", timeout=120_000)
    page.evaluate(
        "() => { const v = document.querySelector('.fw-card.fw-completed video');"
        " v.muted = true; v.preload = 'auto'; v.play(); }"
    )
    page.wait_for_function(
        "() => document.querySelector('.fw-card.fw-completed video').readyState === 4",
        timeout=60_000,
    )
    src = page.evaluate("() => document.querySelector('.fw-card.fw-completed video').src")
    assert "/files/flow_media/video-a-red-fox-runs-through-snow-" in src
    lab.screenshot("panels-studio-result")

    # Ctrl+Enter in the prompt generates too: a second card appears.
    cards = page.locator(".fw-card").count()
    prompt = page.locator(".fw-studio .fw-studio-prompt textarea")
    prompt.click()
    prompt.fill("")
    prompt.type("a heron lands on a pier")
    page.wait_for_function(
        "() => !document.querySelector('.fw-studio .fw-studio-generate button').disabled",
        timeout=30_000,
    )
    prompt.press("Control+Enter")
    page.wait_for_function(
        "(n) => document.querySelectorAll('.fw-card').length > n", arg=cards, timeout=60_000
    )
    page.wait_for_function(
        "() => [...document.querySelectorAll('.fw-card')]"
        ".some(c => c.textContent.includes('a heron lands on a pier'))",
        timeout=60_000,
    )

    # The dashboard and the credits panel followed, with no cell run again.
    page.wait_for_function(
        "() => [...document.querySelectorAll('table.fw-jobs td')]"
        ".some(td => td.textContent.includes('a red fox runs through snow'))",
        timeout=30_000,
    )
    assert "completed" in page.locator("table.fw-jobs").first.inner_text()
    page.wait_for_function(
        "() => /spent this session: [1-9]/.test(document.body.textContent)", timeout=60_000
    )
    _scroll_to(page.locator("table.fw-jobs").first)
    lab.screenshot("panels-jobs")
    _scroll_to(page.get_by_text("spent this session:").first)
    lab.screenshot("panels-credits")

    # The session gallery picked the take up too; the library panels list the voices.
    page.wait_for_selector(".fw-take video", timeout=30_000)
    _scroll_to(page.locator(".fw-take").first)
    lab.screenshot("panels-gallery")
    # textContent, not innerText: innerText depends on layout, and JupyterLab (its default
    # windowing, "contentVisibility") may leave a cell out of view unrendered; the words are in
    # one element, so textContent finds them whatever the layout.
    page.wait_for_function(
        "() => document.body.textContent.includes('30 system voices')", timeout=60_000
    )
    _scroll_to(page.get_by_text("30 system voices").first)
    lab.screenshot("panels-voices")
    _scroll_to(page.get_by_text("create character").first)
    lab.screenshot("panels-characters")

    # Saved, the notebook keeps the results as plain HTML (no widget state needed), small.
    lab.save()
    saved = (lab_root / "panels.ipynb").read_text()
    assert "fw-card fw-completed" in saved and "flow_media/video-a-red-fox" in saved
    assert "fw-panel" in saved  # every panel's static fallback
    assert "data:video" not in saved and len(saved) < 2_000_000


def _scroll_to(locator: Any) -> None:
    """Scroll to a live panel's element for a screenshot; the panels redraw their output while
    jobs move on, so the element found first may be replaced mid-scroll: look it up again."""
    from playwright.sync_api import Error as PlaywrightError

    for attempt in range(5):
        try:
            locator.scroll_into_view_if_needed(timeout=10_000)
            return
        except PlaywrightError as exc:
            if "not attached" not in str(exc) or attempt == 4:
                raise
