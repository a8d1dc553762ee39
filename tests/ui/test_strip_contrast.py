"""The takes strip's and the comparison's own colours read in JupyterLab's light and dark themes.

Why a test without a browser: the axe run in tests/e2e/test_takes_browser.py found these
(JupyterLab's ``--jp-warn-color0`` is 3.8:1 on white, the dark theme's ``--jp-brand-color1``
under white text 3.1:1, a fixed ``#555`` 2.5:1 on the dark background), but it needs npm and a
browser; this keeps the fixed colours honest in every CI run.
"""

from __future__ import annotations

import re

import pytest

from flow_widgets.ui import compare, takes_strip
from tests.wcag import DARK_GROUNDS, LIGHT_GROUNDS, contrast


def _rule(css: str, selector: str) -> str:
    found = re.search(re.escape(selector) + r"\{([^}]*)\}", css)
    assert found, selector
    return found.group(1)


def _colour(declarations: str, name: str = "color") -> str:
    found = re.search(rf"(?:^|;){name}:#([0-9a-f]{{6}}|[0-9a-f]{{3}})\b", declarations)
    assert found, (name, declarations)
    digits = found.group(1)
    return "#" + (digits if len(digits) == 6 else "".join(d * 2 for d in digits))


def test_the_pick_star_reads_in_both_themes() -> None:
    css = takes_strip._STYLE
    light = _colour(_rule(css, ".fw-take-star"))
    dark = _colour(_rule(css, "body[data-jp-theme-light=false] .fw-take-star"))
    # and on --jp-layout-color2 (#eee), the ground of the strip's buttons
    assert all(contrast(light, ground) >= 4.5 for ground in (*LIGHT_GROUNDS, "#eeeeee")), light
    assert all(contrast(dark, ground) >= 4.5 for ground in DARK_GROUNDS), dark


def test_a_pressed_compare_toggle_keeps_white_text_readable() -> None:
    rule = _rule(takes_strip._STYLE, ".fw-take-pick[aria-pressed=true]")
    assert "var(" not in rule  # a theme's brand colour may be too light under white text
    assert contrast(_colour(rule, "background"), _colour(rule)) >= 4.5


@pytest.mark.parametrize("css", [takes_strip._STYLE, compare._STYLE], ids=["strip", "compare"])
def test_secondary_text_follows_the_theme(css: str) -> None:
    """Facts (model, seed, cost) take the theme's secondary text colour: a fixed grey that
    reads on white cannot read on the dark theme's background."""
    rules = re.findall(r"\.fw-take-facts\{([^}]*)\}", css)
    assert rules  # the facts have a rule of their own
    for rule in rules:
        assert re.search(r"(?:^|;)color:var\(--jp-content-font-color2,#[0-9a-f]{6}\)", rule), rule
