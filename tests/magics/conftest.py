"""Fixtures for magic tests: an IPython shell with the extension, a fast simulator, a fresh session.

The shell is IPython's own ``InteractiveShell`` (no kernel), so cells block until their jobs end
(see ``flow_widgets.magics._mode``) — exactly what a headless run does. Displays go to a
capturing publisher that records every ``display`` and ``update_display``, from any thread;
:func:`final_outputs` replays them the way a notebook frontend would.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from IPython.core.displaypub import CapturingDisplayPublisher
from IPython.core.interactiveshell import InteractiveShell

from flow_widgets.simulator import Fault, RunningSimulator, start_background

FAST = 0.004  # wall seconds per API second: a 100 s clip in 0.4 s


@pytest.fixture(scope="module")
def simulator() -> Iterator[RunningSimulator]:
    running = start_background(time_scale=FAST, seed=7)
    try:
        yield running
    finally:
        running.stop()


class Shell:
    """The IPython shell plus what a test needs to look at."""

    def __init__(self, ip: InteractiveShell, pub: CapturingDisplayPublisher, sim: RunningSimulator):
        self.ip = ip
        self.pub = pub
        self.sim = sim

    def cell(self, source: str) -> Any:
        """Run a cell; returns IPython's ExecutionResult."""
        return self.ip.run_cell(source, store_history=False)

    def outputs(self) -> list[dict[str, Any]]:
        """Every output as it stands after in-place updates (what a saved notebook keeps)."""
        return final_outputs(self.pub.outputs)

    def html(self) -> str:
        return "".join(o["data"].get("text/html", "") for o in self.outputs())

    def text(self) -> str:
        return "\n".join(o["data"].get("text/plain", "") for o in self.outputs())

    def count_requests(self, route: str) -> Fault:
        """Arm a no-op fault on ``route`` whose ``fired`` count says how many requests came."""
        return self.sim.app_state.faults.add(Fault(route=route, action="delay", seconds=0.0))

    def fired(self, fault: Fault) -> int:
        for entry in self.sim.app_state.faults.listing():
            if entry["id"] == fault.id:
                return int(entry["fired"])
        raise AssertionError(f"fault {fault.id} is not armed")


def final_outputs(published: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Apply ``update_display`` messages to the outputs they target, in order."""
    shown: list[dict[str, Any]] = []
    by_id: dict[str, int] = {}
    for message in published:
        display_id = (message.get("transient") or {}).get("display_id")
        if message.get("update"):
            if display_id in by_id:
                shown[by_id[display_id]] = message
            continue
        if display_id:
            by_id[display_id] = len(shown)
        shown.append(message)
    return shown


def settle(flow: Any, timeout: float = 15.0) -> None:
    """Wait until a new session's first background account read is done.

    Closing a session while that read is still connecting leaves a socket for the garbage
    collector (reported to the runtime's owners); tests close sessions quickly, so they wait.
    """
    deadline = time.monotonic() + timeout
    while not flow.credits.accounts and time.monotonic() < deadline:
        time.sleep(0.02)


@pytest.fixture
def shell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, simulator: RunningSimulator
) -> Iterator[Shell]:
    """The extension loaded in a clean shell, with a session on the fast simulator."""
    from flow_widgets.runtime.session import current_session, session

    monkeypatch.chdir(tmp_path)
    ip = InteractiveShell.instance()
    pub = CapturingDisplayPublisher()
    monkeypatch.setattr(ip, "display_pub", pub)
    ip.run_line_magic("load_ext", "flow_widgets")
    magics = ip.magics_manager.registry["FlowMagics"]
    for name in magics.class_traits(config=True):
        magics.set_trait(name, magics.traits()[name].default_value)
    flow = session(
        simulator=simulator, data_dir=tmp_path / "home", media_dir=tmp_path / "flow_media"
    )
    settle(flow)
    pub.outputs.clear()
    try:
        yield Shell(ip, pub, simulator)
    finally:
        simulator.app_state.faults.clear()
        current = current_session()
        if current is not None:
            current.close()
        for key in [k for k in ip.user_ns if not k.startswith("_") and k not in ip.user_ns_hidden]:
            ip.user_ns.pop(key, None)
