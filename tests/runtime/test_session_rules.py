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


def test_an_unknown_model_is_sent_and_under_a_budget_needs_max_credits(
    sim: RunningSimulator, control: SimControl, tmp_path: Path
) -> None:
    from flow_widgets.errors import UnknownPriceError

    flow = open_session(sim, tmp_path)
    try:
        with pytest.warns(RuleWarning, match="known-video-model"):
            first = flow.video("a fox", model="omni-flash-1.3")
        _settle(first)
        assert control.count("POST /videos") == 1  # sent; the simulator's 400 is free
        flow.budget = 500
        with pytest.warns(RuleWarning), pytest.raises(UnknownPriceError, match="max_credits"):
            flow.video("a hare", model="omni-flash-1.3")
        assert control.count("POST /videos") == 1
        with pytest.warns(RuleWarning):
            third = flow.video("a hare", model="omni-flash-1.3", max_credits=40)
        _settle(third)
        assert control.count("POST /videos") == 2
    finally:
        flow.close()


def _settle(handle: object) -> None:
    """Wait until the refused submission has come back (its status is terminal)."""
    import time

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and getattr(handle, "status", "") not in (
        "rejected",
        "failed",
        "lost",
        "completed",
    ):
        time.sleep(0.05)


def test_strict_session_refuses_a_request_built_elsewhere(
    sim: RunningSimulator, control: SimControl, tmp_path: Path
) -> None:
    from flow_widgets.api.requests import VideoRequest

    request = VideoRequest("a narrator speaks", model="veo-3.1-lite", voices=("Charon",))
    assert request.rule_warnings  # built outside the session (a Studio form, a caller)
    flow = open_session(sim, tmp_path, strict=True)
    try:
        with pytest.raises(ValidationError, match="voice-needs-face-veo"):
            flow.submit(request)
        with pytest.raises(ValidationError, match="strict"):
            flow.quote([request])
        assert control.count("POST /videos") == 0
    finally:
        flow.close()
