"""What the ledger stores, as plain frozen records and the vocabulary of submission states.

Kept apart from :mod:`flow_widgets.runtime.ledger` so views (dashboards, the CLI, the credit
tracker) can read submissions without the storage code. No I/O here.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "NOT_REUSABLE_STATES",
    "STATES",
    "UNFINISHED_STATES",
    "Attempt",
    "MediaFileRecord",
    "Submission",
    "bought_on",
    "media_file_from_row",
    "submission_from_row",
]

STATES = frozenset(
    {
        "submitting",
        "accepted",
        "running",
        "completed",
        "failed",
        "rejected",
        "unknown",
        "timed_out",
        "cancelled",
        "lost",
    }
)
"""Every state a submission row can be in."""

UNFINISHED_STATES = frozenset({"submitting", "accepted", "running", "unknown", "timed_out"})
"""States that :meth:`Ledger.unfinished` returns, so a new session re-attaches to them."""

NOT_REUSABLE_STATES = frozenset({"rejected", "failed", "lost"})
"""States whose job bought nothing usable; an identical request may be sent again."""


@dataclass(frozen=True)
class Submission:
    """One paid request as the ledger knows it (a snapshot; the row may have moved on)."""

    submission_id: str
    kind: str
    endpoint: str
    payload: Mapping[str, Any] = field(hash=False)
    fingerprint: str
    model: str | None
    estimate: int
    account: str | None
    state: str
    jobid: str | None
    job: Mapping[str, Any] | None = field(hash=False)
    error: str | None
    charged: bool | None
    credits: int | None
    created: float
    updated: float
    owner: str | None = field(default=None, compare=False)
    """The ledger connection that may change this row (see ledger_leases); not in to_dict."""
    backend: str | None = field(default=None, compare=False)
    """The base URL and token user it was bought on (``None``: recorded before that)."""

    @property
    def unfinished(self) -> bool:
        """True while a session should still watch or reconcile this submission."""
        return self.state in UNFINISHED_STATES

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able fields (what a dashboard or the CLI prints)."""
        return {
            "submission_id": self.submission_id,
            "kind": self.kind,
            "endpoint": self.endpoint,
            "payload": dict(self.payload),
            "fingerprint": self.fingerprint,
            "model": self.model,
            "estimate": self.estimate,
            "account": self.account,
            "state": self.state,
            "jobid": self.jobid,
            "job": None if self.job is None else dict(self.job),
            "error": self.error,
            "charged": self.charged,
            "credits": self.credits,
            "created": self.created,
            "updated": self.updated,
        }


@dataclass(frozen=True)
class Attempt:
    """One sending of an intent (a submission row): a retry after a refusal adds one.

    ``outcome`` is ``None`` while the POST is on the wire, then ``refused`` (nothing bought,
    retried), ``accepted``, ``unknown`` (the reply was lost), ``rejected`` or ``lost``."""

    submission_id: str
    n: int
    account: str | None
    sent: float
    ended: float | None
    outcome: str | None
    error: str | None


@dataclass(frozen=True)
class MediaFileRecord:
    """A media file saved for a submission (``index`` follows the job's ``media[]`` order)."""

    submission_id: str
    index: int
    media_id: str | None
    path: Path
    size: int
    sha256: str
    created: float


def bought_on(backend: str | None, submission: Submission) -> bool:
    """True when ``submission`` was bought on ``backend`` (``None``: any backend).

    Rows recorded before backends were (``backend`` is ``NULL``) count when their jobid
    names the same useapi.net user (``-u<id>-``); without a jobid they do not.
    """
    if backend is None or submission.backend == backend:
        return True
    if submission.backend is not None or not submission.jobid:
        return False
    user = backend.rsplit(" as user:", 1)
    return len(user) == 2 and f"-u{user[1]}-" in submission.jobid


def submission_from_row(row: sqlite3.Row) -> Submission:
    """A :class:`Submission` from a ``submissions`` row (JSON columns decoded)."""
    return Submission(
        submission_id=row["submission_id"],
        kind=row["kind"],
        endpoint=row["endpoint"],
        payload=json.loads(row["payload"]),
        fingerprint=row["fingerprint"],
        model=row["model"],
        estimate=int(row["estimate"]),
        account=row["account"],
        state=row["state"],
        jobid=row["jobid"],
        job=None if row["job"] is None else json.loads(row["job"]),
        error=row["error"],
        charged=None if row["charged"] is None else bool(row["charged"]),
        credits=row["credits"],
        created=float(row["created"]),
        updated=float(row["updated"]),
        owner=row["owner"],
        backend=row["backend"],
    )


def media_file_from_row(row: sqlite3.Row) -> MediaFileRecord:
    """A :class:`MediaFileRecord` from a ``media_files`` row."""
    return MediaFileRecord(
        submission_id=row["submission_id"],
        index=int(row["idx"]),
        media_id=row["media_id"],
        path=Path(row["path"]),
        size=int(row["size"]),
        sha256=row["sha256"],
        created=float(row["created"]),
    )
