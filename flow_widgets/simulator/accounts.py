"""Google accounts as the simulator keeps them: plan, credits, health, quotas, and their JSON.

The real API stores a Google login per account (cookies, an OAuth token, a Flow project); the
simulator keeps the same fields, all fake, so replies have the documented shape (spec §3.1-§3.3)
while nothing in them is a secret.

``POST /accounts`` convention (the real API reads the email from Google's session; the
simulator cannot): the cookies are the DevTools table, one cookie per line,
``Name<TAB>Value<TAB>Domain<TAB>Path<TAB>Expires…``. The account's email is the value of a cookie
named ``email`` (any case) or, failing that, the first cookie value that is an email address.
Optional cookies ``SIM_TIER`` (``free``, ``plus``, ``pro``, ``ultra_100``, ``ultra_200``;
default ``pro``) and ``SIM_CREDITS`` (a whole number; default the plan's allowance) set the plan.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flow_widgets.api.catalog import TIERS, VIDEO_MODELS, Catalog, Tier, is_ultra
from flow_widgets.simulator.clock import iso_time, utc_date
from flow_widgets.simulator.config import PLAN_CREDITS, AccountSpec
from flow_widgets.simulator.shapes import video_aspect_enum

__all__ = ["PAYGATE", "SKU", "Account", "CookieError", "account_from_cookies", "parse_cookie_table"]

#: Google's ``userPaygateTier`` per plan (Plus and Pro share TIER_ONE; both Ultras TIER_TWO).
PAYGATE: Mapping[Tier, str] = {
    "free": "PAYGATE_TIER_NOT_PAID",
    "plus": "PAYGATE_TIER_ONE",
    "pro": "PAYGATE_TIER_ONE",
    "ultra_100": "PAYGATE_TIER_TWO",
    "ultra_200": "PAYGATE_TIER_TWO",
}
#: Subscription SKUs as captcha-stats rows show them (Ultra $100's SKU is the simulator's guess).
SKU: Mapping[Tier, str] = {
    "free": "FREE",
    "plus": "G1_TIER1P5",
    "pro": "G1_TIER1",
    "ultra_100": "G1_TIER2_100",
    "ultra_200": "G1_TIER2",
}
_EMAIL = re.compile(r"[^@\s:/<>\"']+@[^@\s:/<>\"']+\.[A-Za-z]{2,}")
_DAY = 86400.0


class CookieError(ValueError):
    """The cookies cannot make an account (the message says what to add)."""


@dataclass
class Account:
    """One Google account and everything the simulator tracks about it."""

    email: str
    tier: Tier
    credits: int
    health: str
    created: float
    project_id: str
    cookies: list[dict[str, Any]] = field(default_factory=list)
    daily_limits: dict[str, int] = field(default_factory=dict)
    family_member: bool = False
    #: ``(reason, model or "*") -> until``: Google refuses this account until then.
    blocks: dict[tuple[str, str], float] = field(default_factory=dict)
    #: ``(UTC date, model) -> generations``, for ``daily_limits``.
    usage: dict[tuple[str, str], int] = field(default_factory=dict)

    def __repr__(self) -> str:  # cookies stay out of reprs
        return f"Account({self.email!r}, tier={self.tier!r}, credits={self.credits})"

    @classmethod
    def from_spec(cls, spec: AccountSpec, *, now: float, project_id: str) -> Account:
        return cls(
            email=spec.email,
            tier=spec.tier,
            credits=spec.starting_credits,
            health=spec.health,
            created=now,
            project_id=project_id,
            cookies=_fake_cookies(spec.email, now),
            daily_limits=dict(spec.daily_limits),
            family_member=spec.family_member,
        )

    @property
    def healthy(self) -> bool:
        return self.health == "OK"

    # ----------------------------------------------------------------- quotas

    def block_for(self, model: str, now: float) -> tuple[str, float] | None:
        """``(reason, until)`` when Google refuses this account for ``model`` right now."""
        for (reason, scope), until in self.blocks.items():
            if until > now and scope in ("*", model):
                return reason, until
        day_count = self.usage.get((utc_date(now), model), 0)
        limit = self.daily_limits.get(model)
        if limit is not None and day_count >= limit:
            from flow_widgets.simulator.clock import next_utc_midnight

            return "PUBLIC_ERROR_PER_MODEL_DAILY_QUOTA_REACHED", next_utc_midnight(now)
        return None

    def count_generation(self, model: str, now: float) -> None:
        key = (utc_date(now), model)
        self.usage[key] = self.usage.get(key, 0) + 1

    # ----------------------------------------------------------------- JSON shapes

    def config_json(self, now: float) -> dict[str, Any]:
        """The account configuration, as ``POST /accounts`` answers (spec §3.1)."""
        local = self.email.split("@")[0]
        return {
            "accountCookies": [c for c in self.cookies if c["domain"] != "labs.google"],
            "sessionCookies": [c for c in self.cookies if c["domain"] == "labs.google"],
            "sessionData": {
                "user": {
                    "name": local.replace(".", " ").title(),
                    "email": self.email,
                    "image": "https://lh3.googleusercontent.com/a/simulated",
                },
                "expires": iso_time(now + 30 * _DAY),
                "access_token": f"ya29.simulated-{self.project_id[:8]}",
            },
            "created": iso_time(self.created),
            "project": self._project(),
            "nextRefresh": {
                "messageId": f"msg-{self.project_id[:12]}",
                "scheduledFor": iso_time(self._next_refresh(now)),
            },
        }

    def summary_json(self, now: float) -> dict[str, Any]:
        """One entry of ``GET /accounts`` (spec §3.2)."""
        entry: dict[str, Any] = {
            "created": iso_time(self.created),
            "health": self.health,
            "nextRefresh": {"scheduledFor": iso_time(self._next_refresh(now))},
            "project": self._project(),
            "sessionData": {"expires": iso_time(now + 30 * _DAY)},
        }
        if not self.healthy:
            entry["error"] = self.health
        return entry

    def detail_json(self, now: float, catalog: Catalog) -> dict[str, Any]:
        """``GET /accounts/{email}``: configuration, health, credits and model list (§3.3)."""
        detail = {**self.config_json(now), "health": self.health}
        if self.healthy:
            detail["credits"] = {"credits": self.credits, "userPaygateTier": PAYGATE[self.tier]}
            detail["models"] = {"videoModels": model_list(self.tier, catalog)}
        else:
            detail["error"] = self.health
        return detail

    def _project(self) -> dict[str, str]:
        return {"projectId": self.project_id, "projectTitle": "Simulated Flow project"}

    def _next_refresh(self, now: float) -> float:
        return now + _DAY - ((now - self.created) % _DAY)


def _fake_cookies(email: str, now: float) -> list[dict[str, Any]]:
    def cookie(name: str, value: str, domain: str) -> dict[str, Any]:
        return {
            "name": name,
            "value": value,
            "domain": domain,
            "path": "/",
            "expires": iso_time(now + 365 * _DAY),
            "httpOnly": True,
            "secure": domain == "labs.google",
            "sameSite": "Lax",
        }

    return [
        cookie("HSID", "simulated", ".google.com"),
        cookie("email", email, ".google.com"),
        cookie("__Host-GAPS", "simulated", "labs.google"),
    ]


def model_list(tier: Tier, catalog: Catalog) -> list[dict[str, Any]]:
    """The ``models.videoModels`` a plan sees, priced for that plan from the catalog."""
    if tier == "free":
        return []
    entries: list[dict[str, Any]] = []
    for model in VIDEO_MODELS.values():
        if (model.ultra_200_only and tier != "ultra_200") or not model.google_keys:
            continue
        keys = model.google_keys
        if model.family == "veo":
            ultra_keys = [k for k in keys if k.endswith("_ultra")]
            plain = [k for k in keys if not k.endswith("_ultra")]
            keys = tuple(ultra_keys if is_ultra(tier) and ultra_keys else plain[:1] or keys[:1])
        for key in keys:
            length = int(key.rsplit("_", 1)[-1][:-1]) if model.family == "omni" else 8
            entries.append(
                {
                    "key": key,
                    "displayName": model.display_name,
                    "supportedAspectRatios": [video_aspect_enum(a) for a in model.aspect_ratios],
                    "capabilities": ["VIDEO_MODEL_CAPABILITY_AUDIO", "VIDEO_MODEL_CAPABILITY_TEXT"],
                    "videoLengthSeconds": length,
                    "videoGenerationTimeSeconds": round(
                        catalog.expected_seconds("video", model.id)
                    ),
                    "creditCost": catalog.video_credits(model.id, length, "720p", tier),
                    "framesPerSecond": 24,
                    "paygateTier": PAYGATE[tier],
                    "accessType": "MODEL_ACCESS_TYPE_GENERAL",
                    "modelAccessInfo": {},
                    "modelMetadata": {},
                }
            )
    return entries


# --------------------------------------------------------------------------- POST /accounts


def parse_cookie_table(text: str) -> list[dict[str, Any]]:
    """The cookies of a DevTools table (``Name<TAB>Value<TAB>Domain<TAB>Path<TAB>Expires…``)."""
    cookies: list[dict[str, Any]] = []
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.split("\t")]
        if len(cells) < 2 or not cells[0] or cells[0].lower() == "name":
            continue
        cell = (cells + [""] * 8)[:8]
        cookies.append(
            {
                "name": cell[0],
                "value": cell[1],
                "domain": cell[2] or ".google.com",
                "path": cell[3] or "/",
                "expires": cell[4] or "Session",
                "httpOnly": "✓" in cell[6:7] or cell[6].lower() == "true",
                "secure": "✓" in cell[7:8] or cell[7].lower() == "true",
                "sameSite": "Lax",
            }
        )
    return cookies


def account_from_cookies(text: str, *, now: float, project_id: str) -> Account:
    """A new account from ``POST /accounts`` cookies (convention in the module docstring).

    Raises:
        CookieError: no cookie carries an email address, or a ``SIM_*`` cookie is malformed.
    """
    cookies = parse_cookie_table(text)
    if not cookies:
        raise CookieError(
            "cookies must be the tab-separated table copied from the browser's DevTools "
            "(Name, Value, Domain, Path, Expires, …), one cookie per line."
        )
    values = {cookie["name"].lower(): cookie["value"] for cookie in cookies}
    email = values.get("email", "")
    if not _EMAIL.fullmatch(email):
        email = next((c["value"] for c in cookies if _EMAIL.fullmatch(c["value"])), "")
    if not email:
        raise CookieError(
            "cookies do not name the Google account: the simulator reads it from a cookie "
            "named email whose value is the account's address."
        )
    tier = values.get("sim_tier", "pro")
    if tier not in TIERS:
        raise CookieError(f"cookie SIM_TIER must be one of {', '.join(TIERS)}, not {tier!r}.")
    credits_text = values.get("sim_credits", "")
    if credits_text and not credits_text.isdigit():
        raise CookieError("cookie SIM_CREDITS must be a whole number of credits, such as 1000.")
    plan: Tier = tier
    return Account(
        email=email,
        tier=plan,
        credits=int(credits_text) if credits_text else PLAN_CREDITS[plan],
        health="OK",
        created=now,
        project_id=project_id,
        cookies=cookies,
    )
