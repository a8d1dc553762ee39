"""A ledger written before owners, backends and attempts opens, upgrades and keeps its rows."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from flow_widgets.runtime.ledger import MIGRATIONS, Ledger


def test_a_first_schema_ledger_gets_one_attempt_per_row_and_stays_usable(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    MIGRATIONS[0](conn)  # the schema the first release wrote
    conn.execute("PRAGMA user_version = 1")
    for sid, state in (("s-done", "completed"), ("s-flying", "submitting")):
        conn.execute(
            "INSERT INTO submissions (submission_id, kind, endpoint, payload, fingerprint, model,"
            " estimate, account, state, jobid, created, updated) VALUES"
            " (?, 'video', '/videos', '{}', ?, 'veo-3.1-lite', 10, NULL, ?, ?, 1.0, 2.0)",
            (
                sid,
                f"fp-{sid}",
                state,
                "j1v-u777-email:a@b.c-bot:x" if state != "submitting" else None,
            ),
        )
    conn.execute("COMMIT")
    conn.close()

    with Ledger(path, backend="https://api.useapi.net/v1 as user:777") as ledger:
        assert [(a.n, a.outcome) for a in ledger.attempts("s-done")] == [(1, "completed")]
        assert [(a.n, a.outcome) for a in ledger.attempts("s-flying")] == [(1, None)]
        assert ledger.find_reusable("fp-s-done") is not None  # same user: still re-attaches
        assert ledger.mark_state("s-flying", "unknown").state == "unknown"
        assert ledger.attempts("s-flying")[0].outcome == "unknown"
    with sqlite3.connect(path) as check:
        assert check.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
