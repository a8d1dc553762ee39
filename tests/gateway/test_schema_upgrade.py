"""A gateway database made before the requests became intents (migrations 1-3) upgrades in
place: migration 4 carries every request already sent upstream over as an intent of the ledger
(with its one attempt), and the ``requests`` view shows each job as it was."""

from __future__ import annotations

import psycopg
from psycopg.types.json import Jsonb

from flow_widgets.gateway import schema
from flow_widgets.gateway.intent_ledger import PgIntentLedger

_ROWS = [  # id, status, account, upstream job id, record, error
    ("gw-q", "queued", None, None, None, None),
    ("gw-p", "placing", "a@x.org", None, None, None),
    ("gw-r", "placed", "a@x.org", "job-r", {"status": "started"}, None),
    ("gw-d", "done", "b@x.org", "job-d", {"status": "completed"}, ""),
    ("gw-f", "failed", "b@x.org", None, None, "the service failed"),
]


def test_requests_sent_before_the_upgrade_become_intents(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE schema_version (version integer NOT NULL)")
        for number, sql in enumerate(schema.MIGRATIONS[:3], 1):
            conn.execute(sql)
            conn.execute("INSERT INTO schema_version VALUES (%s)", (number,))
        conn.execute("INSERT INTO students (name, token_sha256, allowance) VALUES ('s', 'h', 900)")
        for rid, status, account, jobid, record, error in _ROWS:
            conn.execute(
                "INSERT INTO requests (id, student_id, route, body, cost, status, account,"
                " upstream_jobid, record, error, placed_at, attempts)"
                " VALUES (%s, 1, 'videos', %s, 100, %s, %s, %s, %s, %s, now(), 1)",
                (rid, Jsonb({"prompt": rid}), status, account, jobid, Jsonb(record), error),
            )
        assert schema.migrate(conn) == len(schema.MIGRATIONS) >= 4
        seen = conn.execute(
            "SELECT id, status, account, upstream_jobid, record FROM requests ORDER BY id"
        ).fetchall()
    expected = sorted((r, s, a, j, rec) for r, s, a, j, rec, _ in _ROWS)
    assert sorted(seen) == expected
    ledger = PgIntentLedger(pg_url)
    try:
        assert ledger.get("gw-q") is None  # still in line: no intent yet
        states = {rid: getattr(ledger.get(rid), "state", None) for rid, *_ in _ROWS[1:]}
        assert states == {
            "gw-p": "submitting",
            "gw-r": "accepted",
            "gw-d": "completed",
            "gw-f": "failed",
        }
        failed = ledger.get("gw-f")
        assert failed is not None and failed.error == "the service failed"
        (attempt,) = ledger.attempts("gw-p")
        assert attempt.outcome is None and attempt.account == "a@x.org"
    finally:
        ledger.close()
