"""The card toolbar in an IPython shell against the simulator: each row acts on its own take,
and a button pressed twice for one intent buys once (POSTs counted at the simulator)."""

from __future__ import annotations

from typing import Any

from tests.magics.conftest import Shell


def fox(shell: Shell, name: str = "take") -> Any:
    shell.cell("%config FlowMagics.toolbar = True")
    shell.cell(f"%%flow_video -m veo-3.1-lite --out {name}\na red fox in snow")
    shell.pub.outputs.clear()
    return shell.ip.user_ns[name]


def _card() -> Any:
    from flow_widgets.magics._cells import _LIVE

    return _LIVE[-1]


def test_toolbar_actions_run_on_the_card(shell: Shell) -> None:
    from flow_widgets.ui.toolbar import ActionBar

    clip = fox(shell)
    shell.cell("%%flow_video -m veo-3.1-lite --out take\na red fox in snow")  # re-attaches
    bars = [o for o in shell.pub.outputs if "application/vnd.jupyter.widget-view+json" in o["data"]]
    assert bars, "the toolbar is displayed after the card"
    bar = _card().toolbar
    assert isinstance(bar, ActionBar)
    model_id = bars[-1]["data"]["application/vnd.jupyter.widget-view+json"]["model_id"]
    assert model_id == bar.model_id
    assert bar.actions == [
        "new take #2",
        "vary #2",
        "extend",
        "upscale",
        "download",
        "copy as cell",
    ]
    cell = bar.find("copy as cell").copy  # what the browser puts on the clipboard
    assert cell.startswith("%%flow_video --model veo-3.1-lite")
    assert f"--seed {clip.media[0].seed}" in cell
    bar.click("copy as cell")
    html = shell.html()
    assert "%%flow_video --model veo-3.1-lite" in html and f"--seed {clip.media[0].seed}" in html
    bar.click("download")
    assert "All files are saved in flow_media/" in shell.html()
    posts = shell.count_requests("POST /videos")
    bar.click("new take")
    assert "take #2" in shell.html()
    new = _card().handles[-1]
    assert new is not clip and new.jobid != clip.jobid
    assert "stop watching" in bar.actions or new.done
    new.wait(60)
    assert shell.fired(posts) == 1


def _press_twice(bar: Any, label: str) -> None:
    """Two presses of the button labelled ``label``, the second reaching the kernel after it
    has handled the first and already offers the next take (a double-click on a slow link)."""
    row = bar.row_of(label)
    for n in (1, 2):
        bar.pressed = {"group": row, "label": label, "intent": "", "n": 100 + n}


def test_a_double_pressed_new_take_buys_once_and_a_later_press_buys_the_next(
    shell: Shell,
) -> None:
    fox(shell)
    card = _card()
    bar = card.toolbar
    posts = shell.count_requests("POST /videos")
    _press_twice(bar, "new take #2")
    assert len(card.handles) == 2 and bar.actions[0] == "new take #3"
    card.handles[-1].wait(60)
    assert shell.fired(posts) == 1  # one purchase for one intent
    _press_twice(bar, "new take #3")
    card.handles[-1].wait(60)
    assert len(card.handles) == 3 and shell.fired(posts) == 2
    assert "take #3" in card.bundle()[0]["text/html"]


def test_the_buttons_of_the_second_of_three_takes_act_on_it(shell: Shell) -> None:
    fox(shell)
    card = _card()
    bar = card.toolbar
    for label in ("new take #2", "new take #3"):
        bar.click(label)
        card.handles[-1].wait(60)
    _first, second, third = card.handles
    assert len({h.media[0].seed for h in card.handles}) == 3
    # one row per job on the card, then the cell's takes (star a pick, use a take's prompt)
    assert [g["title"] for g in bar.groups] == ["#1", "#2", "#3", "takes"]
    cell = bar.find("copy as cell", "#2").copy
    assert f"--seed {second.media[0].seed}" in cell
    bar.click("copy as cell", "#2")
    assert f"--seed {second.media[0].seed}" in card.bundle()[0]["text/html"]
    upscales = shell.count_requests("POST /videos/upscale")
    bar.click("upscale", "#2")
    assert card.kinds[-1] == "upscale"
    assert card.handles[-1].request["mediaGenerationId"] == second.media[0].media_id
    card.handles[-1].wait(60)
    assert shell.fired(upscales) == 1
    extends = shell.count_requests("POST /videos/extend")
    bar.click("extend", "#3")
    assert card.handles[-1].request["mediaGenerationId"] == third.media[0].media_id
    card.handles[-1].wait(60)
    assert shell.fired(extends) == 1
