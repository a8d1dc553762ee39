"""``serve``: the kernel's loopback media server, and Colab's ``auto`` choice.

The server is real (loopback HTTP, real files, real Chromium on another origin). Colab itself
cannot be reached from here: it is the one part replaced by a stand-in — a ``google.colab``
module put into ``sys.modules`` for the choice, and a page-side ``google.colab.kernel.proxyPort``
that answers with another host name for the same port, as Colab's proxy answers with its own.
"""

from __future__ import annotations

import sys
import threading
import types
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from flow_widgets.runtime import media_mode
from flow_widgets.runtime.media_server import MediaServer
from flow_widgets.simulator.media import probe
from flow_widgets.ui import media_modes
from flow_widgets.ui.html import gallery_html
from flow_widgets.ui.view import MediaView
from tests.media.browser import VIDEO_STATE, chromium_page
from tests.media.support import make_clip


@pytest.fixture(scope="module")
def clip_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("serve")
    media = root / "flow_media"
    media.mkdir()
    make_clip(media / "fox clip.mp4", width=640, height=360, seconds=2)
    (media / "sub").mkdir()
    (media / "sub" / "note.txt").write_text("inside")
    (root / "secret.txt").write_text("outside the media folder")
    (media / "link.txt").symlink_to(root / "secret.txt")
    return media


@pytest.fixture(scope="module")
def server(clip_folder: Path) -> Iterator[MediaServer]:
    running = MediaServer(clip_folder)
    yield running
    running.close()


@pytest.fixture(scope="module")
def page() -> Iterator[Any]:
    yield from chromium_page()


def test_range_requests_are_honoured(server: MediaServer, clip_folder: Path) -> None:
    data = (clip_folder / "fox clip.mp4").read_bytes()
    url = server.url_for(clip_folder / "fox clip.mp4")
    assert url is not None and "%20" in url and server.token in url
    whole = httpx.get(url)
    assert whole.status_code == 200 and whole.content == data
    assert whole.headers["accept-ranges"] == "bytes"
    assert whole.headers["content-type"] == "video/mp4"
    part = httpx.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == data[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(data)}"
    tail = httpx.get(url, headers={"Range": "bytes=-50"})
    assert tail.status_code == 206 and tail.content == data[-50:]
    rest = httpx.get(url, headers={"Range": f"bytes={len(data) - 10}-"})
    assert rest.content == data[-10:]
    beyond = httpx.get(url, headers={"Range": f"bytes={len(data)}-"})
    assert beyond.status_code == 416
    head = httpx.head(url)
    assert head.status_code == 200 and head.headers["content-length"] == str(len(data))


@pytest.mark.parametrize(
    "path",
    [
        "/{token}/../secret.txt",
        "/{token}/%2e%2e/secret.txt",
        "/{token}/sub/..%2f..%2fsecret.txt",
        "/{token}/link.txt",  # a symbolic link leading outside
        "/{token}/",  # no listing
        "/{token}/sub",  # no listing
        "/{token}",
        "/",
        "/wrong-token/fox%20clip.mp4",
        "/{token}/missing.mp4",
    ],
)
def test_paths_outside_the_folder_are_refused(server: MediaServer, path: str) -> None:
    url = f"http://127.0.0.1:{server.port}{path.format(token=server.token)}"
    with httpx.Client() as client:
        request = client.build_request("GET", url)
        request.url = request.url.copy_with(raw_path=path.format(token=server.token).encode())
        answer = client.send(request)
    assert answer.status_code == 404
    assert b"outside" not in answer.content and b"fox" not in answer.content


def test_inside_file_in_a_subfolder_is_served(server: MediaServer, clip_folder: Path) -> None:
    url = server.url_for(clip_folder / "sub" / "note.txt")
    assert url is not None and httpx.get(url).text == "inside"
    assert server.url_for(clip_folder.parent / "secret.txt") is None


def test_served_url_plays_from_another_origin(
    server: MediaServer, clip_folder: Path, page: Any, tmp_path: Path
) -> None:
    (tmp_path / "index.html").write_text("<!doctype html><title>another origin</title>")
    handler = type("Quiet", (SimpleHTTPRequestHandler,), {"log_message": lambda *a: None})
    other = ThreadingHTTPServer(("127.0.0.1", 0), lambda *a: handler(*a, directory=str(tmp_path)))
    threading.Thread(target=other.serve_forever, daemon=True).start()
    try:
        page.goto(f"http://127.0.0.1:{other.server_address[1]}/index.html")
        url = server.url_for(clip_folder / "fox clip.mp4")
        page.set_content(f'<video src="{url}" controls></video>')
        states = page.evaluate(VIDEO_STATE)
        expected = probe((clip_folder / "fox clip.mp4").read_bytes()).duration
        assert states[0]["error"] is None and states[0]["ready"] >= 3
        assert abs(states[0]["duration"] - expected) < 0.3
        status = page.evaluate(
            "async u => { const r = await fetch(u, {headers: {Range: 'bytes=0-9'}});"
            " return [r.status, (await r.arrayBuffer()).byteLength]; }",
            url,
        )
        assert status == [206, 10]
    finally:
        other.shutdown()
        other.server_close()


@pytest.fixture
def colab(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A stand-in ``google.colab`` module: the only part of Colab that is not real here."""
    google = types.ModuleType("google")
    stand_in = types.ModuleType("google.colab")
    google.colab = stand_in  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "google", google)
    monkeypatch.setitem(sys.modules, "google.colab", stand_in)
    media_mode.reset_media_mode()
    media_modes.forget_embedded()
    yield
    media_modes.forget_embedded()


def test_colab_embeds_under_the_cap_and_serves_beyond(
    colab: None, clip_folder: Path, monkeypatch: pytest.MonkeyPatch, page: Any
) -> None:
    choice = media_mode.media_choice(env={})
    assert (choice.frontend, choice.mode) == ("colab", "colab")
    assert "Colab" in choice.describe()
    clip = clip_folder / "fox clip.mp4"
    view = MediaView(kind="video", src="flow_media/fox%20clip.mp4", file_name=clip.name)
    embedded = media_modes.present(view, clip)
    assert embedded.src.startswith("data:video/mp4;base64,") and embedded.serve_port is None

    media_modes.forget_embedded()
    monkeypatch.setattr(media_modes, "EMBED_NOTEBOOK_CAP", 1000)
    served = media_modes.present(view, clip)
    assert served.src.startswith("http://127.0.0.1:") and served.serve_port is not None
    assert served.poster and served.poster.startswith("data:image/jpeg")  # for the saved file
    html = gallery_html([served])
    assert "data-fw-port" in html and "proxyPort" in html

    # Colab's proxy hands back its own origin for the port; a stand-in answers "localhost".
    page.set_content(
        "<script>window.google={colab:{kernel:{proxyPort:"
        "async p => 'http://localhost:' + p + '/'}}};</script>" + html
    )
    page.wait_for_function("document.querySelector('video').src.startsWith('http://localhost')")
    states = page.evaluate(VIDEO_STATE)
    assert states[0]["error"] is None and states[0]["ready"] >= 3


def test_serve_mode_without_colab_keeps_the_loopback_url(clip_folder: Path) -> None:
    media_mode.set_media_mode("serve", "%config FlowMagics.media")
    try:
        clip = clip_folder / "fox clip.mp4"
        served = media_modes.present(MediaView(kind="video", src="flow_media/x.mp4"), clip)
    finally:
        media_mode.reset_media_mode()
    assert served.src.startswith("http://127.0.0.1:") and served.link == "flow_media/x.mp4"
    assert httpx.get(served.src, headers={"Range": "bytes=0-3"}).status_code == 206
