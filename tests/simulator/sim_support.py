"""Helpers shared by the simulator's tests: small media, control calls, a webhook inbox."""

from __future__ import annotations

import io
from typing import Any

import httpx

ULTRA = "ultra.demo@gmail.com"
PRO = "pro.demo@gmail.com"
FAST_TIME = 0.002


def png_bytes(
    width: int = 64, height: int = 36, colour: tuple[int, int, int] = (200, 60, 20)
) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def upload(
    api: httpx.Client, email: str, data: bytes | None = None, kind: str = "image/png"
) -> str:
    """Upload ``data`` to ``email``'s account and return its mediaGenerationId."""
    response = api.post(
        f"/assets/{email}", content=data or png_bytes(), headers={"Content-Type": kind}
    )
    assert response.status_code == 200, response.text
    media_id: str = response.json()["mediaGenerationId"]["mediaGenerationId"]
    return media_id


def control(api: httpx.Client, method: str, path: str, **kwargs: Any) -> Any:
    """Call the ``/_sim/`` control API and return its JSON (asserting success)."""
    response = api.request(method, f"/_sim/{path}", **kwargs)
    assert response.status_code in (200, 201), response.text
    return response.json()


def credits_of(api: httpx.Client, email: str) -> int:
    value: int = api.get(f"/accounts/{email}").json()["credits"]["credits"]
    return value


def finish_jobs(api: httpx.Client) -> None:
    """Advance the clock far enough that every running job has ended (URLs re-sign on read)."""
    control(api, "POST", "clock", json={"advance": 3600})


class WebhookInbox:
    """A loopback HTTP server that collects the JSON bodies POSTed to it."""

    def __init__(self) -> None:
        import json
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        received: list[dict[str, Any]] = []
        self.received = received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hook"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


def tiny_mp4(seconds: float = 0.5, width: int = 64, height: int = 36) -> bytes:
    """A small H.264 MP4 made directly with PyAV (independent of the simulator's media code)."""
    import av
    import numpy as np

    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for index in range(max(1, round(seconds * 24))):
            picture = np.full((height, width, 3), index * 9 % 255, dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()
