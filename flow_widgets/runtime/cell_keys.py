"""Which cell a run of ``%%flow_video`` / ``%%flow_image`` belongs to: its *cell key*.

Why: a cell's takes are the same cell across edits and re-runs, but a notebook frontend does
not always say which cell is running.

Which cell, first that answers (and the answer is recorded with each take):

1. ``cell id`` — the id JupyterLab, Notebook 7 and VS Code send with each execution (ipykernel
   hands it to IPython as ``ExecutionInfo.cell_id``); it survives edits and kernel restarts;
2. ``--out`` — the cell's ``--out`` name, when no id arrives (older kernels, such as Colab's);
3. ``lineage`` — otherwise the nearest earlier lineage of this notebook made by the same magic
   with the same flags whose latest prompt shares at least half its *content words* with this
   prompt (ties: the most recent); no such lineage starts a new one. A lineage can join two
   cells that differ only in a few words; an id or ``--out`` never does.

Content words: a prompt is lower-cased, its punctuation dropped, then every word under three
letters and every stop word ("the", "with", "and", "into", … see ``STOP_WORDS``) is left out.
Two prompts join when the words they share are at least half of the larger of their two sets of
content words: "a red fox in the snow at dawn" and "a red fox in the snow at dusk" share
red, fox, snow of four (they join); "a heron at the edge of the lake" and "the reflection of a
mountain on the lake" share only "lake" of three (they do not: "a", "the", "of" never count).
A prompt with no content word at all ("a b c") is compared by all of its words instead.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # pragma: no cover
    from IPython.core.interactiveshell import InteractiveShell

    from flow_widgets.runtime.take_store import TakeStore

__all__ = [
    "KEY_SOURCES",
    "STOP_WORDS",
    "CellKey",
    "KeySource",
    "content_words",
    "current_cell_id",
    "install_cell_id_hook",
    "normal_flags",
    "resolve_cell_key",
    "similarity",
    "uninstall_cell_id_hook",
]

KeySource = Literal["cell id", "--out", "name", "lineage"]
KEY_SOURCES: tuple[KeySource, ...] = ("cell id", "--out", "name", "lineage")
"""``name``: a Studio's own name, ``fw.Studio(name=…)`` (:mod:`flow_widgets.ui.studio_takes`)."""

_LINEAGE_MIN_SIMILARITY = 0.5
_MIN_LETTERS = 3

_STOP_TEXT = """
    about above after again against all and any are around because been before being below
    beneath between both but can could did does doing down during each few for from further
    had has have having her here hers herself him himself his how into its itself just more
    most nor not now off once only other our ours out over own same she should some such than
    that the their theirs them then there these they this those through too under until upon
    very was were what when where which while who whom why will with within without would you
    your yours
"""
STOP_WORDS: frozenset[str] = frozenset(_STOP_TEXT.split())
"""Words that never make two prompts alike (with every word under three letters)."""

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


@dataclass(frozen=True)
class CellKey:
    """Which cell a run belongs to, and how that was decided (see the module docstring)."""

    notebook: str
    key: str
    source: KeySource


def normal_flags(flags: str) -> str:
    """A magic's flags with their spacing made uniform (how lineages compare them)."""
    return " ".join(flags.split())


def content_words(prompt: str) -> frozenset[str]:
    """The words of ``prompt`` that say what it is about (see the module docstring).

    >>> sorted(content_words("A red FOX, in the snow... at dawn!"))
    ['dawn', 'fox', 'red', 'snow']
    """
    words = _WORD.findall(prompt.casefold())
    return frozenset(w for w in words if len(w) >= _MIN_LETTERS and w not in STOP_WORDS)


def similarity(a: str, b: str) -> float:
    """How alike two prompts are: shared content words / the larger set of content words.

    >>> similarity("a red fox in the snow at dawn", "a red fox in the snow at dusk")
    0.75
    >>> similarity("a heron at the edge of the lake", "the reflection of a mountain on the lake")
    0.3333333333333333
    """
    words_a, words_b = content_words(a), content_words(b)
    if not words_a or not words_b:  # nothing but short or stop words: every word counts
        words_a = frozenset(_WORD.findall(a.casefold()))
        words_b = frozenset(_WORD.findall(b.casefold()))
    if not words_a and not words_b:
        return 1.0
    return len(words_a & words_b) / max(len(words_a), len(words_b))


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
        score = similarity(prompt, latest)
        if score >= _LINEAGE_MIN_SIMILARITY and (best is None or score > best[0]):
            best = (score, cell_key)  # most recent first, so ties keep the most recent
    if best is not None:
        return CellKey(notebook, best[1], "lineage")
    seed = f"{notebook}\n{magic}\n{normal_flags(flags)}\n{prompt}\n{time.time_ns()}"
    return CellKey(notebook, f"lineage:{hashlib.sha256(seed.encode()).hexdigest()[:16]}", "lineage")


# -- the cell id of each run ------------------------------------------------------------------
# IPython hands the id the frontend sent to ``pre_run_cell`` callbacks (``ExecutionInfo``); the
# magics install the hook when loaded, and read it while their cell runs.

_CELL_IDS: dict[int, str | None] = {}
_HOOKS: dict[int, Callable[[object], None]] = {}


def install_cell_id_hook(shell: InteractiveShell) -> None:
    """Remember the cell id each execution carries (``None`` where the frontend sends none)."""
    if id(shell) in _HOOKS:
        return

    def pre_run_cell(info: object) -> None:
        cell_id = getattr(info, "cell_id", None)
        _CELL_IDS[id(shell)] = str(cell_id) if cell_id else None

    _HOOKS[id(shell)] = pre_run_cell
    shell.events.register("pre_run_cell", pre_run_cell)


def uninstall_cell_id_hook(shell: InteractiveShell) -> None:
    """Undo :func:`install_cell_id_hook` (``%unload_ext``)."""
    hook = _HOOKS.pop(id(shell), None)
    _CELL_IDS.pop(id(shell), None)
    if hook is not None:
        with contextlib.suppress(ValueError):  # already gone
            shell.events.unregister("pre_run_cell", hook)


def current_cell_id(shell: object) -> str | None:
    """The id of the cell running now, as the frontend sent it (``None``: none was sent)."""
    return _CELL_IDS.get(id(shell))
