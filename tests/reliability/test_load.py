"""Load: hundreds of paid submissions under throttling, and what must hold however busy it gets.

Targets R-01 (exactly once under throttling), R-02 (the concurrency cap), R-05 (polling budget),
R-06 (the caller is never blocked), R-07 (no leaks) and R-08 (re-running does not re-buy). The
simulator's media synthesis is swapped for tiny stand-ins (``cheap_media``) so the time goes into
the protocol, not into encoding video.
"""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from typing import Any

import pytest

from flow_widgets.api.catalog import DEFAULT_CATALOG
from flow_widgets.simulator.config import AccountSpec
from tests.reliability.harness import (
    VIDEO_ROUTE,
    CheapMedia,
    Resources,
    SimControl,
    engine_tasks,
    settled_growth,
    share_of,
    throttle,
    unavailable,
    wait_all,
)

LOAD_ACCOUNTS = (
    AccountSpec("load.a@example.com", "ultra_200", 1_000_000),
    AccountSpec("load.b@example.com", "ultra_200", 1_000_000),
)
MODEL = "veo-3.1-lite"
_ACTIVE = frozenset({"submitting", "unknown", "accepted", "running"})


class ConcurrencyGauge:
    """Counts the handles that hold a slot remotely (sent and not yet finished), and the peak."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active: set[int] = set()
        self.peak = 0

    def follow(self, handles: list[Any]) -> None:
        for handle in handles:
            handle.on_change(self._changed)

    def _changed(self, handle: Any) -> None:
        with self._lock:
            if handle.status in _ACTIVE:
                self._active.add(id(handle))
            else:
                self._active.discard(id(handle))
            self.peak = max(self.peak, len(self._active))


def load_faults(throttled: float, unavailable_share: float) -> list[dict[str, Any]]:
    """``throttled`` of POSTs get a throttle 429 (Retry-After 0.05-0.2 s), then 503s."""
    waits = ("0.05", "0.1", "0.15", "0.2")
    shares = [(throttled / len(waits), throttle(w)) for w in waits]
    shares.append((unavailable_share, unavailable("0.1")))
    return share_of(shares, VIDEO_ROUTE)


def run_load(
    make_sim: Any,
    make_session: Any,
    figures: Any,
    *,
    rows: int,
    cap: int,
    scenario: str,
    timeout: float,
    throttled: float = 0.30,
    unavailable_share: float = 0.10,
) -> None:
    sim = make_sim(accounts=LOAD_ACCOUNTS, seed=3, free_captcha_credits=100_000, time_scale=0.0005)
    control = SimControl(sim)
    control.arm(*load_faults(throttled, unavailable_share))
    tasks_before = engine_tasks()
    baseline = Resources.baseline()
    flow = make_session(sim)
    gauge = ConcurrencyGauge()
    prompts = [f"load test clip {n}: a paper boat on a pond" for n in range(rows)]
    batch = flow.batch(prompts, kind="video", model=MODEL, concurrency=cap)
    gauge.follow(batch.jobs)
    try:
        batch.wait(timeout)
    finally:
        wait_all(batch.jobs, 5)
    handles = batch.jobs
    ledger = control.ledger()
    statuses = Counter(h.status for h in handles)
    sim_jobs = ledger.jobs_by_key()
    ours = [h.submission_id for h in handles]
    accepted_per_row = [sim_jobs.get(sid, 0) for sid in ours]
    price = DEFAULT_CATALOG.video_credits(MODEL, 8, "720p", "ultra_200")
    refused = Counter(r["status"] for r in ledger.posts(VIDEO_ROUTE) if r["status"] != 201)
    flow.close()
    growth = settled_growth(baseline)
    leftover_tasks = engine_tasks() - tasks_before
    control.close()
    completed = [h for h in handles if h.status == "completed"]
    refused_rows = [h for h in handles if h.status == "rejected"]
    figures.record(
        scenario,
        f"{rows} rows, cap {cap}; {throttled:.0%} 429 (Retry-After 0.05-0.2 s), "
        f"{unavailable_share:.0%} 503",
        posts=len(ledger.posts(VIDEO_ROUTE)),
        accepted=len(ledger.jobs),
        duplicates=ledger.resends_after_unknown(VIDEO_ROUTE)
        + sum(max(0, n - 1) for n in accepted_per_row),
        lost=sum(1 for h, n in zip(handles, accepted_per_row, strict=True) if h.ok and n == 0),
        leaks=max(0, max(growth.values()) - 2) + max(0, leftover_tasks),
        completed=len(completed),
        refused_after_6_capacity_answers=len(refused_rows),
        refusals=dict(sorted(refused.items())),
        peak_concurrency=gauge.peak,
        credits=f"{ledger.credits_charged}/{len(completed) * price}",
    )
    # Every row ends once: bought exactly once and saved, or (after six capacity refusals in a
    # row, which 40 % injected refusals make likely for a few of 200 rows) refused with nothing
    # bought. Parking such rows instead is the known bug of test_faults_submit.
    assert set(statuses) <= {"completed", "rejected"}, statuses
    assert len(completed) >= rows * 0.95
    for handle, bought in zip(handles, accepted_per_row, strict=True):
        assert bought == (1 if handle.ok else 0), (handle.status, handle.error)
    assert all(
        "try again" in (h.error or "").lower()
        or "429" in (h.error or "")
        or "503" in (h.error or "")
        for h in refused_rows
    )
    assert len(ledger.jobs) == len(completed)
    assert ledger.resends_after_unknown(VIDEO_ROUTE) == 0
    assert ledger.credits_charged == len(completed) * price
    assert gauge.peak <= cap
    assert refused[429] > 0, "the throttles must actually have fired"
    assert refused[503] > 0 or not unavailable_share
    assert max(growth.values()) <= 2, growth
    assert leftover_tasks <= 0


def test_two_hundred_batch_rows_under_throttling_and_503s_buy_each_clip_once(
    make_sim: Any, make_session: Any, figures: Any, cheap_media: CheapMedia
) -> None:
    run_load(
        make_sim,
        make_session,
        figures,
        rows=200,
        cap=6,
        scenario="R-01/02/07 load: batch under 429s+503s",
        timeout=150,
    )


@pytest.mark.slow
def test_soak_thousand_rows(
    make_sim: Any, make_session: Any, figures: Any, cheap_media: CheapMedia
) -> None:
    run_load(
        make_sim,
        make_session,
        figures,
        rows=1000,
        cap=8,
        scenario="R-01 soak: 1000 rows",
        timeout=900,
    )


class LoopLag:
    """Samples how late the engine loop wakes a 10 ms sleep (blocking work shows up here)."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._stop = threading.Event()

    async def run(self) -> None:
        import asyncio
        import time

        while not self._stop.is_set():
            start = time.perf_counter()
            await asyncio.sleep(0.01)
            self.samples.append(time.perf_counter() - start - 0.01)

    def stop(self) -> None:
        self._stop.set()

    def p99(self) -> float:
        ordered = sorted(self.samples) or [0.0]
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def test_fifty_running_jobs_stay_within_the_polling_budget(
    make_sim: Any, make_session: Any, figures: Any, cheap_media: CheapMedia
) -> None:
    sim = make_sim(max_concurrent_videos=50, time_scale=0.01, free_captcha_credits=1000)
    control = SimControl(sim)
    flow = make_session(sim)
    lag = LoopLag()
    probe = flow.engine.submit(lag.run())
    control.arm(
        {
            "route": "GET /jobs/{jobid}",
            "action": "status",
            "status": 429,
            "reason": "PUBLIC_ERROR_USER_REQUESTS_THROTTLED",
            "retryAfter": "0.3",
            "on": [40],
        }
    )
    handles = [flow.video(f"budget clip {n}", model=MODEL) for n in range(50)]
    wait_all(handles, 90)
    lag.stop()
    probe.result(5)
    ledger = control.ledger()
    per_job = ledger.job_gets()
    expected_api_s = DEFAULT_CATALOG.expected_seconds("video", MODEL)
    budget_per_job = expected_api_s / 10.0 + 3  # the vendor's 10 s cadence, plus three
    counts = sorted(len(gets) for gets in per_job.values())
    min_gap = min(
        b["time"] - a["time"] for gets in per_job.values() for a, b in itertools.pairwise(gets)
    )
    throttled = next(g for g in ledger.on("GET /jobs/{jobid}") if g["status"] == 429)
    same_job = per_job[throttled["path"].rsplit("/", 1)[-1]]
    after = [g for g in same_job if g["seq"] > throttled["seq"]]
    figures.record(
        "R-05/06 polling budget, 50 jobs",
        f"50 concurrent {MODEL} jobs ({expected_api_s:.0f} API s each), one 429 on a GET",
        posts=len(ledger.posts(VIDEO_ROUTE)),
        accepted=len(ledger.jobs),
        polls=sum(counts),
        budget=int(50 * budget_per_job),
        max_per_job=counts[-1],
        min_gap_ms=round(min_gap * 1000, 1),
        loop_lag_p99_ms=round(lag.p99() * 1000, 1),
    )
    control.close()
    assert [h.status for h in handles] == ["completed"] * 50
    assert sum(counts) <= 50 * budget_per_job
    assert min_gap >= flow.runner.poller.min_delay * 0.9
    assert after and after[0]["time"] - throttled["time"] >= 0.3 - 0.05


def test_submitting_never_blocks_the_callers_thread(
    sim: Any, make_session: Any, figures: Any
) -> None:
    """A POST the server takes 2 s to answer: ``flow.video`` has already returned, the handle
    says so, and the request is still open on the server when the caller looks."""
    control = SimControl(sim)
    flow = make_session(sim)
    control.arm({"route": VIDEO_ROUTE, "action": "delay", "seconds": 2.0, "times": 1})
    handle = flow.video("a slow server", model=MODEL)
    status_on_return = handle.status
    pending = [p for p in control.ledger().posts(VIDEO_ROUTE) if p["status"] is None]
    handle.wait(30)
    figures.record(
        "R-06 caller never blocked",
        "the server holds the POST for 2 s",
        posts=1,
        status_on_return=status_on_return,
        open_on_server=len(pending),
    )
    control.close()
    assert status_on_return in ("queued", "submitting")
    assert handle.status == "completed"


def test_more_videos_than_the_accounts_can_run_are_queued_not_refused(
    sim: Any, make_session: Any, figures: Any, cheap_media: CheapMedia
) -> None:
    control = SimControl(sim)
    flow = make_session(sim)
    handles = [flow.video(f"one of twelve in a loop {n}", model=MODEL) for n in range(12)]
    wait_all(handles, 60)
    statuses = Counter(h.status for h in handles)
    ledger = control.ledger()
    figures.record(
        "R-02 12 single submissions, 8 slots",
        "a plain loop of flow.video() over 2 accounts × 4 slots",
        posts=len(ledger.posts(VIDEO_ROUTE)),
        accepted=len(ledger.jobs),
        refused=statuses["rejected"],
    )
    control.close()
    assert statuses == Counter({"completed": 12}), statuses
