"""The pure retry policy: which failures are retried, how long to wait, Retry-After parsing."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flow_widgets.api._retry import (
    Backoff,
    Failure,
    RetryPolicy,
    Safety,
    backoff,
    next_delay,
    parse_retry_after,
    should_retry,
)

NOW = datetime(2026, 6, 1, 12, 0, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("safety", "failure", "expected"),
    [
        (Safety.NEVER_RESEND, Failure.NOT_SENT, True),
        (Safety.NEVER_RESEND, Failure.CAPACITY, True),
        (Safety.NEVER_RESEND, Failure.UNKNOWN_OUTCOME, False),
        (Safety.NEVER_RESEND, Failure.FINAL, False),
        (Safety.RESEND_ONCE, Failure.UNKNOWN_OUTCOME, True),
        (Safety.IDEMPOTENT, Failure.UNKNOWN_OUTCOME, True),
        (Safety.IDEMPOTENT, Failure.FINAL, False),
    ],
)
def test_should_retry_table(safety: Safety, failure: Failure, expected: bool) -> None:
    assert should_retry(safety, failure) is expected


@pytest.mark.parametrize(
    ("retry_number", "rand", "expected"),
    [(1, 0.0, 0.25), (1, 1.0, 0.5), (2, 0.0, 0.5), (4, 1.0, 4.0), (5, 1.0, 8.0), (60, 0.5, 6.0)],
)
def test_backoff_doubles_from_base_up_to_cap_with_equal_jitter(
    retry_number: int, rand: float, expected: float
) -> None:
    assert backoff(retry_number, 0.5, 8.0, lambda: rand) == pytest.approx(expected)


@given(st.integers(min_value=1, max_value=10_000), st.floats(min_value=0, max_value=0.999999))
def test_backoff_stays_within_half_and_full_capped_delay(n: int, r: float) -> None:
    full = min(60.0, 5.0 * 2 ** min(n - 1, 64))
    assert full / 2 <= backoff(n, 5.0, 60.0, lambda: r) <= full


def _delay(
    safety: Safety,
    failure: Failure,
    count: int = 1,
    *,
    elapsed: float = 0.0,
    retry_after: float | None = None,
) -> float | None:
    return next_delay(
        RetryPolicy(),
        safety,
        failure,
        failures={failure: count},
        retries_so_far=count - 1,
        elapsed=elapsed,
        retry_after=retry_after,
        rand=lambda: 1.0,
    )


def test_not_sent_failures_get_three_attempts_with_growing_waits() -> None:
    waits = [_delay(Safety.NEVER_RESEND, Failure.NOT_SENT, n) for n in (1, 2, 3)]
    assert waits == [0.5, 1.0, None]


def test_capacity_failures_get_six_attempts() -> None:
    waits = [_delay(Safety.NEVER_RESEND, Failure.CAPACITY, n) for n in range(1, 7)]
    assert waits == [5.0, 10.0, 20.0, 40.0, 60.0, None]


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [(30.0, 30.0), (120.0, 120.0), (121.0, 5.0), (0.0, 5.0), (None, 5.0)],
)
def test_retry_after_is_followed_only_between_zero_and_120_seconds(
    retry_after: float | None, expected: float
) -> None:
    assert _delay(Safety.NEVER_RESEND, Failure.CAPACITY, retry_after=retry_after) == expected


def test_no_retry_starts_after_the_total_time_window() -> None:
    assert _delay(Safety.NEVER_RESEND, Failure.CAPACITY, elapsed=597.0) is None
    assert _delay(Safety.NEVER_RESEND, Failure.CAPACITY, elapsed=597.0, retry_after=2.0) == 2.0


def test_asset_upload_is_resent_once_after_an_unknown_outcome() -> None:
    assert _delay(Safety.RESEND_ONCE, Failure.UNKNOWN_OUTCOME, 1) == 2.0
    assert _delay(Safety.RESEND_ONCE, Failure.UNKNOWN_OUTCOME, 2) is None


def test_paid_calls_are_never_resent_after_an_unknown_outcome() -> None:
    assert _delay(Safety.NEVER_RESEND, Failure.UNKNOWN_OUTCOME, 1) is None


def test_max_retries_caps_every_cause() -> None:
    policy = RetryPolicy(max_retries=1)
    assert (
        next_delay(
            policy,
            Safety.IDEMPOTENT,
            Failure.CAPACITY,
            failures={Failure.CAPACITY: 1},
            retries_so_far=1,
            elapsed=0.0,
        )
        is None
    )
    custom = RetryPolicy(not_sent=Backoff(base=1.0, cap=1.0, attempts=10))
    assert (
        next_delay(
            custom,
            Safety.IDEMPOTENT,
            Failure.NOT_SENT,
            failures={Failure.NOT_SENT: 4},
            retries_so_far=3,
            elapsed=0.0,
            rand=lambda: 0.0,
        )
        == 0.5
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("30", 30.0),
        ("1.5", 1.5),
        ("0", 0.0),
        ("-1", None),
        ("inf", None),
        ("nan", None),
        ("", None),
        ("soon", None),
        (None, None),
        ("Mon, 01 Jun 2026 12:01:00 GMT", 60.0),
        ("Mon, 01 Jun 2026 11:00:00 GMT", 0.0),
        ("2026-06-01T12:02:00Z", 120.0),
        ("2026-06-01T12:00:30.000Z", 30.0),
        ("2026-06-01T14:00:30+02:00", 30.0),
        ("Mon, 99 Jun 2026 12:01:00 GMT", None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == expected
