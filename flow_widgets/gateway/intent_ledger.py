"""The kernel ledger's intents on PostgreSQL: the second backend of one interface.

Why: a kernel's SQLite ledger (:class:`~flow_widgets.runtime.ledger.Ledger`) cannot be seen from
another machine; a class on a JupyterHub spans several. This backend keeps the same promises on
the gateway's database (``FLOW_LEDGER_URL``) -- :class:`~flow_widgets.runtime.ledger_protocol.
IntentLedger`: an intent committed before its POST, attempts beneath it, one live owner per row
(a lease renewed by a heartbeat, and on the same host the owner's process must still run), and
every state change a compare-and-set along the same transition table. The tables live in their
own PostgreSQL schema (``intent_ledger``, migration 3) with the SQLite ledger's names, so the
statements read the same. Each write is one transaction that locks the row (``FOR UPDATE``), so
two machines cannot both take or move it.

The gateway's dispatcher records every student's request here (through the interface); the
gateway's own tables name the intent (``queue_items.intent_id``, migration 4).

Not here (the SQLite ledger's alone for now): media files, uploaded assets and spend rows.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import psycopg
from psycopg.rows import dict_row

from flow_widgets.gateway.schema import migrate
from flow_widgets.runtime.ledger_leases import LEASE_S, LeaseHolder, live_owners
from flow_widgets.runtime.ledger_records import (
    NOT_REUSABLE_STATES,
    STATES,
    Attempt,
    Submission,
    bought_on,
    submission_from_row,
)
from flow_widgets.runtime.ledger_transitions import TERMINAL_STATES, allowed
from flow_widgets.runtime.redact import Redactor

__all__ = ["PgIntentLedger"]

log = logging.getLogger(__name__)

_JOB_STATES = frozenset({"running", "completed", "failed"})


class PgIntentLedger:
    """Intents, attempts, owners and states in PostgreSQL (see the module docstring)."""

    def __init__(
        self,
        url: str,
        *,
        secrets: Iterable[str] = (),
        clock: Callable[[], float] = time.time,
        lease_s: float = LEASE_S,
        backend: str | None = None,
    ) -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            migrate(conn)
        self._conn = psycopg.connect(url, autocommit=True, options="-c search_path=intent_ledger")
        self._redactor = Redactor(secrets)
        self._clock = clock
        self._lock = threading.RLock()
        self.lease_s = lease_s
        self.backend = backend
        self._holder = LeaseHolder.for_this_process()
        self._heartbeat: threading.Thread | None = None
        self._stop_beating = threading.Event()

    def __repr__(self) -> str:
        return "PgIntentLedger()"

    @property
    def owner(self) -> str:
        return self._holder.owner

    def close(self) -> None:
        """Give up this connection's lease (its rows may be taken at once) and disconnect."""
        self._stop_beating.set()
        with self._lock:
            if not self._conn.closed:
                with contextlib.suppress(psycopg.Error):
                    self._conn.execute("DELETE FROM leases WHERE owner = %s", (self.owner,))
                self._conn.close()

    # -- plumbing ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def _write(self) -> Iterator[psycopg.Connection[Any]]:
        with self._lock, self._conn.transaction():
            yield self._conn

    def _json(self, value: Mapping[str, Any]) -> str:
        try:
            return json.dumps(self._redactor.scrub(value), ensure_ascii=True, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"ledger values must be plain JSON data: {exc}") from None

    def _text(self, value: str | None) -> str | None:
        return None if value is None else self._redactor.scrub_text(value)

    def _row(self, conn: psycopg.Connection[Any], sid: str) -> Submission:
        cur = conn.cursor(row_factory=dict_row)
        row = cur.execute("SELECT * FROM submissions WHERE submission_id = %s", (sid,)).fetchone()
        return submission_from_row(row)  # type: ignore[arg-type]

    def _hold_lease(self, conn: psycopg.Connection[Any]) -> None:
        holder = self._holder
        conn.execute("DELETE FROM leases WHERE expires < %s", (time.time() - 3600,))
        conn.execute(
            "INSERT INTO leases (owner, host, pid, pid_start, expires) VALUES (%s, %s, %s, %s, %s)"
            " ON CONFLICT (owner) DO UPDATE SET expires = EXCLUDED.expires",
            (holder.owner, holder.host, holder.pid, holder.start, time.time() + self.lease_s),
        )
        if self._heartbeat is None:
            self._heartbeat = threading.Thread(
                target=self._beat, name="flow-pg-ledger-lease", daemon=True
            )
            self._heartbeat.start()

    def _beat(self) -> None:
        while not self._stop_beating.wait(self.lease_s / 3):
            try:
                with self._lock:
                    if self._stop_beating.is_set() or self._conn.closed:
                        return
                    self._conn.execute(
                        "UPDATE leases SET expires = %s WHERE owner = %s",
                        (time.time() + self.lease_s, self.owner),
                    )
            except psycopg.Error as exc:  # the next beat tries again
                log.warning("Renewing the ledger lease failed: %s", exc)

    def _take(self, conn: psycopg.Connection[Any], sid: str) -> tuple[str, bool]:
        """Inside a write: the row's state (the row locked), and whether this connection owns
        it now (taking it over when it has no owner or its owner's lease is gone)."""
        row = conn.execute(
            "SELECT state, owner FROM submissions WHERE submission_id = %s FOR UPDATE", (sid,)
        ).fetchone()
        if row is None:
            raise KeyError(f"no submission {sid!r} in the ledger")
        state, owner = str(row[0]), row[1]
        if owner == self.owner:
            self._hold_lease(conn)
            return state, True
        if owner is not None and owner in live_owners(conn, time.time()):  # type: ignore[arg-type]
            return state, False
        conn.execute(
            "UPDATE submissions SET owner = %s WHERE submission_id = %s", (self.owner, sid)
        )
        self._hold_lease(conn)
        return state, True

    @staticmethod
    def _log_state(conn: psycopg.Connection[Any], sid: str, state: str, at: float) -> None:
        conn.execute(
            "INSERT INTO state_changes (submission_id, state, at) VALUES (%s, %s, %s)",
            (sid, state, at),
        )

    @staticmethod
    def _end_attempt(
        conn: psycopg.Connection[Any], sid: str, outcome: str, error: str | None, now: float
    ) -> None:
        conn.execute(
            "UPDATE attempts SET outcome = %s, error = %s, ended = %s WHERE submission_id = %s"
            " AND n = (SELECT max(n) FROM attempts WHERE submission_id = %s)"
            " AND outcome IS NULL",
            (outcome, error, now, sid, sid),
        )

    def _last_attempt(self, conn: psycopg.Connection[Any], sid: str) -> Attempt | None:
        found = self._attempt_rows(conn, sid, last=True)
        return found[0] if found else None

    @staticmethod
    def _attempt_rows(conn: psycopg.Connection[Any], sid: str, *, last: bool) -> list[Attempt]:
        order = "DESC LIMIT 1" if last else ""
        cur = conn.cursor(row_factory=dict_row)
        rows = cur.execute(
            f"SELECT * FROM attempts WHERE submission_id = %s ORDER BY n {order}", (sid,)
        ).fetchall()
        return [
            Attempt(
                submission_id=r["submission_id"],
                n=int(r["n"]),
                account=r["account"],
                sent=float(r["sent"]),
                ended=None if r["ended"] is None else float(r["ended"]),
                outcome=r["outcome"],
                error=r["error"],
            )
            for r in rows
        ]

    # -- ownership --------------------------------------------------------------------------

    def claim(self, sid: str) -> bool:
        with self._write() as conn:
            return self._take(conn, sid)[1]

    def held_elsewhere(self, sid: str) -> bool:
        with self._lock:
            row = self._conn.execute(
                "SELECT owner FROM submissions WHERE submission_id = %s", (sid,)
            ).fetchone()
            owner = None if row is None else row[0]
            if owner is None or owner == self.owner:
                return False
            return owner in live_owners(self._conn, time.time())  # type: ignore[arg-type]

    # -- intents and attempts ---------------------------------------------------------------

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
        """Record the intent (state ``submitting``, attempt 1), committed before this returns."""
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
        bought (or may have bought) a job, return that row instead of a new one. The look-up
        and the insert are one transaction under a lock on the fingerprint, so two machines
        running the same cell at once make one row (one POST) between them."""
        sid = str(uuid.uuid4())
        now = self._clock()
        with self._write() as conn:
            if reuse:
                conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (fingerprint,))
                earlier = self._reusable(conn, fingerprint)
                if earlier is not None:
                    return earlier.submission_id, earlier
            self._hold_lease(conn)
            conn.execute(
                "INSERT INTO submissions (submission_id, kind, endpoint, payload, fingerprint,"
                " model, estimate, account, state, created, updated, owner, backend)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 'submitting', %s, %s, %s, %s)",
                (
                    sid,
                    self._text(kind),
                    self._text(endpoint),
                    self._json(payload),
                    fingerprint,
                    self._text(model),
                    int(estimate),
                    self._text(account),
                    now,
                    now,
                    self.owner,
                    self.backend,
                ),
            )
            self._log_state(conn, sid, "submitting", now)
            conn.execute(
                "INSERT INTO attempts (submission_id, n, account, sent) VALUES (%s, 1, %s, %s)",
                (sid, self._text(account), now),
            )
        return sid, None

    def find_reusable(self, fingerprint: str) -> Submission | None:
        """The latest submission of an identical request that bought (or may have bought) a
        job; rejected, failed and lost ones are skipped."""
        with self._lock:
            return self._reusable(self._conn, fingerprint)

    def _reusable(self, conn: psycopg.Connection[Any], fingerprint: str) -> Submission | None:
        cur = conn.cursor(row_factory=dict_row)
        rows = cur.execute(
            "SELECT * FROM submissions WHERE fingerprint = %s AND NOT (state = ANY(%s))"
            " ORDER BY created DESC, submission_id DESC",
            (fingerprint, sorted(NOT_REUSABLE_STATES)),
        ).fetchall()
        for row in rows:
            submission = submission_from_row(row)  # type: ignore[arg-type]
            if self.on_this_backend(submission):
                return submission
        return None

    def on_this_backend(self, submission: Submission) -> bool:
        """True when ``submission`` was bought on this ledger's backend (see :func:`bought_on`)."""
        return bought_on(self.backend, submission)

    def retry_intent(self, sid: str, account: str | None) -> int | None:
        now = self._clock()
        with self._write() as conn:
            state, mine = self._take(conn, sid)
            last = self._last_attempt(conn, sid)
            if not mine or state != "submitting" or last is None or last.outcome != "refused":
                return None
            conn.execute(
                "INSERT INTO attempts (submission_id, n, account, sent) VALUES (%s, %s, %s, %s)",
                (sid, last.n + 1, self._text(account), now),
            )
            conn.execute(
                "UPDATE submissions SET account = COALESCE(%s, account), updated = %s"
                " WHERE submission_id = %s",
                (self._text(account), now, sid),
            )
            return last.n + 1

    def refused_attempt(self, sid: str, error: str) -> None:
        now = self._clock()
        with self._write() as conn:
            if self._take(conn, sid)[1]:
                self._end_attempt(conn, sid, "refused", self._text(error), now)
                conn.execute(
                    "UPDATE submissions SET error = %s, updated = %s WHERE submission_id = %s",
                    (self._text(error), now, sid),
                )

    def waiting_to_retry(self, sid: str) -> bool:
        with self._lock:
            row = self._conn.execute(
                "SELECT state FROM submissions WHERE submission_id = %s", (sid,)
            ).fetchone()
            last = self._last_attempt(self._conn, sid)
        return (
            row is not None
            and row[0] == "submitting"
            and last is not None
            and (last.outcome == "refused")
        )

    def attempts(self, sid: str) -> list[Attempt]:
        with self._lock:
            return self._attempt_rows(self._conn, sid, last=False)

    # -- states -----------------------------------------------------------------------------

    def mark_accepted(
        self, sid: str, jobid: str, account: str | None, raw_job: Mapping[str, Any] | None
    ) -> Submission:
        now = self._clock()
        with self._write() as conn:
            previous, mine = self._take(conn, sid)
            if not mine or not allowed(previous, "accepted"):
                log.info("ledger: %s stays %s (accepted refused)", sid, previous)
                return self._row(conn, sid)
            owner = conn.execute(
                "SELECT submission_id FROM submissions WHERE jobid = %s", (jobid,)
            ).fetchone()
            if owner is not None and owner[0] != sid:
                raise ValueError(
                    f"jobid {jobid!r} already belongs to submission {owner[0]}; "
                    "one job cannot settle two submissions."
                )
            conn.execute(
                "UPDATE submissions SET jobid = %s, account = COALESCE(%s, account),"
                " job = COALESCE(%s, job), state = 'accepted', updated = %s"
                " WHERE submission_id = %s",
                (
                    self._text(jobid),
                    self._text(account),
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
                "UPDATE submissions SET state = %s, error = COALESCE(%s, error),"
                " charged = COALESCE(%s, charged), credits = COALESCE(%s, credits),"
                " job = COALESCE(%s, job), updated = %s WHERE submission_id = %s",
                (
                    state,
                    self._text(error),
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
                self._end_attempt(conn, sid, outcome, self._text(error), now)
            return self._row(conn, sid)

    def get(self, sid: str) -> Submission | None:
        with self._lock:
            cur = self._conn.cursor(row_factory=dict_row)
            row = cur.execute(
                "SELECT * FROM submissions WHERE submission_id = %s", (sid,)
            ).fetchone()
        return None if row is None else submission_from_row(row)  # type: ignore[arg-type]

    def history(self, sid: str) -> list[tuple[str, float]]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT state, at FROM state_changes WHERE submission_id = %s ORDER BY id",
                (sid,),
            ).fetchall()
        return [(str(s), float(a)) for s, a in rows]
