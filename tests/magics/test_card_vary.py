"""*vary* on the card: the same prompt and flags with a new seed, its cost on the button, shown
as a new take of the cell; a double press buys it once (POSTs counted at the simulator). The
same press in two kernels on one ledger is in ``tests/reliability/test_two_kernels.py``."""

from __future__ import annotations

from tests.magics.conftest import Shell
from tests.magics.test_magics_toolbar import _card, _press_twice, fox


def test_a_double_pressed_vary_buys_one_new_seed_and_the_strip_shows_it(shell: Shell) -> None:
    first = fox(shell)
    card = _card()
    bar = card.toolbar
    vary = bar.find("vary #2")
    assert vary.cost == bar.find("new take #2").cost == f"{first.credits} credits"
    posts = shell.count_requests("POST /videos")
    _press_twice(bar, "vary #2")  # a double click: the second press lands after the first
    assert len(card.handles) == 2 and bar.actions[:2] == ["new take #3", "vary #3"]
    varied = card.handles[-1]
    varied.wait(60)
    assert shell.fired(posts) == 1  # one purchase for one intent
    seed = varied.request["seed"]
    assert isinstance(seed, int) and seed != first.media[0].seed
    assert varied.request["prompt"] == first.request["prompt"]
    assert varied.model == first.model
    html = card.bundle()[0]["text/html"]
    strip = html[html.index('class="fw-takes"') :]
    assert f"seed {seed}" in strip and "Takes of this cell (2)" in strip
    assert f"take #2 · new seed {seed}" in html
    _press_twice(bar, "vary #3")  # the next press is a new purchase, with another seed
    card.handles[-1].wait(60)
    assert shell.fired(posts) == 2 and len(card.handles) == 3
    assert card.handles[-1].request["seed"] not in (seed, first.media[0].seed)


def test_vary_on_a_single_image_cell_buys_once(shell: Shell) -> None:
    shell.cell("%config FlowMagics.toolbar = True")
    shell.cell("%%flow_image --out pic\na lighthouse, watercolour")
    first = shell.ip.user_ns["pic"]
    first.wait(60)
    card = _card()
    bar = card.toolbar
    assert bar.find("vary #2").cost == "free"  # images cost no Flow credits
    posts = shell.count_requests("POST /images")
    _press_twice(bar, "vary #2")
    card.handles[-1].wait(60)
    assert shell.fired(posts) == 1 and len(card.handles) == 2
    seed = card.handles[-1].request["seed"]
    assert isinstance(seed, int)
    html = card.bundle()[0]["text/html"]
    assert f"seed {seed}" in html[html.index('class="fw-takes"') :]
