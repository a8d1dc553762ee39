"""The simulator's own record of what happened, for tests that must prove "exactly once".

A client's reliability claims -- a paid POST is never sent twice, credentials never reach the
media host, a retry honours ``Retry-After`` -- can only be checked from the server's side. The
ledger keeps, in order:

* every request received on either origin: clock time, method, path, route, body SHA-256,
  whether an ``Authorization`` header was present (never its value), the ``Idempotency-Key`` and
  attempt headers, the ``Range`` header, and the status answered;
* every job accepted and every credit movement (charge, refund);
* every webhook delivery attempt.

It also holds the ``Idempotency-Key`` book: the same key on the same route with the same body
gets the first job back instead of a second charge.

Sequences are bounded (a long demo must not grow without limit); ``seq`` numbers keep counting,
so ``since=`` queries stay correct after old entries fall off.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

__all__ = [
    "ATTEMPT_HEADERS",
    "ChargeEntry",
    "IdempotencyBook",
    "JobEntry",
    "Ledger",
    "RequestEntry",
]

#: Headers a client may use to number its attempts; the first one present is recorded.
ATTEMPT_HEADERS = ("x-attempt", "x-retry-attempt", "x-stainless-retry-count", "retry-attempt")


@dataclass(slots=True)
class RequestEntry:
    """One HTTP request as the simulator saw it."""

    seq: int
    time: float
    origin: str
    method: str
    path: str
    route: str
    body_sha256: str
    body_bytes: int
    has_authorization: bool
    idempotency_key: str | None
    attempt: str | None
    range: str | None
    status: int | None = None


@dataclass(frozen=True, slots=True)
class JobEntry:
    """A job the simulator accepted (and so may have charged for)."""

    seq: int
    time: float
    jobid: str
    route: str
    email: str
    model: str
    credits: int
    idempotency_key: str | None


@dataclass(frozen=True, slots=True)
class ChargeEntry:
    """A credit movement: positive ``amount`` is a charge, negative a refund."""

    seq: int
    time: float
    email: str
    jobid: str
    amount: int
    balance: int


@dataclass(frozen=True, slots=True)
class WebhookEntry:
    """One ``replyUrl`` delivery attempt and how it ended."""

    seq: int
    time: float
    jobid: str
    status: str
    url: str
    outcome: str


class Ledger:
    """Bounded, append-only logs with monotonically increasing ``seq`` numbers."""

    def __init__(self, limit: int = 200_000) -> None:
        self._seq = 0
        self.requests: deque[RequestEntry] = deque(maxlen=limit)
        self.jobs: deque[JobEntry] = deque(maxlen=limit)
        self.charges: deque[ChargeEntry] = deque(maxlen=limit)
        self.webhooks: deque[WebhookEntry] = deque(maxlen=limit)
        self.media_authorization_refusals = 0
        self.canary_hits = 0

    def __repr__(self) -> str:
        return (
            f"Ledger(requests={len(self.requests)}, jobs={len(self.jobs)}, "
            f"charges={len(self.charges)}, webhooks={len(self.webhooks)})"
        )

    def _next(self) -> int:
        self._seq += 1
        return self._seq

    def record_request(self, **fields: Any) -> RequestEntry:
        entry = RequestEntry(seq=self._next(), **fields)
        self.requests.append(entry)
        return entry

    def record_job(self, **fields: Any) -> JobEntry:
        entry = JobEntry(seq=self._next(), **fields)
        self.jobs.append(entry)
        return entry

    def record_charge(self, **fields: Any) -> ChargeEntry:
        entry = ChargeEntry(seq=self._next(), **fields)
        self.charges.append(entry)
        return entry

    def record_webhook(self, **fields: Any) -> WebhookEntry:
        entry = WebhookEntry(seq=self._next(), **fields)
        self.webhooks.append(entry)
        return entry

    def snapshot(self, since: int = 0) -> dict[str, Any]:
        """Everything with ``seq > since``, as JSON-ready dicts (``GET /_sim/ledger``)."""

        def rows(entries: Iterable[Any]) -> list[dict[str, Any]]:
            return [asdict(entry) for entry in entries if entry.seq > since]

        return {
            "seq": self._seq,
            "requests": rows(self.requests),
            "jobs": rows(self.jobs),
            "charges": rows(self.charges),
            "webhooks": rows(self.webhooks),
            "mediaAuthorizationRefusals": self.media_authorization_refusals,
            "canaryHits": self.canary_hits,
            "creditsCharged": sum(entry.amount for entry in self.charges),
        }


@dataclass(frozen=True, slots=True)
class _Remembered:
    route: str
    body_sha256: str
    jobid: str


class IdempotencyBook:
    """``Idempotency-Key`` -> the job its first request created."""

    def __init__(self) -> None:
        self._keys: dict[str, _Remembered] = {}

    def __len__(self) -> int:
        return len(self._keys)

    def lookup(self, key: str, route: str, body_sha256: str) -> str | None:
        """The jobid an earlier identical request created, or ``None`` for a new key.

        Raises:
            ValueError: the key was used before with another route or another body.
        """
        seen = self._keys.get(key)
        if seen is None:
            return None
        if seen.route != route or seen.body_sha256 != body_sha256:
            raise ValueError(
                "Idempotency-Key was already used with a different request; "
                "use a new key for a new request."
            )
        return seen.jobid

    def remember(self, key: str, route: str, body_sha256: str, jobid: str) -> None:
        self._keys.setdefault(key, _Remembered(route, body_sha256, jobid))
