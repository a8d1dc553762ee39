"""The Studio's buying controls spend once per intent: a double press of *Generate* or a
repeated Ctrl+Enter carries the take number the person saw, and buys that take once; a press
after the Studio offers the next take buys the next one. POSTs are counted at the simulator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from flow_widgets.runtime.session import FlowSession
from flow_widgets.simulator.faults import Fault
from flow_widgets.simulator.server import RunningSimulator
from flow_widgets.ui.studio import Studio
from tests.ui.panel_support import PRO, Recorder


@pytest.fixture
def studio(flow: FlowSession, board: Recorder) -> Iterator[Studio]:
    panel = Studio(flow, board_options={"publisher": board})
    panel.results.board.show()
    try:
        yield panel
    finally:
        panel.close()


def _count(sim: RunningSimulator, route: str) -> Fault:
    sim.app_state.faults.clear()  # the simulator is the module's: one counter at a time
    return sim.app_state.faults.add(Fault(route=route, action="delay", seconds=0.0))


def _fired(sim: RunningSimulator, fault: Fault) -> int:
    entry = next(e for e in sim.app_state.faults.listing() if e["id"] == fault.id)
    return int(entry["fired"])


def _browser_press(studio: Studio, control: str, n: int) -> None:
    """What the browser sends for one press: the intent it showed, and ``busy`` set."""
    if control == "generate":
        button = studio.generate
        label = button.description
        intent = button.intent
        button.pressed = {"group": "", "label": label, "intent": intent, "n": n}
    else:
        box = studio.prompt
        with box.hold_trait_notifications():
            box.busy = True
            box.pressed_intent = box.intent
            box.submits += 1


@pytest.mark.parametrize("control", ["generate", "ctrl+enter"])
def test_a_double_press_buys_one_take_and_a_later_press_the_next(
    sim: RunningSimulator, studio: Studio, control: str
) -> None:
    studio.account.value = PRO
    studio.prompt.value = "a red fox runs through snow"
    assert studio.generate.description == "Generate · 20 credits"
    posts = _count(sim, "POST /videos")
    first_intent = studio.generate.intent
    assert first_intent == "take:1" and studio.prompt.intent == "take:1"
    # The second press left the browser before the first was answered: it says take:1 too.
    _browser_press(studio, control, 1)
    studio.generate.intent = studio.prompt.intent = first_intent  # as the browser still had it
    _browser_press(studio, control, 2)
    [take] = studio.results.results
    take.handle.wait(60)
    assert _fired(sim, posts) == 1
    assert "already started" in studio.status.text
    assert not studio.generate.busy and not studio.prompt.busy  # unlocked for the next press
    # The Studio now offers take 2: a deliberate press buys it.
    studio._offer_next_take()
    assert studio.generate.intent == "take:2"
    _browser_press(studio, control, 3)
    assert len(studio.results.results) == 2
    studio.results.results[-1].handle.wait(60)
    assert _fired(sim, posts) == 2


def test_any_account_is_priced_and_sent_where_it_costs_least(studio: Studio) -> None:
    from tests.ui.panel_support import ULTRA

    studio.account.value = ""  # any account: an Ultra and a Pro one are linked
    studio.model.value = "veo-3.1-fast"
    studio.prompt.value = "a kite over the dunes"
    assert studio.generate.description == "Generate · 10 credits"  # Ultra's price, not Pro's
    assert "plan unknown" not in studio.preview_line.value
    result = studio._generate()
    assert result is not None
    result.handle.wait(60)
    assert (result.handle.account, result.handle.credits) == (ULTRA, 10)
