"""What every API request goes through before and after its handler.

For each request, in order: the ledger records it (body hash, whether ``Authorization`` was
present -- never its value -- ``Idempotency-Key``, attempt header); due job transitions are
settled; the route's request counter moves; the bearer token is checked (401
``{"error": "Unauthorized"}``); a matching fault switch may answer instead, delay, or reset the
connection; the handler runs, its :class:`~flow_widgets.simulator.http.HttpError` or
``ValidationError`` becoming the documented error body; and a fault may then spoil the answer
(drop, delay, truncate, trickle, malformed). The status sent is written back to the ledger.

Authentication: with no configured token (demo mode) any non-empty bearer token passes; with a
token, only that one (compared in constant time).
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from flow_widgets.api.requests import wants_async
from flow_widgets.api.requests._evidence import SERVER_ENFORCED, enforcing
from flow_widgets.errors import ValidationError
from flow_widgets.simulator.clock import iso_time
from flow_widgets.simulator.faults import JOB_ACTIONS, Fault
from flow_widgets.simulator.generation import Intake
from flow_widgets.simulator.http import (
    DroppedResponse,
    HttpError,
    TrickleResponse,
    TruncatedResponse,
    google_error,
    json_response,
    rate_limited,
    read_payload,
    sha256_hex,
)
from flow_widgets.simulator.ledger import ATTEMPT_HEADERS
from flow_widgets.simulator.state import SimulatorState

__all__ = ["Call", "Handler", "api_route", "forced_status"]


@dataclass
class Call:
    """One API request as a handler sees it."""

    request: Request
    body: bytes
    route: str
    fault: Fault | None

    @property
    def idempotency_key(self) -> str | None:
        return self.request.headers.get("idempotency-key") or None

    async def payload(self) -> dict[str, Any]:
        return await read_payload(self.request, self.body)

    def param(self, name: str) -> str:
        return str(self.request.path_params[name])

    def intake(self, payload: dict[str, Any]) -> Intake:
        """The submission facts the generation pipeline needs (``async`` read the API's way)."""
        job_fault = (
            self.fault if self.fault is not None and self.fault.action in JOB_ACTIONS else None
        )
        return Intake(
            route=self.route,
            body_sha256=sha256_hex(self.body),
            idempotency_key=self.idempotency_key,
            fault=job_fault,
            wants_async=wants_async(payload),
        )


Handler = Callable[[SimulatorState, Call], Awaitable[Response]]


def _default_agent(headers: Any) -> bool:
    """Python's default ``Python-urllib/3.x`` (or no User-Agent at all), which Cloudflare
    refuses with error 1010 in front of the real API (spec C18)."""
    agent = str(headers.get("user-agent", "")).strip().lower()
    return not agent or agent.startswith("python-urllib")


def _authorized(state: SimulatorState, request: Request) -> bool:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return False
    expected = state.config.token
    return expected is None or hmac.compare_digest(token.encode(), expected.encode())


def forced_status(fault: Fault, now: float) -> HttpError:
    """The answer a ``status`` fault gives instead of doing the work."""
    status = fault.status
    if status == 429 and fault.retry_after is None:
        return rate_limited(
            fault.reason or "PUBLIC_ERROR_USER_REQUESTS_THROTTLED", retry_after=5, now=now
        )
    body: dict[str, Any]
    if fault.reason:
        body = {"error": google_error(status, fault.reason, fault.message), "code": status}
    else:
        body = {"error": fault.message or f"Simulated failure (HTTP {status})", "code": status}
    headers = {}
    if fault.retry_after is not None:
        headers["Retry-After"] = fault.retry_after
        seconds = fault.retry_after.strip()
        if seconds.isdigit():
            body["retryAfter"] = iso_time(now + int(seconds))
    return HttpError(status, body, headers)


def _spoiled(fault: Fault, response: Response) -> Response:
    if fault.action == "drop":
        return DroppedResponse()
    if fault.action == "half_headers":
        return DroppedResponse(response)
    if fault.action == "truncate":
        return TruncatedResponse(response, fault.fraction)
    if fault.action == "trickle":
        return TrickleResponse(response, chunk=fault.chunk, interval=fault.seconds)
    if fault.action == "malformed":
        return Response(fault.body, status_code=response.status_code, media_type=fault.content_type)
    return response


def api_route(state: SimulatorState, method: str, template: str, handler: Handler) -> Route:
    """A starlette route for ``METHOD template`` that runs ``handler`` inside the pipeline."""
    route_key = f"{method} {template.rstrip('/') or '/'}"

    async def endpoint(request: Request) -> Response:
        body = await request.body()
        now = state.now()
        headers = request.headers
        entry = state.ledger.record_request(
            time=now,
            origin="api",
            method=request.method,
            path=request.url.path,
            route=route_key,
            body_sha256=sha256_hex(body),
            body_bytes=len(body),
            has_authorization="authorization" in headers,
            idempotency_key=headers.get("idempotency-key"),
            attempt=next((headers[h] for h in ATTEMPT_HEADERS if h in headers), None),
            range=headers.get("range"),
        )
        state.scheduler.ensure_running()
        state.scheduler.settle(now)
        number = state.faults.count(route_key)
        fault: Fault | None = None
        try:
            if state.config.refuse_default_user_agent and _default_agent(headers):
                entry.status = 403
                return Response("error code: 1010", status_code=403, media_type="text/plain")
            if not _authorized(state, request):
                raise HttpError(401, "Unauthorized")
            fault = state.faults.match(route_key, number, now=now)
            if fault is not None and fault.action == "status":
                raise forced_status(fault, now)
            if fault is not None and fault.action == "reset":
                entry.status = 0
                return DroppedResponse()
            if fault is not None and fault.action == "delay":
                await asyncio.sleep(fault.seconds)
            with enforcing(SERVER_ENFORCED):
                response = await handler(state, Call(request, body, route_key, fault))
        except HttpError as error:
            response = error.response()
        except ValidationError as error:
            response = json_response({"error": str(error)}, 400)
        if fault is not None and fault.action == "delay_reply":
            await asyncio.sleep(fault.seconds)
        if fault is not None:
            response = _spoiled(fault, response)
        entry.status = 0 if isinstance(response, DroppedResponse) else response.status_code
        return response

    endpoint.__name__ = f"{method.lower()}_{template.strip('/').replace('/', '_') or 'root'}"
    return Route(template, endpoint, methods=[method])
