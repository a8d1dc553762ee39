"""Limits over real HTTP: concurrency 429 + Retry-After, quotas and quarantine, load balancing,
broken sessions, and the synchronous 408 budget (spec §4.4, §5.2-§5.3)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from flow_widgets.simulator.clock import iso_time, next_utc_midnight
from flow_widgets.simulator.server import RunningSimulator, start_background
from tests.simulator.sim_support import PRO, ULTRA, control

THROTTLED = "PUBLIC_ERROR_USER_REQUESTS_THROTTLED"
DAILY = "PUBLIC_ERROR_PER_MODEL_DAILY_QUOTA_REACHED"


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    # Real-API timings (time_scale 1): jobs last 100 s unless the clock is advanced.
    with start_background(
        seed=11, time_scale=1.0, max_concurrent_videos=2, test_controls=True
    ) as running:
        yield running


def _reason(response: httpx.Response) -> str:
    details: list[dict[str, str]] = response.json()["error"]["details"]
    return details[0]["reason"]


def _submit(api: httpx.Client, **fields: object) -> httpx.Response:
    return api.post("/videos", json={"prompt": "queue", "async": True, **fields})


def test_concurrency_cap_throttles_then_load_balancing_moves_on(
    sim: RunningSimulator, api: httpx.Client
) -> None:
    assert [_submit(api, email=ULTRA).status_code for _ in range(2)] == [201, 201]
    third = _submit(api, email=ULTRA)
    assert third.status_code == 429
    assert _reason(third) == THROTTLED
    retry_after = int(third.headers["Retry-After"])
    assert 60 <= retry_after <= 121  # until the earliest running job ends (100 s ± jitter)
    assert third.json()["retryAfter"].endswith("Z")
    # The throttled account left the rotation: requests without email go to the Pro account.
    routed = _submit(api)
    assert routed.status_code == 201 and routed.json()["request"]["email"] == PRO
    assert _submit(api).json()["request"]["email"] == PRO
    full = _submit(api)  # Pro is at its cap too: Google throttles it, quarantining it as well
    assert full.status_code == 429 and _reason(full) == THROTTLED
    nobody = _submit(api)
    assert nobody.status_code == 429
    body = nobody.json()
    assert body["error"] == "no_eligible_account"
    assert {s["email"] for s in body["skipReasons"]} == {ULTRA, PRO}
    assert int(nobody.headers["Retry-After"]) > 0
    stats = api.get("/jobs").json()
    assert stats["videos"]["summary"][ULTRA]["rateLimited"] == 1
    peaks = control(api, "GET", "state")["accounts"]
    assert peaks[ULTRA]["peakExecuting"]["videos"] == peaks[PRO]["peakExecuting"]["videos"] == 2
    assert {q["email"] for q in stats["quarantine"]} == {ULTRA, PRO}
    # After the cooldown (30 min) every job has finished and both accounts are back.
    control(api, "POST", "clock", json={"advance": 1801})
    assert _submit(api).status_code == 201
    assert api.get("/jobs").json()["quarantine"] == []


def test_daily_quota_refuses_until_utc_midnight_and_only_for_that_model(
    sim: RunningSimulator, api: httpx.Client
) -> None:
    control(api, "POST", "clock", json={"advance": 3600})
    control(
        api, "POST", f"accounts/{ULTRA}", json={"block": {"reason": DAILY, "model": "veo-3.1-fast"}}
    )
    refused = _submit(api, email=ULTRA)
    assert refused.status_code == 429 and _reason(refused) == DAILY
    now = control(api, "GET", "clock")["now"]
    midnight = next_utc_midnight(now)
    assert abs(int(refused.headers["Retry-After"]) - (midnight - now)) <= 2
    assert refused.json()["retryAfter"][:13] == iso_time(midnight)[:13]
    assert _submit(api, email=ULTRA, model="veo-3.1-lite").status_code == 201
    assert _submit(api).json()["request"]["email"] == PRO  # the balancer skips Ultra for fast
    control(api, "POST", "clock", json={"advance": midnight - now + 1})
    assert _submit(api, email=ULTRA).status_code == 201


def test_account_quota_block_uses_the_scaled_cooldown(api: httpx.Client) -> None:
    control(api, "POST", "clock", json={"advance": 3600})
    control(
        api,
        "POST",
        f"accounts/{PRO}",
        json={"block": {"reason": "PUBLIC_ERROR_USER_QUOTA_REACHED"}},
    )
    refused = _submit(api, email=PRO, model="omni-flash")
    assert refused.status_code == 429 and _reason(refused) == "PUBLIC_ERROR_USER_QUOTA_REACHED"
    assert 1790 <= int(refused.headers["Retry-After"]) <= 1800
    control(api, "POST", "clock", json={"advance": 1801})
    assert _submit(api, email=PRO, model="omni-flash").status_code == 201


def test_daily_limits_from_the_account_settings() -> None:
    from flow_widgets.simulator.config import AccountSpec

    spec = AccountSpec("solo@x.org", "ultra_200", daily_limits={"veo-3.1-lite": 1})
    with start_background(accounts=[spec], time_scale=0.001) as small:
        client = httpx.Client(base_url=small.base_url, headers=small.headers)
        first = _submit(client, model="veo-3.1-lite")
        second = _submit(client, model="veo-3.1-lite")
        other = _submit(client, model="veo-3.1-fast")
        client.close()
    assert first.status_code == 201 and other.status_code == 201
    assert second.status_code == 429 and _reason(second) == DAILY


def test_broken_session_answers_596(api: httpx.Client) -> None:
    control(api, "POST", f"accounts/{PRO}", json={"health": "Session refresh failed"})
    try:
        broken = _submit(api, email=PRO, model="veo-3.1-lite")
        assert broken.status_code == 596 and "re-add" in broken.json()["error"]
        assert api.get("/accounts").json()[PRO]["error"] == "Session refresh failed"
        assert "credits" not in api.get(f"/accounts/{PRO}").json()
        assert api.get("/jobs").json()["emails"] == [ULTRA]
    finally:
        control(api, "POST", f"accounts/{PRO}", json={"health": "OK"})


def test_synchronous_call_gives_up_with_408_and_the_job_lives_on() -> None:
    with start_background(
        time_scale=0.001, faults=[{"route": "POST /videos", "action": "never_finish"}]
    ) as quick:
        client = httpx.Client(base_url=quick.base_url, headers=quick.headers, timeout=10)
        timed_out = client.post("/videos", json={"prompt": "forever"})
        assert timed_out.status_code == 408
        jobid = timed_out.json()["jobId"]
        assert client.get(f"/jobs/{jobid}").json()["status"] == "started"
        client.close()
