"""Fixtures for the session, batch and resume tests: a live simulator per module, its test
controls, and a session whose ledger and media live in the test's temporary folder.

A module picks its simulator with ``SIMULATOR = {"seed": …, "time_scale": …}``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from session_support import SimControl, open_session, running_simulator

from flow_widgets.runtime.session import FlowSession
from flow_widgets.simulator.server import RunningSimulator


@pytest.fixture(scope="module")
def sim(request: pytest.FixtureRequest) -> Iterator[RunningSimulator]:
    """A simulator over real loopback HTTP, one per test module."""
    with running_simulator(**getattr(request.module, "SIMULATOR", {})) as running:
        yield running


@pytest.fixture
def control(sim: RunningSimulator) -> Iterator[SimControl]:
    """The simulator's controls; counts start at this test, faults are cleared after it."""
    ctl = SimControl(sim)
    yield ctl
    ctl.close()


@pytest.fixture
def flow(sim: RunningSimulator, tmp_path: Path) -> Iterator[FlowSession]:
    """A session on the module's simulator, closed after the test."""
    session = open_session(sim, tmp_path)
    yield session
    session.close()
