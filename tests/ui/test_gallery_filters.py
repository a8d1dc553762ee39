"""The Gallery's filters (cell, model, starred, date) and its thumbnail picker.

The filter functions are tested on plain takes; the Gallery part runs over real simulator
jobs (the ``flow`` fixture), so thumbnails come from real downloaded files.
"""

from __future__ import annotations

from typing import Any

import pytest

from flow_widgets.runtime.session import FlowSession
from flow_widgets.ui.gallery import Gallery
from flow_widgets.ui.gallery_filters import (
    ANY,
    TakeFilter,
    cell_choices,
    filter_takes,
    model_choices,
)
from flow_widgets.ui.panel_html import Take
from flow_widgets.ui.view import MediaView
from tests.ui.panel_support import Recorder

NOW = 1_000_000.0


def _take(key: str, **kwargs: Any) -> Take:
    return Take(key=key, media=MediaView(kind="image", src=f"{key}.png"), **kwargs)


TAKES = [
    _take("a", model="veo", cell="cell:1", starred=True, created=NOW - 30),
    _take("b", model="veo", cell="cell:2", created=NOW - 7200),
    _take("c", model="banana", cell="cell:1", created=NOW - 3 * 86400),
    _take("d", cell=None, created=None),
]


def _keys(takes: list[Take]) -> list[str]:
    return [t.key for t in takes]


def test_default_filter_keeps_every_take_in_order() -> None:
    assert _keys(filter_takes(TAKES, TakeFilter(), now=NOW)) == ["a", "b", "c", "d"]


@pytest.mark.parametrize(
    ("wanted", "kept"),
    [
        (TakeFilter(cell="cell:1"), ["a", "c"]),
        (TakeFilter(cell="no cell"), ["d"]),
        (TakeFilter(model="veo"), ["a", "b"]),
        (TakeFilter(model="unknown model"), ["d"]),
        (TakeFilter(starred=True), ["a"]),
        (TakeFilter(max_age=3600.0), ["a"]),  # an unknown time is not "recent"
        (TakeFilter(max_age=86400.0), ["a", "b"]),
        (TakeFilter(cell="cell:1", model="banana"), ["c"]),
        (TakeFilter(cell="cell:2", starred=True), []),
    ],
)
def test_each_filter_and_their_combination(wanted: TakeFilter, kept: list[str]) -> None:
    assert _keys(filter_takes(TAKES, wanted, now=NOW)) == kept


def test_choices_offer_every_then_each_value_once() -> None:
    assert cell_choices(TAKES) == [
        ("every cell", ANY),
        ("cell:1", "cell:1"),
        ("cell:2", "cell:2"),
        ("no cell", "no cell"),
    ]
    assert model_choices(TAKES) == [
        ("every model", ANY),
        ("banana", "banana"),
        ("unknown model", "unknown model"),
        ("veo", "veo"),
    ]


@pytest.fixture
def fan_out(flow: FlowSession) -> list[Any]:
    jobs = [
        flow.image("a <b>lighthouse</b> at dusk", model=model, seed=1, new=True)
        for model in ("nano-banana-2", "nano-banana-pro")
    ]
    for job in jobs:
        job.wait(60)
    return jobs


def test_gallery_picker_is_a_thumbnail_grid_named_by_prompt_and_follows_the_filters(
    fan_out: list[Any],
) -> None:
    board = Recorder()
    gallery = Gallery(fan_out, board_options={"publisher": board})
    try:
        tiles = gallery.selection.tiles
        assert len(tiles) == 2
        assert all(t["name"] == "a <b>lighthouse</b> at dusk" for t in tiles)  # as text
        assert all(t["thumb"].startswith("data:image/jpeg;base64,") for t in tiles)
        assert "innerHTML" not in str(gallery.selection._esm)
        assert [v for _, v in gallery.model_filter.options] == [
            ANY,
            "nano-banana-2",
            "nano-banana-pro",
        ]
        gallery.model_filter.value = "nano-banana-pro"
        assert [t["caption"] for t in gallery.selection.tiles] == ["nano-banana-pro · seed 1"]
        assert [label for label, _ in gallery.a.options] == [
            "nano-banana-pro · seed 1 · a <b>lighthouse</b> at dusk"
        ]
        gallery.model_filter.value = ANY
        first = gallery.selection.tiles[0]["key"]
        gallery.selection.value = (first,)
        gallery.star_button.click()
        gallery.starred_filter.value = True
        assert [t["key"] for t in gallery.selection.tiles] == [first]
        assert gallery.selection.tiles[0]["starred"] is True
        gallery.age_filter.value = 1  # the last hour: both were just made
        assert len(gallery.selection.tiles) == 1
    finally:
        gallery.close()


def test_gallery_cell_filter_reads_which_cell_bought_each_take_from_the_ledger(
    flow: FlowSession, fan_out: list[Any]
) -> None:
    from flow_widgets.runtime.cell_keys import CellKey
    from flow_widgets.runtime.take_store import store_for

    store = store_for(flow.ledger)
    for job, cell in zip(fan_out, ("cell:first", "cell:second"), strict=True):
        store.record(
            CellKey("n.ipynb", cell, "cell id"),
            submission_id=job.submission_id,
            fingerprint=cell,
            magic="%%flow_image",
            flags="",
            prompt=job.prompt,
            model=job.model,
            seed=1,
            cost=None,
        )
    gallery = Gallery(fan_out, session=flow, board_options={"publisher": Recorder()})
    try:
        assert [v for _, v in gallery.cell_filter.options] == [ANY, "cell:first", "cell:second"]
        gallery.cell_filter.value = "cell:second"
        assert [t["caption"] for t in gallery.selection.tiles] == ["nano-banana-pro · seed 1"]
    finally:
        gallery.close()
