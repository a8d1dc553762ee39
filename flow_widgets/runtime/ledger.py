"""The ledger: a crash-safe sqlite record of every paid submission, its job, files and spend.

Why it exists: a generation POST spends credits and cannot be safely resent. So the intent is
committed *before* the request leaves (:meth:`Ledger.begin_submission`), every later fact (jobid,
state changes, media files, credits) is committed as it is learnt, and a new kernel can re-attach
to what the old one bought (:meth:`Ledger.unfinished`) or reuse an identical request instead of
paying again (:meth:`Ledger.find_reusable`).

How it stays safe:

* stdlib ``sqlite3`` in WAL mode with ``synchronous=FULL`` (each commit is durable; a SIGKILL of
  the kernel loses nothing that was committed) and ``busy_timeout`` 5 s, so two notebooks sharing
  one ledger wait for each other instead of failing with "database is locked";
* one connection per process guarded by a lock, so handles may be read from any thread; a
  ``fork`` gets a fresh connection;
* the schema grows only through the append-only :data:`MIGRATIONS` list (``PRAGMA user_version``);
* rows hold JSON, never pickles, and never secrets: keys that carry credentials (``token``,
  ``authorization``, ``cookies`` …) are replaced before writing, and any string the ledger was
  told is secret is scrubbed wherever it appears.

This module does no network I/O and knows nothing about the engine; the session composes it.
"""

from __future__ import annotations

import builtins
import contextlib
import json
import logging
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from flow_widgets.api._config import Secret
from flow_widgets.runtime.ledger_records import (
    NOT_REUSABLE_STATES,
    STATES,
    UNFINISHED_STATES,
    MediaFileRecord,
    SpendRow,
    Submission,
    media_file_from_row,
    spend_row_from_row,
    submission_from_row,
)
from flow_widgets.runtime.ledger_schema import MIGRATIONS, migrate
from flow_widgets.runtime.redact import Redactor

__all__ = [
    "MIGRATIONS",
    "NOT_REUSABLE_STATES",
    "STATES",
    "UNFINISHED_STATES",
    "Ledger",
    "MediaFileRecord",
    "SpendRow",
    "Submission",
]

log = logging.getLogger("flow_widgets.ledger")

_BUSY_TIMEOUT_MS = 5000


class Ledger:
    """The sqlite ledger of submissions, jobs, media files, uploaded assets and spend.

    Args:
        path: the database file; its folder is created (private to the user) when missing.
        secrets: values that must never be stored (the API token, a ``Secret`` or a string);
            masked in every value.
        clock: the time source for ``created``/``updated`` (seconds since the epoch).

    Example:
        >>> import pathlib, tempfile
        >>> ledger = Ledger(pathlib.Path(tempfile.mkdtemp()) / "ledger.sqlite3")
        >>> sid = ledger.begin_submission("video", "/videos", {"prompt": "fox"}, "ab12",
        ...                               model="veo-3.1-lite", estimate=10, account=None)
        >>> ledger.mark_accepted(sid, "j1-example", "jo@example.com", None).state
        'accepted'
        >>> ledger.find_reusable("ab12").jobid
        'j1-example'
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        secrets: Iterable[str | Secret] = (),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = Path(path)
        self._redactor = Redactor(secrets)
        self._clock = clock
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._pid = -1
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._connection()

    def __repr__(self) -> str:
        return f"Ledger({str(self.path)!r})"

    # -- connection -------------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                return self._conn
            conn = sqlite3.connect(
                self.path,
                timeout=_BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,
                check_same_thread=False,
            )
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                log.warning("the ledger at %s could not use WAL mode (got %s)", self.path, mode)
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
            migrate(conn, self.path)
            self._conn, self._pid = conn, os.getpid()
            return conn

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One immediate transaction: committed (durably) on success, rolled back on error."""
        with self._lock:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _read(self, sql: str, args: Iterable[Any] = ()) -> builtins.list[sqlite3.Row]:
        with self._lock:
            return self._connection().execute(sql, tuple(args)).fetchall()

    @property
    def sqlite_version(self) -> str:
        """The sqlite library version in use (worth a line in bug reports)."""
        return sqlite3.sqlite_version

    def close(self) -> None:
        """Close the connection; the next call reopens it."""
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- submissions ------------------------------------------------------------------------

    def begin_submission(
        self,
        kind: str,
        endpoint: str,
        payload: Mapping[str, Any],
        fingerprint: str,
        model: str | None,
        estimate: int,
        account: str | None,
    ) -> str:
        """Record the intent to send a paid request and return its new submission id.

        The row (state ``submitting``) is committed durably before this returns, so call it
        *before* the POST is sent.
        """
        sid = str(uuid.uuid4())
        now = self._clock()
        with self._write() as conn:
            conn.execute(
                "INSERT INTO submissions (submission_id, kind, endpoint, payload, fingerprint,"
                " model, estimate, account, state, created, updated)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'submitting', ?, ?)",
                (
                    sid,
                    self._text(kind),
                    self._text(endpoint),
                    self._json(payload),
                    fingerprint,
                    self._opt_text(model),
                    int(estimate),
                    self._opt_text(account),
                    now,
                    now,
                ),
            )
            self._log_state(conn, sid, "submitting", now)
        return sid

    def mark_accepted(
        self, sid: str, jobid: str, account: str | None, raw_job: Mapping[str, Any] | None
    ) -> Submission:
        """Bind the server's jobid (and the account that took it) to a submission."""
        now = self._clock()
        with self._write() as conn:
            previous = self._require(conn, sid)
            owner = conn.execute(
                "SELECT submission_id FROM submissions WHERE jobid = ?", (jobid,)
            ).fetchone()
            if owner is not None and owner["submission_id"] != sid:
                raise ValueError(
                    f"jobid {jobid!r} already belongs to submission {owner['submission_id']}; "
                    "one job cannot settle two submissions."
                )
            conn.execute(
                "UPDATE submissions SET jobid = ?, account = COALESCE(?, account),"
                " job = COALESCE(?, job), state = 'accepted', updated = ?"
                " WHERE submission_id = ?",
                (
                    self._text(jobid),
                    self._opt_text(account),
                    None if raw_job is None else self._json(raw_job),
                    now,
                    sid,
                ),
            )
            if previous != "accepted":
                self._log_state(conn, sid, "accepted", now)
        return self._must_get(sid)

    def mark_state(
        self,
        sid: str,
        state: str,
        *,
        error: str | None = None,
        charged: bool | None = None,
        credits: int | None = None,
        job: Mapping[str, Any] | None = None,
    ) -> Submission:
        """Move a submission to ``state``; ``None`` arguments leave the stored value alone."""
        if state not in STATES:
            raise ValueError(
                f"state {state!r} is not a ledger state; use one of {', '.join(sorted(STATES))}."
            )
        now = self._clock()
        with self._write() as conn:
            previous = self._require(conn, sid)
            conn.execute(
                "UPDATE submissions SET state = ?, error = COALESCE(?, error),"
                " charged = COALESCE(?, charged), credits = COALESCE(?, credits),"
                " job = COALESCE(?, job), updated = ? WHERE submission_id = ?",
                (
                    state,
                    self._opt_text(error),
                    None if charged is None else int(charged),
                    None if credits is None else int(credits),
                    None if job is None else self._json(job),
                    now,
                    sid,
                ),
            )
            if previous != state:
                self._log_state(conn, sid, state, now)
        return self._must_get(sid)

    def get(self, sid: str) -> Submission | None:
        """The submission with this id, or ``None``."""
        rows = self._read("SELECT * FROM submissions WHERE submission_id = ?", (sid,))
        return submission_from_row(rows[0]) if rows else None

    def by_jobid(self, jobid: str) -> Submission | None:
        """The submission that bought this job, or ``None``."""
        rows = self._read("SELECT * FROM submissions WHERE jobid = ?", (jobid,))
        return submission_from_row(rows[0]) if rows else None

    def find_reusable(self, fingerprint: str) -> Submission | None:
        """The latest submission of an identical request that bought (or may have bought) a job.

        Rejected, failed and lost submissions are skipped: re-sending those is what the user wants.
        """
        excluded = sorted(NOT_REUSABLE_STATES)
        marks = ", ".join("?" for _ in excluded)
        rows = self._read(
            f"SELECT * FROM submissions WHERE fingerprint = ? AND state NOT IN ({marks})"
            " ORDER BY created DESC, rowid DESC LIMIT 1",
            (fingerprint, *excluded),
        )
        return submission_from_row(rows[0]) if rows else None

    def unfinished(self) -> builtins.list[Submission]:
        """Submissions a new session must re-attach to or reconcile, oldest first."""
        return self.list(limit=None, states=UNFINISHED_STATES, newest_first=False)

    def list(
        self,
        limit: int | None = 100,
        states: Iterable[str] | None = None,
        model: str | None = None,
        *,
        newest_first: bool = True,
    ) -> builtins.list[Submission]:
        """Submissions filtered by state and model, newest first by default."""
        where: builtins.list[str] = []
        args: builtins.list[Any] = []
        if states is not None:
            wanted = sorted(set(states))
            where.append(f"state IN ({', '.join('?' for _ in wanted)})")
            args.extend(wanted)
        if model is not None:
            where.append("model = ?")
            args.append(model)
        sql = "SELECT * FROM submissions"
        if where:
            sql += " WHERE " + " AND ".join(where)
        order = "DESC" if newest_first else "ASC"
        sql += f" ORDER BY created {order}, rowid {order}"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(int(limit))
        return [submission_from_row(row) for row in self._read(sql, args)]

    def history(self, sid: str) -> builtins.list[tuple[str, float]]:
        """Every state the submission went through, in order, with the time it was entered."""
        rows = self._read(
            "SELECT state, at FROM state_changes WHERE submission_id = ? ORDER BY id", (sid,)
        )
        return [(str(row["state"]), float(row["at"])) for row in rows]

    def spend_rows(self, since: float | None = None) -> builtins.list[SpendRow]:
        """The credit facts of every submission created at or after ``since`` (all by default)."""
        rows = self._read(
            "SELECT submission_id, model, account, estimate, credits, charged, state, created"
            " FROM submissions WHERE created >= ? ORDER BY created, rowid",
            (float("-inf") if since is None else since,),
        )
        return [spend_row_from_row(row) for row in rows]

    # -- media files and uploaded assets ----------------------------------------------------

    def add_media_file(
        self,
        sid: str,
        index: int,
        media_id: str | None,
        path: str | os.PathLike[str],
        size: int,
        sha256: str,
    ) -> None:
        """Record (or replace) the saved file for media ``index`` of a submission."""
        with self._write() as conn:
            self._require(conn, sid)
            conn.execute(
                "INSERT OR REPLACE INTO media_files"
                " (submission_id, idx, media_id, path, size, sha256, created)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    sid,
                    int(index),
                    self._opt_text(media_id),
                    self._text(os.fspath(path)),
                    int(size),
                    sha256,
                    self._clock(),
                ),
            )

    def media_files(self, sid: str) -> builtins.list[MediaFileRecord]:
        """The files saved for a submission, by media index."""
        rows = self._read("SELECT * FROM media_files WHERE submission_id = ? ORDER BY idx", (sid,))
        return [media_file_from_row(row) for row in rows]

    def asset_lookup(self, sha256: str, account: str | None) -> str | None:
        """The media id of a file with this content already uploaded for ``account``."""
        rows = self._read(
            "SELECT media_id FROM assets WHERE sha256 = ? AND account = ?", (sha256, account or "")
        )
        return str(rows[0]["media_id"]) if rows else None

    def asset_store(
        self, sha256: str, account: str | None, media_id: str, content_type: str
    ) -> None:
        """Remember that content ``sha256`` was uploaded for ``account`` as ``media_id``."""
        with self._write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO assets (sha256, account, media_id, content_type, created)"
                " VALUES (?, ?, ?, ?, ?)",
                (
                    sha256,
                    self._text(account or ""),
                    self._text(media_id),
                    self._text(content_type),
                    self._clock(),
                ),
            )

    # -- helpers ----------------------------------------------------------------------------

    def _require(self, conn: sqlite3.Connection, sid: str) -> str:
        row = conn.execute(
            "SELECT state FROM submissions WHERE submission_id = ?", (sid,)
        ).fetchone()
        if row is None:
            raise KeyError(f"no submission {sid!r} in the ledger at {self.path}")
        return str(row["state"])

    def _must_get(self, sid: str) -> Submission:
        submission = self.get(sid)
        if submission is None:  # pragma: no cover - _require checked it inside the transaction
            raise KeyError(sid)
        return submission

    @staticmethod
    def _log_state(conn: sqlite3.Connection, sid: str, state: str, at: float) -> None:
        conn.execute(
            "INSERT INTO state_changes (submission_id, state, at) VALUES (?, ?, ?)",
            (sid, state, at),
        )

    def _json(self, value: Mapping[str, Any]) -> str:
        try:
            return json.dumps(self._redactor.scrub(value), ensure_ascii=True, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"ledger values must be plain JSON data: {exc}") from None

    def _text(self, value: str) -> str:
        return self._redactor.scrub_text(value)

    def _opt_text(self, value: str | None) -> str | None:
        return None if value is None else self._text(value)
