"""``%flow export`` / ``fw.export``: one page of results that plays wherever it is opened.

The notebook runs real cells against the simulator in a real kernel; the page is then moved to
another folder with no ``flow_media/`` beside it and opened through ``file://`` in Chromium,
and opened inside JupyterLab (whose HTML viewer runs no script).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flow_widgets.simulator.media import probe
from tests.media.browser import VIDEO_STATE, chromium_page
from tests.media.support import run_notebook

PROMPT = "a red fox <crossing> a snowy field"
IMAGE_PROMPT = "a lighthouse in fog"
IMAGES = "() => [...document.querySelectorAll('img')].map(i => i.naturalWidth)"


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Any]:
    folder = tmp_path_factory.mktemp("export")
    nb = run_notebook(
        folder,
        [
            f"%%flow_video -m veo-3.1-lite --aspect portrait --wait\n{PROMPT}",
            f"%%flow_image --wait\n{IMAGE_PROMPT}",
            "%flow export shared/results",
            "import flow_widgets as fw\nfw.export('page.html', title='Class results')",
        ],
    )
    return folder, next((folder / "flow_media").glob("*.mp4")), nb


@pytest.fixture(scope="module")
def page() -> Iterator[Any]:
    yield from chromium_page()


def test_page_holds_prompts_settings_and_costs(exported: tuple[Path, Path, Any]) -> None:
    folder, _, nb = exported
    said = str(nb.cells[3].outputs)
    assert "results.html" in said and "plays anywhere" in said
    html = (folder / "shared" / "results.html").read_text()
    assert "&lt;crossing&gt;" in html and IMAGE_PROMPT in html  # prompts, escaped
    assert "veo-3.1-lite" in html and "credits" in html  # model and cost
    assert re.search(r"<th[^>]*>aspectRatio</th><td>[^<]*PORTRAIT", html, re.IGNORECASE)
    assert "<script" not in html
    assert html.count('src="data:video/mp4;base64,') == 1
    images = [p for p in (folder / "flow_media").iterdir() if p.suffix in (".png", ".jpg")]
    assert html.count('src="data:image/jpeg;base64,') == len(images) > 0
    assert "Class results" in (folder / "page.html").read_text()


def test_page_plays_from_file_url_in_another_folder(
    exported: tuple[Path, Path, Any], page: Any, tmp_path: Path
) -> None:
    folder, clip, _ = exported
    moved = tmp_path / "elsewhere" / "results.html"
    moved.parent.mkdir()
    shutil.copy(folder / "shared" / "results.html", moved)
    page.goto(moved.as_uri())
    states = page.evaluate(VIDEO_STATE)
    assert len(states) == 1 and states[0]["error"] is None and states[0]["ready"] >= 3
    assert abs(states[0]["duration"] - probe(clip.read_bytes()).duration) < 0.3
    widths = page.evaluate(IMAGES)
    assert widths and all(w > 0 for w in widths)


@pytest.mark.e2e
@pytest.mark.timeout(300)
def test_page_plays_inside_jupyterlab(
    exported: tuple[Path, Path, Any], page: Any, tmp_path: Path
) -> None:
    from tests.e2e.jupyter import JupyterServer

    folder, clip, _ = exported
    root = tmp_path / "lab"
    root.mkdir()
    shutil.copy(folder / "shared" / "results.html", root / "results.html")
    with JupyterServer(root) as server:
        context = page.context.browser.new_context(viewport={"width": 1280, "height": 900})
        try:
            lab = context.new_page()
            lab.goto(server.url("results.html"))
            lab.wait_for_selector("iframe", timeout=90_000)
            frame = None
            for _ in range(120):
                frame = next((f for f in lab.frames if _has_video(f)), None)
                if frame is not None:
                    break
                lab.wait_for_timeout(500)
            assert frame is not None, "JupyterLab did not show the page"
            states = frame.evaluate(VIDEO_STATE)
            assert states[0]["error"] is None and states[0]["ready"] >= 3
            assert abs(states[0]["duration"] - probe(clip.read_bytes()).duration) < 0.3
            widths = frame.evaluate(IMAGES)
            assert widths and all(w > 0 for w in widths)
        finally:
            context.close()


@pytest.mark.timeout(300)
def test_export_with_no_results_says_so_in_one_line(tmp_path: Path) -> None:
    nb = run_notebook(
        tmp_path,
        [
            "try:\n    %flow export empty.html\n"
            "except Exception as exc:\n    print(type(exc).__name__, exc)"
        ],
        setup="%load_ext flow_widgets",
    )
    said = str(nb.cells[1].outputs)
    assert "UsageError" in said and "no results to write" in said
    assert not (tmp_path / "empty.html").exists()


def _has_video(frame: Any) -> bool:
    """True once ``frame`` shows a video; a frame still navigating (JupyterLab loads the page
    into its viewer's iframe) has no document to ask yet."""
    from playwright.sync_api import Error as PlaywrightError

    try:
        return frame.query_selector("video") is not None
    except PlaywrightError:
        return False
