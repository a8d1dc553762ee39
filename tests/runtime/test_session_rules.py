"""``fw.session(strict=…)`` and reported rules (spec §7.1): the default sends with one warning
on the caller's thread; ``strict=True`` refuses before anything reaches the simulator."""

from __future__ import annotations

from pathlib import Path

import pytest

from flow_widgets.api.requests._evidence import RuleWarning
from flow_widgets.errors import ValidationError
from flow_widgets.simulator.server import RunningSimulator
from tests.runtime.session_support import SimControl, open_session


def test_default_session_warns_and_sends(
    sim: RunningSimulator, control: SimControl, tmp_path: Path
) -> None:
    flow = open_session(sim, tmp_path)
    try:
        with pytest.warns(RuleWarning, match="voice-needs-face-veo"):
            handle = flow.video("a narrator speaks", model="veo-3.1-lite", voices=("Charon",))
        handle.wait(timeout=60)
        assert control.count("POST /videos") == 1
    finally:
        flow.close()


def test_strict_session_refuses_before_sending(
    sim: RunningSimulator, control: SimControl, tmp_path: Path
) -> None:
    flow = open_session(sim, tmp_path, strict=True)
    try:
        with pytest.raises(ValidationError, match="strict"):
            flow.video("a narrator speaks", model="veo-3.1-lite", voices=("Charon",))
        assert control.count("POST /videos") == 0
    finally:
        flow.close()
