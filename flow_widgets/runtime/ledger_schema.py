"""The ledger's sqlite schema, grown only by appending to :data:`MIGRATIONS`.

Each step is a named function; ``PRAGMA user_version`` counts how many have run, so opening an
old ledger upgrades it in one transaction and a ledger written by a newer flow_widgets is refused
with a clear message instead of being damaged. Never edit or reorder a step that has shipped.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

from flow_widgets.runtime.ledger_records import STATES

__all__ = ["BUSY_TIMEOUT_MS", "MIGRATIONS", "connect", "immediate", "migrate"]


def _run_script(conn: sqlite3.Connection, script: str) -> None:
    """Run ``;``-separated DDL inside the caller's transaction (``executescript`` would commit)."""
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


def _create_schema(conn: sqlite3.Connection) -> None:
    states = ", ".join(f"'{state}'" for state in sorted(STATES))
    _run_script(
        conn,
        f"""
        CREATE TABLE submissions (
            submission_id TEXT PRIMARY KEY,
            kind          TEXT NOT NULL,
            endpoint      TEXT NOT NULL,
            payload       TEXT NOT NULL,
            fingerprint   TEXT NOT NULL,
            model         TEXT,
            estimate      INTEGER NOT NULL DEFAULT 0,
            account       TEXT,
            state         TEXT NOT NULL CHECK (state IN ({states})),
            jobid         TEXT UNIQUE,
            job           TEXT,
            error         TEXT,
            charged       INTEGER CHECK (charged IN (0, 1)),
            credits       INTEGER,
            created       REAL NOT NULL,
            updated       REAL NOT NULL
        );
        CREATE INDEX submissions_by_fingerprint ON submissions (fingerprint, created);
        CREATE INDEX submissions_by_state ON submissions (state);
        CREATE TABLE state_changes (
            id            INTEGER PRIMARY KEY AUTOINCREMENT,
            submission_id TEXT NOT NULL REFERENCES submissions (submission_id),
            state         TEXT NOT NULL,
            at            REAL NOT NULL
        );
        CREATE INDEX state_changes_by_submission ON state_changes (submission_id, id);
        CREATE TABLE media_files (
            submission_id TEXT NOT NULL REFERENCES submissions (submission_id),
            idx           INTEGER NOT NULL,
            media_id      TEXT,
            path          TEXT NOT NULL,
            size          INTEGER NOT NULL,
            sha256        TEXT NOT NULL,
            created       REAL NOT NULL,
            PRIMARY KEY (submission_id, idx)
        );
        CREATE TABLE assets (
            sha256        TEXT NOT NULL,
            account       TEXT NOT NULL,
            media_id      TEXT NOT NULL,
            content_type  TEXT NOT NULL,
            created       REAL NOT NULL,
            PRIMARY KEY (sha256, account)
        );
        """,
    )


def _add_leases(conn: sqlite3.Connection) -> None:
    """Ownership across processes: the owner of each row and every owner's lease."""
    _run_script(
        conn,
        """
        ALTER TABLE submissions ADD COLUMN owner TEXT;
        CREATE TABLE leases (
            owner         TEXT PRIMARY KEY,
            host          TEXT NOT NULL,
            pid           INTEGER NOT NULL,
            pid_start     TEXT,
            expires       REAL NOT NULL
        );
        """,
    )


def _add_backend(conn: sqlite3.Connection) -> None:
    """The backend each purchase was made on (base URL and token user; ``NULL`` before)."""
    _run_script(conn, "ALTER TABLE submissions ADD COLUMN backend TEXT")


def _add_attempts(conn: sqlite3.Connection) -> None:
    """Attempts beneath each intent: a retry after a refusal adds one, never a new row.

    Every row written before gets its one attempt, ended in the row's own state."""
    _run_script(
        conn,
        """
        CREATE TABLE attempts (
            submission_id TEXT NOT NULL REFERENCES submissions (submission_id),
            n             INTEGER NOT NULL,
            account       TEXT,
            sent          REAL NOT NULL,
            ended         REAL,
            outcome       TEXT,
            error         TEXT,
            PRIMARY KEY (submission_id, n)
        );
        INSERT INTO attempts (submission_id, n, account, sent, ended, outcome, error)
            SELECT submission_id, 1, account, created,
                   CASE WHEN state = 'submitting' THEN NULL ELSE updated END,
                   CASE WHEN state = 'submitting' THEN NULL ELSE state END,
                   error
            FROM submissions;
        """,
    )


MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (
    _create_schema,
    _add_leases,
    _add_backend,
    _add_attempts,
)
"""Schema steps in order; ``PRAGMA user_version`` counts how many ran. Only ever append."""


BUSY_TIMEOUT_MS = 5000
"""How long a writer waits for another kernel's write lock before giving up."""


def connect(path: Path) -> sqlite3.Connection:
    """A connection to the ledger file as every reader and writer of it opens one: transactions
    explicit (:func:`immediate`), rows by name, usable from the engine's thread, and the busy
    timeout of :data:`BUSY_TIMEOUT_MS` (two kernels share the file)."""
    conn = sqlite3.connect(
        path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
    )
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


@contextlib.contextmanager
def immediate(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One ``BEGIN IMMEDIATE`` transaction on ``conn`` (opened with ``isolation_level=None``):
    committed on success, rolled back on any error. Immediate, so two kernels writing the same
    file queue for the write lock up front instead of failing halfway on an upgrade."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Bring the database behind ``conn`` (at ``path``, for messages) to the newest schema."""
    with immediate(conn):
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if version > len(MIGRATIONS):
            raise RuntimeError(
                f"The ledger at {path} was written by a newer flow_widgets "
                f"(schema {version}); upgrade flow_widgets or point it at another data folder."
            )
        for step in MIGRATIONS[version:]:
            step(conn)
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")
