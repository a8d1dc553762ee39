"""Test controls under ``/_sim/``: switched off unless ``test_controls=True``.

They exist so tests (and curious teachers) can bend the simulator without restarting it. No
bearer token is needed; the server only listens on loopback. Bodies are JSON.

=====================================  ===========================================================
``GET  /_sim/state``                   clock, accounts (credits, health, blocks, the peak number
                                       of jobs executing at once), job and media counts, renders,
                                       free captcha solves
``GET  /_sim/clock``                   ``{"now": <epoch>, "iso": …}``
``POST /_sim/clock``                   ``{"advance": seconds}``: move the clock forward (jobs
                                       finish, URLs expire, quotas reset, quarantines end)
``GET  /_sim/faults``                  the armed faults with how often each fired
``POST /_sim/faults``                  arm one fault (an object) or several (``{"faults": [...]}``)
                                       -- fields in :mod:`flow_widgets.simulator.faults`
``DELETE /_sim/faults[/{id}]``         disarm all faults, or one
``POST /_sim/expire-urls``             every signed media URL handed out so far now answers 403
``POST|DELETE /_sim/drift``            change prices, add models or account fields in
                                       ``GET /accounts/{email}`` (see ``simulator.drift``)
``GET  /_sim/ledger?since=<seq>``      requests (both origins), accepted jobs, credit charges and
                                       refunds, webhook deliveries, media-host Authorization
                                       refusals -- see :mod:`flow_widgets.simulator.ledger`
``GET|POST /_sim/canary[/…]``          counts a hit (``canaryHits`` in the ledger): point a
                                       malformed body's URLs here to prove a client never
                                       fetches what it must not
``POST /_sim/accounts/{email}``        change an account: ``credits``, ``health`` (``"OK"`` or an
                                       error text: generations then get 596), ``block`` =
                                       ``{"reason", "model" (default "*"), "seconds"}`` (Google
                                       refuses it with that 429 reason; omit ``seconds`` for the
                                       reason's own cooldown: UTC midnight for per-model daily
                                       quota, the scaled 30 minutes otherwise)
=====================================  ===========================================================
"""

from __future__ import annotations

import json
import math
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from flow_widgets.simulator.clock import iso_time, next_utc_midnight
from flow_widgets.simulator.drift import Drift
from flow_widgets.simulator.faults import fault_from_dict
from flow_widgets.simulator.http import HttpError, json_response
from flow_widgets.simulator.state import SimulatorState

__all__ = ["control_routes"]

_DAILY = "PUBLIC_ERROR_PER_MODEL_DAILY_QUOTA_REACHED"


async def _json(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise HttpError(400, "The control API takes a JSON body.") from None


def control_routes(state: SimulatorState) -> list[Route]:
    """The ``/_sim/`` routes bound to ``state``."""

    def guarded(handler: Callable[[Request], Awaitable[Response]]) -> Any:
        async def endpoint(request: Request) -> Response:
            state.scheduler.ensure_running()
            state.scheduler.settle(state.now())
            try:
                return await handler(request)
            except HttpError as error:
                return error.response()
            except ValueError as error:
                return json_response({"error": str(error)}, 400)

        endpoint.__name__ = handler.__name__
        return endpoint

    async def get_state(request: Request) -> Response:
        now = state.now()
        accounts = {
            email: {
                "tier": a.tier,
                "credits": a.credits,
                "health": a.health,
                "blocks": [
                    {"reason": reason, "model": model, "until": iso_time(until)}
                    for (reason, model), until in a.blocks.items()
                    if until > now
                ],
                "peakExecuting": {
                    kind: state.balancer.peak.get((kind, email), 0) for kind in ("videos", "images")
                },
            }
            for email, a in state.accounts.items()
        }
        return json_response(
            {
                "now": now,
                "iso": iso_time(now),
                "accounts": accounts,
                "jobs": len(state.jobs),
                "media": len(state.media),
                "renders": state.media.renders,
                "freeCaptchaCredits": state.captcha.free_credits,
            }
        )

    async def get_clock(request: Request) -> Response:
        now = state.now()
        return json_response({"now": now, "iso": iso_time(now)})

    async def post_clock(request: Request) -> Response:
        body = await _json(request)
        seconds = body.get("advance") if isinstance(body, dict) else None
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, (int, float))
            or not math.isfinite(seconds)
        ):
            raise HttpError(400, "advance must be a number of seconds, such as 3600.")
        state.clock.advance(float(seconds))
        state.scheduler.settle(state.now())
        state.scheduler.wake()
        return await get_clock(request)

    async def get_faults(request: Request) -> Response:
        return json_response({"faults": state.faults.listing()})

    async def post_faults(request: Request) -> Response:
        body = await _json(request)
        items = body.get("faults") if isinstance(body, dict) and "faults" in body else [body]
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise HttpError(400, 'Send one fault object, or {"faults": [...]} with objects.')
        faults = [fault_from_dict(item, now=state.now()) for item in items]
        added = [state.faults.add(fault).to_dict() for fault in faults]
        return json_response({"faults": added}, 201)

    async def delete_faults(request: Request) -> Response:
        fault_id = request.path_params.get("fault_id")
        if fault_id is None:
            state.faults.clear()
            return json_response({"faults": []})
        if not state.faults.remove(int(fault_id)):
            raise HttpError(404, f"No fault with id {fault_id}.")
        return json_response({"faults": state.faults.listing()})

    async def post_expire_urls(request: Request) -> Response:
        state.signer.rotate()
        return json_response({"keyName": state.signer.key_name})

    async def get_ledger(request: Request) -> Response:
        since = request.query_params.get("since", "0")
        if not since.isdigit():
            raise HttpError(400, "since must be a ledger sequence number, such as 0.")
        return json_response(state.ledger.snapshot(int(since)))

    async def post_account(request: Request) -> Response:
        account = state.account(request.path_params["email"])
        body = await _json(request)
        if not isinstance(body, dict):
            raise HttpError(400, "Send a JSON object with credits, health or block.")
        credits = body.get("credits")
        if credits is not None:
            if isinstance(credits, bool) or not isinstance(credits, int) or credits < 0:
                raise HttpError(400, "credits must be a whole number of 0 or more.")
            account.credits = credits
        health = body.get("health")
        if health is not None:
            if not isinstance(health, str) or not health.strip():
                raise HttpError(400, 'health must be "OK" or an error text.')
            account.health = health
        block = body.get("block")
        if block is not None:
            if not isinstance(block, dict) or not isinstance(block.get("reason"), str):
                raise HttpError(400, 'block must be {"reason": "PUBLIC_ERROR_…", "model": …}.')
            now = state.now()
            seconds = block.get("seconds")
            if seconds is not None:
                until = now + float(seconds)
            elif block["reason"] == _DAILY:
                until = next_utc_midnight(now)
            else:
                until = now + state.config.scaled(state.config.user_quota_cooldown)
            account.blocks[(block["reason"], str(block.get("model", "*")))] = until
        return await get_state(request)

    async def post_drift(request: Request) -> Response:
        try:
            state.drift = Drift.from_body(await _json(request))
        except ValueError as exc:
            raise HttpError(400, str(exc)) from None
        return json_response(state.drift.to_json())

    async def delete_drift(request: Request) -> Response:
        state.drift = Drift()
        return json_response(state.drift.to_json())

    async def canary(request: Request) -> Response:
        state.ledger.canary_hits += 1
        return Response("canary", media_type="text/plain")

    g = guarded
    return [
        Route("/_sim/canary", g(canary), methods=["GET", "POST"]),
        Route("/_sim/canary/{rest:path}", g(canary), methods=["GET", "POST"]),
        Route("/_sim/state", g(get_state)),
        Route("/_sim/clock", g(get_clock)),
        Route("/_sim/clock", g(post_clock), methods=["POST"]),
        Route("/_sim/faults", g(get_faults)),
        Route("/_sim/faults", g(post_faults), methods=["POST"]),
        Route("/_sim/faults", g(delete_faults), methods=["DELETE"]),
        Route("/_sim/faults/{fault_id:int}", g(delete_faults), methods=["DELETE"]),
        Route("/_sim/expire-urls", g(post_expire_urls), methods=["POST"]),
        Route("/_sim/drift", g(post_drift), methods=["POST"]),
        Route("/_sim/drift", g(delete_drift), methods=["DELETE"]),
        Route("/_sim/ledger", g(get_ledger)),
        Route("/_sim/accounts/{email}", g(post_account), methods=["POST"]),
    ]
