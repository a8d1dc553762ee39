"""A cell's takes as a card shows them: recorded as the purchases become known, drawn as the
takes strip, starred, and turned back into the exact cell that made each.

Why a module of the UI layer: every generating cell has takes — a ``%%flow_video`` cell and a
Studio alike — so both the magics and the Studio (:mod:`flow_widgets.ui.studio_takes`) use
:class:`CellTakes`; the magics only decide which cell is running (``cell_takes_for``). The strip
is part of the card's own plain output; only the star and *use this prompt* need the kernel.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from flow_widgets.cell_text import cell_for
from flow_widgets.runtime.cell_keys import CellKey
from flow_widgets.runtime.take_store import TakeRecord, TakeStore
from flow_widgets.ui.press import Press
from flow_widgets.ui.prompt_diff import word_changes
from flow_widgets.ui.takes_strip import TakeView, strip_html, strip_text
from flow_widgets.ui.view import relative_src

if TYPE_CHECKING:  # pragma: no cover
    from flow_widgets.runtime.jobs import JobHandle
    from flow_widgets.runtime.session import FlowSession

__all__ = ["STRIP_MOST", "CellTakes", "newest_runs", "runs", "take_cell", "take_views"]

log = logging.getLogger("flow_widgets.takes")

STRIP_MOST = 12
"""The strip shows the cell's newest runs up to this many takes (``%flow takes`` lists them
all): whole runs only, so a 4-image grid per run shows its last three runs; a run larger than
this is shown alone."""


def _poster(record: TakeRecord, kind: str) -> str | None:
    if not record.media_path or kind != "video":
        return None
    from flow_widgets.runtime.posters import poster_data_url

    return poster_data_url(record.media_path)


def take_views(
    records: list[TakeRecord], *, current: str | None = None, base: str | None = None
) -> list[TakeView]:
    """The strip's views of a cell's takes (``current``: the submission this run shows)."""
    views: list[TakeView] = []
    previous: str | None = None
    for record in records:
        kind = "image" if "image" in record.magic else "video"
        src = relative_src(record.media_path, base) if record.media_path else ""
        changes = tuple(word_changes(previous, record.prompt)) if previous is not None else ()
        views.append(
            TakeView(
                number=record.number,
                prompt=record.prompt,
                changes=changes,
                kind=kind,
                model=record.model,
                seed=record.seed,
                cost=record.cost,
                created=record.created,
                src=src,
                poster=_poster(record, kind),
                starred=record.starred,
                current=record.submission_id == current,
                state=record.state,
                label=record.label or "",
                run=record.run or "",
            )
        )
        previous = record.prompt
    return views


def runs(records: list[TakeRecord]) -> list[list[TakeRecord]]:
    """A cell's takes grouped by the run that bought them, oldest run first."""
    grouped: dict[str, list[TakeRecord]] = {}
    for record in records:
        grouped.setdefault(record.run_key, []).append(record)
    return list(grouped.values())


def newest_runs(records: list[TakeRecord], most: int = STRIP_MOST) -> list[TakeRecord]:
    """The takes of the newest whole runs that fit in ``most`` (at least the newest run).

    >>> from dataclasses import replace
    >>> one = TakeRecord("nb", "c", "cell id", 1, "s1", "f", "%%flow_image", "", "p", None,
    ...                  None, None, 0.0, False)
    >>> grid = [replace(one, number=n, submission_id=f"s{n}", run=f"r{(n + 1) // 2}")
    ...         for n in range(1, 7)]
    >>> [r.number for r in newest_runs(grid, most=5)]
    [3, 4, 5, 6]
    """
    chosen: list[list[TakeRecord]] = []
    total = 0
    for run in reversed(runs(records)):
        if chosen and total + len(run) > most:
            break
        chosen.insert(0, run)
        total += len(run)
    return [record for run in chosen for record in run]


@dataclass
class _Pending:
    """A take asked for whose ledger row may not exist yet (the engine writes it)."""

    handle: JobHandle
    fingerprint: str
    magic: str
    flags: str
    prompt: str
    seed: int | None
    cost: int | None
    label: str | None = None
    run: str | None = None


class CellTakes:
    """This run's cell: where its takes are kept, and the take this run shows.

    A take is recorded once its submission id is known: the session writes the ledger row on
    the engine thread, so a handle may not have one yet when the cell returns. Every read (the
    strip, the toolbar row) and every change of a handle records what became known.
    """

    def __init__(self, store: TakeStore, key: CellKey) -> None:
        self.store = store
        self.key = key
        self.on_star: Callable[[], object] | None = None
        self._pending: list[_Pending] = []
        self._first: JobHandle | None = None
        self._lock = threading.RLock()

    @property
    def current(self) -> str | None:
        """The submission the card's main player shows (the cell's own run)."""
        return None if self._first is None else self._first.submission_id

    def add(
        self,
        handle: JobHandle,
        *,
        fingerprint: str,
        magic: str,
        flags: str,
        prompt: str,
        seed: int | None,
        cost: int | None,
        label: str | None = None,
        run: str | None = None,
    ) -> None:
        """Record ``handle`` as a take of this cell (now, or once its ledger row exists);
        ``label``/``run``: its place in a grid and the run that bought it with others."""
        with self._lock:
            if self._first is None:
                self._first = handle
            pending = _Pending(handle, fingerprint, magic, flags, prompt, seed, cost, label, run)
            self._pending.append(pending)
        handle.on_change(self._changed)
        self._changed(handle)  # never raises: the purchase is made whatever the store says

    def _changed(self, handle: JobHandle) -> None:
        try:
            self.flush()
            if handle.done:
                self.note_result(handle)
        except Exception:  # an observer must never break the engine loop
            log.exception("Recording the cell's take failed")

    def flush(self) -> None:
        """Record every take whose submission id is known by now."""
        with self._lock:
            ready = [p for p in self._pending if p.handle.submission_id]
            for pending in ready:
                self.store.record(
                    self.key,
                    submission_id=str(pending.handle.submission_id),
                    fingerprint=pending.fingerprint,
                    magic=pending.magic,
                    flags=pending.flags,
                    prompt=pending.prompt,
                    model=pending.handle.model,
                    seed=pending.seed,
                    cost=pending.cost if pending.cost is not None else pending.handle.credits,
                    label=pending.label,
                    run=pending.run,
                )
                self._pending.remove(pending)
                if pending.handle.done:
                    self.note_result(pending.handle)

    def records(self) -> list[TakeRecord]:
        """The cell's takes, oldest first (recording what became known first)."""
        self.flush()
        return self.store.takes(self.key.notebook, self.key.key)

    def strip(self, current: str | None = None) -> tuple[str, str]:
        """``(html, text)`` of the strip for the card (both empty for a single take);
        ``current``: the submission the card shows (default: this run's first)."""
        try:
            records = self.records()
        except Exception:  # the card must still show when the store cannot be read
            log.exception("Reading the cell's takes failed")
            return "", ""
        if len(runs(records)) < 2:  # one run: its card (or grid) already shows all of it
            return "", ""
        views = take_views(newest_runs(records), current=current or self.current)
        html = strip_html(views, source=self.key.source, cell=self.key.key)
        return html, strip_text(views)

    def star(self, number: int | None) -> None:
        """Make take ``number`` the cell's pick (``None``: no pick) and redraw the card."""
        self.store.star(self.key.notebook, self.key.key, number)
        if self.on_star is not None:
            self.on_star()

    def note_result(self, handle: JobHandle) -> None:
        """Keep the seed the server chose for this take once its files are known."""
        if not handle.submission_id:
            return
        for media in handle.media:
            seed = getattr(media, "seed", None)
            if seed is not None:
                self.store.note_seed(handle.submission_id, int(seed))
                return

    def actions(self, session: FlowSession) -> dict[str, Callable[[], object] | Press]:
        """The toolbar's *takes* row: star each take as the pick, copy a take's exact cell."""
        try:
            records = self.records()
        except Exception:  # the toolbar still offers the job's own buttons
            log.exception("Reading the cell's takes failed")
            return {}
        actions: dict[str, Callable[[], object] | Press] = {}
        if len(records) < 2:
            return actions
        shown = newest_runs(records)
        for record in shown:
            number = record.number
            if record.starred:
                label = f"★ #{number} (unstar)"
                tip = f"Take #{number} is the cell's pick; press to clear it"
                actions[label] = Press(label, partial(self.star, None), tooltip=tip)
            else:
                label = f"☆ #{number}"
                tip = f"Star take #{number} as the cell's pick"
                actions[label] = Press(label, partial(self.star, number), tooltip=tip)
        for record in shown:
            cell = take_cell(session, record)
            if cell:
                label = f"use prompt #{record.number}"
                tip = f"Copy take #{record.number}'s exact cell (prompt, flags, seed)"
                actions[label] = Press(label, _nothing, copy=cell, tooltip=tip)
        return actions


def _nothing() -> None:
    """The kernel's part of *use this prompt*: none (the browser copies the cell)."""


def take_cell(session: FlowSession, record: TakeRecord) -> str | None:
    """The exact cell (prompt, flags, seed) of a take, from the body the ledger recorded."""
    submission = session.ledger.get(record.submission_id)
    if submission is None:
        return None
    kind = "image" if "image" in record.magic else "video"
    return cell_for(kind, dict(submission.payload), seed=record.seed)
