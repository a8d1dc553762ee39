"""The ledger: write-ahead submissions, re-attach queries, media/asset records, crash safety."""

from __future__ import annotations

import base64
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import urllib.parse
import uuid
from pathlib import Path

import pytest

from flow_widgets.runtime.ledger import (
    MIGRATIONS,
    STATES,
    UNFINISHED_STATES,
    Ledger,
    Submission,
)


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    with Ledger(tmp_path / "data" / "ledger.sqlite3") as opened:
        yield opened


def _begin(ledger: Ledger, fingerprint: str = "fp-1", **overrides: object) -> str:
    args: dict[str, object] = {
        "kind": "video",
        "endpoint": "/videos",
        "payload": {"prompt": "a red fox in snow", "model": "veo-3.1-lite", "count": 2},
        "fingerprint": fingerprint,
        "model": "veo-3.1-lite",
        "estimate": 20,
        "account": None,
    }
    args.update(overrides)
    return ledger.begin_submission(**args)  # type: ignore[arg-type]


# -- configuration --------------------------------------------------------------------------


def test_database_uses_wal_full_sync_and_a_five_second_busy_timeout(ledger: Ledger) -> None:
    with sqlite3.connect(ledger.path) as other:
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert other.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    conn = ledger._connection()
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
    assert ledger.sqlite_version == sqlite3.sqlite_version


def test_the_data_folder_is_created_private(tmp_path: Path) -> None:
    Ledger(tmp_path / "new" / "ledger.sqlite3").close()
    assert (tmp_path / "new").stat().st_mode & 0o077 == 0


def test_reopening_keeps_rows_and_runs_no_migration_twice(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    with Ledger(path) as first:
        sid = _begin(first)
    with Ledger(path) as second:
        assert second.get(sid) is not None
        assert len(second.list(limit=None)) == 1


def test_a_ledger_from_a_newer_version_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    Ledger(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(RuntimeError, match="newer flow_widgets"):
        Ledger(path)


# -- submissions ----------------------------------------------------------------------------


def test_begin_submission_commits_a_submitting_row_with_a_uuid4(ledger: Ledger) -> None:
    sid = _begin(ledger, account="jo@example.com")
    assert uuid.UUID(sid).version == 4
    # Another connection sees it at once: it is committed, not pending in a transaction.
    with sqlite3.connect(ledger.path) as other:
        state = other.execute(
            "SELECT state FROM submissions WHERE submission_id = ?", (sid,)
        ).fetchone()
    assert state == ("submitting",)
    row = ledger.get(sid)
    assert row is not None
    assert (row.kind, row.endpoint, row.model, row.estimate) == (
        "video",
        "/videos",
        "veo-3.1-lite",
        20,
    )
    assert row.payload["prompt"] == "a red fox in snow"
    assert row.account == "jo@example.com"
    assert row.jobid is None and row.charged is None and row.unfinished


def test_accept_then_states_are_recorded_in_order(ledger: Ledger) -> None:
    ticks = iter(range(100, 200))
    ledger._clock = lambda: float(next(ticks))
    sid = _begin(ledger)
    ledger.mark_state(sid, "unknown", error="the connection dropped after the request was sent")
    accepted = ledger.mark_accepted(
        sid, "j1731859234567v-u1-email:jo@x-bot:google-flow", "jo@x", {"status": "created"}
    )
    assert accepted.state == "accepted" and accepted.account == "jo@x"
    assert accepted.job == {"status": "created"}
    ledger.mark_state(sid, "running")
    done = ledger.mark_state(
        sid, "completed", charged=True, credits=20, job={"status": "completed", "media": []}
    )
    assert (done.state, done.charged, done.credits) == ("completed", True, 20)
    assert done.job == {"status": "completed", "media": []}
    assert done.error == "the connection dropped after the request was sent"
    assert [state for state, _ in ledger.history(sid)] == [
        "submitting",
        "unknown",
        "accepted",
        "running",
        "completed",
    ]
    assert [at for _, at in ledger.history(sid)] == [100.0, 101.0, 102.0, 103.0, 104.0]
    assert ledger.by_jobid("j1731859234567v-u1-email:jo@x-bot:google-flow") == done


def test_repeating_a_state_does_not_grow_the_history(ledger: Ledger) -> None:
    sid = _begin(ledger)
    ledger.mark_state(sid, "running")
    ledger.mark_state(sid, "running", job={"status": "started"})
    assert [state for state, _ in ledger.history(sid)] == ["submitting", "running"]


def test_an_unknown_state_or_submission_is_refused(ledger: Ledger) -> None:
    sid = _begin(ledger)
    with pytest.raises(ValueError, match="not a ledger state"):
        ledger.mark_state(sid, "done")
    with pytest.raises(KeyError):
        ledger.mark_state(str(uuid.uuid4()), "running")
    with pytest.raises(KeyError):
        ledger.add_media_file(str(uuid.uuid4()), 0, None, "x.mp4", 1, "0" * 64)
    assert ledger.get(sid).state == "submitting"  # type: ignore[union-attr]


def test_one_jobid_cannot_settle_two_submissions(ledger: Ledger) -> None:
    first, second = _begin(ledger), _begin(ledger)
    ledger.mark_accepted(first, "job-1", None, None)
    ledger.mark_accepted(first, "job-1", None, None)  # idempotent for the same submission
    with pytest.raises(ValueError, match="already belongs"):
        ledger.mark_accepted(second, "job-1", None, None)
    assert ledger.get(second).jobid is None  # type: ignore[union-attr]
    assert [state for state, _ in ledger.history(first)] == ["submitting", "accepted"]
    assert [state for state, _ in ledger.history(second)] == ["submitting"]


def test_payloads_must_be_plain_json_and_nothing_is_written_otherwise(ledger: Ledger) -> None:
    with pytest.raises(ValueError, match="plain JSON"):
        _begin(ledger, payload={"prompt": b"bytes"})
    with pytest.raises(ValueError, match="plain JSON"):
        _begin(ledger, payload={"seed": float("nan")})
    assert ledger.list(limit=None) == []


def test_find_reusable_returns_the_latest_job_that_bought_something(ledger: Ledger) -> None:
    assert ledger.find_reusable("fp-1") is None
    old = _begin(ledger)
    ledger.mark_accepted(old, "job-old", None, None)
    ledger.mark_state(old, "completed", charged=True, credits=20)
    newer = _begin(ledger)
    ledger.mark_accepted(newer, "job-new", None, None)
    _begin(ledger, fingerprint="fp-other")
    found = ledger.find_reusable("fp-1")
    assert found is not None and found.submission_id == newer

    for state in ("rejected", "failed", "lost"):
        _force_state(ledger, newer, state)  # any state, whatever the transition table says
        assert ledger.find_reusable("fp-1").submission_id == old  # type: ignore[union-attr]
    for state in ("submitting", "unknown", "timed_out", "cancelled", "running"):
        _force_state(ledger, newer, state)
        assert ledger.find_reusable("fp-1").submission_id == newer  # type: ignore[union-attr]


def _force_state(ledger: Ledger, sid: str, state: str) -> None:
    """Put a row in ``state`` directly (test set-up; the ledger's own moves follow the table)."""
    with sqlite3.connect(ledger.path) as conn:
        conn.execute("UPDATE submissions SET state = ? WHERE submission_id = ?", (state, sid))


def test_unfinished_lists_exactly_the_states_a_new_session_must_reattach(ledger: Ledger) -> None:
    by_state = {}
    for state in sorted(STATES):
        sid = _begin(ledger, fingerprint=state)
        if state != "submitting":
            ledger.mark_state(sid, state)
        by_state[state] = sid
    unfinished = ledger.unfinished()
    assert {row.state for row in unfinished} == UNFINISHED_STATES
    assert {row.submission_id for row in unfinished} == {by_state[s] for s in UNFINISHED_STATES}
    assert [row.created for row in unfinished] == sorted(row.created for row in unfinished)


def test_list_filters_by_state_and_model_newest_first(ledger: Ledger) -> None:
    a = _begin(ledger, model="veo-3.1-lite")
    b = _begin(ledger, model="nano-banana-2", kind="image", endpoint="/images")
    c = _begin(ledger, model="veo-3.1-lite")
    ledger.mark_state(c, "completed")
    assert [r.submission_id for r in ledger.list()] == [c, b, a]
    assert [r.submission_id for r in ledger.list(limit=1)] == [c]
    assert [r.submission_id for r in ledger.list(model="veo-3.1-lite")] == [c, a]
    assert [r.submission_id for r in ledger.list(states=["submitting"])] == [b, a]
    assert ledger.list(states=["completed"], model="nano-banana-2") == []


def test_submission_to_dict_is_json_and_round_trips_the_fields(ledger: Ledger) -> None:
    sid = _begin(ledger)
    row = ledger.mark_state(sid, "failed", error="Google refused the prompt.", charged=False)
    data = json.loads(json.dumps(row.to_dict()))
    assert Submission(**data) == row
    assert data["state"] == "failed" and data["charged"] is False


# -- media files and the upload cache -------------------------------------------------------


def test_media_files_are_recorded_per_index_and_replaced_on_redownload(ledger: Ledger) -> None:
    sid = _begin(ledger)
    ledger.add_media_file(sid, 1, "m-1", Path("flow_media/fox-1.mp4"), 200, "b" * 64)
    ledger.add_media_file(sid, 0, "m-0", "flow_media/fox-0.mp4", 100, "a" * 64)
    ledger.add_media_file(sid, 0, "m-0", "flow_media/fox-0.mp4", 150, "c" * 64)
    files = ledger.media_files(sid)
    assert [(f.index, f.media_id, f.path, f.size, f.sha256) for f in files] == [
        (0, "m-0", Path("flow_media/fox-0.mp4"), 150, "c" * 64),
        (1, "m-1", Path("flow_media/fox-1.mp4"), 200, "b" * 64),
    ]
    assert ledger.media_files(_begin(ledger)) == []


def test_assets_are_cached_by_content_hash_and_account(ledger: Ledger) -> None:
    digest = "d" * 64
    assert ledger.asset_lookup(digest, "a@x") is None
    ledger.asset_store(digest, "a@x", "user:1-email:61-image:1", "image/png")
    ledger.asset_store(digest, None, "user:1-email:62-image:2", "image/png")
    assert ledger.asset_lookup(digest, "a@x") == "user:1-email:61-image:1"
    assert ledger.asset_lookup(digest, None) == "user:1-email:62-image:2"
    assert ledger.asset_lookup(digest, "b@x") is None
    assert ledger.asset_lookup("e" * 64, "a@x") is None


# -- secrets --------------------------------------------------------------------------------


def test_the_token_never_reaches_the_database_file(tmp_path: Path) -> None:
    canary = f"FLOWCANARY-{uuid.uuid4()}"
    path = tmp_path / "ledger.sqlite3"
    with Ledger(path, secrets=[canary]) as ledger:
        sid = ledger.begin_submission(
            "video",
            "/videos",
            {
                "prompt": f"fox {canary}",
                "Authorization": f"Bearer {canary}",
                "captchaToken": "03AFcWeA-one-time",
            },
            "fp",
            "veo-3.1-lite",
            20,
            None,
        )
        ledger.mark_accepted(
            sid,
            "job-1",
            None,
            {
                "request": {"token": canary, "note": urllib.parse.quote(canary, safe="")},
                "account": {"sessionData": {"access_token": "ya29.secret"}, "cookies": ["HSID"]},
            },
        )
        ledger.mark_state(sid, "failed", error=f"401 for Bearer {canary}")
        row = ledger.get(sid)
        assert row is not None
        assert row.payload["Authorization"] == "[redacted]"
        assert row.payload["captchaToken"] == "[redacted]"
        assert row.job["account"] == {"sessionData": "[redacted]", "cookies": "[redacted]"}  # type: ignore[index]
        assert row.error == "401 for Bearer ***"
        # Read the bytes while the WAL still holds the latest pages, then after a checkpoint.
        raw_before = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    raw_after = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    forms = [
        canary,
        canary[-8:],
        urllib.parse.quote(canary, safe=""),
        base64.b64encode(canary.encode()).decode(),
        "ya29.secret",
        "03AFcWeA-one-time",
    ]
    for raw in (raw_before, raw_after):
        for form in forms:
            assert form.encode() not in raw, form
    assert b"fox ***" in raw_before + raw_after


# -- concurrency and crashes ----------------------------------------------------------------


def test_many_threads_share_one_ledger(ledger: Ledger) -> None:
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(15):
                sid = _begin(ledger, fingerprint=f"t{n}-{i}")
                ledger.mark_accepted(sid, f"job-{n}-{i}", None, None)
                ledger.mark_state(sid, "completed", credits=1, charged=True)
                assert ledger.get(sid).state == "completed"  # type: ignore[union-attr]
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    rows = ledger.list(limit=None)
    assert len(rows) == 90 and {r.state for r in rows} == {"completed"}


def test_two_ledgers_on_one_file_wait_for_each_other(tmp_path: Path) -> None:
    """Two notebooks sharing a data folder: no 'database is locked', no duplicate rows."""
    path = tmp_path / "ledger.sqlite3"
    Ledger(path).close()
    errors: list[BaseException] = []
    sids: list[str] = []

    def writer(tag: str) -> None:
        try:
            with Ledger(path) as own:
                for i in range(60):
                    sid = _begin(own, fingerprint=f"{tag}-{i}")
                    own.mark_accepted(sid, f"{tag}-job-{i}", None, None)
                    own.mark_state(sid, "running")
                    sids.append(sid)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(tag,)) for tag in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with Ledger(path) as check:
        rows = check.list(limit=None)
    assert sorted(r.submission_id for r in rows) == sorted(sids)
    assert len({r.jobid for r in rows}) == 120


def _python(code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_submission_row_survives_sigkill_of_the_writer(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    child = _python(
        """
        import sys, time
        from flow_widgets.runtime.ledger import Ledger
        ledger = Ledger(sys.argv[1])
        sid = ledger.begin_submission("video", "/videos", {"prompt": "fox"}, "fp", "veo-3.1-lite",
                                      10, None)
        print(sid, flush=True)
        time.sleep(60)  # the POST would be in flight here
        """,
        str(path),
    )
    try:
        assert child.stdout is not None
        sid = child.stdout.readline().strip()
        assert sid, child.stderr.read() if child.stderr else ""
    finally:
        child.send_signal(signal.SIGKILL)
        child.communicate()
    assert child.returncode == -signal.SIGKILL
    with Ledger(path) as after:
        row = after.get(sid)
        assert row is not None and row.state == "submitting"
        assert [r.submission_id for r in after.unfinished()] == [sid]


_KILL_HARNESS = """
import os, random, signal, sqlite3, sys, time
from flow_widgets.runtime.ledger import Ledger

db, acks, kills, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rng = random.Random(seed)
Ledger(db).close()
ack_fd = os.open(acks, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
for kill in range(kills):
    written = os.path.getsize(acks)
    pid = os.fork()
    if pid == 0:  # the writer: commits forever and acknowledges each commit after it returns
        ledger = Ledger(db)
        n = 0
        while True:
            n += 1
            sid = ledger.begin_submission("video", "/videos", {"prompt": "p" * (n % 300)},
                                          f"fp-{n % 7}", "veo-3.1-lite", 10, None)
            os.write(ack_fd, f"B {sid}\\n".encode())
            ledger.mark_accepted(sid, "job-" + sid, "a@example.com", {"status": "created"})
            os.write(ack_fd, f"A {sid}\\n".encode())
            ledger.mark_state(sid, "completed", charged=True, credits=10)
            os.write(ack_fd, f"C {sid}\\n".encode())
    # Kill only once this writer is writing (on a busy machine a child may need longer than the
    # random delay just to open the ledger), then at a random point of its commits.
    deadline = time.monotonic() + 30
    while os.path.getsize(acks) == written and time.monotonic() < deadline:
        time.sleep(0.001)
    time.sleep(rng.uniform(0.002, 0.03))
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    conn = sqlite3.connect(db)
    print(conn.execute("PRAGMA integrity_check").fetchone()[0], flush=True)
    conn.close()
"""


def test_random_sigkills_of_a_writer_never_corrupt_the_ledger(tmp_path: Path) -> None:
    db, acks, kills = tmp_path / "ledger.sqlite3", tmp_path / "acks.txt", 100
    harness = _python(_KILL_HARNESS, str(db), str(acks), str(kills), "7")
    out, err = harness.communicate(timeout=300)
    assert harness.returncode == 0, err
    assert out.split() == ["ok"] * kills

    acked: dict[str, str] = {}
    for line in acks.read_text().splitlines():
        step, sid = line.split()
        acked[sid] = step  # the last acknowledged step per submission
    assert len(acked) >= kills  # the writers really were writing when killed

    with Ledger(db) as after:
        rows = {row.submission_id: row for row in after.list(limit=None)}
        assert {row.state for row in rows.values()} <= STATES
        for sid, step in acked.items():
            row = rows[sid]  # every acknowledged commit is present
            if step == "A":
                assert row.state in {"accepted", "completed"} and row.jobid == "job-" + sid
            if step == "C":
                assert (row.state, row.credits, row.charged) == ("completed", 10, True)
            assert after.history(sid)[0][0] == "submitting"
        # A row killed between commits is left where a new session will pick it up.
        assert {r.submission_id for r in after.unfinished()} == {
            sid for sid, row in rows.items() if row.state != "completed"
        }
    assert os.path.getsize(db) > 0
