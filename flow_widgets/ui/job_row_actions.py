"""Each row of the live Jobs list with its own small actions: *show*, *stop watching*, *resume*.

Why per row: picking a job in a dropdown of truncated labels and then pressing a button under
the table is two steps and a guess; a row's own buttons say which job they act on. They are
stock buttons (keyboard reachable, the family's button look), each named for assistive
technology with the job's prompt (``"stop watching a red fox…"``, through
:func:`~flow_widgets.ui.family.named`), the visible word kept short.

Only what can work is offered: *stop watching* for a job this kernel watches that has not
ended; *resume* for a job only the ledger remembers that is still unfinished there (it
re-attaches to the job already bought; nothing is bought again). These buttons exist only in
the live widget: the table board stays plain HTML, so a reopened notebook with no kernel shows
no button that could not work.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import ipywidgets as widgets

from flow_widgets.runtime.ledger_records import UNFINISHED_STATES
from flow_widgets.ui.family import named, status_chip
from flow_widgets.ui.job_rows import JobRow
from flow_widgets.ui.text import one_line

__all__ = ["RESUME", "ROW_LIMIT", "SHOW", "STOP", "RowActions", "actions_of"]

SHOW = "show"
STOP = "stop watching"
RESUME = "resume"
#: Rows given their own buttons (newest first); older rows are in the table above.
ROW_LIMIT = 30
_ICONS = {SHOW: "eye", STOP: "stop", RESUME: "play"}
_TIPS = {
    SHOW: "show this job's card below",
    STOP: "stop following this job here; it runs on, and is charged, on the server",
    RESUME: "re-attach to this job (already bought: nothing is bought again)",
}


def actions_of(row: JobRow, *, watching: bool) -> tuple[str, ...]:
    """The actions ``row`` offers: always *show*; *stop watching* while this kernel watches it
    (``watching``: a live handle that has not ended); *resume* for a ledger row still
    unfinished that this kernel does not watch.

    >>> from flow_widgets.ui.job_rows import JobRow
    >>> row = JobRow("s1", "video", "running", "running", None, None, None, None, 0.0, "fox")
    >>> actions_of(row, watching=False)
    ('show', 'resume')
    """
    names = [SHOW]
    if row.live and watching:
        names.append(STOP)
    if not row.live and row.status in UNFINISHED_STATES:
        names.append(RESUME)
    return tuple(names)


@dataclass(frozen=True)
class _Shown:
    phase: str
    prompt: str
    actions: tuple[str, ...]


class RowActions:
    """The live list: one compact line per job (status chip, prompt, its buttons).

    Args:
        on_action: called with ``(action, key)`` when a row's button is pressed.
    """

    def __init__(self, on_action: Callable[[str, str], None]) -> None:
        self._on_action = on_action
        self._lock = threading.Lock()  # redraws come from the kernel and the engine's threads
        self._rows: dict[str, tuple[_Shown, widgets.HBox]] = {}
        self.buttons: dict[tuple[str, str], widgets.Button] = {}
        self.widget = widgets.VBox()
        self.widget.add_class("fw-job-rows")

    def show(self, rows: Sequence[JobRow], watching: Callable[[JobRow], bool]) -> None:
        """Draw ``rows`` (the newest :data:`ROW_LIMIT`); a row whose facts did not change keeps
        its widgets, so the focus stays on a button while other rows update."""
        with self._lock:
            self._show(rows, watching)

    def _show(self, rows: Sequence[JobRow], watching: Callable[[JobRow], bool]) -> None:
        wanted = {
            row.key: (row, _Shown(row.phase, row.prompt, actions_of(row, watching=watching(row))))
            for row in rows[:ROW_LIMIT]
        }
        for key, (shown, _line) in self._rows.items():  # forget the buttons of redrawn rows
            if key not in wanted or wanted[key][1] != shown:
                for action in shown.actions:
                    self.buttons.pop((key, action), None)
        kept: dict[str, tuple[_Shown, widgets.HBox]] = {}
        for key, (row, shown) in wanted.items():
            old = self._rows.get(key)
            kept[key] = old if old and old[0] == shown else (shown, self._line(row, shown))
        self._rows = kept
        children = tuple(line for _shown, line in kept.values())
        if children != self.widget.children:
            self.widget.children = children

    def button(self, key: str, action: str) -> widgets.Button | None:
        """The button of ``action`` on the row of ``key`` (``None``: that row does not offer it)."""
        return self.buttons.get((key, action))

    def _line(self, row: JobRow, shown: _Shown) -> widgets.HBox:
        short = one_line(row.prompt, 40) or "(no prompt)"
        chip = widgets.HTML(status_chip(row.phase))
        prompt = widgets.HTML(
            f'<span class="fw-job-prompt" dir="auto" title="{html.escape(one_line(row.prompt))}"'
            f' style="display:inline-block">{html.escape(short)}</span>'
        )
        parts: list[widgets.Widget] = [chip, prompt]
        for action in shown.actions:
            button = widgets.Button(
                description=action,
                icon=_ICONS[action],
                tooltip=_TIPS[action],
                layout={"width": "auto"},
            )
            named(button, f"{action} {short}")
            button.add_class(f"fw-job-{action.replace(' ', '-')}")
            button.on_click(lambda _b, a=action, k=row.key: self._on_action(a, k))
            self.buttons[(row.key, action)] = button
            parts.append(button)
        line = widgets.HBox(parts, layout={"align_items": "center"})
        line.add_class("fw-job-row")
        return line
