"""Every video card carries a small JPEG poster, so a saved notebook shows a frame anywhere.

The notebook test runs real ``%%flow_video`` cells against the simulator in a real kernel, saves
the notebook and renders it with nbconvert's HTML exporter with the media folder deleted, both
plain and *sanitized* (``sanitize_html=True``: what nbviewer-like services show, where the
card's ``<video>`` is escaped): each video must still show its own frame. GitHub's renderer
cannot be reached from here, so what it shows is unverified.
"""

from __future__ import annotations

import base64
import io
import json
import shutil
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from nbconvert import HTMLExporter
from PIL import Image

from flow_widgets.runtime.posters import POSTER_WIDTH, poster_data_url, poster_jpeg
from tests.media.support import make_clip, run_notebook

BUDGET_PER_VIDEO = 16 * 1024


class _Videos(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.posters: list[str | None] = []
        self.images: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "video":
            self.posters.append(dict(attrs).get("poster"))
        if tag == "img":
            self.images.append(dict(attrs).get("src") or "")


def _decoded(url: str) -> Image.Image:
    head, _, body = url.partition(",")
    assert head == "data:image/jpeg;base64"
    return Image.open(io.BytesIO(base64.b64decode(body)))


def test_poster_is_a_small_jpeg_of_a_frame(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "clip.mp4", width=640, height=360, seconds=2)
    jpeg = poster_jpeg(clip)
    assert jpeg is not None and len(jpeg) < 8 * 1024
    picture = Image.open(io.BytesIO(jpeg))
    assert picture.format == "JPEG" and picture.size == (POSTER_WIDTH, 135)
    # A frame of the clip, not a blank: the gradients give it many colours.
    assert len(picture.convert("RGB").getcolors(maxcolors=1 << 16) or ()) > 500
    url = poster_data_url(clip)
    assert url is not None and _decoded(url).size == picture.size


def test_poster_of_a_file_that_is_not_a_video_is_none(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video at all")
    assert poster_data_url(junk) is None
    assert poster_data_url(tmp_path / "missing.mp4") is None


@pytest.mark.timeout(300)
def test_saved_notebook_shows_every_poster_without_the_files(tmp_path: Path) -> None:
    prompts = ["a red fox crossing a snowy field", "a heron over a misty lake"]
    nb = run_notebook(tmp_path, [f"%%flow_video -m veo-3.1-lite --wait\n{p}" for p in prompts])
    saved = tmp_path / "saved.ipynb"
    nbformat.write(nb, saved)
    shutil.rmtree(tmp_path / "flow_media")  # what nbviewer and GitHub have: the notebook only

    body, _ = HTMLExporter().from_notebook_node(nbformat.read(saved, as_version=4))
    videos = _Videos()
    videos.feed(body)
    assert len(videos.posters) == len(prompts)
    frames = [_decoded(p).tobytes() for p in videos.posters if p]
    assert len(frames) == len(prompts) and len(set(frames)) == len(prompts)

    # Sanitized, the card's <video> is escaped text; the poster output shows each frame once.
    sanitized = HTMLExporter(sanitize_html=True)
    body, _ = sanitized.from_notebook_node(nbformat.read(saved, as_version=4))
    shown = _Videos()
    shown.feed(body)
    assert shown.posters == []  # no live <video> survives the sanitizer
    stills = [_decoded(src).tobytes() for src in shown.images if src.startswith("data:image/")]
    assert len(stills) == len(prompts), f"{len(stills)} stills for {len(prompts)} videos"
    assert set(stills) == set(frames)  # each the frame its card carries

    for cell in nb.cells[1:]:
        size = len(json.dumps(cell, indent=1).encode())
        assert size <= BUDGET_PER_VIDEO, f"{size} bytes saved for one video"
