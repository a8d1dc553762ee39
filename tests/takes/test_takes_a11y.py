"""Accessibility of what the tweak loop shows, checked on the markup itself (WCAG 2.1 AA):
status colours have at least 4.5:1 contrast on white and on striped rows, videos and images
are named by their prompt (never a file name), status changes are a polite live region, the
strip keeps arrow keys from JupyterLab and shows a visible focus ring, and no title is "null"."""

from __future__ import annotations

import re

import pytest

from flow_widgets.ui import _handlers, html
from flow_widgets.ui.html import card_html
from flow_widgets.ui.prompt_diff import word_changes
from flow_widgets.ui.takes_strip import TakeView, strip_html
from flow_widgets.ui.view import CardView, MediaView
from tests.wcag import DARK_GROUNDS, LIGHT_GROUNDS, contrast

_DARK_RULE = re.compile(r"body\[data-jp-theme-light=false\][^{]*\{[^}]*\}")


def test_contrast_formula_matches_wcag() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#2e9d57", "#ffffff") == pytest.approx(3.46, abs=0.01)  # the old "completed"


def _text_colours(markup: str) -> set[str]:
    """Every light-theme text colour, and the fallback of every ``var(--jp-…, #hex)`` one
    (the dark theme's own rules are left out: see :func:`_dark_text_colours`)."""
    light = _DARK_RULE.sub("", markup)
    return set(re.findall(r"(?<![-\w])color:(?:var\(--[\w-]+,)?(#[0-9a-fA-F]{6})", light))


def _dark_text_colours(markup: str) -> set[str]:
    """The text colours of the rules that apply on JupyterLab's dark theme only."""
    rules = "".join(_DARK_RULE.findall(markup))
    return set(re.findall(r"(?<![-\w])color:(#[0-9a-fA-F]{6})", rules))


def _views() -> list[CardView]:
    clip = MediaView(kind="video", src="flow_media/fox.mp4", file_name="fox.mp4", seed=3)
    return [
        CardView(kind="video", prompt="a fox", phase=phase, media=(clip,), error="refused")
        for phase in ("queued", "running", "completed", "failed", "detached", "unknown")
    ]


def test_every_status_and_muted_colour_reaches_4_5_to_1() -> None:
    colours = {c for view in _views() for c in _text_colours(card_html(view))}
    colours |= set(html._COLOURS.values()) | set(_handlers._COLOURS.values())
    strip = strip_html(_takes())
    colours |= _text_colours(strip)
    assert len(colours) >= 6
    for colour in colours:
        for background in LIGHT_GROUNDS:
            assert contrast(colour, background) >= 4.5, (colour, background)
    dark = _dark_text_colours(strip)
    assert dark  # the strip's star has a shade of its own on the dark theme
    for colour in dark:
        for background in DARK_GROUNDS:
            assert contrast(colour, background) >= 4.5, (colour, background)


def test_status_changes_are_a_polite_live_region() -> None:
    for view in _views():
        assert '<div role="status" aria-live="polite">' in card_html(view)
    line = _handlers.StatusLine()
    line.show("Started take #2", "ok")
    assert 'role="status" aria-live="polite"' in line.value


def test_videos_and_images_are_named_by_their_prompt_not_their_file() -> None:
    prompt = 'a fox "in" <snow>'
    clip = MediaView(
        kind="video", src="flow_media/video-a-fox-1.mp4", file_name="video-a-fox-1.mp4"
    )
    still = MediaView(
        kind="image", src="flow_media/image-a-fox-1.png", file_name="image-a-fox-1.png"
    )
    for media in (clip, still):
        markup = card_html(
            CardView(kind=media.kind, prompt=prompt, phase="completed", media=(media,))
        )
        tag = re.search(r"<(video|img) [^>]*>", markup)
        assert tag is not None
        name = re.search(r'(?:aria-label|alt)="([^"]*)"', tag.group(0))
        assert name is not None and name.group(1) == "a fox &quot;in&quot; &lt;snow&gt;"


def _takes() -> list[TakeView]:
    prompts = ["a red fox in snow", "a red fox in deep snow"]
    return [
        TakeView(
            number=n,
            prompt=p,
            changes=tuple(word_changes(prompts[n - 2], p)) if n > 1 else (),
            src=f"flow_media/take{n}.mp4",
            poster="data:image/jpeg;base64,AAAA",
            starred=n == 2,
        )
        for n, p in enumerate(prompts, 1)
    ]


def test_the_strip_is_named_keeps_arrow_keys_and_shows_focus() -> None:
    markup = strip_html(_takes(), now=0.0)
    assert 'aria-label="Takes of this cell"' in markup
    assert 'data-lm-suppress-shortcuts="true"' in markup
    assert ":focus-visible{outline:2px solid var(--jp-brand-color1,#1565c0)!important" in markup
    posters = re.findall(r'<img src="[^"]*" alt="([^"]*)"', markup)
    assert posters == ["take 1: a red fox in snow", "take 2: a red fox in deep snow"]
    assert 'role="status" aria-live="polite"' in markup
    assert 'title="null"' not in markup and "outline:none" not in markup
