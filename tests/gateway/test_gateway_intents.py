"""The gateway records its work through the one ledger interface: a student's request that
leaves the line is an intent of the PostgreSQL ledger (the SQLite ledger's transition table),
each upstream POST an attempt of it, and the replica working on it holds its owner lease.

Read back through :class:`PgIntentLedger` itself (the interface), and counted at the simulator.
"""

from __future__ import annotations

import asyncio
import time

import httpx
import psycopg

from flow_widgets.gateway.intent_ledger import PgIntentLedger
from tests.gateway.harness import (
    TEACHER_TOKEN,
    bearer,
    gateway_thread,
    setup_class,
    simulator,
    upstream_posts,
    wait_done,
)


def _intent_id(pg_url: str, jobid: str) -> str:
    with psycopg.connect(pg_url) as conn:
        row = conn.execute("SELECT intent_id FROM queue_items WHERE id = %s", (jobid,)).fetchone()
    assert row is not None and row[0] is not None, "the request has no intent"
    return str(row[0])


def _finish(base: str, token: str, jobid: str) -> dict[str, object]:
    async def done() -> dict[str, object]:
        async with httpx.AsyncClient(timeout=30) as c:
            return await wait_done(c, base, token, jobid, timeout=60)

    return asyncio.run(done())


def test_a_finished_request_is_a_completed_intent_with_its_attempt(pg_url: str) -> None:
    (alice,) = setup_class(pg_url, 1, allowance=1000, budget=1000)
    with simulator() as sim, gateway_thread(pg_url, sim) as base:
        job = httpx.post(f"{base}/videos", json={"prompt": "x"}, headers=bearer(alice)).json()
        assert _finish(base, alice, job["jobid"])["status"] == "completed"
    ledger = PgIntentLedger(pg_url)
    try:
        sid = _intent_id(pg_url, job["jobid"])
        intent = ledger.get(sid)
        assert intent is not None and intent.state == "completed"
        assert intent.endpoint == "/videos" and intent.kind == "video" and intent.estimate == 100
        assert intent.jobid and intent.jobid != job["jobid"]  # the upstream id, kept here only
        states = [s for s, _ in ledger.history(sid)]
        assert states[:2] == ["submitting", "accepted"] and states[-1] == "completed", states
        (attempt,) = ledger.attempts(sid)
        assert attempt.outcome == "accepted" and attempt.account is not None
        assert TEACHER_TOKEN not in str(intent.job) and TEACHER_TOKEN not in str(intent.payload)
    finally:
        ledger.close()


def test_a_post_sent_again_is_a_second_attempt_of_the_same_intent(pg_url: str) -> None:
    (alice,) = setup_class(pg_url, 1, allowance=1000, budget=1000)
    drop = {"route": "POST /videos", "action": "drop", "on": [1]}
    with simulator(faults=[drop]) as sim, gateway_thread(pg_url, sim) as base:
        job = httpx.post(f"{base}/videos", json={"prompt": "x"}, headers=bearer(alice)).json()
        assert _finish(base, alice, job["jobid"])["status"] == "completed"
        assert len(upstream_posts(sim)) == 2
    ledger = PgIntentLedger(pg_url)
    try:
        sid = _intent_id(pg_url, job["jobid"])
        first, second = ledger.attempts(sid)
        assert first.outcome == "refused" and "no answer" in str(first.error)
        assert (second.n, second.outcome) == (2, "accepted")
    finally:
        ledger.close()


def test_a_live_replica_s_request_is_not_sent_again_by_another(pg_url: str) -> None:
    """Replica A's POST is held by the simulator; replica B, which takes over requests left
    ``placing`` after one second, finds A's owner lease alive and does not send it again."""
    (alice,) = setup_class(pg_url, 1, allowance=1000, budget=1000)
    hold = {"route": "POST /videos", "action": "delay_reply", "seconds": 6, "on": [1]}
    with simulator(faults=[hold]) as sim, gateway_thread(pg_url, sim) as first:
        job = httpx.post(f"{first}/videos", json={"prompt": "x"}, headers=bearer(alice)).json()
        deadline = time.monotonic() + 20
        while not upstream_posts(sim) and time.monotonic() < deadline:
            time.sleep(0.05)
        with gateway_thread(pg_url, sim, replace_after=1.0):
            time.sleep(3.5)  # three of B's replace_after periods while A waits for its answer
            assert len(upstream_posts(sim)) == 1
        assert _finish(first, alice, job["jobid"])["status"] == "completed"
        assert len(upstream_posts(sim)) == 1


def test_a_request_whose_books_were_not_closed_is_settled_from_its_intent(pg_url: str) -> None:
    """A replica dies after writing the intent ``completed`` and before closing the class's
    books (the slot still held): the next replica settles the books from the intent, without
    sending anything again and without a refund."""
    (alice,) = setup_class(pg_url, 1, allowance=1000, budget=1000)
    with simulator() as sim:
        with gateway_thread(pg_url, sim) as base:
            job = httpx.post(f"{base}/videos", json={"prompt": "x"}, headers=bearer(alice)).json()
            assert _finish(base, alice, job["jobid"])["status"] == "completed"
        with psycopg.connect(pg_url, autocommit=True) as conn:  # undo the books' last step
            conn.execute(
                "UPDATE queue_items SET ended = NULL, placed_at = now() - interval '1 hour'"
            )
            conn.execute(
                "INSERT INTO leases (request_id, account) SELECT id, account FROM queue_items"
            )
            assert conn.execute("SELECT status FROM requests").fetchone() == ("placing",)
        with gateway_thread(pg_url, sim, replace_after=0.5):
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                with psycopg.connect(pg_url) as conn:
                    row = conn.execute("SELECT status FROM requests").fetchone()
                if row == ("done",):
                    break
                time.sleep(0.1)
            assert row == ("done",)
        assert len(upstream_posts(sim)) == 1
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM leases").fetchone() == (0,)
        assert conn.execute("SELECT spent FROM class_budget").fetchone() == (100,)
        events = conn.execute("SELECT event FROM audit ORDER BY seq").fetchall()
        assert [e for (e,) in events] == ["charge"]
