"""A small rewriting proxy on loopback: answers the simulator cannot give.

Why: the simulator is the API's twin, so it never says ``"status": "processing"``, forgets a
field, or sends a shape from a newer API version. The real service might. The proxy forwards
every request to the simulator unchanged and lets a test rewrite chosen answers (status, JSON
body, headers) on the way back, so the client meets the odd answer over real HTTP.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

__all__ = ["Answer", "RewritingProxy"]

_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding"}


@dataclass
class Answer:
    """One answer on its way back; a rewrite changes it in place (or replaces ``body``)."""

    method: str
    path: str
    status: int
    headers: dict[str, str]
    body: bytes
    data: Any = field(default=None)
    drop: bool = False
    """Set by a rewrite: close the connection without answering (the server did the work)."""

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def set_json(self, value: Any) -> None:
        self.body = json.dumps(value).encode()
        self.headers["content-type"] = "application/json"


class RewritingProxy:
    """Forwards to ``upstream`` (``scheme://host:port``); ``rewrite(answer)`` may change answers.

    ``url(prefix)`` is the proxy's base URL with the same path prefix as the upstream API.
    ``seen`` counts requests per ``"METHOD path"``. ``intercept(method, path, body)`` may
    answer a request itself, without forwarding it (a refusal the upstream never sees).
    """

    def __init__(
        self,
        upstream: str,
        rewrite: Callable[[Answer], None],
        intercept: Callable[[str, str, bytes], Answer | None] | None = None,
    ) -> None:
        self.upstream = upstream.rstrip("/")
        self.rewrite = rewrite
        self.intercept = intercept
        self.seen: list[str] = []
        self._http = httpx.Client(timeout=30)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
                headers.pop("Host", None)
                proxy.seen.append(f"{self.command} {self.path.split('?')[0]}")
                answer = proxy.intercept(self.command, self.path, body) if proxy.intercept else None
                if answer is None:
                    reply = proxy._http.request(
                        self.command, proxy.upstream + self.path, headers=headers, content=body
                    )
                    answer = Answer(
                        method=self.command,
                        path=self.path,
                        status=reply.status_code,
                        headers={k: v for k, v in reply.headers.items() if k.lower() not in _HOP},
                        body=reply.content,
                    )
                    proxy.rewrite(answer)
                if answer.drop:
                    self.close_connection = True
                    return
                self.send_response_only(answer.status)  # the answer keeps its own Date
                for key, value in answer.headers.items():
                    self.send_header(key, value)
                self.send_header("content-length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _forward

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def origin(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def url_for(self, upstream_base_url: str) -> str:
        """``upstream_base_url`` (the simulator's API base) with the proxy as its origin."""
        path = httpx.URL(upstream_base_url).raw_path.decode()
        return self.origin + path.rstrip("/")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._http.close()
