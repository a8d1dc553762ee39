"""A saved notebook reopens clean, with widget state saved or not (JupyterLab's default).

A notebook with a ``%%flow_video`` card and its toolbar, the Studio and the jobs dashboard runs
in JupyterLab and is saved. It is then reopened twice: on the same server (a trusted notebook:
JupyterLab's widget renderer is used, and a new kernel has none of the saved models) and on a
fresh server (untrusted). Each time the video must play (``readyState`` 4), the panels' boards
must be there, and no "Error displaying widget" / "model not found" text — nor a widget's plain
repr — may be visible.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.jupyter import JupyterServer, Lab, write_notebook

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

NOTEBOOK = "reopen.ipynb"
CELLS = (
    "%load_ext flow_widgets\nimport flow_widgets as fw",
    "%%flow_video -m veo-3.1-lite\na paper lantern floats over a lake",
    "fw.Studio()",
    "fw.Jobs()",
)
VIDEO_READY = """() => {
    const v = document.querySelector('.fw-card.fw-completed video');
    if (!v) return false;
    if (!v.dataset.flowPoked) {
        v.dataset.flowPoked = '1';
        v.muted = true; v.preload = 'auto'; v.load(); v.play().catch(() => {});
    }
    return v.readyState === 4;
}"""
# Every widget output has settled: drawn (it has elements) or given up (its error text).
WIDGETS_SETTLED = """() => {
    const outs = [...document.querySelectorAll(
        '.jp-OutputArea-output.lm-Panel:not([data-mime-type])')];
    if (outs.length < 3) return false;
    return outs.every(o => o.children.length > 0 || /Error displaying widget/.test(o.textContent));
}"""
UNWANTED = (
    "Error displaying widget",
    "model not found",
    "Loading widget",
    "flow actions",
    "PressBar",
    "VBox(",
    "new take #2",  # a toolbar drawn from saved state, with no kernel to act
    "Text to video",  # the Studio's controls, likewise
)


def _check_reopened(lab: Lab, name: str) -> None:
    page = lab.page
    lab.open(NOTEBOOK, wait_kernel=False)
    page.wait_for_selector(".fw-card.fw-completed video", timeout=60_000)
    page.wait_for_function(VIDEO_READY, timeout=60_000)
    page.wait_for_selector("table.fw-jobs", state="attached", timeout=30_000)
    page.wait_for_function(WIDGETS_SETTLED, timeout=60_000)
    page.wait_for_timeout(1_000)  # a late "model not found" comes right after the restore
    shown = page.evaluate("() => document.querySelector('.jp-Notebook').innerText")
    lab.screenshot(name)
    for text in UNWANTED:
        assert text not in shown, f"{name}: {text!r} is visible:\n{shown[:3000]}"


@pytest.mark.parametrize("saved_state", [False, True], ids=["default-settings", "state-saved"])
def test_a_saved_notebook_reopens_without_widget_errors(
    chromium: Any, tmp_path: Path, saved_state: bool
) -> None:
    root = tmp_path / "nb"
    root.mkdir()
    write_notebook(root / NOTEBOOK, *CELLS)
    label = "default" if not saved_state else "saved"
    with JupyterServer(root, save_widget_state=saved_state) as server:
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        try:
            lab = Lab(context.new_page(), server)
            lab.open(NOTEBOOK)
            lab.run_all()
            lab.page.wait_for_selector(".fw-card.fw-completed video", timeout=120_000)
            lab.page.wait_for_selector(".fw-press-button[data-label='new take #2']")
            lab.save()
            saved = json.loads((root / NOTEBOOK).read_text())
            assert bool(saved["metadata"].get("widgets")) is saved_state
            # Trusted: the same server, its kernel gone; opening starts a new, empty one.
            server.shutdown_kernels()
            lab.page.reload()
            _check_reopened(lab, f"reopened-{label}-trusted")
        finally:
            context.close()
    with JupyterServer(root, save_widget_state=saved_state) as fresh:
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        try:
            _check_reopened(Lab(context.new_page(), fresh), f"reopened-{label}-fresh-server")
        finally:
            context.close()
