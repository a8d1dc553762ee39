"""Reconciling an unknown outcome: adopt exactly the job we bought, never someone else's."""

from __future__ import annotations

from typing import Any

import pytest

from flow_widgets.api.models import Job, JobsStats
from flow_widgets.errors import APIConnectionError
from flow_widgets.runtime.reconcile import (
    ReconcileTarget,
    candidate_jobids,
    find_bought_job,
    listing_may_hide,
    matches_submission,
)

SENT = 1_767_225_600.0  # epoch seconds
SID = "8f1c2d3e-0000-4000-8000-000000000001"


def jobid(ms: float, kind: str = "v", n: int = 0) -> str:
    return f"j{int(ms) + n}{kind}-u12345-email:pro.demo@gmail.com-bot:google-flow"


def stats(executing: dict[str, float | None], history: dict[str, float] | None = None) -> JobsStats:
    body: dict[str, Any] = {
        "videos": {
            "executing": {
                j: {"email": "pro.demo@gmail.com", "timestamp": t} for j, t in executing.items()
            },
            "history": {
                j: {"email": "pro.demo@gmail.com", "timestamp": t, "httpStatus": 200}
                for j, t in (history or {}).items()
            },
        }
    }
    return JobsStats.from_api(body)


def job(jid: str, **request: Any) -> Job:
    return Job.from_api({"jobid": jid, "status": "started", "request": request})


TARGET = ReconcileTarget(SID, "video", SENT, prompt="a fox", model="veo-3.1-fast")


def test_candidates_are_recent_jobs_of_the_same_kind_closest_first() -> None:
    ms = SENT * 1000
    too_old = jobid(ms - 600_000)
    near = jobid(ms + 500)
    later = jobid(ms + 9000)
    image = jobid(ms + 100, kind="i")
    unstamped = jobid(ms + 20_000)  # no timestamp: the jobid's own creation time is used
    listing = stats(
        {near: ms + 500, too_old: ms - 600_000, unstamped: None},
        {later: ms + 9000, image: ms + 100},
    )
    assert candidate_jobids(listing, TARGET) == [near, later, unstamped]
    assert candidate_jobids(listing, TARGET, exclude={near}) == [later, unstamped]


def test_reply_ref_decides_when_echoed_else_prompt_and_model() -> None:
    ours = job(jobid(SENT * 1000), replyRef=SID, prompt="something else")
    theirs = job(jobid(SENT * 1000), replyRef="another-submission", prompt="a fox")
    no_echo = job(jobid(SENT * 1000), prompt="a fox", model="veo-3.1-fast")
    other_model = job(jobid(SENT * 1000), prompt="a fox", model="veo-3.1-quality")
    assert matches_submission(ours, TARGET)
    assert not matches_submission(theirs, TARGET)
    assert matches_submission(no_echo, TARGET)
    assert not matches_submission(other_model, TARGET)


@pytest.mark.anyio
async def test_search_skips_owned_jobs_survives_errors_and_finds_ours() -> None:
    ms = SENT * 1000
    owned_job, decoy, ours = jobid(ms, n=1), jobid(ms, n=2), jobid(ms, n=3)
    records = {
        decoy: job(decoy, replyRef="someone-else"),
        ours: job(ours, replyRef=SID),
    }
    listings: list[Any] = [
        APIConnectionError("reset"),
        stats({decoy: ms + 2}),
        stats({decoy: ms + 2, owned_job: ms + 1, ours: ms + 3}),
    ]
    reads: list[str] = []

    async def list_jobs() -> JobsStats:
        item = listings.pop(0)
        if isinstance(item, Exception):
            raise item
        return item  # type: ignore[no-any-return]

    async def get_job(jid: str) -> Job:
        reads.append(jid)
        return records[jid]

    found = await find_bought_job(
        TARGET,
        list_jobs=list_jobs,
        get_job=get_job,
        owned=lambda jid: jid == owned_job,
        attempts=5,
        interval_s=0.0,
    )
    assert found is not None and found.jobid == ours
    assert reads == [decoy, ours]  # the decoy is read once; the owned job never


@pytest.mark.anyio
async def test_search_gives_up_after_its_attempts() -> None:
    calls = 0

    async def list_jobs() -> JobsStats:
        nonlocal calls
        calls += 1
        return stats({})

    async def get_job(jid: str) -> Job:  # pragma: no cover - nothing to read
        raise AssertionError(jid)

    found = await find_bought_job(
        TARGET,
        list_jobs=list_jobs,
        get_job=get_job,
        owned=lambda _: False,
        attempts=3,
        interval_s=0.0,
    )
    assert found is None and calls == 3


def test_an_absent_job_proves_nothing_when_the_listing_could_not_show_it() -> None:
    ms = SENT * 1000
    now = SENT + 60
    full_and_newer = stats({}, {jobid(ms + 1000 * n, n=n): ms + 1000 * n for n in range(1, 11)})
    assert listing_may_hide(full_and_newer, TARGET, now=now)
    reaches_back = stats({}, {jobid(ms - 300_000 + n, n=n): ms - 300_000 + n for n in range(10)})
    assert not listing_may_hide(reaches_back, TARGET, now=now)  # full, but covers the send
    short = stats({}, {jobid(ms + 1000 * n, n=n): ms + 1000 * n for n in range(1, 10)})
    assert not listing_may_hide(short, TARGET, now=now)  # nine entries: everything recent shown
    assert listing_may_hide(short, TARGET, now=SENT + 20 * 60)  # older than the 15-minute window
