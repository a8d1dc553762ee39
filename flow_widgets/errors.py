"""One exception tree for everything flow_widgets raises.

Every error a user can meet derives from :class:`FlowError`, and every message says what to do
next. The tree::

    FlowError
    ├── ConfigError                  no token, bad base URL, unusable settings
    ├── ValidationError (ValueError) a request broke an API rule; nothing was sent
    ├── BudgetExceededError          the session budget would be exceeded; nothing was sent
    ├── APIError                     something went wrong talking to the API
    │   ├── APIConnectionError       the request did not complete (``sent`` says if it may have
    │   │   │                        reached the server)
    │   │   └── APITimeoutError
    │   ├── UnknownOutcomeError      a paid POST was sent and its fate is unknown; never resent,
    │   │                            reconciled through ``GET /jobs`` instead
    │   └── APIStatusError           the server answered with an error status
    │       ├── BadRequestError          400 (validation on the server's side)
    │       │   └── ContentPolicyError   400 with a Google ``PUBLIC_ERROR_*`` refusal
    │       ├── AuthenticationError      401
    │       ├── InsufficientCreditsError 402
    │       ├── PermissionDeniedError    403
    │       │   └── CaptchaRejectedError 403 ``captcha_quality: …``
    │       ├── NotFoundError            404
    │       ├── RequestTimeoutError      408 (the server's own sync polling gave up)
    │       ├── JobExpiredError          410
    │       ├── RateLimitError           429 (``reason``, ``retry_after``)
    │       │   ├── ThrottledError           PUBLIC_ERROR_USER_REQUESTS_THROTTLED, too much traffic
    │       │   ├── QuotaExceededError       daily/user quota reasons (not retried)
    │       │   └── NoEligibleAccountError   useapi's load balancer found no account
    │       └── ServerError              5xx
    │           ├── ServiceUnavailableError  503
    │           │   └── CaptchaServiceError  503 ``Captcha service failed: …``
    │           └── SessionBrokenError       596: re-add the Google account
    ├── JobError                     a job ended badly (carries the job)
    │   ├── JobFailedError
    │   └── JobTimeoutError
    └── DownloadError                a media file could not be saved (the ``.part`` is kept)
        ├── DiskFullError            ENOSPC/EDQUOT: free space, then resume
        └── MediaExpiredError        the signed URL is refused even after one refresh

Messages never contain the API token: the client keeps it in a ``Secret`` (``api/_config.py``)
and masks it out of any server text or transport exception before building an error.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "BudgetExceededError",
    "CaptchaRejectedError",
    "CaptchaServiceError",
    "ConfigError",
    "ContentPolicyError",
    "DiskFullError",
    "DownloadError",
    "EngineClosedError",
    "EngineError",
    "EngineThreadError",
    "FlowError",
    "InsufficientCreditsError",
    "JobError",
    "JobExpiredError",
    "JobFailedError",
    "JobTimeoutError",
    "MediaExpiredError",
    "ModelBlocked",
    "NoEligibleAccountError",
    "NotFoundError",
    "NotSent",
    "PermissionDeniedError",
    "QuotaExceededError",
    "RateLimitError",
    "RequestTimeoutError",
    "ServerError",
    "ServiceUnavailableError",
    "SessionBrokenError",
    "ThrottledError",
    "UnknownOutcomeError",
    "UnknownPriceError",
    "ValidationError",
]


class FlowError(Exception):
    """Root of every error raised by flow_widgets."""


class ConfigError(FlowError):
    """Settings are missing or unusable (for example no API token)."""


class ValidationError(FlowError, ValueError):
    """A request broke a rule of the API; it was refused before anything was sent.

    Attributes:
        field: the API-facing name of the offending field (``"duration"``, ``"referenceImage_4"``).
        rule: the named rule that refused, if any (its evidence and source are in ``RULES``).
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        #: The name of the rule that refused (see ``flow_widgets.api.requests._evidence``),
        #: when the refusal comes from a named rule.
        self.rule: str | None = None


class UnknownPriceError(ValidationError):
    """No price is known for a request (a model newer than the catalog) and a budget needs one.

    Refused only while a budget is set and no ceiling (``max_credits=``) was stated: a budget is
    a promise, so spending an unknown amount under it is the one place §7.1 does not apply.
    """


class BudgetExceededError(FlowError):
    """A submission would spend more credits than the session budget allows; nothing was sent."""

    def __init__(self, message: str, *, cost: int, remaining: int) -> None:
        super().__init__(message)
        self.cost = cost
        self.remaining = remaining


class APIError(FlowError):
    """Talking to the API failed."""


class APIConnectionError(APIError):
    """The request did not complete.

    Attributes:
        sent: ``False`` when the request certainly never reached the server (safe to retry),
            ``True`` when it may have.
    """

    def __init__(self, message: str, *, sent: bool = False) -> None:
        super().__init__(message)
        self.sent = sent


class APITimeoutError(APIConnectionError):
    """The request timed out."""


class UnknownOutcomeError(APIError):
    """A paid request was sent but whether the server accepted it is unknown.

    It is never resent automatically: the caller reconciles through ``GET /jobs``.
    """

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class APIStatusError(APIError):
    """The server answered with an error status.

    Attributes:
        status_code: the HTTP status.
        reason: a machine-readable reason when the server gave one (``PUBLIC_ERROR_…``).
        body: the decoded error body (already scrubbed of secrets).
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        reason: str | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.reason = reason
        self.body = body


class BadRequestError(APIStatusError):
    """400: the server refused the request's content."""


class ContentPolicyError(BadRequestError):
    """400 with a Google content refusal; rephrasing or one plain retry often clears it."""


class AuthenticationError(APIStatusError):
    """401: the API token was refused."""


class InsufficientCreditsError(APIStatusError):
    """402: no paid plan, an expired subscription, or not enough Flow credits."""


class PermissionDeniedError(APIStatusError):
    """403: the request was refused (plan lacks the model, another user's reference, …)."""


class CaptchaRejectedError(PermissionDeniedError):
    """403 ``captcha_quality:``: Google rejected every captcha token."""


class NotFoundError(APIStatusError):
    """404: account, job, media, voice or character not found."""


class RequestTimeoutError(APIStatusError):
    """408: the server's synchronous polling gave up."""


class JobExpiredError(APIStatusError):
    """410: the job has left the server's registry."""


class RateLimitError(APIStatusError):
    """429: throttled or out of quota.

    Attributes:
        retry_after: seconds to wait, from ``Retry-After`` or ``retryAfter``, when given.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int = 429,
        reason: str | None = None,
        body: Any = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, status_code=status_code, reason=reason, body=body)
        self.retry_after = retry_after


class ThrottledError(RateLimitError):
    """429 that clears by itself: per-account concurrency or captcha traffic."""


class QuotaExceededError(RateLimitError):
    """429 quota reason: the account or model is out of quota until a reset."""


class NoEligibleAccountError(RateLimitError):
    """429 ``no_eligible_account``: every account is quarantined."""


class ServerError(APIStatusError):
    """5xx: the server or Google failed."""


class ServiceUnavailableError(ServerError):
    """503: Google or a captcha provider is temporarily unavailable."""


class CaptchaServiceError(ServiceUnavailableError):
    """503 ``Captcha service failed:``: the captcha provider failed (outage, zero balance)."""


class SessionBrokenError(ServerError):
    """596: the Google session broke and could not be refreshed; re-add the account."""


class JobError(FlowError):
    """A job ended without the result that was asked for.

    Attributes:
        job: the job (a runtime handle or a parsed ``Job``).
    """

    def __init__(self, message: str, *, job: Any = None) -> None:
        super().__init__(message)
        self.job = job


class JobFailedError(JobError):
    """The job failed on the server."""


class JobTimeoutError(JobError):
    """Waiting exceeded the deadline; the job may still finish and can be re-attached."""

    def __init__(self, message: str, *, job: Any = None, waited: float = 0.0) -> None:
        super().__init__(message, job=job)
        self.waited = waited


class DownloadError(FlowError):
    """A finished media file could not be saved; what was fetched stays in ``<name>.part``.

    Attributes:
        path: the final path the file was meant to reach.
    """

    def __init__(self, message: str, *, path: Any = None) -> None:
        super().__init__(message)
        self.path = path


class DiskFullError(DownloadError):
    """The disk or quota ran out mid-download; free space and resume (nothing is re-bought).

    Attributes:
        needed_bytes: bytes still missing when the write failed, when known.
    """

    def __init__(self, message: str, *, path: Any = None, needed_bytes: int | None = None) -> None:
        super().__init__(message, path=path)
        self.needed_bytes = needed_bytes


class MediaExpiredError(DownloadError):
    """The media host refused the signed URL (403/404/410) even after one refresh from the job."""

    def __init__(self, message: str, *, path: Any = None, status_code: int | None = None) -> None:
        super().__init__(message, path=path)
        self.status_code = status_code


# -- the runtime's own refusals ---------------------------------------------------------------


class EngineError(FlowError, RuntimeError):
    """The background engine cannot run the work it was handed."""


class EngineThreadError(EngineError):
    """A blocking call was made from the engine's own thread, where it would deadlock."""


class EngineClosedError(EngineError):
    """Work was handed to an engine that has been shut down."""


class NotSent(FlowError):
    """The job was not sent: withdrawn (a stopped batch), or no account can take it."""


class ModelBlocked(NotSent):
    """Every open account is out of its daily quota for this job's model (others may run)."""
