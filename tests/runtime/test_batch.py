"""Batches: adaptive per-account slots, and whole batches against the simulator."""

from __future__ import annotations

import asyncio

import pytest
from session_support import SimControl, assert_valid_media

from flow_widgets.errors import BudgetExceededError, ValidationError
from flow_widgets.runtime.batch import rows_of
from flow_widgets.runtime.session import FlowSession
from flow_widgets.runtime.slots import SlotPool
from flow_widgets.simulator.server import RunningSimulator

async_test = pytest.mark.anyio


@async_test
async def test_slots_spread_over_accounts_and_wait_when_full() -> None:
    pool = SlotPool({"a@x.com": 2, "b@x.com": 2})
    taken = [await pool.acquire() for _ in range(4)]
    assert [lane.account for lane in taken if lane] == ["a@x.com", "b@x.com"] * 2
    assert pool.busy == 4 and pool.peak_busy == 4

    waiter = asyncio.ensure_future(pool.acquire())
    await asyncio.sleep(0.02)
    assert not waiter.done()
    assert taken[1] is not None
    pool.release(taken[1])
    lane = await asyncio.wait_for(waiter, 1)
    assert lane is not None and lane.account == "b@x.com"


@async_test
async def test_overall_concurrency_caps_every_account_together() -> None:
    pool = SlotPool({"a@x.com": 4, "b@x.com": 4}, total=3)
    for _ in range(3):
        assert await pool.acquire() is not None
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(pool.acquire(), 0.05)
    with pytest.raises(ValueError, match="concurrency must be 1 or more"):
        SlotPool({None: 1}, total=0)


@async_test
async def test_a_throttled_account_is_halved_paused_and_recovers() -> None:
    now = [0.0]
    pool = SlotPool({"a@x.com": 4, "b@x.com": 4}, recover_after=2, clock=lambda: now[0])
    a = pool.lane("a@x.com")
    first = await pool.acquire()
    assert first is a
    pool.throttled(a, retry_after=30)
    pool.release(a)
    assert a.limit == 2 and pool.throttles == 1
    # while paused, every slot goes to b
    got = [await pool.acquire() for _ in range(4)]
    assert {lane.account for lane in got if lane} == {"b@x.com"}
    now[0] = 31.0
    lane = await pool.acquire()
    assert lane is a
    pool.accepted(a)
    pool.accepted(a)
    assert a.limit == 3


@async_test
async def test_pausing_rests_an_account_and_a_pause_without_end_closes_it() -> None:
    now = [0.0]
    pool = SlotPool({"a@x.com": 1, "b@x.com": 1}, clock=lambda: now[0])
    a, b = pool.lane("a@x.com"), pool.lane("b@x.com")
    pool.pause(a, 10.0)
    assert await pool.acquire() is b
    now[0] = 11.0
    assert await pool.acquire() is a
    pool.pause(None, None)  # every account out of quota until a far-away reset
    assert pool.closed


@async_test
async def test_closed_accounts_get_no_more_work_and_a_closed_pool_returns_none() -> None:
    pool = SlotPool({"a@x.com": 1, "b@x.com": 1})
    a, b = pool.lane("a@x.com"), pool.lane("b@x.com")
    pool.close(a)
    assert await pool.acquire() is b
    waiter = asyncio.ensure_future(pool.acquire())
    await asyncio.sleep(0.01)
    pool.close()
    assert await asyncio.wait_for(waiter, 1) is None
    assert pool.closed


@async_test
async def test_a_retry_after_above_two_minutes_or_unusable_gets_the_short_rest() -> None:
    now = [0.0]
    pool = SlotPool({"a@x.com": 4}, default_pause=5.0, clock=lambda: now[0])
    a = pool.lane("a@x.com")
    for asked, rested in [(999_999.0, 5.0), (120.0, 120.0), (0.0, 5.0), (-3.0, 5.0), (None, 5.0)]:
        a.paused_until = 0.0
        pool.throttled(a, retry_after=asked)
        assert a.paused_until == rested, asked
    a.paused_until = 0.0
    pool.rest(a, 86_400.0)  # a 503 asking for a day rests like a throttle
    assert a.paused_until == 5.0


@async_test
async def test_a_model_out_of_quota_is_blocked_on_that_account_only() -> None:
    now = [0.0]
    pool = SlotPool({"a@x.com": 1, "b@x.com": 1}, clock=lambda: now[0])
    a, b = pool.lane("a@x.com"), pool.lane("b@x.com")
    pool.block(a, "veo-3.1-lite", 3600.0, "quota for veo-3.1-lite reached until 00:00 UTC")
    assert await pool.acquire("veo-3.1-lite") is b
    pool.release(b)
    assert await pool.acquire("veo-3.1-fast") is a  # the account's other models still run
    pool.release(a)
    pool.block(b, "veo-3.1-lite", 3600.0, "quota for veo-3.1-lite reached until 00:00 UTC")
    assert not pool.serves("veo-3.1-lite") and not pool.closed
    assert await pool.acquire("veo-3.1-lite") is None  # refused at once, not left waiting
    assert "00:00 UTC" in pool.refusal("veo-3.1-lite")
    now[0] = 3601.0  # the reset
    assert await pool.acquire("veo-3.1-lite") is not None


# -- whole batches against the simulator ---------------------------------------------------------

SIMULATOR = {"seed": 41}


@pytest.fixture
def flow(flow: FlowSession) -> FlowSession:
    """The conftest's session, with its accounts read (so lanes exist from the first row)."""
    flow.refresh_accounts()
    return flow


def test_rows_come_from_prompts_dicts_or_tables() -> None:
    class Table:  # the two DataFrame methods a batch uses
        columns = ("prompt", "seed")

        def to_dict(self, orient: str) -> list[dict[str, object]]:
            assert orient == "records"
            return [{"prompt": "a", "seed": 1}]

    assert rows_of(["x", {"prompt": "y", "count": 2}]) == [
        {"prompt": "x"},
        {"prompt": "y", "count": 2},
    ]
    assert rows_of(Table()) == [{"prompt": "a", "seed": 1}]
    with pytest.raises(ValidationError, match="prompts \\(text\\) or dicts"):
        rows_of([3])


@pytest.mark.timeout(120)
def test_a_batch_fills_both_accounts_and_buys_each_row_once(
    flow: FlowSession, control: SimControl
) -> None:
    prompts = [f"batch shot {i}" for i in range(12)]
    batch = flow.batch(prompts, model="veo-3.1-quality")  # one price on both plans: spread
    assert len(batch) == 12
    batch.wait(90)
    results = batch.results()
    assert [r["status"] for r in results] == ["completed"] * 12
    assert {job.account for job in batch.jobs} == {"ultra.demo@gmail.com", "pro.demo@gmail.com"}
    for job in batch.jobs:
        assert job.media[0].path is not None
        assert_valid_media(job.media[0].path, "video")
    assert batch.pool is not None and batch.pool.peak_busy <= 8
    assert sorted(control.jobs_by_key().values()) == [1] * 12
    assert str(batch.progress).startswith("12/12 done")

    again = flow.batch(prompts, model="veo-3.1-quality").wait(30)  # an identical re-run
    assert [r["status"] for r in again.results()] == ["completed"] * 12
    assert control.count("POST /videos") == 12


@pytest.mark.timeout(120)
def test_throttled_rows_are_requeued_and_the_account_backs_off(
    flow: FlowSession, control: SimControl
) -> None:
    control.throttle("POST /videos", times=2)
    batch = flow.batch([f"throttled {i}" for i in range(5)], model="veo-3.1-lite").wait(90)
    assert [r["status"] for r in batch.results()] == ["completed"] * 5
    assert batch.pool is not None and batch.pool.throttles == 2
    assert sorted(control.jobs_by_key().values()) == [1] * 5
    assert control.count("POST /videos") == 5 + 2


@pytest.mark.timeout(120)
def test_402_stops_submitting_and_what_runs_finishes(
    flow: FlowSession, control: SimControl, sim: RunningSimulator
) -> None:
    before = SimControl(sim)
    before.mark = 0
    sent_so_far = before.count("POST /videos")
    before.http.close()
    control.fault(route="POST /videos", action="status", status=402, on=[sent_so_far + 5])
    batch = flow.batch(
        [f"credits run out {i}" for i in range(12)], model="veo-3.1-lite", concurrency=1
    ).wait(90)
    statuses = [r["status"] for r in batch.results()]
    assert statuses.count("completed") == 4
    assert statuses.count("rejected") == 1
    assert statuses.count("cancelled") == 7
    assert control.count("POST /videos") == 5
    assert batch.stop_reason is not None and "credits" in batch.stop_reason.lower()
    stopped = [r for r in batch.results() if r["status"] == "cancelled"]
    assert all(r["error"].startswith("Not sent") for r in stopped)


def test_a_batch_over_budget_or_with_a_bad_row_sends_nothing(
    flow: FlowSession, control: SimControl
) -> None:
    flow.budget = 100
    with pytest.raises(BudgetExceededError, match="would cost 120 credits"):
        flow.batch(
            [f"pricey {i}" for i in range(6)], model="veo-3.1-fast", email="pro.demo@gmail.com"
        )
    with pytest.raises(ValidationError, match=r"^Row 2: duration"):
        flow.batch([{"prompt": "fine"}, {"prompt": "bad", "duration": 10}], model="veo-3.1-lite")
    assert control.ledger()["requests"] == []
