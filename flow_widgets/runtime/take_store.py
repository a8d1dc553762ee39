"""Every cell's takes, kept in the ledger's sqlite file: which purchases one cell made, in order.

Why: tweaking a prompt is edit, run, look, compare, keep. Each run replaces the cell's output,
so the cell itself must remember its earlier takes — across edits (a new prompt is a new
request), re-runs (re-attaching to a take already bought is *not* a new take) and kernel
restarts — and which one the person starred as the cell's pick.

Which cell a run belongs to is decided by :mod:`flow_widgets.runtime.cell_keys`.

The store is a table of its own (``cell_takes``) in the ledger's file, created when missing, so
the ledger's schema steps are untouched. The ledger is shared by every kernel on the machine, so
numbering happens inside one ``BEGIN IMMEDIATE`` transaction: two kernels recording a take of
the same cell at once get two numbers, never the same one. A take's job id, charged credits and
first file are read from the ledger's own rows when listed, so they are never copied twice.
Prompts pass through the session's redactor (a token pasted into a prompt is not stored).

A run that buys several results at once (a ``%%flow_image --seeds``/``--compare`` grid) records
one take per result, each with its grid ``label`` ("seed 7") and the ``run`` they share, so the
strip can keep a run whole and starring the best image is "keep the better one". Both columns
are added to a table made by an older version when it is first opened (``NULL``: a run of one).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from flow_widgets.runtime.cell_keys import CellKey, normal_flags
from flow_widgets.runtime.ledger_schema import connect, immediate

if TYPE_CHECKING:  # pragma: no cover
    from flow_widgets.runtime.ledger import Ledger

__all__ = ["TakeRecord", "TakeStore", "cell_picks", "store_for", "take_cells"]


_SCHEMA = """
CREATE TABLE IF NOT EXISTS cell_takes (
    notebook      TEXT NOT NULL,
    cell_key      TEXT NOT NULL,
    key_source    TEXT NOT NULL,
    number        INTEGER NOT NULL,
    submission_id TEXT NOT NULL,
    fingerprint   TEXT NOT NULL,
    magic         TEXT NOT NULL,
    flags         TEXT NOT NULL,
    prompt        TEXT NOT NULL,
    model         TEXT,
    seed          INTEGER,
    cost          INTEGER,
    created       REAL NOT NULL,
    starred       INTEGER NOT NULL DEFAULT 0 CHECK (starred IN (0, 1)),
    label         TEXT,
    run           TEXT,
    PRIMARY KEY (notebook, cell_key, number),
    UNIQUE (notebook, cell_key, submission_id)
);
CREATE INDEX IF NOT EXISTS cell_takes_by_lineage ON cell_takes (notebook, magic, flags, created)
"""
_ADDED_COLUMNS = (("label", "TEXT"), ("run", "TEXT"))  # newer than the first cell_takes


@dataclass(frozen=True)
class TakeRecord:
    """One take of one cell, as listed (ledger facts joined in).

    Attributes:
        number: 1, 2, 3 … within the cell, in the order they were first bought.
        cost: the credits charged once known, else the estimate when recorded.
        jobid, state, media_path: from the ledger's rows (``None`` while not known).
        label: where the take sits in its run's grid ("seed 7"; ``None`` for a run of one).
        run: the run it was bought with (``None``: a run of its own); see :attr:`run_key`.
    """

    notebook: str
    cell_key: str
    key_source: str
    number: int
    submission_id: str
    fingerprint: str
    magic: str
    flags: str
    prompt: str
    model: str | None
    seed: int | None
    cost: int | None
    created: float
    starred: bool
    jobid: str | None = None
    state: str | None = None
    media_path: str | None = None
    label: str | None = None
    run: str | None = None

    @property
    def run_key(self) -> str:
        """What the takes bought by one run share (a take of its own: its submission)."""
        return self.run or f"submission:{self.submission_id}"


class TakeStore:
    """The ``cell_takes`` table in the ledger's sqlite file.

    Args:
        path: the ledger's file (``session.ledger.path``).
        redact: turns a prompt into what may be stored (the ledger's secret scrubbing).
        clock: seconds since the epoch for ``created``.

    Example:
        >>> import pathlib, tempfile
        >>> store = TakeStore(pathlib.Path(tempfile.mkdtemp()) / "ledger.sqlite3")
        >>> key = CellKey("a.ipynb", "cell:1f2e", "cell id")
        >>> store.record(key, submission_id="s1", fingerprint="f1", magic="%%flow_video",
        ...              flags="-m veo-3.1-lite", prompt="a fox", model="veo-3.1-lite",
        ...              seed=None, cost=10).number
        1
        >>> store.record(key, submission_id="s1", fingerprint="f1", magic="%%flow_video",
        ...              flags="-m veo-3.1-lite", prompt="a fox", model="veo-3.1-lite",
        ...              seed=None, cost=10).number   # a re-run re-attached: the same take
        1
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        redact: Callable[[str], str] = str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = Path(path)
        self._redact = redact
        self._clock = clock
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._pid = -1

    def __repr__(self) -> str:
        return f"TakeStore({str(self.path)!r})"

    # -- connection -------------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        if self._conn is not None and self._pid == os.getpid():
            return self._conn
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        conn = connect(self.path)
        conn.execute("PRAGMA synchronous = FULL")
        with immediate(conn):
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            have = {row[1] for row in conn.execute("PRAGMA table_info(cell_takes)")}
            for name, kind in _ADDED_COLUMNS:
                if name not in have:
                    conn.execute(f"ALTER TABLE cell_takes ADD COLUMN {name} {kind}")
        self._conn, self._pid = conn, os.getpid()
        return conn

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One immediate transaction (two kernels writing wait for each other)."""
        with self._lock, immediate(self._connection()) as conn:
            yield conn

    def close(self) -> None:
        """Close the connection (the next call reopens it)."""
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None

    def _has_ledger_tables(self, conn: sqlite3.Connection) -> bool:
        names = {
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND name IN ('submissions', 'media_files')"
            )
        }
        return names == {"submissions", "media_files"}

    # -- writing ----------------------------------------------------------------------------

    def record(
        self,
        key: CellKey,
        *,
        submission_id: str,
        fingerprint: str,
        magic: str,
        flags: str,
        prompt: str,
        model: str | None,
        seed: int | None,
        cost: int | None,
        label: str | None = None,
        run: str | None = None,
    ) -> TakeRecord:
        """The take ``submission_id`` is of this cell: the one already recorded (a re-run that
        re-attached, which keeps its first label and run), or a new one numbered after the
        cell's last."""
        with self._write() as conn:
            row = conn.execute(
                "SELECT number FROM cell_takes WHERE notebook = ? AND cell_key = ?"
                " AND submission_id = ?",
                (key.notebook, key.key, submission_id),
            ).fetchone()
            if row is None:
                last = conn.execute(
                    "SELECT MAX(number) FROM cell_takes WHERE notebook = ? AND cell_key = ?",
                    (key.notebook, key.key),
                ).fetchone()[0]
                number = int(last or 0) + 1
                conn.execute(
                    "INSERT INTO cell_takes (notebook, cell_key, key_source, number,"
                    " submission_id, fingerprint, magic, flags, prompt, model, seed, cost,"
                    " created, label, run) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        key.notebook,
                        key.key,
                        key.source,
                        number,
                        submission_id,
                        fingerprint,
                        magic,
                        normal_flags(flags),
                        self._redact(prompt),
                        model,
                        seed,
                        cost,
                        self._clock(),
                        label,
                        run,
                    ),
                )
            else:
                number = int(row["number"])
        found = self.take(key.notebook, key.key, number)
        assert found is not None  # written just above, never deleted
        return found

    def note_seed(self, submission_id: str, seed: int) -> None:
        """Fill in the seed the server chose (a request without ``--seed``) once it is known."""
        with self._write() as conn:
            conn.execute(
                "UPDATE cell_takes SET seed = ? WHERE submission_id = ? AND seed IS NULL",
                (int(seed), submission_id),
            )

    def star(self, notebook: str, cell_key: str, number: int | None) -> None:
        """Make take ``number`` the cell's pick (``None``: no pick). One pick per cell."""
        with self._write() as conn:
            if number is not None:
                found = conn.execute(
                    "SELECT 1 FROM cell_takes WHERE notebook = ? AND cell_key = ? AND number = ?",
                    (notebook, cell_key, int(number)),
                ).fetchone()
                if found is None:
                    raise KeyError(f"this cell has no take #{number}")
            conn.execute(
                "UPDATE cell_takes SET starred = (number IS ?) WHERE notebook = ? AND cell_key = ?",
                (number, notebook, cell_key),
            )

    # -- reading ----------------------------------------------------------------------------

    def _select(self, where: str, args: tuple[object, ...]) -> list[TakeRecord]:
        with self._lock:
            conn = self._connection()
            if self._has_ledger_tables(conn):
                sql = (
                    "SELECT t.*, s.jobid AS jobid, s.state AS state,"
                    " COALESCE(s.credits, t.cost, s.estimate) AS charged,"
                    " (SELECT m.path FROM media_files m WHERE m.submission_id = t.submission_id"
                    "  ORDER BY m.idx LIMIT 1) AS media_path"
                    " FROM cell_takes t LEFT JOIN submissions s"
                    " ON s.submission_id = t.submission_id"
                )
            else:
                sql = (
                    "SELECT t.*, NULL AS jobid, NULL AS state, NULL AS charged,"
                    " NULL AS media_path FROM cell_takes t"
                )
            rows = conn.execute(f"{sql} WHERE {where} ORDER BY t.number", args).fetchall()
        return [
            TakeRecord(
                notebook=row["notebook"],
                cell_key=row["cell_key"],
                key_source=row["key_source"],
                number=int(row["number"]),
                submission_id=row["submission_id"],
                fingerprint=row["fingerprint"],
                magic=row["magic"],
                flags=row["flags"],
                prompt=row["prompt"],
                model=row["model"],
                seed=None if row["seed"] is None else int(row["seed"]),
                cost=int(row["charged"]) if row["charged"] is not None else row["cost"],
                created=float(row["created"]),
                starred=bool(row["starred"]),
                jobid=row["jobid"],
                state=row["state"],
                media_path=row["media_path"],
                label=row["label"],
                run=row["run"],
            )
            for row in rows
        ]

    def takes(self, notebook: str, cell_key: str) -> list[TakeRecord]:
        """The cell's takes, oldest first."""
        return self._select("t.notebook = ? AND t.cell_key = ?", (notebook, cell_key))

    def take(self, notebook: str, cell_key: str, number: int) -> TakeRecord | None:
        """One take of the cell, or ``None``."""
        found = self._select(
            "t.notebook = ? AND t.cell_key = ? AND t.number = ?", (notebook, cell_key, number)
        )
        return found[0] if found else None

    def starred(self, notebook: str | None = None) -> list[TakeRecord]:
        """Every starred take (of one notebook, or of every one), oldest first."""
        if notebook is None:
            return self._select("t.starred = 1", ())
        return self._select("t.starred = 1 AND t.notebook = ?", (notebook,))

    def cells_by_submission(self) -> dict[str, str]:
        """Which cell (its key) bought each submission, across every notebook."""
        return {take.submission_id: take.cell_key for take in self._select("1 = 1", ())}

    def starred_submissions(self) -> set[str]:
        """The submission ids of every starred take (what galleries and exports offer first)."""
        return {take.submission_id for take in self.starred()}

    def cells(self, notebook: str) -> list[str]:
        """The cell keys of a notebook that have takes, most recent first."""
        with self._lock:
            rows = (
                self._connection()
                .execute(
                    "SELECT cell_key FROM cell_takes WHERE notebook = ?"
                    " GROUP BY cell_key ORDER BY MAX(created) DESC",
                    (notebook,),
                )
                .fetchall()
            )
        return [str(row[0]) for row in rows]

    def lineages(self, notebook: str, magic: str, flags: str) -> list[tuple[str, str, float]]:
        """``(cell_key, latest prompt, latest time)`` of the notebook's lineages made by this
        magic with these flags, most recent first."""
        with self._lock:
            rows = (
                self._connection()
                .execute(
                    "SELECT cell_key, prompt, created FROM cell_takes t WHERE notebook = ?"
                    " AND key_source = 'lineage' AND magic = ? AND flags = ? AND number ="
                    " (SELECT MAX(number) FROM cell_takes u WHERE u.notebook = t.notebook"
                    "  AND u.cell_key = t.cell_key) ORDER BY created DESC",
                    (notebook, magic, normal_flags(flags)),
                )
                .fetchall()
            )
        return [(str(r[0]), str(r[1]), float(r[2])) for r in rows]


_STORES: dict[Path, TakeStore] = {}
_STORES_LOCK = threading.Lock()


def store_for(ledger: Ledger) -> TakeStore:
    """The takes store in ``ledger``'s file (one per file in this process), scrubbing the
    ledger's secrets from prompts."""
    path = Path(ledger.path)
    with _STORES_LOCK:
        if path not in _STORES:
            _STORES[path] = TakeStore(path, redact=ledger.scrub_text)
        return _STORES[path]


def cell_picks(ledger: Ledger | None) -> set[str]:
    """The submission ids starred as their cell's pick (what galleries and exports offer
    first); empty when there is no ledger or it cannot be read — never an error."""
    if ledger is None:
        return set()
    try:
        return store_for(ledger).starred_submissions()
    except (sqlite3.Error, OSError):
        return set()


def take_cells(ledger: Ledger | None) -> dict[str, str]:
    """Submission id -> the key of the cell that bought it (the Gallery's cell filter); empty
    when there is no ledger or it cannot be read — never an error."""
    if ledger is None:
        return {}
    try:
        return store_for(ledger).cells_by_submission()
    except (sqlite3.Error, OSError):
        return {}
