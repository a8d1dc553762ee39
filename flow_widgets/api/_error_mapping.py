"""Turn an error reply (status, headers, body) into the right class of the error tree.

The API answers errors in several shapes: a useapi string (``{"error": "…"}``), a Google object
(``{"error": {"code", "message", "status", "details": [{"reason"}]}}``), a Google object nested
under ``response.error``, or a load-balancer body with ``message``/``retryAfter``. This module
reads all of them, picks the class from the status plus the reason or message prefix, and writes
a message that says what to do next. It is pure: no I/O, and every text it stores has already
been scrubbed of the API token by the caller.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flow_widgets.api._retry import parse_retry_after
from flow_widgets.errors import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    CaptchaRejectedError,
    CaptchaServiceError,
    ContentPolicyError,
    InsufficientCreditsError,
    JobExpiredError,
    NoEligibleAccountError,
    NotFoundError,
    PermissionDeniedError,
    QuotaExceededError,
    RateLimitError,
    RequestTimeoutError,
    ServerError,
    ServiceUnavailableError,
    SessionBrokenError,
    ThrottledError,
)

__all__ = ["error_message", "error_reason", "map_error", "retry_after_of"]

CAPTCHA_REJECTED_PREFIX = "captcha_quality:"
CAPTCHA_SERVICE_PREFIX = "Captcha service failed:"
NO_ELIGIBLE_ACCOUNT = "no_eligible_account"
QUOTA_REASONS = frozenset(
    {"PUBLIC_ERROR_USER_QUOTA_REACHED", "PUBLIC_ERROR_PER_MODEL_DAILY_QUOTA_REACHED"}
)
_MAX_MESSAGE = 300


def error_message(body: Any) -> str | None:
    """The human message of an error body, from whichever place the server put it.

    Looks at ``error`` (a string), ``error.message``, ``message`` and ``response.error`` in that
    order. A plain-text body is its own message.

    Example:
        >>> error_message({"error": {"code": 400, "message": "Invalid argument."}})
        'Invalid argument.'
    """
    if isinstance(body, str):
        return body.strip() or None
    if not isinstance(body, Mapping):
        return None
    error = body.get("error")
    if isinstance(error, str) and error.strip():
        return error.strip()
    if isinstance(error, Mapping):
        message = error.get("message")
        if isinstance(message, str) and message.strip():
            return message.strip()
    message = body.get("message")
    if isinstance(message, str) and message.strip():
        return message.strip()
    response = body.get("response")
    if isinstance(response, Mapping):
        return error_message({"error": response.get("error")})
    return None


def error_reason(body: Any) -> str | None:
    """A machine-readable reason: Google's ``details[].reason``, ``reason`` or a useapi code.

    Example:
        >>> error_reason({"error": {"details": [{"reason": "PUBLIC_ERROR_USER_QUOTA_REACHED"}]}})
        'PUBLIC_ERROR_USER_QUOTA_REACHED'
    """
    if not isinstance(body, Mapping):
        return None
    for holder in _error_objects(body):
        details = holder.get("details")
        if isinstance(details, list):
            for detail in details:
                if isinstance(detail, Mapping) and isinstance(detail.get("reason"), str):
                    return str(detail["reason"])
        if isinstance(holder.get("reason"), str) and holder["reason"]:
            return str(holder["reason"])
    error = body.get("error")
    if error == NO_ELIGIBLE_ACCOUNT:
        return NO_ELIGIBLE_ACCOUNT
    if isinstance(error, str):
        for word in error.replace(":", " ").replace(",", " ").split():
            if word.startswith("PUBLIC_ERROR_"):
                return word
    return None


def _error_objects(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found: list[Mapping[str, Any]] = [body]
    error = body.get("error")
    if isinstance(error, Mapping):
        found.append(error)
    response = body.get("response")
    if isinstance(response, Mapping) and isinstance(response.get("error"), Mapping):
        found.append(response["error"])
    return found


def retry_after_of(
    headers: Mapping[str, str], body: Any, *, now: datetime | None = None
) -> float | None:
    """Seconds the server asked us to wait: the ``Retry-After`` header, else ``retryAfter``."""
    for key, value in headers.items():
        if key.lower() == "retry-after":
            parsed = parse_retry_after(value, now=now)
            if parsed is not None:
                return parsed
    if isinstance(body, Mapping) and isinstance(body.get("retryAfter"), str):
        return parse_retry_after(body["retryAfter"], now=now)
    return None


def map_error(
    status: int,
    body: Any,
    headers: Mapping[str, str] | None = None,
    *,
    now: datetime | None = None,
) -> APIStatusError:
    """The error for an error reply, with a message that says what to do next.

    Args:
        status: the HTTP status (>= 400).
        body: the decoded JSON body, or the text when it was not JSON (already scrubbed).
        headers: the reply headers (for ``Retry-After``).
        now: the current time, for ``Retry-After`` dates (injected by tests).

    Example:
        >>> body = {"error": {"details": [{"reason": "PUBLIC_ERROR_USER_QUOTA_REACHED"}]}}
        >>> type(map_error(429, body)).__name__
        'QuotaExceededError'
    """
    message = _clip(error_message(body) or f"HTTP {status}")
    reason = error_reason(body)
    if status == 429:
        return _rate_limit_error(
            message, reason, body, retry_after_of(headers or {}, body, now=now)
        )
    cls, advice = _status_class(status, message, reason)
    text = f"{advice} (HTTP {status}: {message})"
    return cls(text, status_code=status, reason=reason, body=body)


def _status_class(
    status: int, message: str, reason: str | None
) -> tuple[type[APIStatusError], str]:
    if status == 400 and reason is not None and reason.startswith("PUBLIC_ERROR_"):
        return ContentPolicyError, (
            f"Google refused the request ({reason}); rephrase the prompt or submit once more, "
            "since moderation decisions vary"
        )
    if status == 403 and message.startswith(CAPTCHA_REJECTED_PREFIX):
        return CaptchaRejectedError, (
            "Google rejected every captcha token; wait a minute, raise Captcha(retry=...) "
            "or add captcha providers"
        )
    if status == 503 and message.startswith(CAPTCHA_SERVICE_PREFIX):
        return CaptchaServiceError, (
            "The captcha provider failed; check its balance with client.captcha.get_providers() "
            "or add another provider"
        )
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if status >= 500:
        return ServerError, "The server failed; try again later or with another model"
    if 400 <= status < 500:
        return BadRequestError, "The API refused the request; fix the named field and send again"
    return APIStatusError, "The API answered with an unexpected status; try again later"


_BY_STATUS: dict[int, tuple[type[APIStatusError], str]] = {
    400: (BadRequestError, "The API refused the request; fix the named field and send again"),
    401: (
        AuthenticationError,
        "The API token was refused; check USEAPI_TOKEN (it looks like user:<number>-<letters>)",
    ),
    402: (
        InsufficientCreditsError,
        "Not enough credits or no paid plan; top up the Google account or renew the useapi.net "
        "subscription",
    ),
    403: (
        PermissionDeniedError,
        "The request was refused; check that the account's plan offers this model and that "
        "every reference belongs to you",
    ),
    404: (NotFoundError, "Not found; check the email, job id or reference"),
    408: (
        RequestTimeoutError,
        "The server stopped waiting for the result; submit in async mode and poll the job",
    ),
    410: (JobExpiredError, "The job has expired on the server; its result can no longer be read"),
    503: (
        ServiceUnavailableError,
        "Google is temporarily unavailable; try again in a minute, with fewer references",
    ),
    596: (
        SessionBrokenError,
        "The Google session of this account broke; re-add it with client.accounts.delete(email) "
        "and client.accounts.add(cookies)",
    ),
}


def _rate_limit_error(
    message: str, reason: str | None, body: Any, retry_after: float | None
) -> RateLimitError:
    wait = f"{retry_after:.0f} s" if retry_after is not None else "a while"
    cls: type[RateLimitError]
    if reason == NO_ELIGIBLE_ACCOUNT:
        cls = NoEligibleAccountError
        advice = f"Every account is temporarily rate limited; try again in {wait}"
    elif reason == "PUBLIC_ERROR_USER_QUOTA_REACHED":
        # C8 ([D:jobs] Jun 15 2026): the user quota cools down in about 30 minutes.
        cls = QuotaExceededError
        advice = (
            "The account reached its quota; wait about 30 minutes, or switch account"
            if retry_after is None
            else f"The account reached its quota; wait {wait}, or switch account"
        )
    elif reason is not None and (reason in QUOTA_REASONS or "QUOTA" in reason):
        # Only the per-model daily quota waits for the next UTC midnight (C8).
        cls = QuotaExceededError
        advice = (
            "The account is out of quota for this model; switch model or account, or wait "
            "for the reset (UTC midnight)"
        )
    else:
        cls = ThrottledError
        advice = f"Google is throttling this account; wait {wait} or run fewer jobs at once"
    label = f"HTTP 429 {reason}" if reason else "HTTP 429"
    return cls(
        f"{advice} ({label}: {message})",
        reason=reason,
        body=body,
        retry_after=retry_after,
    )


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 1] + "…"
