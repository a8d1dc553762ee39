"""Accounts, captcha providers, captcha stats and authentication over real HTTP (spec §3.1-§3.7)."""

from __future__ import annotations

import httpx
import pytest

from flow_widgets.simulator.server import RunningSimulator, start_background
from tests.simulator.sim_support import PRO, ULTRA, control


def test_every_route_needs_a_bearer_token(sim: RunningSimulator) -> None:
    for headers in ({}, {"Authorization": "Bearer"}, {"Authorization": "Basic abc"}):
        for method, path in [("GET", "/accounts"), ("POST", "/videos"), ("GET", "/jobs")]:
            response = httpx.request(method, sim.base_url + path, headers=headers, json={})
            assert response.status_code == 401
            assert response.json() == {"error": "Unauthorized"}


def test_a_configured_token_is_the_only_one_accepted() -> None:
    with start_background(token="user:777-classroom") as sim:
        assert "classroom" not in repr(sim)
        ok = httpx.get(
            sim.base_url + "/accounts", headers={"Authorization": "Bearer user:777-classroom"}
        )
        wrong = httpx.get(
            sim.base_url + "/accounts", headers={"Authorization": "Bearer user:777-other"}
        )
    assert ok.status_code == 200 and wrong.status_code == 401


def test_the_api_answers_with_and_without_the_v1_prefix(sim: RunningSimulator) -> None:
    root = sim.base_url.removesuffix("/v1/google-flow")
    assert httpx.get(root + "/accounts", headers=sim.headers).status_code == 200
    missing = httpx.get(sim.base_url + "/nope", headers=sim.headers)
    assert missing.status_code == 404 and "No such endpoint" in missing.json()["error"]
    wrong_method = httpx.put(sim.base_url + "/accounts", headers=sim.headers)
    assert wrong_method.status_code == 405


def test_account_list_is_keyed_by_email_with_health(api: httpx.Client) -> None:
    body = api.get("/accounts").json()
    assert list(body)[:2] == [ULTRA, PRO]
    entry = body[ULTRA]
    assert entry["health"] == "OK"
    assert set(entry) >= {"created", "health", "nextRefresh", "project", "sessionData"}
    assert entry["created"].endswith("Z") and entry["project"]["projectId"]


def test_one_account_has_credits_tier_and_the_priced_model_list(api: httpx.Client) -> None:
    for path in (f"/accounts/{ULTRA}", "/accounts/ultra.demo%40gmail.com"):
        body = api.get(path).json()
        assert body["credits"] == {"credits": 25000, "userPaygateTier": "PAYGATE_TIER_TWO"}
        models = {m["key"]: m for m in body["models"]["videoModels"]}
        assert models["veo_3_1_t2v_fast_ultra"]["creditCost"] == 10
        assert models["veo_3_1_t2v"]["videoGenerationTimeSeconds"] == 240
        assert models["veo_3_1_t2v_lite_low_priority"]["creditCost"] == 0
        assert body["sessionData"]["user"]["email"] == ULTRA
    pro = api.get(f"/accounts/{PRO}").json()
    assert pro["credits"]["userPaygateTier"] == "PAYGATE_TIER_ONE"
    assert {m["key"]: m["creditCost"] for m in pro["models"]["videoModels"]}[
        "veo_3_1_t2v_fast"
    ] == 20


def test_unknown_account_is_404_with_the_documented_text(api: httpx.Client) -> None:
    response = api.get("/accounts/nobody@example.com")
    assert response.status_code == 404
    assert response.json() == {"error": "Google Flow account nobody@example.com not found"}
    assert api.delete("/accounts/nobody@example.com").status_code == 404


def test_post_accounts_creates_then_updates_and_delete_removes(api: httpx.Client) -> None:
    cookies = (
        "SID\tx\t.google.com\t/\nemail\tnew.kid@school.org\t.google.com\t/\nSIM_TIER\tplus\t\t\n"
    )
    created = api.post("/accounts", json={"cookies": cookies})
    assert created.status_code == 201
    body = created.json()
    assert set(body) >= {
        "accountCookies",
        "sessionCookies",
        "sessionData",
        "created",
        "project",
        "nextRefresh",
    }
    assert body["sessionData"]["user"]["email"] == "new.kid@school.org"
    assert api.get("/accounts/new.kid@school.org").json()["credits"]["credits"] == 200
    again = api.post("/accounts", data={"cookies": cookies})  # multipart-style form works too
    assert again.status_code == 200
    dry = api.post(
        "/accounts", json={"cookies": cookies.replace("new.kid", "dry.run"), "dryRun": True}
    )
    assert dry.status_code == 200 and "dry.run@school.org" not in api.get("/accounts").json()
    deleted = api.delete("/accounts/new.kid%40school.org")
    assert deleted.json() == {"message": "Google Flow account new.kid@school.org deleted"}
    assert api.get("/accounts/new.kid@school.org").status_code == 404


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({}, "cookies"),
        ({"cookies": "no tabs at all"}, "tab-separated"),
        ({"cookies": "SID\tabc\t.google.com"}, "email"),
        ({"cookies": "email\ta@b.co\t\n", "extra": 1}, "extra"),
    ],
)
def test_post_accounts_refuses_unusable_cookies(
    api: httpx.Client, body: dict[str, object], words: str
) -> None:
    response = api.post("/accounts", json=body)
    assert response.status_code == 400
    assert words in response.json()["error"]


def test_captcha_providers_are_masked_and_empty_string_removes(api: httpx.Client) -> None:
    assert api.get("/accounts/captcha-providers").json() == {"freeCaptchaCredits": 300}
    set_keys = api.post(
        "/accounts/captcha-providers", json={"CapSolver": "CAP-1234567890", "2Captcha": "TWO-99999"}
    )
    assert set_keys.status_code == 200
    shown = api.get("/accounts/captcha-providers").json()
    assert shown == {"CapSolver": "CAP-1…", "2Captcha": "TWO-9…"}
    assert "1234567890" not in str(shown)
    api.post("/accounts/captcha-providers", json={"CapSolver": "", "2Captcha": ""})
    assert api.get("/accounts/captcha-providers").json() == {"freeCaptchaCredits": 300}
    bad = api.post("/accounts/captcha-providers", json={"MagicSolver": "x"})
    assert bad.status_code == 400 and "MagicSolver" in bad.json()["error"]


def test_captcha_stats_reflect_what_happened(api: httpx.Client) -> None:
    before = api.get("/accounts/captcha-providers").json()["freeCaptchaCredits"]
    job = api.post("/videos", json={"prompt": "stats please", "async": True, "email": PRO})
    assert job.status_code == 201
    after = api.get("/accounts/captcha-providers").json()["freeCaptchaCredits"]
    assert after == before - 1
    stats = api.get("/accounts/captcha-stats", params={"limit": 5}).json()
    row = stats["data"][0]
    assert row["jobId"] == job.json()["jobid"]
    assert (row["provider"], row["route"], row["statusCode"], row["tier"]) == (
        "CapSolver",
        "post-videos",
        200,
        "PAYGATE_TIER_ONE",
    )
    assert stats["summary"]["success_rate_by_provider"]["CapSolver"] == 100.0
    today = api.get("/accounts/captcha-stats").json()
    assert today["total"] >= 1 and len(today["date"]) == 10
    assert api.get("/accounts/captcha-stats", params={"anonymized": "true"}).json()["data"] == []
    assert api.get("/accounts/captcha-stats", params={"limit": 0}).status_code == 400
    assert api.get("/accounts/captcha-stats", params={"provider": "Nobody"}).status_code == 400


def test_control_state_shows_accounts(api: httpx.Client) -> None:
    state = control(api, "GET", "state")
    assert state["accounts"][ULTRA]["tier"] == "ultra_200"
    assert state["iso"].endswith("Z")


def test_c7_the_demo_takes_three_accounts_by_default() -> None:
    from flow_widgets.simulator.config import SimulatorConfig

    assert SimulatorConfig().max_accounts == 3  # the $15 plan covers 3 (configurable)
