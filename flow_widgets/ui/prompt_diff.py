"""What changed from one take's prompt to the next, word by word, as escaped HTML and as text.

Why: in a tweak loop the takes' pictures differ because a few words did; showing *those words*
(added and removed, in order, as a code review shows a diff) tells which edit did what. Words
are compared without case or surrounding punctuation; the words shown keep the user's spelling.
"""

from __future__ import annotations

import difflib
import html
from typing import Literal

__all__ = ["WordChange", "diff_html", "diff_text", "word_changes"]

Op = Literal["same", "added", "removed"]
WordChange = tuple[Op, str]

_PUNCTUATION = ".,;:!?\"'()[]{}«»“”‘’"


def _norm(word: str) -> str:
    return word.strip(_PUNCTUATION).lower()


def word_changes(before: str, after: str) -> list[WordChange]:
    """``after``'s words in order, with the words of ``before`` it dropped, each marked.

    >>> word_changes("a red fox at dusk", "a red fox at dawn, in snow")
    [('same', 'a'), ('same', 'red'), ('same', 'fox'), ('same', 'at'), ('removed', 'dusk'), \
('added', 'dawn,'), ('added', 'in'), ('added', 'snow')]
    """
    old, new = before.split(), after.split()
    matcher = difflib.SequenceMatcher(
        a=[_norm(w) for w in old], b=[_norm(w) for w in new], autojunk=False
    )
    changes: list[WordChange] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            changes += [("same", w) for w in new[j1:j2]]
            continue
        changes += [("removed", w) for w in old[i1:i2]]
        changes += [("added", w) for w in new[j1:j2]]
    return changes


def diff_text(changes: list[WordChange]) -> str:
    """Only the changed words, ``+added -removed`` (``""`` when nothing changed).

    >>> diff_text(word_changes("a fox at dusk", "a fox at dawn"))
    '-dusk +dawn'
    """
    signs = {"added": "+", "removed": "-"}
    return " ".join(f"{signs[op]}{word}" for op, word in changes if op != "same")


def diff_html(changes: list[WordChange], *, context: int = 3) -> str:
    """The changed words marked up (``<ins>``/``<del>``, each named for screen readers), with
    at most ``context`` unchanged words around each change (``…`` for the rest); escaped."""
    keep = [False] * len(changes)
    for index, (op, _word) in enumerate(changes):
        if op != "same":
            for near in range(max(0, index - context), min(len(changes), index + context + 1)):
                keep[near] = True
    parts: list[str] = []
    skipped = False
    for (op, word), kept in zip(changes, keep, strict=True):
        if not kept:
            skipped = True
            continue
        if skipped and parts:
            parts.append("…")
        skipped = False
        text = html.escape(word, quote=True)
        if op == "added":
            parts.append(f'<ins class="fw-add" aria-label="added {text}">{text}</ins>')
        elif op == "removed":
            parts.append(f'<del class="fw-del" aria-label="removed {text}">{text}</del>')
        else:
            parts.append(text)
    if skipped and parts:
        parts.append("…")
    return " ".join(parts)
