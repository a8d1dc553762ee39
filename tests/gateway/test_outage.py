"""A service that keeps failing: the gateway stops after a bounded number of upstream POSTs.

The simulator's fault switch answers 500 to every generation POST (a permanent outage). The
gateway must end the job ``failed`` with a plain sentence and give the student's credits back,
and the POSTs counted at the simulator must stop at the cap, not go on every ``replace_after``.
"""

from __future__ import annotations

import asyncio
import time

import httpx
import psycopg

from tests.gateway.harness import (
    bearer,
    gateway_thread,
    setup_class,
    simulator,
    upstream_posts,
    wait_done,
)

OUTAGE = {"route": "POST /videos", "action": "status", "status": 500}


def test_a_permanent_5xx_ends_the_job_after_a_bounded_number_of_posts(pg_url: str) -> None:
    (alice,) = setup_class(pg_url, 1, allowance=1000, budget=1000)
    with (
        simulator(faults=[OUTAGE]) as sim,
        gateway_thread(pg_url, sim, replace_after=1.0, max_attempts=4) as base,
    ):
        job = httpx.post(f"{base}/videos", json={"prompt": "x"}, headers=bearer(alice)).json()

        async def done() -> dict[str, object]:
            async with httpx.AsyncClient(timeout=30) as c:
                return await wait_done(c, base, alice, job["jobid"], timeout=30)

        record = asyncio.run(done())
        assert record["status"] == "failed", record
        assert "stopped trying" in str(record["error"]) and "given back" in str(record["error"])
        time.sleep(2.5)  # two more replace_after periods: nothing is sent again
        posts = upstream_posts(sim)
        assert len(posts) == 4, len(posts)
        assert len({p["idempotency_key"] for p in posts}) == 1
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT spent FROM class_budget").fetchone() == (0,)
        assert conn.execute("SELECT spent FROM students").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM leases").fetchone() == (0,)
        events = conn.execute("SELECT event FROM audit ORDER BY seq").fetchall()
        assert [e for (e,) in events] == ["charge", "refund"]


def test_no_answer_at_all_ends_the_job_unknown_and_keeps_the_charge(pg_url: str) -> None:
    """Every POST is reset before an answer: the job may or may not exist upstream, so the
    gateway stops after the cap but does not call it free (spec 7.1: unknown is not a failure
    to refund)."""
    (alice,) = setup_class(pg_url, 1, allowance=1000, budget=1000)
    reset = {"route": "POST /videos", "action": "reset"}
    with (
        simulator(faults=[reset]) as sim,
        gateway_thread(pg_url, sim, replace_after=1.0, max_attempts=3) as base,
    ):
        job = httpx.post(f"{base}/videos", json={"prompt": "x"}, headers=bearer(alice)).json()

        async def done() -> dict[str, object]:
            async with httpx.AsyncClient(timeout=30) as c:
                return await wait_done(c, base, alice, job["jobid"], timeout=30)

        record = asyncio.run(done())
        assert record["status"] == "failed" and "unknown" in str(record["error"]), record
        time.sleep(2.5)
        assert len(upstream_posts(sim)) == 3
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT spent FROM class_budget").fetchone() == (100,)
        events = conn.execute("SELECT event FROM audit ORDER BY seq").fetchall()
        assert [e for (e,) in events] == ["charge", "unknown"]
