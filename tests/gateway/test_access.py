"""Who may reach what through the gateway, and what a student can never see.

Real PostgreSQL, the real simulator on loopback, the gateway served by uvicorn in a thread.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import psycopg

from flow_widgets.gateway import store
from tests.gateway.harness import (
    ACCOUNTS,
    TEACHER_TOKEN,
    bearer,
    gateway_thread,
    setup_class,
    sim_json,
    simulator,
    upstream_posts,
    wait_done,
)

CAPTCHA_KEY = "CAP-canaryCAPTCHAkey0d1e2f3a4b5c6d7e"


def test_a_queued_job_is_answered_at_once_then_becomes_the_upstream_job(pg_url: str) -> None:
    (alice,) = setup_class(pg_url, 1, allowance=1000, budget=1000)
    with simulator() as sim, gateway_thread(pg_url, sim) as base:

        async def scenario() -> None:
            async with httpx.AsyncClient(timeout=30) as c:
                answer = await c.post(
                    f"{base}/videos", json={"prompt": "a cat"}, headers=bearer(alice)
                )
                assert answer.status_code == 201, answer.text
                job = answer.json()
                assert job["status"] == "queued"
                assert job["jobid"].startswith("gw-")
                assert isinstance(job["gateway"]["queuePosition"], int)
                done = await wait_done(c, base, alice, job["jobid"])
                assert done["status"] == "completed", done
                assert done["jobid"] == job["jobid"]
                assert done["request"] == {"prompt": "a cat"}
                assert done["response"]  # the upstream job's media
                listed = (await c.get(f"{base}/jobs", headers=bearer(alice))).json()["jobs"]
                assert [j["jobid"] for j in listed] == [job["jobid"]]

        asyncio.run(scenario())
        posts = upstream_posts(sim)
        assert len(posts) == 1 and posts[0]["idempotency_key"]


def test_a_student_reaches_neither_accounts_nor_another_students_jobs(pg_url: str) -> None:
    alice, bob = setup_class(pg_url, 2, allowance=1000, budget=2000)
    with simulator() as sim, gateway_thread(pg_url, sim) as base:

        async def scenario() -> None:
            async with httpx.AsyncClient(timeout=30) as c:
                job = (
                    await c.post(f"{base}/videos", json={"prompt": "a cat"}, headers=bearer(alice))
                ).json()
                done = await wait_done(c, base, alice, job["jobid"])
                # Bob: not Alice's job, not her listing, not her media.
                answer = await c.get(f"{base}/jobs/{job['jobid']}", headers=bearer(bob))
                assert answer.status_code == 404
                assert (await c.get(f"{base}/jobs", headers=bearer(bob))).json() == {"jobs": []}
                for option in ("executing", "history"):
                    mine = await c.get(f"{base}/jobs?options={option}", headers=bearer(alice))
                    theirs = await c.get(f"{base}/jobs?options={option}", headers=bearer(bob))
                    assert theirs.json()["videos"] == {option: {}}
                    assert (job["jobid"] in mine.json()["videos"][option]) is (option == "history")
                media = next(store.media_ids(done))
                answer = await c.get(f"{base}/assets/{media}", headers=bearer(bob))
                assert answer.status_code == 404
                answer = await c.post(
                    f"{base}/videos/upscale", json={"mediaGenerationId": media}, headers=bearer(bob)
                )
                assert answer.status_code == 404, answer.text
                for method, path in [
                    ("GET", "/accounts"),
                    ("GET", f"/accounts/{ACCOUNTS[0]}"),
                    ("POST", "/accounts"),
                    ("DELETE", f"/accounts/{ACCOUNTS[0]}"),
                    ("GET", "/accounts/captcha-providers"),
                    ("POST", "/accounts/captcha-providers"),
                    ("GET", "/accounts/captcha-stats"),
                ]:
                    answer = await c.request(method, base + path, headers=bearer(bob))
                    assert answer.status_code == 403, (method, path, answer.text)
                # No token, a made-up one: nothing at all.
                assert (await c.get(f"{base}/jobs")).status_code == 401
                assert (
                    await c.get(f"{base}/jobs", headers=bearer("fwst-guess"))
                ).status_code == 401

        asyncio.run(scenario())
        requests = sim_json(sim, "/_sim/ledger")["requests"]
        assert not [r for r in requests if "/accounts" in r["path"]], (
            "an accounts call went upstream"
        )


def test_a_revoked_token_is_refused(pg_url: str) -> None:
    (alice,) = setup_class(pg_url, 1, allowance=1000, budget=1000)
    with simulator() as sim, gateway_thread(pg_url, sim) as base:
        assert httpx.get(f"{base}/jobs", headers=bearer(alice)).status_code == 200
        job = httpx.post(f"{base}/videos", json={"prompt": "x"}, headers=bearer(alice)).json()
        poll = httpx.get(f"{base}/jobs/{job['jobid']}", headers=bearer(alice))
        assert poll.status_code == 200 and "gw;dur=" in poll.headers["server-timing"]
        with psycopg.connect(pg_url, autocommit=True) as conn:
            assert store.revoke_student(conn, "s0")
        assert httpx.get(f"{base}/jobs", headers=bearer(alice)).status_code == 401
        # a poll of their own job, by the revoked token or a made-up one: nothing at all
        for token in (alice, "fwst-guess"):
            poll = httpx.get(f"{base}/jobs/{job['jobid']}", headers=bearer(token))
            assert poll.status_code == 401 and "jobid" not in poll.text
        answer = httpx.post(f"{base}/videos", json={"prompt": "x"}, headers=bearer(alice))
        assert answer.status_code == 401
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM requests").fetchone() == (1,)


def _secrets(sim: Any) -> list[str]:
    """What a student must never see: the teacher's token, the accounts' access token (and
    the keys that carry cookies), a captcha provider's key, upstream job ids (they name
    accounts)."""
    found = [TEACHER_TOKEN, CAPTCHA_KEY, "accountCookies", "sessionCookies", "access_token"]
    for email in ACCOUNTS:
        account = sim_json(sim, f"/accounts/{email}")
        found.append(account["sessionData"]["access_token"])
        assert account["accountCookies"] and account["sessionCookies"]
    return found


def test_canary_no_secret_in_any_answer_a_student_gets(pg_url: str) -> None:
    (alice,) = setup_class(pg_url, 1, allowance=1000, budget=1000)
    with simulator() as sim, gateway_thread(pg_url, sim) as base:
        key = httpx.post(
            sim.base_url + "/accounts/captcha-providers",
            json={"CapSolver": CAPTCHA_KEY},
            headers=sim.headers,
        )
        assert key.status_code == 200, key.text
        seen: list[str] = []

        async def scenario() -> None:
            async with httpx.AsyncClient(timeout=30) as c:

                async def call(method: str, path: str, **kw: Any) -> httpx.Response:
                    answer = await c.request(method, base + path, headers=bearer(alice), **kw)
                    seen.append(json.dumps(dict(answer.headers)) + answer.text)
                    return answer

                job = (await call("POST", "/videos", json={"prompt": "a cat"})).json()
                await wait_done(c, base, alice, job["jobid"])
                await call("GET", f"/jobs/{job['jobid']}")
                await call("GET", "/jobs")
                image = await call("POST", "/images", json={"prompt": "a dog"})
                await wait_done(c, base, alice, image.json()["jobid"])
                await call("GET", f"/jobs/{image.json()['jobid']}")
                await call("GET", "/voices")
                await call("GET", "/characters")
                for path in (
                    "/accounts",
                    "/accounts/captcha-providers",
                    f"/accounts/{ACCOUNTS[0]}",
                ):
                    await call("GET", path)

        asyncio.run(scenario())
        upstream_ids = [j["jobid"] for j in sim_json(sim, "/_sim/ledger")["jobs"]]
        assert len(upstream_ids) == 2
        everything = "\n".join(seen)
        for secret in [*_secrets(sim), *upstream_ids]:
            assert secret not in everything, f"a student saw {secret[:12]}…"


def _png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 36), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def test_an_upload_is_its_students_own_and_pins_its_generation_to_its_account(
    pg_url: str,
) -> None:
    alice, bob = setup_class(pg_url, 2, allowance=1000, budget=2000)
    with simulator() as sim, gateway_thread(pg_url, sim) as base:
        png = {"Content-Type": "image/png"}
        upload = httpx.post(f"{base}/assets", content=_png(), headers={**bearer(alice), **png})
        assert upload.status_code < 300, upload.text
        media = next(store.media_ids(upload.json()))
        assert httpx.get(f"{base}/assets/{media}", headers=bearer(alice)).status_code == 200
        assert httpx.get(f"{base}/assets/{media}", headers=bearer(bob)).status_code == 404
        with psycopg.connect(pg_url, autocommit=True) as conn:  # unpinned, a2 would go first
            conn.execute("UPDATE accounts SET cap = 1 WHERE email = %s", (ACCOUNTS[0],))
        body = {"prompt": "it moves", "startImage": media}
        assert httpx.post(f"{base}/videos", json=body, headers=bearer(bob)).status_code == 404
        answer = httpx.post(f"{base}/videos", json=body, headers=bearer(alice))
        assert answer.status_code == 201, answer.text

        async def done() -> dict[str, Any]:
            async with httpx.AsyncClient(timeout=30) as c:
                return await wait_done(c, base, alice, answer.json()["jobid"])

        assert asyncio.run(done())["status"] == "completed"
        jobs = sim_json(sim, "/_sim/ledger")["jobs"]
        assert len(jobs) == 1  # bob's attempt never went upstream
        assert jobs[0]["email"] == ACCOUNTS[0]  # where the upload lives, though it had fewer slots
