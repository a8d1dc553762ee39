"""Ledger rows shared by several connections (kernels): ownership and the transition table.

A hypothesis state machine drives three ledger connections on one file -- each one an owner, as
each kernel is -- through random begins, state changes and closes, against a model of the rule:
a row changes only through its owner (or whoever takes it over once the owner's lease is gone),
and only along :data:`TRANSITIONS`; ``completed`` never goes back. The model and the file must
agree after every step, and every row's recorded history must be a path through the table.
"""

from __future__ import annotations

import itertools
import tempfile
import time
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from flow_widgets.runtime.ledger import STATES, TERMINAL_STATES, TRANSITIONS, Ledger
from flow_widgets.runtime.ledger_transitions import allowed

CONNECTIONS = 3


def _begin(ledger: Ledger, fingerprint: str = "fp") -> str:
    return ledger.begin_submission(
        "video", "/videos", {"prompt": "fox"}, fingerprint, "veo-3.1-lite", 10, None
    )


class SharedLedger(RuleBasedStateMachine):
    rows = Bundle("rows")

    @initialize()
    def open_ledgers(self) -> None:
        self.folder = tempfile.TemporaryDirectory()
        path = Path(self.folder.name) / "ledger.sqlite3"
        self.ledgers = [Ledger(path, lease_s=600) for _ in range(CONNECTIONS)]
        self.state: dict[str, str] = {}
        self.owner: dict[str, int] = {}
        self.live = [False] * CONNECTIONS

    def teardown(self) -> None:
        for ledger in getattr(self, "ledgers", []):
            ledger.close()
        if hasattr(self, "folder"):
            self.folder.cleanup()

    @rule(target=rows, who=st.integers(0, CONNECTIONS - 1))
    def begin(self, who: int) -> str:
        sid = _begin(self.ledgers[who], fingerprint=f"fp-{len(self.state)}")
        self.state[sid], self.owner[sid], self.live[who] = "submitting", who, True
        return sid

    @rule(sid=rows, who=st.integers(0, CONNECTIONS - 1), state=st.sampled_from(sorted(STATES)))
    def mark(self, sid: str, who: int, state: str) -> None:
        owner = self.owner[sid]
        mine = owner == who or not self.live[owner]
        if mine:
            self.owner[sid], self.live[who] = who, True
            previous = self.state[sid]
            if previous not in TERMINAL_STATES and allowed(previous, state):
                self.state[sid] = state
        row = self.ledgers[who].mark_state(sid, state, error="e")
        assert row.state == self.state[sid]

    @rule(sid=rows, who=st.integers(0, CONNECTIONS - 1))
    def claim(self, sid: str, who: int) -> None:
        owner = self.owner[sid]
        mine = owner == who or not self.live[owner]
        if mine:
            self.owner[sid], self.live[who] = who, True
        assert self.ledgers[who].claim(sid) is mine
        assert self.ledgers[(who + 1) % CONNECTIONS].held_elsewhere(sid) is (
            (who + 1) % CONNECTIONS != self.owner[sid] and self.live[self.owner[sid]]
        )

    @rule(who=st.integers(0, CONNECTIONS - 1))
    def close(self, who: int) -> None:
        """A kernel shuts down (or its lease runs out): its rows may be taken over."""
        self.ledgers[who].close()
        self.live[who] = False

    @invariant()
    def file_agrees_with_the_model(self) -> None:
        if not hasattr(self, "ledgers"):
            return
        reader = self.ledgers[0]
        for sid, state in self.state.items():
            row = reader.get(sid)
            assert row is not None and row.state == state
            history = [s for s, _ in reader.history(sid)]
            assert history[0] == "submitting"
            for before, after in itertools.pairwise(history):
                assert after in TRANSITIONS[before], (before, after)
            if "completed" in history:
                assert history[-1] == "completed"


def test_shared_ledger_follows_ownership_and_the_transition_table() -> None:
    run_state_machine_as_test(
        SharedLedger, settings=settings(max_examples=40, stateful_step_count=30, deadline=None)
    )


def test_completed_never_goes_back_even_for_its_owner(tmp_path: Path) -> None:
    with Ledger(tmp_path / "ledger.sqlite3") as ledger:
        sid = _begin(ledger)
        ledger.mark_accepted(sid, "j1", None, None)
        assert ledger.mark_state(sid, "completed", credits=20).state == "completed"
        for state in sorted(STATES - {"completed"}):
            assert ledger.mark_state(sid, state, credits=0).state == "completed"
        assert ledger.get(sid).credits == 20  # type: ignore[union-attr]


def test_another_live_connection_can_watch_but_not_write_or_adopt(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    with Ledger(path) as first, Ledger(path) as second:
        sid = _begin(first)
        assert second.held_elsewhere(sid) and not first.held_elsewhere(sid)
        assert second.mark_state(sid, "lost", error="nope").state == "submitting"
        assert second.unfinished() == []
        assert [row.submission_id for row in second.unfinished(include_held=True)] == [sid]
        assert not second.claim(sid)
        first.close()  # the owner's lease is gone: the row may be taken over
        assert [row.submission_id for row in second.unfinished()] == [sid]
        assert second.claim(sid)
        assert second.mark_state(sid, "unknown").state == "unknown"
        assert first.mark_state(sid, "lost").state == "unknown"


def test_an_expired_lease_frees_the_rows_of_a_process_that_stopped_beating(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    with Ledger(path, lease_s=0.3) as first, Ledger(path) as second:
        sid = _begin(first)
        first._stop_beating.set()  # the heartbeat stops, as in a frozen or killed process
        assert not second.claim(sid)
        time.sleep(0.5)
        assert second.claim(sid)


def test_identical_requests_begun_through_two_connections_make_one_row(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    with Ledger(path) as first, Ledger(path) as second:
        sid, earlier = first.begin_or_reuse(
            "video", "/videos", {"prompt": "fox"}, "fp-same", None, 10, None
        )
        assert earlier is None
        again, found = second.begin_or_reuse(
            "video", "/videos", {"prompt": "fox"}, "fp-same", None, 10, None
        )
        assert again == sid and found is not None and found.submission_id == sid
        assert len(second.list(limit=None)) == 1


_OPENER = """
import sys, time
from flow_widgets.runtime.ledger import Ledger
folder, start, count = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
failures = 0
for n in range(count):
    while time.time() < start + n * 0.05:  # every process opens file n at the same moment
        pass
    try:
        Ledger(f"{folder}/ledger-{n}.sqlite3").close()
    except Exception as exc:
        failures += 1
        print(repr(exc), file=sys.stderr)
print(failures)
"""


def test_three_kernels_opening_a_brand_new_ledger_at_once_all_succeed(tmp_path: Path) -> None:
    import subprocess
    import sys

    start, count = time.time() + 3.0, 20
    children = [
        subprocess.Popen(
            [sys.executable, "-c", _OPENER, str(tmp_path), str(start), str(count)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    results = [child.communicate(timeout=120) for child in children]
    assert [out.strip() for out, _ in results] == ["0", "0", "0"], [err for _, err in results]
