"""Coalesce bursts of change notifications into a few repaints per second.

Why: a panel listens to many things at once — every job handle, the credit tracker, the ledger —
and the engine thread can fire dozens of notifications in a second (a batch of forty jobs
finishing together). Each repaint is a comm message to the browser, so a panel repaints through
one :class:`Throttle`: the first request runs at once, later ones within ``min_interval`` are
folded into one trailing run, so the last change is never lost and the browser never sees more
than ``1 / min_interval`` updates per second from that panel.

The repaint runs on whichever thread asked (usually the engine's) or on the scheduler's; it must
only set traits, never write through ``with output:`` (DESIGN decision 2).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

__all__ = ["Scheduler", "Throttle", "engine_scheduler", "timer_scheduler"]

log = logging.getLogger("flow_widgets.ui")

# (delay_seconds, callback) -> None
Scheduler = Callable[[float, Callable[[], None]], None]


def timer_scheduler(delay: float, callback: Callable[[], None]) -> None:
    """Run ``callback`` after ``delay`` seconds on a short-lived daemon timer thread."""
    timer = threading.Timer(delay, callback)
    timer.daemon = True
    timer.name = "flow-widgets-throttle"
    timer.start()


def engine_scheduler(delay: float, callback: Callable[[], None]) -> None:
    """Run ``callback`` after ``delay`` seconds on the engine loop (no thread per delay)."""
    from flow_widgets.runtime.engine import Engine

    loop = Engine.get().loop
    loop.call_soon_threadsafe(loop.call_later, delay, callback)


class Throttle:
    """Run ``callback`` at most once per ``min_interval`` seconds, never dropping the last call.

    Args:
        callback: the repaint; called with no arguments. Exceptions are logged, never raised
            into the notifying thread.
        min_interval: the shortest gap between two runs, in seconds.
        scheduler: how a trailing run is delayed (injected by tests).
        clock: a monotonic clock (injected by tests).

    Example:
        >>> calls = []
        >>> throttle = Throttle(lambda: calls.append(1), min_interval=60)
        >>> throttle(); throttle(); throttle()   # one run now, one trailing run scheduled
        >>> len(calls)
        1
        >>> throttle.close()
    """

    def __init__(
        self,
        callback: Callable[[], None],
        *,
        min_interval: float = 0.5,
        scheduler: Scheduler = timer_scheduler,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._callback = callback
        self._min_interval = min_interval
        self._scheduler = scheduler
        self._clock = clock
        self._lock = threading.Lock()
        self._last = float("-inf")
        self._scheduled = False
        self._closed = False
        self.runs = 0

    def __call__(self, *_ignored: object) -> None:
        """Ask for a run (any arguments are ignored, so it can be an observer directly)."""
        with self._lock:
            if self._closed:
                return
            wait = self._last + self._min_interval - self._clock()
            if wait > 0:
                if not self._scheduled:
                    self._scheduled = True
                    self._scheduler(wait, self._trailing)
                return
            self._last = self._clock()
        self._run()

    def hold(self) -> None:
        """Count a run that happened outside (a first display): the next one waits its turn."""
        with self._lock:
            self._last = self._clock()

    def flush(self) -> None:
        """Run now, whatever the interval says (a click wants its answer at once)."""
        with self._lock:
            if self._closed:
                return
            self._last = self._clock()
        self._run()

    def close(self) -> None:
        """Stop running; pending trailing runs are dropped."""
        with self._lock:
            self._closed = True

    def _trailing(self) -> None:
        with self._lock:
            self._scheduled = False
            if self._closed:
                return
            self._last = self._clock()
        self._run()

    def _run(self) -> None:
        self.runs += 1
        try:
            self._callback()
        except Exception:  # a broken repaint must not break the engine loop
            log.exception("A panel repaint failed")
