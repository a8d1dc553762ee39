"""Account, captcha and job-statistics requests (spec §3.1, §3.5, §3.7, §3.24).

Two of these carry secrets -- browser cookies and captcha-solver API keys -- so their reprs
never show them; the rest are query strings whose values the API restricts to short lists.
``to_payload()`` of a GET request is its query parameters. Pure: no I/O.

Example:
    >>> SetCaptchaProviders({"CapSolver": "CAP-123"})
    SetCaptchaProviders(providers=['CapSolver'])
    >>> CaptchaStatsQuery(limit=100, provider="CapSolver").to_payload()
    {'limit': 100, 'provider': 'CapSolver'}
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, ClassVar

from flow_widgets.api._retry import Safety
from flow_widgets.api.models import Account, CaptchaProviders, CaptchaStats, JobsStats
from flow_widgets.api.requests._base import FlowRequest, Reply
from flow_widgets.api.requests._captcha import CAPTCHA_PROVIDERS
from flow_widgets.api.requests._evidence import breach, refuse
from flow_widgets.api.requests._fields import Field, Scalar, coerce, fail

__all__ = [
    "STATS_PROVIDERS",
    "AddAccount",
    "CaptchaStatsQuery",
    "JobsQuery",
    "SetCaptchaProviders",
]

#: ``provider`` values of ``GET /accounts/captcha-stats``: every solver plus your own tokens.
STATS_PROVIDERS: tuple[str, ...] = (*CAPTCHA_PROVIDERS, "UserProvided")
JOBS_OPTIONS: tuple[str, ...] = ("summary", "executing", "history")


@dataclass(frozen=True, repr=False)
class AddAccount(FlowRequest):
    """A validated ``POST /accounts`` body: a Google account's cookies, as DevTools copies them
    (a tab-separated table). The cookies are a login; ``repr`` shows only their size."""

    method: ClassVar[str] = "POST"
    path: ClassVar[str] = "/accounts"
    reply: ClassVar[type[Reply] | None] = Account
    safety: ClassVar[Safety] = Safety.IDEMPOTENT
    _fields: ClassVar[tuple[Field, ...]] = (Scalar("cookies", "cookies"),)

    cookies: str

    def _validate(self) -> None:
        if not self.cookies.strip():
            raise refuse(
                "cookies-table",
                "cookies",
                "cookies is empty; paste the cookie table from DevTools.",
            )
        if "\t" not in self.cookies:
            raise refuse(
                "cookies-table",
                "cookies",
                "cookies is not a tab-separated table; copy the rows from DevTools' "
                "Application > Cookies view.",
            )

    def __repr__(self) -> str:
        return f"AddAccount(cookies=<{len(self.cookies)} characters hidden>)"


class _ProviderKeys:
    """Provider-named body keys (``CapSolver``, ``2Captcha``…) gathered into one mapping."""

    attr = "providers"

    def check(self, value: Any) -> Mapping[str, str]:
        if not isinstance(value, Mapping):
            raise fail("providers", "providers must map solver names to API keys.")
        return MappingProxyType(dict(value))

    def dump(self, value: Mapping[str, str], out: dict[str, Any]) -> None:
        out.update(value)

    def load(self, data: dict[str, Any], kwargs: dict[str, Any]) -> None:
        found = {
            name: coerce(data.pop(name), str, name) for name in CAPTCHA_PROVIDERS if name in data
        }
        kwargs["providers"] = found

    def names(self) -> str:
        return ", ".join(CAPTCHA_PROVIDERS)


@dataclass(frozen=True, repr=False)
class SetCaptchaProviders(FlowRequest):
    """A validated ``POST /accounts/captcha-providers`` body: solver name -> API key.

    An empty key removes that solver. Keys are secrets: ``repr`` lists only the solver names.
    """

    method: ClassVar[str] = "POST"
    path: ClassVar[str] = "/accounts/captcha-providers"
    reply: ClassVar[type[Reply] | None] = CaptchaProviders
    safety: ClassVar[Safety] = Safety.IDEMPOTENT
    _fields: ClassVar[tuple[Field, ...]] = (_ProviderKeys(),)

    providers: Mapping[str, str]

    def _validate(self) -> None:
        if not self.providers:
            raise refuse(
                "providers-required",
                "providers",
                f"providers is empty; set at least one of {', '.join(CAPTCHA_PROVIDERS)}.",
            )
        for name, key in self.providers.items():
            if name not in CAPTCHA_PROVIDERS:  # an open set (spec §7.1): sent with a warning
                breach(
                    "known-captcha-provider",
                    name,
                    f"{name} is not a captcha provider this version knows "
                    f"({', '.join(CAPTCHA_PROVIDERS)})",
                )
            if not isinstance(key, str):
                raise fail(name, f"{name} must be the solver's API key as text ('' removes it).")

    def __repr__(self) -> str:
        return f"SetCaptchaProviders(providers={sorted(self.providers)!r})"


@dataclass(frozen=True)
class CaptchaStatsQuery(FlowRequest):
    """Validated query of ``GET /accounts/captcha-stats``.

    ``date`` is ``YYYY-MM-DD`` (a real day); ``limit`` 1-50000 takes the most recent records and
    makes the API ignore ``date``; ``anonymized`` aggregates over all users.
    """

    method: ClassVar[str] = "GET"
    path: ClassVar[str] = "/accounts/captcha-stats"
    reply: ClassVar[type[Reply] | None] = CaptchaStats
    safety: ClassVar[Safety] = Safety.IDEMPOTENT
    _fields: ClassVar[tuple[Field, ...]] = (
        Scalar("date", "date"),
        Scalar("limit", "limit", int),
        Scalar("provider", "provider"),
        Scalar("anonymized", "anonymized", bool),
    )

    date: str | None = None
    limit: int | None = None
    provider: str | None = None
    anonymized: bool | None = None

    def _validate(self) -> None:
        if self.date is not None:
            try:
                parsed = dt.date.fromisoformat(self.date)
            except ValueError:
                parsed = None
            if parsed is None or len(self.date) != 10:
                raise refuse(
                    "stats-date-format", "date", f"date {self.date!r} is not a day; use YYYY-MM-DD."
                )
        if self.limit is not None and not 1 <= self.limit <= 50000:
            raise refuse(
                "stats-limit-range", "limit", f"limit {self.limit} is out of range; use 1 to 50000."
            )
        if self.provider is not None and self.provider not in STATS_PROVIDERS:
            # An open set (spec §7.1): a new solver is sent.
            breach(
                "known-captcha-provider",
                "provider",
                f"provider {self.provider!r} is not one this version knows "
                f"({', '.join(STATS_PROVIDERS)})",
            )


@dataclass(frozen=True)
class JobsQuery(FlowRequest):
    """Validated query of ``GET /jobs``: ``options`` summary (default), executing or history."""

    method: ClassVar[str] = "GET"
    path: ClassVar[str] = "/jobs"
    reply: ClassVar[type[Reply] | None] = JobsStats
    safety: ClassVar[Safety] = Safety.IDEMPOTENT
    _fields: ClassVar[tuple[Field, ...]] = (Scalar("options", "options"),)

    options: str | None = None

    def _validate(self) -> None:
        if self.options is not None and self.options not in JOBS_OPTIONS:
            raise refuse(
                "jobs-options",
                "options",
                f"options {self.options!r} is unknown; use summary, executing or history.",
            )
