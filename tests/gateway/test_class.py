"""A class at once: the budget, the allowances, the accounts' caps, fairness, and two gateway
processes on one database. Counted at the simulator (its ledger of POSTs and its peak of jobs
executing per account), not by the gateway's own word."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from typing import Any

import httpx
import psycopg
import pytest

from tests.gateway.harness import (
    ACCOUNTS,
    PRICE,
    TEACHER_TOKEN,
    bearer,
    gateway_process,
    gateway_thread,
    setup_class,
    sim_json,
    simulator,
    upstream_posts,
    wait_done,
)


async def _post_all(bases: list[str], tokens: list[str], per_student: int) -> list[httpx.Response]:
    """Every student fires ``per_student`` POSTs at once (spread over ``bases``)."""
    limits = httpx.Limits(max_connections=200)
    async with httpx.AsyncClient(timeout=60, limits=limits) as c:
        base = itertools.cycle(bases)
        calls = [
            c.post(f"{next(base)}/videos", json={"prompt": f"{i}-{n}"}, headers=bearer(token))
            for n in range(per_student)
            for i, token in enumerate(tokens)
        ]
        return list(await asyncio.gather(*calls))


def _settle(pg_url: str, timeout: float = 90) -> None:
    """Wait until no request is queued or running."""
    import time

    deadline = time.monotonic() + timeout
    with psycopg.connect(pg_url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(
                "SELECT count(*) FROM requests WHERE status IN ('queued','placing','placed')"
            ).fetchone()
            if row == (0,):
                return
            time.sleep(0.2)
    raise AssertionError("the class did not finish")


def test_class_budget_and_allowances_hold_with_everyone_spending_at_once(pg_url: str) -> None:
    # 10 students x 4 at once; allowance 2 videos each (20 in all) but the class budget is 7.
    tokens = setup_class(pg_url, 10, allowance=2 * PRICE, budget=7 * PRICE)
    with simulator() as sim, gateway_thread(pg_url, sim) as base:
        answers = asyncio.run(_post_all([base], tokens, 4))
        accepted = [a for a in answers if a.status_code == 201]
        refused = [a for a in answers if a.status_code == 402]
        assert len(accepted) == 7 and len(refused) == 33, Counter(a.status_code for a in answers)
        assert "budget" in refused[0].json()["error"] or "allowance" in refused[0].json()["error"]
        _settle(pg_url)
        assert len(upstream_posts(sim)) == 7
        assert len(sim_json(sim, "/_sim/ledger")["jobs"]) == 7
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT spent, budget FROM class_budget").fetchone() == (700, 700)
        per_student = conn.execute("SELECT max(spent) FROM students").fetchone()
        assert per_student is not None and per_student[0] <= 2 * PRICE
        audit = conn.execute("SELECT sum(credits) FROM audit").fetchone()
        assert audit == (700,)


def test_allowance_alone_holds_under_concurrency(pg_url: str) -> None:
    tokens = setup_class(pg_url, 5, allowance=3 * PRICE, budget=10_000)
    with simulator() as sim, gateway_thread(pg_url, sim) as base:
        answers = asyncio.run(_post_all([base], tokens, 6))
        per_token = Counter(
            a.request.headers["authorization"] for a in answers if a.status_code == 201
        )
        assert sorted(per_token.values()) == [3] * 5
        _settle(pg_url)
        assert len(upstream_posts(sim)) == 15


def _peaks(sim: Any) -> dict[str, int]:
    accounts = sim_json(sim, "/_sim/state")["accounts"]
    return {email: accounts[email]["peakExecuting"]["videos"] for email in ACCOUNTS}


def test_caps_and_fairness_with_equal_demand(pg_url: str) -> None:
    """6 students x 4 videos on 3 accounts of 1 slot each: no account ever runs 2 (the
    simulator allows 4), and half-way through every student has had an equal share."""
    tokens = setup_class(pg_url, 6, allowance=10_000, budget=100_000)
    with simulator() as sim, gateway_thread(pg_url, sim, caps=1) as base:
        answers = asyncio.run(_post_all([base], tokens, 4))
        assert all(a.status_code == 201 for a in answers)
        ids = {a.json()["jobid"]: a.request.headers["authorization"] for a in answers}
        with psycopg.connect(pg_url, autocommit=True) as conn:
            import time

            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                rows = conn.execute(
                    "SELECT student_id, count(*) FILTER (WHERE status = 'done') FROM requests "
                    "GROUP BY student_id"
                ).fetchall()
                done = [n for _, n in rows]
                if sum(done) >= 12:
                    break
                time.sleep(0.05)
        assert sum(done) >= 12
        assert max(done) / max(min(done), 1) <= 1.5 and min(done) > 0, done
        _settle(pg_url)
        assert max(_peaks(sim).values()) == 1, _peaks(sim)
        assert len(upstream_posts(sim)) == 24
        assert len(ids) == 24


def test_a_student_with_one_request_is_next_in_line(pg_url: str) -> None:
    *busy, late = setup_class(pg_url, 4, allowance=10_000, budget=100_000)
    with simulator() as sim, gateway_thread(pg_url, sim, caps=1) as base:
        asyncio.run(_post_all([base], busy, 5))
        # Every busy student has been served once (3 slots, 3 busy students) before ``late`` asks.
        with psycopg.connect(pg_url, autocommit=True) as conn:
            for _ in range(200):
                row = conn.execute(
                    "SELECT count(*) FROM students WHERE last_served IS NOT NULL"
                ).fetchone()
                if row == (3,):
                    break
                time.sleep(0.05)
        answer = httpx.post(f"{base}/videos", json={"prompt": "late"}, headers=bearer(late))
        assert answer.status_code == 201
        assert answer.json()["gateway"]["queuePosition"] == 1, answer.json()
        _settle(pg_url)
        assert len(upstream_posts(sim)) == 16


def _two_replicas(pg_url: str, students: int, per_student: int) -> None:
    tokens = setup_class(pg_url, students, allowance=100_000, budget=1_000_000)
    logs: list[str] = []
    with (
        simulator() as sim,
        gateway_process(pg_url, sim, output=logs) as one,
        gateway_process(pg_url, sim, output=logs) as two,
    ):
        answers = asyncio.run(_post_all([one, two], tokens, per_student))
        assert all(a.status_code == 201 for a in answers), [a.text for a in answers][:3]

        async def finish_all() -> list[dict[str, Any]]:
            async with httpx.AsyncClient(timeout=60) as c:
                waits = [
                    wait_done(
                        c,
                        (one, two)[i % 2],
                        a.request.headers["authorization"][7:],
                        a.json()["jobid"],
                        timeout=120,
                    )
                    for i, a in enumerate(answers)
                ]
                return list(await asyncio.gather(*waits))

        records = asyncio.run(finish_all())
        assert all(r["status"] == "completed" for r in records)
        total = students * per_student
        posts = upstream_posts(sim)
        assert len(posts) == total, "an upstream POST was made twice (or lost)"
        assert len({p["idempotency_key"] for p in posts}) == total
        assert len(sim_json(sim, "/_sim/ledger")["jobs"]) == total
        assert max(_peaks(sim).values()) <= 2, _peaks(sim)
    # Neither process logged a token (the teacher's, or any student's).
    assert len(logs) == 2 and "gateway on http://127.0.0.1:" in logs[0]
    for secret in [TEACHER_TOKEN, *tokens]:
        assert all(secret not in text for text in logs)


def test_two_gateway_processes_on_one_database_behave_as_one(pg_url: str) -> None:
    _two_replicas(pg_url, students=10, per_student=4)


@pytest.mark.slow
def test_two_gateway_processes_with_a_larger_class(pg_url: str) -> None:
    _two_replicas(pg_url, students=20, per_student=5)


def test_two_gateway_processes_share_one_class_budget(pg_url: str) -> None:
    tokens = setup_class(pg_url, 8, allowance=100_000, budget=10 * PRICE)
    with (
        simulator() as sim,
        gateway_process(pg_url, sim) as one,
        gateway_process(pg_url, sim) as two,
    ):
        answers = asyncio.run(_post_all([one, two], tokens, 3))
        assert Counter(a.status_code for a in answers) == {201: 10, 402: 14}
        _settle(pg_url)
        assert len(upstream_posts(sim)) == 10
        assert sum(j["credits"] for j in sim_json(sim, "/_sim/ledger")["jobs"]) > 0
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT spent FROM class_budget").fetchone() == (10 * PRICE,)


def test_a_student_may_have_only_so_many_requests_open(pg_url: str) -> None:
    alice, bob = setup_class(pg_url, 2, allowance=100_000, budget=100_000)
    with simulator() as sim, gateway_thread(pg_url, sim, max_open=2) as base:
        answers = asyncio.run(_post_all([base], [alice], 5))
        assert Counter(a.status_code for a in answers) == {201: 2, 429: 3}
        refused = next(a for a in answers if a.status_code == 429)
        assert refused.headers["Retry-After"] == "10" and "2 requests" in refused.json()["error"]
        assert asyncio.run(_post_all([base], [bob], 1))[0].status_code == 201  # others go on
        _settle(pg_url)
        assert asyncio.run(_post_all([base], [alice], 1))[0].status_code == 201  # room again
        _settle(pg_url)
        assert len(upstream_posts(sim)) == 4
    with psycopg.connect(pg_url) as conn:  # refused requests were not charged
        assert conn.execute("SELECT spent FROM class_budget").fetchone() == (4 * PRICE,)
