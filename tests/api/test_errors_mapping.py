"""Status + body -> the right error class, reason, retry-after and a message that says what next."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from flow_widgets import errors
from flow_widgets.api._error_mapping import error_message, error_reason, map_error

GOOGLE_400 = {
    "error": {
        "code": 400,
        "message": "Request contains an invalid argument.",
        "status": "INVALID_ARGUMENT",
        "details": [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "PUBLIC_ERROR_UNSAFE_GENERATION",
            }
        ],
    }
}


def _google_429(reason: str) -> dict[str, Any]:
    return {
        "error": {
            "code": 429,
            "message": "Resource has been exhausted.",
            "status": "RESOURCE_EXHAUSTED",
            "details": [{"reason": reason}],
        }
    }


NO_ELIGIBLE = {
    "error": "no_eligible_account",
    "message": "All accounts are temporarily rate limited.",
    "retryAfter": "2026-06-01T12:05:00.000Z",
    "skipReasons": [
        {
            "email": "jo***@gmail.com",
            "reason": "PUBLIC_ERROR_PER_MODEL_DAILY_QUOTA_REACHED",
            "model": "*",
        }
    ],
}


@pytest.mark.parametrize(
    ("status", "body", "cls"),
    [
        (400, {"error": "Parameter email is required"}, errors.BadRequestError),
        (400, GOOGLE_400, errors.ContentPolicyError),
        (401, {"error": "Unauthorized"}, errors.AuthenticationError),
        (402, {"error": "Subscription expired"}, errors.InsufficientCreditsError),
        (403, {"error": "captcha_quality: rejected"}, errors.CaptchaRejectedError),
        (403, {"error": "PUBLIC_ERROR_MODEL_ACCESS_DENIED"}, errors.PermissionDeniedError),
        (404, {"error": "Google Flow account a@b.c not found"}, errors.NotFoundError),
        (408, {"error": "Polling timeout"}, errors.RequestTimeoutError),
        (410, {"error": "Job expired"}, errors.JobExpiredError),
        (429, _google_429("PUBLIC_ERROR_USER_REQUESTS_THROTTLED"), errors.ThrottledError),
        (
            429,
            _google_429("PUBLIC_ERROR_UNUSUAL_ACTIVITY_TOO_MUCH_TRAFFIC"),
            errors.ThrottledError,
        ),
        (429, _google_429("PUBLIC_ERROR_USER_QUOTA_REACHED"), errors.QuotaExceededError),
        (
            429,
            _google_429("PUBLIC_ERROR_PER_MODEL_DAILY_QUOTA_REACHED"),
            errors.QuotaExceededError,
        ),
        (429, NO_ELIGIBLE, errors.NoEligibleAccountError),
        (429, {"error": "Too many requests"}, errors.ThrottledError),
        (500, {"error": "API error: 500"}, errors.ServerError),
        (502, "<html>Bad gateway</html>", errors.ServerError),
        (503, {"error": "Service unavailable"}, errors.ServiceUnavailableError),
        (
            503,
            {"error": "Captcha service failed: ERROR_ZERO_BALANCE", "code": 503},
            errors.CaptchaServiceError,
        ),
        (596, {"error": "Session refresh failed"}, errors.SessionBrokenError),
        (418, {"error": "teapot"}, errors.BadRequestError),
    ],
)
def test_status_and_body_map_to_the_documented_class(status: int, body: Any, cls: type) -> None:
    error = map_error(status, body, {})
    assert type(error) is cls
    assert error.status_code == status
    assert error.body == body
    assert f"HTTP {status}" in str(error)


def test_every_mapped_message_says_what_to_do_next() -> None:
    cases = {
        400: "fix the named field",
        401: "USEAPI_TOKEN",
        402: "top up",
        404: "check the email",
        408: "async mode",
        596: "re-add",
    }
    for status, advice in cases.items():
        assert advice in str(map_error(status, {"error": "x"}))
    assert "rephrase" in str(map_error(400, GOOGLE_400))
    assert "captcha providers" in str(map_error(403, {"error": "captcha_quality: low"}))
    assert "balance" in str(map_error(503, {"error": "Captcha service failed: X"}))


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"error": "plain text"}, "plain text"),
        (
            {"error": {"code": 500, "message": "Internal error encountered."}},
            "Internal error encountered.",
        ),
        (
            {"message": "All accounts are temporarily rate limited."},
            "All accounts are temporarily rate limited.",
        ),
        ({"response": {"error": {"message": "nested"}}}, "nested"),
        ({"error": "outer", "response": {"error": {"message": "inner"}}}, "outer"),
        ("  text body  ", "text body"),
        ({"unrelated": 1}, None),
        ([1, 2], None),
    ],
)
def test_error_message_is_found_wherever_the_server_put_it(body: Any, expected: str | None) -> None:
    assert error_message(body) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (GOOGLE_400, "PUBLIC_ERROR_UNSAFE_GENERATION"),
        (NO_ELIGIBLE, "no_eligible_account"),
        (
            {"error": "captcha_quality: PUBLIC_ERROR_UNUSUAL_ACTIVITY"},
            "PUBLIC_ERROR_UNUSUAL_ACTIVITY",
        ),
        ({"error": "x", "response": {"error": {"details": [{"reason": "R"}]}}}, "R"),
        ({"reason": "PUBLIC_ERROR_USER_QUOTA_REACHED"}, "PUBLIC_ERROR_USER_QUOTA_REACHED"),
        ({"error": "nothing to see"}, None),
    ],
)
def test_error_reason(body: Any, expected: str | None) -> None:
    assert error_reason(body) == expected


def test_retry_after_header_in_seconds_wins_over_the_body() -> None:
    error = map_error(429, NO_ELIGIBLE, {"Retry-After": "42"})
    assert isinstance(error, errors.RateLimitError)
    assert error.retry_after == 42.0
    assert error.reason == "no_eligible_account"
    assert "42 s" in str(error)


def test_retry_after_http_date_header_and_iso_body() -> None:
    now = datetime(2026, 6, 1, 12, 0, 0, tzinfo=timezone.utc)
    dated = map_error(
        429, _google_429("X_THROTTLED"), {"retry-after": "Mon, 01 Jun 2026 12:00:10 GMT"}, now=now
    )
    assert isinstance(dated, errors.RateLimitError) and dated.retry_after == 10.0
    from_body = map_error(429, NO_ELIGIBLE, {}, now=now)
    assert isinstance(from_body, errors.RateLimitError) and from_body.retry_after == 300.0


def test_a_broken_retry_after_does_not_hide_the_error() -> None:
    error = map_error(429, _google_429("PUBLIC_ERROR_USER_QUOTA_REACHED"), {"Retry-After": "soon"})
    assert isinstance(error, errors.QuotaExceededError)
    assert error.retry_after is None


def test_long_server_messages_are_clipped() -> None:
    error = map_error(400, {"error": "x" * 5000})
    assert len(str(error)) < 500
