"""FLOW_SIM_TIME_SCALE: the knob executed notebooks use to run the embedded simulator faster."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from flow_widgets.errors import ConfigError
from flow_widgets.runtime import embedded
from flow_widgets.runtime.settings import simulator_time_scale


@pytest.fixture
def no_embedded_simulator() -> Iterator[None]:
    """Start from no embedded simulator and leave none running."""
    embedded.stop_embedded_simulator()
    yield
    embedded.stop_embedded_simulator()


def test_unset_means_the_default_speed(tmp_path: Path) -> None:
    assert simulator_time_scale({}, cwd=tmp_path) is None


def test_environment_wins_over_dotenv(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("FLOW_SIM_TIME_SCALE=0.5\n")
    assert simulator_time_scale({}, cwd=tmp_path) == 0.5
    assert simulator_time_scale({"FLOW_SIM_TIME_SCALE": "0.005"}, cwd=tmp_path) == 0.005


@pytest.mark.parametrize("text", ["fast", "0", "-1", "nan", "inf", "11"])
def test_a_bad_value_is_one_sentence_naming_the_variable(tmp_path: Path, text: str) -> None:
    with pytest.raises(ConfigError) as raised:
        simulator_time_scale({"FLOW_SIM_TIME_SCALE": text}, cwd=tmp_path)
    message = str(raised.value)
    assert message.startswith("FLOW_SIM_TIME_SCALE must be a number")
    assert "unset it" in message


def test_the_embedded_simulator_runs_at_the_configured_speed(
    monkeypatch: pytest.MonkeyPatch, no_embedded_simulator: None
) -> None:
    monkeypatch.setenv("FLOW_SIM_TIME_SCALE", "0.004")
    notices: list[str] = []
    running = embedded.embedded_simulator(announce=notices.append)
    assert running.app_state.config.time_scale == 0.004
    assert len(notices) <= 1  # the banner is shown at most once per process


def test_an_explicit_speed_beats_the_environment(
    monkeypatch: pytest.MonkeyPatch, no_embedded_simulator: None
) -> None:
    monkeypatch.setenv("FLOW_SIM_TIME_SCALE", "0.004")
    running = embedded.embedded_simulator(announce=lambda _text: None, time_scale=0.2)
    assert running.app_state.config.time_scale == 0.2
