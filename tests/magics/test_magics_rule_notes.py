"""Reported rules in the magics (spec §7.1): a cell sends and prints one quiet note naming the
rule; ``%config FlowMagics.strict = True`` refuses the same cell before anything is sent."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError

from tests.magics.conftest import Shell

CELL = "%%flow_video -m veo-3.1-lite --voice Charon --out take\na narrator describes the sea"


def test_a_reported_rule_prints_one_note_in_the_cell_and_sends(
    shell: Shell, capsys: pytest.CaptureFixture[str]
) -> None:
    posts = shell.count_requests("POST /videos")
    shell.cell(CELL)
    assert shell.fired(posts) == 1
    printed = [line for line in capsys.readouterr().out.splitlines() if "voice-needs-face" in line]
    assert len(printed) == 1 and "sent anyway" in printed[0]
    assert shell.ip.user_ns["take"].jobid


def test_strict_config_refuses_the_cell_before_sending(shell: Shell) -> None:
    posts = shell.count_requests("POST /videos")
    shell.ip.run_line_magic("config", "FlowMagics.strict = True")
    result = shell.cell(CELL)
    assert isinstance(result.error_in_exec, UsageError)
    assert "voice-needs-face-veo" in str(result.error_in_exec)
    assert shell.fired(posts) == 0


def test_extra_and_an_unknown_price_show_in_the_dry_run(shell: Shell) -> None:
    posts = shell.count_requests("POST /videos")
    shell.cell(
        "%%flow_video -m omni-flash-1.3 --extra motionStrength=0.5 --extra look=film --dry-run\n"
        "a fox"
    )
    assert shell.fired(posts) == 0
    text = shell.text()
    assert '"motionStrength": 0.5' in text and '"look": "film"' in text
    assert "Estimated cost: unknown" in text


def test_under_a_budget_an_unknown_price_needs_max_credits(shell: Shell) -> None:
    from flow_widgets.runtime.session import current_session

    flow = current_session()
    assert flow is not None
    flow.budget = 500
    posts = shell.count_requests("POST /videos")
    refused = shell.cell("%%flow_video -m omni-flash-1.3\na fox")
    assert isinstance(refused.error_in_exec, UsageError)
    assert "max_credits" in str(refused.error_in_exec)
    assert shell.fired(posts) == 0
    shell.cell("%%flow_video -m omni-flash-1.3 --max-credits 40\na fox")
    assert shell.fired(posts) == 1  # sent; the simulator's catalog answers for the model


def test_extra_cannot_set_async_in_a_cell(shell: Shell) -> None:
    result = shell.cell("%%flow_video --extra async=false\na fox")
    assert isinstance(result.error_in_exec, UsageError)
    assert "exactly once" in str(result.error_in_exec)


def test_flow_doctor_prints_the_report_for_the_sessions_simulator(
    shell: Shell, capsys: pytest.CaptureFixture[str]
) -> None:
    shell.cell("%flow doctor")
    out = capsys.readouterr().out + shell.text()
    assert "API drift report" in out and "no drift" in out
    assert shell.sim.token not in out


def test_under_a_budget_an_extension_of_unknown_price_needs_max_credits(shell: Shell) -> None:
    from flow_widgets.runtime.session import current_session

    shell.cell("%%flow_video -m veo-3.1-lite --out fox\na red fox in snow")
    flow = current_session()
    assert flow is not None
    flow.budget = 500
    posts = shell.count_requests("POST /videos/extend")
    refused = shell.cell('%flow extend fox "it leaps" -m veo-4-preview')
    assert isinstance(refused.error_in_exec, UsageError)
    assert "max_credits" in str(refused.error_in_exec)
    assert shell.fired(posts) == 0
    shell.cell('%flow extend fox "it leaps" -m veo-4-preview --max-credits 40')
    assert shell.fired(posts) == 1  # sent once; the API decides (here a free 400)
