"""Account endpoints (spec §3.1-§3.7): accounts, captcha providers, captcha statistics.

``POST /accounts`` reads the account's email from the cookies by the simulator's convention
(see :mod:`flow_widgets.simulator.accounts`): 201 for a new account, 200 when it updates one.
``GET /accounts`` is keyed by the real address (as the official scripts expect, spec §6 item 17).
"""

from __future__ import annotations

from starlette.responses import Response

from flow_widgets.api.requests import AddAccount, CaptchaStatsQuery, SetCaptchaProviders
from flow_widgets.simulator.accounts import CookieError, account_from_cookies
from flow_widgets.simulator.drift import apply_drift
from flow_widgets.simulator.http import HttpError, json_response
from flow_widgets.simulator.routing import Call
from flow_widgets.simulator.state import SimulatorState

__all__ = [
    "delete_account",
    "get_account",
    "get_accounts",
    "get_captcha_providers",
    "get_captcha_stats",
    "post_account",
    "post_captcha_providers",
]


async def post_account(state: SimulatorState, call: Call) -> Response:
    payload = await call.payload()
    dry_run = str(payload.pop("dryRun", "false")).lower() in ("true", "1")
    req = AddAccount.from_payload(payload)
    now = state.now()
    try:
        fresh = account_from_cookies(req.cookies, now=now, project_id=state.uuid())
    except CookieError as exc:
        raise HttpError(400, str(exc)) from None
    existing = state.accounts.get(fresh.email)
    if existing is None and len(state.accounts) >= state.config.max_accounts:
        raise HttpError(
            400,
            f"At most {state.config.max_accounts} Google Flow accounts can be added; delete one "
            "with DELETE /accounts/{email} first.",
        )
    if dry_run:
        return json_response(fresh.config_json(now), 200)
    if existing is not None:
        existing.cookies = fresh.cookies
        existing.health = "OK"
        return json_response(existing.config_json(now), 200)
    state.accounts[fresh.email] = fresh
    return json_response(fresh.config_json(now), 201)


async def get_accounts(state: SimulatorState, call: Call) -> Response:
    now = state.now()
    return json_response({email: a.summary_json(now) for email, a in state.accounts.items()})


async def get_account(state: SimulatorState, call: Call) -> Response:
    account = state.account(call.param("email"))
    return json_response(apply_drift(account.detail_json(state.now(), state.catalog), state.drift))


async def delete_account(state: SimulatorState, call: Call) -> Response:
    email = call.param("email")
    state.account(email)
    del state.accounts[email]
    state.balancer.forget(email)
    return json_response({"message": f"Google Flow account {email} deleted"})


async def post_captcha_providers(state: SimulatorState, call: Call) -> Response:
    payload = await call.payload()
    req = SetCaptchaProviders.from_payload(payload)
    state.captcha.configure(req.providers)
    return json_response(state.captcha.providers_json())


async def get_captcha_providers(state: SimulatorState, call: Call) -> Response:
    return json_response(state.captcha.providers_json())


async def get_captcha_stats(state: SimulatorState, call: Call) -> Response:
    query = CaptchaStatsQuery.from_payload(dict(call.request.query_params))
    body = state.captcha.stats(
        now=state.now(),
        date=query.date,
        limit=query.limit,
        provider=query.provider,
        anonymized=bool(query.anonymized),
    )
    return json_response(body)
