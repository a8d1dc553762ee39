"""Batches: adaptive per-account slots, and whole batches against the simulator."""

from __future__ import annotations

import asyncio

import pytest

from flow_widgets.runtime.slots import SlotPool

pytestmark = pytest.mark.anyio


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


async def test_overall_concurrency_caps_every_account_together() -> None:
    pool = SlotPool({"a@x.com": 4, "b@x.com": 4}, total=3)
    for _ in range(3):
        assert await pool.acquire() is not None
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(pool.acquire(), 0.05)
    with pytest.raises(ValueError, match="concurrency must be 1 or more"):
        SlotPool({None: 1}, total=0)


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
