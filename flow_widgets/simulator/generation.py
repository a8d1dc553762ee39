"""The submission pipeline every paid or captcha-guarded generation goes through.

In the order the real service applies them (validation first, then captcha, then Google):

1. **Idempotency** -- a repeated ``Idempotency-Key`` with the same body gets the first job back
   (no captcha, no charge); with a different body, 400.
2. **Inputs** -- every media id, character and voice named must belong to this useapi user
   (403), exist (404) and be of the right kind (400); a ``replyUrl`` must be loopback (400).
3. **Account** -- the owner of the inputs, else ``email``, else the load balancer
   (:mod:`~flow_widgets.simulator.balancer`); then the plan rules (``validate_for_tier``).
4. **Captcha** -- simulated solving (403 ``captcha_quality:`` / 503 ``Captcha service failed:``).
5. **Google** -- a broken session (596), a quota (429 + quarantine), the per-account concurrency
   cap (429 ``PUBLIC_ERROR_USER_REQUESTS_THROTTLED`` + quarantine), credits (402).
6. **Acceptance** -- the job is created with its timetable, credits are charged, the ledger
   records it, the ``created`` webhook goes out.

Then :func:`respond` answers 201 with the job record (``async``) or waits on the simulated clock
and answers 200 / the job's error / 408 (synchronous).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from starlette.responses import Response

from flow_widgets.api.ids import make_jobid, parse_character_ref, parse_media_id, parse_voice_ref
from flow_widgets.simulator.accounts import Account
from flow_widgets.simulator.balancer import StatKind
from flow_widgets.simulator.captcha import CaptchaTicket
from flow_widgets.simulator.faults import Fault
from flow_widgets.simulator.http import HttpError, json_response, rate_limited
from flow_widgets.simulator.jobs import TERMINAL, Failure, Job
from flow_widgets.simulator.library import Character, Voice
from flow_widgets.simulator.media_store import MediaItem
from flow_widgets.simulator.state import SimulatorState

__all__ = [
    "Intake",
    "accept",
    "admit",
    "check_reply_url",
    "find_character",
    "find_media",
    "find_voice",
    "pick_account",
    "respond",
    "timetable",
]

_THROTTLED = "PUBLIC_ERROR_USER_REQUESTS_THROTTLED"
_LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


@dataclass
class Intake:
    """What the route knows about one submission before the pipeline runs."""

    route: str
    body_sha256: str
    idempotency_key: str | None
    fault: Fault | None
    wants_async: bool


# --------------------------------------------------------------------------- inputs


def check_reply_url(url: str | None) -> None:
    """Webhooks may only go to loopback addresses from the simulator."""
    if url is None:
        return
    host = (urlsplit(url).hostname or "").lower()
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host in _LOOPBACK_NAMES
    if not loopback:
        raise HttpError(
            400,
            "replyUrl must point at this machine (127.0.0.1, ::1 or localhost): the simulator "
            "delivers webhooks to loopback addresses only.",
        )


def find_media(state: SimulatorState, media_id: str, field: str, kind: str) -> MediaItem:
    """The media item behind ``media_id`` (403 other user, 404 unknown, 400 wrong kind)."""
    parsed = parse_media_id(media_id)
    if parsed is None:
        raise HttpError(400, f"{field} has incorrect format")
    _same_user(state, parsed.user, field)
    item = state.media.by_id(media_id)
    if item is None:
        raise HttpError(404, f"{field} {media_id} was not found; use an id this server returned.")
    if item.kind != kind:
        raise HttpError(400, f"{field} type must be '{kind}', got '{item.kind}'")
    return item


def _same_user(state: SimulatorState, user: str, where: str) -> None:
    if user != str(state.config.user_id):
        raise HttpError(403, f"Unauthorized access to user:{user} detected in {where}")


def find_character(state: SimulatorState, ref: str, field: str) -> Character:
    """The character behind ``ref`` (403 other user, 404 unknown or deleted)."""
    parsed = parse_character_ref(ref)
    if parsed is None:
        raise HttpError(400, f"Parameter {field} has incorrect format")
    _same_user(state, parsed.user, "character reference")
    character = state.characters.get(parsed.entity_id)
    if character is None or character.email != parsed.email:
        raise HttpError(404, f"Character not found: {parsed.entity_id}")
    return character


def find_voice(state: SimulatorState, ref: str) -> Voice:
    """The user voice behind ``ref`` (403 other user, 404 unknown or deleted)."""
    parsed = parse_voice_ref(ref)
    if parsed is None:
        raise HttpError(
            400,
            "Parameter voiceRef is neither a system voice name nor a recognized user voice "
            "reference-id",
        )
    _same_user(state, parsed.user, "voice reference")
    voice = state.voices.get(parsed.workflow_id)
    if voice is None or voice.email != parsed.email:
        raise HttpError(404, f"Voice not found: {parsed.workflow_id}")
    return voice


# --------------------------------------------------------------------------- account


def pick_account(
    state: SimulatorState,
    *,
    email: str | None,
    owners: Iterable[str],
    kind: StatKind,
    model: str,
) -> Account:
    """The account a request runs on: the inputs' owner, ``email``, or the load balancer."""
    owner = next(iter(owners), None)
    if owner is not None:
        return state.account(owner)
    if email is not None:
        return state.account(email)
    if not state.accounts:
        raise HttpError(404, "No Google Flow account is configured; add one with POST /accounts.")
    healthy = state.healthy_emails() or list(state.accounts)
    return state.accounts[state.balancer.pick(kind, healthy, model, state.now())]


def google_checks(
    state: SimulatorState, account: Account, *, kind: StatKind, model: str, credits: int
) -> None:
    """What Google itself would refuse: broken session, quota, concurrency, credits."""
    now = state.now()
    if not account.healthy:
        raise HttpError(
            596,
            {
                "error": f"Google session for {account.email} is broken and could not be "
                f"refreshed ({account.health}); re-add the account with POST /accounts.",
                "code": 596,
            },
        )
    block = account.block_for(model, now)
    if block is not None:
        reason, until = block
        state.balancer.quarantine(account.email, reason, model, until=until, now=now)
        raise rate_limited(reason, retry_after=until - now, now=now)
    cap = (
        state.config.max_concurrent_videos
        if kind == "videos"
        else state.config.max_concurrent_images
    )
    running = [state.jobs.get(jobid) for jobid in state.balancer.running(kind, account.email)]
    if len(running) >= cap:
        ends = [job.ends for job in running if job is not None and job.ends is not None]
        wait = min(ends) - now if ends else state.config.scaled(state.config.throttle_cooldown)
        until = now + state.config.scaled(state.config.throttle_cooldown)
        state.balancer.quarantine(account.email, _THROTTLED, model, until=until, now=now)
        raise rate_limited(_THROTTLED, retry_after=wait, now=now)
    if credits > account.credits:
        raise HttpError(
            402,
            {
                "error": f"Not enough Google Flow credits on {account.email}: this request needs "
                f"{credits} and {account.credits} are left; top up or use a cheaper model.",
                "code": 402,
            },
        )


def admit(
    state: SimulatorState,
    request: Any,
    account: Account,
    *,
    jobid: str,
    kind: StatKind,
    model: str,
    route: str,
    page_action: str,
    google: bool = True,
) -> CaptchaTicket:
    """Captcha, then (unless ``google`` is false) Google's own checks and the price.

    Refusals are counted in the statistics and the captcha rows, then raised.
    """
    ticket: CaptchaTicket | None = None
    try:
        ticket = state.captcha.solve(
            request.captcha,
            route=route,
            page_action=page_action,
            tier=account.tier,
            jobid=jobid,
            now=state.now(),
        )
        if google:
            credits = request.estimate_credits(account.tier, state.catalog)
            google_checks(state, account, kind=kind, model=model, credits=credits)
    except HttpError as error:
        raise refused(state, error, kind=kind, email=account.email, ticket=ticket) from None
    return ticket


def _stat_kind(job: Job) -> StatKind:
    return "videos" if job.type == "video" else "images"


# --------------------------------------------------------------------------- acceptance


def new_jobid(state: SimulatorState, kind: str, email: str) -> str:
    """A jobid that is unique even when two jobs arrive within the same millisecond."""
    ms = max(int(state.now() * 1000), state.last_job_ms + 1)
    state.last_job_ms = ms
    return make_jobid(ms, "video" if kind == "video" else "image", state.config.user_id, email)


def timetable(
    state: SimulatorState, api_seconds: float, fault: Fault | None
) -> tuple[float, float | None]:
    """``(starts, ends)`` in clock time for work the real API does in ``api_seconds``."""
    jitter = state.config.duration_jitter
    seconds = state.config.scaled(api_seconds) * state.rng.uniform(1 - jitter, 1 + jitter)
    now = state.now()
    starts = now + seconds * 0.1
    ends = None if fault is not None and fault.action == "never_finish" else now + seconds
    return starts, ends


def failure_for(state: SimulatorState, fault: Fault | None) -> Failure | None:
    """How the job will fail: a ``fail_job`` fault, or the random failure rate."""
    if fault is not None and fault.action == "fail_job":
        return Failure(
            error=fault.error,
            details=fault.message or "Upstream model returned an internal error",
            code=fault.code,
            charged=fault.charged,
            reason=fault.reason,
        )
    rate = state.config.job_failure_rate
    if rate and state.rng.random() < rate:
        return Failure()
    return None


def accept(
    state: SimulatorState,
    job: Job,
    account: Account,
    ticket: CaptchaTicket | None,
    intake: Intake,
) -> Job:
    """Record, charge and announce an accepted job."""
    now = state.now()
    if job.credits:
        account.credits -= job.credits
        state.ledger.record_charge(
            time=now,
            email=account.email,
            jobid=job.jobid,
            amount=job.credits,
            balance=account.credits,
        )
    job.remaining_credits = account.credits if job.type == "video" else None
    account.count_generation(job.model, now)
    state.jobs.add(job)
    state.balancer.started(_stat_kind(job), job.jobid, account.email, now)
    state.ledger.record_job(
        time=now,
        jobid=job.jobid,
        route=intake.route,
        email=account.email,
        model=job.model,
        credits=job.credits,
        idempotency_key=intake.idempotency_key,
    )
    if intake.idempotency_key:
        state.idempotency.remember(
            intake.idempotency_key, intake.route, intake.body_sha256, job.jobid
        )
    if ticket is not None:
        ticket.settle(200)
    state.scheduler.notify(job, now)
    return job


def refused(
    state: SimulatorState,
    error: HttpError,
    *,
    kind: StatKind,
    email: str,
    ticket: CaptchaTicket | None,
) -> HttpError:
    """Count a refusal in the statistics and the captcha row; give the error back to raise."""
    state.balancer.refused(kind, email, error.status, state.now())
    if ticket is not None:
        detail = error.body.get("error")
        reason = ""
        if isinstance(detail, dict):
            reason = next((d.get("reason", "") for d in detail.get("details", [])), "")
        ticket.settle(error.status, reason=reason, error=str(detail)[:200])
    return error


# --------------------------------------------------------------------------- answers


def job_failure_body(job: Job) -> tuple[int, dict[str, Any]]:
    assert job.failure is not None
    body = {
        "error": job.failure.error,
        "errorDetails": job.failure.details,
        "code": job.failure.code,
        "jobId": job.jobid,
    }
    return job.failure.code, body


async def respond(state: SimulatorState, job: Job, *, wants_async: bool) -> Response:
    """201 with the record (async), or wait and answer 200 / the failure / 408 (sync)."""
    if wants_async:
        return json_response(job.record(state.now(), state.media, state.url), 201)
    deadline = state.now() + state.config.scaled(state.config.sync_timeout)
    finished = await state.scheduler.wait_until(
        deadline, lambda: job.status_at(state.now()) in TERMINAL
    )
    if not finished:
        return json_response({"error": "Polling timeout", "code": 408, "jobId": job.jobid}, 408)
    if job.status_at(state.now()) == "failed":
        status, body = job_failure_body(job)
        return json_response(body, status)
    return json_response({"jobId": job.jobid, **job.result(state.media, state.url)})
