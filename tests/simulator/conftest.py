"""Fixtures for the simulator's own tests: a live server per module, clients, small media.

Each module that asks for ``sim`` gets its own simulator on loopback (fresh accounts and
ledger), with test controls on and time compressed 500-fold, so a Veo clip "takes" 0.2 s and
anything longer is reached by advancing the clock.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from flow_widgets.simulator.server import RunningSimulator, start_background
from tests.simulator.sim_support import FAST_TIME, WebhookInbox


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    # High concurrency caps: only the limits module (its own server) tests the caps.
    with start_background(
        seed=7,
        time_scale=FAST_TIME,
        test_controls=True,
        max_concurrent_videos=100,
        max_concurrent_images=100,
        max_accounts=10,  # tests add accounts; the 3-account default (C7) is tested on its own
    ) as running:
        yield running


@pytest.fixture(scope="module")
def api(sim: RunningSimulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sim.base_url, headers=sim.headers, timeout=20) as client:
        yield client


@pytest.fixture(scope="module")
def media_http() -> Iterator[httpx.Client]:
    """A client for the media origin: no Authorization header, ever."""
    with httpx.Client(timeout=20) as client:
        yield client


@pytest.fixture
def inbox() -> Iterator[WebhookInbox]:
    box = WebhookInbox()
    yield box
    box.close()
