"""The vocabulary of a request flow: calls, the actions a flow yields, and what comes back.

A client request is a *flow* (see :mod:`flow_widgets.api._base`): a generator that yields
:class:`Send` and :class:`Sleep` actions and receives an :data:`Outcome` for each send. These
small frozen types are all the twins and the flows exchange, so they live apart from the logic
that produces and consumes them. A :class:`Call` describes one API request as data; anything
with a ``flow(core)`` method (a :class:`Plan`) can be run by a client.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import httpx

from flow_widgets.api._retry import Safety
from flow_widgets.api._upload import UploadBody

if TYPE_CHECKING:  # pragma: no cover
    from flow_widgets.api._base import BaseFlowClient

__all__ = [
    "Action",
    "Broken",
    "Call",
    "DeadlineExceeded",
    "Outcome",
    "Plan",
    "Reply",
    "Send",
    "Sleep",
]

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class DeadlineExceeded(httpx.ReadTimeout):
    """The reply did not arrive in full before the exchange's deadline."""


@dataclass(frozen=True)
class Send:
    """Action: send ``request`` and read the whole reply before ``deadline`` (a clock value)."""

    request: httpx.Request
    deadline: float


@dataclass(frozen=True)
class Sleep:
    """Action: wait ``seconds`` before the flow continues."""

    seconds: float


Action = Send | Sleep


@dataclass(frozen=True)
class Reply:
    """A complete HTTP reply, as a :class:`Send` action returns it to its flow."""

    status_code: int
    headers: httpx.Headers
    content: bytes = field(repr=False)


@dataclass(frozen=True)
class Broken:
    """A :class:`Send` that raised, as its flow sees it: the httpx exception's class and its
    scrubbed message (the exception itself is dropped: its frames hold the raw headers)."""

    error_type: type[httpx.HTTPError]
    detail: str


Outcome = Reply | Broken


class Plan(Protocol[T_co]):
    """Anything a client can run: a single :class:`Call`, or a longer flow such as a job wait."""

    def flow(self, core: BaseFlowClient) -> Generator[Action, Any, T_co]:
        """The actions that carry the plan out, returning its result."""
        ...


@dataclass(frozen=True)
class Call(Generic[T]):
    """One API request described as data.

    Attributes:
        method, path: the endpoint (``path`` already URL-encoded, relative to the base URL).
        parse: turns the decoded JSON of a 2xx reply into the result; ``ValueError`` means the
            reply was unreadable.
        safety: how safe a resend is (decides the retry policy).
        params: the query string.
        json: the JSON body.
        upload: a raw body (asset upload) instead of JSON.
        idempotency_key: sent as ``Idempotency-Key`` on every attempt of this call.
    """

    method: str
    path: str
    parse: Callable[[Any], T]
    safety: Safety = Safety.IDEMPOTENT
    params: Mapping[str, str] = field(default_factory=dict)
    json: Any = None
    upload: UploadBody | None = None
    idempotency_key: str | None = None

    @property
    def label(self) -> str:
        """``"POST /videos"``: how logs and messages name the call."""
        return f"{self.method} /{self.path.lstrip('/')}"

    def flow(self, core: BaseFlowClient) -> Generator[Action, Any, T]:
        """Send the request, retrying as the policy allows, and return the parsed result."""
        return core.call_flow(self)
