"""Refusals that retrying cannot fix stop at once; the rest have a bounded budget per intent.

Before each refusal had a class, a captcha provider out of balance (``503 Captcha service
failed: ERROR_ZERO_BALANCE``) was retried like any 503: one clip sent dozens of POSTs and made a
ledger row per try, forever, and the cause was never shown. Now it stops the queue with one
sentence naming the cause and the fix, and no intent sends more than
:data:`~flow_widgets.runtime.dispatcher.MAX_POSTS_PER_INTENT` POSTs whatever the API answers.
"""

from __future__ import annotations

from typing import Any

from flow_widgets.runtime.dispatcher import MAX_POSTS_PER_INTENT
from tests.reliability.harness import VIDEO_ROUTE, SimControl, wait_all

MODEL = "veo-3.1-lite"


def test_a_captcha_provider_out_of_balance_stops_the_queue_at_once(
    make_sim: Any, make_session: Any, figures: Any
) -> None:
    sim = make_sim(free_captcha_credits=0)  # the simulator answers ERROR_ZERO_BALANCE itself
    control = SimControl(sim)
    flow = make_session(sim)
    handles = [flow.video(f"no captcha balance {n}", model=MODEL) for n in range(6)]
    wait_all(handles, 30)
    posts = control.ledger().posts(VIDEO_ROUTE)
    control.close()
    figures.record(
        "captcha balance at zero",
        "503 Captcha service failed: ERROR_ZERO_BALANCE on every POST, 6 clips queued",
        posts=len(posts),
        accepted=0,
        stuck=sum(1 for h in handles if not h.done),
        rows=len(flow.ledger.list(limit=None)),
    )
    assert [h.status for h in handles] == ["rejected"] * 6
    assert all("ERROR_ZERO_BALANCE" in (h.error or "") for h in handles), [h.error for h in handles]
    assert all("top it up" in (h.error or "") for h in handles)
    # At most the requests already in flight when the first answer came: none is retried.
    assert len(posts) <= len(handles)


def test_a_service_that_stays_busy_gets_a_bounded_number_of_posts_per_intent(
    sim: Any, control: SimControl, make_session: Any, figures: Any
) -> None:
    control.arm({"route": VIDEO_ROUTE, "action": "status", "status": 503, "message": "Overloaded."})
    flow = make_session(sim)
    one = flow.video("always busy", model=MODEL)
    one.wait(60, raise_on_failure=False)
    alone = len(control.ledger().posts(VIDEO_ROUTE))
    several = [flow.video(f"always busy {n}", model=MODEL) for n in range(4)]
    wait_all(several, 60)
    total = len(control.ledger().posts(VIDEO_ROUTE))
    figures.record(
        "503 forever",
        "every POST answers 503: 1 intent, then 4 at once",
        posts=total,
        posts_one_intent=alone,
        bound=MAX_POSTS_PER_INTENT,
        stuck=sum(1 for h in [one, *several] if not h.done),
    )
    assert one.status == "rejected" and f"{MAX_POSTS_PER_INTENT} times" in (one.error or "")
    assert alone == MAX_POSTS_PER_INTENT
    assert all(h.status == "rejected" for h in several)
    assert total - alone <= 4 * MAX_POSTS_PER_INTENT


def test_a_403_while_watching_a_bought_job_does_not_talk_about_the_plan(
    sim: Any, control: SimControl, make_session: Any, figures: Any
) -> None:
    control.arm(
        {"route": "GET /jobs/{jobid}", "action": "status", "status": 403, "message": "Forbidden"}
    )
    flow = make_session(sim)
    job = flow.video("a fox nobody may watch", model=MODEL)
    job.wait(30, raise_on_failure=False)
    row = flow.ledger.get(job.submission_id)
    figures.record(
        "403 while polling",
        "GET /jobs/{id} answers 403 after the job was bought",
        posts=len(control.ledger().posts(VIDEO_ROUTE)),
        status=job.status,
    )
    assert job.status == "timed_out", (job.status, job.error)
    assert "plan" not in (job.error or "") and "Forbidden" in (job.error or "")
    assert "flow.resume()" in (job.error or "")
    assert row is not None and row.unfinished  # re-attachable once access is fixed


def test_retries_after_refusals_are_attempts_beneath_one_intent_row(
    sim: Any, control: SimControl, make_session: Any, figures: Any
) -> None:
    control.arm(
        {"route": VIDEO_ROUTE, "action": "status", "status": 503, "message": "Busy.", "times": 3}
    )
    flow = make_session(sim)
    job = flow.video("a fox tried four times", model=MODEL)
    job.wait(60)
    rows = flow.ledger.list(limit=None)
    attempts = flow.ledger.attempts(job.submission_id)
    posts = control.ledger().posts(VIDEO_ROUTE)
    figures.record(
        "retries are attempts",
        "503 on the first 3 POSTs of one clip",
        posts=len(posts),
        accepted=1,
        rows=len(rows),
        attempts=len(attempts),
    )
    assert len(posts) == 4 and [p["status"] for p in posts] == [503, 503, 503, 201]
    assert len(rows) == 1 and rows[0].state == "completed"
    assert [a.outcome for a in attempts] == ["refused", "refused", "refused", "accepted"]
    assert len({p["idempotency_key"] for p in posts}) == 1  # one intent, one replyRef


def test_an_intent_that_gives_up_is_one_rejected_row(
    sim: Any, control: SimControl, make_session: Any
) -> None:
    control.arm({"route": VIDEO_ROUTE, "action": "status", "status": 503, "message": "Busy."})
    flow = make_session(sim)
    job = flow.video("a fox never let in", model=MODEL)
    job.wait(60, raise_on_failure=False)
    rows = flow.ledger.list(limit=None)
    assert job.status == "rejected"
    assert [row.state for row in rows] == ["rejected"]
    assert len(flow.ledger.attempts(rows[0].submission_id)) == MAX_POSTS_PER_INTENT


def test_an_intent_left_waiting_to_retry_is_closed_on_resume_without_a_search(
    sim: Any, control: SimControl, make_session: Any
) -> None:
    """A kernel that stopped between two tries of one intent left nothing on the server: resume
    closes the row ``rejected`` at once instead of searching GET /jobs for a job that never was."""
    from flow_widgets.runtime.ledger import Ledger

    flow = make_session(sim, auto_resume=False)
    with Ledger(flow.ledger.path, backend=flow.ledger.backend) as other_kernel:
        sid = other_kernel.begin_submission(
            "video", "/videos", {"prompt": "a fox"}, "fp-waiting", MODEL, 10, None
        )
        other_kernel.refused_attempt(sid, "Busy.")
    before = len(control.ledger().requests)
    (handle,) = flow.resume()
    handle.wait(30, raise_on_failure=False)
    asked = [r["route"] for r in control.ledger().requests[before:]]
    assert handle.status == "rejected" and "nothing was bought" in (handle.error or "")
    assert flow.ledger.get(sid).state == "rejected"  # type: ignore[union-attr]
    assert "GET /jobs" not in asked, asked
