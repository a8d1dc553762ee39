"""Parsed account, captcha and load-balancer results, read through a whitelist.

An account reply carries the Google account's cookies, its OAuth ``access_token`` and session
data: anything that stores or shows it could leak a live Google login. So these parsers copy
only named, harmless fields (email, health, plan, credits, project, model prices) and never keep
the raw body. Keys this version does not read are kept in ``extra`` (spec §7.1), but never the
known credential containers (and :func:`~flow_widgets.api._serde.unmodelled` hides any value
under a credential-like name, at any depth).
Captcha provider keys arrive masked by the server and are masked again here, in
case a server (or the simulator) ever sends one whole. Re-exported by
:mod:`flow_widgets.api.models`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, TypeVar

from flow_widgets.api._serde import (
    JsonModel,
    extra_field,
    first,
    json_float,
    json_int,
    json_list,
    json_object,
    json_str,
    json_strs,
    unmodelled,
)
from flow_widgets.api.catalog import Tier, tier_from_account

__all__ = [
    "Account",
    "AccountLoad",
    "AccountModel",
    "AccountSummary",
    "CaptchaProviders",
    "CaptchaStatRow",
    "CaptchaStats",
    "ExecutingJob",
    "FinishedJob",
    "JobsStats",
    "JobsStatsSection",
    "mask_key",
    "parse_account_list",
]

_SHOWN_KEY_CHARS = 5
T = TypeVar("T")


_ACCOUNT_KEYS = frozenset(
    {
        "email",
        "health",
        "error",
        "created",
        "project",
        "nextRefresh",
        "sessionData",
        "credits",
        "models",
        "cookies",
        "accountCookies",
        "sessionCookies",
        "access_token",
    }
)
"""What an account reply carries that :class:`Account` reads, or must never keep."""
_SUMMARY_KEYS = frozenset({"health", "error", "created", "project", "nextRefresh", "sessionData"})
_MODEL_KEYS = frozenset(
    {
        "key",
        "displayName",
        "creditCost",
        "videoGenerationTimeSeconds",
        "videoLengthSeconds",
        "framesPerSecond",
        "paygateTier",
        "supportedAspectRatios",
        "capabilities",
    }
)


def _frozen(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class AccountSummary(JsonModel):
    """One entry of ``GET /accounts``: is the account usable, and when does its session renew."""

    email: str
    health: str | None = None
    error: str | None = None
    created: str | None = None
    project_id: str | None = None
    project_title: str | None = None
    next_refresh: str | None = None
    session_expires: str | None = None
    extra: Mapping[str, Any] = extra_field()

    @property
    def healthy(self) -> bool:
        """True when the server reports ``health == "OK"``."""
        return self.health == "OK"

    @classmethod
    def from_api(cls, email: str, data: Mapping[str, Any]) -> AccountSummary:
        """Read one account entry (the list is keyed by email)."""
        return cls(email=email, **_common_fields(data), extra=unmodelled(data, _SUMMARY_KEYS))


def _common_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    session = json_object(data, "sessionData")
    expires = session.get("expires")
    return {
        "health": json_str(data, "health"),
        "error": json_str(data, "error"),
        "created": json_str(data, "created"),
        "project_id": json_str(json_object(data, "project"), "projectId"),
        "project_title": json_str(json_object(data, "project"), "projectTitle"),
        "next_refresh": json_str(json_object(data, "nextRefresh"), "scheduledFor"),
        "session_expires": str(expires) if isinstance(expires, (str, int, float)) else None,
    }


def parse_account_list(body: Mapping[str, Any]) -> tuple[AccountSummary, ...]:
    """Read ``GET /accounts`` (an object keyed by email; ``{}`` when there are none).

    A key that is not an email address (a field the API may add one day, such as a count) is
    not an account: it is skipped, never mistaken for one (spec §7.1).
    """
    return tuple(
        AccountSummary.from_api(email, data)
        for email, data in body.items()
        if isinstance(data, Mapping) and "@" in email
    )


@dataclass(frozen=True)
class AccountModel(JsonModel):
    """One video model the account's plan offers, with Google's own price and timing."""

    key: str
    display_name: str | None = None
    credit_cost: int | None = None
    generation_seconds: float | None = None
    video_length_seconds: float | None = None
    frames_per_second: int | None = None
    paygate_tier: str | None = None
    aspect_ratios: tuple[str, ...] = ()
    capabilities: tuple[str, ...] = ()
    extra: Mapping[str, Any] = extra_field()

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> AccountModel | None:
        """Read one ``models.videoModels[]`` entry (``None`` when it has no key)."""
        key = json_str(data, "key")
        if key is None:
            return None
        return cls(
            key=key,
            display_name=json_str(data, "displayName"),
            credit_cost=json_int(data, "creditCost"),
            generation_seconds=json_float(data, "videoGenerationTimeSeconds"),
            video_length_seconds=json_float(data, "videoLengthSeconds"),
            frames_per_second=json_int(data, "framesPerSecond"),
            paygate_tier=json_str(data, "paygateTier"),
            aspect_ratios=json_strs(data, "supportedAspectRatios"),
            capabilities=json_strs(data, "capabilities"),
            extra=unmodelled(data, _MODEL_KEYS),
        )


@dataclass(frozen=True)
class Account(JsonModel):
    """A Google Flow account (``POST /accounts``, ``GET /accounts/{email}``), whitelisted.

    Cookies, ``access_token`` and session data are never read into this object.

    Attributes:
        tier: the plan as a catalog :data:`~flow_widgets.api.catalog.Tier`, when recognisable.
        credits: Flow credits left (reported only while ``health`` is ``"OK"``).
        models: the video models the plan offers, with ``creditCost`` and timings.
        extra: keys this version does not read, credential-like values hidden. Not shown in
            HTML: the account card shows the named fields only.
    """

    email: str | None = None
    health: str | None = None
    error: str | None = None
    created: str | None = None
    project_id: str | None = None
    project_title: str | None = None
    next_refresh: str | None = None
    session_expires: str | None = None
    paygate_tier: str | None = None
    tier: Tier | None = None
    credits: int | None = None
    models: tuple[AccountModel, ...] = ()
    extra: Mapping[str, Any] = extra_field()

    @property
    def healthy(self) -> bool:
        """True when the server reports ``health == "OK"``."""
        return self.health == "OK"

    @classmethod
    def from_api(cls, body: Mapping[str, Any], *, email: str | None = None) -> Account:
        """Read an account reply; ``email`` is the address asked for, if the body masks it."""
        credits = json_object(body, "credits")
        models = tuple(
            model
            for entry in json_list(json_object(body, "models"), "videoModels")
            if isinstance(entry, Mapping) and (model := AccountModel.from_api(entry)) is not None
        )
        paygate = json_str(credits, "userPaygateTier")
        return cls(
            email=first(json_str(json_object(body, "sessionData", "user"), "email"), email),
            **_common_fields(body),
            paygate_tier=paygate,
            tier=tier_from_account(paygate, video_model_keys=[m.key for m in models]),
            credits=json_int(credits, "credits"),
            models=models,
            extra=unmodelled(body, _ACCOUNT_KEYS),
        )


def mask_key(value: str) -> str:
    """Show at most the first five characters of a provider key.

    A key the server already masked keeps its visible head; a whole key shows five characters
    only when it is long enough that five reveal little.

    Example:
        >>> mask_key("CAP-0123456789abcdef"), mask_key("abc12…"), mask_key("abc")
        ('CAP-0…', 'abc12…', '…')
    """
    head = value.split("…", 1)[0].split("*", 1)[0]
    already_masked = head != value
    shown = head[:_SHOWN_KEY_CHARS] if already_masked or len(value) > 2 * _SHOWN_KEY_CHARS else ""
    return f"{shown}…"


@dataclass(frozen=True)
class CaptchaProviders(JsonModel):
    """The configured captcha solvers (masked keys) and the free solves left."""

    keys: Mapping[str, str] = field(default_factory=lambda: _frozen({}), hash=False)
    free_captcha_credits: int | None = None

    @property
    def configured(self) -> tuple[str, ...]:
        """The names of the providers that have a key."""
        return tuple(self.keys)

    @classmethod
    def from_api(cls, body: Mapping[str, Any]) -> CaptchaProviders:
        """Read ``GET``/``POST /accounts/captcha-providers``."""
        keys = {
            name: mask_key(value)
            for name, value in body.items()
            if name != "freeCaptchaCredits" and isinstance(value, str) and value
        }
        return cls(keys=_frozen(keys), free_captcha_credits=json_int(body, "freeCaptchaCredits"))


@dataclass(frozen=True)
class CaptchaStatRow(JsonModel):
    """One captcha attempt in ``GET /accounts/captcha-stats``."""

    timestamp: str | None = None
    job_id: str | None = None
    provider: str | None = None
    route: str | None = None
    status_code: int | None = None
    status_text: str | None = None
    reason: str | None = None
    error: str | None = None
    tier: str | None = None
    sku: str | None = None
    captcha_duration_ms: int | None = None
    api_duration_ms: int | None = None
    attempt_number: int | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> CaptchaStatRow:
        """Read one ``data[]`` row."""
        return cls(
            timestamp=json_str(data, "timestamp"),
            job_id=json_str(data, "jobId"),
            provider=json_str(data, "provider"),
            route=json_str(data, "route"),
            status_code=json_int(data, "statusCode"),
            status_text=json_str(data, "statusText"),
            reason=json_str(data, "reason"),
            error=json_str(data, "error"),
            tier=json_str(data, "tier"),
            sku=json_str(data, "sku"),
            captcha_duration_ms=json_int(data, "captchaDurationMs"),
            api_duration_ms=json_int(data, "apiDurationMs"),
            attempt_number=json_int(data, "attemptNumber"),
        )


@dataclass(frozen=True)
class CaptchaStats(JsonModel):
    """Captcha statistics: per-provider success rates in ``summary`` and the raw ``rows``."""

    date: str | None = None
    total: int | None = None
    summary: Mapping[str, Any] = field(default_factory=lambda: _frozen({}), hash=False)
    rows: tuple[CaptchaStatRow, ...] = ()

    @property
    def success_rate_by_provider(self) -> Mapping[str, float]:
        """Percent of successful solves per provider, as reported by the server."""
        rates = self.summary.get("success_rate_by_provider")
        if not isinstance(rates, Mapping):
            return {}
        return {k: float(v) for k, v in rates.items() if isinstance(v, (int, float))}

    @classmethod
    def from_api(cls, body: Mapping[str, Any]) -> CaptchaStats:
        """Read ``GET /accounts/captcha-stats`` (the summary may be absent)."""
        return cls(
            date=json_str(body, "date"),
            total=json_int(body, "total"),
            summary=_frozen(json_object(body, "summary")),
            rows=tuple(
                CaptchaStatRow.from_api(row)
                for row in json_list(body, "data")
                if isinstance(row, Mapping)
            ),
        )


@dataclass(frozen=True)
class AccountLoad(JsonModel):
    """The load balancer's counters for one account over the last 15 minutes."""

    executing: int = 0
    completed: int = 0
    failed: int = 0
    rate_limited: int = 0
    avg_response_ms: float | None = None
    score: float | None = None

    @classmethod
    def from_api(cls, row: Mapping[str, Any]) -> AccountLoad:
        """Read one ``summary`` entry."""
        return cls(
            executing=json_int(row, "executing") or 0,
            completed=json_int(row, "completed") or 0,
            failed=json_int(row, "failed") or 0,
            rate_limited=json_int(row, "rateLimited") or 0,
            avg_response_ms=json_float(row, "avgResponseTime"),
            score=json_float(row, "score"),
        )


@dataclass(frozen=True)
class ExecutingJob(JsonModel):
    """A job running now (``options=executing``)."""

    email: str | None = None
    timestamp: int | None = None
    elapsed: str | None = None

    @classmethod
    def from_api(cls, row: Mapping[str, Any]) -> ExecutingJob:
        """Read one ``executing`` entry."""
        return cls(json_str(row, "email"), json_int(row, "timestamp"), json_str(row, "elapsed"))


@dataclass(frozen=True)
class FinishedJob(JsonModel):
    """A job finished in the last 15 minutes (``options=history``)."""

    email: str | None = None
    timestamp: int | None = None
    http_status: int | None = None
    response_ms: float | None = None

    @classmethod
    def from_api(cls, row: Mapping[str, Any]) -> FinishedJob:
        """Read one ``history`` entry."""
        return cls(
            email=json_str(row, "email"),
            timestamp=json_int(row, "timestamp"),
            http_status=json_int(row, "httpStatus"),
            response_ms=json_float(row, "responseTime"),
        )


@dataclass(frozen=True)
class JobsStatsSection(JsonModel):
    """The statistics of one kind of job (videos, images or both combined)."""

    summary: Mapping[str, AccountLoad] = field(default_factory=lambda: _frozen({}), hash=False)
    executing: Mapping[str, ExecutingJob] = field(default_factory=lambda: _frozen({}), hash=False)
    history: Mapping[str, FinishedJob] = field(default_factory=lambda: _frozen({}), hash=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> JobsStatsSection:
        """Read one of ``videos``, ``images`` or ``combined``."""
        return cls(
            summary=_keyed(data, "summary", AccountLoad.from_api),
            executing=_keyed(data, "executing", ExecutingJob.from_api),
            history=_keyed(data, "history", FinishedJob.from_api),
        )


def _keyed(
    data: Mapping[str, Any], key: str, parse: Callable[[Mapping[str, Any]], T]
) -> Mapping[str, T]:
    rows = json_object(data, key)
    return MappingProxyType({k: parse(v) for k, v in rows.items() if isinstance(v, Mapping)})


@dataclass(frozen=True)
class JobsStats(JsonModel):
    """``GET /jobs``: healthy accounts and the load balancer's view of running and recent jobs."""

    emails: tuple[str, ...] = ()
    videos: JobsStatsSection = field(default_factory=JobsStatsSection)
    images: JobsStatsSection = field(default_factory=JobsStatsSection)
    combined: JobsStatsSection = field(default_factory=JobsStatsSection)

    @classmethod
    def from_api(cls, body: Mapping[str, Any]) -> JobsStats:
        """Read the whole reply (``executing``/``history`` maps appear only when asked for)."""
        return cls(
            emails=json_strs(body, "emails"),
            videos=JobsStatsSection.from_api(json_object(body, "videos")),
            images=JobsStatsSection.from_api(json_object(body, "images")),
            combined=JobsStatsSection.from_api(json_object(body, "combined")),
        )
