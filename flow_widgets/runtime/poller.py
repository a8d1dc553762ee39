"""One shared poller for every job in the process, paced by each job's expected duration.

Why one poller and not a loop per job: a hundred live jobs must not mean a hundred timers hammering
``GET /jobs/{jobid}``. A single task keeps a heap of due times, runs a bounded number of status
requests at once, and honours a 429's ``Retry-After`` for every job, since the API rate-limits the
token, not the job.

Why adaptive: a video takes minutes and an image seconds. Polling at a fixed 15 s (the vendor's
example) is both wasteful early and late at the end. :func:`next_poll_delay` is sparse while the
finish is far away, dense inside the window where the job is expected to end, and slowly sparser
again for a job that overruns; errors back off exponentially. :class:`DurationModel` learns from
finished jobs how long each kind of job really takes compared with the catalog's figure, so the
dense window lands where jobs actually finish (and an accelerated simulator clock is learnt too).

After its deadline a job gets one last status request and is then reported timed out; it stays
re-attachable (the remote job may still finish).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import math
import random
import statistics
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from flow_widgets.errors import (
    AuthenticationError,
    BadRequestError,
    JobExpiredError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
)

__all__ = [
    "DurationModel",
    "PollStats",
    "Poller",
    "Watch",
    "is_fatal_poll_error",
    "next_poll_delay",
]

log = logging.getLogger("flow_widgets.poller")

#: Spacing of polls inside the expected-finish window, as a share of the expected duration.
#: Median lateness is about half of it; measured with ``make bench`` (100 jobs): 0.035 gave 1.9 %
#: lateness and 9 status requests per job, 0.045 gives 2.2 % and 7 (targets 3 % and 8).
DENSE_FRACTION = 0.045
#: Before the window each wait covers this share of the time left until the window opens.
APPROACH_FRACTION = 0.8
#: How uncertain the finish time is (± share of the expected duration) before anything is learnt.
PRIOR_SPREAD = 0.15

_FATAL = (
    AuthenticationError,
    BadRequestError,
    JobExpiredError,
    NotFoundError,
    PermissionDeniedError,
)


def next_poll_delay(
    expected_s: float,
    elapsed_s: float,
    failures: int = 0,
    retry_after: float | None = None,
    *,
    spread: float = PRIOR_SPREAD,
    min_delay: float = 1.0,
    max_delay: float = 60.0,
) -> float:
    """Seconds to wait before the next status request of one job.

    Args:
        expected_s: how long the job is expected to take in total.
        elapsed_s: how long it has been running.
        failures: consecutive failed status requests (0 after a success).
        retry_after: the server's ``Retry-After`` from the last answer, if any.
        spread: the finish is expected within ``expected_s × (1 ± spread)``.
        min_delay: never poll one job more often than this.
        max_delay: never wait longer than this (unless the server asked for it).
    """
    expected = max(expected_s, min_delay)
    dense = max(min_delay, DENSE_FRACTION * expected)
    window_open = expected * (1.0 - spread)
    window_close = expected * (1.0 + spread)
    if elapsed_s < window_open:
        delay = max(dense, APPROACH_FRACTION * (window_open - elapsed_s))
    elif elapsed_s <= window_close:
        delay = dense
    else:  # overrunning: back off in proportion to how late it is
        delay = dense * (1.0 + (elapsed_s - window_close) / expected)
    delay = min(delay, max_delay)
    if failures > 0:
        backoff_base = max(2.0 * min_delay, dense)
        backoff = backoff_base * 2.0 ** min(failures - 1, 16)
        delay = max(delay, min(backoff, max_delay))
    if retry_after is not None and math.isfinite(retry_after) and retry_after > 0:
        delay = max(delay, retry_after)
    return max(delay, min_delay)


def is_fatal_poll_error(exc: BaseException) -> bool:
    """True for status-request errors that retrying cannot fix (the job is gone or not ours)."""
    return isinstance(exc, _FATAL)


#: Recent finished jobs a profile remembers (the window tracks a drifting service).
DURATION_WINDOW = 40
#: Observations needed before the learnt range replaces the prior spread.
MIN_SAMPLES = 5
#: A job that took more than this many times (or less than its inverse) its expected duration
#: taught nothing about the next one: a skewed server stamp, a job parked for hours.
IMPLAUSIBLE_RATIO = 20.0
#: Samples further than this factor from the median are left out of the learnt range.
OUTLIER_FACTOR = 3.0


class DurationModel:
    """Learns, per kind of job, how long jobs really take compared with their expected figure.

    Each finished job gives the ratio of its real run time to the catalog's figure: exact when
    the job carries its own timestamps, else known to lie between its last "still running" and
    its "finished" answers. A profile (for example ``"video:veo-3.1-fast"``) keeps the last
    :data:`DURATION_WINDOW` of them; the range from their 10th to 90th percentile (interpolated,
    after leaving out samples more than :data:`OUTLIER_FACTOR` from the median) is where the next
    job is expected to end, which is where :func:`next_poll_delay` polls densely. Implausible
    samples (:data:`IMPLAUSIBLE_RATIO`) are never recorded: one job whose ``created`` stamp was a
    day off once pinned every later poll to the longest gap. Profiles not seen yet use every
    profile's observations (this is how an accelerated clock is learnt).
    """

    def __init__(self, *, min_spread: float = 0.03, max_spread: float = 0.6) -> None:
        self._min_spread = min_spread
        self._max_spread = max_spread
        self._profiles: dict[str, deque[tuple[float, float]]] = {}
        self._global: deque[tuple[float, float]] = deque(maxlen=DURATION_WINDOW)

    def adjust(self, profile: str | None, expected_s: float) -> tuple[float, float]:
        """The learnt (expected seconds, spread) of a job whose catalog figure is ``expected_s``."""
        samples = self._profiles.get(profile) if profile is not None else None
        if not samples:
            samples = self._global
        if not samples:
            return expected_s, PRIOR_SPREAD
        if len(samples) < MIN_SAMPLES:
            middle = statistics.median((low + high) / 2.0 for low, high in samples)
            return expected_s * middle, PRIOR_SPREAD
        middle = statistics.median((low + high) / 2.0 for low, high in samples)
        kept = [
            (low, high)
            for low, high in samples
            if middle / OUTLIER_FACTOR <= (low + high) / 2.0 <= middle * OUTLIER_FACTOR
        ] or list(samples)
        low = _quantile(sorted(low for low, _ in kept), 0.10)
        high = _quantile(sorted(high for _, high in kept), 0.90)
        centre = (low + high) / 2.0
        spread = (high - low) / (high + low) if high + low > 0 else PRIOR_SPREAD
        return expected_s * centre, min(self._max_spread, max(self._min_spread, spread))

    def observe(
        self, profile: str | None, expected_s: float, lower_s: float, upper_s: float
    ) -> None:
        """Record that a job expected to take ``expected_s`` ended between ``lower_s`` and
        ``upper_s`` seconds after it started."""
        if expected_s <= 0 or upper_s <= 0:
            return
        lower = max(0.0, min(lower_s, upper_s))
        sample = (lower / expected_s, upper_s / expected_s)
        if not 1.0 / IMPLAUSIBLE_RATIO <= sample[1] <= IMPLAUSIBLE_RATIO:
            log.info(
                "ignoring an implausible duration of %.0f s (expected %.0f s)", upper_s, expected_s
            )
            return
        self._global.append(sample)
        if profile is not None:
            self._profiles.setdefault(profile, deque(maxlen=DURATION_WINDOW)).append(sample)


def _quantile(ordered: list[float], q: float) -> float:
    """The ``q`` quantile of sorted values, interpolated (never simply the maximum)."""
    if len(ordered) == 1:
        return ordered[0]
    position = q * (len(ordered) - 1)
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


@dataclass(eq=False)
class Watch:
    """One job being watched. Created by :meth:`Poller.watch`; owned by the poller's loop."""

    jobid: str
    expected_s: float
    started: float
    deadline: float
    on_result: Callable[[Any], bool]
    on_error: Callable[[BaseException, bool], None]
    on_timeout: Callable[[], None]
    profile: str | None = None
    allowed: float = 0.0
    failures: int = 0
    retry_after: float | None = None
    requests: int = 0
    last_running_elapsed: float = 0.0
    final: bool = False
    active: bool = True
    in_flight: bool = False
    seq: int = -1
    due: float = 0.0


@dataclass
class PollStats:
    """Counters for benchmarks and the dashboard."""

    requests: int = 0
    errors: int = 0
    rate_limited: int = 0
    completed: int = 0
    timed_out: int = 0
    requests_per_job: list[int] = field(default_factory=list)


class Poller:
    """The shared status poller. Lives on the engine loop; every method must be called there.

    Args:
        fetch: ``async fetch(jobid) -> job`` (one ``GET /jobs/{jobid}``).
        min_delay / max_delay: bounds of :func:`next_poll_delay` in wall-clock seconds.
        deadline_s: default overall deadline of a job, in wall-clock seconds from its start.
        max_in_flight: status requests allowed at once.
        clock: a monotonic clock (injectable for tests).
        durations: the learnt duration model (shared so benchmarks can inspect it).
        run_seconds: reads a finished job's exact run time from its own timestamps, when it
            has them (better than the interval between two polls for learning).
    """

    def __init__(
        self,
        fetch: Callable[[str], Awaitable[Any]],
        *,
        min_delay: float = 2.0,
        max_delay: float = 60.0,
        deadline_s: float = 1200.0,
        max_in_flight: int = 8,
        jitter: float = 0.03,
        clock: Callable[[], float] = time.monotonic,
        durations: DurationModel | None = None,
        seed: int | None = None,
        run_seconds: Callable[[Any], float | None] | None = None,
    ) -> None:
        self._fetch = fetch
        self._run_seconds = run_seconds
        self.min_delay = min_delay
        self.max_delay = max_delay
        self.deadline_s = deadline_s
        self._slots = asyncio.Semaphore(max_in_flight)
        self._jitter = jitter
        self._clock = clock
        self.durations = durations or DurationModel()
        self._rng = random.Random(seed)
        self._heap: list[tuple[float, int, Watch]] = []
        self._watches: dict[str, Watch] = {}
        self._seq = itertools.count()
        self._wake = asyncio.Event()
        self._not_before = 0.0
        self._task: asyncio.Task[None] | None = None
        self._inflight: set[asyncio.Task[None]] = set()
        self.stats = PollStats()

    def __len__(self) -> int:
        return len(self._watches)

    def __contains__(self, jobid: object) -> bool:
        return jobid in self._watches

    # -- public, engine-loop only ------------------------------------------------------------

    def watch(
        self,
        jobid: str,
        *,
        expected_s: float,
        on_result: Callable[[Any], bool],
        on_error: Callable[[BaseException, bool], None],
        on_timeout: Callable[[], None],
        elapsed_s: float = 0.0,
        deadline_s: float | None = None,
        profile: str | None = None,
    ) -> Watch:
        """Start watching ``jobid``; ``on_result(job)`` returns True when the job is finished.

        ``elapsed_s`` is how long the job has already been running (re-attached jobs).
        ``on_error(exc, fatal)`` hears about failed status requests; fatal ones end the watch.
        """
        self.unwatch(jobid)
        now = self._clock()
        started = now - max(0.0, elapsed_s)
        deadline = started + (self.deadline_s if deadline_s is None else deadline_s)
        item = Watch(
            jobid=jobid,
            expected_s=max(expected_s, 0.0),
            started=started,
            deadline=max(deadline, now),
            on_result=on_result,
            on_error=on_error,
            on_timeout=on_timeout,
            profile=profile,
            allowed=self.deadline_s if deadline_s is None else deadline_s,
        )
        self._watches[jobid] = item
        self._schedule(item, self._delay_for(item, now))
        self._ensure_running()
        return item

    def unwatch(self, jobid: str) -> None:
        """Stop watching ``jobid`` (its remote job is untouched)."""
        item = self._watches.pop(jobid, None)
        if item is not None:
            item.active = False

    def hold(self, jobid: str) -> None:
        """``jobid`` still waits in a queue in front of the API (a class gateway's ``queued``):
        its run has not begun, so its clock and its deadline start over from now -- a long
        line must not time the job out nor teach the duration model that jobs run long."""
        item = self._watches.get(jobid)
        if item is not None:
            now = self._clock()
            item.started, item.deadline, item.final = now, now + item.allowed, False

    def poll_soon(self, jobid: str) -> None:
        """Make ``jobid`` due now (a user pressed refresh)."""
        item = self._watches.get(jobid)
        if item is not None and not item.in_flight:
            self._schedule(item, 0.0)

    async def aclose(self) -> None:
        """Stop the loop and any status request in flight."""
        for item in self._watches.values():
            item.active = False
        self._watches.clear()
        tasks = [t for t in (self._task, *self._inflight) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._task = None

    # -- scheduling --------------------------------------------------------------------------

    def _delay_for(self, item: Watch, now: float) -> float:
        expected, spread = self.durations.adjust(item.profile, item.expected_s)
        delay = next_poll_delay(
            expected,
            now - item.started,
            item.failures,
            item.retry_after,
            spread=spread,
            min_delay=self.min_delay,
            max_delay=self.max_delay,
        )
        if self._jitter:
            delay *= 1.0 + self._rng.uniform(-self._jitter, self._jitter)
        return max(delay, self.min_delay)

    def _schedule(self, item: Watch, delay: float) -> None:
        now = self._clock()
        due = now + delay
        if due >= item.deadline and not item.final:
            due = max(item.deadline, now)
            item.final = True
        item.due = due
        item.seq = next(self._seq)
        heapq.heappush(self._heap, (due, item.seq, item))
        self._wake.set()

    def _ensure_running(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="flow-poller")

    async def _run(self) -> None:
        while True:
            now = self._clock()
            while self._heap and self._heap[0][0] <= now:
                _, seq, item = heapq.heappop(self._heap)
                if item.active and item.seq == seq and not item.in_flight:
                    item.in_flight = True
                    task = asyncio.get_running_loop().create_task(self._poll(item))
                    self._inflight.add(task)
                    task.add_done_callback(self._poll_done)
            timeout = self._heap[0][0] - now if self._heap else None
            self._wake.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    def _poll_done(self, task: asyncio.Task[None]) -> None:
        self._inflight.discard(task)
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            log.error("A status poll crashed: %s", exc, exc_info=exc)

    # -- one status request ------------------------------------------------------------------

    async def _poll(self, item: Watch) -> None:
        try:
            async with self._slots:
                wait = self._not_before - self._clock()
                if wait > 0:
                    await asyncio.sleep(wait)
                if not item.active:
                    return
                item.requests += 1
                self.stats.requests += 1
                try:
                    job = await self._fetch(item.jobid)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # noqa: BLE001 - every failure is classified below
                    self._handle_error(item, exc)
                    return
            self._handle_result(item, job)
        finally:
            item.in_flight = False

    def _handle_result(self, item: Watch, job: Any) -> None:
        if not item.active:
            return
        now = self._clock()
        item.failures = 0
        item.retry_after = None
        try:
            finished = item.on_result(job)
        except Exception as exc:
            log.error("Handling the status of %s failed: %s", item.jobid, exc, exc_info=exc)
            finished = False
        elapsed = max(0.0, now - item.started)  # after on_result: it may hold a queued job
        if finished:
            exact = self._exact_run_seconds(job)
            if exact is not None and exact > elapsed + max(60.0, item.expected_s):
                exact = None  # the server's stamps disagree with what was watched: skewed

            lower, upper = (
                (exact, exact) if exact is not None else (item.last_running_elapsed, elapsed)
            )
            self.durations.observe(item.profile, item.expected_s, lower, upper)
            self.stats.completed += 1
            self._finish(item)
            return
        item.last_running_elapsed = elapsed
        self._next(item, now)

    def _exact_run_seconds(self, job: Any) -> float | None:
        if self._run_seconds is None:
            return None
        try:
            seconds = self._run_seconds(job)
        except (TypeError, ValueError):
            return None
        return seconds if seconds is not None and seconds > 0 else None

    def _handle_error(self, item: Watch, exc: Exception) -> None:
        self.stats.errors += 1
        fatal = is_fatal_poll_error(exc)
        if isinstance(exc, RateLimitError):
            self.stats.rate_limited += 1
            if exc.retry_after is not None and exc.retry_after > 0:
                self._not_before = max(self._not_before, self._clock() + exc.retry_after)
        try:
            item.on_error(exc, fatal)
        except Exception as cb_exc:  # noqa: BLE001 - a broken observer must not stop polling
            log.error("Reporting a poll error of %s failed: %s", item.jobid, cb_exc)
        if fatal:
            self._finish(item)
            return
        item.failures += 1
        item.retry_after = getattr(exc, "retry_after", None)
        self._next(item, self._clock())

    def _next(self, item: Watch, now: float) -> None:
        if not item.active:
            return
        if item.final and now >= item.deadline:
            self.stats.timed_out += 1
            self._finish(item)
            try:
                item.on_timeout()
            except Exception as exc:  # noqa: BLE001 - a broken observer must not stop polling
                log.error("Reporting the timeout of %s failed: %s", item.jobid, exc)
            return
        self._schedule(item, self._delay_for(item, now))

    def _finish(self, item: Watch) -> None:
        item.active = False
        self.stats.requests_per_job.append(item.requests)
        if self._watches.get(item.jobid) is item:
            del self._watches[item.jobid]
