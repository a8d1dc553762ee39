"""The captcha desk: solver keys, free solves, simulated solving, and captcha-stats.

Google Flow wants a reCAPTCHA token per generation; useapi buys them from solver services
(spec §1.6, §3.5-§3.7). The simulator keeps the same bookkeeping so clients can test what they
show and how they react:

* ``POST/GET /accounts/captcha-providers`` keys (masked when shown; an empty string removes one);
* 300 free solves (C7, ~Oct 2026) while no provider is configured (``freeCaptchaCredits``);
* each generation makes up to ``captchaRetry`` attempts (default 3) cycling through the providers
  (or ``captchaOrder``, or one attempt with the caller's ``captchaToken``). An attempt can fail
  because the provider is down (``captcha_outage_rate``) or because Google scores the token low
  (``captcha_reject_rate``); when every attempt fails the request gets ``503 Captcha service
  failed: …`` or ``403 captcha_quality: …`` after the last one;
* every attempt becomes a captcha-stats row, completed with the status the request ended with.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flow_widgets.api.catalog import Tier
from flow_widgets.api.requests import CAPTCHA_PROVIDERS
from flow_widgets.simulator.accounts import PAYGATE, SKU
from flow_widgets.simulator.clock import iso_time, utc_date
from flow_widgets.simulator.http import HttpError

if TYPE_CHECKING:
    from flow_widgets.api.requests import Captcha

__all__ = ["PROVIDERS", "CaptchaDesk", "CaptchaTicket"]

#: Default cycling order (aibot snapshot, June 2026): the order of the client's list.
PROVIDERS = CAPTCHA_PROVIDERS
_PROVIDERS_BY_LOWER = {name.lower(): name for name in PROVIDERS}
_DEFAULT_RETRY = 3
_ROW_LIMIT = 50_000
_TIER_NAMES = {
    "PAYGATE_TIER_TWO": "Ultra",
    "PAYGATE_TIER_ONE": "Pro",
    "PAYGATE_TIER_NOT_PAID": "Free",
}
_SKU_NAMES = {
    "G1_TIER2": "Ultra $199",
    "G1_TIER2_100": "Ultra $99",
    "G1_TIER1": "Pro",
    "G1_TIER1P5": "Plus",
    "FREE": "Free",
}


def mask(key: str) -> str:
    """Show the first five characters of a solver key, as the API does."""
    return f"{key[:5]}…"


@dataclass
class CaptchaTicket:
    """The attempts of one solve; :meth:`settle` records how the request then ended."""

    rows: list[dict[str, Any]]
    json: dict[str, Any]
    settled: bool = field(default=False)

    def settle(self, status: int, reason: str = "", error: str = "") -> None:
        if self.settled or not self.rows:
            return
        last = self.rows[-1]
        last.update(statusCode=status, reason=reason, error=error)
        last["statusText"] = "OK" if status < 400 else "ERROR"
        self.settled = True


class CaptchaDesk:
    """Solver configuration, free credits, simulated solves and their statistics."""

    def __init__(
        self, rng: random.Random, *, free_credits: int, reject_rate: float, outage_rate: float
    ) -> None:
        self._rng = rng
        self.keys: dict[str, str] = {}
        self.free_credits = free_credits
        self.reject_rate = reject_rate
        self.outage_rate = outage_rate
        self.rows: deque[dict[str, Any]] = deque(maxlen=_ROW_LIMIT)

    def __repr__(self) -> str:  # keys stay out of reprs
        return f"CaptchaDesk(providers={sorted(self.keys)}, free={self.free_credits})"

    # ----------------------------------------------------------------- providers

    def configure(self, updates: Mapping[str, Any]) -> None:
        """Set solver keys; an empty string removes one.

        Raises:
            HttpError: 400 naming an unknown provider or a value that is not text.
        """
        for name, value in updates.items():
            canonical = _PROVIDERS_BY_LOWER.get(str(name).lower())
            if canonical is None:
                raise HttpError(
                    400, f"{name} is not a captcha provider; use one of {', '.join(PROVIDERS)}."
                )
            if not isinstance(value, str):
                raise HttpError(400, f"{canonical} must be the provider's API key as text.")
        for name, value in updates.items():
            canonical = _PROVIDERS_BY_LOWER[str(name).lower()]
            if value.strip():
                self.keys[canonical] = value.strip()
            else:
                self.keys.pop(canonical, None)

    def providers_json(self) -> dict[str, Any]:
        """``GET /accounts/captcha-providers``: masked keys, or the free solves left."""
        if self.keys:
            return {name: mask(self.keys[name]) for name in PROVIDERS if name in self.keys}
        return {"freeCaptchaCredits": self.free_credits} if self.free_credits > 0 else {}

    # ----------------------------------------------------------------- solving

    def _plan(self, captcha: Captcha | None) -> list[str]:
        if captcha is not None and captcha.token is not None:
            return ["UserProvided"]
        if captcha is not None and captcha.order is not None:
            missing = [name for name in captcha.order if name not in self.keys]
            if missing:
                raise HttpError(
                    400,
                    f"captchaOrder names {missing[0]}, which has no API key configured; add it "
                    "with POST /accounts/captcha-providers or leave it out of captchaOrder.",
                )
            return list(captcha.order)
        retry = captcha.retry if captcha is not None and captcha.retry else _DEFAULT_RETRY
        configured = [name for name in PROVIDERS if name in self.keys] or ["CapSolver"]
        return [configured[i % len(configured)] for i in range(retry)]

    def solve(
        self,
        captcha: Captcha | None,
        *,
        route: str,
        page_action: str,
        tier: Tier,
        jobid: str,
        now: float,
    ) -> CaptchaTicket:
        """Simulate the solving attempts of one request.

        Raises:
            HttpError: 400 (``captchaOrder`` names an unconfigured provider), 503 ``Captcha
                service failed: …`` or 403 ``captcha_quality: …`` when every attempt failed.
        """
        plan = self._plan(captcha)
        rows: list[dict[str, Any]] = []
        attempts: list[dict[str, Any]] = []
        failure = ""
        for number, provider in enumerate(plan, 1):
            free = provider == "CapSolver" and not self.keys
            duration = self._rng.randint(2500, 9000) if provider != "UserProvided" else 0
            task = f"{self._rng.getrandbits(48):012x}"
            roll = self._rng.random()
            if free and self.free_credits <= 0:
                failure = "ERROR_ZERO_BALANCE"
            elif roll < self.outage_rate:
                failure = "ERROR_SERVICE_UNAVAILABLE"
            elif roll < self.outage_rate + self.reject_rate:
                failure = "captcha_quality"
            else:
                failure = ""
            if free and failure != "ERROR_ZERO_BALANCE":
                self.free_credits -= 1
            success = not failure
            attempts.append(
                {"service": provider, "taskId": task, "durationMs": duration, "success": success}
            )
            rows.append(
                {
                    "timestamp": iso_time(now),
                    "jobId": jobid,
                    "provider": provider,
                    "taskId": task,
                    "route": route,
                    "statusText": "OK" if success else "ERROR",
                    "pageAction": page_action,
                    "error": "" if success else failure,
                    "reason": "",
                    "tier": PAYGATE[tier],
                    "sku": SKU[tier],
                    "statusCode": 200
                    if success
                    else (403 if failure == "captcha_quality" else 503),
                    "captchaDurationMs": duration,
                    "apiDurationMs": self._rng.randint(600, 1800),
                    "attemptNumber": number,
                }
            )
            if success:
                break
        self.rows.extend(rows)
        if failure == "captcha_quality":
            raise HttpError(
                403,
                {
                    "error": "captcha_quality: PUBLIC_ERROR_UNUSUAL_ACTIVITY: Google rejected "
                    f"the reCAPTCHA token on all {len(plan)} attempts; raise captchaRetry or "
                    "add providers.",
                    "code": 403,
                },
            )
        if failure:
            raise HttpError(503, {"error": f"Captcha service failed: {failure}", "code": 503})
        last = attempts[-1]
        summary = {
            "service": last["service"],
            "taskId": last["taskId"],
            "durationMs": last["durationMs"],
        }
        return CaptchaTicket(rows=rows, json={**summary, "attempts": attempts})

    # ----------------------------------------------------------------- stats

    def stats(
        self,
        *,
        now: float,
        date: str | None,
        limit: int | None,
        provider: str | None,
        anonymized: bool,
    ) -> dict[str, Any]:
        """``GET /accounts/captcha-stats`` (spec §3.7)."""
        rows = list(self.rows)
        if anonymized:
            rows = rows[-10_000:]
            return (
                {"total": len(rows), "summary": _summary(rows), "data": []}
                if rows
                else {"total": 0, "data": []}
            )
        if provider:
            rows = [row for row in rows if row["provider"] == provider]
        body: dict[str, Any] = {}
        if limit is not None:
            rows = rows[-limit:]
            body["limit"] = limit
        else:
            day = date or utc_date(now)
            rows = [row for row in rows if row["timestamp"].startswith(day)]
            body["date"] = day
        if provider:
            body["provider"] = provider
        body["total"] = len(rows)
        if rows:
            body["summary"] = _summary(rows)
        body["data"] = [dict(row) for row in reversed(rows)]
        return body


def _rate(rows: list[dict[str, Any]]) -> float:
    return round(100.0 * sum(1 for r in rows if r["statusCode"] == 200) / len(rows), 1)


def _grouped(rows: list[dict[str, Any]], key: str) -> tuple[dict[str, int], dict[str, float]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(row[key], []).append(row)
    return {k: len(v) for k, v in groups.items()}, {k: _rate(v) for k, v in groups.items()}


def _by_status(rows: list[dict[str, Any]]) -> dict[str, float]:
    counts: dict[str, int] = {}
    for row in rows:
        label = str(row["statusCode"]) + (f":{row['reason']}" if row["reason"] else "")
        counts[label] = counts.get(label, 0) + 1
    return {label: round(100.0 * n / len(rows), 1) for label, n in counts.items()}


def _span(first: str, last: str) -> str:
    import datetime as dt

    start = dt.datetime.fromisoformat(first.replace("Z", "+00:00"))
    end = dt.datetime.fromisoformat(last.replace("Z", "+00:00"))
    minutes = int((end - start).total_seconds() // 60)
    return f"{minutes // 60} hours {minutes % 60} minutes"


def _summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    by_provider = _grouped(rows, "provider")
    by_tier = _grouped(rows, "tier")
    by_sku = _grouped(rows, "sku")
    images = [r for r in rows if r["pageAction"] == "IMAGE_GENERATION"]
    videos = [r for r in rows if r["pageAction"] != "IMAGE_GENERATION"]
    return {
        "from": rows[0]["timestamp"],
        "to": rows[-1]["timestamp"],
        "time_span": _span(rows[0]["timestamp"], rows[-1]["timestamp"]),
        "sample_size_by_provider": by_provider[0],
        "success_rate_by_provider": by_provider[1],
        "sample_size_by_tier": by_tier[0],
        "success_rate_by_tier": by_tier[1],
        "sample_size_by_sku": by_sku[0],
        "success_rate_by_sku": by_sku[1],
        "by_status_code_images": _by_status(images) if images else {},
        "by_status_code_videos": _by_status(videos) if videos else {},
        "avg_captcha_ms": round(sum(r["captchaDurationMs"] for r in rows) / len(rows)),
        "avg_api_ms": round(sum(r["apiDurationMs"] for r in rows) / len(rows)),
        "avg_attempt": round(sum(r["attemptNumber"] for r in rows) / len(rows), 1),
        "lookup": {
            "tiers": {t: _TIER_NAMES[t] for t in by_tier[0] if t in _TIER_NAMES},
            "skus": {s: _SKU_NAMES[s] for s in by_sku[0] if s in _SKU_NAMES},
        },
    }
