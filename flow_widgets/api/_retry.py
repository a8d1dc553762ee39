"""The retry policy, in one place and free of I/O.

Every generation POST spends credits and the API documents no idempotency key, so the only
safe rule is the one in the team's reliability table: resend a paid request only when it
certainly never reached the server, or when the server certainly refused it (429 throttle,
503). After any *unknown outcome* -- the bytes left, then the reply was lost -- a paid request
is never resent; the caller reconciles through ``GET /jobs`` instead.

This module only decides. It never sleeps, sends or reads a clock: the client's request flow
asks :func:`next_delay` what to do and performs the wait itself, which is why tests can check
every decision without waiting.
"""

from __future__ import annotations

import enum
import math
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

__all__ = [
    "Backoff",
    "Failure",
    "RetryPolicy",
    "Safety",
    "backoff",
    "next_delay",
    "parse_retry_after",
    "should_retry",
]


class Safety(enum.Enum):
    """How safe it is to send a request a second time."""

    IDEMPOTENT = "idempotent"
    """Reads, deletes, settings and free pure computations (GIF, concatenate): resend freely."""

    RESEND_ONCE = "resend-once"
    """Asset upload: not idempotent but free; one resend after an unknown outcome wastes space."""

    NEVER_RESEND = "never-resend"
    """Paid or creating POSTs: resend only what certainly never ran."""


class Failure(enum.Enum):
    """What went wrong with one attempt, as far as retrying is concerned."""

    NOT_SENT = "not-sent"
    """Nothing reached the server: connect error, connect timeout, pool timeout."""

    CAPACITY = "capacity"
    """The server refused the request for now: 429 throttle (not quota) or 503."""

    UNKNOWN_OUTCOME = "unknown-outcome"
    """The request was sent and its reply lost: read/write timeout, broken connection, 408,
    500, 502, 504, a reply too slow for the deadline, or a success body that cannot be parsed."""

    FINAL = "final"
    """Any other answer: retrying cannot change it (400, 401, 402, 403, 404, quota 429, 596 …)."""


@dataclass(frozen=True)
class Backoff:
    """Capped exponential backoff with equal jitter, and how many attempts it allows.

    Attributes:
        base: the first delay before jitter, in seconds.
        cap: the largest delay before jitter.
        attempts: the most attempts (first try included) one kind of failure may use.
    """

    base: float
    cap: float
    attempts: int


@dataclass(frozen=True)
class RetryPolicy:
    """The numbers of the reliability table, overridable per client.

    Attributes:
        max_retries: a ceiling on resends for one call, whatever the cause (0 turns retrying off).
        not_sent: backoff after a failure before sending (0.5 s doubling to 8 s, 3 attempts).
        capacity: backoff after a 429 throttle or a 503 (5 s doubling to 60 s, 6 attempts).
        lost_reply: backoff after an unknown outcome, for calls that may be resent.
        resend_once_delay: the pause before the single resend of an asset upload.
        retry_after_cap: a server's ``Retry-After`` is followed when it is above 0 and at most
            this many seconds; otherwise the capacity backoff is used instead.
        total_time: no retry is started once this many seconds have passed since the first try.
    """

    max_retries: int = 5
    not_sent: Backoff = field(default_factory=lambda: Backoff(base=0.5, cap=8.0, attempts=3))
    capacity: Backoff = field(default_factory=lambda: Backoff(base=5.0, cap=60.0, attempts=6))
    lost_reply: Backoff = field(default_factory=lambda: Backoff(base=0.5, cap=8.0, attempts=3))
    resend_once_delay: float = 2.0
    retry_after_cap: float = 120.0
    total_time: float = 600.0


def should_retry(safety: Safety, failure: Failure) -> bool:
    """Whether this kind of failure may ever be retried for a request of this safety.

    Example:
        >>> should_retry(Safety.NEVER_RESEND, Failure.UNKNOWN_OUTCOME)
        False
        >>> should_retry(Safety.NEVER_RESEND, Failure.CAPACITY)
        True
    """
    if failure is Failure.FINAL:
        return False
    if failure is Failure.UNKNOWN_OUTCOME:
        return safety is not Safety.NEVER_RESEND
    return True


def backoff(retry_number: int, base: float, cap: float, rand: Callable[[], float]) -> float:
    """Equal-jitter delay before retry number ``retry_number`` (1 for the first retry).

    ``d = min(cap, base * 2**(retry_number - 1))``; the result is uniform in ``[d/2, d]``, so
    clients never wait less than half the backoff yet never retry in lock-step.

    Example:
        >>> backoff(1, 0.5, 8.0, lambda: 1.0), backoff(9, 0.5, 8.0, lambda: 0.0)
        (0.5, 4.0)
    """
    exponent = max(retry_number - 1, 0)
    delay = cap if exponent >= 64 else min(cap, base * 2.0**exponent)
    return delay / 2.0 + (delay / 2.0) * rand()


def next_delay(
    policy: RetryPolicy,
    safety: Safety,
    failure: Failure,
    *,
    failures: Mapping[Failure, int],
    retries_so_far: int,
    elapsed: float,
    retry_after: float | None = None,
    rand: Callable[[], float] = random.random,
) -> float | None:
    """How long to wait before the next attempt, or ``None`` when the call must give up.

    Args:
        policy: the limits in force.
        safety: how safe a resend of this request is.
        failure: what happened to the attempt that just failed.
        failures: how many attempts have failed so far for each kind, this one included.
        retries_so_far: resends already made for this call.
        elapsed: seconds since the first attempt started.
        retry_after: the server's requested wait, when it sent one.
        rand: a source of uniform numbers in ``[0, 1)`` (injected so tests are exact).
    """
    if not should_retry(safety, failure) or retries_so_far >= policy.max_retries:
        return None
    count = failures.get(failure, 0)
    if failure is Failure.UNKNOWN_OUTCOME and safety is Safety.RESEND_ONCE:
        delay: float | None = policy.resend_once_delay if count <= 1 else None
    elif failure is Failure.CAPACITY:
        delay = _delay_within(policy.capacity, count, rand)
        honoured = retry_after is not None and 0 < retry_after <= policy.retry_after_cap
        if delay is not None and honoured and retry_after is not None:
            delay = retry_after
    elif failure is Failure.NOT_SENT:
        delay = _delay_within(policy.not_sent, count, rand)
    else:
        delay = _delay_within(policy.lost_reply, count, rand)
    if delay is None or elapsed + delay > policy.total_time:
        return None
    return delay


def _delay_within(rule: Backoff, failed_attempts: int, rand: Callable[[], float]) -> float | None:
    if failed_attempts >= rule.attempts:
        return None
    return backoff(failed_attempts, rule.base, rule.cap, rand)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header or an ISO ``retryAfter`` body field.

    Accepts delta-seconds (``"30"``, ``"1.5"``), an HTTP date and an ISO-8601 timestamp. Returns
    ``None`` for anything unusable (garbage, negative, infinite, NaN); a time in the past gives
    ``0.0``. The caller decides whether the value is small enough to follow.

    Example:
        >>> parse_retry_after("30")
        30.0
        >>> parse_retry_after("2026-01-01T00:01:00Z", now=datetime(2026, 1, 1, tzinfo=timezone.utc))
        60.0
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    moment = _parse_moment(text)
    if moment is None:
        return None
    current = now if now is not None else datetime.now(timezone.utc)
    return max((moment - current).total_seconds(), 0.0)


def _parse_moment(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment
