"""``embed``: a compact H.264/MP3 preview inside the output that plays with no server at all.

Chromium plays every codec, so the browser check alone would not catch AAC sound that VS Code
cannot play; PyAV checks the embedded streams too (H.264 video; MP3, Vorbis or FLAC sound).
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import pytest

from flow_widgets.errors import ValidationError
from flow_widgets.runtime import media_mode
from flow_widgets.runtime.previews import PREVIEW_SHORT_SIDE, video_preview
from flow_widgets.simulator.media import probe
from flow_widgets.ui import media_modes
from flow_widgets.ui.html import gallery_html, within_output_cap
from flow_widgets.ui.view import MediaView
from tests.media.browser import VIDEO_STATE, chromium_page
from tests.media.support import card_html, make_clip, run_notebook

VSCODE_AUDIO = {"mp3", "mp3float", "vorbis", "flac"}
#: The stated budget: about 1 MB of MP4 per 8 s of clip.
BYTES_PER_8_SECONDS = 1024 * 1024


@pytest.fixture(scope="module")
def page() -> Iterator[Any]:
    yield from chromium_page()


def _streams(mp4: bytes) -> tuple[dict[str, str], float, int]:
    with av.open(io.BytesIO(mp4)) as container:
        codecs = {s.type: s.codec_context.name for s in container.streams}
        height = container.streams.video[0].codec_context.height
        width = container.streams.video[0].codec_context.width
        return codecs, float(container.duration or 0) / av.time_base, min(width, height)


def test_preview_is_h264_480p_with_mp3_within_the_budget(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "clip.mp4", width=1280, height=720, seconds=3)
    mp4 = video_preview(clip)
    codecs, duration, short_side = _streams(mp4)
    assert codecs["video"] == "h264" and codecs["audio"] in VSCODE_AUDIO
    assert short_side == PREVIEW_SHORT_SIDE
    assert abs(duration - 3.0) < 0.3
    assert len(mp4) <= BYTES_PER_8_SECONDS * 3 / 8 * 1.25  # MP4 headers on a short clip


def test_mode_setting_refuses_an_unknown_mode_in_one_sentence() -> None:
    with pytest.raises(ValidationError, match=r"one of auto, files, embed, serve; 'inline'"):
        media_mode.set_media_mode("inline")
    env = {"FLOW_MEDIA_MODE": "embed"}
    assert media_mode.media_choice(env).mode == "embed"
    assert "FLOW_MEDIA_MODE" in media_mode.media_choice(env).describe()
    media_mode.set_media_mode("files", "%config FlowMagics.media")
    try:
        assert media_mode.media_choice(env).mode == "files"  # the explicit setting wins
    finally:
        media_mode.reset_media_mode()


def test_output_cap_links_the_file_instead_of_embedding_more() -> None:
    url = "data:video/mp4;base64," + "A" * 1000
    items = [MediaView(kind="video", src=url, link=f"flow_media/v{i}.mp4") for i in range(3)]
    kept = within_output_cap(items, cap=2500)
    assert [m.src for m in kept] == [url, url, "flow_media/v2.mp4"]
    assert kept[2].note and "cap" in kept[2].note
    assert gallery_html(items).count("data:video/mp4") == 3  # the real cap is megabytes


def test_notebook_cap_stops_embedding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = make_clip(tmp_path / "a.mp4", width=320, height=180, seconds=1)
    second = make_clip(tmp_path / "b.mp4", width=320, height=180, seconds=1, audio=False)
    media_mode.set_media_mode("embed")
    media_modes.forget_embedded()
    try:
        one = media_modes.present(MediaView(kind="video", src="a.mp4"), first)
        monkeypatch.setattr(media_modes, "EMBED_NOTEBOOK_CAP", len(one.src) + 10)
        again = media_modes.present(MediaView(kind="video", src="a.mp4"), first)
        other = media_modes.present(MediaView(kind="video", src="b.mp4"), second)
    finally:
        media_mode.reset_media_mode()
        media_modes.forget_embedded()
    assert one.src.startswith("data:video/mp4") and one.link == "a.mp4"
    assert again.src == one.src  # the same file is counted once
    assert other.src == "b.mp4" and other.note and "cap" in other.note


@pytest.mark.timeout(300)
def test_embedded_output_plays_in_a_blank_page(tmp_path: Path, page: Any) -> None:
    nb = run_notebook(
        tmp_path,
        [
            '%config FlowMagics.media = "embed"',
            "%%flow_video -m veo-3.1-lite --wait\na red fox crossing a snowy field",
            "%%flow_image --wait\na lighthouse in fog",
        ],
    )
    video_html = card_html(nb.cells[2])
    image_html = card_html(nb.cells[3])
    clip = next((tmp_path / "flow_media").glob("*.mp4"))

    sources = re.findall(r'<video src="data:video/mp4;base64,([^"]+)"', video_html)
    assert len(sources) == 1
    codecs, _, short_side = _streams(base64.b64decode(sources[0]))
    assert codecs == {"video": "h264", "audio": codecs["audio"]}
    assert codecs["audio"] in VSCODE_AUDIO and short_side <= PREVIEW_SHORT_SIDE
    assert f'href="flow_media/{clip.name}"' in video_html  # the full file is linked

    page.set_content(video_html + image_html)  # no server: about:blank
    states = page.evaluate(VIDEO_STATE)
    assert len(states) == 1 and states[0]["error"] is None
    assert states[0]["ready"] >= 3
    assert abs(states[0]["duration"] - probe(clip.read_bytes()).duration) < 0.3
    images = page.evaluate(
        "() => [...document.querySelectorAll('img')].map(i => [i.src.slice(0, 23), i.naturalWidth])"
    )
    assert images and all(src == "data:image/jpeg;base64," and w > 0 for src, w in images)


def test_panels_never_carry_more_than_the_output_cap() -> None:
    from flow_widgets.ui.html import EMBED_OUTPUT_CAP
    from flow_widgets.ui.panel_html import Take, _thumb, takes_html

    url = "data:video/mp4;base64," + "A" * (3 * 1024 * 1024)
    takes = [
        Take(key=str(i), media=MediaView(kind="video", src=url, link=f"flow_media/v{i}.mp4"))
        for i in range(6)
    ]
    grid = takes_html(takes)
    assert len(grid) < EMBED_OUTPUT_CAP + 64 * 1024
    assert 'src="flow_media/v5.mp4"' in grid and "cap" in grid
    row = _thumb(
        MediaView(
            kind="video", src=url, link="flow_media/v0.mp4", poster="data:image/jpeg;base64,AA"
        )
    )
    assert 'src="flow_media/v0.mp4"' in row and url not in row and 'poster="data:image/jpeg' in row


def test_gifs_are_embedded_as_they_are(tmp_path: Path) -> None:
    from PIL import Image

    from flow_widgets.runtime.previews import preview_data_url

    frames = [Image.new("RGB", (32, 18), (40 * i, 0, 0)) for i in range(3)]
    gif = tmp_path / "loop.gif"
    frames[0].save(gif, save_all=True, append_images=frames[1:], duration=100, loop=0)
    url = preview_data_url(gif, "gif")
    assert url == "data:image/gif;base64," + base64.b64encode(gif.read_bytes()).decode()
    assert preview_data_url(gif, "unknown-kind") is None
