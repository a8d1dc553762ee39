"""``POST /videos`` and the job lifecycle over real HTTP: shapes, ids, credits, validation."""

from __future__ import annotations

import re
import time
from urllib.parse import quote

import httpx
import pytest

from flow_widgets.api.catalog import DEFAULT_CATALOG
from flow_widgets.api.ids import encode_email, make_media_id
from flow_widgets.simulator.server import RunningSimulator
from tests.simulator.sim_support import (
    PRO,
    ULTRA,
    WebhookInbox,
    control,
    credits_of,
    finish_jobs,
    upload,
)

JOBID = re.compile(r"^j(\d{13})v-u12345-email:(?P<email>[^\s]+)-bot:google-flow$")
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


def test_async_submit_answers_201_with_a_created_record(api: httpx.Client) -> None:
    response = api.post(
        "/videos",
        json={
            "prompt": "a red fox in snow",
            "async": True,
            "count": 2,
            "email": ULTRA,
            "replyRef": "r-1",
        },
    )
    assert response.status_code == 201
    record = response.json()
    assert JOBID.match(record["jobid"]) and JOBID.match(record["jobid"])["email"] == ULTRA  # type: ignore[index]
    assert (record["type"], record["status"]) == ("video", "created")
    assert record["created"].endswith("Z")
    assert record["request"] == {
        "prompt": "a red fox in snow",
        "model": "veo-3.1-fast",
        "count": 2,
        "email": ULTRA,
        "replyRef": "r-1",
        "async": True,
        "seed": record["request"]["seed"],
    }
    operations = record["response"]["operations"]
    assert len(operations) == 2
    assert {op["status"] for op in operations} == {"MEDIA_GENERATION_STATUS_PENDING"}
    captcha = record["response"]["captcha"]
    assert set(captcha) == {"service", "taskId", "durationMs", "attempts"}
    assert captcha["attempts"][-1]["success"] is True


def test_job_goes_created_started_completed_with_signed_media(
    sim: RunningSimulator, api: httpx.Client
) -> None:
    jobid = api.post("/videos", json={"prompt": "waves", "async": True, "email": PRO}).json()[
        "jobid"
    ]
    seen = set()
    deadline = time.monotonic() + 10
    while "completed" not in seen and time.monotonic() < deadline:
        seen.add(api.get(f"/jobs/{jobid}").json()["status"])
        time.sleep(0.02)
    assert seen <= {"created", "started", "completed"} and "completed" in seen
    record = api.get(f"/jobs/{jobid}").json()
    assert api.get("/jobs/" + quote(jobid, safe="")).json()["jobid"] == jobid  # encoded ":" "@"
    assert record["updated"] >= record["created"]
    media = record["response"]["media"][0]
    pattern = rf"^user:12345-email:{encode_email(PRO)}-video:{UUID}$"
    assert re.match(pattern, media["mediaGenerationId"])
    assert media["videoUrl"].startswith(sim.media_base_url + "/video/")
    assert {"Expires", "KeyName", "Signature"} <= set(httpx.URL(media["videoUrl"]).params)
    assert media["thumbnailUrl"].startswith(sim.media_base_url + "/image/")
    video = media["video"]
    assert video["generatedVideo"]["seed"] == record["request"]["seed"]
    assert video["generatedVideo"]["model"] == "veo_3_1_t2v_fast"
    assert video["dimensions"] == {"length": "8s"}
    assert (
        media["mediaMetadata"]["mediaStatus"]["mediaGenerationStatus"]
        == "MEDIA_GENERATION_STATUS_SUCCESSFUL"
    )
    assert record["response"]["remainingCredits"] == credits_of(api, PRO)


def test_synchronous_call_waits_and_answers_200_with_jobId(api: httpx.Client) -> None:
    body = api.post(
        "/videos", json={"prompt": "sync clip", "email": ULTRA, "model": "veo-3.1-lite"}
    ).json()
    assert set(body) == {"jobId", "media", "remainingCredits", "captcha"}
    assert JOBID.match(body["jobId"])
    assert api.get(f"/jobs/{body['jobId']}").json()["status"] == "completed"


def test_form_encoded_bodies_are_coerced_like_postman_sends_them(api: httpx.Client) -> None:
    response = api.post(
        "/videos",
        files={
            "prompt": (None, "multipart fox"),
            "count": (None, "2"),
            "async": (None, "true"),
            "email": (None, PRO),
        },
    )
    assert response.status_code == 201, response.text
    assert len(response.json()["response"]["operations"]) == 2


@pytest.mark.parametrize(
    ("email", "model", "extra", "price"),
    [
        (
            ULTRA,
            "veo-3.1-fast",
            {},
            DEFAULT_CATALOG.video_credits("veo-3.1-fast", 8, "720p", "ultra_200"),
        ),
        (PRO, "veo-3.1-fast", {}, DEFAULT_CATALOG.video_credits("veo-3.1-fast", 8, "720p", "pro")),
        (ULTRA, "veo-3.1-quality", {}, 100),
        (ULTRA, "veo-3.1-lite-low-priority", {}, 0),
        (
            PRO,
            "omni-flash",
            {"duration": 10, "resolution": "360p"},
            DEFAULT_CATALOG.video_credits("omni-flash", 10, "360p", "pro"),
        ),
    ],
)
def test_credits_fall_by_catalog_price_times_count(
    api: httpx.Client, email: str, model: str, extra: dict[str, object], price: int
) -> None:
    before = credits_of(api, email)
    record = api.post(
        "/videos",
        json={
            "prompt": "priced",
            "model": model,
            "count": 2,
            "async": True,
            "email": email,
            **extra,
        },
    )
    assert record.status_code == 201, record.text
    assert credits_of(api, email) == before - 2 * price
    ledger = control(api, "GET", "ledger")
    charge = [c for c in ledger["charges"] if c["jobid"] == record.json()["jobid"]]
    assert [c["amount"] for c in charge] == ([2 * price] if price else [])


def test_out_of_credits_is_402_and_nothing_is_charged(api: httpx.Client) -> None:
    control(api, "POST", f"accounts/{PRO}", json={"credits": 15})
    try:
        response = api.post("/videos", json={"prompt": "too dear", "async": True, "email": PRO})
        assert response.status_code == 402
        assert "20" in response.json()["error"] and "15" in response.json()["error"]
        assert credits_of(api, PRO) == 15
    finally:
        control(api, "POST", f"accounts/{PRO}", json={"credits": 1000})


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"model": "veo-3.1-quality", "duration": 4}, "duration"),
        ({"model": "omni-flash", "aspectRatio": "1:1"}, "aspectRatio"),
        ({"count": 5}, "count"),
        ({"model": "veo-9"}, "model"),
        ({"captchaToken": "t" * 30, "captchaRetry": 3}, "captchaToken"),
        ({"duration": 4, "email": PRO}, "duration"),  # 4 s Veo needs an Ultra plan
        ({"async": "maybe"}, "async"),
        ({"colour": "red"}, "colour"),
        ({"prompt": "   "}, "prompt"),
        ({"prompt": "see @referenceImage_1"}, "referenceImage_1"),
        ({"endImage": make_media_id(12345, PRO, "image", "x1")}, "endImage"),
        ({"replyUrl": "https://example.com/hook"}, "replyUrl"),
    ],
)
def test_invalid_requests_are_400_naming_the_field(
    api: httpx.Client, body: dict[str, object], field: str
) -> None:
    payload = {"prompt": "a fox", "async": True, **body}
    response = api.post("/videos", json=payload)
    assert response.status_code == 400, response.text
    assert field in response.json()["error"]


def test_media_from_another_account_or_user_is_refused(api: httpx.Client) -> None:
    pro_image = upload(api, PRO)
    cross = api.post(
        "/videos", json={"prompt": "x", "startImage": pro_image, "email": ULTRA, "async": True}
    )
    assert cross.status_code == 400 and "email" in cross.json()["error"]
    stranger = make_media_id(99999, PRO, "image", "abc")
    foreign = api.post("/videos", json={"prompt": "x", "startImage": stranger, "async": True})
    assert foreign.status_code == 403
    assert foreign.json()["error"].startswith("Unauthorized access to user:99999")
    unknown = make_media_id(12345, PRO, "image", "does-not-exist")
    missing = api.post("/videos", json={"prompt": "x", "startImage": unknown, "async": True})
    assert missing.status_code == 404


def test_uploaded_media_drive_i2v_r2v_and_pick_the_owning_account(api: httpx.Client) -> None:
    image = upload(api, PRO)
    i2v = api.post("/videos", json={"prompt": "it moves", "startImage": image, "async": True})
    assert i2v.status_code == 201 and i2v.json()["request"]["email"] == PRO
    r2v = api.post(
        "/videos",
        json={
            "prompt": "@referenceImage_1 dances",
            "referenceImage_1": image,
            "referenceAudio_1": "puck",
            "async": True,
        },
    )
    assert r2v.status_code == 201, r2v.text


def test_webhooks_post_each_transition_to_a_loopback_url(
    sim: RunningSimulator, api: httpx.Client, inbox: WebhookInbox
) -> None:
    jobid = api.post(
        "/videos",
        json={"prompt": "hooked", "async": True, "replyUrl": inbox.url, "replyRef": "mine"},
    ).json()["jobid"]
    finish_jobs(api)
    deadline = time.monotonic() + 5
    while "completed" not in [b["status"] for b in inbox.received] and time.monotonic() < deadline:
        time.sleep(0.02)
    statuses = [body["status"] for body in inbox.received if body["jobid"] == jobid]
    assert statuses in (["created", "started", "completed"], ["created", "completed"])
    assert inbox.received[-1]["request"]["replyRef"] == "mine"
    deliveries = [w for w in control(api, "GET", "ledger")["webhooks"] if w["jobid"] == jobid]
    assert {w["outcome"] for w in deliveries} == {"204"}


def test_job_lookup_errors(sim: RunningSimulator, api: httpx.Client) -> None:
    assert api.get("/jobs/not-a-jobid").status_code == 400
    other_user = api.get(f"/jobs/j1731859234567v-u99999-email:{PRO}-bot:google-flow")
    assert other_user.status_code == 403
    unknown = api.get(f"/jobs/j1731859234567v-u12345-email:{PRO}-bot:google-flow")
    assert unknown.status_code == 404
    jobid = api.post("/videos", json={"prompt": "old news", "async": True}).json()["jobid"]
    control(api, "POST", "clock", json={"advance": 8 * 86400})
    gone = api.get(f"/jobs/{jobid}")
    assert gone.status_code == 410 and jobid in gone.json()["error"]


def test_jobs_statistics_with_and_without_trailing_slash(api: httpx.Client) -> None:
    api.post("/videos", json={"prompt": "busy", "async": True, "email": ULTRA})
    for path in ("/jobs", "/jobs/"):
        summary = api.get(path).json()
        assert summary["emails"] == [ULTRA, PRO]
        row = summary["videos"]["summary"][ULTRA]
        assert set(row) == {
            "executing",
            "completed",
            "failed",
            "rateLimited",
            "avgResponseTime",
            "score",
        }
    executing = api.get("/jobs/", params={"options": "executing"}).json()
    assert all(
        re.match(r"^\d\d:\d\d$", e["elapsed"]) for e in executing["videos"]["executing"].values()
    )
    assert api.get("/jobs", params={"options": "everything"}).status_code == 400
