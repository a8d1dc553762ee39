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
