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
    for module in ("flow_widgets.runtime.pipeline", "flow_widgets.runtime.reconcile"):
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
