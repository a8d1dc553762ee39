"""The quickstart in a real browser, in JupyterLab 4 and in Notebook 7, on the embedded simulator.

What a newcomer does: open ``quickstart.ipynb``, *Run All*, watch the video play, save, close.
The test does exactly that in headless Chromium — every ``<video>`` must reach
``readyState`` 4 (enough data to play through) and every image must load (``naturalWidth`` >
0) — then stops the kernel and reopens the saved notebook with kernels refused, so what it sees
is only what the file kept: the same videos and images must still load.

Screenshots go to ``artifacts/`` (not committed). With ``FLOW_UPDATE_SCREENSHOTS=1`` the
JupyterLab ones are also written, downscaled, to ``docs/screenshots/`` for the README.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.jupyter import JupyterServer, Lab
from tests.notebooks.notebook_files import NOTEBOOK_DIR

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

NOTEBOOK = "quickstart.ipynb"
# Read before the autouse fixture clears FLOW_* variables.
UPDATE_SCREENSHOTS = os.environ.get("FLOW_UPDATE_SCREENSHOTS") == "1"
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SCREENSHOT_WIDTH = 900  # README screenshots: downscaled so each stays well under 200 KB

_MEDIA_STATE = """() => {
    const videos = [...document.querySelectorAll('.jp-OutputArea video')];
    // Shown images only: a video's poster output is hidden under its card (lazy, never loaded).
    const images = [...document.querySelectorAll('.jp-OutputArea img')]
        .filter(i => i.getClientRects().length > 0);
    return {
        videos: videos.map(v => ({src: v.getAttribute('src'), ready: v.readyState})),
        images: images.map(i => ({src: i.getAttribute('src'), complete: i.complete,
                                  width: i.naturalWidth})),
    };
}"""


def _media_state(page: Any) -> dict[str, list[dict[str, Any]]]:
    state: dict[str, list[dict[str, Any]]] = page.evaluate(_MEDIA_STATE)
    return state


def _wait_for_media(page: Any, *, videos: int, images: int, timeout: float = 120.0) -> None:
    """Wait until at least ``videos``/``images`` are shown and every one of them has loaded."""
    deadline = time.monotonic() + timeout
    state: dict[str, list[dict[str, Any]]] = {}
    while time.monotonic() < deadline:
        for element in page.query_selector_all(".jp-OutputArea video, .jp-OutputArea img"):
            # (in the layout: a video's poster output is hidden under its card; an image not
            # loaded yet has no size but is laid out)
            if element.evaluate("e => e.getClientRects().length > 0"):
                element.scroll_into_view_if_needed()  # lazy images load only when near the view
        state = _media_state(page)
        ready = all(v["ready"] == 4 for v in state["videos"]) and all(
            i["complete"] and i["width"] > 0 for i in state["images"]
        )
        if ready and len(state["videos"]) >= videos and len(state["images"]) >= images:
            return
        time.sleep(0.5)
    raise AssertionError(f"media did not load within {timeout} s: {json.dumps(state, indent=1)}")


def _saved_outputs(path: Path, timeout: float = 30.0) -> list[dict[str, Any]]:
    """The outputs in the saved file, once it holds the finished video card."""
    deadline = time.monotonic() + timeout
    outputs: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        try:
            cells = json.loads(path.read_text())["cells"]
        except json.JSONDecodeError:  # caught halfway through the server's write: look again
            time.sleep(0.2)
            continue
        outputs = [o for c in cells if c["cell_type"] == "code" for o in c.get("outputs", [])]
        statuses = [o.get("metadata", {}).get("flow_widgets", {}).get("status") for o in outputs]
        if "completed" in statuses and "queued" not in statuses and "running" not in statuses:
            return outputs
        time.sleep(0.5)
    raise AssertionError(f"the saved notebook never held the finished cards: {outputs!r:.2000}")


def _page_report(page: Any) -> str:
    """Each cell's prompt and the start of its outputs, to see where a run stalled."""
    report: str = page.evaluate(
        """() => [...document.querySelectorAll('.jp-Cell')].map((cell, n) => {
            const prompt = cell.querySelector('.jp-InputArea-prompt');
            const out = cell.querySelector('.jp-OutputArea');
            const shown = out ? out.innerText.slice(0, 300) : '';
            return `${n} ${prompt ? prompt.textContent : ''} ${shown}`;
        }).join('\\n')"""
    )
    return report


def _joined(value: str | list[str]) -> str:
    """A notebook string field (JSON keeps long text as a list of lines)."""
    return value if isinstance(value, str) else "".join(value)


def _refuse_kernels(page: Any) -> list[str]:
    """Make the page unable to start a kernel; returns the refused requests as they happen."""
    refused: list[str] = []

    def refuse(route: Any) -> None:
        if route.request.method == "POST":
            refused.append(route.request.url)
            route.fulfill(status=503, content_type="application/json", body='{"message": "off"}')
        else:
            route.continue_()

    page.route("**/api/sessions**", refuse)
    page.route("**/api/kernels**", refuse)
    return refused


def _screenshot(nb: Lab, name: str, *, for_readme: bool = False) -> Path:
    path = nb.screenshot(name)
    if UPDATE_SCREENSHOTS and for_readme:
        from PIL import Image

        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        with Image.open(path) as shot:
            crop = shot.crop((0, 0, shot.width, min(shot.height, int(shot.width * 1.1))))
            height = round(crop.height * SCREENSHOT_WIDTH / crop.width)
            small = crop.convert("RGB").resize((SCREENSHOT_WIDTH, height), Image.Resampling.LANCZOS)
            small = small.quantize(colors=128, method=Image.Quantize.MEDIANCUT)
            small.save(DOCS_SCREENSHOTS / f"{name}.png", optimize=True)
    return path


def _scroll_to_first_card(page: Any) -> None:
    page.locator(".jp-OutputArea video").first.scroll_into_view_if_needed()


def _dismiss_kernel_error(page: Any, timeout: float = 30.0) -> list[str]:
    """Close the dialogs the refused kernel start brings up; returns their texts."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    quiet_since = time.monotonic()
    while time.monotonic() < deadline:
        dialog = page.locator(".jp-Dialog")
        if dialog.count():
            seen.append(dialog.first.inner_text()[:200])
            no_kernel = page.locator(".jp-Dialog button:has-text('No Kernel')")
            (no_kernel if no_kernel.count() else page.locator(".jp-Dialog .jp-mod-accept")).click()
            quiet_since = time.monotonic()
        elif seen and time.monotonic() - quiet_since > 2.0:
            return seen
        time.sleep(0.25)
    raise AssertionError(f"kernel dialogs kept coming: {seen}")


@pytest.mark.parametrize("app", ["lab", "notebook"])
def test_quickstart_plays_saves_and_reopens_without_a_kernel(
    app: str, tmp_path: Path, chromium: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLOW_SIM_TIME_SCALE", "0.01")
    root = tmp_path / "nb"
    root.mkdir()
    shutil.copyfile(NOTEBOOK_DIR / NOTEBOOK, root / NOTEBOOK)
    label = "jupyterlab" if app == "lab" else "notebook7"

    with JupyterServer(root, app=app) as server:
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        try:
            nb = Lab(context.new_page(), server)
            nb.open(NOTEBOOK)
            try:
                nb.run_all(
                    timeout=180_000
                )  # well inside pytest's limit: a stall fails with a trace
                _wait_for_media(nb.page, videos=1, images=2)
            except BaseException:
                nb.screenshot(f"quickstart-{label}-failure")
                raise AssertionError(
                    _page_report(nb.page) + "\n" + server.log_text()[-3000:]
                ) from None
            _scroll_to_first_card(nb.page)
            _screenshot(nb, f"quickstart-{label}", for_readme=app == "lab")
            nb.save()
            outputs = _saved_outputs(root / NOTEBOOK)
        finally:
            context.close()

        assert not [o for o in outputs if o["output_type"] == "error"], "a cell failed"
        saved_html = "".join(_joined(o.get("data", {}).get("text/html", "")) for o in outputs)
        assert "<video" in saved_html and "flow_media/" in saved_html
        for media in (root / "flow_media").iterdir():
            assert media.stat().st_size > 0, media.name

        server.shutdown_kernels()
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        try:
            page = context.new_page()
            refused = _refuse_kernels(page)
            reopened = Lab(page, server)
            reopened.open(NOTEBOOK, wait_kernel=False)
            dialogs = _dismiss_kernel_error(page)
            _wait_for_media(page, videos=1, images=2)
            _scroll_to_first_card(page)
            _screenshot(reopened, f"quickstart-{label}-reopened", for_readme=app == "lab")
        finally:
            context.close()
        headers = {"Authorization": f"token {server.token}"}
        running = httpx.get(f"{server.base_url}/api/kernels", headers=headers, timeout=10).json()
        assert running == [], "a kernel was running while the saved notebook was checked"
        assert refused, "the reopened page never tried to start a kernel, so the check proves less"
        assert "Error Starting Kernel" in dialogs[0]
