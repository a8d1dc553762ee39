"""In-process checks through ``httpx.ASGITransport`` where real sockets add nothing:
determinism by seed, ``Idempotency-Key``, plan-specific refusals and family-plan access."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from flow_widgets.simulator.app import create_app
from flow_widgets.simulator.clock import ManualClock
from flow_widgets.simulator.config import AccountSpec
from tests.simulator.sim_support import PRO, ULTRA, png_bytes

BASE = "http://sim.test/v1/google-flow"
HEADERS = {"Authorization": "Bearer user:12345-test"}


async def _client(**factory: Any) -> httpx.AsyncClient:
    app = create_app(clock=ManualClock(), test_controls=True, **factory)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=BASE, headers=HEADERS)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with await _client(seed=1) as c:
        yield c


async def _story(client: httpx.AsyncClient) -> list[Any]:
    """The same sequence of requests, recording every answer."""
    answers: list[Any] = []

    async def keep(response: httpx.Response) -> Any:
        answers.append((response.status_code, response.json()))
        return response.json()

    await keep(await client.get(f"/accounts/{ULTRA}"))
    upload = await keep(
        await client.post(
            f"/assets/{PRO}", content=png_bytes(), headers={"Content-Type": "image/png"}
        )
    )
    image = upload["mediaGenerationId"]["mediaGenerationId"]
    job = await keep(
        await client.post("/videos", json={"prompt": "fox", "count": 2, "async": True})
    )
    await keep(
        await client.post("/videos", json={"prompt": "frame", "startImage": image, "async": True})
    )
    await client.post("/_sim/clock", json={"advance": 600})
    done = await keep(await client.get(f"/jobs/{job['jobid']}"))
    source = done["response"]["media"][0]["mediaGenerationId"]
    await keep(
        await client.post(
            "/videos/extend", json={"mediaGenerationId": source, "prompt": "on", "async": True}
        )
    )
    await keep(
        await client.post("/videos/upscale", json={"mediaGenerationId": source, "async": True})
    )
    await keep(await client.get("/jobs", params={"options": "history"}))
    await keep(await client.get("/accounts/captcha-stats", params={"limit": 10}))
    return answers


@pytest.mark.anyio
async def test_same_seed_same_answers_and_another_seed_differs() -> None:
    async with (
        await _client(seed=5) as one,
        await _client(seed=5) as two,
        await _client(seed=6) as three,
    ):
        first, second, third = await _story(one), await _story(two), await _story(three)
    assert first == second
    assert [status for status, _ in first] == [200, 200, 201, 201, 200, 201, 201, 200, 200]
    assert first[2][1]["request"]["seed"] != third[2][1]["request"]["seed"]
    assert first[1][1]["media"]["name"] != third[1][1]["media"]["name"]


@pytest.mark.anyio
async def test_idempotency_key_returns_the_first_job_without_a_second_charge(
    client: httpx.AsyncClient,
) -> None:
    body = {"prompt": "once only", "async": True, "email": ULTRA}
    key = {"Idempotency-Key": "submission-1"}
    first = await client.post("/videos", json=body, headers=key)
    again = await client.post("/videos", json=body, headers=key)
    assert first.status_code == again.status_code == 201
    assert first.json()["jobid"] == again.json()["jobid"]
    ledger = (await client.get("/_sim/ledger")).json()
    assert len([j for j in ledger["jobs"] if j["idempotency_key"] == "submission-1"]) == 1
    assert ledger["creditsCharged"] == 10
    other = await client.post("/videos", json={**body, "prompt": "changed"}, headers=key)
    assert other.status_code == 400 and "Idempotency-Key" in other.json()["error"]
    fresh = await client.post("/videos", json=body, headers={"Idempotency-Key": "submission-2"})
    assert fresh.json()["jobid"] != first.json()["jobid"]


@pytest.mark.anyio
async def test_upscale_of_the_same_video_is_cached_and_free(client: httpx.AsyncClient) -> None:
    job = (
        await client.post("/videos", json={"prompt": "big", "async": True, "email": ULTRA})
    ).json()
    await client.post("/_sim/clock", json={"advance": 600})
    source = (await client.get(f"/jobs/{job['jobid']}")).json()["response"]["media"][0][
        "mediaGenerationId"
    ]
    before = (await client.get("/_sim/ledger")).json()["creditsCharged"]
    first = await client.post(
        "/videos/upscale", json={"mediaGenerationId": source, "resolution": "4k", "async": True}
    )
    again = await client.post(
        "/videos/upscale", json={"mediaGenerationId": source, "resolution": "4K", "async": True}
    )
    assert first.json()["jobid"] == again.json()["jobid"]
    assert (await client.get("/_sim/ledger")).json()["creditsCharged"] == before + 50
    await client.post("/_sim/clock", json={"advance": 600})
    record = (await client.get(f"/jobs/{first.json()['jobid']}")).json()
    assert (
        record["response"]["media"][0]["mediaGenerationId"]
        == source.replace("video:", "video:") + "-4k_upsampled"
    )
    hd = await client.post("/videos/upscale", json={"mediaGenerationId": source, "async": True})
    await client.post("/_sim/clock", json={"advance": 600})
    hd_record = (await client.get(f"/jobs/{hd.json()['jobid']}")).json()
    assert hd_record["response"]["media"][0]["mediaGenerationId"] == source + "_upsampled"
    assert hd_record["response"]["operations"][0]["status"] == "MEDIA_GENERATION_STATUS_SUCCESSFUL"


@pytest.mark.anyio
async def test_plan_rules_are_enforced_with_the_client_rules(client: httpx.AsyncClient) -> None:
    job = (await client.post("/videos", json={"prompt": "hd", "async": True, "email": PRO})).json()
    await client.post("/_sim/clock", json={"advance": 600})
    source = (await client.get(f"/jobs/{job['jobid']}")).json()["response"]["media"][0][
        "mediaGenerationId"
    ]
    four_k = await client.post(
        "/videos/upscale", json={"mediaGenerationId": source, "resolution": "4K", "async": True}
    )
    assert four_k.status_code == 400 and "Ultra" in four_k.json()["error"]
    low = await client.post(
        "/videos",
        json={"prompt": "x", "model": "veo-3.1-lite-low-priority", "email": PRO, "async": True},
    )
    assert low.status_code == 400 and "Ultra $200" in low.json()["error"]


@pytest.mark.anyio
async def test_family_members_are_refused_the_low_priority_model() -> None:
    member = AccountSpec("kid@family.org", "ultra_200", family_member=True)
    async with await _client(accounts=[member]) as c:
        refused = await c.post(
            "/videos", json={"prompt": "x", "model": "veo-3.1-lite-low-priority", "async": True}
        )
        listed = (await c.get("/accounts/kid@family.org")).json()["models"]["videoModels"]
    assert refused.status_code == 403
    assert refused.json()["error"]["details"][0]["reason"] == "PUBLIC_ERROR_MODEL_ACCESS_DENIED"
    assert "veo_3_1_t2v_lite_low_priority" in {m["key"] for m in listed}  # listed, yet refused


@pytest.mark.anyio
async def test_extend_refuses_omni_and_uploaded_sources(client: httpx.AsyncClient) -> None:
    omni = (
        await client.post("/videos", json={"prompt": "o", "model": "omni-flash", "async": True})
    ).json()
    await client.post("/_sim/clock", json={"advance": 600})
    source = (await client.get(f"/jobs/{omni['jobid']}")).json()["response"]["media"][0][
        "mediaGenerationId"
    ]
    refused = await client.post(
        "/videos/extend", json={"mediaGenerationId": source, "prompt": "more", "async": True}
    )
    assert refused.status_code == 400 and "omni-flash" in refused.json()["error"]
    ext = await client.post(
        "/videos/extend",
        json={"mediaGenerationId": source, "prompt": "more", "model": "omni-flash"},
    )
    assert ext.status_code == 400 and "model" in ext.json()["error"]


@pytest.mark.anyio
async def test_no_accounts_means_404_with_a_hint() -> None:
    async with await _client(accounts=[]) as c:
        response = await c.post("/videos", json={"prompt": "x", "async": True})
        assert (await c.get("/accounts")).json() == {}
    assert response.status_code == 404 and "POST /accounts" in response.json()["error"]


@pytest.mark.anyio
async def test_captcha_failures_give_403_or_503_and_are_counted() -> None:
    async with await _client(captcha_reject_rate=1.0) as c:
        rejected = await c.post("/videos", json={"prompt": "x", "async": True, "captchaRetry": 2})
        stats = (await c.get("/accounts/captcha-stats", params={"limit": 10})).json()
    assert rejected.status_code == 403 and rejected.json()["error"].startswith("captcha_quality:")
    assert [row["attemptNumber"] for row in reversed(stats["data"])] == [1, 2]
    assert stats["summary"]["success_rate_by_provider"]["CapSolver"] == 0.0
    async with await _client(captcha_outage_rate=1.0) as c:
        outage = await c.post("/videos", json={"prompt": "x", "async": True})
        assert (await c.get("/_sim/ledger")).json()["jobs"] == []
    assert outage.status_code == 503 and outage.json()["error"].startswith(
        "Captcha service failed:"
    )
    async with await _client(free_captcha_credits=0) as c:
        broke = await c.post("/videos", json={"prompt": "x", "async": True})
        order = await c.post(
            "/videos", json={"prompt": "x", "async": True, "captchaOrder": "AntiCaptcha"}
        )
        await c.post("/accounts/captcha-providers", json={"AntiCaptcha": "key-123456"})
        ok = await c.post(
            "/videos", json={"prompt": "x", "async": True, "captchaOrder": "AntiCaptcha"}
        )
        own = await c.post("/videos", json={"prompt": "x", "async": True, "captchaToken": "t" * 40})
    assert broke.status_code == 503 and "ERROR_ZERO_BALANCE" in broke.json()["error"]
    assert order.status_code == 400 and "AntiCaptcha" in order.json()["error"]
    assert ok.status_code == 201 and ok.json()["response"]["captcha"]["service"] == "AntiCaptcha"
    assert own.json()["response"]["captcha"]["service"] == "UserProvided"
