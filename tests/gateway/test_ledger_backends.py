"""One ledger interface, two backends: the same promises checked on SQLite and on PostgreSQL.

Every test runs twice, on the kernel's SQLite ledger and on the gateway's PostgreSQL one
(``PgIntentLedger``), through the :class:`IntentLedger` interface only. Two ledger objects on
one store stand for two processes (each has its own owner id and lease).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from flow_widgets.runtime.ledger_protocol import IntentLedger
from flow_widgets.runtime.ledger_transitions import TRANSITIONS

Opener = Callable[[], IntentLedger]


@pytest.fixture(params=["sqlite", "postgresql"])
def open_ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    """A function that opens one more ledger object on the same store."""
    opened: list[IntentLedger] = []
    if request.param == "sqlite":
        from flow_widgets.runtime.ledger import Ledger

        def make() -> IntentLedger:
            opened.append(Ledger(tmp_path / "ledger.sqlite3", secrets=["user:1-canarySECRET"]))
            return opened[-1]
    else:
        from flow_widgets.gateway.intent_ledger import PgIntentLedger

        url = request.getfixturevalue("pg_url")

        def make() -> IntentLedger:
            opened.append(PgIntentLedger(url, secrets=["user:1-canarySECRET"]))
            return opened[-1]

    yield make
    for ledger in opened:
        ledger.close()


def _intent(ledger: IntentLedger, account: str | None = "a@x.org") -> str:
    return ledger.begin_submission(
        "video", "/videos", {"prompt": "a fox"}, "fp-1", "veo-3.1-lite", 100, account
    )


def test_both_backends_satisfy_the_interface(open_ledger: Opener) -> None:
    assert isinstance(open_ledger(), IntentLedger)


def test_an_intent_is_committed_with_its_first_attempt(open_ledger: Opener) -> None:
    first, other = open_ledger(), open_ledger()
    sid = _intent(first)
    seen = other.get(sid)  # another connection sees it: committed before the POST
    assert seen is not None and seen.state == "submitting" and seen.owner == first.owner
    (attempt,) = other.attempts(sid)
    assert (attempt.n, attempt.outcome, attempt.account) == (1, None, "a@x.org")
    assert [state for state, _ in first.history(sid)] == ["submitting"]
    assert first.get("no-such-id") is None


def test_a_refused_attempt_waits_to_be_retried_under_the_same_intent(open_ledger: Opener) -> None:
    ledger = open_ledger()
    sid = _intent(ledger)
    assert not ledger.waiting_to_retry(sid)
    assert ledger.retry_intent(sid, None) is None  # the first is still on the wire
    ledger.refused_attempt(sid, "429 too many; key user:1-canarySECRET")
    assert ledger.waiting_to_retry(sid)
    assert ledger.retry_intent(sid, "b@x.org") == 2
    assert [a.n for a in ledger.attempts(sid)] == [1, 2]
    assert ledger.attempts(sid)[0].outcome == "refused"
    stored = ledger.get(sid)
    assert stored is not None and stored.account == "b@x.org"
    assert "canarySECRET" not in str(stored.error) and "canarySECRET" not in str(
        ledger.attempts(sid)[0].error
    )


def test_states_move_only_along_the_transition_table(open_ledger: Opener) -> None:
    ledger = open_ledger()
    sid = _intent(ledger)
    accepted = ledger.mark_accepted(sid, "job-1", None, {"jobid": "job-1", "status": "created"})
    assert accepted.state == "accepted" and accepted.jobid == "job-1"
    assert ledger.attempts(sid)[-1].outcome == "accepted"
    assert ledger.mark_state(sid, "completed", credits=100, charged=True).state == "completed"
    for later in sorted(TRANSITIONS):  # completed never goes anywhere
        assert ledger.mark_state(sid, later, error="x").state == "completed", later
    done = ledger.get(sid)
    assert done is not None and (done.credits, done.charged, done.error) == (100, True, None)
    assert [s for s, _ in ledger.history(sid)] == ["submitting", "accepted", "completed"]
    # doubt does not beat evidence, evidence beats doubt
    other = _intent(ledger)
    assert ledger.mark_state(other, "unknown").state == "unknown"
    assert ledger.mark_state(other, "running").state == "running"
    assert ledger.mark_state(other, "failed", error="moderated").state == "failed"
    assert ledger.mark_state(other, "running").state == "failed"
    with pytest.raises(ValueError, match="not a ledger state"):
        ledger.mark_state(other, "exploded")


def test_one_job_cannot_settle_two_intents(open_ledger: Opener) -> None:
    ledger = open_ledger()
    one, two = _intent(ledger), _intent(ledger)
    ledger.mark_accepted(one, "job-7", None, None)
    with pytest.raises(ValueError, match="already belongs"):
        ledger.mark_accepted(two, "job-7", None, None)
    second = ledger.get(two)
    assert second is not None and second.state == "submitting"


def test_a_row_held_by_a_live_owner_is_watched_not_written(open_ledger: Opener) -> None:
    first, second = open_ledger(), open_ledger()
    sid = _intent(first)
    assert second.held_elsewhere(sid) and not first.held_elsewhere(sid)
    assert not second.claim(sid)
    assert second.mark_state(sid, "lost").state == "submitting"  # not its row: nothing changes
    first.close()  # its lease is given up: the row may be taken at once
    assert not second.held_elsewhere(sid)
    assert second.claim(sid)
    assert second.mark_state(sid, "unknown").state == "unknown"
    taken = second.get(sid)
    assert taken is not None and taken.owner == second.owner


def test_two_processes_racing_for_an_orphaned_row_one_takes_it(open_ledger: Opener) -> None:
    import threading

    first = open_ledger()
    sid = _intent(first)
    first.close()
    racers = [open_ledger() for _ in range(4)]
    start = threading.Barrier(len(racers))
    won: list[bool] = []

    def race(ledger: IntentLedger) -> None:
        start.wait()
        won.append(ledger.claim(sid))

    threads = [threading.Thread(target=race, args=(r,)) for r in racers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(won) == [False, False, False, True]
    stored = racers[0].get(sid)
    assert stored is not None and stored.owner in {r.owner for r in racers}


def test_an_identical_request_reuses_its_purchase_even_when_two_run_at_once(
    open_ledger: Opener,
) -> None:
    import threading

    ledger = open_ledger()
    sid, earlier = ledger.begin_or_reuse(
        "video", "/videos", {"prompt": "a fox"}, "fp-same", None, 100, None
    )
    assert earlier is None
    again, found = ledger.begin_or_reuse(
        "video", "/videos", {"prompt": "a fox"}, "fp-same", None, 100, None
    )
    assert again == sid and found is not None and found.submission_id == sid
    found_again = ledger.find_reusable("fp-same")
    assert found_again is not None and found_again.submission_id == sid
    ledger.mark_state(sid, "rejected", error="400")  # bought nothing: may be sent again
    assert ledger.find_reusable("fp-same") is None
    # four processes run the same new cell at the same moment: one row between them
    racers = [open_ledger() for _ in range(4)]
    start = threading.Barrier(len(racers))
    made: list[str] = []

    def race(racer: IntentLedger) -> None:
        start.wait()
        made.append(
            racer.begin_or_reuse("video", "/videos", {"p": 1}, "fp-race", None, 100, None)[0]
        )

    threads = [threading.Thread(target=race, args=(r,)) for r in racers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(made) == 4 and len(set(made)) == 1
