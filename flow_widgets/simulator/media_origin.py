"""The media origin: a second ASGI app that serves signed, expiring media URLs.

It stands in for Google's content host (``flow-content.google``) and runs on its own port, so
it is a different origin from the API. Rules, each one a client obligation in disguise:

* ``Authorization`` must never reach it: a request carrying one is answered ``400`` with no
  content, and counted (``mediaAuthorizationRefusals`` in the ledger);
* ``/<video|image|audio>/<name>?Expires=…&KeyName=…&Signature=…``: a bad signature or an old key
  is ``403``, so is a URL past ``Expires`` on the simulated clock -- re-read the job for fresh
  URLs; an unknown name is ``404``;
* ``Range: bytes=a-b`` (single range, ``a-``, ``-n``) answers ``206`` with ``Content-Range``;
  an unsatisfiable range is ``416`` with ``Content-Range: bytes */<size>``; ``If-Range`` with a
  stale ETag gets the whole body;
* every answer carries ``X-Content-SHA256`` (of the whole file), ``ETag``, ``Accept-Ranges``.

Fault switches apply under the route keys ``GET /video/{name}``, ``GET /image/{name}`` and
``GET /audio/{name}`` (or ``"media"`` for all), including the Range modes ``range_ignore`` and
``range_wrong_offset``.
"""

from __future__ import annotations

import asyncio
import re

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from flow_widgets.simulator.http import (
    DroppedResponse,
    TrickleResponse,
    TruncatedResponse,
    json_response,
    sha256_hex,
)
from flow_widgets.simulator.media_store import Blob, Category
from flow_widgets.simulator.routing import forced_status
from flow_widgets.simulator.state import SimulatorState

__all__ = ["create_media_app"]

_CATEGORIES: tuple[Category, ...] = ("video", "image", "audio")
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _byte_range(header: str, size: int) -> tuple[int, int] | str | None:
    """``(start, end)`` inclusive, ``None`` to serve everything, or ``"unsatisfiable"``."""
    match = _RANGE.match(header.strip().replace(" ", ""))
    if match is None or (not match[1] and not match[2]):
        return None  # not a single byte range we understand: ignore it, as RFC 9110 allows
    if not match[1]:
        length = int(match[2])
        if length == 0:
            return "unsatisfiable"
        return max(0, size - length), size - 1
    start = int(match[1])
    end = min(int(match[2]), size - 1) if match[2] else size - 1
    if start >= size or end < start:
        return "unsatisfiable"
    return start, end


def _headers(blob: Blob) -> dict[str, str]:
    return {
        "Content-Type": blob.content_type,
        "Accept-Ranges": "bytes",
        "ETag": f'"{blob.sha256[:32]}"',
        "X-Content-SHA256": blob.sha256,
        "Cache-Control": "private, max-age=3600",
    }


def _serve(request: Request, blob: Blob, mode: str | None) -> Response:
    headers = _headers(blob)
    size = len(blob.data)
    wanted = request.headers.get("range")
    if_range = request.headers.get("if-range")
    if wanted and if_range and if_range.strip() != headers["ETag"]:
        wanted = None
    span = _byte_range(wanted, size) if wanted and mode != "range_ignore" else None
    head = request.method == "HEAD"
    if span == "unsatisfiable":
        headers["Content-Range"] = f"bytes */{size}"
        return Response(b"", status_code=416, headers=headers)
    if isinstance(span, tuple):
        start, end = span
        if mode == "range_wrong_offset":
            start, end = 0, end - start
        headers["Content-Range"] = f"bytes {span[0]}-{span[1]}/{size}"
        part = blob.data[start : end + 1]
        headers["Content-Length"] = str(len(part))
        return Response(b"" if head else part, status_code=206, headers=headers)
    headers["Content-Length"] = str(size)
    return Response(b"" if head else blob.data, status_code=200, headers=headers)


def create_media_app(state: SimulatorState) -> Starlette:
    """The media origin's ASGI app, sharing ``state`` with the API app."""

    async def media(request: Request) -> Response:
        category = request.path_params["category"]
        name = request.path_params["name"]
        route = f"GET /{category}/{{name}}"
        now = state.now()
        entry = state.ledger.record_request(
            time=now,
            origin="media",
            method=request.method,
            path=request.url.path,
            route=route,
            body_sha256=sha256_hex(b""),
            body_bytes=0,
            has_authorization="authorization" in request.headers,
            idempotency_key=None,
            attempt=None,
            range=request.headers.get("range"),
        )
        response = await _answer(request, category, name, route, now)
        entry.status = 0 if isinstance(response, DroppedResponse) else response.status_code
        return response

    async def _answer(
        request: Request, category: str, name: str, route: str, now: float
    ) -> Response:
        if "authorization" in request.headers:
            state.ledger.media_authorization_refusals += 1
            return json_response(
                {"error": "Authorization headers are not accepted by the media host; send none."},
                400,
            )
        if category not in _CATEGORIES:
            return PlainTextResponse("Not Found", status_code=404)
        check = state.signer.check(category, name, dict(request.query_params), now=now)
        if check == "expired":
            return PlainTextResponse(
                "Forbidden: this signed URL has expired; re-read the job for a fresh one.", 403
            )
        if check != "ok":
            return PlainTextResponse("Forbidden: the URL signature is not valid.", 403)
        item = state.media.by_name(name)
        wanted_kind = {"video": "video", "audio": "audio"}.get(category)
        if (
            item is None
            or (wanted_kind and item.kind != wanted_kind)
            or (category == "image" and item.kind == "audio")
        ):
            return PlainTextResponse("Not Found", status_code=404)
        fault = state.faults.match(route, state.faults.count(route), now=now, media=True)
        if fault is not None and fault.action == "status":
            return forced_status(fault, now).response()
        if fault is not None and fault.action in ("reset", "drop"):
            return DroppedResponse()
        if fault is not None and fault.action in ("delay", "delay_reply"):
            await asyncio.sleep(fault.seconds)
        blob = await state.media.blob(item, category)
        response = _serve(request, blob, fault.action if fault is not None else None)
        if fault is not None and fault.action == "truncate" and request.method == "GET":
            return TruncatedResponse(response, fault.fraction)
        if fault is not None and fault.action == "trickle" and request.method == "GET":
            return TrickleResponse(response, chunk=fault.chunk, interval=fault.seconds)
        return response

    async def not_found(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("Not Found", status_code=404)

    app = Starlette(
        routes=[Route("/{category}/{name}", media, methods=["GET", "HEAD"])],
        exception_handlers={404: not_found},
    )
    app.state.sim = state
    return app
