"""Exactly once when the answer is lost or the gateway process dies mid-request.

The simulator's fault switches do the work and then drop the connection, or hold the answer
while the test SIGKILLs the gateway process that sent the request; a second process finishes
the job. Counted at the simulator: one job accepted, one charge, whatever happened between.
"""

from __future__ import annotations

import asyncio
import subprocess
import time

import httpx
import psycopg

from tests.gateway.harness import (
    bearer,
    gateway_process,
    gateway_thread,
    setup_class,
    sim_json,
    simulator,
    upstream_posts,
    wait_done,
)


def _status(pg_url: str) -> str:
    with psycopg.connect(pg_url) as conn:
        row = conn.execute("SELECT status FROM requests").fetchone()
    return str(row[0]) if row else ""


def test_a_dropped_answer_is_asked_again_with_the_same_key(pg_url: str) -> None:
    (alice,) = setup_class(pg_url, 1, allowance=1000, budget=1000)
    drop = {"route": "POST /videos", "action": "drop", "on": [1]}
    with simulator(faults=[drop]) as sim, gateway_thread(pg_url, sim) as base:
        job = httpx.post(f"{base}/videos", json={"prompt": "x"}, headers=bearer(alice)).json()

        async def done() -> str:
            async with httpx.AsyncClient(timeout=30) as c:
                return str((await wait_done(c, base, alice, job["jobid"]))["status"])

        assert asyncio.run(done()) == "completed"
        posts = upstream_posts(sim)
        assert len(posts) == 2 and len({p["idempotency_key"] for p in posts}) == 1
        assert len(sim_json(sim, "/_sim/ledger")["jobs"]) == 1


def test_a_gateway_killed_mid_request_is_finished_by_another_exactly_once(pg_url: str) -> None:
    (alice,) = setup_class(pg_url, 1, allowance=1000, budget=1000)
    hold = {"route": "POST /videos", "action": "delay_reply", "seconds": 30, "on": [1]}
    procs: list[subprocess.Popen[bytes]] = []
    with simulator(faults=[hold]) as sim:
        with gateway_process(pg_url, sim, procs=procs) as first:
            job = httpx.post(f"{first}/videos", json={"prompt": "x"}, headers=bearer(alice)).json()
            deadline = time.monotonic() + 20
            while not upstream_posts(sim) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert _status(pg_url) == "placing"
            time.sleep(0.5)  # the simulator has done the work and holds the answer
            procs[0].kill()
            procs[0].wait(10)
        with gateway_process(pg_url, sim, replace_after=1.0) as second:

            async def done() -> str:
                async with httpx.AsyncClient(timeout=30) as c:
                    record = await wait_done(c, second, alice, job["jobid"], timeout=60)
                    return str(record["status"])

            assert asyncio.run(done()) == "completed"
        posts = upstream_posts(sim)
        assert len(posts) == 2 and len({p["idempotency_key"] for p in posts}) == 1
        assert len(sim_json(sim, "/_sim/ledger")["jobs"]) == 1  # 0 duplicates, 0 lost
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT spent FROM class_budget").fetchone() == (100,)
