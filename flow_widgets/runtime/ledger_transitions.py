"""The one table of the state changes a ledger row may make.

Why one table: two kernels share a ledger, and before it existed any writer could move any row
anywhere -- a second notebook reconciling a row the first was still sending turned a paid,
downloaded ``completed`` job into ``lost``, and a re-run then bought it again. Every state change
is now a compare-and-set checked against :data:`TRANSITIONS` inside the write transaction; a
change the table does not list leaves the row as it is. ``completed`` never goes anywhere.

The rule behind the table: a state may move to one that knows *more* about the purchase. Evidence
that a job exists (``accepted``, ``running``, ``completed``, ``failed``) beats doubt (``unknown``,
``timed_out``, ``lost``, ``cancelled``), never the other way round for a finished job.
"""

from __future__ import annotations

from collections.abc import Mapping

from flow_widgets.runtime.ledger_records import STATES

__all__ = ["TERMINAL_STATES", "TRANSITIONS", "allowed"]

_WATCHED = frozenset({"accepted", "running", "completed", "failed", "timed_out", "cancelled"})
"""Where a row with a job (or a doubt about one) may go: the job's news, a deadline, a cancel."""

TRANSITIONS: Mapping[str, frozenset[str]] = {
    # the POST is about to leave or is on the wire
    "submitting": frozenset({"accepted", "running", "completed", "unknown", "rejected", "lost"})
    | _WATCHED,
    "accepted": _WATCHED | {"lost"},
    "running": _WATCHED | {"lost"},
    # the reply was lost: the search may find the job, give up for now, or prove it never ran
    "unknown": _WATCHED | {"unknown", "lost", "rejected"},
    "timed_out": _WATCHED | {"unknown", "lost"},
    "cancelled": _WATCHED | {"unknown", "lost"},
    # late evidence of the job beats "no job was found"
    "lost": frozenset({"accepted", "running", "completed", "failed"}),
    "failed": frozenset(),
    "rejected": frozenset(),
    "completed": frozenset(),
}
"""``TRANSITIONS[a]``: the states a row in state ``a`` may move to (staying put is always
allowed: it only updates the row's other fields -- except that a finished row keeps them)."""

TERMINAL_STATES = frozenset(state for state, nexts in TRANSITIONS.items() if not nexts)
"""States no change leaves: the purchase's story is over."""

if set(TRANSITIONS) != set(STATES):  # pragma: no cover - a new state must be placed here
    raise RuntimeError("every ledger state needs a row in the transition table")


def allowed(previous: str, state: str) -> bool:
    """True when a row in ``previous`` may move to ``state`` (or stay in it)."""
    return state == previous or state in TRANSITIONS.get(previous, frozenset())
