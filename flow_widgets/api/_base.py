"""Everything the sync and async clients share: building requests, judging replies, retrying.

The client is written "sans-IO", like httpx's auth flows: a request is a *flow*, a generator
that yields :class:`~flow_widgets.api._calls.Send` and :class:`~flow_widgets.api._calls.Sleep`
actions and receives what happened. All decisions
(headers, timeouts, the retry policy, error mapping, parsing, secret scrubbing) live here, once;
:class:`~flow_widgets.api.client.FlowClient` and
:class:`~flow_widgets.api.client.AsyncFlowClient` only perform the actions -- send with
``httpx.Client`` or ``httpx.AsyncClient``, sleep with ``time.sleep`` or ``anyio.sleep`` -- so
the twins cannot drift apart.

Secrets: the token lives in a :class:`~flow_widgets.api._config.Secret` and reaches the wire
only through :class:`~flow_widgets.api._config.BearerAuth`, inside httpx. Error texts built from
server replies or httpx exceptions are scrubbed, and errors are raised ``from None`` so no
httpx exception (whose frames hold the raw headers) is chained to them.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections import Counter
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, replace
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar, Generic, TypeVar

import httpx

from flow_widgets._version import __version__
from flow_widgets.api._calls import (
    Action,
    Broken,
    Call,
    DeadlineExceeded,
    Outcome,
    Send,
    Sleep,
)
from flow_widgets.api._config import BearerAuth, Secret, resolve_base_url, resolve_token
from flow_widgets.api._error_mapping import error_message, map_error, retry_after_of
from flow_widgets.api._retry import Failure, RetryPolicy, Safety, next_delay
from flow_widgets.api._upload import UploadBody
from flow_widgets.errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    ConfigError,
    FlowError,
    NoEligibleAccountError,
    QuotaExceededError,
    RateLimitError,
    UnknownOutcomeError,
)

__all__ = ["DEFAULT_DEADLINE", "DEFAULT_TIMEOUT", "USER_AGENT", "BaseFlowClient"]

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)

logger = logging.getLogger("flow_widgets.api")

USER_AGENT = f"flow-widgets/{__version__}"
#: Per-phase limits. Reads are long because images, GIFs and concatenation answer synchronously.
DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=180.0, write=60.0, pool=10.0)
#: The longest one HTTP exchange may take in total, however slowly the server trickles bytes.
DEFAULT_DEADLINE = 300.0

_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError)
_CANNOT_SEND = (httpx.UnsupportedProtocol, httpx.LocalProtocolError, httpx.TooManyRedirects)
_FINAL_5XX = frozenset({501, 505, 596})


@dataclass(frozen=True)
class _Judged(Generic[T]):
    value: T


@dataclass(frozen=True)
class _Failed:
    failure: Failure
    error: FlowError
    retry_after: float | None = None


class BaseFlowClient:
    """Configuration, request building and reply judging shared by both clients.

    Args:
        token: the useapi.net API token; default ``USEAPI_TOKEN`` from the environment.
        base_url: the API root; default ``FLOW_API_BASE``, else the public API.
        timeout: per-phase httpx timeouts (a number sets all four).
        deadline: the most seconds one HTTP exchange may take in total.
        max_retries: the most resends per call (0 turns retrying off); the reliability table's
            per-cause limits still apply.
        retry_policy: every retry number at once, for callers who need to tune them.
        transport: an httpx transport of the client's flavour (``httpx.MockTransport`` in tests).
        http_client: an ``httpx.Client`` (``httpx.AsyncClient`` for the async client) to use
            instead of our own; it is left open when the client closes.
        sleep: how to wait between retries and polls (an async function for the async client).
        clock: a monotonic clock in seconds (injected by tests).
        rand: uniform random numbers in ``[0, 1)`` for backoff jitter (injected by tests).
        environ: where to read ``USEAPI_TOKEN``/``FLOW_API_BASE`` (default ``os.environ``).
        strict: refuse requests that break a *reported* rule (third-party or inferred, spec
            §7.1) instead of sending them with a one-line warning; vendor rules always refuse.
    """

    #: The httpx flavour a twin sends with, the transport base it needs, and its sleep.
    _http_class: ClassVar[type[httpx.Client] | type[httpx.AsyncClient]]
    _transport_class: ClassVar[type[httpx.BaseTransport] | type[httpx.AsyncBaseTransport]]
    _default_sleep: ClassVar[Callable[[float], Any]]
    _http: Any

    def __init__(
        self,
        token: str | Secret | None = None,
        *,
        base_url: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        deadline: float = DEFAULT_DEADLINE,
        max_retries: int | None = None,
        retry_policy: RetryPolicy | None = None,
        transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None,
        http_client: httpx.Client | httpx.AsyncClient | None = None,
        sleep: Callable[[float], Any] | None = None,
        clock: Callable[[], float] | None = None,
        rand: Callable[[], float] | None = None,
        environ: Mapping[str, str] | None = None,
        strict: bool = False,
    ) -> None:
        self.strict = bool(strict)
        self._secret = resolve_token(token, environ)
        self.base_url = resolve_base_url(base_url, environ)
        self.timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        if deadline <= 0:
            raise ConfigError(f"deadline must be a positive number of seconds, not {deadline!r}.")
        self.deadline = float(deadline)
        policy = retry_policy or RetryPolicy()
        if max_retries is not None:
            if max_retries < 0:
                raise ConfigError(f"max_retries must be 0 or more, not {max_retries!r}.")
            policy = replace(policy, max_retries=max_retries)
        self.retry_policy = policy
        self._clock = clock or time.monotonic
        self._rand = rand or random.random
        self._sleep = sleep if sleep is not None else type(self)._default_sleep
        self._auth = BearerAuth(self._secret)
        self._http = self._adopt(http_client, transport)
        self._owns_http = http_client is None
        self._closed = False
        self.server_offset: float | None = None
        """Seconds the server's clock is ahead of this machine's, from the last ``Date``
        header (``None`` until an answer carried one)."""

    def _adopt(self, http_client: Any, transport: Any) -> Any:
        name = type(self).__name__
        if http_client is not None:
            if transport is not None:
                raise ConfigError("Pass transport= or http_client=, not both.")
            if not isinstance(http_client, self._http_class):
                raise ConfigError(
                    f"http_client must be an httpx.{self._http_class.__qualname__} for {name}."
                )
            return http_client
        if transport is not None and not isinstance(transport, self._transport_class):
            raise ConfigError(
                f"transport must be an httpx.{self._transport_class.__qualname__} for {name}."
            )
        factory: Any = self._http_class
        return factory(transport=transport, timeout=self.timeout)

    def _check_open(self) -> None:
        if self._closed:
            raise ConfigError(
                f"This {type(self).__name__} is closed; create a new one (or use it in a with "
                "block)."
            )

    def server_time(self) -> float:
        """This machine's epoch time moved onto the server's clock (as far as its ``Date``
        headers tell, to the second); reconciliation compares it with the server's stamps."""
        return time.time() + (self.server_offset or 0.0)

    def _learn_server_clock(self, headers: httpx.Headers) -> None:
        value = headers.get("date")
        if not value:
            return
        try:
            stamp = parsedate_to_datetime(value).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            return
        self.server_offset = stamp + 0.5 - time.time()  # a whole-second stamp: its middle

    def now(self) -> float:
        """The client's monotonic clock, in seconds (what deadlines are measured on)."""
        return self._clock()

    @property
    def max_retries(self) -> int:
        """The most resends one call may make."""
        return self.retry_policy.max_retries

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, token=***)"

    __str__ = __repr__

    # ------------------------------------------------------------------------- the request flow

    def call_flow(self, call: Call[T]) -> Generator[Action, Any, T]:
        """Send ``call``, retry per the policy, and return its parsed result or raise."""
        started = self._clock()
        failures: Counter[Failure] = Counter()
        retries = 0
        while True:
            sent_at = self._clock()
            deadline = sent_at + self.deadline
            outcome = yield Send(self._build(call, deadline - sent_at), deadline)
            judged = self._judge(call, outcome)
            if isinstance(judged, _Judged):
                logger.debug("%s succeeded after %d retries", call.label, retries)
                return judged.value
            failures[judged.failure] += 1
            delay = next_delay(
                self.retry_policy,
                call.safety,
                judged.failure,
                failures=failures,
                retries_so_far=retries,
                elapsed=self._clock() - started,
                retry_after=judged.retry_after,
                rand=self._rand,
            )
            if delay is None:
                logger.debug("%s failed: %s", call.label, type(judged.error).__name__)
                raise judged.error from None
            retries += 1
            logger.info(
                "%s: %s; retry %d in %.1f s",
                call.label,
                type(judged.error).__name__,
                retries,
                delay,
            )
            yield Sleep(delay)

    def _build(self, call: Call[Any], budget: float) -> httpx.Request:
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if call.idempotency_key:
            headers["Idempotency-Key"] = call.idempotency_key
        content: Any = None
        if call.upload is not None:
            headers["Content-Type"] = call.upload.content_type
            headers["Content-Length"] = str(call.upload.size)
            content = self._stream_upload(call.upload)
        timeout = httpx.Timeout(
            connect=_capped(self.timeout.connect, budget),
            read=_capped(self.timeout.read, budget),
            write=_capped(self.timeout.write, budget),
            pool=_capped(self.timeout.pool, budget),
        )
        return httpx.Request(
            call.method,
            f"{self.base_url}/{call.path.lstrip('/')}",
            params=dict(call.params) or None,
            headers=headers,
            json=call.json,
            content=content,
            extensions={"timeout": timeout.as_dict()},
        )

    def _stream_upload(self, upload: UploadBody) -> Any:
        """The upload body in the form this client's httpx flavour can send."""
        raise NotImplementedError  # pragma: no cover - each twin provides it

    # --------------------------------------------------------------------------- judging

    def broken(self, exc: httpx.HTTPError) -> Broken:
        """What a twin returns to its flow when sending raised ``exc``."""
        message = self._secret.scrub(str(exc)) or "no detail"
        return Broken(type(exc), f"{type(exc).__name__}: {message}")

    def _judge(self, call: Call[T], outcome: Outcome) -> _Judged[T] | _Failed:
        if isinstance(outcome, Broken):
            return self._transport_failure(call, outcome)
        self._learn_server_clock(outcome.headers)
        status = outcome.status_code
        if 200 <= status < 300:
            try:
                return _Judged(call.parse(json.loads(self._text(outcome.content))))
            except ValueError as exc:
                detail = f"HTTP {status} with an unreadable body: {self._secret.scrub(str(exc))}"
                return self._lost(call, detail, status)
        body = self._error_body(outcome.content)
        error = map_error(status, body, outcome.headers)
        if status == 503 or isinstance(error, RateLimitError):
            failure = Failure.CAPACITY if _is_throttle(error) else Failure.FINAL
            wait = getattr(error, "retry_after", None)
            if wait is None and status == 503:  # honoured like a throttle's, within the cap
                wait = retry_after_of(outcome.headers, body)
            return _Failed(failure, error, wait)
        if status == 408 or (status >= 500 and status not in _FINAL_5XX):
            detail = f"HTTP {status}: {error_message(body) or 'no message'}"
            return self._lost(call, detail, status, error)
        return _Failed(Failure.FINAL, error)

    def _transport_failure(self, call: Call[Any], outcome: Broken) -> _Failed:
        detail, cls = outcome.detail, outcome.error_type
        kind = APITimeoutError if issubclass(cls, httpx.TimeoutException) else APIConnectionError
        if issubclass(cls, _NOT_SENT):
            return _Failed(
                Failure.NOT_SENT,
                kind(
                    f"Could not reach the API at {self.base_url} ({detail}); nothing was sent. "
                    "Check the network connection or FLOW_API_BASE.",
                    sent=False,
                ),
            )
        if issubclass(cls, _CANNOT_SEND):
            return _Failed(
                Failure.FINAL,
                APIConnectionError(
                    f"{call.label} could not be sent ({detail}); check base_url.", sent=False
                ),
            )
        if issubclass(cls, DeadlineExceeded):
            detail = f"no complete reply within the {self.deadline:.0f} s deadline"
        return self._lost(call, detail, None, kind(_sent_text(call, detail), sent=True))

    def _lost(
        self,
        call: Call[Any],
        detail: str,
        status: int | None,
        error: FlowError | None = None,
    ) -> _Failed:
        """An unknown outcome: fatal for a paid call, a transient error for the others."""
        if call.safety is Safety.NEVER_RESEND:
            return _Failed(
                Failure.UNKNOWN_OUTCOME,
                UnknownOutcomeError(
                    f"{call.label} was sent but its outcome is unknown ({detail}). It was not "
                    "resent, because it may have been accepted and charged: look for the job "
                    "with client.jobs.stats('executing') or client.jobs.stats('history') "
                    "before submitting again.",
                    status_code=status,
                ),
            )
        return _Failed(Failure.UNKNOWN_OUTCOME, error or APIError(_sent_text(call, detail)))

    def _text(self, content: bytes) -> str:
        return self._secret.scrub(content.decode("utf-8", errors="replace"))

    def _error_body(self, content: bytes) -> Any:
        text = self._text(content)
        try:
            return json.loads(text)
        except ValueError:
            return text.strip()[:2000]

    def _check_deadline(self, send: Send) -> None:
        """Raise :class:`DeadlineExceeded` once ``send``'s deadline has passed."""
        if self._clock() > send.deadline:
            raise DeadlineExceeded("the reply was still arriving at the deadline", request=None)


def _capped(value: float | None, budget: float) -> float:
    return budget if value is None else min(value, budget)


def _is_throttle(error: FlowError) -> bool:
    return not isinstance(error, (QuotaExceededError, NoEligibleAccountError))


def _sent_text(call: Call[Any], detail: str) -> str:
    return (
        f"{call.label} was sent but no usable reply came back ({detail}). It is safe to try again."
    )
