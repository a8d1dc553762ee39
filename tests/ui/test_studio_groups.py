"""The Studio's form comes in labelled groups (what, settings, inputs), then the footer.

A group is a box named for assistive technology (``role=group`` + ``aria-label``, applied by the
family's Dress from the class ``named`` gives it) with a visible caption; its controls keep the
order they are drawn in, which is the order Tab visits them. A group with nothing to show hides.
"""

from __future__ import annotations

from collections.abc import Iterator

import ipywidgets as widgets
import pytest

from flow_widgets.runtime.session import FlowSession
from flow_widgets.ui.family import FAMILY_CSS, Dress
from flow_widgets.ui.studio import Studio
from tests.ui.panel_support import Recorder


@pytest.fixture
def studio(flow: FlowSession, board: Recorder) -> Iterator[Studio]:
    panel = Studio(flow, board_options={"publisher": board})
    try:
        yield panel
    finally:
        panel.close()


def _leaves(box: widgets.Widget) -> list[widgets.Widget]:
    if isinstance(box, widgets.Box):
        return [leaf for child in box.children for leaf in _leaves(child)]
    return [box]


def test_the_form_is_three_named_groups_then_the_footer(studio: Studio) -> None:
    children = list(studio.widget.children)
    groups = [c for c in children if "fw-group" in c._dom_classes]
    assert [g._dom_classes for g in groups] == [
        ("fw-group", "fw-aria-what"),
        ("fw-group", "fw-aria-settings"),
        ("fw-group", "fw-aria-inputs"),
    ]
    assert groups == list(studio.groups)
    # the groups come before the footer, in the order one fills the form in
    assert children.index(groups[-1]) + 1 == children.index(studio.footer)
    for group, caption in zip(groups, ("what", "settings", "inputs"), strict=True):
        assert f">{caption}</span>" in group.children[0].value  # the visible caption
    # every control lands in its group, in the order Tab visits them
    what, settings, inputs = (_leaves(g) for g in groups)
    assert studio.kind in what and studio.prompt in what
    assert what.index(studio.kind) < what.index(studio.prompt)
    order = [studio.account, studio.model, studio.duration, studio.aspect, studio.count,
             studio.seed, studio.random_seed, studio.unlock_seed, studio.upscale_to]  # fmt: skip
    assert [settings.index(c) for c in order] == sorted(settings.index(c) for c in order)
    for control in (
        studio.window,
        studio.start.widget,
        studio.references_box,
        studio.thumbs.widget,
    ):
        assert control in _leaves_of(studio.inputs)
    assert studio.window in inputs
    assert studio.generate not in what + settings + inputs  # Generate stays in the footer


def _leaves_of(box: widgets.Widget) -> list[widgets.Widget]:
    found: list[widgets.Widget] = []
    stack = [box]
    while stack:
        w = stack.pop()
        found.append(w)
        if isinstance(w, widgets.Box):
            stack.extend(w.children)
    return found


def test_a_tab_with_no_inputs_hides_the_inputs_group_and_a_tab_with_some_shows_it(
    studio: Studio,
) -> None:
    assert studio.kind.value == "text"
    assert studio.inputs.layout.display == "none"  # text to video takes no inputs
    assert studio.what.layout.display is None and studio.settings.layout.display is None
    studio.kind.value = "frames"
    assert studio.inputs.layout.display is None
    assert studio.start.widget.layout.display is None
    studio.kind.value = "upscale"  # no prompt, but the kind tabs: "what" stays
    assert studio.what.layout.display is None and studio.inputs.layout.display is None
    studio.kind.value = "text"
    assert studio.inputs.layout.display == "none"


def test_the_dress_names_a_group_itself_not_the_first_field_inside_it() -> None:
    esm = Dress._esm
    group_rule = esm.index('box.classList.contains("fw-group")')
    assert esm.index('setAttribute("role", "group")') > group_rule
    assert esm.index('box.setAttribute("aria-label", text)') > group_rule
    # the group's branch returns before a field inside would take the group's name
    assert esm.index("return;", group_rule) < esm.index("const field", group_rule)
    assert ".fw-group{" in FAMILY_CSS
