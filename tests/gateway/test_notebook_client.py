"""Two students' notebook sessions run a video each through the gateway, end to end.

The students use the ordinary client (``FlowSession`` with the gateway as ``base_url`` and their
own token): the POST is answered ``queued`` with the place in line, the handle's note shows it,
then the job completes upstream and the video is downloaded and verified. The gateway starts
with no account to place on (their rows are removed) so that the place in line is seen for
certain, then the accounts come back with one slot each. Counted at the simulator: two
generation POSTs, one per student.
"""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path

import psycopg
import pytest

from flow_widgets.gateway import store
from flow_widgets.runtime.session import FlowSession
from flow_widgets.ui.html import card_html
from flow_widgets.ui.view import card_view_from_job
from tests.gateway.harness import ACCOUNTS, gateway_thread, setup_class, simulator, upstream_posts

_DEADLINE_S = 2.0
_GROWN = re.compile(r"in line, waiting ([3-9]|\d\d) s$")


def _wait_for(predicate: object, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_two_students_sessions_follow_queued_gateway_jobs_to_verified_media(
    pg_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    tokens = setup_class(pg_url, 2, allowance=1000, budget=10_000)
    with simulator() as sim, gateway_thread(pg_url, sim, caps=1) as base:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute("DELETE FROM accounts")  # nothing is placed until they are back
        sessions = [
            FlowSession(
                token=token,
                base_url=base,
                data_dir=tmp_path / f"home{i}",
                media_dir=tmp_path / f"media{i}",
                announce=lambda _text: None,
                time_scale=0.01,
            )
            for i, token in enumerate(tokens)
        ]
        for flow in sessions:  # a line longer than a job's whole deadline must not time it out
            flow._parts.poller.deadline_s = _DEADLINE_S
        try:
            handles = [
                flow.video(f"a red fox, take of student {i}", model="veo-3.1-lite")
                for i, flow in enumerate(sessions)
            ]
            for handle, place in zip(handles, ("1st", "2nd"), strict=True):
                _wait_for(lambda h=handle: h.jobid is not None and h.state.note is not None)
                assert handle.jobid is not None and handle.jobid.startswith("gw-")
                assert handle.status not in ("completed", "failed"), handle
                note = handle.state.note
                assert note.startswith(f"queued at the gateway: {place} in line, waiting ")
                card = card_html(card_view_from_job(handle))
                assert f"queued at the gateway: {place} in line, waiting " in card
            time.sleep(_DEADLINE_S * 1.5)
            for handle in handles:
                assert handle.status == "accepted" and handle.state.note, handle.state
                # the wait grows while the line does not move (the gateway's clock)
                _wait_for(lambda h=handle: bool(_GROWN.search(h.state.note or "")), timeout=10)
                card = card_html(card_view_from_job(handle))
                assert handle.state.note in card
            with psycopg.connect(pg_url, autocommit=True) as conn:
                for account in ACCOUNTS:
                    store.set_account(conn, account, 1)
            for handle in handles:
                handle.wait(timeout=40)
                assert handle.ok, handle
                assert handle.state.note is None or "queued" not in handle.state.note
                (media,) = handle.media
                assert media.path is not None and media.path.stat().st_size == media.size
                assert media.sha256 and media.path.read_bytes()[4:8] == b"ftyp"
            assert handles[0].media[0].path != handles[1].media[0].path
            assert len(upstream_posts(sim)) == 2
            # Normal states never look like errors: a student may not read accounts/*.
            warned = [r for r in caplog.records if r.levelno >= logging.WARNING]
            assert not warned, [r.getMessage() for r in warned]
        finally:
            for flow in sessions:
                flow.close()


def test_a_gateway_record_reads_as_queued_with_its_place_in_line() -> None:
    from flow_widgets.api.models import Job
    from flow_widgets.runtime.job_runner import queue_note

    record = {"jobid": "gw-1", "type": "video", "status": "queued", "created": "x"}
    job = Job.from_api({**record, "gateway": {"queuePosition": 3}})
    assert (job.status, job.queue_position, job.is_terminal) == ("queued", 3, False)
    assert queue_note(job) == "queued at the gateway: 3rd in line"
    waited = {**record, "gateway": {"queuePosition": 3, "waitedSeconds": 5.6}}
    assert queue_note(Job.from_api(waited)) == "queued at the gateway: 3rd in line, waiting 5 s"
    waited = {**record, "gateway": {"queuePosition": 1, "waitedSeconds": 125.0}}
    assert queue_note(Job.from_api(waited)) == (
        "queued at the gateway: 1st in line, waiting 2 min 5 s"
    )
    waited = {**record, "gateway": {"queuePosition": 0, "waitedSeconds": 61}}
    assert queue_note(Job.from_api(waited)) == "queued at the gateway, waiting 1 min 1 s"
    places = [1, 2, 4, 11, 12, 13, 21, 22, 101, 111]
    notes = [queue_note(Job.from_api({**record, "gateway": {"queuePosition": n}})) for n in places]
    assert [n.rsplit(": ", 1)[1] if n else n for n in notes] == [
        f"{p} in line"
        for p in ("1st", "2nd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st", "111th")
    ]
    assert queue_note(Job.from_api({**record, "gateway": {"queuePosition": 0}})) == (
        "queued at the gateway"
    )
    placed = Job.from_api({**record, "status": "started", "gateway": {"queuePosition": None}})
    assert (placed.queue_position, queue_note(placed)) == (None, None)


def test_a_lost_answer_from_the_gateway_is_found_in_its_listing_not_bought_again(
    pg_url: str, tmp_path: Path
) -> None:
    """The gateway queued (and charged) the video but its answer never reached the kernel (a
    502 in its place, from a rewriting proxy): the session must find the job in the gateway's
    ``GET /jobs`` listing and follow it, never claim it "never ran" nor buy it twice."""
    from tests.reliability.proxy import Answer, RewritingProxy

    def lose_the_post(answer: Answer) -> None:
        if answer.method == "POST" and answer.path.split("?")[0].endswith("/videos"):
            answer.status = 502
            answer.set_json({"error": "Bad gateway"})

    (token,) = setup_class(pg_url, 1, allowance=1000, budget=10_000)
    with simulator() as sim, gateway_thread(pg_url, sim, caps=1) as base:
        proxy = RewritingProxy(base.split("/v1/")[0], lose_the_post)
        flow = FlowSession(
            token=token,
            base_url=proxy.url_for(base),
            data_dir=tmp_path / "home",
            media_dir=tmp_path / "media",
            announce=lambda _text: None,
            time_scale=0.01,
        )
        try:
            handle = flow.video("a heron at dawn", model="veo-3.1-lite")
            handle.wait(timeout=40)
            assert handle.ok, handle.state
            assert handle.jobid is not None and handle.jobid.startswith("gw-")
            (media,) = handle.media
            assert media.path is not None and media.path.stat().st_size == media.size
            assert proxy.seen.count("POST /v1/google-flow/videos") == 1
            assert len(upstream_posts(sim)) == 1
        finally:
            flow.close()
            proxy.close()


def test_a_restarted_kernel_takes_its_queued_gateway_job_back_without_buying_again(
    pg_url: str, tmp_path: Path
) -> None:
    """The kernel is closed while its video waits in the gateway's line (a restart); the next
    session on the same ledger re-attaches the ``gw-`` job, shows its place, and finishes it."""
    (token,) = setup_class(pg_url, 1, allowance=1000, budget=10_000)

    def student() -> FlowSession:
        return FlowSession(
            token=token,
            base_url=base,
            data_dir=tmp_path / "home",
            media_dir=tmp_path / "media",
            announce=lambda _text: None,
            time_scale=0.01,
        )

    with simulator() as sim, gateway_thread(pg_url, sim, caps=1) as base:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute("DELETE FROM accounts")
        first = student()
        try:
            handle = first.video("an owl in the rain", model="veo-3.1-lite")
            _wait_for(
                lambda: (handle.state.note or "").startswith(
                    "queued at the gateway: 1st in line, waiting "
                )
            )
            jobid = handle.jobid
        finally:
            first.close()
        again = student()
        try:
            (resumed,) = again.jobs()
            assert resumed.jobid == jobid and jobid is not None and jobid.startswith("gw-")
            _wait_for(
                lambda: (resumed.state.note or "").startswith(
                    "queued at the gateway: 1st in line, waiting "
                )
            )
            with psycopg.connect(pg_url, autocommit=True) as conn:
                for account in ACCOUNTS:
                    store.set_account(conn, account, 1)
            resumed.wait(timeout=40)
            assert resumed.ok and len(resumed.media) == 1, resumed.state
            assert len(upstream_posts(sim)) == 1
        finally:
            again.close()
