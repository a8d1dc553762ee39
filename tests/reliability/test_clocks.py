"""Time from the server: a client clock that is off must not turn a purchase into "never ran".

The machine's clock cannot be moved for one test, so the runtime's view of it is shifted (a
stand-in for the ``time`` module in the two modules that read it for reconciliation); the
server, its stamps and the lost reply are real.
"""

from __future__ import annotations

import time
import types
from typing import Any

import pytest

from tests.reliability.harness import VIDEO_ROUTE, SimControl

MODEL = "veo-3.1-lite"


def _clock_ahead(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    shifted = types.SimpleNamespace(**{k: getattr(time, k) for k in dir(time) if k[0] != "_"})
    shifted.time = lambda: time.time() + seconds
    for module in ("flow_widgets.runtime.job_runner", "flow_widgets.runtime.reconcile"):
        monkeypatch.setattr(f"{module}.time", shifted)


def test_a_lost_reply_with_the_client_clock_180_s_ahead_is_found_not_rebought(
    sim: Any, control: SimControl, make_session: Any, monkeypatch: pytest.MonkeyPatch, figures: Any
) -> None:
    _clock_ahead(monkeypatch, 180.0)
    control.arm({"route": VIDEO_ROUTE, "action": "drop", "times": 1})
    flow = make_session(sim)
    job = flow.video("a fox in a drifting clock", model=MODEL)
    job.wait(60, raise_on_failure=False)
    again = flow.video("a fox in a drifting clock", model=MODEL)
    again.wait(60, raise_on_failure=False)
    after = control.ledger()
    figures.record(
        "client clock 180 s ahead",
        "POST reply dropped (job created), client clock +180 s, then the cell is re-run",
        posts=len(after.posts(VIDEO_ROUTE)),
        accepted=len(after.jobs),
        duplicates=len(after.jobs) - 1,
        lost=int(job.status != "completed"),
        status_requests=len(after.on("GET /jobs")) + len(after.on("GET /jobs/{jobid}")),
    )
    assert job.status == "completed", (job.status, job.error)
    assert len(after.jobs) == 1 and len(after.posts(VIDEO_ROUTE)) == 1


def test_the_client_learns_the_servers_clock_from_its_date_header(sim: Any) -> None:
    """Reconciliation compares the server's stamps with the send time on the server's clock;
    the offset comes from each answer's ``Date`` (here a proxy says the server is 180 s behind)."""
    from datetime import datetime, timedelta, timezone
    from email.utils import format_datetime

    import httpx

    from flow_widgets.api.client import FlowClient
    from tests.reliability.proxy import Answer, RewritingProxy

    def behind(answer: Answer) -> None:
        moment = datetime.now(timezone.utc) - timedelta(seconds=180)
        answer.headers["date"] = format_datetime(moment, usegmt=True)

    proxy = RewritingProxy(str(httpx.URL(sim.base_url).copy_with(raw_path=b"/")), behind)
    try:
        with FlowClient(token=sim.token, base_url=proxy.url_for(sim.base_url)) as client:
            assert client.server_offset is None
            client.accounts.list()
            offset = client.server_offset
            assert offset is not None and -182.0 < offset < -178.0
            assert abs(client.server_time() - (time.time() - 180.0)) < 2.0
    finally:
        proxy.close()


@pytest.mark.parametrize("skew_s", [180.0, -180.0], ids=["ahead", "behind"])
def test_a_lost_reply_of_a_finished_job_without_reply_ref_is_found_in_the_window_on_the_servers_clock(  # noqa: E501
    make_sim: Any, make_session: Any, monkeypatch: pytest.MonkeyPatch, figures: Any, skew_s: float
) -> None:
    """The POST's reply is lost after the server accepted it, the job finishes (it is in the
    history listing, no longer executing) before the client looks, and the API does not echo
    ``replyRef`` (a proxy strips it), so only the prompt+model match inside the time window can
    find it -- and that window is right only on the server's clock (learnt from ``Date``): on
    the client's own clock, 180 s off, the job looks made before the send (or never)."""
    import re

    import httpx

    from tests.reliability.proxy import Answer, RewritingProxy

    sim = make_sim(free_captcha_credits=10_000)
    control = SimControl(sim)
    shifted = types.SimpleNamespace(**{k: getattr(time, k) for k in dir(time) if k[0] != "_"})
    shifted.time = lambda: time.time() + skew_s
    for module in (
        "flow_widgets.runtime.job_runner",
        "flow_widgets.runtime.reconcile",
        "flow_widgets.api._base",
    ):
        monkeypatch.setattr(f"{module}.time", shifted)
    buried: list[str] = []

    def rewrite(answer: Answer) -> None:
        path = answer.path.split("?")[0]
        if answer.method == "POST" and path.endswith("/videos") and not buried:
            jobid = answer.json()["jobid"]
            buried.append(jobid)
            # wait until the job is finished (out of the executing list), then lose the reply
            deadline = time.monotonic() + 20
            while control.job(jobid).get("status") != "completed":
                assert time.monotonic() < deadline, "the simulator never finished the job"
                time.sleep(0.02)
            answer.drop = True
        elif answer.method == "GET" and re.search(r"/jobs/[^/]+$", path):
            body = answer.json()
            if isinstance(body, dict) and isinstance(body.get("request"), dict):
                body["request"].pop("replyRef", None)
                answer.set_json(body)

    proxy = RewritingProxy(str(httpx.URL(sim.base_url).copy_with(raw_path=b"/")), rewrite)
    try:
        flow = make_session(
            None,
            token=sim.token,
            base_url=proxy.url_for(sim.base_url),
            time_scale=sim.app_state.config.time_scale,
            auto_resume=False,
        )
        job = flow.video("a heron in a skewed clock", model=MODEL)
        job.wait(60, raise_on_failure=False)
        again = flow.video("a heron in a skewed clock", model=MODEL)
        again.wait(60, raise_on_failure=False)
        offset = flow.client.server_offset if hasattr(flow, "client") else None
    finally:
        proxy.close()
    after = control.ledger()
    executing = [r for r in proxy.seen if r.startswith("GET ") and r.endswith("/jobs")]
    figures.record(
        f"client clock {skew_s:+.0f} s, finished job, no replyRef",
        "POST reply dropped after the job finished (history only), replyRef stripped (proxy), "
        f"client clock {skew_s:+.0f} s, then the cell is re-run",
        posts=len(after.posts(VIDEO_ROUTE)),
        accepted=len(after.jobs),
        duplicates=len(after.jobs) - 1,
        lost=int(job.status != "completed"),
        status_requests=len(after.on("GET /jobs")) + len(after.on("GET /jobs/{jobid}")),
    )
    assert buried, "the POST never reached the proxy"
    assert executing, "the runtime never listed the jobs"
    assert offset is None or abs(offset + skew_s) < 3.0, offset
    assert job.status == "completed", (job.status, job.error)
    assert job.jobid == buried[0]
    assert again.status == "completed" and again.jobid == buried[0]
    assert len(after.posts(VIDEO_ROUTE)) == 1 and len(after.jobs) == 1
