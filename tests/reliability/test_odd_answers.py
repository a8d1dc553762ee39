"""Answers the simulator cannot give, through a rewriting proxy: unknown is not terminal.

A job status the client does not know (``processing``, ``cancelled``, ``STARTED``, none at all)
used to be read as ``completed``; with no media in the answer the job was recorded ``failed``
("moderated"), the real job finished unseen, and a re-run bought it again. Now such an answer
keeps the job watched, with a note naming what the API said, until a known terminal answer or
the deadline -- and a deadline leaves the row re-attachable, never re-buyable.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.reliability.harness import VIDEO_ROUTE, SimControl
from tests.reliability.proxy import Answer, RewritingProxy

_JOB = re.compile(r"/jobs/[^/?]+$")


@pytest.fixture
def proxies() -> Iterator[list[RewritingProxy]]:
    opened: list[RewritingProxy] = []
    yield opened
    for proxy in opened:
        proxy.close()


def _proxied_session(
    sim: Any, make_session: Any, proxies: list[RewritingProxy], rewrite: Callable[[Answer], None]
) -> Any:
    origin = str(httpx.URL(sim.base_url).copy_with(raw_path=b"/"))
    proxy = RewritingProxy(origin, rewrite)
    proxies.append(proxy)
    return make_session(
        None,
        token=sim.token,
        base_url=proxy.url_for(sim.base_url),
        time_scale=sim.app_state.config.time_scale,
        auto_resume=False,
    )


def test_statuses_the_client_does_not_know_keep_the_job_watched(
    make_sim: Any, cheap_media: Any, make_session: Any, proxies: list[Any], figures: Any
) -> None:
    sim = make_sim(max_concurrent_videos=10, free_captcha_credits=10_000)
    control = SimControl(sim)
    odd: list[Any] = ["processing", "cancelled", "STARTED", None, 7]

    def rewrite(answer: Answer) -> None:
        if answer.method == "GET" and _JOB.search(answer.path.split("?")[0]) and odd:
            body = answer.json()
            said = odd.pop(0)
            if said is None:
                body.pop("status", None)
            else:
                body["status"] = said
            body.pop("response", None)
            body.pop("media", None)
            answer.set_json(body)

    flow = _proxied_session(sim, make_session, proxies, rewrite)
    notes: list[str] = []
    job = flow.video("a fox the proxy confuses", model="veo-3.1-lite")
    job.on_change(lambda h: notes.append(h.state.note or ""))
    job.wait(60, raise_on_failure=False)
    after = control.ledger()
    control.close()
    row = flow.ledger.get(job.submission_id)
    figures.record(
        "unknown job statuses",
        "GET /jobs/{id} answers processing, cancelled, STARTED, no status, 7 (proxy)",
        posts=len(after.posts(VIDEO_ROUTE)),
        accepted=len(after.jobs),
        duplicates=len(after.posts(VIDEO_ROUTE)) - 1,
        lost=int(job.status != "completed"),
        status_requests=len(after.on("GET /jobs/{jobid}")),
    )
    assert job.status == "completed", (job.status, job.error)
    assert row is not None and row.state == "completed"
    assert odd == [], "every odd answer was really given"
    assert any("'processing'" in note for note in notes), notes
    assert any("no status" in note for note in notes), notes
    assert len(after.posts(VIDEO_ROUTE)) == 1
    assert job.media and all(Path(m.path).exists() for m in job.media if m.path)


def test_an_unknown_status_until_the_deadline_leaves_the_job_re_attachable(
    make_sim: Any, cheap_media: Any, make_session: Any, proxies: list[Any], figures: Any
) -> None:
    sim = make_sim(max_concurrent_videos=10, free_captcha_credits=10_000)
    control = SimControl(sim)
    confusing = [True]

    def rewrite(answer: Answer) -> None:
        if confusing[0] and answer.method == "GET" and _JOB.search(answer.path.split("?")[0]):
            body = answer.json()
            body["status"] = "processing"
            body.pop("response", None)
            body.pop("media", None)
            answer.set_json(body)

    flow = _proxied_session(sim, make_session, proxies, rewrite)
    job = flow.video("a fox forever processing", model="veo-3.1-lite")
    job.wait(60, raise_on_failure=False)
    first_status = job.status
    row = flow.ledger.get(job.submission_id)
    confusing[0] = False
    again = flow.video("a fox forever processing", model="veo-3.1-lite")
    again.wait(60, raise_on_failure=False)
    after = control.ledger()
    control.close()
    figures.record(
        "unknown status until the deadline",
        "GET /jobs/{id} says 'processing' past the deadline, then the cell is re-run",
        posts=len(after.posts(VIDEO_ROUTE)),
        duplicates=len(after.posts(VIDEO_ROUTE)) - 1,
        lost=int(again.status != "completed"),
        stuck=int(again.status != "completed"),
    )
    assert first_status == "timed_out"
    assert row is not None and row.state == "timed_out"
    assert again.status == "completed", (again.status, again.error)
    assert len(after.posts(VIDEO_ROUTE)) == 1, "a re-run after the deadline must not buy again"
