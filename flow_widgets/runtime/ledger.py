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
* a row in flight belongs to the ledger connection that wrote it (``owner``), whose lease a
  heartbeat keeps alive (:mod:`flow_widgets.runtime.ledger_leases`); another process may watch
  it and takes it over only once that lease is gone;
* every state change is a compare-and-set along :data:`~flow_widgets.runtime.ledger_transitions.
  TRANSITIONS` inside one write transaction, so ``completed`` never goes back;
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
from flow_widgets.errors import ConfigError, FlowError
from flow_widgets.runtime.ledger_leases import LEASE_S, LeaseHolder, live_owners
from flow_widgets.runtime.ledger_records import (
    NOT_REUSABLE_STATES,
    STATES,
    UNFINISHED_STATES,
    Attempt,
    MediaFileRecord,
    Submission,
    bought_on,
    media_file_from_row,
    submission_from_row,
)
from flow_widgets.runtime.ledger_schema import (
    BUSY_TIMEOUT_MS,
    MIGRATIONS,
    connect,
    immediate,
    migrate,
)
from flow_widgets.runtime.ledger_transitions import TERMINAL_STATES, TRANSITIONS, allowed
from flow_widgets.runtime.redact import Redactor

__all__ = [
    "MIGRATIONS",
    "NOT_REUSABLE_STATES",
    "STATES",
    "TERMINAL_STATES",
    "TRANSITIONS",
    "UNFINISHED_STATES",
    "Attempt",
    "Ledger",
    "LedgerWriteError",
    "MediaFileRecord",
    "Submission",
]

log = logging.getLogger("flow_widgets.ledger")


_JOB_STATES = frozenset({"running", "completed", "failed"})
"""States that prove the attempt in flight was accepted (a synchronous answer skips it)."""


def _attempt_from_row(row: sqlite3.Row) -> Attempt:
    return Attempt(
        submission_id=row["submission_id"],
        n=int(row["n"]),
        account=row["account"],
        sent=float(row["sent"]),
        ended=None if row["ended"] is None else float(row["ended"]),
        outcome=row["outcome"],
        error=row["error"],
    )


class LedgerWriteError(FlowError):
    """The ledger could not be written (disk full, read-only folder); says what to do."""


def _reason(exc: BaseException) -> str:
    """The cause of an OS or sqlite error in a few words (no traceback, no errno noise)."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return str(exc) or type(exc).__name__


def _while_locked(step: Callable[[], Any]) -> Any:
    """Run ``step``, retrying while sqlite answers "database is locked" (up to the busy timeout)."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    delay = 0.005
    while True:
        try:
            return step()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.1)


class Ledger:
    """The sqlite ledger of submissions, jobs, media files, uploaded assets and spend.

    Args:
        path: the database file; its folder is created (private to the user) when missing.
        secrets: values that must never be stored (the API token, a ``Secret`` or a string);
            masked in every value.
        clock: the time source for ``created``/``updated`` (seconds since the epoch).
        lease_s: how long this connection's ownership of its rows outlives its last heartbeat.
        backend: the identity of the backend this session buys on (see
            :mod:`~flow_widgets.runtime.backend_identity`); rows bought on another one are
            never reused or resumed here. ``None`` (tools that only read) sees every row.

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
        lease_s: float = LEASE_S,
        backend: str | None = None,
    ) -> None:
        self.path = Path(path)
        self._redactor = Redactor(secrets)
        self._clock = clock
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._pid = -1
        self.lease_s = lease_s
        self.backend = backend
        self._holder = LeaseHolder.for_this_process()
        self._heartbeat: threading.Thread | None = None
        self._stop_beating = threading.Event()
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            self._connection()
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(
                f"The data folder {self.path.parent} cannot hold the ledger "
                f"({_reason(exc)}); point FLOW_WIDGETS_HOME (or data_dir=) at a writable folder."
            ) from None

    def __repr__(self) -> str:
        return f"Ledger({str(self.path)!r})"

    # -- connection -------------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                return self._conn
            conn = connect(self.path)
            # Switching a brand-new file to WAL (and its first migration) can answer "database
            # is locked" at once, without the busy handler, when several kernels open it at the
            # same moment: retry for as long as the busy timeout would have waited.
            mode = _while_locked(lambda: conn.execute("PRAGMA journal_mode = WAL").fetchone()[0])
            if str(mode).lower() != "wal":
                log.warning("the ledger at %s could not use WAL mode (got %s)", self.path, mode)
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
            _while_locked(lambda: migrate(conn, self.path))
            if self._pid != -1 and self._pid != os.getpid():  # a fork owns nothing of its parent
                self._holder = LeaseHolder.for_this_process()
                self._heartbeat, self._stop_beating = None, threading.Event()
            self._conn, self._pid = conn, os.getpid()
            return conn

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One immediate transaction: committed (durably) on success, rolled back on error."""
        with self._lock, immediate(self._connection()) as conn:
            yield conn

    def _read(self, sql: str, args: Iterable[Any] = ()) -> builtins.list[sqlite3.Row]:
        with self._lock:
            return self._connection().execute(sql, tuple(args)).fetchall()

    @property
    def sqlite_version(self) -> str:
        """The sqlite library version in use (worth a line in bug reports)."""
        return sqlite3.sqlite_version

    def close(self) -> None:
        """Give up this connection's lease (its rows may be taken over at once) and close the
        connection; the next call reopens it (and takes a new lease when it writes)."""
        beating = self._heartbeat if self._pid == os.getpid() else None
        self._stop_beating.set()
        if beating is not None and beating is not threading.current_thread():
            beating.join(timeout=5)
        with self._lock:
            self._heartbeat, self._stop_beating = None, threading.Event()
            if self._conn is not None and self._pid == os.getpid():
                with contextlib.suppress(sqlite3.Error):
                    self._conn.execute("DELETE FROM leases WHERE owner = ?", (self.owner,))
                self._conn.close()
            self._conn = None

    # -- ownership --------------------------------------------------------------------------

    @property
    def owner(self) -> str:
        """This connection's owner id, as stored in the rows it owns (host:pid:nonce)."""
        if self._pid not in (-1, os.getpid()):
            self._connection()
        return self._holder.owner

    def _hold_lease(self, conn: sqlite3.Connection) -> None:
        """Write (or renew) this connection's lease and keep it alive from a heartbeat."""
        holder = self._holder
        conn.execute("DELETE FROM leases WHERE expires < ?", (time.time() - 3600,))
        conn.execute(
            "INSERT OR REPLACE INTO leases (owner, host, pid, pid_start, expires)"
            " VALUES (?, ?, ?, ?, ?)",
            (holder.owner, holder.host, holder.pid, holder.start, time.time() + self.lease_s),
        )
        if self._heartbeat is None:
            self._heartbeat = threading.Thread(
                target=self._beat, args=(self._stop_beating,), name="flow-ledger-lease", daemon=True
            )
            self._heartbeat.start()

    def _beat(self, stop: threading.Event) -> None:
        while not stop.wait(self.lease_s / 3):
            try:
                with self._lock:
                    if stop.is_set():
                        return
                    self._connection().execute(
                        "UPDATE leases SET expires = ? WHERE owner = ?",
                        (time.time() + self.lease_s, self._holder.owner),
                    )
            except sqlite3.Error as exc:  # a busy or full disk: the next beat tries again
                log.warning("Renewing the ledger lease failed: %s", exc)

    def _take(self, conn: sqlite3.Connection, sid: str) -> tuple[str, bool]:
        """Inside a write: the row's state, and whether this connection owns it now (taking
        it over when it has no owner or its owner's lease is gone)."""
        row = conn.execute(
            "SELECT state, owner FROM submissions WHERE submission_id = ?", (sid,)
        ).fetchone()
        if row is None:
            raise KeyError(f"no submission {sid!r} in the ledger at {self.path}")
        state, owner = str(row["state"]), row["owner"]
        if owner == self._holder.owner:
            self._hold_lease(conn)
            return state, True
        if owner is not None and owner in live_owners(conn, time.time()):
            return state, False
        conn.execute("UPDATE submissions SET owner = ? WHERE submission_id = ?", (self.owner, sid))
        self._hold_lease(conn)
        return state, True

    def claim(self, sid: str) -> bool:
        """Own ``sid`` (it had no owner, it was ours, or its owner's lease is gone); ``False``
        while another live process holds it -- then watch it, never write it."""
        with self._write() as conn:
            return self._take(conn, sid)[1]

    def held_elsewhere(self, sid: str) -> bool:
        """True while another live ledger connection owns ``sid``."""
        with self._lock:
            conn = self._connection()
            row = conn.execute(
                "SELECT owner FROM submissions WHERE submission_id = ?", (sid,)
            ).fetchone()
            owner = None if row is None else row["owner"]
            if owner is None or owner == self._holder.owner:
                return False
            return owner in live_owners(conn, time.time())

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
        sid, _ = self.begin_or_reuse(
            kind, endpoint, payload, fingerprint, model, estimate, account, reuse=False
        )
        return sid

    def begin_or_reuse(
        self,
        kind: str,
        endpoint: str,
        payload: Mapping[str, Any],
        fingerprint: str,
        model: str | None,
        estimate: int,
        account: str | None,
        *,
        reuse: bool = True,
    ) -> tuple[str, Submission | None]:
        """Like :meth:`begin_submission`, but when ``reuse`` and an identical request already
        bought (or may have bought) a job, return that row instead of a new one.

        The look-up and the insert are one transaction, so two kernels running the same cell at
        the same moment make one row (one POST) between them, not two.
        """
        sid = str(uuid.uuid4())
        now = self._clock()
        with self._write() as conn:
            if reuse:
                earlier = self._reusable(conn, fingerprint)
                if earlier is not None:
                    return earlier.submission_id, earlier
            self._hold_lease(conn)
            conn.execute(
                "INSERT INTO submissions (submission_id, kind, endpoint, payload, fingerprint,"
                " model, estimate, account, state, created, updated, owner, backend)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'submitting', ?, ?, ?, ?)",
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
                    self._holder.owner,
                    self.backend,
                ),
            )
            self._log_state(conn, sid, "submitting", now)
            self._begin_attempt(conn, sid, 1, account, now)
        return sid, None

    def retry_intent(self, sid: str, account: str | None) -> int | None:
        """Record attempt n+1 of intent ``sid`` (about to be sent again after a refusal) and
        return n+1; ``None`` when ``sid`` is not ours or not waiting to retry (then begin a new
        intent instead)."""
        now = self._clock()
        with self._write() as conn:
            state, mine = self._take(conn, sid)
            last = self._last_attempt(conn, sid)
            if not mine or state != "submitting" or last is None or last.outcome != "refused":
                return None
            self._begin_attempt(conn, sid, last.n + 1, account, now)
            conn.execute(
                "UPDATE submissions SET account = COALESCE(?, account), updated = ?"
                " WHERE submission_id = ?",
                (self._opt_text(account), now, sid),
            )
            return last.n + 1

    def refused_attempt(self, sid: str, error: str) -> None:
        """The latest attempt of ``sid`` was refused and bought nothing; the intent stays
        ``submitting`` to be sent again (:meth:`retry_intent`) or closed ``rejected``."""
        now = self._clock()
        with self._write() as conn:
            if self._take(conn, sid)[1]:
                self._end_attempt(conn, sid, "refused", error, now)
                conn.execute(
                    "UPDATE submissions SET error = ?, updated = ? WHERE submission_id = ?",
                    (self._text(error), now, sid),
                )

    def waiting_to_retry(self, sid: str) -> bool:
        """True when ``sid`` is an intent whose last attempt was refused (nothing in flight)."""
        with self._lock:
            conn = self._connection()
            row = conn.execute(
                "SELECT state FROM submissions WHERE submission_id = ?", (sid,)
            ).fetchone()
            last = self._last_attempt(conn, sid)
        return (
            row is not None
            and row["state"] == "submitting"
            and (last is not None and last.outcome == "refused")
        )

    def attempts(self, sid: str) -> builtins.list[Attempt]:
        """Every sending of intent ``sid``, in order."""
        rows = self._read("SELECT * FROM attempts WHERE submission_id = ? ORDER BY n", (sid,))
        return [_attempt_from_row(row) for row in rows]

    def _begin_attempt(
        self, conn: sqlite3.Connection, sid: str, n: int, account: str | None, now: float
    ) -> None:
        conn.execute(
            "INSERT INTO attempts (submission_id, n, account, sent) VALUES (?, ?, ?, ?)",
            (sid, n, self._opt_text(account), now),
        )

    def _end_attempt(
        self, conn: sqlite3.Connection, sid: str, outcome: str, error: str | None, now: float
    ) -> None:
        conn.execute(
            "UPDATE attempts SET outcome = ?, error = ?, ended = ? WHERE submission_id = ?"
            " AND n = (SELECT MAX(n) FROM attempts WHERE submission_id = ?) AND outcome IS NULL",
            (outcome, self._opt_text(error), now, sid, sid),
        )

    @staticmethod
    def _last_attempt(conn: sqlite3.Connection, sid: str) -> Attempt | None:
        row = conn.execute(
            "SELECT * FROM attempts WHERE submission_id = ? ORDER BY n DESC LIMIT 1", (sid,)
        ).fetchone()
        return _attempt_from_row(row) if row is not None else None

    def mark_accepted(
        self, sid: str, jobid: str, account: str | None, raw_job: Mapping[str, Any] | None
    ) -> Submission:
        """Bind the server's jobid (and the account that took it) to a submission.

        A compare-and-set: nothing changes when another live process owns the row or the
        transition table forbids ``accepted`` from its state; the stored row is returned.
        """
        now = self._clock()
        with self._write() as conn:
            previous, mine = self._take(conn, sid)
            if not mine or not allowed(previous, "accepted"):
                log.info("ledger: %s stays %s (accepted refused)", sid, previous)
                return self._row(conn, sid)
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
            self._end_attempt(conn, sid, "accepted", None, now)
            return self._row(conn, sid)

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
        """Move a submission to ``state``; ``None`` arguments leave the stored value alone.

        A compare-and-set along :data:`TRANSITIONS`: when another live process owns the row, or
        the table does not allow the move (``completed`` never goes back), nothing changes.
        The row as stored afterwards is returned, so callers compare its ``state``.
        """
        if state not in STATES:
            raise ValueError(
                f"state {state!r} is not a ledger state; use one of {', '.join(sorted(STATES))}."
            )
        now = self._clock()
        with self._write() as conn:
            previous, mine = self._take(conn, sid)
            if not mine or not allowed(previous, state) or previous in TERMINAL_STATES:
                if previous != state:
                    log.info("ledger: %s stays %s (%s refused)", sid, previous, state)
                return self._row(conn, sid)
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
            if state in ("unknown", "rejected", "lost", "running", "completed", "failed"):
                outcome = "accepted" if state in _JOB_STATES else state
                self._end_attempt(conn, sid, outcome, error, now)
            return self._row(conn, sid)

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
        with self._lock:
            return self._reusable(self._connection(), fingerprint)

    def _reusable(self, conn: sqlite3.Connection, fingerprint: str) -> Submission | None:
        excluded = sorted(NOT_REUSABLE_STATES)
        marks = ", ".join("?" for _ in excluded)
        for row in conn.execute(
            f"SELECT * FROM submissions WHERE fingerprint = ? AND state NOT IN ({marks})"
            " ORDER BY created DESC, rowid DESC",
            (fingerprint, *excluded),
        ):
            submission = submission_from_row(row)
            if self.on_this_backend(submission):
                return submission
        return None

    def on_this_backend(self, submission: Submission) -> bool:
        """True when ``submission`` was bought on this ledger's backend (see :func:`bought_on`)."""
        return bought_on(self.backend, submission)

    def unfinished(self, *, include_held: bool = False) -> builtins.list[Submission]:
        """Submissions a new session must re-attach to or reconcile, oldest first.

        Rows another live process owns are left out (it is still sending or watching them; a
        second notebook must not reconcile them) unless ``include_held``.
        """
        rows = self.list(limit=None, states=UNFINISHED_STATES, newest_first=False)
        rows = [row for row in rows if self.on_this_backend(row)]
        if include_held:
            return rows
        with self._lock:
            live = live_owners(self._connection(), time.time())
        live.discard(self._holder.owner)
        return [row for row in rows if row.owner is None or row.owner not in live]

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

    @staticmethod
    def _row(conn: sqlite3.Connection, sid: str) -> Submission:
        return submission_from_row(
            conn.execute("SELECT * FROM submissions WHERE submission_id = ?", (sid,)).fetchone()
        )

    @staticmethod
    def _log_state(conn: sqlite3.Connection, sid: str, state: str, at: float) -> None:
        conn.execute(
            "INSERT INTO state_changes (submission_id, state, at) VALUES (?, ?, ?)",
            (sid, state, at),
        )

    def write_error(self, exc: BaseException, *, bought: bool) -> LedgerWriteError:
        """The plain-words error for a ledger write that failed (disk full, read-only…)."""
        if bought:
            text = (
                f"The request was sent but the ledger at {self.path} could not record its answer "
                f"({_reason(exc)}); free space there, then flow.resume() finds the job by its "
                "reference -- nothing is resent."
            )
        else:
            text = (
                f"Not sent: the ledger at {self.path} could not record the request "
                f"({_reason(exc)}); free space in the data folder and run the cell again."
            )
        return LedgerWriteError(text)

    def _json(self, value: Mapping[str, Any]) -> str:
        try:
            return json.dumps(self._redactor.scrub(value), ensure_ascii=True, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"ledger values must be plain JSON data: {exc}") from None

    def _text(self, value: str) -> str:
        return self._redactor.scrub_text(value)

    def scrub_text(self, value: str) -> str:
        """``value`` with every secret this ledger knows masked (for tables kept beside it)."""
        return self._text(value)

    def _opt_text(self, value: str | None) -> str | None:
        return None if value is None else self._text(value)
