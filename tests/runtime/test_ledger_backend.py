"""The ledger's backend identity: reuse and resume only what this backend sold."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from flow_widgets.api._config import Secret
from flow_widgets.runtime.backend_identity import backend_identity, token_user
from flow_widgets.runtime.ledger import Ledger


def _begin(ledger: Ledger) -> str:
    return ledger.begin_submission(
        "video", "/videos", {"prompt": "fox"}, "fp", "veo-3.1-lite", 10, None
    )


def test_the_identity_names_the_token_user_never_the_token() -> None:
    token = "user:4242-s3cretvalue"
    assert token_user(token) == "user:4242" == token_user(Secret(token))
    assert backend_identity("https://api.useapi.net/v1/", token) == (
        "https://api.useapi.net/v1 as user:4242"
    )
    odd = token_user("opaque-token-value")
    assert odd is not None and "opaque" not in odd and odd.startswith("token-sha256:")


def test_rows_of_another_backend_are_neither_reused_nor_resumed(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    with Ledger(path, backend="http://sim as user:12345") as sim:
        sid = _begin(sim)
        assert sim.find_reusable("fp") is not None
        sim.close()
        with Ledger(path, backend="https://api.useapi.net/v1 as user:777") as real:
            assert real.find_reusable("fp") is None
            assert real.unfinished() == []
        with Ledger(path, backend="http://sim as user:12345") as same:
            assert same.find_reusable("fp").submission_id == sid  # type: ignore[union-attr]
            assert [row.submission_id for row in same.unfinished()] == [sid]


def test_rows_from_before_backends_match_by_the_jobid_user(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    with Ledger(path) as old:
        sid = _begin(old)
        old.mark_accepted(
            sid, "j1731859345678v-u777-email:jo@example.com-bot:google-flow", None, None
        )
    with sqlite3.connect(path) as conn:  # as an older flow_widgets wrote it
        conn.execute("UPDATE submissions SET backend = NULL, owner = NULL")
    with Ledger(path, backend="https://api.useapi.net/v1 as user:777") as same_user:
        assert same_user.find_reusable("fp") is not None
    with Ledger(path, backend="http://127.0.0.1:9/v1 as user:12345") as simulator:
        assert simulator.find_reusable("fp") is None
