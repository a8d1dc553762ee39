"""Shared pieces for the panel tests: a real session on a fast simulator, and a board recorder.

Panels are driven the way a browser would drive them — by setting widget values and calling
click handlers — against the real :class:`~flow_widgets.runtime.session.FlowSession` talking
HTTP to the simulator on loopback, with the simulator's clock accelerated so a 100 s video is
ready in about a second.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from flow_widgets.runtime.session import FlowSession
from flow_widgets.simulator.server import RunningSimulator, start_background

TIME_SCALE = 0.01
PRO = "pro.demo@gmail.com"
ULTRA = "ultra.demo@gmail.com"


def simulator() -> Iterator[RunningSimulator]:
    """A simulator for one test module (stopped afterwards)."""
    running = start_background(time_scale=TIME_SCALE, seed=7)
    try:
        yield running
    finally:
        running.stop()


def open_session(sim: RunningSimulator, folder: Path) -> FlowSession:
    """A session of its own (ledger and media under ``folder``), with accounts read; the
    caller closes it."""
    flow = FlowSession(
        simulator=sim,
        data_dir=folder / "data",
        media_dir=folder / "flow_media",
        announce=lambda _text: None,
        auto_resume=False,
    )
    flow.refresh_accounts()
    return flow


def session(sim: RunningSimulator, folder: Path) -> Iterator[FlowSession]:
    """:func:`open_session` for a fixture: closed afterwards."""
    flow = open_session(sim, folder)
    try:
        yield flow
    finally:
        flow.close()


class Recorder:
    """A board publisher that keeps what would have reached the notebook."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bool, dict[str, str]]] = []

    def __call__(self, data: dict[str, str], metadata: Any, display_id: str, update: bool) -> None:
        self.sent.append((display_id, update, dict(data)))

    @property
    def last_html(self) -> str:
        return self.sent[-1][2]["text/html"] if self.sent else ""

    @property
    def last_text(self) -> str:
        return self.sent[-1][2]["text/plain"] if self.sent else ""


def eventually(check: Callable[[], bool], timeout: float = 20.0, what: str = "condition") -> None:
    """Wait until ``check()`` holds (the engine thread works in the background)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")
