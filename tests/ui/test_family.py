"""The panels are one visual family: one stylesheet, readable colours, a name on every control.

The panels are built against the real session and simulator (as every panel test here); what
the browser draws of them is checked by tests/e2e/test_family_browser.py with axe-core.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import ipywidgets as widgets
import pytest

from flow_widgets.runtime.session import FlowSession
from flow_widgets.ui._panel import Panel
from flow_widgets.ui.credits import Credits
from flow_widgets.ui.dashboard import Jobs
from flow_widgets.ui.family import (
    DARK_TEXT,
    FAMILY_CSS,
    STATUS_COLOURS,
    Dress,
    chip,
    family_style,
    file_name,
    named,
    status_chip,
)
from flow_widgets.ui.gallery import Gallery
from flow_widgets.ui.html import card_html, fitted_width
from flow_widgets.ui.job_rows import JobRow
from flow_widgets.ui.panel_html import jobs_html
from flow_widgets.ui.prompt_box import PromptBox
from flow_widgets.ui.reopen import guarded_html
from flow_widgets.ui.studio import Studio
from flow_widgets.ui.view import CardView, MediaView
from tests.ui.panel_support import Recorder, eventually
from tests.wcag import DARK_GROUNDS, LIGHT_GROUNDS, contrast

# -- colours ---------------------------------------------------------------------------------


@pytest.mark.parametrize("phase", sorted(STATUS_COLOURS))
def test_status_colours_read_as_text_and_carry_white_chip_text(phase: str) -> None:
    colour = STATUS_COLOURS[phase]
    for ground in LIGHT_GROUNDS:
        assert contrast(colour, ground) >= 4.5, (phase, ground)
    # a chip is white text on the colour: the same contrast, in the light and the dark theme
    assert f"color:#fff;background:{colour}" in status_chip(phase)


@pytest.mark.parametrize("phase", sorted(DARK_TEXT))
def test_dark_theme_shades_read_on_jupyterlab_dark_layouts(phase: str) -> None:
    for ground in DARK_GROUNDS:
        assert contrast(DARK_TEXT[phase], ground) >= 4.5, (phase, ground)
    rule = re.search(
        r"body\[data-jp-theme-light=false\] :is\(([^)]*)\)\{color:" + DARK_TEXT[phase], FAMILY_CSS
    )
    assert rule and f".fw-text-{phase}" in rule.group(1).split(",")


def test_the_stylesheet_uses_theme_variables_keeps_focus_rings_and_loads_nothing() -> None:
    assert "var(--jp-layout-color1," in FAMILY_CSS and "var(--jp-content-font-color1," in FAMILY_CSS
    assert ":focus-visible{outline:2px solid" in FAMILY_CSS
    assert not re.search(r"outline\s*:\s*(none|0)", FAMILY_CSS)
    assert "http" not in FAMILY_CSS and "@import" not in FAMILY_CSS and "url(" not in FAMILY_CSS
    assert family_style() == family_style()  # identical text: parsed once per page


def test_the_prompt_box_keeps_a_focus_ring() -> None:
    assert not re.search(r"outline\s*:\s*(none|0)", PromptBox._css)


# -- plain outputs ---------------------------------------------------------------------------


def test_every_result_output_carries_the_family_stylesheet_once() -> None:
    view = CardView(kind="image", prompt="p", phase="failed", credits=0, error="x")
    html = guarded_html(card_html(view))
    assert html.count(FAMILY_CSS) == 1 and html.count("<style") == 1


def test_the_card_header_is_a_title_a_status_chip_and_chips() -> None:
    view = CardView(
        kind="video", prompt="a fox", phase="completed", model="veo-3.1-fast",
        account="an***@example.com", credits=20,
    )  # fmt: skip
    html = card_html(view)
    head = html[html.index('class="fw-head"') : html.index('dir="auto"')]
    assert '<span class="fw-title"' in head and status_chip("completed") in head
    assert chip("veo-3.1-fast", label="model") in head
    assert chip("20 credits", label="cost") in head and "account: an***@example.com" in head


def test_file_names_are_one_line_with_the_whole_name_in_the_tooltip() -> None:
    long = "video-a-very-long-prompt-about-a-fox-in-the-snow-3f2a9c1b07-0.mp4"
    html = file_name(long, href="flow_media/x.mp4")
    assert f'title="{long}"' in html and "text-overflow:ellipsis" in html
    assert "white-space:nowrap" in html and 'href="flow_media/x.mp4" download' in html
    assert file_name("<b>.mp4").count("&lt;b&gt;") == 2


def test_the_player_is_sized_to_the_output() -> None:
    portrait = MediaView(kind="video", src="a.mp4", width=720, height=1280)
    small = MediaView(kind="image", src="a.png", width=120, height=80)
    assert fitted_width(portrait, 360) == 225  # 400 px tall, not 640
    assert fitted_width(small, 360) == 120  # never drawn wider than the file
    assert fitted_width(MediaView(kind="video", src="a.mp4"), 360) == 360


def test_jobs_rows_have_status_chips_one_line_prompts_and_a_file_action() -> None:
    prompt = "a fox " * 40
    media = MediaView(kind="image", src="flow_media/fox.png", file_name="fox.png")
    row = JobRow(
        key="s1", kind="image", phase="completed", status="COMPLETED", model="imagen-4",
        account="an***@example.com", credits=0, charged=True, created=time.time() - 5,
        prompt=prompt, thumbnail=media,
    )  # fmt: skip
    html = jobs_html([row])
    assert status_chip("completed") in html
    assert f'title="{prompt}"' in html and "fw-job-prompt" in html
    assert 'href="flow_media/fox.png" download' in html  # the row's action, a link
    assert 'alt="a fox a fox' in html and 'alt="fox.png"' not in html  # named by its prompt
    assert '<th scope="col"' in html and "<caption" in html


# -- the widget panels -----------------------------------------------------------------------


@pytest.fixture
def panels(flow: FlowSession, tmp_path: Path) -> Iterator[list[Panel]]:
    options = {"publisher": Recorder()}
    (tmp_path / "media").mkdir()
    made: list[Panel] = [
        Studio(flow, board_options=options),
        Jobs(flow, board_options=options),
        Credits(flow, board_options=options),
        Gallery(str(tmp_path / "media"), board_options=options),
    ]
    try:
        yield made
    finally:
        for panel in made:
            panel.close()


def _tree(widget: widgets.Widget) -> Iterator[widgets.Widget]:
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _tree(child)


def test_every_panel_wears_the_family(panels: list[Panel]) -> None:
    for panel in panels:
        data, _ = panel._repr_mimebundle_()
        root = panel.widget
        assert "fw-family" in root._dom_classes, panel.title
        assert sum(isinstance(c, Dress) for c in root.children) == 1, panel.title
        panel._repr_mimebundle_()  # shown twice: still one
        assert sum(isinstance(c, Dress) for c in root.children) == 1, panel.title
        assert Dress._css == FAMILY_CSS
        assert family_style() in data["text/html"], panel.title  # the static fallback too


# (TagsInput is ipywidgets 8's; the lowest-versions run has 7, where the Studio is not built)
_TEXT_FIELDS = tuple(
    t for t in (widgets.Text, widgets.Textarea, getattr(widgets, "TagsInput", None), PromptBox) if t
)
_NAMED_BY_DESCRIPTION = (
    widgets.Dropdown, widgets.Select, widgets.SelectMultiple, widgets.IntRangeSlider,
    widgets.IntSlider, widgets.FloatSlider, widgets.Checkbox, widgets.ToggleButton,
    widgets.ToggleButtons, widgets.Text, widgets.Textarea, widgets.BoundedIntText,
)  # fmt: skip


def _unnamed(panel: Panel) -> list[str]:
    """Controls a screen reader would find no name for (a placeholder is not a name)."""
    missing: list[str] = []
    for w in _tree(panel.widget):
        aria = any(c.startswith("fw-aria-") for c in getattr(w, "_dom_classes", ()))
        if isinstance(w, widgets.Button | widgets.FileUpload):
            if not (w.description.strip() or (w.tooltip or "").strip()):
                missing.append(repr(w))
        elif isinstance(w, _TEXT_FIELDS):
            if not (aria or getattr(w, "description", "").strip()):
                missing.append(f"{type(w).__name__} {getattr(w, 'placeholder', '')!r}")
        elif isinstance(w, _NAMED_BY_DESCRIPTION) and not (w.description.strip() or aria):
            missing.append(type(w).__name__)
    return missing


def test_no_control_of_any_panel_lacks_a_name(panels: list[Panel]) -> None:
    for panel in panels:
        assert _unnamed(panel) == [], panel.title
    # the check sees a control named only by its placeholder
    studio = panels[0]
    studio.widget.children = (*studio.widget.children, widgets.Text(placeholder="seed"))
    assert _unnamed(studio) == ["Text 'seed'"]


def test_named_marks_the_field_and_survives_odd_names() -> None:
    box = named(widgets.Text(), "pick characters & voices")
    (mark,) = box._dom_classes
    assert mark == "fw-aria-pick_characters_%26_voices" and " " not in mark


def test_the_studio_puts_its_preview_and_generate_in_one_footer(panels: list[Panel]) -> None:
    studio = panels[0]
    assert isinstance(studio, Studio)
    footers = [w for w in _tree(studio.widget) if "fw-foot" in getattr(w, "_dom_classes", ())]
    assert len(footers) == 1
    assert list(footers[0].children) == [studio.generate, studio.preview_line]
    studio.prompt.value = "a fox in snow"
    eventually(lambda: "credits" in studio.preview_line.value, 10, "the cost in the footer")


def test_the_studio_prompt_has_a_visible_label_shown_with_it(panels: list[Panel]) -> None:
    studio = panels[0]
    assert isinstance(studio, Studio)
    assert ">prompt</span>" in studio.prompt_label.value
    assert list(studio.prompt_group.children) == [studio.prompt_label, studio.prompt]
    assert studio.prompt_group in studio.what.children  # in the form's first group
    studio.kind.value = "upscale"  # no prompt on this tab: neither box nor label
    assert studio.prompt.layout.display == "none" == studio.prompt_label.layout.display
    studio.kind.value = "text"
    assert studio.prompt.layout.display is None and studio.prompt_label.layout.display is None


def test_credits_lead_with_their_totals_as_chips() -> None:
    from flow_widgets.runtime.credit_snapshot import AccountCredits, CreditSnapshot
    from flow_widgets.ui.panel_html import credits_html

    snapshot = CreditSnapshot(
        version=1, accounts=(AccountCredits("ann@example.com", "OK", "pro", 180),), budget=None,
        spent=80, charged=60, pending=20, remaining_budget=None, spent_by_model={},
        spent_by_account={}, captcha_credits=7, total_credits=180, updated=0.0,
    )  # fmt: skip
    html = credits_html(snapshot, warnings=["low"])
    totals = "".join(
        chip(f) for f in ("spent this session: 80", "of which pending: 20", "captcha credits: 7")
    )
    assert totals in html
    assert html.index("fw-warning") < html.index(totals) < html.index("<table")
