"""Every endpoint: method, path (URL-encoded), headers, body and parsed result, on both twins."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import test_client_shapes as shapes
from test_client_harness import BASE, TOKEN, Twin, reply

from flow_widgets import FlowClient as LazyFlowClient
from flow_widgets.api import models
from flow_widgets.api.client import AsyncFlowClient, FlowClient
from flow_widgets.api.requests import Captcha, ConcatClip
from flow_widgets.errors import ConfigError, ValidationError

TWINS = ["sync", "async"]
EMAIL_PATH = "john%40gmail.com"


@dataclass
class Endpoint:
    """One row of the endpoint table."""

    name: str
    use: Any
    method: str
    path: str
    reply: httpx.Response
    check: Any
    params: dict[str, str] = field(default_factory=dict)
    body: Any = None
    paid: bool = False


ENDPOINTS = [
    Endpoint(
        "accounts.add",
        lambda c: c.accounts.add("HSID\tvalue\t.google.com\t/\t2027-01-01"),
        "POST",
        "/accounts",
        reply(201, shapes.ACCOUNT_FULL),
        lambda r: isinstance(r, models.Account) and r.credits == 18760,
        body={"cookies": "HSID\tvalue\t.google.com\t/\t2027-01-01"},
    ),
    Endpoint(
        "accounts.list",
        lambda c: c.accounts.list(),
        "GET",
        "/accounts",
        reply(200, shapes.ACCOUNTS_LIST),
        lambda r: [a.email for a in r] == [shapes.EMAIL, "other@gmail.com"],
    ),
    Endpoint(
        "accounts.get",
        lambda c: c.accounts.get(shapes.EMAIL),
        "GET",
        f"/accounts/{EMAIL_PATH}",
        reply(200, shapes.ACCOUNT_FULL),
        lambda r: r.email == shapes.EMAIL and r.tier == "ultra_100",
    ),
    Endpoint(
        "accounts.delete",
        lambda c: c.accounts.delete(shapes.EMAIL),
        "DELETE",
        f"/accounts/{EMAIL_PATH}",
        reply(200, {"message": f"Google Flow account {shapes.EMAIL} deleted"}),
        lambda r: r.ref == shapes.EMAIL and r.deleted,
    ),
    Endpoint(
        "captcha.set_providers",
        lambda c: c.captcha.set_providers({"2Captcha": ""}, CapSolver="CAP-0123456789abcdef"),
        "POST",
        "/accounts/captcha-providers",
        reply(200, {"CapSolver": "CAP-0…"}),
        lambda r: r.keys == {"CapSolver": "CAP-0…"},
        body={"2Captcha": "", "CapSolver": "CAP-0123456789abcdef"},
    ),
    Endpoint(
        "captcha.get_providers",
        lambda c: c.captcha.get_providers(),
        "GET",
        "/accounts/captcha-providers",
        reply(200, {"freeCaptchaCredits": 100}),
        lambda r: r.free_captcha_credits == 100 and r.configured == (),
    ),
    Endpoint(
        "captcha.stats",
        lambda c: c.captcha.stats(limit=50, provider="CapSolver", anonymized=True),
        "GET",
        "/accounts/captcha-stats",
        reply(200, shapes.CAPTCHA_STATS),
        lambda r: r.total == 42 and len(r.rows) == 1,
        params={"limit": "50", "provider": "CapSolver", "anonymized": "true"},
    ),
    Endpoint(
        "assets.upload",
        lambda c: c.assets.upload(shapes.PNG, email=shapes.EMAIL),
        "POST",
        f"/assets/{EMAIL_PATH}",
        reply(200, shapes.IMAGE_UPLOAD_200),
        lambda r: r.media_generation_id == shapes.IMAGE_ID and r.kind == "image",
        body=shapes.PNG,
        paid=True,
    ),
    Endpoint(
        "images.create",
        lambda c: c.images.create(
            "a lighthouse @reference_1",
            model="nano-banana-2",
            aspect_ratio="16:9",
            count=1,
            seed=7,
            references=[shapes.IMAGE_ID],
            captcha=Captcha(retry=5),
        ),
        "POST",
        "/images",
        reply(200, shapes.IMAGES_200),
        lambda r: r.status == "completed" and r.media[0].kind == "image",
        body={
            "prompt": "a lighthouse @reference_1",
            "model": "nano-banana-2",
            "aspectRatio": "16:9",
            "count": 1,
            "seed": 7,
            "reference_1": shapes.IMAGE_ID,
            "captchaRetry": 5,
        },
        paid=True,
    ),
    Endpoint(
        "images.upscale",
        lambda c: c.images.upscale(shapes.IMAGE_ID, resolution="4k"),
        "POST",
        "/images/upscale",
        reply(200, {"encodedImage": shapes.b64(shapes.JPEG), "captcha": shapes.CAPTCHA}),
        lambda r: r.data == shapes.JPEG and r.mime_type == "image/jpeg",
        body={"mediaGenerationId": shapes.IMAGE_ID, "resolution": "4k"},
        paid=True,
    ),
    Endpoint(
        "videos.create",
        lambda c: c.videos.create(
            "a fox meets @character_1",
            model="veo-3.1-fast",
            aspect_ratio="landscape",
            duration=8,
            count=2,
            seed=123456,
            characters=[shapes.CHARACTER_REF],
            reply_ref="custom-reference-123",
        ),
        "POST",
        "/videos",
        reply(201, shapes.VIDEO_ASYNC_201),
        lambda r: r.status == "created" and len(r.operations) == 2,
        body={
            "prompt": "a fox meets @character_1",
            "model": "veo-3.1-fast",
            "aspectRatio": "landscape",
            "duration": 8,
            "count": 2,
            "seed": 123456,
            "character_1": shapes.CHARACTER_REF,
            "replyRef": "custom-reference-123",
            "async": True,
        },
        paid=True,
    ),
    Endpoint(
        "videos.upscale",
        lambda c: c.videos.upscale(shapes.VIDEO_ID, resolution="1080p"),
        "POST",
        "/videos/upscale",
        reply(200, shapes.VIDEO_UPSCALE_200),
        lambda r: r.media[0].media_generation_id == shapes.UPSCALED_ID,
        body={"mediaGenerationId": shapes.VIDEO_ID, "resolution": "1080p", "async": True},
        paid=True,
    ),
    Endpoint(
        "videos.extend",
        lambda c: c.videos.extend(shapes.VIDEO_ID, "the fox jumps", count=1),
        "POST",
        "/videos/extend",
        reply(201, shapes.VIDEO_ASYNC_201),
        lambda r: r.jobid == shapes.VIDEO_JOBID,
        body={
            "mediaGenerationId": shapes.VIDEO_ID,
            "prompt": "the fox jumps",
            "model": "veo-3.1-fast",
            "count": 1,
            "async": True,
        },
        paid=True,
    ),
    Endpoint(
        "videos.gif",
        lambda c: c.videos.gif(shapes.VIDEO_ID),
        "POST",
        "/videos/gif",
        reply(200, {"encodedGif": shapes.b64(shapes.GIF)}),
        lambda r: r.data == shapes.GIF,
        body={"mediaGenerationId": shapes.VIDEO_ID},
    ),
    Endpoint(
        "videos.concatenate",
        lambda c: c.videos.concatenate(
            [shapes.VIDEO_ID, ConcatClip(shapes.UPSCALED_ID, trim_start=1.0)]
        ),
        "POST",
        "/videos/concatenate",
        reply(
            200,
            {
                "jobId": shapes.VIDEO_JOBID,
                "status": "MEDIA_GENERATION_STATUS_SUCCESSFUL",
                "inputsCount": 2,
                "encodedVideo": shapes.b64(shapes.MP4),
            },
        ),
        lambda r: r.data == shapes.MP4 and r.inputs_count == 2,
        body={
            "media": [
                {"mediaGenerationId": shapes.VIDEO_ID},
                {"mediaGenerationId": shapes.UPSCALED_ID, "trimStart": 1.0},
            ]
        },
    ),
    Endpoint(
        "voices.create",
        lambda c: c.voices.create(
            shapes.EMAIL,
            "Achernar",
            "Cheerful Narrator",
            "Hello, this is a test voice.",
            "Cheerful, energetic delivery",
        ),
        "POST",
        "/voices",
        reply(200, shapes.VOICE_CREATED),
        lambda r: r.voice == shapes.VOICE_REF and not r.is_system,
        body={
            "email": shapes.EMAIL,
            "voice": "Achernar",
            "displayName": "Cheerful Narrator",
            "dialog": "Hello, this is a test voice.",
            "voicePerformance": "Cheerful, energetic delivery",
        },
        paid=True,
    ),
    Endpoint(
        "voices.list",
        lambda c: c.voices.list(shapes.EMAIL, source="user"),
        "GET",
        "/voices",
        reply(200, shapes.VOICES_LIST),
        lambda r: len(r) == 2,
        params={"email": shapes.EMAIL, "source": "user"},
    ),
    Endpoint(
        "voices.get",
        lambda c: c.voices.get(shapes.VOICE_REF),
        "GET",
        "/voices/" + shapes.VOICE_REF.replace(":", "%3A"),
        reply(200, shapes.VOICE_CREATED),
        lambda r: r.audio_url is not None,
    ),
    Endpoint(
        "voices.delete",
        lambda c: c.voices.delete(shapes.VOICE_REF),
        "DELETE",
        "/voices/" + shapes.VOICE_REF.replace(":", "%3A"),
        reply(200, {"deleted": True, "workflowId": "w", "voice": shapes.VOICE_REF}),
        lambda r: r.deleted and r.identifier == "w",
    ),
    Endpoint(
        "characters.create",
        lambda c: c.characters.create(
            "Carol", [shapes.IMAGE_ID], personality_notes="curious", voice="Umbriel"
        ),
        "POST",
        "/characters",
        reply(200, shapes.CHARACTER_CREATED),
        lambda r: r.character == shapes.CHARACTER_REF,
        body={
            "displayName": "Carol",
            "imageReference_1": shapes.IMAGE_ID,
            "personalityNotes": "curious",
            "voice": "Umbriel",
        },
        paid=True,
    ),
    Endpoint(
        "characters.list",
        lambda c: c.characters.list(shapes.EMAIL),
        "GET",
        "/characters",
        reply(200, shapes.CHARACTERS_LIST),
        lambda r: len(r) == 3,
        params={"email": shapes.EMAIL},
    ),
    Endpoint(
        "characters.get",
        lambda c: c.characters.get(shapes.CHARACTER_REF),
        "GET",
        "/characters/" + shapes.CHARACTER_REF.replace(":", "%3A"),
        reply(200, shapes.CHARACTERS_LIST["characters"][0]),
        lambda r: r.display_name == "Carol",
    ),
    Endpoint(
        "characters.delete",
        lambda c: c.characters.delete(shapes.CHARACTER_REF),
        "DELETE",
        "/characters/" + shapes.CHARACTER_REF.replace(":", "%3A"),
        reply(200, {"deleted": True, "entityId": "e", "character": shapes.CHARACTER_REF}),
        lambda r: r.identifier == "e",
    ),
    Endpoint(
        "jobs.stats",
        lambda c: c.jobs.stats("executing"),
        "GET",
        "/jobs",
        reply(200, shapes.JOBS_STATS),
        lambda r: shapes.VIDEO_JOBID in r.videos.executing,
        params={"options": "executing"},
    ),
    Endpoint(
        "jobs.get",
        lambda c: c.jobs.get(shapes.VIDEO_JOBID),
        "GET",
        "/jobs/" + quote(shapes.VIDEO_JOBID, safe=""),
        reply(200, shapes.JOB_COMPLETED),
        lambda r: r.status == "completed" and r.remaining_credits == 14845,
    ),
]


def test_the_table_covers_all_25_endpoints() -> None:
    assert len({e.name for e in ENDPOINTS}) == 25
    routes = {(e.method, e.path.split("/")[1]) for e in ENDPOINTS}
    assert ("DELETE", "characters") in routes and ("POST", "assets") in routes


@pytest.mark.parametrize("kind", TWINS)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_endpoint_request_and_result(kind: str, endpoint: Endpoint) -> None:
    twin = Twin(kind, [endpoint.reply])
    result = twin(endpoint.use)
    assert endpoint.check(result), result
    (request,) = twin.requests
    assert request.method == endpoint.method
    assert request.url.raw_path.decode().split("?")[0] == "/v1/google-flow" + endpoint.path
    assert dict(request.url.params) == endpoint.params
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["user-agent"].startswith("flow-widgets/")
    if endpoint.paid:
        assert uuid.UUID(request.headers["idempotency-key"])
    else:
        assert "idempotency-key" not in request.headers
    if isinstance(endpoint.body, bytes):
        assert twin.bodies[0] == endpoint.body
        assert request.headers["content-type"] == "image/png"
    elif endpoint.body is not None:
        assert request.headers["content-type"] == "application/json"
        assert twin.json(0) == endpoint.body
    else:
        assert twin.bodies[0] == b""


@pytest.mark.parametrize("kind", TWINS)
def test_caller_idempotency_key_is_sent_as_given(kind: str) -> None:
    twin = Twin(kind, [reply(201, shapes.VIDEO_ASYNC_201)])
    twin(lambda c: c.videos.create("a fox", idempotency_key="submission-42"))
    assert twin.requests[0].headers["idempotency-key"] == "submission-42"


@pytest.mark.parametrize("kind", TWINS)
def test_each_logical_submit_gets_its_own_idempotency_key(kind: str) -> None:
    twin = Twin(kind, [reply(201, shapes.VIDEO_ASYNC_201)])
    twin(lambda c: c.videos.create("a fox"))
    twin(lambda c: c.videos.create("a fox"))
    keys = {r.headers["idempotency-key"] for r in twin.requests}
    assert len(keys) == 2


def _refuse(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"nothing may be sent, but {request.method} {request.url} was")


INVALID_CALLS = [
    ("duration", lambda c: c.videos.create("a fox", model="veo-3.1-quality", duration=10)),
    ("count", lambda c: c.images.create("a cat", count=9)),
    ("captchaToken", lambda c: c.videos.create("a fox", captcha=Captcha(token=""))),
    ("mediaGenerationId", lambda c: c.videos.gif("not-an-id")),
    ("media", lambda c: c.videos.concatenate([shapes.VIDEO_ID])),
    ("email", lambda c: c.accounts.get("not an email")),
    ("email", lambda c: c.voices.list("")),
    ("source", lambda c: c.voices.list(shapes.EMAIL, source="robots")),
    ("jobid", lambda c: c.jobs.get(" ")),
    ("options", lambda c: c.jobs.stats("everything")),
    ("contentType", lambda c: c.assets.upload(b"plain text, not an image")),
    ("providers", lambda c: c.captcha.set_providers()),
    ("timeout", lambda c: c.jobs.wait(shapes.VIDEO_JOBID, timeout=0)),
]


@pytest.mark.parametrize("kind", TWINS)
@pytest.mark.parametrize(("field", "use"), INVALID_CALLS, ids=[f for f, _ in INVALID_CALLS])
def test_bad_arguments_fail_before_anything_is_sent(kind: str, field: str, use: Any) -> None:
    twin = Twin(kind, [_refuse])
    with pytest.raises(ValidationError) as caught:
        twin(use)
    assert caught.value.field == field
    assert twin.calls == 0
    assert str(caught.value).endswith(".")


@pytest.mark.parametrize("kind", TWINS)
def test_upload_streams_a_path_and_infers_jpg(kind: str, tmp_path: Any) -> None:
    photo = tmp_path / "holiday.JPG"
    photo.write_bytes(shapes.JPEG + b"\x01" * 200_000)
    twin = Twin(kind, [reply(200, shapes.IMAGE_UPLOAD_200)])
    asset = twin(lambda c: c.assets.upload(photo))
    request = twin.requests[0]
    assert request.url.path == "/v1/google-flow/assets"
    assert request.headers["content-type"] == "image/jpeg"
    assert request.headers["content-length"] == str(photo.stat().st_size)
    assert "transfer-encoding" not in request.headers
    assert twin.bodies[0] == photo.read_bytes()
    assert asset.media_generation_id == shapes.IMAGE_ID


@pytest.mark.parametrize("kind", TWINS)
def test_upload_from_an_open_file_starts_at_its_position(kind: str, tmp_path: Any) -> None:
    clip = tmp_path / "clip.bin"
    clip.write_bytes(b"junk" + shapes.MP4)
    twin = Twin(kind, [reply(200, shapes.VIDEO_UPLOAD_200)])
    with clip.open("rb") as handle:
        handle.seek(4)
        asset = twin(lambda c: c.assets.upload(handle, content_type="video/mp4"))
    assert twin.bodies[0] == shapes.MP4
    assert twin.requests[0].headers["content-type"] == "video/mp4"
    assert asset.kind == "video" and asset.duration_seconds == 11.94


def test_upload_refuses_missing_files_and_oversized_ones(tmp_path: Any) -> None:
    twin = Twin("sync", [_refuse])
    with pytest.raises(ValidationError, match="does not exist"):
        twin(lambda c: c.assets.upload(tmp_path / "missing.png"))
    big = tmp_path / "big.png"
    with big.open("wb") as handle:
        handle.write(shapes.PNG)
        handle.truncate(21 * 2**20)
    with pytest.raises(ValidationError, match="at most 20 MB") as caught:
        twin(lambda c: c.assets.upload(big))
    assert caught.value.field == "content"
    assert twin.calls == 0


@pytest.mark.parametrize("kind", TWINS)
def test_wait_polls_until_the_job_completes(kind: str) -> None:
    running = dict(shapes.VIDEO_ASYNC_201, status="started")
    twin = Twin(kind, [reply(200, running), reply(200, running), reply(200, shapes.JOB_COMPLETED)])
    job = twin(lambda c: c.jobs.wait(shapes.VIDEO_JOBID, timeout=600))
    assert job.status == "completed" and twin.calls == 3
    assert twin.clock.sleeps == [10.0, 10.0]


@pytest.mark.parametrize("kind", TWINS)
def test_wait_raises_on_failure_or_returns_it_when_asked(kind: str) -> None:
    from flow_widgets.errors import JobFailedError

    twin = Twin(kind, [reply(200, shapes.JOB_FAILED)])
    with pytest.raises(JobFailedError, match="API error: 500") as caught:
        twin(lambda c: c.jobs.wait(shapes.IMAGE_JOBID))
    assert caught.value.job.code == 500
    job = twin(lambda c: c.jobs.wait(shapes.IMAGE_JOBID, raise_on_failure=False))
    assert job.status == "failed"


@pytest.mark.parametrize("kind", TWINS)
def test_wait_gives_up_at_its_deadline_with_the_last_job(kind: str) -> None:
    from flow_widgets.errors import JobTimeoutError

    twin = Twin(kind, [reply(200, shapes.VIDEO_ASYNC_201)])
    with pytest.raises(JobTimeoutError, match="still created") as caught:
        twin(lambda c: c.jobs.wait(shapes.VIDEO_JOBID, timeout=25, poll_interval=10))
    assert twin.clock.sleeps == [10.0, 10.0, 5.0]
    assert caught.value.waited == 25.0
    assert caught.value.job.jobid == shapes.VIDEO_JOBID


def test_token_comes_from_argument_then_environment_else_a_config_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(ConfigError) as caught:
        FlowClient()
    message = str(caught.value)
    for way in ("token=", "USEAPI_TOKEN", ".env", "%flow login"):
        assert way in message
    monkeypatch.setenv("USEAPI_TOKEN", "user:1-fromenvironment")
    monkeypatch.setenv("FLOW_API_BASE", "http://127.0.0.1:8787/")
    client = FlowClient(transport=httpx.MockTransport(lambda r: reply(200, {})))
    assert client.base_url == "http://127.0.0.1:8787"
    assert FlowClient("user:1-x", base_url=BASE).base_url == BASE
    assert FlowClient("user:1-x", environ={}).base_url == "https://api.useapi.net/v1/google-flow"


@pytest.mark.parametrize(
    "options",
    [{"token": "  "}, {"token": "user:1 x"}, {"base_url": "ftp://x"}, {"deadline": 0}],
)
def test_unusable_settings_are_config_errors(options: dict[str, Any]) -> None:
    options.setdefault("token", TOKEN)
    with pytest.raises(ConfigError):
        FlowClient(**options)


def test_package_exports_the_clients_lazily() -> None:
    assert LazyFlowClient is FlowClient


@pytest.mark.parametrize("kind", TWINS)
def test_closed_client_refuses_work_and_context_managers_close(kind: str) -> None:
    twin = Twin(kind, [reply(200, {})])
    twin.close()
    with pytest.raises(ConfigError, match="closed"):
        twin(lambda c: c.accounts.list())
    assert twin.calls == 0


def test_context_managers_close_the_owned_pool() -> None:
    with FlowClient(TOKEN, transport=httpx.MockTransport(lambda r: reply(200, {}))) as client:
        assert client.accounts.list() == ()
    assert client._http.is_closed

    async def scenario() -> AsyncFlowClient:
        transport = httpx.MockTransport(lambda r: reply(200, {}))
        async with AsyncFlowClient(TOKEN, transport=transport) as aclient:
            assert await aclient.accounts.list() == ()
        return aclient

    import asyncio

    assert asyncio.run(scenario())._http.is_closed


def test_an_injected_http_client_is_used_and_left_open() -> None:
    http = httpx.Client(transport=httpx.MockTransport(lambda r: reply(200, {})))
    with FlowClient(TOKEN, http_client=http) as client:
        client.accounts.list()
    assert not http.is_closed
    http.close()
    with pytest.raises(ConfigError, match="not both"):
        FlowClient(TOKEN, http_client=http, transport=httpx.MockTransport(lambda r: reply()))


def test_the_httpx_flavour_must_match_the_twin() -> None:
    with pytest.raises(ConfigError, match=r"httpx\.Client for FlowClient"):
        FlowClient(TOKEN, http_client=httpx.AsyncClient())  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="AsyncBaseTransport for AsyncFlowClient"):
        AsyncFlowClient(TOKEN, transport=httpx.HTTPTransport())


@pytest.mark.parametrize("kind", TWINS)
def test_request_objects_built_elsewhere_are_sent_with_call_for(kind: str) -> None:
    from flow_widgets.api.client import call_for
    from flow_widgets.api.requests import UploadAsset, VideoRequest

    twin = Twin(kind, [reply(201, shapes.VIDEO_ASYNC_201), reply(200, shapes.IMAGE_UPLOAD_200)])
    request = VideoRequest("a fox", duration=8)
    job = twin(lambda c: c.run(call_for(request, idempotency_key="ledger-row-7")))
    assert job.status == "created"
    assert twin.json(0) == request.to_payload()
    assert twin.requests[0].headers["idempotency-key"] == "ledger-row-7"
    asset = twin(lambda c: c.run(call_for(UploadAsset(shapes.PNG, email=shapes.EMAIL))))
    assert asset.kind == "image"
    assert twin.requests[1].url.raw_path.endswith(b"/assets/john%40gmail.com")
    assert twin.bodies[1] == shapes.PNG
