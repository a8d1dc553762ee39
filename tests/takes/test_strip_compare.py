"""The strip's side by side and ``fw.show`` are one component: the same figure builder, the
same script (synced playback, wipe, word marks), the same word diff.

The browser half (the strip's compare playing in sync, ``fw.show``'s play-together) is in
``tests/e2e/test_takes_browser.py`` and ``tests/e2e/test_compare_browser.py``; here each test
swaps a piece of :mod:`flow_widgets.ui.compare` and checks that both outputs change with it.
"""

from __future__ import annotations

import html
import json
import re

import pytest

from flow_widgets.ui import compare
from flow_widgets.ui.panel_html import Take
from flow_widgets.ui.takes_strip import TakeView, strip_html
from flow_widgets.ui.view import MediaView

FOX = ["a red fox in snow", "a red fox in deep snow", "a red fox in deep snow at dawn"]


def _takes(kind: str = "video") -> list[TakeView]:
    suffix = "mp4" if kind == "video" else "png"
    return [
        TakeView(n, prompt, kind=kind, src=f"flow_media/take-{n}.{suffix}", seed=n, model="veo")
        for n, prompt in enumerate(FOX, 1)
    ]


def _attr(markup: str, name: str) -> list[str]:
    return [html.unescape(v) for v in re.findall(rf' {name}="([^"]*)"', markup)]


def test_a_fix_to_the_comparison_script_lands_in_the_strip_and_in_show(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(compare, "COMPARE_LIB", "var fwCompare=SYNC_FIX_42;")
    videos = [
        Take(key=str(n), media=MediaView(kind="video", src=f"flow_media/{n}.mp4"), prompt=p)
        for n, p in enumerate(FOX[:2])
    ]
    assert "SYNC_FIX_42" in compare.show(*videos).html()
    assert "SYNC_FIX_42" in strip_html(_takes())


def test_the_strip_draws_its_sides_with_the_same_figure_builder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[tuple[str, str]] = []

    def figure(take: Take, index: int, words: list[tuple[str, bool]], *, label: str = "") -> str:
        seen.append((take.prompt, label))
        return f"<figure>BUILT {label}</figure>"

    monkeypatch.setattr(compare, "figure_html", figure)
    figures = _attr(strip_html(_takes()), "data-figure")
    assert figures == [f"<figure>BUILT #{n}</figure>" for n in (1, 2, 3)]
    assert seen == [(p, f"#{n}") for n, p in enumerate(FOX, 1)]


def test_the_strip_marks_the_words_show_marks() -> None:
    takes = _takes()
    changed = [json.loads(v) for v in _attr(strip_html(takes), "data-changed")]
    for take, pairs in zip(takes, changed, strict=True):
        for other in takes:
            if other is take:
                continue
            words = compare.prompt_diff([take.prompt, other.prompt])[0]
            marked = [words[i][0] for i in pairs[str(other.number)]]
            assert marked == [w for w, c in words if c]
    assert [FOX[2].split()[i] for i in changed[2]["1"]] == ["deep", "at", "dawn"]
    assert changed[0]["3"] == []


def test_the_strip_uses_shows_grid_and_names_its_players_by_prompt() -> None:
    strip = strip_html(_takes())
    grid = _attr(strip, "data-grid")[0]
    assert grid.startswith('<div class="fw-compare"') and "grid-template-columns:repeat(2," in grid
    figure = _attr(strip, "data-figure")[2]
    assert '<video src="flow_media/take-3.mp4"' in figure
    assert f'aria-label="#3: {FOX[2]}"' in figure
    assert "veo · seed 3" in figure
    assert compare.STYLE in strip


def test_two_images_get_a_wipe_in_show_unless_asked_not_to() -> None:
    stills = [
        Take(key=str(n), media=MediaView(kind="image", src=f"flow_media/{n}.png"), prompt=p)
        for n, p in enumerate(FOX[:2])
    ]
    wiped = compare.show(*stills).html()
    assert 'data-fw-wipe="1"' in wiped and "fwCompare.attach(" in wiped
    side_by_side = compare.show(*stills, wipe=False).html()
    assert "data-fw-wipe" not in side_by_side and "<script>" not in side_by_side
    three = compare.show(*stills, stills[0]).html()
    assert "data-fw-wipe" not in three
