"""Turning a validated generation request into an accepted job, the same way for every kind.

Each generation route decides *what* it makes (its account, model, price key, typical duration
and output media); :func:`run_plan` then does the rest identically: mint the jobid, admit the
request (captcha, Google's checks, price), create the outputs, fix the job's timetable, charge
and record it, and answer 201 or wait synchronously. Keeping this in one place is what makes
every generation endpoint charge, count and answer alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from starlette.responses import Response

from flow_widgets.api.catalog import VIDEO_MODELS
from flow_widgets.api.ids import make_media_id
from flow_widgets.api.requests import FlowRequest
from flow_widgets.simulator.accounts import Account
from flow_widgets.simulator.balancer import StatKind
from flow_widgets.simulator.generation import (
    Intake,
    accept,
    admit,
    check_reply_url,
    failure_for,
    new_jobid,
    respond,
    timetable,
)
from flow_widgets.simulator.http import HttpError, google_error
from flow_widgets.simulator.jobs import Job
from flow_widgets.simulator.media_store import MediaItem
from flow_widgets.simulator.routing import Call
from flow_widgets.simulator.state import SimulatorState

__all__ = [
    "Plan",
    "check_model_access",
    "new_media",
    "open_request",
    "replay",
    "run_plan",
    "variations",
]

R = TypeVar("R", bound=FlowRequest)

_CAPTCHA_FIELDS = ("captchaToken", "captchaRetry", "captchaOrder")


def _echo(
    request: FlowRequest, intake: Intake, account: Account, seed: int | None
) -> dict[str, Any]:
    """``request`` of the job record: what was asked, with the account and seed used."""
    echo = {k: v for k, v in request.to_payload().items() if k not in _CAPTCHA_FIELDS}
    if "async" in echo or intake.wants_async:
        echo["async"] = intake.wants_async
    echo["email"] = account.email
    if seed is not None:
        echo.setdefault("seed", seed)
    return echo


async def replay(state: SimulatorState, intake: Intake, *, wants_async: bool) -> Response | None:
    """The answer for a repeated ``Idempotency-Key`` (the first job, again), if this is one."""
    if not intake.idempotency_key:
        return None
    try:
        jobid = state.idempotency.lookup(intake.idempotency_key, intake.route, intake.body_sha256)
    except ValueError as exc:
        raise HttpError(400, str(exc)) from None
    job = state.jobs.get(jobid) if jobid is not None else None
    return None if job is None else await respond(state, job, wants_async=wants_async)


def new_media(state: SimulatorState, account: Account, kind: str, **fields: Any) -> MediaItem:
    name = state.uuid()
    media_id = make_media_id(state.config.user_id, account.email, kind, name)  # type: ignore[arg-type]
    return state.media.add(
        MediaItem(
            name=name,
            media_id=media_id,
            kind=kind,  # type: ignore[arg-type]
            email=account.email,
            created=state.now(),
            workflow_id=state.uuid(),
            **fields,
        )
    )


def check_model_access(account: Account, model: str) -> None:
    spec = VIDEO_MODELS.get(model)
    if spec is not None and spec.ultra_200_only and account.family_member:
        raise HttpError(
            403,
            {
                "error": google_error(
                    403,
                    "PUBLIC_ERROR_MODEL_ACCESS_DENIED",
                    f"{model} is not served to invited members of an Ultra family plan.",
                ),
                "code": 403,
            },
        )


@dataclass
class Plan:
    """What one accepted generation will be: its account, price key, duration and outputs."""

    request: Any
    intake: Intake
    account: Account
    kind: StatKind
    model: str
    route: str
    page_action: str
    api_seconds: float
    seed: int | None = None
    job_fields: dict[str, Any] = field(default_factory=dict)


async def run_plan(
    state: SimulatorState, plan: Plan, outputs: Callable[[str], list[MediaItem]]
) -> Response:
    """Admit, create the outputs and the job, charge, and answer (201 or synchronously)."""
    account, req = plan.account, plan.request
    jobid = new_jobid(state, "image" if plan.kind == "images" else "video", account.email)
    ticket = admit(
        state,
        req,
        account,
        jobid=jobid,
        kind=plan.kind,
        model=plan.model,
        route=plan.route,
        page_action=plan.page_action,
    )
    items = outputs(jobid)
    starts, ends = timetable(state, plan.api_seconds, plan.intake.fault)
    job = Job(
        jobid=jobid,
        type="image" if plan.kind == "images" else "video",
        email=account.email,
        model=plan.model,
        tier=account.tier,
        project_id=account.project_id,
        request=_echo(req, plan.intake, account, plan.seed),
        created=state.now(),
        starts=starts,
        ends=ends,
        outputs=[item.name for item in items],
        credits=req.estimate_credits(account.tier, state.catalog),
        captcha=ticket.json,
        failure=failure_for(state, plan.intake.fault),
        reply_url=req.reply_url,
        **plan.job_fields,
    )
    accept(state, job, account, ticket, plan.intake)
    return await respond(state, job, wants_async=plan.intake.wants_async)


async def open_request(
    state: SimulatorState, call: Call, request_class: type[R]
) -> tuple[R, Intake, Response | None]:
    """Validate the body with ``request_class``; the third item answers a repeated
    ``Idempotency-Key`` (send it back as is), otherwise the ``replyUrl`` has been checked."""
    payload = await call.payload()
    intake = call.intake(payload)
    request = request_class.from_payload(payload)
    replayed = await replay(state, intake, wants_async=intake.wants_async)
    if replayed is None:
        check_reply_url(getattr(request, "reply_url", None))
    return request, intake, replayed


def variations(
    state: SimulatorState, account: Account, kind: str, *, count: int, seed: int, **fields: Any
) -> Callable[[str], list[MediaItem]]:
    """The outputs of a generation: ``count`` items with seeds ``seed``, ``seed + 1``, …"""
    return lambda jobid: [
        new_media(state, account, kind, seed=seed + i, jobid=jobid, **fields) for i in range(count)
    ]
