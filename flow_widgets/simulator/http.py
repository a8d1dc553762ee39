"""HTTP plumbing shared by both origins: error bodies, request bodies, and wire-level faults.

Error bodies follow spec §5.1: useapi's own errors are ``{"error": "<message>"}`` (sometimes with
``code``), Google's pass-through errors are ``{"error": {"code", "message", "status", "details":
[{"@type", "reason"}]}}``, and every 429 carries a ``Retry-After`` header and an ISO
``retryAfter`` in the body. Handlers raise :class:`HttpError`; the route wrapper turns it into a
response.

The misbehaving responses (:class:`DroppedResponse`, :class:`TruncatedResponse`,
:class:`TrickleResponse`) need to close a connection without answering, which ASGI has no
message for. Under uvicorn (the simulator's server) they close the connection's transport; under
an in-process transport such as ``httpx.ASGITransport`` they raise :class:`ConnectionDropped`
instead, which the client sees as a failed request -- the same outcome.
"""

from __future__ import annotations

import email.policy
import hashlib
import json
import math
from collections.abc import Mapping
from email.parser import BytesParser
from typing import Any
from urllib.parse import parse_qsl

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from flow_widgets.simulator.clock import iso_time

__all__ = [
    "ConnectionDropped",
    "DroppedResponse",
    "HttpError",
    "TrickleResponse",
    "TruncatedResponse",
    "error_response",
    "google_error",
    "json_response",
    "rate_limited",
    "read_payload",
    "sha256_hex",
]

_FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
_GOOGLE_STATUS = {
    400: "INVALID_ARGUMENT",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}
_GOOGLE_MESSAGE = {
    400: "Request contains an invalid argument.",
    403: "The caller does not have permission.",
    429: "Resource has been exhausted (e.g. check quota).",
    500: "Internal error encountered.",
    503: "The service is currently unavailable.",
}


class ConnectionDropped(ConnectionError):
    """Raised in place of closing a connection when no server transport is reachable."""


class HttpError(Exception):
    """An error answer: status, JSON body and extra headers."""

    def __init__(
        self, status: int, body: Mapping[str, Any] | str, headers: Mapping[str, str] | None = None
    ) -> None:
        self.status = status
        self.body: dict[str, Any] = {"error": body} if isinstance(body, str) else dict(body)
        self.headers = dict(headers or {})
        super().__init__(f"{status}: {self.body.get('error')}")

    def response(self) -> Response:
        return json_response(self.body, self.status, self.headers)


def json_response(
    data: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return JSONResponse(data, status_code=status, headers=dict(headers or {}))


def error_response(status: int, message: str, **extra: Any) -> Response:
    return json_response({"error": message, **extra}, status)


def google_error(status: int, reason: str | None, message: str | None = None) -> dict[str, Any]:
    """Google's error object, as useapi passes it through."""
    error: dict[str, Any] = {
        "code": status,
        "message": message or _GOOGLE_MESSAGE.get(status, "Request failed."),
        "status": _GOOGLE_STATUS.get(status, "UNKNOWN"),
    }
    if reason:
        error["details"] = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason}]
    return error


def rate_limited(
    reason: str, *, retry_after: float, now: float, message: str | None = None
) -> HttpError:
    """A 429 with ``reason``, a ``Retry-After`` header (whole seconds) and ISO ``retryAfter``."""
    seconds = max(1, math.ceil(retry_after))
    body = {
        "error": google_error(429, reason, message),
        "code": 429,
        "retryAfter": iso_time(now + seconds),
    }
    return HttpError(429, body, {"Retry-After": str(seconds)})


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _form_fields(content_type: str, body: bytes) -> dict[str, Any]:
    """Fields of a ``multipart/form-data`` or urlencoded body, as strings (stdlib only)."""
    if content_type.split(";")[0].strip().lower() == "application/x-www-form-urlencoded":
        return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise HttpError(400, "Request body is not valid multipart/form-data; check the boundary.")
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        data = part.get_payload(decode=True)
        fields[name] = data.decode("utf-8", "replace") if isinstance(data, bytes) else ""
    return fields


async def read_payload(request: Request, body: bytes) -> dict[str, Any]:
    """The request's fields: a JSON object, or form fields as strings (multipart or urlencoded).

    Raises:
        HttpError: 400 when the body is not a JSON object or a form.
    """
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() in _FORM_TYPES:
        return _form_fields(content_type, body)
    if not body.strip():
        return {}
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise HttpError(
            400, "Request body is not valid JSON; send a JSON object or multipart/form-data."
        ) from None
    if not isinstance(data, dict):
        raise HttpError(400, "Request body must be a JSON object with the request's fields.")
    return data


# --------------------------------------------------------------------------- wire-level faults


async def _close_connection(receive: Receive, last_words: bytes = b"") -> None:
    """Close the client connection under uvicorn (after writing ``last_words`` raw), then wait
    until the server has noticed."""
    cycle = getattr(receive, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None or not hasattr(transport, "close"):
        raise ConnectionDropped("the simulator dropped the connection (fault switch)")
    if last_words:
        transport.write(last_words)
    transport.close()
    with anyio.move_on_after(5):
        while (await receive())["type"] != "http.disconnect":
            pass


class DroppedResponse(Response):
    """No answer at all (or only the first half of a status line and headers): the connection
    closes after the work was, or was not, done."""

    def __init__(self, inner: Response | None = None) -> None:
        super().__init__(b"", status_code=599)
        self._partial = b""
        if inner is not None:
            head = f"HTTP/1.1 {inner.status_code} \r\n".encode() + b"".join(
                name + b": " + value + b"\r\n" for name, value in inner.raw_headers
            )
            self._partial = head[: len(head) // 2]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await _close_connection(receive, self._partial)


def _head(response: Response) -> dict[str, Any]:
    return {
        "type": "http.response.start",
        "status": response.status_code,
        "headers": response.raw_headers,
    }


class TruncatedResponse(Response):
    """Announces the full ``Content-Length``, sends ``fraction`` of the body, then closes."""

    def __init__(self, inner: Response, fraction: float) -> None:
        super().__init__(bytes(inner.body), status_code=inner.status_code)
        self.raw_headers = inner.raw_headers
        self._cut = int(len(inner.body) * fraction)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(_head(self))
        await send(
            {"type": "http.response.body", "body": bytes(self.body[: self._cut]), "more_body": True}
        )
        await _close_connection(receive)


class TrickleResponse(Response):
    """Sends the body ``chunk`` bytes at a time, ``interval`` seconds apart, until done or gone."""

    def __init__(self, inner: Response, *, chunk: int, interval: float) -> None:
        super().__init__(bytes(inner.body), status_code=inner.status_code)
        self.raw_headers = inner.raw_headers
        self._chunk = max(1, chunk)
        self._interval = interval

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def stream() -> None:
            await send(_head(self))
            data = bytes(self.body)
            for start in range(0, len(data), self._chunk):
                more = start + self._chunk < len(data)
                await send(
                    {
                        "type": "http.response.body",
                        "body": data[start : start + self._chunk],
                        "more_body": more,
                    }
                )
                if more:
                    await anyio.sleep(self._interval)
            if not data:
                await send({"type": "http.response.body", "body": b"", "more_body": False})
            task_group.cancel_scope.cancel()

        async def watch() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            task_group.cancel_scope.cancel()

        async with anyio.create_task_group() as task_group:
            task_group.start_soon(stream)
            task_group.start_soon(watch)
