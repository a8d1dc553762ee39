"""Fixtures for the panel tests: a fast simulator per module, a session per test, a recorder.

Panels are driven against the real session and the simulator on loopback (see
``tests/ui/panel_support.py``); these fixtures only wire that up once for every panel test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from flow_widgets.runtime.session import FlowSession
from flow_widgets.simulator.server import RunningSimulator
from flow_widgets.ui._widgets_version import IPYWIDGETS_MAJOR
from tests.ui.panel_support import Recorder, session, simulator

_NEEDS_IPYWIDGETS_8 = ("test_studio.py", "test_prompt_box.py", "test_studio_groups.py")
#: Fixtures that build a Studio (``panels``: every panel of the family, the Studio first).
_STUDIO_FIXTURES = ("studio", "panels")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """On ipywidgets 7 (the lowest-versions run), the Studio's tests are skipped: the Studio
    refuses to start there in one sentence, which test_widgets_version.py checks."""
    if IPYWIDGETS_MAJOR >= 8:
        return
    skip = pytest.mark.skip(reason="the Studio needs ipywidgets 8")
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if item.path.name in _NEEDS_IPYWIDGETS_8 or any(f in fixtures for f in _STUDIO_FIXTURES):
            item.add_marker(skip)


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    """One fast simulator per test module."""
    yield from simulator()


@pytest.fixture
def flow(sim: RunningSimulator, tmp_path: Path) -> Iterator[FlowSession]:
    """A session of the test's own on the module's simulator."""
    yield from session(sim, tmp_path)


@pytest.fixture
def board() -> Recorder:
    """What a panel's boards would have sent to the notebook."""
    return Recorder()
