"""How many bytes a saved notebook spends per generated video, widget state included.

Why this number: results are plain outputs with a relative ``src`` to the file in
``flow_media/`` (DESIGN decisions 2 and 3), so a notebook full of videos should stay small
enough to commit, email and open on nbviewer. Target: 16 KB per video, everything counted — the
cell source, the card's HTML and text, its poster (a JPEG data URL, so the frame shows without
the file), the provenance metadata and the stored state of the card toolbars (forced on here,
as a person in JupyterLab would have them).

For scale, the same files shown with ``IPython.display.Video(embed=True)`` are measured too; the
second row holds our cost to a small share of that.

Ten ``%%flow_video`` cells run in a real kernel through nbclient with ``store_widget_state=True``
against a simulator started inside the kernel (accelerated clock), then the notebook is written
with nbformat exactly as it would be saved.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient

from tests.benchmarks import Result

VIDEOS = 10
TARGET_BYTES_PER_VIDEO = 16 * 1024
TARGET_SHARE_OF_EMBED = 0.05
PROMPTS = [
    "a red fox crossing a snowy field at dusk",
    "a heron taking off from a misty lake",
    "waves breaking on black volcanic sand",
    "a paper boat drifting down a rainy street",
    "a lighthouse beam sweeping through fog",
    "autumn leaves swirling in a courtyard",
    "a hummingbird hovering at a red flower",
    "city lights coming on at blue hour",
    "a steam train crossing a stone viaduct",
    "snow falling on a quiet pine forest",
]
SETUP = """\
%load_ext flow_widgets
%config FlowMagics.toolbar = True
import flow_widgets.runtime.session as _fs
from flow_widgets.simulator import start_background
_fs.session(simulator=start_background(time_scale=0.004, seed=2))
"""


def _execute(folder: Path) -> Any:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_code_cell(SETUP)] + [
        nbformat.v4.new_code_cell(f"%%flow_video -m veo-3.1-lite\n{prompt}")
        for prompt in PROMPTS[:VIDEOS]
    ]
    NotebookClient(
        nb,
        kernel_name="python3",
        timeout=300,
        store_widget_state=True,
        resources={"metadata": {"path": str(folder)}},
    ).execute()
    return nb


def embedded_equivalent(nb: Any, folder: Path) -> Any:
    """The same notebook with each card replaced by ``Video(embed=True)`` of its file."""
    from IPython.display import Video

    embedded = nbformat.from_dict(nbformat.v4.new_notebook())
    embedded.metadata = dict(nb.metadata)
    embedded.metadata.pop("widgets", None)
    for node in nb.cells:
        clone = nbformat.v4.new_code_cell(node.source)
        for path in sorted(folder.glob("flow_media/*.mp4")):
            if path.name.split("-")[0] == "video" and _cell_shows(node, path.name):
                video = Video(str(path), embed=True)
                clone.outputs.append(
                    nbformat.v4.new_output(
                        "display_data",
                        data={"text/html": video._repr_html_(), "text/plain": repr(video)},
                    )
                )
        embedded.cells.append(clone)
    return embedded


def _cell_shows(node: Any, file_name: str) -> bool:
    return any(file_name in str(out.get("data", {})) for out in node.get("outputs", []))


def measure() -> tuple[int, int, int]:
    """``(our bytes, Video(embed=True) bytes, videos)`` for the saved notebook."""
    with tempfile.TemporaryDirectory(prefix="flow-bench-") as tmp:
        folder = Path(tmp)
        old_home = os.environ.get("FLOW_WIDGETS_HOME")
        os.environ["FLOW_WIDGETS_HOME"] = str(folder / "home")
        try:
            nb = _execute(folder)
        finally:
            if old_home is None:
                os.environ.pop("FLOW_WIDGETS_HOME", None)
            else:
                os.environ["FLOW_WIDGETS_HOME"] = old_home
        videos = sum("<video" in str(c.get("outputs", "")) for c in nb.cells)
        if videos != VIDEOS or "widgets" not in nb.metadata:
            raise RuntimeError(f"expected {VIDEOS} videos and stored widget state, got {videos}")
        ours = len(nbformat.writes(nb).encode())
        embedded = len(nbformat.writes(embedded_equivalent(nb, folder)).encode())
    return ours, embedded, videos


def run() -> list[Result]:
    ours, embedded, videos = measure()
    per_video = ours / videos
    embed_per_video = embedded / videos
    return [
        Result(
            f"notebook: saved bytes per video ({videos} videos, widget state stored)",
            per_video / 1024,
            "KB",
            TARGET_BYTES_PER_VIDEO / 1024,
        ),
        Result(
            f"notebook: share of Video(embed=True), which costs {embed_per_video / 1024:.0f} KB"
            "/video",
            100 * ours / embedded,
            "%",
            100 * TARGET_SHARE_OF_EMBED,
        ),
    ]
