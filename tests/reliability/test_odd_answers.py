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
_ASSET = re.compile(r"/assets/[^/?]+$")


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


def _swap_media_urls(value: Any, origin: str, replacement: str) -> Any:
    if isinstance(value, dict):
        return {k: _swap_media_urls(v, origin, replacement) for k, v in value.items()}
    if isinstance(value, list):
        return [_swap_media_urls(v, origin, replacement) for v in value]
    if isinstance(value, str) and value.startswith(origin):
        return replacement + "/error-page"
    return value


@pytest.mark.parametrize("junk_answers", [1, 99], ids=["junk-then-refreshed", "junk-always"])
def test_a_media_host_answering_an_error_page_is_never_saved_as_the_clip(
    make_sim: Any,
    cheap_media: Any,
    make_session: Any,
    proxies: list[Any],
    figures: Any,
    junk_answers: int,
    tmp_path: Path,
) -> None:
    from tests.reliability.harness import CanaryHost

    sim = make_sim(max_concurrent_videos=10, free_captcha_credits=10_000)
    control = SimControl(sim)
    host = CanaryHost(body=b"<html><body>Service error</body></html>", content_type="video/mp4")
    left = [junk_answers]

    def rewrite(answer: Answer) -> None:
        if answer.method == "GET" and _JOB.search(answer.path.split("?")[0]) and left[0] > 0:
            body = answer.json()
            if body.get("status") == "completed":
                left[0] -= 1
                answer.set_json(_swap_media_urls(body, sim.media_base_url, host.url))
        elif answer.method == "GET" and _ASSET.search(answer.path.split("?")[0]) and left[0] > 0:
            left[0] -= 1  # the fresh link of GET /assets/{id} leads to the error page too
            answer.set_json(_swap_media_urls(answer.json(), sim.media_base_url, host.url))

    try:
        flow = _proxied_session(sim, make_session, proxies, rewrite)
        job = flow.video(f"a fox behind a captive portal {junk_answers}", model="veo-3.1-lite")
        job.wait(60, raise_on_failure=False)
        row = flow.ledger.get(job.submission_id)
        saved = sorted(p.name for p in (tmp_path / "media").glob("*") if p.is_file())
    finally:
        host.close()
    posts = len(control.ledger().posts(VIDEO_ROUTE))
    control.close()
    figures.record(
        f"error page as media ({'refreshed' if junk_answers == 1 else 'always'})",
        "the media URL answers 200 with an HTML page"
        + (" once, then the refreshed link works" if junk_answers == 1 else ", every time"),
        posts=posts,
        canary_hits=len(host.hits),
        status=job.status,
    )
    assert posts == 1
    assert host.hits, "the junk answer was really fetched"
    if junk_answers == 1:
        assert job.status == "completed", (job.status, job.error)
        assert all(Path(m.path).read_bytes()[4:8] == b"ftyp" for m in job.media if m.path)
    else:
        assert job.status == "download_failed", (job.status, job.error)
        assert "HTML" in (job.error or "")
        assert row is not None and row.state == "running"  # paid, re-attachable
        assert not any(name.endswith(".mp4") for name in saved), saved


def test_a_job_answer_of_an_unknown_shape_keeps_the_job_watched(
    make_sim: Any, cheap_media: Any, make_session: Any, proxies: list[Any], figures: Any
) -> None:
    sim = make_sim(max_concurrent_videos=10, free_captcha_credits=10_000)
    control = SimControl(sim)
    shapes: list[Any] = [{"unexpected": "shape"}, [], "a bare string", {"jobid": None}]

    def rewrite(answer: Answer) -> None:
        if answer.method == "GET" and _JOB.search(answer.path.split("?")[0]) and shapes:
            answer.set_json(shapes.pop(0))

    flow = _proxied_session(sim, make_session, proxies, rewrite)
    job = flow.video("a fox in an odd envelope", model="veo-3.1-lite")
    job.wait(60, raise_on_failure=False)
    after = control.ledger()
    control.close()
    figures.record(
        "unknown job shapes",
        "GET /jobs/{id} answers an object without jobid, a list, a string, a null jobid",
        posts=len(after.posts(VIDEO_ROUTE)),
        lost=int(job.status != "completed"),
        status_requests=len(after.on("GET /jobs/{jobid}")),
    )
    assert shapes == []
    assert job.status == "completed", (job.status, job.error)
    assert len(after.posts(VIDEO_ROUTE)) == 1
