"""The simulator's settings: which accounts exist, how fast time runs, which limits apply.

Two kinds of duration live here, and the difference matters:

* **How long work takes** -- job durations (the catalog's typical seconds per model), the
  synchronous-call budget, the throttle and account-quota cooldowns. These are *API seconds*,
  multiplied by ``time_scale`` before use, so the default ``0.03`` makes a 100 s Veo Fast clip
  ready in about 3 s and a 30-minute throttle quarantine last about a minute: a live demo keeps
  moving, and the ratios between operations stay those of the real API.
* **Calendar rules** -- signed-URL lifetime (6 h), job retention, the UTC-midnight daily-quota
  reset, the 15-minute statistics window. These stay on the clock unscaled; tests reach them by
  advancing the clock (``POST /_sim/clock``), not by waiting.

Defaults, documented once here:

* two accounts: ``ultra.demo@gmail.com`` (Ultra $200, 25,000 credits) and ``pro.demo@gmail.com``
  (Pro, 1,000 credits);
* at most 4 executing video jobs and 8 executing image jobs per account; the next one gets
  ``429 PUBLIC_ERROR_USER_REQUESTS_THROTTLED`` and the account leaves load-balancer rotation for
  the (scaled) 30-minute cooldown;
* synchronous calls give up with ``408`` after 300 API seconds (scaled);
* 300 free captcha solves (C7); no captcha failures and no random job failures unless asked for;
* demo authentication: any non-empty bearer token, unless ``token`` is set.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from flow_widgets.api.catalog import TIERS, Tier

__all__ = [
    "DEFAULT_ACCOUNTS",
    "PLAN_CREDITS",
    "AccountSpec",
    "SimulatorConfig",
    "parse_account_spec",
]

#: Monthly Flow credits per plan (spec §2.1); a new account starts with its plan's allowance.
PLAN_CREDITS: Mapping[Tier, int] = MappingProxyType(
    {"free": 0, "plus": 200, "pro": 1_000, "ultra_100": 10_000, "ultra_200": 25_000}
)

_EMAIL = re.compile(r"^[^@\s:/]+@[^@\s:/]+\.[^@\s:/]+$")


@dataclass(frozen=True)
class AccountSpec:
    """One Google account to create at start-up.

    Attributes:
        email: the Google account address.
        tier: the Google AI plan (``free``, ``plus``, ``pro``, ``ultra_100``, ``ultra_200``).
        credits: starting Flow credits; ``None`` means the plan's monthly allowance.
        health: ``"OK"``, or an error text: the account then answers generations with 596.
        daily_limits: model id -> generations allowed per UTC day; the next one gets
            ``429 PUBLIC_ERROR_PER_MODEL_DAILY_QUOTA_REACHED`` until midnight.
        family_member: an invited member of an Ultra family plan; since 2026-09-23 Google
            refuses ``veo-3.1-lite-low-priority`` to them with 403.
    """

    email: str
    tier: Tier = "pro"
    credits: int | None = None
    health: str = "OK"
    daily_limits: Mapping[str, int] = field(default_factory=dict)
    family_member: bool = False

    def __post_init__(self) -> None:
        if not _EMAIL.match(self.email):
            raise ValueError(f"email {self.email!r} is not an email address; use name@domain.")
        if self.tier not in TIERS:
            raise ValueError(f"tier {self.tier!r} is unknown; use one of {', '.join(TIERS)}.")
        if self.credits is not None and self.credits < 0:
            raise ValueError(f"credits for {self.email} must be zero or more.")

    @property
    def starting_credits(self) -> int:
        """Credits the account starts with."""
        return PLAN_CREDITS[self.tier] if self.credits is None else self.credits


DEFAULT_ACCOUNTS: tuple[AccountSpec, ...] = (
    AccountSpec("ultra.demo@gmail.com", "ultra_200", 25_000),
    AccountSpec("pro.demo@gmail.com", "pro", 1_000),
)


def parse_account_spec(text: str) -> AccountSpec:
    """Read ``email[:tier[:credits]]`` (the CLI's ``--account`` value).

    >>> spec = parse_account_spec("a@b.com:ultra_100:500")
    >>> (spec.email, spec.tier, spec.starting_credits)
    ('a@b.com', 'ultra_100', 500)
    """
    email, _, rest = text.partition(":")
    tier, _, credits = rest.partition(":")
    tier = tier or "pro"
    if tier not in TIERS:
        raise ValueError(f"account {text!r}: tier must be one of {', '.join(TIERS)}.")
    if credits and not credits.isdigit():
        raise ValueError(f"account {text!r}: credits must be a whole number, such as 1000.")
    return AccountSpec(email, tier, int(credits) if credits else None)


def _positive(name: str, value: float) -> None:
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive number of seconds, got {value!r}.")


def _rate(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be between 0 and 1, got {value!r}.")


@dataclass(frozen=True)
class SimulatorConfig:
    """Every knob of the simulator; ``create_app`` takes the same names as keyword arguments.

    The token is kept out of ``repr`` so a config can be printed or logged safely.
    """

    seed: int = 0
    time_scale: float = 0.03
    accounts: tuple[AccountSpec, ...] = DEFAULT_ACCOUNTS
    token: str | None = field(default=None, repr=False)
    user_id: int = 12345
    test_controls: bool = False
    media_origin: str | None = None
    max_concurrent_videos: int = 4
    max_concurrent_images: int = 8
    sync_timeout: float = 300.0
    throttle_cooldown: float = 1800.0
    user_quota_cooldown: float = 1800.0
    url_ttl: float = 6 * 3600.0
    job_retention: float = 7 * 86400.0
    stats_window: float = 15 * 60.0
    free_captcha_credits: int = 300  # C7 (repo README, ~Oct 2026)
    captcha_reject_rate: float = 0.0
    captcha_outage_rate: float = 0.0
    job_failure_rate: float = 0.0
    duration_jitter: float = 0.2
    max_accounts: int = 3  # C7: the $15 plan covers 3 Google Flow accounts (configurable)
    #: C18 (Dec 2026): Cloudflare in front of the API answers 403 (error 1010) to Python's
    #: default urllib User-Agent. Off by default; on, the simulator does the same.
    refuse_default_user_agent: bool = False
    media_cache_bytes: int = 512 * 1024 * 1024

    def __post_init__(self) -> None:
        _positive("time_scale", self.time_scale)
        for name in ("sync_timeout", "throttle_cooldown", "user_quota_cooldown", "url_ttl"):
            _positive(name, getattr(self, name))
        _positive("job_retention", self.job_retention)
        _positive("stats_window", self.stats_window)
        for name in ("captcha_reject_rate", "captcha_outage_rate", "job_failure_rate"):
            _rate(name, getattr(self, name))
        if not 0.0 <= self.duration_jitter < 1.0:
            raise ValueError("duration_jitter must be at least 0 and below 1.")
        if self.max_concurrent_videos < 1 or self.max_concurrent_images < 1:
            raise ValueError("max_concurrent_videos and max_concurrent_images must be 1 or more.")
        if self.token is not None and not self.token.strip():
            raise ValueError("token must not be blank; leave it unset for demo mode.")
        emails = [spec.email for spec in self.accounts]
        if len(set(emails)) != len(emails):
            raise ValueError("accounts must not list the same email twice.")

    def scaled(self, api_seconds: float) -> float:
        """Clock seconds that ``api_seconds`` of real-API work takes in the simulator."""
        return api_seconds * self.time_scale
