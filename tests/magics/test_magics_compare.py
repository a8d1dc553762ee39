"""``%flow compare`` and ``%flow present``: the compare component and presenter mode as magics."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from flow_widgets.ui import presenter
from tests.magics.conftest import Shell


@pytest.fixture(autouse=True)
def _presenter_off() -> Iterator[None]:
    presenter._STATE["on"] = False
    yield
    presenter._STATE["on"] = False


def test_compare_two_out_names_side_by_side_with_the_prompt_diff(shell: Shell) -> None:
    shell.cell("%config FlowMagics.wait = True")
    shell.cell("%%flow_video -m veo-3.1-lite --out vague\na dog running")
    shell.cell("%%flow_video -m veo-3.1-lite --out specific\na red dog running on a beach")
    shell.pub.outputs.clear()
    result = shell.cell("%flow compare vague specific --labels vague,specific")
    assert result.success, result.error_in_exec
    html = shell.html()
    assert html.count('<figure class="fw-take"') == 2 and html.count("<video") == 2
    assert re.search(r'<mark class="fw-diff"[^>]*>red</mark>', html)
    assert "vague" in shell.text() and "Play together" in html


def test_compare_refuses_what_it_cannot_show_in_one_line(shell: Shell) -> None:
    result = shell.cell("%flow compare nothing_here.mp4")
    assert not result.success
    assert "fw.show found no file" in str(result.error_in_exec)


def test_present_switches_the_stylesheet_on_and_off(shell: Shell) -> None:
    shell.cell("%flow present")
    assert presenter.presenting()
    assert "font-size:20px" in shell.html()
    shell.cell("%flow present off")
    assert not presenter.presenting()
    assert "font-size:20px" not in shell.html()  # the same output, emptied in place
