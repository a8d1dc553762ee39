"""Who owns a ledger row in flight: one lease per ledger connection, kept alive by a heartbeat.

Why: several kernels on one machine share one ledger. A row that one kernel is sending, polling
or downloading must not be reconciled, re-marked or re-sent by another -- that is how a second
notebook turned paid clips into ``lost`` and bought them again. So the ledger that writes a row
owns it (``submissions.owner``), and its lease (a ``leases`` row: host, pid, the pid's start time
and an expiry) says whether that owner still lives. A lease is *held* while it has not expired
and, on this host, its process still runs with the same start time -- so a SIGKILLed kernel frees
its rows at once on the same machine, and after :data:`LEASE_S` anywhere else (a folder shared
over a network). Other processes may watch a held row; only an expired one may be taken over.

This module holds the identity and the liveness test; :class:`~flow_widgets.runtime.ledger.Ledger`
stores the rows and runs the heartbeat.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import uuid
from dataclasses import dataclass
from pathlib import Path

__all__ = ["LEASE_S", "LeaseHolder", "live_owners", "process_start"]

LEASE_S = 30.0
"""How long a lease lasts without a heartbeat (the heartbeat renews it every third of that)."""


def process_start(pid: int) -> str | None:
    """The start time of process ``pid`` as the kernel reports it (``None`` when unknown).

    Linux's ``/proc/<pid>/stat`` field 22, in clock ticks since boot: with the pid it names one
    process for good, so a recycled pid is not mistaken for the owner.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else None


def _runs(pid: int, start: str | None) -> bool:
    """True when process ``pid`` exists (and, where known, started at ``start``)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: it exists
    except OSError:
        return True  # cannot tell: trust the expiry
    if start is None:
        return True
    now = process_start(pid)
    return now is None or now == start


@dataclass(frozen=True)
class LeaseHolder:
    """One ledger connection's identity as an owner of rows."""

    owner: str
    host: str
    pid: int
    start: str | None

    @classmethod
    def for_this_process(cls) -> LeaseHolder:
        pid = os.getpid()
        return cls(
            owner=f"{socket.gethostname()}:{pid}:{uuid.uuid4().hex[:12]}",
            host=socket.gethostname(),
            pid=pid,
            start=process_start(pid),
        )


def live_owners(conn: sqlite3.Connection, now: float) -> set[str]:
    """The owners whose lease is held at ``now``: not expired, and their process still running
    when it runs on this host."""
    here = socket.gethostname()
    held: set[str] = set()
    for owner, host, pid, start, expires in conn.execute(
        "SELECT owner, host, pid, pid_start, expires FROM leases"
    ):
        if float(expires) <= now:
            continue
        if host == here and not _runs(int(pid), start):
            continue
        held.add(str(owner))
    return held
