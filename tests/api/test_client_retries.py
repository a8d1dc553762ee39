"""The retry policy end to end, with exact call counts and the waits a fake clock recorded.

Paid POSTs are resent only when nothing was sent or the server refused for capacity; any unknown
outcome raises UnknownOutcomeError after exactly one call. Reads retry transient failures.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import test_client_shapes as shapes
from test_client_harness import Twin, reply

from flow_widgets import errors

TWINS = ["sync", "async"]
CREATED = reply(201, shapes.VIDEO_ASYNC_201)


def create(client: Any) -> Any:
    return client.videos.create("a red fox", duration=8)


def throttle(reason: str, **headers: str) -> httpx.Response:
    body = {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "details": [{"reason": reason}]}}
    return reply(429, body, **headers)


def connect_error() -> httpx.ConnectError:
    return httpx.ConnectError("connection refused")


@pytest.mark.parametrize("kind", TWINS)
def test_pre_send_failures_are_retried_with_the_same_key_and_body(kind: str) -> None:
    twin = Twin(kind, [connect_error(), httpx.PoolTimeout("pool"), CREATED])
    job = twin(create)
    assert job.status == "created"
    assert twin.calls == 3
    assert twin.clock.sleeps == [0.5, 1.0]
    assert len({r.headers["idempotency-key"] for r in twin.requests}) == 1
    assert len(set(twin.bodies)) == 1


@pytest.mark.parametrize("kind", TWINS)
def test_pre_send_failures_give_up_after_three_attempts(kind: str) -> None:
    twin = Twin(kind, [httpx.ConnectTimeout("slow handshake")])
    with pytest.raises(errors.APITimeoutError) as caught:
        twin(create)
    assert caught.value.sent is False
    assert "nothing was sent" in str(caught.value)
    assert twin.calls == 3


@pytest.mark.parametrize("kind", TWINS)
def test_throttle_429_is_retried_honouring_retry_after(kind: str) -> None:
    twin = Twin(
        kind,
        [
            throttle("PUBLIC_ERROR_USER_REQUESTS_THROTTLED", **{"Retry-After": "7"}),
            throttle("PUBLIC_ERROR_UNUSUAL_ACTIVITY_TOO_MUCH_TRAFFIC", **{"Retry-After": "500"}),
            CREATED,
        ],
    )
    assert twin(create).jobid == shapes.VIDEO_JOBID
    assert twin.calls == 3
    assert twin.clock.sleeps == [7.0, 10.0]  # 500 s is too long to follow: backoff instead


@pytest.mark.parametrize("kind", TWINS)
def test_throttle_gives_up_after_six_attempts(kind: str) -> None:
    twin = Twin(kind, [throttle("PUBLIC_ERROR_USER_REQUESTS_THROTTLED")])
    with pytest.raises(errors.ThrottledError) as caught:
        twin(create)
    assert twin.calls == 6
    assert twin.clock.sleeps == [5.0, 10.0, 20.0, 40.0, 60.0]
    assert caught.value.reason == "PUBLIC_ERROR_USER_REQUESTS_THROTTLED"


@pytest.mark.parametrize("kind", TWINS)
@pytest.mark.parametrize(
    ("response", "error"),
    [
        (throttle("PUBLIC_ERROR_USER_QUOTA_REACHED"), errors.QuotaExceededError),
        (throttle("PUBLIC_ERROR_PER_MODEL_DAILY_QUOTA_REACHED"), errors.QuotaExceededError),
        (
            reply(429, {"error": "no_eligible_account", "retryAfter": "2099-01-01T00:00:00Z"}),
            errors.NoEligibleAccountError,
        ),
        (reply(400, {"error": "Parameter prompt is required"}), errors.BadRequestError),
        (reply(401, {"error": "Unauthorized"}), errors.AuthenticationError),
        (reply(402, {"error": "Not enough credits"}), errors.InsufficientCreditsError),
        (reply(403, {"error": "captcha_quality: low"}), errors.CaptchaRejectedError),
        (reply(596, {"error": "session broken"}), errors.SessionBrokenError),
    ],
    ids=["quota", "model-quota", "no-account", "400", "401", "402", "403", "596"],
)
def test_final_answers_are_not_retried(kind: str, response: httpx.Response, error: type) -> None:
    twin = Twin(kind, [response])
    with pytest.raises(error):
        twin(create)
    assert twin.calls == 1
    assert twin.clock.sleeps == []


@pytest.mark.parametrize("kind", TWINS)
def test_503_honours_retry_after_within_the_cap(kind: str) -> None:
    busy = {"error": "Service Unavailable"}
    twin = Twin(
        kind,
        [
            reply(503, busy, **{"Retry-After": "3"}),
            reply(503, busy, **{"Retry-After": "999999"}),
            CREATED,
        ],
    )
    assert twin(create).jobid == shapes.VIDEO_JOBID
    assert twin.calls == 3
    assert twin.clock.sleeps == [3.0, 10.0]  # 999999 s is above the cap: backoff instead


@pytest.mark.parametrize("kind", TWINS)
def test_503_is_retried_then_succeeds(kind: str) -> None:
    unavailable = reply(503, {"error": "Captcha service failed: timeout", "code": 503})
    twin = Twin(kind, [unavailable, reply(503, "overloaded"), CREATED])
    assert twin(create).status == "created"
    assert twin.calls == 3
    assert twin.clock.sleeps == [5.0, 10.0]


@pytest.mark.parametrize("kind", TWINS)
@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("read timed out"),
        httpx.WriteTimeout("write timed out"),
        httpx.RemoteProtocolError("peer closed connection"),
        httpx.ReadError("connection reset"),
        reply(500, {"error": "API error: 500"}),
        reply(502, "<html>bad gateway</html>"),
        reply(504, "gateway timeout"),
        reply(408, {"error": "Polling timeout"}),
        reply(201, "not json at all"),
        reply(201, {"no": "jobid"}),
        reply(201, ["a", "list"]),
    ],
    ids=[
        "read-timeout",
        "write-timeout",
        "protocol",
        "reset",
        "500",
        "502",
        "504",
        "408",
        "201-text",
        "201-no-jobid",
        "201-list",
    ],
)
def test_unknown_outcome_of_a_paid_post_is_never_resent(kind: str, failure: Any) -> None:
    twin = Twin(kind, [failure, CREATED])
    with pytest.raises(errors.UnknownOutcomeError) as caught:
        twin(create)
    assert twin.calls == 1
    assert twin.clock.sleeps == []
    assert "POST /videos" in str(caught.value)
    assert "jobs.stats" in str(caught.value)
    if isinstance(failure, httpx.Response) and failure.status_code != 201:
        assert caught.value.status_code == failure.status_code


@pytest.mark.parametrize("kind", TWINS)
def test_reads_retry_transient_failures(kind: str) -> None:
    twin = Twin(
        kind,
        [httpx.ReadTimeout("slow"), reply(502, "bad gateway"), reply(200, shapes.JOB_COMPLETED)],
    )
    job = twin(lambda c: c.jobs.get(shapes.VIDEO_JOBID))
    assert job.status == "completed"
    assert twin.calls == 3
    assert twin.clock.sleeps == [0.5, 1.0]


@pytest.mark.parametrize("kind", TWINS)
def test_reads_give_up_with_the_servers_error(kind: str) -> None:
    twin = Twin(kind, [reply(500, {"error": "API error: 500"})])
    with pytest.raises(errors.ServerError, match="API error: 500"):
        twin(lambda c: c.accounts.list())
    assert twin.calls == 3


@pytest.mark.parametrize("kind", TWINS)
def test_upload_is_resent_once_after_an_unknown_outcome(kind: str, tmp_path: Path) -> None:
    image = tmp_path / "frame.png"
    image.write_bytes(shapes.PNG * 1000)
    twin = Twin(kind, [httpx.ReadTimeout("slow"), reply(200, shapes.IMAGE_UPLOAD_200)])
    asset = twin(lambda c: c.assets.upload(image))
    assert asset.media_generation_id == shapes.IMAGE_ID
    assert twin.calls == 2
    assert twin.clock.sleeps == [2.0]
    assert twin.bodies == [image.read_bytes()] * 2


@pytest.mark.parametrize("kind", TWINS)
def test_upload_stops_after_its_single_resend(kind: str) -> None:
    twin = Twin(kind, [reply(504, "gateway timeout")])
    with pytest.raises(errors.ServerError):
        twin(lambda c: c.assets.upload(shapes.PNG))
    assert twin.calls == 2


@pytest.mark.parametrize("kind", TWINS)
def test_max_retries_zero_turns_retrying_off(kind: str) -> None:
    twin = Twin(kind, [connect_error(), CREATED], max_retries=0)
    with pytest.raises(errors.APIConnectionError):
        twin(create)
    assert twin.calls == 1
    assert twin.client.max_retries == 0


class Trickle(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body that arrives in chunks, each one 100 s later on the fake clock."""

    def __init__(self, twin: Twin, chunks: list[bytes]) -> None:
        self.twin, self.chunks = twin, chunks

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.chunks:
            self.twin.clock.now += 100.0
            yield chunk

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self:
            yield chunk


def _trickling(twin: Twin, body: bytes) -> Any:
    def respond(request: httpx.Request) -> httpx.Response:
        pieces = [body[i : i + 8] for i in range(0, len(body), 8)]
        return httpx.Response(200, stream=Trickle(twin, pieces))

    return respond


@pytest.mark.parametrize("kind", TWINS)
def test_a_trickling_reply_is_cut_at_the_overall_deadline(kind: str) -> None:
    twin = Twin(kind, deadline=250.0)
    twin.script = [_trickling(twin, b'{"jobId": "' + shapes.VIDEO_JOBID.encode() + b'"}')]
    with pytest.raises(errors.UnknownOutcomeError, match="250 s deadline"):
        twin(create)
    assert twin.calls == 1
    reads = Twin(kind, deadline=250.0)
    reads.script = [_trickling(reads, b'{"x": "a long, slow reply body"}')]
    with pytest.raises(errors.APITimeoutError) as caught:
        reads(lambda c: c.accounts.list())
    assert caught.value.sent is True
    assert reads.calls == 2  # each slow attempt took 300 s: a third would pass the 600 s window


@pytest.mark.parametrize("kind", TWINS)
def test_every_attempt_carries_timeouts_capped_by_the_deadline(kind: str) -> None:
    twin = Twin(kind, [reply(200, {})], deadline=30.0, timeout=httpx.Timeout(5.0, read=120.0))
    twin(lambda c: c.accounts.list())
    timeout = twin.requests[0].extensions["timeout"]
    assert timeout == {"connect": 5.0, "read": 30.0, "write": 5.0, "pool": 5.0}
