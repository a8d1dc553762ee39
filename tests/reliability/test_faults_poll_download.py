"""Faults after acceptance: the network drops while polling, a job never ends, the job record
is gone or malformed, media URLs are unsafe.

Targets R-16 (network drop during polling), R-17 (poll deadline), R-26 (expired URLs and a job
that is gone), R-33 (malformed replies, a slow-loris status request, unsafe media URLs). Truncated,
resumed, range-confused, trickled and disk-full downloads (R-23 … R-25, R-27) are proved by the
download and session tests of the runtime (see docs/reliability.md).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from flow_widgets.simulator._probe import probe
from flow_widgets.simulator.server import RunningSimulator
from tests.reliability.harness import (
    JOB_ROUTE,
    VIDEO_ROUTE,
    CanaryHost,
    CheapMedia,
    SimControl,
    files_under,
    unsafe_markup,
    wait_all,
    wait_until,
)

MODEL = "veo-3.1-lite"


def test_a_network_drop_while_polling_fails_no_job(
    make_sim: Any, make_session: Any, figures: Any, cheap_media: CheapMedia
) -> None:
    sim = make_sim(max_concurrent_videos=10, time_scale=0.005)
    control = SimControl(sim)
    flow = make_session(sim)
    armed_at = control.state()["now"]
    control.arm({"route": JOB_ROUTE, "action": "reset", "forSeconds": 1.5})
    handles = [flow.video(f"through a network drop {n}", model=MODEL) for n in range(10)]
    wait_all(handles, 60)
    ledger = control.ledger()
    gets = ledger.on(JOB_ROUTE)
    resets = [g for g in gets if g["status"] == 0]
    window_end = armed_at + 1.5
    figures.record(
        "R-16 network drop while polling",
        "every status request reset for 1.5 s (≈ 5 API min), 10 jobs",
        posts=len(ledger.posts(VIDEO_ROUTE)),
        accepted=len(ledger.jobs),
        lost=sum(1 for h in handles if h.status != "completed"),
        failed_polls=len(resets),
        polls=len(gets),
    )
    control.close()
    assert [h.status for h in handles] == ["completed"] * 10
    assert resets, "the drop must have hit some status requests"
    assert len(ledger.posts(VIDEO_ROUTE)) == 10 and len(ledger.jobs) == 10
    # after the window, every job was polled to its end: a reset counted as a failure, not an end
    assert all(any(g["time"] >= window_end for g in gs) for gs in ledger.job_gets().values())


def test_a_job_that_never_ends_stops_at_the_deadline_and_stays_reconcilable(
    sim: RunningSimulator, control: SimControl, make_session: Any, figures: Any
) -> None:
    flow = make_session(sim)
    control.arm({"route": VIDEO_ROUTE, "action": "never_finish", "times": 1})
    handle = flow.video("a job stuck in started", model=MODEL)
    started = time.monotonic()
    handle.wait(60, raise_on_failure=False)
    waited = time.monotonic() - started
    gets_at_end = len(control.ledger().on(JOB_ROUTE))
    time.sleep(0.5)
    gets_later = len(control.ledger().on(JOB_ROUTE))
    row = flow.ledger.get(handle.submission_id)
    figures.record(
        "R-17 poll deadline",
        "job never leaves started (deadline 20 API min, min 5 s wall)",
        posts=1,
        accepted=1,
        polls=gets_at_end,
        polls_after_deadline=gets_later - gets_at_end,
        waited_s=round(waited, 1),
    )
    assert handle.status == "timed_out"
    assert "resume" in (handle.error or "")
    assert row is not None and row.state == "timed_out"
    assert handle.submission_id in {s.submission_id for s in flow.ledger.unfinished()}
    assert gets_later == gets_at_end  # nothing polls it after the deadline


def test_a_job_the_api_no_longer_knows_is_lost_without_looping(
    sim: RunningSimulator, control: SimControl, make_session: Any, figures: Any
) -> None:
    flow = make_session(sim)
    control.arm({"route": VIDEO_ROUTE, "action": "never_finish", "times": 1})
    control.arm({"route": JOB_ROUTE, "action": "status", "status": 404, "message": "not found"})
    handle = flow.video("a job that disappears", model=MODEL)
    handle.wait(30, raise_on_failure=False)
    time.sleep(0.3)
    polls = len(control.ledger().on(JOB_ROUTE))
    figures.record(
        "R-26 job record gone (404)",
        "every status request answers 404",
        posts=1,
        lost=1 if handle.status == "lost" else 0,
        polls=polls,
    )
    assert handle.status == "lost"
    assert polls <= 3  # one status request (plus the read retries of a single call), no loop


def test_media_refused_even_after_a_refresh_ends_expired_with_one_job_read(
    sim: RunningSimulator, control: SimControl, make_session: Any, figures: Any
) -> None:
    flow = make_session(sim)
    handle = flow.video("a link that stays dead", model=MODEL, count=2)
    wait_until(lambda: handle.jobid is not None, 30, what="acceptance")
    control.arm({"route": "media", "action": "status", "status": 410})
    handle.wait(30, raise_on_failure=False)
    ledger = control.ledger()
    media = ledger.media_requests()
    first_media = min(r["seq"] for r in media)
    refresh_reads = [g for g in ledger.on(JOB_ROUTE) if g["seq"] > first_media]
    figures.record(
        "R-26 expired URL, refresh refused too",
        "media origin answers 410 to everything; 2 files",
        posts=1,
        media_gets=len(media),
        refresh_reads=len(refresh_reads),
    )
    assert handle.status == "download_failed"
    assert "no longer valid" in (handle.error or "")
    assert len(media) == 4  # each of the 2 files: the first try and one try with a fresh URL
    assert len(refresh_reads) <= 2  # at most one job re-read per file
    assert not any(r["has_authorization"] for r in media)


def test_malformed_and_slow_status_replies_do_not_end_the_job(
    sim: RunningSimulator, control: SimControl, make_session: Any, figures: Any
) -> None:
    flow = make_session(sim)
    flow.runner.client.deadline = 1.0  # so a slow-loris status request is cut off at 1 s
    handle = flow.video("status replies in bad shape", model=MODEL)
    wait_until(lambda: handle.jobid is not None, 30, what="acceptance")
    control.arm(
        {"route": JOB_ROUTE, "action": "malformed", "times": 2},
        {"route": JOB_ROUTE, "action": "trickle", "chunk": 1, "seconds": 0.5, "times": 1},
        {
            "route": JOB_ROUTE,
            "action": "malformed",
            "body": '{"jobid": 42, "status": ["not", "a", "status"]}',
            "contentType": "application/json",
            "times": 1,
        },
    )
    handle.wait(60)
    fired = sum(f["fired"] for f in control.faults())
    figures.record(
        "R-33 malformed/slow status replies",
        "2 HTML bodies, 1 slow-loris (1 B/0.5 s), 1 wrong-typed JSON",
        posts=1,
        accepted=1,
        lost=0 if handle.status == "completed" else 1,
        faults_fired=fired,
    )
    assert handle.status == "completed"
    assert fired == 4


def test_unsafe_media_urls_are_never_fetched_or_linked(
    sim: RunningSimulator,
    control: SimControl,
    make_session: Any,
    canary_host: CanaryHost,
    figures: Any,
    tmp_path: Path,
) -> None:
    flow = make_session(sim)
    done = flow.video("a normal clip, for its record's shape", model=MODEL).wait(30)
    record = control.job(done.jobid)
    control.arm({"route": VIDEO_ROUTE, "action": "never_finish", "times": 1})
    handle = flow.video("a clip whose links are hostile", model=MODEL)
    wait_until(lambda: handle.jobid is not None, 30, what="acceptance")
    media = record["response"]["media"] if "response" in record else record["media"]
    template = media[0]
    unsafe = ["file:///etc/hostname", "javascript:alert(document.cookie)", f"{canary_host.url}/x"]
    forged = dict(record, jobid=handle.jobid)
    forged_media = []
    for url in unsafe:
        item = json.loads(json.dumps(template).replace(_first_url(template), url))
        forged_media.append(item)
    if "response" in forged:
        forged["response"] = dict(forged["response"], media=forged_media)
    else:
        forged["media"] = forged_media
    before = files_under(tmp_path / "media")
    control.arm(
        {
            "route": JOB_ROUTE,
            "action": "malformed",
            "body": json.dumps(forged),
            "contentType": "application/json",
        }
    )
    handle.wait(30, raise_on_failure=False)
    from flow_widgets.ui.cards import card_bundle
    from flow_widgets.ui.view import card_view_from_job

    data, _ = card_bundle([card_view_from_job(handle)])
    findings = unsafe_markup(data["text/html"])
    new_files = set(files_under(tmp_path / "media")) - set(before)
    # A fetched file: URL would be the local file itself; a saved file may also be the real clip,
    # fetched again by its media id through the API's assets call (which any name can occur in).
    local = Path("/etc/hostname").read_bytes() if Path("/etc/hostname").exists() else b""
    copied = [
        name
        for name in new_files
        if local.strip() and (tmp_path / "media" / name).read_bytes().startswith(local.strip())
    ]
    not_media = [
        name
        for name in new_files
        if probe((tmp_path / "media" / name).read_bytes()).kind != "video"
    ]
    figures.record(
        "R-33 unsafe media URLs",
        "completed record with file:, javascript: and a foreign host",
        posts=2,
        canary_hits=len(canary_host.hits),
        credentials_to_foreign_host=sum(
            h["authorization"] or h["cookie"] for h in canary_host.hits
        ),
        unescaped=len(findings),
        local_files_copied=len(copied),
        status=handle.status,
    )
    assert handle.status in ("download_failed", "completed")
    assert not copied and not not_media
    assert findings == []
    assert not any(h["authorization"] or h["cookie"] for h in canary_host.hits)


def _first_url(media: dict[str, Any]) -> str:
    """The first URL inside a media item of a job record (its video or image link)."""
    text = json.dumps(media)
    start = text.index("http")
    end = text.index('"', start)
    return text[start:end]
