"""media_problem: a file is the media it claims (signature; PyAV for video), or says why not."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from flow_widgets.runtime.media_check import media_problem
from flow_widgets.simulator import media


def _file(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_real_media_passes(tmp_path: Path) -> None:
    png = io.BytesIO()
    Image.new("RGB", (4, 4)).save(png, "PNG")
    clip = media.render_video(
        prompt="check", model="veo-3.1-lite", seed=1, duration=0.5, aspect="landscape"
    )
    assert media_problem(_file(tmp_path, "a.png", png.getvalue()), "image") is None
    assert media_problem(_file(tmp_path, "a.mp4", clip), "video") is None


def test_an_error_page_json_or_a_broken_container_is_named(tmp_path: Path) -> None:
    page = _file(tmp_path, "p.mp4", b"<!DOCTYPE html><html>Service error</html>")
    assert "HTML" in (media_problem(page, "video") or "")
    assert "JSON" in (media_problem(_file(tmp_path, "j.png", b'{"error": 1}'), "image") or "")
    broken = _file(tmp_path, "b.mp4", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 200)
    assert "cannot be read" in (media_problem(broken, "video") or "") or "no video" in (
        media_problem(broken, "video") or ""
    )
