"""Plain-text renderings of job cards: the ``text/plain`` half of every card's mimebundle.

Why: terminal IPython, nbconvert to text or Markdown, log files and frontends that cannot render
HTML (or widgets) still deserve one readable line per job. The same facts as the HTML card, in
the same order, without markup. Control characters from prompts and server text are replaced so
a hostile string cannot move the cursor or clear a terminal.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from flow_widgets.ui.html import format_clock, media_facts
from flow_widgets.ui.view import CardView, MediaView

__all__ = ["PROMPT_TEXT_CHARS", "card_text", "media_text", "one_line", "table_text"]

PROMPT_TEXT_CHARS = 120

# C0/C1 controls (except tab) and the bidi override/isolate characters.
_UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def one_line(text: str, limit: int = PROMPT_TEXT_CHARS) -> str:
    """Collapse whitespace, neutralise control and bidi-override characters, and cut to ``limit``.

    >>> one_line("a\\n  b\\x1b[2J", 80)
    'a b [2J'
    >>> one_line("x" * 10, 5)
    'xxxx…'
    """
    flat = " ".join(_UNSAFE.sub(" ", text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def media_text(media: MediaView) -> str:
    """One line for one file: kind, file name and the facts a caption shows."""
    facts = [media.kind]
    if media.label:
        facts.append(one_line(media.label, 60))
    if media.file_name:
        facts.append(one_line(media.file_name, 100))
    elif media.src:
        facts.append(one_line(media.src, 100))
    else:
        facts.append("(saving…)")
    return " · ".join(facts + media_facts(media, times="x"))


def _credits(view: CardView) -> str | None:
    if view.credits is None:
        return None
    if view.phase == "failed" and view.charged is False:
        return "0 credits (not charged)"
    return "free" if view.credits == 0 else f"{view.credits} credits"


def _status(view: CardView) -> str:
    if view.phase == "queued":
        return f"queued · {format_clock(view.elapsed_s)}"
    if view.phase == "running":
        expected = f" of about {format_clock(view.expected_s)}" if view.expected_s else ""
        return f"running · {format_clock(view.elapsed_s)}{expected}"
    if view.phase == "completed":
        return f"done in {format_clock(view.elapsed_s)}"
    if view.phase == "failed":
        reason = one_line(view.error or "no reason given", 300)
        return f"failed: {reason}"
    if view.phase == "detached":
        return "stopped watching (the job still runs on the server and may still be charged)"
    return "outcome unknown (nothing was resent; %flow resume checks again)"


def card_text(view: CardView) -> str:
    """The card as a few plain lines: a summary line, then one line per file.

    >>> from flow_widgets.ui.view import CardView
    >>> print(card_text(CardView(kind="video", prompt="a cat", phase="running",
    ...                          model="veo-3.1-fast", credits=20, elapsed_s=12, expected_s=100)))
    [flow video] running · 0:12 of about 1:40 · veo-3.1-fast · 20 credits · "a cat"
    """
    parts = [f"[flow {view.kind}] {_status(view)}"]
    if view.model:
        parts.append(view.model)
    if view.account:
        parts.append(one_line(view.account, 80))
    credits = _credits(view)
    if credits:
        parts.append(credits)
    parts.append(f'"{one_line(view.prompt)}"')
    lines = [" · ".join(parts)]
    lines.extend(f"  {media_text(m)}" for m in view.media)
    if view.phase == "failed":
        lines.append("  try again: re-run the cell with --new")
    if view.note:
        lines.append(f"  {one_line(view.note, 200)}")
    return "\n".join(lines)


def table_text(
    headers: Sequence[str], rows: Sequence[Sequence[object]], *, caption: str | None = None
) -> str:
    """A plain-text table with aligned columns (cells flattened to one line, 60 chars at most).

    >>> print(table_text(["a", "bb"], [[1, "x"], [2200, None]]))
        a  bb
        1  x
    2,200
    """

    def shown(v: object) -> str:
        if isinstance(v, int) and not isinstance(v, bool):
            return f"{v:,}"
        return one_line("" if v is None else str(v), 60)

    cells = [[shown(v) for v in row] for row in rows]
    table = [list(headers), *cells]
    widths = [max(len(r[i]) for r in table if i < len(r)) for i in range(len(headers))]
    numeric = [
        bool(rows) and all(isinstance(r[i], int) for r in rows if i < len(r) and r[i] is not None)
        for i in range(len(headers))
    ]  # columns of counts are right-aligned
    lines = [
        "  ".join(
            c.rjust(w) if numeric[i] else c.ljust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=False))
        ).rstrip()
        for r in table
    ]
    return "\n".join(([one_line(caption, 200)] if caption else []) + lines)
