"""``FlowClient`` and ``AsyncFlowClient``: every endpoint of the Google Flow API.

The two clients are twins over one base (:mod:`flow_widgets.api._base`), which builds the
requests, judges the replies and applies the retry policy; a twin only *performs* what the
shared flow asks for: send with ``httpx.Client`` or ``httpx.AsyncClient``, sleep, close. The
resources (``client.videos``, ``client.jobs`` …) are likewise declared once, in
:mod:`flow_widgets.api._resources`, from the endpoint builders in
:mod:`flow_widgets.api._endpoints`; each method validates its arguments into a request object
before anything is sent.

Example:
    >>> client = FlowClient(token="user:1-abc", base_url="http://127.0.0.1:8787")  # doctest: +SKIP
    >>> job = client.videos.create("a red fox trotting through fresh snow")  # doctest: +SKIP
    >>> job = client.jobs.wait(job.jobid, timeout=600)  # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from types import TracebackType
from typing import Any, TypeVar

import anyio
import httpx

from flow_widgets.api._base import (
    DEFAULT_DEADLINE,
    DEFAULT_TIMEOUT,
    BaseFlowClient,
    Outcome,
    Plan,
    Reply,
    Send,
    Sleep,
)
from flow_widgets.api._config import Secret
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
)
from flow_widgets.api._retry import RetryPolicy
from flow_widgets.api._upload import UploadBody
from flow_widgets.errors import ConfigError

__all__ = ["AsyncFlowClient", "FlowClient"]

T = TypeVar("T")
_CLOSED = "This client is closed; create a new one (or use it in a with block)."


class FlowClient(BaseFlowClient):
    """The synchronous client. Use it as a context manager, or call :meth:`close`.

    Args:
        token: the useapi.net API token; default ``USEAPI_TOKEN``.
        base_url: the API root; default ``FLOW_API_BASE``, else ``https://api.useapi.net/v1/google-flow``.
        timeout: per-phase httpx timeouts (connect, read, write, pool).
        deadline: the most seconds one HTTP exchange may take in total.
        max_retries: the most resends per call (0 turns retrying off).
        retry_policy: every retry limit at once (see :class:`~flow_widgets.api._retry.RetryPolicy`).
        transport: an httpx transport, e.g. ``httpx.MockTransport`` in tests.
        http_client: an ``httpx.Client`` to use instead of our own (it is not closed by us).
        sleep: how to wait between retries and polls (injected by tests).
        clock: a monotonic clock (injected by tests).
    """

    def __init__(
        self,
        token: str | Secret | None = None,
        *,
        base_url: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        deadline: float = DEFAULT_DEADLINE,
        max_retries: int | None = None,
        retry_policy: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        http_client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] | None = None,
        rand: Callable[[], float] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(
            token,
            base_url=base_url,
            timeout=timeout,
            deadline=deadline,
            max_retries=max_retries,
            retry_policy=retry_policy,
            clock=clock,
            rand=rand,
            environ=environ,
        )
        if http_client is not None and transport is not None:
            raise ConfigError("Pass transport= or http_client=, not both.")
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(transport=transport, timeout=self.timeout)
        self._sleep = sleep
        self._closed = False
        self.accounts = Accounts(self)
        self.captcha = CaptchaResource(self)
        self.assets = Assets(self)
        self.images = Images(self)
        self.videos = Videos(self)
        self.voices = Voices(self)
        self.characters = Characters(self)
        self.jobs = Jobs(self)

    def run(self, plan: Plan[T]) -> T:
        """Carry out a plan (a :class:`~flow_widgets.api._base.Call` or a longer flow)."""
        if self._closed:
            raise ConfigError(_CLOSED)
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

    ``http_client`` must be an ``httpx.AsyncClient`` and ``sleep`` an async function. Use it as
    an async context manager, or call :meth:`aclose`.
    """

    def __init__(
        self,
        token: str | Secret | None = None,
        *,
        base_url: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        deadline: float = DEFAULT_DEADLINE,
        max_retries: int | None = None,
        retry_policy: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        http_client: httpx.AsyncClient | None = None,
        sleep: Callable[[float], Any] = anyio.sleep,
        clock: Callable[[], float] | None = None,
        rand: Callable[[], float] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(
            token,
            base_url=base_url,
            timeout=timeout,
            deadline=deadline,
            max_retries=max_retries,
            retry_policy=retry_policy,
            clock=clock,
            rand=rand,
            environ=environ,
        )
        if http_client is not None and transport is not None:
            raise ConfigError("Pass transport= or http_client=, not both.")
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(transport=transport, timeout=self.timeout)
        self._sleep = sleep
        self._closed = False
        self.accounts = AsyncAccounts(self)
        self.captcha = AsyncCaptchaResource(self)
        self.assets = AsyncAssets(self)
        self.images = AsyncImages(self)
        self.videos = AsyncVideos(self)
        self.voices = AsyncVoices(self)
        self.characters = AsyncCharacters(self)
        self.jobs = AsyncJobs(self)

    async def run(self, plan: Plan[T]) -> T:
        """Carry out a plan (a :class:`~flow_widgets.api._base.Call` or a longer flow)."""
        if self._closed:
            raise ConfigError(_CLOSED)
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
