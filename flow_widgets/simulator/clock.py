"""The simulator's notion of "now": wall time that tests can push forward.

Everything in the simulator that depends on time (job progress, signed-URL expiry, quarantine
cooldowns, UTC-midnight quota resets, the 15-minute statistics window) reads one :class:`Clock`,
so a test can jump a day ahead in a millisecond instead of waiting. Two clocks exist:

* :class:`SystemClock` -- real time plus an offset that :meth:`~SystemClock.advance` grows. It is
  the default, so timestamps and ``Retry-After`` values mean the same to a client as its own
  clock does (a client knows nothing about simulated time).
* :class:`ManualClock` -- stands still until advanced; for tests that need exact timestamps.

Speed is not the clock's business: ``time_scale`` shortens how long simulated work *takes*
(see :mod:`flow_widgets.simulator.config`); calendar rules (URL lifetime, UTC midnight) stay on
the clock. Advancing is thread-safe enough for the simulator's use (one float add under a lock).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "ManualClock", "SystemClock", "iso_time", "next_utc_midnight", "utc_date"]


@runtime_checkable
class Clock(Protocol):
    """What the simulator needs from a clock: epoch seconds, and a way to jump ahead."""

    def now(self) -> float:
        """Seconds since the Unix epoch, as the simulator sees them."""
        ...

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds`` (never backwards)."""
        ...


def _checked_step(seconds: float) -> float:
    if not seconds >= 0:  # also refuses NaN
        raise ValueError(f"seconds must be zero or more to advance the clock, got {seconds!r}.")
    return float(seconds)


class SystemClock:
    """Real time plus an offset; advancing adds to the offset.

    >>> clock = SystemClock()
    >>> before = clock.now(); clock.advance(3600); clock.now() - before >= 3600
    True
    """

    def __init__(self, offset: float = 0.0) -> None:
        self._offset = float(offset)
        self._lock = threading.Lock()

    def now(self) -> float:
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        step = _checked_step(seconds)
        with self._lock:
            self._offset += step

    def __repr__(self) -> str:
        return f"SystemClock(offset={self._offset:g})"


class ManualClock:
    """A clock that only moves when told to.

    >>> clock = ManualClock(1_731_859_200.0)
    >>> clock.advance(1.5); clock.now()
    1731859201.5
    """

    def __init__(self, start: float = 1_767_225_600.0) -> None:  # 2026-01-01T00:00:00Z
        self._now = float(start)
        self._lock = threading.Lock()

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        step = _checked_step(seconds)
        with self._lock:
            self._now += step

    def __repr__(self) -> str:
        return f"ManualClock({self._now!r})"


def iso_time(epoch: float) -> str:
    """The API's timestamp format: UTC, milliseconds, ``Z``.

    >>> iso_time(1731846896.789)
    '2024-11-17T12:34:56.789Z'
    """
    moment = dt.datetime.fromtimestamp(epoch, tz=dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def next_utc_midnight(epoch: float) -> float:
    """The first UTC midnight strictly after ``epoch`` (when Google's daily quotas reset).

    >>> iso_time(next_utc_midnight(1731846896.0))
    '2024-11-18T00:00:00.000Z'
    """
    day = dt.datetime.fromtimestamp(epoch, tz=dt.timezone.utc).date()
    midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.timezone.utc)
    return midnight.timestamp()


def utc_date(epoch: float) -> str:
    """``YYYY-MM-DD`` of ``epoch`` in UTC (the captcha-stats ``date``)."""
    return dt.datetime.fromtimestamp(epoch, tz=dt.timezone.utc).strftime("%Y-%m-%d")
