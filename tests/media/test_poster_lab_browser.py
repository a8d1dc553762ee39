"""JupyterLab, Notebook 7 and nbconvert's HTML show each video's still once: the poster output
under a card is hidden where the card shows, and is what a sanitized page shows instead.

Two ``%%flow_video`` cells run in a real JupyterLab and Notebook 7 (default settings) against
the simulator, in Debian's Chromium. The notebook then holds, per video, the card and its
poster output (the JPEG that sanitizing renderers show): live, and again after saving and
reopening on the same server (a trusted notebook, new kernel), the cards' videos are visible
and no poster image nor placeholder is. Changed elsewhere (its signature no longer matches, as
with a notebook someone else made) the notebook is untrusted: the card's style rule is
sanitized away and the still shows under each card — expected, and checked so the README's
words stay true.

The same notebook, run by nbclient and exported with nbconvert, is loaded into Chromium: the
plain page shows the cards' videos and no separate still; the sanitized page (what
nbviewer-like services show) has no video and shows each still.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.jupyter import JupyterServer, Lab, launch_chromium, write_notebook
from tests.media.support import SETUP, run_notebook

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

NOTEBOOK = "posters.ipynb"
PROMPTS = ("a paper lantern floats over a lake", "a heron over a misty lake")
# What a person sees: visible videos of finished cards, visible poster outputs (image outputs, not
# the stills of a card's takes strip) and placeholders.
SEEN = """() => {
    const visible = e => e.getClientRects().length > 0
        && getComputedStyle(e).visibility !== 'hidden';
    const nb = document.querySelector('.jp-Notebook');
    return {
        videos: [...nb.querySelectorAll('.fw-card.fw-completed video')].filter(visible).length,
        stills: [...nb.querySelectorAll('.jp-RenderedImage img[src^="data:image/jpeg"]')]
            .filter(visible).length,
        stillsAttached: nb.querySelectorAll(
            '.jp-RenderedImage img[src^="data:image/jpeg"]').length,
        slots: [...nb.querySelectorAll('.fw-poster-slot')]
            .filter(e => visible(e.closest('.jp-OutputArea-child'))).length,
    };
}"""
READY = f"""() => {{
    const seen = ({SEEN})();
    return seen.videos === {len(PROMPTS)} && seen.stillsAttached === {len(PROMPTS)};
}}"""


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


def _seen(lab: Lab) -> dict[str, int]:
    lab.page.wait_for_function(READY, timeout=120_000)
    lab.page.wait_for_timeout(500)  # styles of the last output applied
    seen: dict[str, int] = lab.page.evaluate(SEEN)
    return seen


@pytest.mark.timeout(600)
@pytest.mark.parametrize("app", ["lab", "notebook"], ids=["jupyterlab", "notebook7"])
def test_each_still_shows_once_live_and_reopened(chromium: Any, tmp_path: Path, app: str) -> None:
    root = tmp_path / "nb"
    root.mkdir()
    write_notebook(
        root / NOTEBOOK, SETUP, *(f"%%flow_video -m veo-3.1-lite --wait\n{p}" for p in PROMPTS)
    )
    home = {"FLOW_WIDGETS_HOME": str(tmp_path / "home")}
    with JupyterServer(root, app=app, env=home) as server:
        context = chromium.new_context(viewport={"width": 1280, "height": 1600})
        try:
            lab = Lab(context.new_page(), server)
            lab.open(NOTEBOOK)
            lab.run_all()
            live = _seen(lab)
            lab.screenshot(f"posters-{app}-live")
            assert live == {"videos": 2, "stills": 0, "stillsAttached": 2, "slots": 0}, live
            lab.save()
            server.shutdown_kernels()
            lab.page.reload()
            lab.open(NOTEBOOK, wait_kernel=False)
            reopened = _seen(lab)
            lab.screenshot(f"posters-{app}-reopened-trusted")
            assert reopened == {"videos": 2, "stills": 0, "stillsAttached": 2, "slots": 0}
        finally:
            context.close()
    # Changed elsewhere (as a notebook from someone else is): its signature no longer matches.
    import nbformat

    shared = nbformat.read(root / NOTEBOOK, as_version=4)
    shared.cells.append(nbformat.v4.new_markdown_cell("Shared with the class."))
    nbformat.write(shared, root / NOTEBOOK)
    with JupyterServer(root, app=app, env=home) as fresh:
        context = chromium.new_context(viewport={"width": 1280, "height": 1600})
        try:
            lab = Lab(context.new_page(), fresh)
            lab.open(NOTEBOOK, wait_kernel=False)
            untrusted = _seen(lab)
            lab.screenshot(f"posters-{app}-reopened-untrusted")
            # Sanitized, the card loses its style rule: the still shows under each card.
            assert untrusted["videos"] == 2 and untrusted["stills"] == 2, untrusted
        finally:
            context.close()


@pytest.mark.timeout(300)
def test_exported_pages_show_each_still_once(chromium: Any, tmp_path: Path) -> None:
    from nbconvert import HTMLExporter

    nb = run_notebook(tmp_path, [f"%%flow_video -m veo-3.1-lite --wait\n{p}" for p in PROMPTS])
    page = chromium.new_page()
    try:
        for sanitize, expected in (
            (False, {"videos": 2, "stills": 0}),
            (True, {"videos": 0, "stills": 2}),
        ):
            body, _ = HTMLExporter(sanitize_html=sanitize).from_notebook_node(nb)
            page.set_content(body)
            seen = page.evaluate(
                """() => {
                const visible = e => e.getClientRects().length > 0;
                return {
                    videos: [...document.querySelectorAll('video')].filter(visible).length,
                    // image outputs only: a card's takes strip has stills of its own
                    stills: [...document.querySelectorAll(
                        '.jp-RenderedImage img[src^="data:image/jpeg"]')]
                        .filter(visible).length,
                };
            }"""
            )
            assert seen == expected, f"sanitize_html={sanitize}: {seen}"
            assert "poster-slot" not in page.inner_text("body")  # no rule shown as text
    finally:
        page.close()
