"""``flow-widgets doctor``: how far has the live API drifted from this version?

The API is experimental and changes every few weeks. The doctor makes only free calls --
``GET /accounts``, ``GET /accounts/{email}`` (model list, ``creditCost``, plan), ``GET /jobs``
and a few of its jobs, ``GET /voices``, the captcha providers and statistics -- and checks every
answer against what the parser expects and what the catalog says: models and keys it does not
know, prices that differ for the account's plan, fields and job statuses it has never seen, a
plan it cannot recognise, and whether Cloudflare accepts our User-Agent (C18). ``--images`` adds
one image generation (no Flow credits, but one captcha solve, so it asks first).

The report is plain text meant to be pasted into an issue: emails are masked and the token
never appears. Exit status: 0 no drift, 1 drift, 2 could not check.

Run it against the simulator (``FLOW_API_BASE``) and it must be clean; the simulator's
``/_sim/drift`` control makes it drift on purpose.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from flow_widgets._version import __version__
from flow_widgets.api._base import USER_AGENT
from flow_widgets.api._config import resolve_base_url, resolve_token
from flow_widgets.api._lineup import omni_key_duration
from flow_widgets.api.catalog import (
    DEFAULT_CATALOG,
    TIER_NAMES,
    VIDEO_MODELS,
    VOICE_PRESETS,
    Catalog,
    Tier,
    model_for_google_key,
    tier_from_account,
)
from flow_widgets.api.ids import mask_email
from flow_widgets.api.models import (
    JOB_KEYS,
    Account,
    CaptchaProviders,
    CaptchaStats,
    Job,
    JobsStats,
    parse_account_list,
    parse_voice_list,
    sniff_mime_type,
)
from flow_widgets.api.requests import CAPTCHA_PROVIDERS
from flow_widgets.errors import FlowError

__all__ = ["Doctor", "Finding", "Report", "add_arguments", "check", "run"]

# What this version's parser knows of each answer (spec §3). Anything else is reported.
SUMMARY_FIELDS = frozenset({"created", "health", "error", "nextRefresh", "project", "sessionData"})
DETAIL_FIELDS = frozenset(
    {
        "accountCookies",
        "sessionCookies",
        "cookies",
        "sessionData",
        "created",
        "project",
        "nextRefresh",
        "health",
        "error",
        "credits",
        "models",
        "recommendations",
        "email",
        "access_token",
    }
)
CREDITS_FIELDS = frozenset({"credits", "userPaygateTier"})
MODEL_FIELDS = frozenset(
    {
        "key",
        "displayName",
        "supportedAspectRatios",
        "capabilities",
        "videoLengthSeconds",
        "videoGenerationTimeSeconds",
        "creditCost",
        "framesPerSecond",
        "paygateTier",
        "accessType",
        "modelAccessInfo",
        "modelMetadata",
    }
)
JOBS_FIELDS = frozenset({"emails", "videos", "images", "combined", "quarantine"})
# A job reply's fields: exactly those the API layer's Job reads (one list, kept there).
JOB_FIELDS = JOB_KEYS
JOB_STATUSES = frozenset({"created", "started", "completed", "failed"})
VOICE_FIELDS = frozenset(
    {
        "voice",
        "source",
        "displayName",
        "sampleUrl",
        "workflowId",
        "mediaId",
        "baseVoice",
        "dialog",
        "voicePerformance",
        "createTime",
        "audioUrl",
    }
)
_JOBS_TO_READ = 3


class _CannotCheck(Exception):
    """The check cannot go on (no connection, token refused): exit 2."""


class _UserAgentRefused(_CannotCheck):
    """Cloudflare answered 403 error 1010 to our User-Agent (C18)."""


@dataclass(frozen=True)
class Finding:
    """One row of the report: what was checked, what this version expects, what the API said."""

    area: str
    subject: str
    expected: str
    seen: str
    drift: bool


@dataclass
class Report:
    """Everything the doctor found, and how to print it."""

    base_url: str
    findings: list[Finding] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)

    @property
    def drift(self) -> list[Finding]:
        return [f for f in self.findings if f.drift]

    @property
    def exit_code(self) -> int:
        """0 no drift, 1 drift, 2 could not check (and found no drift before stopping)."""
        if self.drift:
            return 1
        return 2 if self.problems else 0

    def render(self) -> str:
        """The paste-able text: header, a table, the verdict. No token; emails masked."""
        now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        lines = [
            f"flow-widgets doctor {__version__} - API drift report, {now}",
            f"API: {self.base_url}   User-Agent: {USER_AGENT}",
            f"Free calls made: {', '.join(self.calls) or 'none'}",
            "",
        ]
        rows = [("AREA", "SUBJECT", "EXPECTED", "SEEN", "")] + [
            (f.area, f.subject, f.expected, f.seen, "DRIFT" if f.drift else "ok")
            for f in self.findings
        ]
        widths = [min(36, max(len(row[i]) for row in rows)) for i in range(4)]
        for row in rows:
            cells = [_cut(row[i], widths[i]).ljust(widths[i]) for i in range(4)]
            lines.append("  ".join([*cells, row[4]]).rstrip())
        lines.append("")
        for problem in self.problems:
            lines.append(f"Could not check: {problem}")
        if self.drift:
            verdict = f"Result: {len(self.drift)} difference(s) from this version (exit 1)."
        elif self.problems:
            verdict = "Result: the check could not finish (exit 2)."
        else:
            verdict = "Result: no drift; the API answers as this version expects (exit 0)."
        lines.append(verdict)
        lines.append(
            "Paste this report into a flow-widgets issue; it holds no token and masks emails."
        )
        return "\n".join(lines)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _masked(email: str) -> str:
    return mask_email(email) if "@" in email and "*" not in email else email


class Doctor:
    """Runs the checks over one ``httpx.Client`` (the caller's, e.g. with a test transport)."""

    def __init__(
        self,
        http: httpx.Client,
        *,
        base_url: str,
        token: str,
        catalog: Catalog = DEFAULT_CATALOG,
        images: bool = False,
        ask: Callable[[str], bool] | None = None,
    ) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._headers = {
            "Authorization": f"Bearer {token}",
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
        }
        self._catalog = catalog
        self._images = images
        self._ask = ask or (lambda question: False)
        self.report = Report(base_url=self._base)

    # ------------------------------------------------------------------------------ plumbing

    def _add(self, area: str, subject: str, expected: str, seen: str, drift: bool) -> None:
        finding = Finding(area, subject, expected, seen, drift)
        if finding not in self.report.findings:  # a new model shows once, not per account
            self.report.findings.append(finding)

    def _call(self, method: str, path: str, label: str, **kwargs: Any) -> Any:
        self.report.calls.append(label)
        try:
            response = self._http.request(
                method, f"{self._base}{path}", headers=self._headers, timeout=60, **kwargs
            )
        except httpx.HTTPError as exc:
            raise _CannotCheck(f"{label}: no answer ({type(exc).__name__})") from None
        if response.status_code == 403 and "1010" in response.text:
            raise _UserAgentRefused(f"{label}: Cloudflare refused the User-Agent (error 1010)")
        if response.status_code == 401:
            raise _CannotCheck(f"{label}: the token was refused (401); check USEAPI_TOKEN")
        if response.status_code >= 400:
            raise _CannotCheck(f"{label}: HTTP {response.status_code}")
        try:
            return response.json()
        except ValueError:
            raise _CannotCheck(f"{label}: the answer is not JSON") from None

    def _unknown_fields(self, where: str, data: Any, known: frozenset[str]) -> None:
        if not isinstance(data, Mapping):
            self._add("shape", where, "an object", type(data).__name__, True)
            return
        for key in sorted(set(data) - known):
            self._add("field", f"{where}.{key}", "(not parsed)", "present", True)

    # ------------------------------------------------------------------------------ checks

    def run(self) -> Report:
        """Every check, in order; a check that cannot run stops the rest (exit 2)."""
        try:
            emails = self._accounts()
            for email in emails:
                self._account(email)
            self._jobs()
            if emails:
                self._voices(emails[0])
            self._captcha()
            self._add("user-agent", USER_AGENT, "accepted", "accepted", False)
            if self._images and emails:
                self._image(emails[0])
        except _UserAgentRefused as exc:
            self._add("user-agent", USER_AGENT, "accepted", "refused (Cloudflare 1010)", True)
            self.report.problems.append(str(exc))
        except _CannotCheck as exc:
            self.report.problems.append(str(exc))
        return self.report

    def _accounts(self) -> list[str]:
        body = self._call("GET", "/accounts", "GET /accounts")
        if not isinstance(body, Mapping):
            self._add("shape", "GET /accounts", "an object keyed by email", "other", True)
            return []
        for key in sorted(k for k in body if "@" not in k):
            self._add("field", f"GET /accounts key {key!r}", "(emails only)", "present", True)
        for email, entry in body.items():
            if "@" in email:
                self._unknown_fields(f"accounts[{_masked(email)}]", entry, SUMMARY_FIELDS)
        try:
            summaries = parse_account_list(body)
        except (ValueError, TypeError) as exc:
            self._add("parser", "GET /accounts", "parses", f"fails: {exc}", True)
            return []
        healthy = [s.email for s in summaries if s.healthy]
        if not summaries:
            self.report.problems.append("no Google Flow account is linked (POST /accounts)")
        return healthy

    def _account(self, email: str) -> None:
        label = "GET /accounts/{email}"
        body = self._call("GET", f"/accounts/{quote(email, safe='')}", label)
        where = f"account {_masked(email)}"
        self._unknown_fields(where, body, DETAIL_FIELDS)
        if not isinstance(body, Mapping):
            return
        credits = body.get("credits")
        if isinstance(credits, Mapping):
            self._unknown_fields(f"{where} credits", credits, CREDITS_FIELDS)
        try:
            account = Account.from_api(body, email=email)
        except (ValueError, TypeError) as exc:
            self._add("parser", where, "parses", f"fails: {exc}", True)
            return
        keys = [m.key for m in account.models]
        tier = tier_from_account(account.paygate_tier, video_model_keys=keys)
        if tier is None:
            self._add("plan", where, "a known plan", str(account.paygate_tier), True)
        else:
            self._add("plan", where, "a known plan", TIER_NAMES[tier], False)
        models = body.get("models")
        entries = models.get("videoModels") if isinstance(models, Mapping) else None
        for entry in entries if isinstance(entries, list) else []:
            self._model(where, entry, tier)

    def _model(self, where: str, entry: Any, tier: Tier | None) -> None:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("key"), str):
            self._add("shape", f"{where} model entry", "an object with a key", "other", True)
            return
        key = entry["key"]
        self._unknown_fields(f"model {key}", entry, MODEL_FIELDS)
        cost = entry.get("creditCost")
        price = f"{cost} credits" if isinstance(cost, int) else "no price"
        model = model_for_google_key(key)
        if model is None:
            if "upsampler" not in key.lower():
                self._add("model", key, "(not in catalog)", f"listed, {price}", True)
            return
        if tier is None or not isinstance(cost, int) or isinstance(cost, bool):
            return
        expected = self._expected_price(model, key, tier)
        if expected is not None and expected != cost:
            self._add("price", f"{key} ({TIER_NAMES[tier]})", str(expected), str(cost), True)

    def _expected_price(self, model: str, key: str, tier: Tier) -> int | None:
        spec = VIDEO_MODELS[model]
        if spec.family == "veo":
            return self._catalog.veo_credits.get((model, tier))
        seconds = omni_key_duration(key)
        if seconds is None:
            return None
        return self._catalog.omni_credits.get((seconds, "720p"))

    def _jobs(self) -> None:
        body = self._call("GET", "/jobs", "GET /jobs", params={"options": "history"})
        self._unknown_fields("GET /jobs", body, JOBS_FIELDS)
        if not isinstance(body, Mapping):
            return
        try:
            JobsStats.from_api(body)
        except (ValueError, TypeError) as exc:
            self._add("parser", "GET /jobs", "parses", f"fails: {exc}", True)
        jobids: list[str] = []
        for kind in ("videos", "images"):
            section = body.get(kind)
            if isinstance(section, Mapping):
                for part in ("executing", "history"):
                    listed = section.get(part)
                    if isinstance(listed, Mapping):
                        jobids += [str(j) for j in listed]
        for jobid in jobids[:_JOBS_TO_READ]:
            self._job(jobid)

    def _job(self, jobid: str) -> None:
        body = self._call("GET", f"/jobs/{quote(jobid, safe='')}", "GET /jobs/{jobid}")
        self._unknown_fields("job", body, JOB_FIELDS)
        if not isinstance(body, Mapping):
            return
        status = body.get("status")
        if status not in JOB_STATUSES:
            self._add("status", "job status", "/".join(sorted(JOB_STATUSES)), str(status), True)
        try:
            Job.from_api(body)
        except (ValueError, TypeError) as exc:
            self._add("parser", "GET /jobs/{jobid}", "parses", f"fails: {exc}", True)

    def _voices(self, email: str) -> None:
        body = self._call("GET", "/voices", "GET /voices", params={"email": email})
        if not isinstance(body, Mapping) or not isinstance(body.get("voices"), list):
            self._add("shape", "GET /voices", '{"voices": [...]}', "other", True)
            return
        self._unknown_fields("GET /voices", body, frozenset({"voices"}))
        system: set[str] = set()
        for entry in body["voices"]:
            self._unknown_fields("voice", entry, VOICE_FIELDS)
            if isinstance(entry, Mapping) and entry.get("source") == "system":
                system.add(str(entry.get("voice")))
        for name in sorted(system - set(VOICE_PRESETS)):
            self._add("voice", name, "(not a known preset)", "listed", True)
        for name in sorted(set(VOICE_PRESETS) - system):
            self._add("voice", name, "a preset", "missing", True)
        try:
            parse_voice_list(body)
        except (ValueError, TypeError) as exc:
            self._add("parser", "GET /voices", "parses", f"fails: {exc}", True)

    def _captcha(self) -> None:
        label = "GET /accounts/captcha-providers"
        body = self._call("GET", "/accounts/captcha-providers", label)
        known = frozenset({*CAPTCHA_PROVIDERS, "freeCaptchaCredits"})
        if isinstance(body, Mapping):
            for name in sorted(set(body) - known):
                self._add("captcha", name, "(not a known provider)", "present", True)
            CaptchaProviders.from_api(body)
        stats = self._call(
            "GET",
            "/accounts/captcha-stats",
            "GET /accounts/captcha-stats",
            params={"limit": 50},
        )
        try:
            CaptchaStats.from_api(stats if isinstance(stats, Mapping) else {})
        except (ValueError, TypeError) as exc:
            self._add("parser", "GET /accounts/captcha-stats", "parses", f"fails: {exc}", True)

    def _image(self, email: str) -> None:
        question = (
            "Generate one image to check POST /images? It costs no Flow credits but uses one "
            "captcha solve. [y/N] "
        )
        if not self._ask(question):
            self.report.problems.append("--images: not confirmed, no image was generated")
            return
        body = self._call(
            "POST",
            "/images",
            "POST /images",
            json={"prompt": "a small test card", "count": 1, "email": email},
        )
        try:
            job = Job.from_api(body)
        except (ValueError, TypeError) as exc:
            self._add("parser", "POST /images", "parses", f"fails: {exc}", True)
            return
        if not job.media or job.media[0].url is None:
            self._add("image", "POST /images", "one image with a URL", "none", True)
            return
        try:
            data = self._http.get(job.media[0].url, timeout=60).content
        except httpx.HTTPError:
            self.report.problems.append("POST /images: the image URL did not answer")
            return
        kind = sniff_mime_type(data) or "unknown bytes"
        self._add("image", "POST /images", "an image", kind, not kind.startswith("image/"))


# ---------------------------------------------------------------------------------- command


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``doctor`` options (the ``flow-widgets`` command registers them)."""
    parser.add_argument(
        "--images",
        action="store_true",
        help="also generate one image (no Flow credits, one captcha solve; asks first)",
    )
    parser.add_argument("--yes", action="store_true", help="do not ask before --images")
    parser.add_argument("--base-url", help="the API root (default FLOW_API_BASE, else the API)")


def check(
    *,
    base_url: str | None = None,
    token: str | None = None,
    images: bool = False,
    ask: Callable[[str], bool] | None = None,
    environ: Mapping[str, str] | None = None,
    transport: httpx.BaseTransport | None = None,
) -> Report:
    """Run every check and return the report (what the command and ``%flow doctor`` print)."""
    try:
        secret = resolve_token(token, environ)
    except FlowError as exc:
        report = Report(base_url=base_url or "")
        report.problems.append(str(exc))
        return report
    root = resolve_base_url(base_url, environ)
    with httpx.Client(transport=transport) as http:
        doctor = Doctor(http, base_url=root, token=secret.reveal(), images=images, ask=ask)
        return doctor.run()


def run(
    args: argparse.Namespace,
    parser: argparse.ArgumentParser | None = None,
    *,
    ask: Callable[[str], bool] | None = None,
) -> int:
    """``flow-widgets doctor``: print the report, return the exit status."""

    def confirm(question: str) -> bool:
        if args.yes:
            return True
        return input(question).strip().lower() in ("y", "yes")

    report = check(base_url=args.base_url, images=args.images, ask=ask or confirm)
    print(report.render())  # noqa: T201 - the command's output
    return report.exit_code
