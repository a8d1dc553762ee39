"""Shared pieces of the media-mode tests: real clips and real notebooks run in a real kernel.

Clips are made by the simulator's own encoder (H.264 + AAC, like Veo 3.1's files), so every
conversion here starts from what a user would have in ``flow_media/``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
from nbclient import NotebookClient

from flow_widgets.simulator import _audio
from flow_widgets.simulator._codec import FPS, Mp4Writer

__all__ = ["SETUP", "card_html", "make_clip", "run_notebook"]

SETUP = """\
%load_ext flow_widgets
import flow_widgets.runtime.session as _fs
from flow_widgets.simulator import start_background
_fs.session(simulator=start_background(time_scale=0.004, seed=2))
"""


def make_clip(
    path: Path, *, width: int = 1280, height: int = 720, seconds: float = 8.0, audio: bool = True
) -> Path:
    """An H.264/AAC MP4 of moving gradients (harder to compress than flat colour)."""
    count = round(seconds * FPS)
    sound = _audio.chord(7, count / FPS) if audio else None
    ys, xs = np.mgrid[0:height, 0:width]
    with Mp4Writer(width, height, audio=sound) as writer:
        for index in range(count):
            shift = index * 6
            frame = np.stack(
                [(xs + shift) % 256, (ys + 2 * shift) % 256, ((xs + ys) // 2 + shift) % 256],
                axis=-1,
            ).astype(np.uint8)
            writer.write(frame)
        path.write_bytes(writer.finish())
    return path


def run_notebook(
    folder: Path, cells: Sequence[str], *, setup: str = SETUP, env: dict[str, str] | None = None
) -> Any:
    """Execute ``setup`` + ``cells`` in a fresh kernel whose working folder is ``folder``."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_code_cell(setup)] + [nbformat.v4.new_code_cell(c) for c in cells]
    saved = dict(os.environ)
    os.environ["FLOW_WIDGETS_HOME"] = str(folder / "home")
    os.environ.pop("USEAPI_TOKEN", None)
    os.environ.update(env or {})
    try:
        NotebookClient(
            nb, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(folder)}}
        ).execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return nb


def card_html(cell: Any) -> str:
    """The HTML of the card in a cell's outputs (a video card is followed by its poster)."""
    cards = [
        o["data"]["text/html"]
        for o in cell.outputs
        if "fw-card" in o.get("data", {}).get("text/html", "")
    ]
    assert len(cards) == 1, f"{len(cards)} cards in one cell"
    return str(cards[0])
