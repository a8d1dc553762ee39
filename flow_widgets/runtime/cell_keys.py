"""Which cell a run of ``%%flow_video`` / ``%%flow_image`` belongs to: its *cell key*.

Why: a cell's takes are the same cell across edits and re-runs, but a notebook frontend does
not always say which cell is running.

Which cell, first that answers (and the answer is recorded with each take):

1. ``cell id`` — the id JupyterLab, Notebook 7 and VS Code send with each execution (ipykernel
   hands it to IPython as ``ExecutionInfo.cell_id``); it survives edits and kernel restarts;
2. ``--out`` — the cell's ``--out`` name, when no id arrives (older kernels, such as Colab's);
3. ``lineage`` — otherwise the nearest earlier lineage of this notebook made by the same magic
   with the same flags whose latest prompt shares at least half its words with this prompt
   (ties: the most recent); no such lineage starts a new one. A lineage can join two cells that
   differ only in a few words; an id or ``--out`` never does.
"""

from __future__ import annotations

import difflib
import hashlib
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # pragma: no cover
    from flow_widgets.runtime.take_store import TakeStore

__all__ = ["KEY_SOURCES", "CellKey", "KeySource", "normal_flags", "resolve_cell_key"]

KeySource = Literal["cell id", "--out", "lineage"]
KEY_SOURCES: tuple[KeySource, ...] = ("cell id", "--out", "lineage")

_LINEAGE_MIN_SIMILARITY = 0.5


@dataclass(frozen=True)
class CellKey:
    """Which cell a run belongs to, and how that was decided (see the module docstring)."""

    notebook: str
    key: str
    source: KeySource


def normal_flags(flags: str) -> str:
    """A magic's flags with their spacing made uniform (how lineages compare them)."""
    return " ".join(flags.split())


def _similarity(a: str, b: str) -> float:
    words_a, words_b = a.lower().split(), b.lower().split()
    if not words_a and not words_b:
        return 1.0
    return difflib.SequenceMatcher(a=words_a, b=words_b, autojunk=False).ratio()


def resolve_cell_key(
    store: TakeStore,
    notebook: str,
    *,
    cell_id: str | None,
    out: str | None,
    magic: str,
    flags: str,
    prompt: str,
) -> CellKey:
    """The cell a run of ``magic flags`` / ``prompt`` belongs to (see the module docstring).

    >>> import pathlib, tempfile
    >>> from flow_widgets.runtime.take_store import TakeStore
    >>> store = TakeStore(pathlib.Path(tempfile.mkdtemp()) / "l.sqlite3")
    >>> resolve_cell_key(store, "a.ipynb", cell_id="c1", out="fox", magic="%%flow_video",
    ...                  flags="", prompt="a fox").source
    'cell id'
    >>> resolve_cell_key(store, "a.ipynb", cell_id=None, out="fox", magic="%%flow_video",
    ...                  flags="", prompt="a fox").key
    'out:fox'
    """
    if cell_id:
        return CellKey(notebook, f"cell:{cell_id}", "cell id")
    if out:
        return CellKey(notebook, f"out:{out}", "--out")
    best: tuple[float, str] | None = None
    for cell_key, latest, _when in store.lineages(notebook, magic, flags):
        score = _similarity(prompt, latest)
        if score >= _LINEAGE_MIN_SIMILARITY and (best is None or score > best[0]):
            best = (score, cell_key)  # most recent first, so ties keep the most recent
    if best is not None:
        return CellKey(notebook, best[1], "lineage")
    seed = f"{notebook}\n{magic}\n{normal_flags(flags)}\n{prompt}\n{time.time_ns()}"
    return CellKey(notebook, f"lineage:{hashlib.sha256(seed.encode()).hexdigest()[:16]}", "lineage")
