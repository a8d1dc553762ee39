"""Finding the job a paid request may have bought when its reply was lost.

Why: a generation POST whose reply never arrived (a dropped connection, a read timeout, a 502)
may or may not have created a job, and resending it could pay twice. The API has no idempotency
key, but it lists running and recently finished jobs (``GET /jobs?options=executing`` and
``history``) and stores the caller's ``replyRef`` in each job's ``request``. Every submission
sends its ledger id as ``replyRef``, so the search is exact: read every listed job of the kind
that no other submission owns, and adopt the one whose ``replyRef`` is ours -- with no time
window at all, because the window compares the server's stamps with this machine's clock, and a
client clock a few minutes ahead once made a bought job look "never ran" (and a re-run bought it
again). When the API does not echo ``replyRef``, the prompt and model must both match and the
job must have been created after the send (allowing for clock skew), and jobs another
submission already owns are never adopted.

Nothing here resends anything. The listings are short: ``history`` holds only the 10 most recent
finished jobs of the last 15 minutes. When the search finds nothing but the listing could not
have shown the job (full and newer than the send, or the send older than the window),
:func:`listing_may_hide` says so, and the caller must not claim the request never ran.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Container, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flow_widgets.api.ids import parse_jobid
from flow_widgets.api.models import Job, JobsStats
from flow_widgets.errors import APIError

__all__ = [
    "HISTORY_CAP",
    "HISTORY_WINDOW_S",
    "ReconcileTarget",
    "candidate_jobids",
    "find_bought_job",
    "listing_may_hide",
    "matches_submission",
]

log = logging.getLogger("flow_widgets.reconcile")

_CLOCK_SKEW_S = 120.0
HISTORY_CAP = 10
"""``GET /jobs?options=history`` lists at most this many finished jobs per kind (spec 3.24)."""
HISTORY_WINDOW_S = 15 * 60.0
"""...and only those finished in the last 15 minutes."""


@dataclass(frozen=True)
class ReconcileTarget:
    """What is known about a submission whose outcome is unknown.

    Attributes:
        submission_id: the ledger id, sent as ``replyRef``.
        kind: ``"video"`` or ``"image"`` (the jobid's type letter).
        sent_at: epoch seconds just before the request was sent.
        prompt, model: for matching when the API does not echo ``replyRef``.
        account: the account the request named, if any.
    """

    submission_id: str
    kind: str
    sent_at: float
    prompt: str | None = None
    model: str | None = None
    account: str | None = None


def candidate_jobids(
    stats: JobsStats | Sequence[JobsStats],
    target: ReconcileTarget,
    *,
    exclude: Container[str] = (),
    skew_s: float = _CLOCK_SKEW_S,
    window: bool = True,
) -> list[str]:
    """Jobs in the listing that could be the target's: same kind, created after it was sent
    (allowing for clock skew; any time when not ``window``), not excluded; closest in time
    first.

    ``stats`` may be several listings (``executing`` and ``history`` are separate queries).
    """
    listings = [stats] if isinstance(stats, JobsStats) else list(stats)
    listed: dict[str, int | None] = {}
    for listing in listings:
        section = listing.images if target.kind == "image" else listing.videos
        for jobid, running in section.executing.items():
            listed.setdefault(jobid, running.timestamp)
        for jobid, done in section.history.items():
            listed.setdefault(jobid, done.timestamp)
    earliest_ms = (target.sent_at - skew_s) * 1000.0
    found: list[tuple[float, str]] = []
    for jobid, stamp in listed.items():
        if jobid in exclude:
            continue
        parsed = parse_jobid(jobid)
        if parsed is not None and parsed.kind != target.kind:
            continue
        created_ms = (
            stamp if stamp is not None else (parsed.created_ms if parsed is not None else None)
        )
        if window and (created_ms is None or created_ms < earliest_ms):
            continue
        distance = abs(created_ms - target.sent_at * 1000.0) if created_ms is not None else 1e18
        found.append((distance, jobid))
    return [jobid for _, jobid in sorted(found)]


def matches_submission(job: Job, target: ReconcileTarget, *, in_window: bool = True) -> bool:
    """True when ``job`` is the one ``target`` bought: its ``replyRef`` is ours (whenever it was
    made), else -- only for a job made after the send (``in_window``) -- prompt and model."""
    request: Mapping[str, Any] = job.request
    reply_ref = request.get("replyRef")
    if isinstance(reply_ref, str) and reply_ref:
        return reply_ref == target.submission_id
    if not in_window or target.prompt is None or request.get("prompt") != target.prompt:
        return False
    model = request.get("model")
    return target.model is None or model is None or model == target.model


async def find_bought_job(
    target: ReconcileTarget,
    *,
    list_jobs: Callable[[], Awaitable[JobsStats | Sequence[JobsStats]]],
    get_job: Callable[[str], Awaitable[Job]],
    owned: Callable[[str], bool],
    attempts: int = 6,
    interval_s: float = 10.0,
) -> Job | None:
    """Search for the target's job, ``attempts`` times ``interval_s`` apart; ``None`` if absent.

    ``owned(jobid)`` says whether another submission already holds a job (never adopted).
    Listing errors count as an empty attempt; they do not end the search early.
    """
    checked: set[str] = set()
    for attempt in range(attempts):
        if attempt:
            await asyncio.sleep(interval_s)
        try:
            stats = await list_jobs()
        except APIError as exc:
            log.warning("Listing jobs for reconciliation failed: %s", exc)
            continue
        recent = set(candidate_jobids(stats, target, exclude=checked))
        for jobid in candidate_jobids(stats, target, exclude=checked, window=False):
            if owned(jobid):
                checked.add(jobid)
                continue
            try:
                job = await get_job(jobid)
            except APIError as exc:
                log.warning("Reading candidate job during reconciliation failed: %s", exc)
                continue
            checked.add(jobid)
            if matches_submission(job, target, in_window=jobid in recent):
                return job
    return None


def listing_may_hide(
    stats: JobsStats | Sequence[JobsStats],
    target: ReconcileTarget,
    *,
    now: float | None = None,
    skew_s: float = _CLOCK_SKEW_S,
) -> bool:
    """True when the listings could not have shown the target's job, so its absence proves
    nothing: the history is full and its oldest entry is newer than the send (the job may have
    been pushed out), or the send is older than the history's 15-minute window.
    """
    now = time.time() if now is None else now
    if now - target.sent_at > HISTORY_WINDOW_S - skew_s:
        return True
    listings = [stats] if isinstance(stats, JobsStats) else list(stats)
    earliest_ms = (target.sent_at - skew_s) * 1000.0
    for listing in listings:
        history = (listing.images if target.kind == "image" else listing.videos).history
        if len(history) < HISTORY_CAP:
            continue
        stamps = [done.timestamp for done in history.values() if done.timestamp is not None]
        if not stamps or min(stamps) >= earliest_ms:
            return True
    return False
