"""useapi's load balancer (spec §4.4) and the statistics ``GET /jobs`` reports (§3.24).

When a request names no account, useapi picks one in two steps:

1. **Quarantine pre-filter.** An account that recently got a 429 with one of these reasons is
   skipped until its cooldown ends: ``PUBLIC_ERROR_USER_REQUESTS_THROTTLED`` and
   ``PUBLIC_ERROR_USER_QUOTA_REACHED`` (all models, about 30 minutes -- scaled by
   ``time_scale`` here), ``PUBLIC_ERROR_PER_MODEL_DAILY_QUOTA_REACHED`` (that model only, until
   the next UTC midnight). Repeated 429s keep the first-seen time. With a single account the
   filter is skipped. If nothing survives: ``429 no_eligible_account``.
2. **Scoring.** Lowest ``executing + completed + failed×10 + rateLimited×20`` over the last 15
   minutes wins (the later formula, which matches the docs' example numbers); ties go to the
   account listed first. Videos and images keep separate statistics; uploads use the images'.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from flow_widgets.simulator.clock import iso_time
from flow_widgets.simulator.http import HttpError

__all__ = ["QUARANTINE_REASONS", "Balancer", "StatKind"]

StatKind = Literal["videos", "images"]
Outcome = Literal["completed", "failed", "rateLimited"]
QUARANTINE_REASONS = frozenset(
    {
        "PUBLIC_ERROR_USER_REQUESTS_THROTTLED",
        "PUBLIC_ERROR_USER_QUOTA_REACHED",
        "PUBLIC_ERROR_PER_MODEL_DAILY_QUOTA_REACHED",
    }
)
_HISTORY_SIZE = 10


@dataclass(frozen=True)
class _Event:
    time: float
    email: str
    outcome: Outcome
    jobid: str | None
    response_ms: int
    http_status: int


@dataclass(frozen=True)
class _Quarantine:
    email: str
    reason: str
    model: str
    since: float
    until: float


def _elapsed(seconds: float) -> str:
    whole = max(0, int(seconds))
    return f"{whole // 60:02d}:{whole % 60:02d}"


class Balancer:
    """Per-account statistics, quarantine entries and the account choice."""

    def __init__(self, window: float) -> None:
        self.window = window
        self._events: dict[StatKind, deque[_Event]] = {"videos": deque(), "images": deque()}
        self._executing: dict[StatKind, dict[str, tuple[str, float]]] = {
            "videos": {},
            "images": {},
        }
        self._quarantine: dict[tuple[str, str, str], _Quarantine] = {}
        #: the most jobs of one kind an account ever had executing at once (R-02's gauge)
        self.peak: dict[tuple[StatKind, str], int] = {}

    def __repr__(self) -> str:
        return f"Balancer(quarantined={len(self._quarantine)})"

    # ----------------------------------------------------------------- events

    def started(self, kind: StatKind, jobid: str, email: str, now: float) -> None:
        self._executing[kind][jobid] = (email, now)
        running = self.executing(kind, email)
        self.peak[(kind, email)] = max(self.peak.get((kind, email), 0), running)

    def finished(self, kind: StatKind, jobid: str, *, ok: bool, now: float, status: int) -> None:
        email, since = self._executing[kind].pop(jobid, ("", now))
        if email:
            outcome: Outcome = "completed" if ok else "failed"
            self._add(kind, _Event(now, email, outcome, jobid, round((now - since) * 1000), status))

    def refused(self, kind: StatKind, email: str, status: int, now: float) -> None:
        """A submission to ``email`` was refused (429 counts as rate-limited, others failed)."""
        outcome: Outcome = "rateLimited" if status == 429 else "failed"
        self._add(kind, _Event(now, email, outcome, None, 0, status))

    def _add(self, kind: StatKind, event: _Event) -> None:
        events = self._events[kind]
        events.append(event)
        while events and events[0].time < event.time - self.window:
            events.popleft()

    def running(self, kind: StatKind, email: str) -> list[str]:
        """Jobids of ``kind`` executing on ``email`` (accepted and not yet finished)."""
        return [jobid for jobid, (owner, _) in self._executing[kind].items() if owner == email]

    def executing(self, kind: StatKind, email: str) -> int:
        return len(self.running(kind, email))

    # ----------------------------------------------------------------- quarantine

    def quarantine(self, email: str, reason: str, model: str, *, until: float, now: float) -> None:
        """Pull ``email`` (for ``model``, or ``"*"``) out of rotation until ``until``."""
        if reason not in QUARANTINE_REASONS:
            return
        scope = model if reason == "PUBLIC_ERROR_PER_MODEL_DAILY_QUOTA_REACHED" else "*"
        key = (email, reason, scope)
        current = self._quarantine.get(key)
        if current is None or current.until <= now:
            self._quarantine[key] = _Quarantine(email, reason, scope, now, until)

    def quarantined(self, email: str, model: str, now: float) -> list[_Quarantine]:
        return [
            q
            for q in self._quarantine.values()
            if q.email == email and q.until > now and q.model in ("*", model)
        ]

    def forget(self, email: str) -> None:
        self._quarantine = {k: q for k, q in self._quarantine.items() if q.email != email}
        for table in self._executing.values():
            for jobid in [j for j, (owner, _) in table.items() if owner == email]:
                del table[jobid]

    # ----------------------------------------------------------------- choice

    def pick(self, kind: StatKind, emails: Sequence[str], model: str, now: float) -> str:
        """The account a request without ``email`` goes to.

        Raises:
            HttpError: 429 ``no_eligible_account`` when every account is quarantined.
        """
        candidates = list(emails)
        if len(candidates) > 1:
            blocked = {email: self.quarantined(email, model, now) for email in candidates}
            survivors = [email for email in candidates if not blocked[email]]
            if not survivors:
                raise self._no_eligible(blocked, now)
            candidates = survivors
        scores = self.summary(kind, candidates, now)
        return min(candidates, key=lambda email: scores[email]["score"])

    def _no_eligible(self, blocked: dict[str, list[_Quarantine]], now: float) -> HttpError:
        until = min(q.until for entries in blocked.values() for q in entries)
        seconds = max(1, int(until - now + 0.999))
        skip = [
            {"email": q.email, "reason": q.reason, "model": q.model}
            for entries in blocked.values()
            for q in entries
        ]
        body = {
            "error": "no_eligible_account",
            "message": "All accounts are temporarily rate limited.",
            "retryAfter": iso_time(now + seconds),
            "skipReasons": skip,
        }
        return HttpError(429, body, {"Retry-After": str(seconds)})

    # ----------------------------------------------------------------- GET /jobs

    def summary(
        self, kind: StatKind | None, emails: Sequence[str], now: float
    ) -> dict[str, dict[str, int]]:
        kinds: tuple[StatKind, ...] = (kind,) if kind else ("videos", "images")
        table = {
            email: {"executing": 0, "completed": 0, "failed": 0, "rateLimited": 0}
            for email in emails
        }
        times: dict[str, list[int]] = {email: [] for email in emails}
        for k in kinds:
            for owner, _ in self._executing[k].values():
                if owner in table:
                    table[owner]["executing"] += 1
            for event in self._events[k]:
                if event.email in table and event.time >= now - self.window:
                    table[event.email][event.outcome] += 1
                    if event.outcome == "completed":
                        times[event.email].append(event.response_ms)
        result = {}
        for email, row in table.items():
            spent = times[email]
            score = (
                row["executing"] + row["completed"] + row["failed"] * 10 + row["rateLimited"] * 20
            )
            avg = round(sum(spent) / len(spent)) if spent else 0
            result[email] = {**row, "avgResponseTime": avg, "score": score}
        return result

    def report(self, options: str, emails: Sequence[str], now: float) -> dict[str, Any]:
        """The body of ``GET /jobs?options=summary|executing|history``."""
        report: dict[str, Any] = {"emails": list(emails)}
        kinds: tuple[StatKind, ...] = ("videos", "images")
        for kind in kinds:
            section: dict[str, Any] = {"summary": self.summary(kind, emails, now)}
            if options == "executing":
                section["executing"] = {
                    jobid: {
                        "email": email,
                        "timestamp": round(since * 1000),
                        "elapsed": _elapsed(now - since),
                    }
                    for jobid, (email, since) in self._executing[kind].items()
                }
            if options == "history":
                recent = [
                    e
                    for e in self._events[kind]
                    if e.jobid and e.time >= now - self.window and e.outcome != "rateLimited"
                ]
                section["history"] = {
                    e.jobid: {
                        "email": e.email,
                        "timestamp": round(e.time * 1000),
                        "httpStatus": e.http_status,
                        "responseTime": e.response_ms,
                    }
                    for e in recent[-_HISTORY_SIZE:][::-1]
                }
            report[kind] = section
        report["combined"] = {"summary": self.summary(None, emails, now)}
        report["quarantine"] = [
            {
                "email": q.email,
                "reason": q.reason,
                "model": q.model,
                "since": iso_time(q.since),
                "until": iso_time(q.until),
            }
            for q in self._quarantine.values()
            if q.until > now
        ]
        return report
