"""A twin harness: run the same scenario through FlowClient and AsyncFlowClient.

No tests live here. :class:`Twin` wraps either client over an ``httpx.MockTransport`` whose
replies are scripted, records every request, and replaces sleeping with a fake clock, so the
client tests share their assertions across both twins and never wait.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import Callable, Iterable
from typing import Any

import httpx

from flow_widgets.api.client import AsyncFlowClient, FlowClient

TOKEN = "user:424242-CanaryT0kenXyZ9876"
BASE = "http://flow.test/v1/google-flow"

Step = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


def reply(status: int = 200, body: Any = None, **headers: str) -> httpx.Response:
    """A scripted reply: JSON for dicts and lists, text for strings."""
    if isinstance(body, str):
        return httpx.Response(status, text=body, headers=headers)
    return httpx.Response(status, json=body if body is not None else {}, headers=headers)


class FakeClock:
    """A monotonic clock that only moves when the client sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)


class Twin:
    """One client (``kind`` "sync" or "async") over a scripted transport.

    ``script`` is consumed one step per request: a response, an exception to raise (as the
    network would), or a function of the request. When it runs out, the last step repeats.
    """

    def __init__(self, kind: str, script: Iterable[Step] = (), **options: Any) -> None:
        self.kind = kind
        self.script = list(script)
        self.requests: list[httpx.Request] = []
        self.bodies: list[bytes] = []
        self.clock = FakeClock()
        options.setdefault("token", TOKEN)
        options.setdefault("base_url", BASE)
        options.setdefault("clock", self.clock)
        options.setdefault("rand", lambda: 1.0)
        if kind == "sync":
            self.client: Any = FlowClient(
                transport=httpx.MockTransport(self._handle), sleep=self.clock.sleep, **options
            )
        else:
            self.client = AsyncFlowClient(
                transport=httpx.MockTransport(self._ahandle), sleep=self.clock.asleep, **options
            )

    def _handle(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(request.read())
        return self._next(request)

    async def _ahandle(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(await request.aread())
        return self._next(request)

    def _next(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if not self.script:
            raise AssertionError(f"unexpected request {request.method} {request.url}")
        step = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(step, Exception):
            raise step
        if isinstance(step, httpx.Response):  # a fresh copy: a response is read only once
            return httpx.Response(step.status_code, headers=step.headers, content=step.content)
        return step(request)

    def __call__(self, use: Callable[[Any], Any]) -> Any:
        """Run ``use(client)``; an awaitable result is awaited on a fresh event loop."""
        result = use(self.client)
        if inspect.isawaitable(result):
            return asyncio.run(_awaited(result))
        return result

    @property
    def calls(self) -> int:
        """How many requests reached the transport."""
        return len(self.requests)

    def json(self, index: int = -1) -> Any:
        """The JSON body of a recorded request."""
        return json.loads(self.bodies[index])

    def close(self) -> None:
        """Close the client on the matching side."""
        self(lambda c: c.close())


async def _awaited(awaitable: Any) -> Any:
    return await awaitable
