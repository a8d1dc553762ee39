"""Every fault switch over real HTTP, checked from both sides: what the client saw, and what the
simulator's ledger says really happened (accepted jobs, charges, statuses)."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from flow_widgets.simulator.server import RunningSimulator
from tests.simulator.sim_support import (
    PRO,
    ULTRA,
    control,
    credits_of,
    finish_jobs,
    png_bytes,
    upload,
)


@pytest.fixture(autouse=True)
def _no_leftover_faults(api: httpx.Client) -> Any:
    yield
    control(api, "DELETE", "faults")


def arm(api: httpx.Client, **fault: Any) -> dict[str, Any]:
    added: dict[str, Any] = control(api, "POST", "faults", json=fault)["faults"][0]
    return added


def jobs_for(api: httpx.Client, route: str = "POST /videos") -> list[dict[str, Any]]:
    return [j for j in control(api, "GET", "ledger")["jobs"] if j["route"] == route]


def test_status_fault_answers_without_doing_the_work(api: httpx.Client) -> None:
    arm(
        api,
        route="POST /videos",
        action="status",
        status=429,
        reason="PUBLIC_ERROR_USER_REQUESTS_THROTTLED",
        retryAfter="garbage",
    )
    before = len(jobs_for(api))
    response = api.post("/videos", json={"prompt": "x", "async": True})
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "garbage"
    assert (
        response.json()["error"]["details"][0]["reason"] == "PUBLIC_ERROR_USER_REQUESTS_THROTTLED"
    )
    assert len(jobs_for(api)) == before


def test_status_fault_on_chosen_request_numbers_only(api: httpx.Client) -> None:
    count = len(
        [r for r in control(api, "GET", "ledger")["requests"] if r["route"] == "GET /accounts"]
    )
    arm(api, route="GET /accounts", action="status", status=503, on=[count + 2], retryAfter="7")
    statuses = [api.get("/accounts").status_code for _ in range(3)]
    assert statuses == [200, 503, 200]
    listed = control(api, "GET", "faults")["faults"][0]
    assert listed["fired"] == 1


def test_times_caps_a_fault_and_quota_429_defaults_to_a_retry_after(api: httpx.Client) -> None:
    arm(api, route="GET /jobs", action="status", status=429, times=2)
    first, second, third = (api.get("/jobs") for _ in range(3))
    assert [first.status_code, second.status_code, third.status_code] == [429, 429, 200]
    assert first.headers["Retry-After"] == "5" and first.json()["retryAfter"].endswith("Z")


def test_delay_holds_the_request(api: httpx.Client) -> None:
    arm(api, route="GET /accounts/captcha-providers", action="delay", seconds=0.3)
    started = time.monotonic()
    assert api.get("/accounts/captcha-providers").status_code == 200
    assert time.monotonic() - started >= 0.3


def test_reset_closes_the_connection_before_any_work(api: httpx.Client) -> None:
    arm(api, route="POST /videos", action="reset", times=1)
    before = len(jobs_for(api))
    with pytest.raises(httpx.RemoteProtocolError):
        api.post("/videos", json={"prompt": "lost", "async": True})
    assert len(jobs_for(api)) == before
    last = [r for r in control(api, "GET", "ledger")["requests"] if r["route"] == "POST /videos"][
        -1
    ]
    assert last["status"] == 0 and last["body_bytes"] > 0


def test_drop_accepts_and_charges_once_then_closes_without_answering(api: httpx.Client) -> None:
    arm(api, route="POST /videos", action="drop", times=1)
    before = credits_of(api, ULTRA)
    with pytest.raises(httpx.RemoteProtocolError):
        api.post("/videos", json={"prompt": "unknown outcome", "async": True, "email": ULTRA})
    accepted = jobs_for(api)[-1]
    assert accepted["email"] == ULTRA and accepted["credits"] == 10
    assert credits_of(api, ULTRA) == before - 10
    executing = api.get("/jobs", params={"options": "executing"}).json()["videos"]["executing"]
    assert accepted["jobid"] in executing  # reconcilable through GET /jobs


def test_half_headers_accepts_the_job_then_breaks_off_mid_header(api: httpx.Client) -> None:
    arm(api, route="POST /videos", action="half_headers", times=1)
    before = len(jobs_for(api))
    with pytest.raises(httpx.RemoteProtocolError):
        api.post("/videos", json={"prompt": "half an answer", "async": True})
    assert len(jobs_for(api)) == before + 1


def test_canary_endpoint_counts_hits(api: httpx.Client) -> None:
    before = control(api, "GET", "ledger")["canaryHits"]
    assert api.get("/_sim/canary/anything/at/all").text == "canary"
    assert control(api, "GET", "ledger")["canaryHits"] == before + 1


def test_delay_reply_outlasts_the_client_read_timeout_but_the_job_exists(
    sim: RunningSimulator, api: httpx.Client
) -> None:
    arm(api, route="POST /videos", action="delay_reply", seconds=0.5, times=1)
    impatient = httpx.Client(
        base_url=sim.base_url, headers=sim.headers, timeout=httpx.Timeout(5, read=0.1)
    )
    with pytest.raises(httpx.ReadTimeout):
        impatient.post("/videos", json={"prompt": "slow answer", "async": True})
    impatient.close()
    assert jobs_for(api)[-1]["jobid"]


def test_truncate_announces_the_full_length_and_sends_part(
    api: httpx.Client, media_http: httpx.Client
) -> None:
    arm(api, route="GET /accounts", action="truncate", fraction=0.5, times=1)
    with pytest.raises(httpx.RemoteProtocolError):
        api.get("/accounts")
    data = png_bytes(400, 300)
    url = api.get(f"/assets/{upload(api, PRO, data)}").json()["url"]
    arm(api, route="GET /image/{name}", action="truncate", fraction=0.4, times=1)
    with media_http.stream("GET", url) as response:
        assert response.headers["content-length"] == str(len(data))
        received = bytearray()
        with pytest.raises(httpx.RemoteProtocolError):
            for chunk in response.iter_bytes():
                received += chunk
    assert 0 < len(received) < len(data) and data.startswith(bytes(received))
    assert media_http.get(url).content == data  # the next attempt is whole


def test_trickle_sends_everything_slowly(api: httpx.Client, media_http: httpx.Client) -> None:
    data = png_bytes(40, 30)
    url = api.get(f"/assets/{upload(api, PRO, data)}").json()["url"]
    arm(api, route="media", action="trickle", chunk=max(1, len(data) // 5), seconds=0.05, times=1)
    started = time.monotonic()
    assert media_http.get(url).content == data
    assert time.monotonic() - started >= 0.2


def test_malformed_body_keeps_the_status_and_the_job(api: httpx.Client) -> None:
    arm(api, route="POST /videos", action="malformed", times=1)
    response = api.post("/videos", json={"prompt": "garbled", "async": True})
    assert response.status_code == 201
    assert response.headers["content-type"].startswith("text/html")
    assert "502" in response.text
    assert jobs_for(api)[-1]["jobid"]


@pytest.mark.parametrize("charged", [False, True])
def test_fail_job_refunds_only_when_not_charged(
    sim: RunningSimulator, api: httpx.Client, charged: bool
) -> None:
    arm(
        api,
        route="POST /videos",
        action="fail_job",
        charged=charged,
        error="API error: 500",
        code=500,
        times=1,
    )
    before = credits_of(api, PRO)
    jobid = api.post("/videos", json={"prompt": "doomed", "async": True, "email": PRO}).json()[
        "jobid"
    ]
    assert credits_of(api, PRO) == before - 20
    finish_jobs(api)
    record = api.get(f"/jobs/{jobid}").json()
    assert record["status"] == "failed"
    assert (record["error"], record["code"]) == ("API error: 500", 500)
    assert record["errorDetails"] and record["response"]["error"]["status"] == "INTERNAL"
    assert credits_of(api, PRO) == (before - 20 if charged else before)
    refunds = [
        c
        for c in control(api, "GET", "ledger")["charges"]
        if c["jobid"] == jobid and c["amount"] < 0
    ]
    assert len(refunds) == (0 if charged else 1)


def test_failed_synchronous_job_answers_with_its_error(api: httpx.Client) -> None:
    arm(
        api,
        route="POST /images",
        action="fail_job",
        code=400,
        reason="PUBLIC_ERROR_UNSAFE_GENERATION",
        error="blocked",
        times=1,
    )
    response = api.post("/images", json={"prompt": "forbidden", "count": 1})
    assert response.status_code == 400
    assert response.json()["error"] == "blocked" and response.json()["jobId"]


def test_range_fault_modes(api: httpx.Client, media_http: httpx.Client) -> None:
    data = png_bytes(300, 200)
    url = api.get(f"/assets/{upload(api, PRO, data)}").json()["url"]
    arm(api, route="GET /image/{name}", action="range_ignore", times=1)
    ignored = media_http.get(url, headers={"Range": "bytes=100-"})
    assert ignored.status_code == 200 and ignored.content == data
    arm(api, route="GET /image/{name}", action="range_wrong_offset", times=1)
    wrong = media_http.get(url, headers={"Range": "bytes=100-199"})
    assert wrong.status_code == 206 and wrong.headers["content-range"].startswith("bytes 100-199/")
    assert wrong.content == data[:100]  # from the wrong offset


def test_media_status_fault(api: httpx.Client, media_http: httpx.Client) -> None:
    url = api.get(f"/assets/{upload(api, PRO)}").json()["url"]
    arm(api, route="media", action="status", status=503, retryAfter="1", times=1)
    assert media_http.get(url).status_code == 503
    assert media_http.get(url).status_code == 200


def test_faults_from_the_factory_and_control_validation(api: httpx.Client) -> None:
    bad = api.post("/_sim/faults", json={"route": "*", "action": "explode"})
    assert bad.status_code == 400 and "action" in bad.json()["error"]
    first = arm(api, route="GET /jobs", action="delay", seconds=0)
    assert api.delete(f"/_sim/faults/{first['id']}").json() == {"faults": []}
    assert api.delete("/_sim/faults/999").status_code == 404
    several = api.post(
        "/_sim/faults", json={"faults": [{"route": "*", "action": "delay", "seconds": 0}] * 2}
    )
    assert len(several.json()["faults"]) == 2
