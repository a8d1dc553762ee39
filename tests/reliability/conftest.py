"""Fixtures for the reliability suite: a fresh simulator per test, sessions on it, the figures.

Each test gets its own loopback simulator (fresh accounts, ledger and fault switches) with test
controls on and time compressed 500-fold, so a Veo clip "takes" a fraction of a second and the
20-minute poll deadline is a few seconds. Sessions made through ``make_session`` write their
ledger and media into the test's temporary folder and are closed at teardown.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from flow_widgets.simulator.server import RunningSimulator, start_background
from tests.reliability.harness import CanaryHost, CheapMedia, SimControl, cheap_media_installed
from tests.reliability.report import Figures, rows_of, settle_outcome

FAST_TIME = 0.002
SimFactory = Callable[..., RunningSimulator]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    settle_outcome(item.config, outcome.get_result())


@pytest.fixture(autouse=True)
def _close_controls() -> Iterator[None]:
    """Close every simulator control a test opened, even when it failed half-way."""
    yield
    SimControl.close_all()


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> Figures:
    """Record this scenario's row(s) for the reliability table."""
    return Figures(rows_of(request.config), request.node.nodeid)


@pytest.fixture
def canary() -> str:
    """A token no test could produce by accident (the secret the sweeps look for)."""
    return f"user:4242-FLOWCANARY{uuid.uuid4().hex}"


@pytest.fixture
def make_sim() -> Iterator[SimFactory]:
    """Start simulators (``make_sim(**create_app options)``); all are stopped at teardown."""
    started: list[RunningSimulator] = []

    def start(**options: Any) -> RunningSimulator:
        settings: dict[str, Any] = {"seed": 11, "time_scale": FAST_TIME, "test_controls": True}
        settings.update(options)
        running = start_background(**settings)
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()


@pytest.fixture
def sim(make_sim: SimFactory) -> RunningSimulator:
    return make_sim()


@pytest.fixture
def control(sim: RunningSimulator) -> Iterator[SimControl]:
    ctl = SimControl(sim)
    yield ctl
    ctl.close()


@pytest.fixture
def canary_host() -> Iterator[CanaryHost]:
    """A loopback server counting the requests hostile URLs send it."""
    host = CanaryHost()
    yield host
    host.close()


@pytest.fixture
def cheap_media(monkeypatch: pytest.MonkeyPatch) -> Iterator[CheapMedia]:
    with cheap_media_installed(monkeypatch) as cheap:
        yield cheap


@pytest.fixture
def make_session(tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """``make_session(sim, **FlowSession options)`` with the ledger and media under tmp_path."""
    from flow_widgets.runtime.session import FlowSession

    sessions: list[Any] = []

    def build(simulator: RunningSimulator | None = None, **options: Any) -> Any:
        options.setdefault("data_dir", tmp_path / "home")
        options.setdefault("media_dir", tmp_path / "media")
        options.setdefault("announce", lambda _text: None)
        flow = FlowSession(simulator=simulator, **options)
        sessions.append(flow)
        return flow

    yield build
    for flow in sessions:
        flow.close()
