"""``FlowClient`` and ``AsyncFlowClient``: every endpoint of the Google Flow API.

The two clients are twins over one base (:class:`~flow_widgets.api._base.BaseFlowClient`),
which takes the settings, builds the requests, judges the replies and applies the retry policy;
a twin only *performs* what the shared flow asks for: send with ``httpx.Client`` or
``httpx.AsyncClient``, sleep, close. The resources (``client.videos``, ``client.jobs`` …) are
declared once, in :mod:`flow_widgets.api._resources`, from the endpoint builders of
:mod:`flow_widgets.api._endpoints`; each method validates its arguments into a request object
before anything is sent. Constructor arguments are documented on the base class.

To send a request object built elsewhere (the runtime builds them to fingerprint them first),
use ``client.run(call_for(request, idempotency_key=...))``.

Example:
    >>> client = FlowClient(token="user:1-abc", base_url="http://127.0.0.1:8787")  # doctest: +SKIP
    >>> job = client.videos.create("a red fox trotting through fresh snow")  # doctest: +SKIP
    >>> job = client.jobs.wait(job.jobid, timeout=600)  # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterator
from types import TracebackType
from typing import Any, ClassVar, TypeVar

import anyio
import httpx

from flow_widgets.api._base import BaseFlowClient
from flow_widgets.api._calls import Outcome, Plan, Reply, Send, Sleep
from flow_widgets.api._endpoints import call_for
from flow_widgets.api._resources import (
    Accounts,
    Assets,
    AsyncAccounts,
    AsyncAssets,
    AsyncCaptchaResource,
    AsyncCharacters,
    AsyncImages,
    AsyncJobs,
    AsyncVideos,
    AsyncVoices,
    CaptchaResource,
    Characters,
    Images,
    Jobs,
    Videos,
    Voices,
    mount,
)
from flow_widgets.api._upload import UploadBody

__all__ = ["AsyncFlowClient", "FlowClient", "call_for"]

T = TypeVar("T")


class FlowClient(BaseFlowClient):
    """The synchronous client. Use it as a context manager, or call :meth:`close`.

    ``transport`` is an ``httpx.BaseTransport``, ``http_client`` an ``httpx.Client`` and
    ``sleep`` a plain function; see :class:`~flow_widgets.api._base.BaseFlowClient`.
    """

    _http_class: ClassVar[type[httpx.Client]] = httpx.Client
    _transport_class: ClassVar[type[httpx.BaseTransport]] = httpx.BaseTransport
    _default_sleep: ClassVar[Callable[[float], None]] = time.sleep
    _http: httpx.Client

    accounts = mount(Accounts)
    captcha = mount(CaptchaResource)
    assets = mount(Assets)
    images = mount(Images)
    videos = mount(Videos)
    voices = mount(Voices)
    characters = mount(Characters)
    jobs = mount(Jobs)

    def run(self, plan: Plan[T]) -> T:
        """Carry out a plan (a :class:`~flow_widgets.api._base.Call` or a longer flow)."""
        self._check_open()
        flow = plan.flow(self)
        outcome: Any = None
        while True:
            try:
                action = flow.send(outcome)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]
            if isinstance(action, Sleep):
                self._sleep(action.seconds)
                outcome = None
            else:
                outcome = self._exchange(action)

    def _exchange(self, send: Send) -> Outcome:
        try:
            response = self._http.send(send.request, auth=self._auth, stream=True)
            try:
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    self._check_deadline(send)
            finally:
                response.close()
        except httpx.HTTPError as exc:
            return self.broken(exc)
        return Reply(response.status_code, response.headers, bytes(body))

    def _stream_upload(self, upload: UploadBody) -> Iterator[bytes]:
        return upload.chunks()

    def close(self) -> None:
        """Close the connection pool (only if this client created it)."""
        if not self._closed and self._owns_http:
            self._http.close()
        self._closed = True

    def __enter__(self) -> FlowClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncFlowClient(BaseFlowClient):
    """The asynchronous twin of :class:`FlowClient`: same arguments, every method awaitable.

    ``transport`` is an ``httpx.AsyncBaseTransport``, ``http_client`` an ``httpx.AsyncClient``
    and ``sleep`` an async function. Use it as an async context manager, or await
    :meth:`aclose`.
    """

    _http_class: ClassVar[type[httpx.AsyncClient]] = httpx.AsyncClient
    _transport_class: ClassVar[type[httpx.AsyncBaseTransport]] = httpx.AsyncBaseTransport
    _default_sleep: ClassVar[Callable[[float], Any]] = staticmethod(anyio.sleep)
    _http: httpx.AsyncClient

    accounts = mount(AsyncAccounts)
    captcha = mount(AsyncCaptchaResource)
    assets = mount(AsyncAssets)
    images = mount(AsyncImages)
    videos = mount(AsyncVideos)
    voices = mount(AsyncVoices)
    characters = mount(AsyncCharacters)
    jobs = mount(AsyncJobs)

    async def run(self, plan: Plan[T]) -> T:
        """Carry out a plan (a :class:`~flow_widgets.api._base.Call` or a longer flow)."""
        self._check_open()
        flow = plan.flow(self)
        outcome: Any = None
        while True:
            try:
                action = flow.send(outcome)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]
            if isinstance(action, Sleep):
                await self._sleep(action.seconds)
                outcome = None
            else:
                outcome = await self._exchange(action)

    async def _exchange(self, send: Send) -> Outcome:
        try:
            response = await self._http.send(send.request, auth=self._auth, stream=True)
            try:
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    self._check_deadline(send)
            finally:
                await response.aclose()
        except httpx.HTTPError as exc:
            return self.broken(exc)
        return Reply(response.status_code, response.headers, bytes(body))

    def _stream_upload(self, upload: UploadBody) -> AsyncIterator[bytes]:
        return _aiter(upload.chunks())

    async def aclose(self) -> None:
        """Close the connection pool (only if this client created it)."""
        if not self._closed and self._owns_http:
            await self._http.aclose()
        self._closed = True

    close = aclose

    async def __aenter__(self) -> AsyncFlowClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


async def _aiter(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """Local file chunks for an async upload (64 KiB reads from disk are short enough)."""
    for chunk in chunks:
        yield chunk
