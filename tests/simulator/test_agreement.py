"""The simulator accepts exactly what the client's request objects accept (R-28 as a property).

Both sides are built from one rule book (``flow_widgets.api.requests``), so for any body the
simulator must answer 201 when ``VideoRequest.from_payload`` and ``validate_for_tier`` pass, and
400 when either refuses -- never a surprise in between.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from anyio.from_thread import start_blocking_portal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flow_widgets.api.catalog import VIDEO_ASPECTS, VIDEO_MODELS
from flow_widgets.api.requests import VideoRequest
from flow_widgets.api.requests._evidence import SERVER_ENFORCED, enforcing
from flow_widgets.errors import ValidationError
from flow_widgets.simulator.app import create_app
from flow_widgets.simulator.clock import ManualClock
from flow_widgets.simulator.config import AccountSpec

RICH = 10**9
ACCOUNTS = {
    "ultra@x.org": "ultra_200",
    "pro@x.org": "pro",
    "plus@x.org": "plus",
    "free@x.org": "free",
}


Post = Callable[[dict[str, Any]], httpx.Response]


@pytest.fixture(scope="module")
def post() -> Iterator[Post]:
    """``POST /videos`` on one in-process simulator whose loop runs in a portal thread."""
    app = create_app(
        clock=ManualClock(),
        accounts=[AccountSpec(email, tier, RICH) for email, tier in ACCOUNTS.items()],  # type: ignore[arg-type]
        max_concurrent_videos=100_000,
    )
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app),
        base_url="http://sim/v1/google-flow",
        headers={"Authorization": "Bearer user:12345-x"},
    )
    with start_blocking_portal() as portal:
        yield lambda body: portal.call(functools.partial(client.post, "/videos", json=body))
        portal.call(client.aclose)


bodies = st.fixed_dictionaries(
    {
        "prompt": st.sampled_from(["a fox"] * 8 + ["   ", "see @referenceImage_1"]),
        "email": st.sampled_from(sorted(ACCOUNTS)),
    },
    optional={
        "model": st.sampled_from([*VIDEO_MODELS, "veo-4"]),
        "duration": st.sampled_from([8, 8, 8, 3, 4, 6, 10, 12, 15]),
        "aspectRatio": st.sampled_from([*VIDEO_ASPECTS, "16:9", "9:16"]),
        "resolution": st.sampled_from(["720p", "720p", "360p", "1080p"]),
        "count": st.sampled_from([1, 1, 2, 4, 0, 5]),
        "seed": st.integers(min_value=-1, max_value=2**31),
        "captchaRetry": st.sampled_from([1, 3, 10, 0, 11]),
    },
)


def _client_verdict(body: dict[str, Any], *, as_server: bool = True) -> int:
    """The client's verdict; ``as_server``: with the open sets and plans the server enforces
    (what the simulator plays), else the client's own default (spec §7.1: reported rules warn)."""
    try:
        with enforcing(SERVER_ENFORCED if as_server else ()):
            request = VideoRequest.from_payload(body)
            request.validate_for_tier(ACCOUNTS[body["email"]])  # type: ignore[arg-type]
    except ValidationError:
        return 400
    return 201


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=bodies)
def test_simulator_and_client_agree_on_every_video_body(post: Post, body: dict[str, Any]) -> None:
    response = post({**body, "async": True})
    assert response.status_code == _client_verdict(body), (body, response.text)
    # The client on its own never refuses what the simulator (the vendor's behaviour) accepts.
    if _client_verdict(body, as_server=False) == 400:
        assert response.status_code == 400, body
    if response.status_code == 400:
        with pytest.raises(ValidationError) as refusal, enforcing(SERVER_ENFORCED):
            request = VideoRequest.from_payload(body)
            request.validate_for_tier(ACCOUNTS[body["email"]])  # type: ignore[arg-type]
        assert response.json()["error"] == str(refusal.value)
