"""The key guard: every shown panel carries exactly one, and its front end is self-contained.

What the guard does in a browser (arrow keys stay in the panel, in JupyterLab and with the
notebook's shortcuts on their defaults) is tested in ``tests/e2e/test_panel_keys_browser.py``.
"""

from __future__ import annotations

import ipywidgets as widgets

from flow_widgets.ui._panel import Panel
from flow_widgets.ui.key_guard import KeyGuard, keep_keys


def _guards(box: widgets.Box) -> int:
    return sum(isinstance(child, KeyGuard) for child in box.children)


def test_showing_a_panel_adds_one_guard_to_its_root_box_however_often_it_is_shown() -> None:
    panel = Panel()
    panel.widget = widgets.VBox([widgets.Dropdown(options=["a", "b"])])
    assert _guards(panel.widget) == 0
    panel._repr_mimebundle_()
    panel._repr_mimebundle_()
    assert _guards(panel.widget) == 1
    assert isinstance(panel.widget.children[0], widgets.Dropdown)  # the controls come first


def test_keep_keys_is_idempotent_and_the_module_loads_nothing_from_the_network() -> None:
    box = keep_keys(keep_keys(widgets.HBox()))
    assert _guards(box) == 1
    esm = str(KeyGuard._esm)
    assert "data-lm-suppress-shortcuts" in esm
    assert "http" not in esm and "import " not in esm
