"""The shared poller: its pure schedule, what it learns, and how it treats a live set of jobs."""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass, field

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flow_widgets.errors import (
    APIConnectionError,
    NotFoundError,
    RateLimitError,
    ServiceUnavailableError,
)
from flow_widgets.runtime.poller import (
    DENSE_FRACTION,
    DurationModel,
    Poller,
    is_fatal_poll_error,
    next_poll_delay,
)

# -- the pure schedule ---------------------------------------------------------------------------


def test_schedule_is_sparse_early_and_dense_near_the_expected_finish() -> None:
    early = next_poll_delay(100, 0, min_delay=1, max_delay=1000)
    near = next_poll_delay(100, 95, min_delay=1, max_delay=1000)
    assert early > 50
    assert near == pytest.approx(100 * DENSE_FRACTION)  # a few % of the expected duration
    assert near <= 5.0


def test_schedule_backs_off_for_a_job_that_overruns() -> None:
    at_end = next_poll_delay(100, 110, min_delay=1, max_delay=1000)
    much_later = next_poll_delay(100, 300, min_delay=1, max_delay=1000)
    assert much_later > at_end
    assert next_poll_delay(100, 10_000, min_delay=1, max_delay=30) == 30


def test_errors_back_off_exponentially_up_to_the_cap() -> None:
    delays = [next_poll_delay(100, 95, failures=n, min_delay=1, max_delay=60) for n in range(1, 9)]
    assert delays[0] < delays[1] < delays[2]
    assert delays[-1] == 60


def test_retry_after_is_a_floor_and_bad_values_are_ignored() -> None:
    assert next_poll_delay(100, 95, retry_after=42, min_delay=1) == 42
    plain = next_poll_delay(100, 95, min_delay=1)
    for bad in (0.0, -5.0, float("nan"), float("inf")):
        assert next_poll_delay(100, 95, retry_after=bad, min_delay=1) == plain


@given(
    expected=st.floats(0, 10_000),
    elapsed=st.floats(0, 50_000),
    failures=st.integers(0, 100),
    spread=st.floats(0.0, 0.9),
    min_delay=st.floats(0.001, 10),
)
def test_delay_is_never_below_the_floor_or_above_the_cap(
    expected: float, elapsed: float, failures: int, spread: float, min_delay: float
) -> None:
    delay = next_poll_delay(
        expected, elapsed, failures, spread=spread, min_delay=min_delay, max_delay=60
    )
    assert min_delay <= delay <= max(60.0, min_delay)


@pytest.mark.parametrize("jitter", [0.0, 0.05, 0.1])
def test_schedule_meets_the_lateness_and_request_targets(jitter: float) -> None:
    """Median lateness ≤ 3 % of the duration with ≤ 8 requests, once the spread is learnt."""
    import random

    rng = random.Random(7)
    counts: list[int] = []
    lateness: list[float] = []
    for _ in range(400):
        actual = 100 * (1 + rng.uniform(-jitter, jitter))
        t, n = 0.0, 0
        while t < actual:
            t += next_poll_delay(100, t, spread=max(0.03, jitter), min_delay=0.01, max_delay=1e9)
            n += 1
        counts.append(n)
        lateness.append((t - actual) / actual)
    assert statistics.median(counts) <= 8
    assert statistics.median(lateness) <= 0.03


def test_fatal_poll_errors_are_the_ones_retrying_cannot_fix() -> None:
    assert is_fatal_poll_error(NotFoundError("gone", status_code=404))
    assert not is_fatal_poll_error(APIConnectionError("reset"))
    assert not is_fatal_poll_error(RateLimitError("slow down"))
    assert not is_fatal_poll_error(ServiceUnavailableError("busy", status_code=503))


# -- the duration model --------------------------------------------------------------------------


def test_duration_model_learns_the_real_ratio_and_falls_back_to_the_global_one() -> None:
    model = DurationModel()
    assert model.adjust("video:fast", 100) == (100, pytest.approx(0.15))
    for _ in range(10):
        model.observe("video:fast", 100, lower_s=49, upper_s=51)
    expected, spread = model.adjust("video:fast", 100)
    assert expected == pytest.approx(50, rel=0.02)
    assert spread < 0.1
    other, _ = model.adjust("video:quality", 240)  # unseen profile: the global ratio
    assert other == pytest.approx(120, rel=0.02)


def test_duration_model_spread_widens_for_scattered_durations() -> None:
    steady, scattered = DurationModel(), DurationModel()
    for i in range(20):
        steady.observe("p", 100, 99, 101)
        scattered.observe("p", 100, 60 + 80 * (i % 2), 61 + 80 * (i % 2))
    assert scattered.adjust("p", 100)[1] > 3 * steady.adjust("p", 100)[1]


# -- the live poller against a fake server --------------------------------------------------------


@dataclass
class FakeServer:
    """Jobs finish at fixed monotonic times; scripted errors are raised first."""

    finish_at: dict[str, float] = field(default_factory=dict)
    errors: list[Exception] = field(default_factory=list)
    requests: list[tuple[str, float]] = field(default_factory=list)

    async def fetch(self, jobid: str) -> dict[str, object]:
        now = time.monotonic()
        self.requests.append((jobid, now))
        await asyncio.sleep(0)
        if self.errors:
            raise self.errors.pop(0)
        return {"jobid": jobid, "done": now >= self.finish_at[jobid]}


@dataclass
class Outcome:
    seen_done: dict[str, float] = field(default_factory=dict)
    errors: list[tuple[str, bool]] = field(default_factory=list)
    timeouts: list[str] = field(default_factory=list)
    all_done: asyncio.Event = field(default_factory=asyncio.Event)
    expected: int = 0

    def watch(self, poller: Poller, jobid: str, expected_s: float, **kw: object) -> None:
        def on_result(job: dict[str, object]) -> bool:
            if job["done"]:
                self.seen_done[jobid] = time.monotonic()
                self._check()
                return True
            return False

        def on_error(exc: BaseException, fatal: bool) -> None:
            self.errors.append((type(exc).__name__, fatal))
            if fatal:
                self._check(extra=1)

        def on_timeout() -> None:
            self.timeouts.append(jobid)
            self._check()

        poller.watch(
            jobid,
            expected_s=expected_s,
            on_result=on_result,
            on_error=on_error,
            on_timeout=on_timeout,
            **kw,  # type: ignore[arg-type]
        )

    def _check(self, extra: int = 0) -> None:
        finished = len(self.seen_done) + len(self.timeouts) + extra
        if finished >= self.expected:
            self.all_done.set()


@pytest.mark.anyio
async def test_many_jobs_are_detected_promptly_with_few_requests() -> None:
    server = FakeServer()
    poller = Poller(server.fetch, min_delay=0.005, max_delay=1.0, seed=1)
    outcome = Outcome(expected=40)
    start = time.monotonic()
    for i in range(40):
        duration = 0.3 + 0.01 * (i % 5)
        server.finish_at[f"j{i}"] = start + duration
        outcome.watch(poller, f"j{i}", expected_s=0.32, profile="video")
    await asyncio.wait_for(outcome.all_done.wait(), 10)
    await poller.aclose()
    lateness = [
        (outcome.seen_done[j] - server.finish_at[j]) / (server.finish_at[j] - start)
        for j in server.finish_at
    ]
    per_job = poller.stats.requests_per_job
    assert len(per_job) == 40
    assert statistics.median(per_job) <= 8
    assert statistics.median(lateness) < 0.15  # generous: a busy CI loop adds scheduling lag
    assert len(poller) == 0


@pytest.mark.anyio
async def test_retry_after_on_429_delays_every_jobs_next_request() -> None:
    server = FakeServer(errors=[RateLimitError("throttled", retry_after=0.3)])
    poller = Poller(server.fetch, min_delay=0.005, max_delay=1.0, seed=2)
    outcome = Outcome(expected=2)
    start = time.monotonic()
    server.finish_at.update({"a": start, "b": start})
    outcome.watch(poller, "a", expected_s=0.0)
    await asyncio.sleep(0.05)  # the first request of "a" gets the 429
    outcome.watch(poller, "b", expected_s=0.0)
    await asyncio.wait_for(outcome.all_done.wait(), 5)
    await poller.aclose()
    first_429 = server.requests[0][1]
    later = [t for _, t in server.requests[1:]]
    assert outcome.errors == [("RateLimitError", False)]
    assert later and min(later) >= first_429 + 0.29
    assert poller.stats.rate_limited == 1


@pytest.mark.anyio
async def test_transient_errors_are_retried_and_a_fatal_one_ends_the_watch() -> None:
    server = FakeServer(
        errors=[APIConnectionError("reset"), ServiceUnavailableError("busy", status_code=503)]
    )
    poller = Poller(server.fetch, min_delay=0.005, max_delay=0.05, seed=3)
    outcome = Outcome(expected=1)
    server.finish_at["ok"] = time.monotonic()
    outcome.watch(poller, "ok", expected_s=0.0)
    await asyncio.wait_for(outcome.all_done.wait(), 5)
    assert outcome.errors == [("APIConnectionError", False), ("ServiceUnavailableError", False)]
    assert "ok" in outcome.seen_done

    server.errors.append(NotFoundError("no such job", status_code=404))
    gone = Outcome(expected=1)
    server.finish_at["gone"] = time.monotonic() + 100
    gone.watch(poller, "gone", expected_s=0.0)
    await asyncio.wait_for(gone.all_done.wait(), 5)
    await asyncio.sleep(0.1)
    await poller.aclose()
    assert gone.errors == [("NotFoundError", True)]
    assert [j for j, _ in server.requests].count("gone") == 1


@pytest.mark.anyio
async def test_a_job_past_its_deadline_gets_one_last_request_then_times_out() -> None:
    server = FakeServer()
    poller = Poller(server.fetch, min_delay=0.01, max_delay=0.1, seed=4)
    outcome = Outcome(expected=1)
    server.finish_at["stuck"] = time.monotonic() + 3600
    outcome.watch(poller, "stuck", expected_s=0.05, deadline_s=0.4)
    await asyncio.wait_for(outcome.all_done.wait(), 5)
    count_at_timeout = len(server.requests)
    await asyncio.sleep(0.3)
    await poller.aclose()
    assert outcome.timeouts == ["stuck"]
    assert len(server.requests) == count_at_timeout  # nothing after the timeout
    assert server.requests[-1][1] - server.requests[0][1] >= 0.3  # the last one was at the deadline


@pytest.mark.anyio
async def test_unwatch_stops_requests_and_poll_soon_polls_at_once() -> None:
    server = FakeServer()
    poller = Poller(server.fetch, min_delay=0.01, max_delay=5.0, seed=5)
    outcome = Outcome(expected=1)
    server.finish_at["slow"] = time.monotonic() + 3600
    outcome.watch(poller, "slow", expected_s=100.0)  # first request is far away
    await asyncio.sleep(0.05)
    assert server.requests == []
    poller.poll_soon("slow")
    await asyncio.sleep(0.05)
    assert len(server.requests) == 1
    poller.unwatch("slow")
    assert "slow" not in poller
    await asyncio.sleep(0.05)
    await poller.aclose()
    assert len(server.requests) == 1


@pytest.mark.anyio
async def test_exact_run_times_from_the_job_feed_the_duration_model() -> None:
    server = FakeServer()

    async def fetch(jobid: str) -> dict[str, object]:
        answer = await server.fetch(jobid)
        return {**answer, "ran": 2.0}  # the server's own stamps say it ran 2 s

    poller = Poller(fetch, min_delay=0.005, max_delay=0.05, seed=6, run_seconds=lambda j: j["ran"])
    outcome = Outcome(expected=6)
    start = time.monotonic()
    for i in range(6):
        server.finish_at[f"x{i}"] = start + 0.05
        outcome.watch(poller, f"x{i}", expected_s=1.0, profile="image:fast")
    await asyncio.wait_for(outcome.all_done.wait(), 5)
    await poller.aclose()
    expected, spread = poller.durations.adjust("image:fast", 1.0)
    assert expected == pytest.approx(2.0)
    assert spread == pytest.approx(0.03)  # identical observations: the narrowest window
