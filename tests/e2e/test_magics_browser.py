"""The magics in JupyterLab, in headless Chromium: live cards, playable video, and no kernel needed
to see the results again.

A notebook with ``%%flow_video`` and ``%%flow_image`` cells runs against the embedded simulator
(no token). In JupyterLab the cells return at once; the cards must turn from running into a
``<video>`` that actually plays (``readyState`` 4) and images that load — updated in place from
the engine thread. The notebook is then saved, every kernel stopped, and reopened: the results
must still be there and still load, from plain outputs with relative ``src``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.jupyter import Lab, write_notebook

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

VIDEO_READY = """() => {
    const v = document.querySelector('.jp-OutputArea-output video');
    if (!v) return false;
    if (!v.dataset.flowPoked) {
        v.dataset.flowPoked = '1';
        v.muted = true; v.preload = 'auto'; v.load(); v.play().catch(() => {});
    }
    return v.readyState === 4;
}"""
WATCH_CARDS = """() => {
    window.__flowPhases = new Set();
    const note = () => document.querySelectorAll('.fw-card').forEach(
        c => c.classList.forEach(k => window.__flowPhases.add(k)));
    new MutationObserver(note).observe(document.body, {subtree: true, childList: true});
}"""
IMAGES_LOADED = """(count) => {
    // Shown images only: a video's poster output is hidden under its card (lazy, never loaded).
    const imgs = [...document.querySelectorAll('.jp-OutputArea-output img')]
        .filter(i => i.getClientRects().length > 0);
    return imgs.length >= count && imgs.every(i => i.complete && i.naturalWidth > 0);
}"""


def test_cards_turn_into_playable_media_and_survive_without_a_kernel(
    lab: Lab, lab_root: Path
) -> None:
    write_notebook(
        lab_root / "magics.ipynb",
        "%load_ext flow_widgets",
        "%%flow_video -m veo-3.1-lite\na red fox crossing a snowy field <b>at dusk</b>",
        "%%flow_image -n 2\na lighthouse in the rain, watercolour",
    )
    page = lab.page
    lab.open("magics.ipynb")
    page.evaluate(WATCH_CARDS)
    lab.run_all()
    # The cells return at once (interactive); the live card turns into the finished video in
    # place, with no further cell run.
    page.wait_for_selector(".fw-card.fw-completed video", timeout=120_000)
    phases = set(page.evaluate("() => [...window.__flowPhases]"))
    assert phases & {"fw-queued", "fw-running"}, phases
    page.wait_for_function(VIDEO_READY, timeout=60_000)
    src = page.eval_on_selector(".jp-OutputArea-output video", "v => v.currentSrc")
    assert "/files/flow_media/video-a-red-fox" in src
    page.wait_for_function(IMAGES_LOADED, arg=2, timeout=120_000)
    assert "&lt;b&gt;at dusk&lt;/b&gt;" in page.inner_html(".fw-card.fw-completed")
    lab.screenshot("magics-live")
    lab.save()
    saved = json.loads((lab_root / "magics.ipynb").read_text())
    outputs = json.dumps([c.get("outputs") for c in saved["cells"]])
    assert "fw-completed" in outputs and "fw-running" not in outputs

    lab.server.shutdown_kernels()
    page.reload()
    lab.open("magics.ipynb", wait_kernel=False)
    page.wait_for_selector(".fw-card.fw-completed video", timeout=60_000)
    page.wait_for_function(VIDEO_READY, timeout=60_000)
    page.wait_for_function(IMAGES_LOADED, arg=2, timeout=60_000)
    lab.screenshot("magics-reopened")


def test_every_card_updates_in_its_own_cell_while_later_cells_run(lab: Lab, lab_root: Path) -> None:
    """Cards shown by earlier cells keep updating after other cells have run (parent capture)."""
    write_notebook(
        lab_root / "takes.ipynb",
        "%load_ext flow_widgets",
        "%%flow_video -m veo-3.1-lite\nfirst take: a paper boat on a pond",
        "%%flow_video -m veo-3.1-lite\nsecond take: a paper boat in the rain",
        "print('a later cell ran')",
    )
    page = lab.page
    lab.open("takes.ipynb")
    lab.run_all()
    page.wait_for_function(
        "() => document.querySelectorAll('.fw-card.fw-completed video').length >= 2",
        timeout=180_000,
    )
    cells = page.query_selector_all(".jp-CodeCell")
    assert cells[1].query_selector(".fw-card.fw-completed video") is not None
    assert cells[2].query_selector(".fw-card.fw-completed video") is not None
    assert "a later cell ran" in cells[3].inner_text()
