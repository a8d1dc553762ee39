"""The live job card: one display output per submission, updated in place from the engine thread.

Why a display handle and not a widget: a plain ``text/html`` + ``text/plain`` output is what a
saved notebook keeps, so every finished video and image is still there with no kernel and no
widget state (DESIGN decision 2). The card is shown once with a ``display_id`` and then replaced
through ``update_display`` whenever the job changes — from the engine thread, after the cell has
long finished. Widgets (the toolbar) only carry buttons.

The card is a :class:`~flow_widgets.ui._board.Board` (the one "display once, then throttled
``update_display``" engine) that does not flood the kernel: the progress bar and the clock move
by CSS alone, so it asks for a redraw only when something a person would notice changes (status,
files, error, credits, a note), at most once per ``min_interval`` seconds; a change of phase
(running → completed) is always published at once. Follow-up jobs started from the card (a new
take, an extension, an upscale) and snippets (copy-as-cell) are shown inside the same output,
under the original.

Every output carries provenance metadata: ``{"flow_widgets": {"job_id", "model", "credits",
"status"}}`` — never the account or the token.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flow_widgets.runtime.jobs import JobHandle
from flow_widgets.ui._board import Board, Bundle, MimeFilter, Publisher, cell_publisher, only
from flow_widgets.ui._throttle import Scheduler, engine_scheduler
from flow_widgets.ui.html import card_html, snippet_html
from flow_widgets.ui.poster_output import poster_bundle, poster_hide_rule
from flow_widgets.ui.reopen import guarded_html
from flow_widgets.ui.text import card_text, one_line
from flow_widgets.ui.view import CardView, card_view_from_job

__all__ = ["LiveCard", "card_bundle"]

if TYPE_CHECKING:  # pragma: no cover
    from flow_widgets.ui.toolbar import ActionBar

log = logging.getLogger("flow_widgets.cards")


def card_bundle(
    views: Sequence[CardView],
    snippets: Sequence[tuple[str, str]] = (),
    *,
    columns: int = 1,
    poster_output: bool = False,
    strip: tuple[str, str] = ("", ""),
) -> Bundle:
    """The mimebundle and metadata for a card and its follow-ups.

    Args:
        views: the original job first, then follow-ups (new takes, extensions, upscales).
        snippets: ``(title, code)`` blocks shown under the cards (copy-as-cell).
        columns: lay the cards out in a grid this many columns wide (``--compare``/``--seeds``).
        poster_output: the card is followed by its poster output (see
            :mod:`~flow_widgets.ui.poster_output`), which its HTML then hides where trusted.
        strip: ``(html, text)`` of the cell's takes strip, shown under the cards.
    """
    html_parts = [card_html(v) for v in views]
    if columns > 1:
        html_parts = [
            f'<div style="display:grid;grid-template-columns:repeat({columns},minmax(0,1fr));'
            f'gap:6px">{"".join(html_parts)}</div>'
        ]
    text_parts = [card_text(v) for v in views]
    if strip[0]:
        html_parts.append(strip[0])
        text_parts.append(strip[1])
    for title, code in snippets:
        html_parts.append(snippet_html(title, code))
        text_parts.append(f"{one_line(title, 200)}\n{code}")
    if poster_output:
        html_parts.insert(0, poster_hide_rule(views))
    html = guarded_html("".join(html_parts))  # no widget error text under it when reopened
    data = {"text/plain": "\n".join(text_parts), "text/html": html}
    provenance = views[0].provenance()
    if len(views) > 1:
        provenance["followups"] = [v.provenance() for v in views[1:]]
    return data, {"flow_widgets": provenance}


@dataclass
class _Entry:
    handle: JobHandle
    kind: str
    note: str | None
    unsubscribe: Callable[[], None] | None = None


class LiveCard:
    """A job card that follows its job: shown once, then updated in place.

    Example:
        >>> card = LiveCard(handle, kind="video")      # doctest: +SKIP
        >>> card.show()                                # the cell's output; updates by itself
    """

    def __init__(
        self,
        handle: JobHandle,
        *,
        kind: str = "video",
        note: str | None = None,
        base: str | os.PathLike[str] | None = None,
        min_interval: float = 1.0,
        publisher: Publisher | None = None,
        scheduler: Scheduler = engine_scheduler,
        clock: Callable[[], float] = time.monotonic,
        columns: int = 1,
        poster_output: bool = False,
    ) -> None:
        self._base = os.fspath(base) if base is not None else os.getcwd()
        self._entries = [_Entry(handle, kind, note)]
        self._snippets: list[tuple[str, str]] = []
        self._columns = max(1, columns)
        # The publisher is captured now, on the cell's thread, so engine-thread updates answer
        # this cell.
        publisher = publisher if publisher is not None else cell_publisher()
        self._board = Board(
            self.bundle,
            name="card",
            min_interval=min_interval,
            publisher=publisher,
            scheduler=scheduler,
            clock=clock,
        )
        self.display_id = self._board.display_id
        # A second output right under the card: its poster, for sanitizing renderers. A board
        # of its own, so it is sent only when the still changes.
        self._poster: Board | None = None
        if poster_output:
            self._poster = Board(
                lambda: poster_bundle(self.views()),
                name="poster",
                min_interval=min_interval,
                publisher=publisher,
                scheduler=scheduler,
                clock=clock,
                display_id=f"{self.display_id}-poster",
            )
        self.poster_display_id = self._poster.display_id if self._poster else None
        self._lock = threading.RLock()
        self._last_key: tuple[object, ...] | None = None
        self._last_phases: tuple[str, ...] = ()
        self.toolbar: ActionBar | None = None  # the action bar shown under the card, if any
        # id(handle) -> the take number it was bought as ("new take #3"), for the toolbar.
        self.take_numbers: dict[int, int] = {}
        self.strip: Callable[[], tuple[str, str]] | None = None  # the cell's takes strip

    @property
    def publish_count(self) -> int:
        """Outputs sent so far (the first display and every update)."""
        return self._board.publish_count

    # -- reading ----------------------------------------------------------------------------

    @property
    def handle(self) -> JobHandle:
        """The original job's handle."""
        return self._entries[0].handle

    @property
    def handles(self) -> list[JobHandle]:
        """The original job and every follow-up, in order."""
        return [entry.handle for entry in self._entries]

    @property
    def kinds(self) -> list[str]:
        """What each job on the card is (``video``, ``image``, ``extend``, ``upscale``)."""
        return [entry.kind for entry in self._entries]

    def views(self) -> list[CardView]:
        """A still picture of every job on the card."""
        return [
            card_view_from_job(e.handle, kind=e.kind, base=self._base, note=e.note)
            for e in self._entries
        ]

    def bundle(self) -> Bundle:
        """The current mimebundle and metadata."""
        with self._lock:
            snippets = list(self._snippets)
        strip = self.strip() if self.strip is not None else ("", "")
        return card_bundle(
            self.views(),
            snippets,
            columns=self._columns,
            poster_output=self._poster is not None,
            strip=strip,
        )

    def _repr_mimebundle_(self, include: MimeFilter = None, exclude: MimeFilter = None) -> Bundle:
        return only(self.bundle(), include, exclude)

    # -- showing and following ------------------------------------------------------------

    def show(self) -> LiveCard:
        """Display the card (once) and start following its jobs."""
        with self._lock:
            if self._board.shown:
                return self
            self._remember(self.views())
            self._board.show()
            self._board.hold()  # the first update waits its turn like any other
            if self._poster is not None:
                self._poster.show()
                self._poster.hold()
            for entry in self._entries:
                self._follow(entry)
        return self

    def add_followup(self, handle: JobHandle, *, kind: str, note: str | None = None) -> None:
        """Show another job (a new take, an extension, an upscale) under the original."""
        entry = _Entry(handle, kind, note)
        with self._lock:
            self._entries.append(entry)
            if self._board.shown:
                self._follow(entry)
        self.refresh(force=True)

    def add_snippet(self, title: str, code: str) -> None:
        """Show a block of text under the cards (for example a runnable cell to copy)."""
        with self._lock:
            self._snippets = [s for s in self._snippets if s[0] != title] + [(title, code)]
        self.refresh(force=True)

    def set_note(self, note: str | None, *, index: int = 0) -> None:
        """Replace the extra line on one of the cards (errors from buttons land here)."""
        with self._lock:
            self._entries[index].note = note
        self.refresh(force=True)

    def close(self) -> None:
        """Stop following (the output stays as it was last published)."""
        with self._lock:
            for entry in self._entries:
                if entry.unsubscribe is not None:
                    entry.unsubscribe()
                    entry.unsubscribe = None
        self._board.close()
        if self._poster is not None:
            self._poster.close()

    def _follow(self, entry: _Entry) -> None:
        if entry.unsubscribe is None:
            entry.unsubscribe = entry.handle.on_change(self._on_change)

    def _on_change(self, _handle: JobHandle | None) -> None:
        try:
            self.refresh()
        except Exception:  # an observer must never break the engine loop
            log.exception("Updating a job card failed")

    # -- publishing -------------------------------------------------------------------------

    def refresh(self, *, force: bool = False) -> bool:
        """Ask the board for a redraw if the card changed in a way a person would notice;
        returns True if it was sent at once.

        Phase changes and ``force`` are sent at once; other changes at most once per
        ``min_interval`` (the board sends the last one later, so it is never lost).
        """
        with self._lock:
            if not self._board.shown:
                return False
            views = self.views()
            key, phases = self._key(views), tuple(v.phase for v in views)
            if key == self._last_key and not force:
                return False
            urgent = force or phases != self._last_phases
            self._remember(views)
        before = self._board.publish_count
        for board in (self._board, self._poster):
            if board is None:
                continue
            if urgent:
                board.refresh_now(resend=force and board is self._board)
            else:
                board.refresh()
        return self._board.publish_count > before

    def _remember(self, views: list[CardView]) -> None:
        self._last_key = self._key(views)
        self._last_phases = tuple(v.phase for v in views)

    @staticmethod
    def _key(views: list[CardView]) -> tuple[object, ...]:
        """What a person would notice changing (elapsed time moves by CSS, so it is left out)."""
        return tuple(
            (v.phase, v.status, v.credits, v.charged, v.account, v.jobid, v.media, v.error, v.note)
            for v in views
        )
