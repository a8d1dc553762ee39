"""Which takes the Gallery shows: by cell, by model, starred only, and by age.

Why a module of its own: the filters are the Gallery's answer to "where is the take I liked
yesterday in that cell?", and they are plain functions of a list of takes, so they are tested
without widgets. Filtering never reorders: the Gallery's order (starred picks first, then oldest
first) is kept, so what a person sees first is what they kept.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from flow_widgets.ui.panel_html import Take

__all__ = ["AGES", "ANY", "TakeFilter", "cell_choices", "filter_takes", "model_choices"]

ANY = ""
"""The value of the cell and model filters that keeps every take."""

AGES: tuple[tuple[str, float | None], ...] = (
    ("any time", None),
    ("last hour", 3600.0),
    ("last 24 hours", 86400.0),
    ("last 7 days", 7 * 86400.0),
)
"""The date filter's choices: (label, the newest takes' maximum age in seconds)."""

_UNKNOWN_MODEL = "unknown model"
_NO_CELL = "no cell"


@dataclass(frozen=True)
class TakeFilter:
    """What the Gallery's filters are set to (the defaults keep every take).

    Attributes:
        cell: a cell key (``ANY``: every cell; ``"no cell"``: takes made outside a cell).
        model: a model name (``ANY``: every model; ``"unknown model"``: takes with none).
        starred: only starred takes.
        max_age: only takes made at most this many seconds ago (``None``: any age). A take
            whose time is unknown is kept only when there is no age limit.
    """

    cell: str = ANY
    model: str = ANY
    starred: bool = False
    max_age: float | None = None


def _cell(take: Take) -> str:
    return take.cell or _NO_CELL


def _model(take: Take) -> str:
    return take.model or _UNKNOWN_MODEL


def filter_takes(
    takes: Sequence[Take], wanted: TakeFilter, *, now: float | None = None
) -> list[Take]:
    """The takes that pass every filter, in their given order."""
    oldest = None
    if wanted.max_age is not None:
        oldest = (time.time() if now is None else now) - wanted.max_age
    kept: list[Take] = []
    for take in takes:
        if wanted.cell != ANY and _cell(take) != wanted.cell:
            continue
        if wanted.model != ANY and _model(take) != wanted.model:
            continue
        if wanted.starred and not take.starred:
            continue
        if oldest is not None and (take.created is None or take.created < oldest):
            continue
        kept.append(take)
    return kept


def cell_choices(takes: Sequence[Take]) -> list[tuple[str, str]]:
    """The cell filter's options: every cell, then each cell with takes (first seen first)."""
    cells = dict.fromkeys(_cell(t) for t in takes)
    return [("every cell", ANY), *((cell, cell) for cell in cells)]


def model_choices(takes: Sequence[Take]) -> list[tuple[str, str]]:
    """The model filter's options: every model, then each model of the takes, sorted."""
    models = sorted({_model(t) for t in takes})
    return [("every model", ANY), *((model, model) for model in models)]
