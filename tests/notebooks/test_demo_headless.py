"""``make demo-headless``: the quickstart executed without a browser, rendered as HTML.

The second half of the two-command promise for people who cannot open a browser session (a
server, CI, a quick look): the target must leave an executed notebook and an HTML page next to a
``flow_media/`` folder, and every video and image the page shows must be a real, decodable file
in that folder, linked relatively so the folder can be zipped and opened anywhere.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

from tests.notebooks.executed import cards, media_in_html, media_problems
from tests.notebooks.notebook_files import NOTEBOOK_DIR, is_stripped, read

pytestmark = pytest.mark.e2e

REPO = NOTEBOOK_DIR.parent
STAMP = ".venv/.installed-stamp"


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_demo_headless_writes_html_next_to_its_media(tmp_path: Path) -> None:
    demo = tmp_path / "demo"
    env = {**os.environ, "FLOW_SIM_TIME_SCALE": "0.01"}
    # -o: never reinstall the environment from inside a test (make test has just done it).
    done = subprocess.run(
        ["make", "-s", "-o", STAMP, "demo-headless", f"DEMO_DIR={demo}"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    assert f"Wrote {demo}/quickstart.html" in done.stdout

    executed = nbformat.read(demo / "quickstart.ipynb", as_version=4)  # type: ignore[no-untyped-call]
    assert cards(executed) and all(card.status == "completed" for card in cards(executed))
    assert not media_problems(executed, demo)

    page = (demo / "quickstart.html").read_text(encoding="utf-8")
    shown = media_in_html(page)
    kinds = {kind for kind, _ in shown}
    assert {"video", "image"} <= kinds, shown
    for _, src in shown:
        if src.startswith("data:"):
            continue
        assert src.startswith("flow_media/"), f"{src} is not relative to the page"
        assert (demo / src).stat().st_size > 0
    assert is_stripped(read("quickstart")), "the demo ran the documentation copy in place"
