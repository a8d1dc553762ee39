"""A small loopback HTTP server in the kernel, for the media folder only (the ``serve`` mode).

Why: some frontends reach the kernel's ports through a proxy but cannot read files from the
kernel's disk — Colab above all (``google.colab.kernel.proxyPort`` from the output frame). A
clip too large to embed is served from here instead. What it allows is deliberately narrow:

* it listens on 127.0.0.1 only, on a port the system picks;
* every URL starts with a random token (``/<token>/<file>``), new for each server, so another
  page or user on the machine cannot guess a media URL, and nothing outside the token answers;
* only regular files inside the media folder, after resolving ``..`` and symbolic links; no
  directory listing, only ``GET`` and ``HEAD``;
* ``Range`` requests (one range) so players can seek and start before the whole file arrives;
* ``Access-Control-Allow-Origin: *``, because the proxy's origin differs from the notebook's
  and the token already guards the URLs.

Its URLs die with the kernel, so a card in ``serve`` mode still carries its poster (and, in
Colab's ``auto``, an embedded preview while under the cap) for the saved notebook.
"""

from __future__ import annotations

import mimetypes
import os
import re
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

__all__ = ["MediaServer", "media_server", "stop_media_servers"]

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_CHUNK = 256 * 1024


class MediaServer:
    """Serve the files under ``folder`` at ``http://127.0.0.1:<port>/<token>/<relative path>``."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder).resolve()
        self.token = secrets.token_urlsafe(18)
        handler = type("_Handler", (_Handler,), {"server_ref": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self.port = int(self._httpd.server_address[1])
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="flow-media-server", daemon=True
        )
        self._thread.start()

    def path_for(self, file: str | os.PathLike[str]) -> str | None:
        """The URL path (``/<token>/…``) of ``file``, or ``None`` when it is outside the folder."""
        try:
            relative = Path(file).resolve().relative_to(self.folder)
        except ValueError:
            return None
        return f"/{self.token}/" + "/".join(quote(part) for part in relative.parts)

    def url_for(self, file: str | os.PathLike[str]) -> str | None:
        """The loopback URL of ``file`` (reachable from a browser on this machine)."""
        path = self.path_for(file)
        return None if path is None else f"http://127.0.0.1:{self.port}{path}"

    def resolve(self, url_path: str) -> Path | None:
        """The file a request path names, or ``None`` (wrong token, outside, not a file)."""
        parts = urlsplit(url_path).path.split("/", 2)
        if len(parts) != 3 or parts[0] or not secrets.compare_digest(parts[1], self.token):
            return None
        candidate = (self.folder / unquote(parts[2])).resolve()
        if candidate == self.folder or self.folder not in candidate.parents:
            return None
        return candidate if candidate.is_file() else None

    def close(self) -> None:
        """Stop listening (the thread ends with it)."""
        self._httpd.shutdown()
        self._httpd.server_close()


class _Handler(BaseHTTPRequestHandler):
    server_ref: MediaServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        del format, args  # quiet: a notebook's stderr is no place for access logs

    def _refuse(self, status: int, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", "0")
        self.send_header("Access-Control-Allow-Origin", "*")
        self.end_headers()

    def do_HEAD(self) -> None:
        self._serve(body=False)

    def do_GET(self) -> None:
        self._serve(body=True)

    def _serve(self, *, body: bool) -> None:
        file = self.server_ref.resolve(self.path)
        if file is None:
            self._refuse(404)
            return
        size = file.stat().st_size
        start, end = 0, size - 1
        status = 200
        wanted = self.headers.get("Range")
        if wanted:
            match = _RANGE.match(wanted.strip())
            if match is None or not (match.group(1) or match.group(2)):
                self._refuse(416, {"Content-Range": f"bytes */{size}"})
                return
            first, last = match.groups()
            if first:
                start = int(first)
                end = min(int(last), size - 1) if last else size - 1
            else:
                start = max(0, size - int(last))
            if start >= size or start > end:
                self._refuse(416, {"Content-Range": f"bytes */{size}"})
                return
            status = 206
        self.send_response(status)
        kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(end - start + 1))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Cache-Control", "no-cache")
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.end_headers()
        if not body:
            return
        with file.open("rb") as handle:
            handle.seek(start)
            remaining = end - start + 1
            try:
                while remaining > 0:
                    chunk = handle.read(min(_CHUNK, remaining))
                    if not chunk:
                        break
                    self.wfile.write(chunk)
                    remaining -= len(chunk)
            except (BrokenPipeError, ConnectionResetError):
                return  # the player moved on (a seek); nothing to report


_servers: dict[Path, MediaServer] = {}
_lock = threading.Lock()


def media_server(folder: str | os.PathLike[str]) -> MediaServer:
    """The server for ``folder``, started on first use (one per media folder per kernel)."""
    key = Path(folder).resolve()
    with _lock:
        server = _servers.get(key)
        if server is None:
            server = _servers[key] = MediaServer(key)
        return server


def stop_media_servers() -> None:
    """Stop every media server this kernel started."""
    with _lock:
        servers = list(_servers.values())
        _servers.clear()
    for server in servers:
        server.close()
