"""Unknown values (spec §7.1) and the ``extra=`` escape hatch.

Requests: ``extra={...}`` reaches the wire as given, cannot set what exactly-once spending relies
on, and changes the fingerprint. Prices: a model newer than the catalog costs the account's
``creditCost``, else the caller's ``max_credits``; under a budget an unknown cost is refused.
Responses: an odd key in ``GET /accounts`` is neither an error nor an account.
"""

from __future__ import annotations

import json
from typing import Any

import anyio
import httpx
import pytest

from flow_widgets.api.catalog import DEFAULT_CATALOG
from flow_widgets.api.client import AsyncFlowClient
from flow_widgets.api.models import Account, parse_account_list
from flow_widgets.api.requests import ImageRequest, VideoRequest
from flow_widgets.errors import BadRequestError, UnknownPriceError, ValidationError
from flow_widgets.runtime.tracker import CreditTracker
from flow_widgets.simulator.app import create_app

EMAIL = "ultra.demo@gmail.com"


class Recording(httpx.AsyncBaseTransport):
    """The in-process simulator, keeping each POST body as sent."""

    def __init__(self) -> None:
        self.inner = httpx.ASGITransport(app=create_app(seed=9))
        self.bodies: list[dict[str, Any]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            self.bodies.append(json.loads(request.content or b"{}"))
        return await self.inner.handle_async_request(request)


def _send(**options: Any) -> tuple[Any, Recording]:
    transport = Recording()

    async def main() -> Any:
        async with AsyncFlowClient(
            "user:1-x", base_url="http://sim.test/v1/google-flow", transport=transport
        ) as client:
            return await client.videos.create("a fox", email=EMAIL, **options)

    try:
        return anyio.run(main), transport
    except BadRequestError as error:
        return error, transport


def test_extra_fields_reach_the_body_as_given() -> None:
    answer, transport = _send(extra={"motionStrength": 0.5, "styleHints": ["film", "grain"]})
    assert len(transport.bodies) == 1
    body = transport.bodies[0]
    assert body["motionStrength"] == 0.5 and body["styleHints"] == ["film", "grain"]
    assert body["async"] is True and body["prompt"] == "a fox"
    # The simulator (which knows only today's fields) answers a free 400 naming it: it was sent.
    assert isinstance(answer, BadRequestError) and "motionStrength" in str(answer)


@pytest.mark.parametrize(
    "key", ["async", "replyRef", "replyUrl", "captchaToken", "captchaRetry", "captchaOrder"]
)
def test_extra_cannot_set_what_exactly_once_spending_relies_on(key: str) -> None:
    with pytest.raises(ValidationError) as refusal:
        _send(extra={key: "x"})
    assert refusal.value.field == key and "exactly once" in str(refusal.value)


@pytest.mark.parametrize("key", ["model", "duration", "referenceImage_3", "email", "prompt"])
def test_extra_cannot_override_a_known_field(key: str) -> None:
    with pytest.raises(ValidationError, match="pass it as an argument"):
        _send(extra={key: "x"})  # raised while building: nothing was sent


def test_extra_values_must_be_json_and_change_the_fingerprint() -> None:
    with pytest.raises(ValidationError, match="JSON value"):
        VideoRequest("a fox", extra={"when": object()})
    plain = VideoRequest("a fox")
    tuned = VideoRequest("a fox", extra={"motionStrength": 0.5})
    assert plain.fingerprint() != tuned.fingerprint()
    assert tuned == VideoRequest("a fox", extra={"motionStrength": 0.5})
    assert ImageRequest("a cat", count=1, extra={"x": 1}).to_payload()["x"] == 1


def test_an_unknown_model_costs_the_accounts_credit_cost_when_it_has_one() -> None:
    account = Account.from_api(
        {
            "health": "OK",
            "credits": {"credits": 900, "userPaygateTier": "PAYGATE_TIER_ONE"},
            "models": {"videoModels": [{"key": "omni_flash_1_3", "creditCost": 31}]},
        },
        email=EMAIL,
    )
    tracker = CreditTracker(DEFAULT_CATALOG, budget=500)
    tracker.update_from_account(account)
    assert tracker.estimate(VideoRequest("x", model="omni-flash-1.3", count=2)) == 62
    # The catalog read straight from the account JSON agrees.
    catalog = DEFAULT_CATALOG.updated_from_account(
        {
            "credits": {"userPaygateTier": "PAYGATE_TIER_ONE"},
            "models": {"videoModels": [{"key": "omni_flash_1_3", "creditCost": 31}]},
        }
    )
    assert catalog.open_price("omni-flash-1.3") == 31


def test_an_unknown_cost_under_a_budget_needs_a_stated_ceiling() -> None:
    request = VideoRequest("x", model="omni-flash-1.3")
    with pytest.raises(UnknownPriceError, match="max_credits"):
        CreditTracker(DEFAULT_CATALOG, budget=500).estimate(request)
    ceiling = VideoRequest("x", model="omni-flash-1.3", max_credits=40)
    assert CreditTracker(DEFAULT_CATALOG, budget=500).estimate(ceiling) == 40
    assert "max_credits" not in ceiling.to_payload()  # never sent
    assert ceiling.fingerprint() == request.fingerprint()
    # No budget: sent with the open-set warning; nothing to promise.
    assert CreditTracker(DEFAULT_CATALOG).estimate(request) == 0


def test_an_odd_key_in_get_accounts_is_neither_an_error_nor_an_account() -> None:
    body = {
        "a@example.org": {"health": "OK", "created": "2026-11-01T00:00:00Z", "newField": {"x": 1}},
        "meta": {"total": 1},
        "total": 1,
    }
    accounts = parse_account_list(body)
    assert [a.email for a in accounts] == ["a@example.org"]
    assert accounts[0].healthy


def test_a_request_with_extra_is_rebuilt_from_the_ledger_with_the_same_fingerprint() -> None:
    from types import SimpleNamespace

    from flow_widgets.runtime.work_item import request_from_submission

    sent = VideoRequest("a fox", email=EMAIL, extra={"motionStrength": 0.5})
    with pytest.raises(ValidationError, match="motionStrength"):
        VideoRequest.from_payload(sent.to_payload())  # the simulator's view: an unknown field
    again = VideoRequest.from_payload(sent.to_payload(), keep_extra=True)
    assert again == sent and again.fingerprint() == sent.fingerprint()
    row = SimpleNamespace(kind="video", payload={**sent.to_payload(), "replyRef": "sid-1"})
    work = request_from_submission(row)  # type: ignore[arg-type]
    assert work is not None and work.request.fingerprint() == sent.fingerprint()


def test_an_extension_of_unknown_price_costs_its_stated_ceiling_and_never_sends_it() -> None:
    from flow_widgets.api.requests import ExtendRequest

    video = f"user:1-email:{EMAIL.encode().hex()}-video:3f1c2b1a-0000-4000-8000-000000000001"
    request = ExtendRequest(video, "it leaps", model="veo-4-preview")
    with pytest.raises(UnknownPriceError, match="max_credits"):
        request.estimate_credits("pro")
    ceiling = ExtendRequest(video, "it leaps", model="veo-4-preview", max_credits=40)
    assert ceiling.estimate_credits("pro") == 40
    assert "max_credits" not in ceiling.to_payload()
    assert ceiling.fingerprint() == request.fingerprint()
    with pytest.raises(ValidationError, match="max_credits"):
        ExtendRequest(video, "it leaps", model="veo-4-preview", max_credits=-1)
