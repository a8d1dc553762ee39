"""The live job card: one display output per submission, updated in place from the engine thread.

Why a display handle and not a widget: a plain ``text/html`` + ``text/plain`` output is what a
saved notebook keeps, so every finished video and image is still there with no kernel and no
widget state (DESIGN decision 2). The card is shown once with a ``display_id`` and then replaced
through ``update_display`` whenever the job changes — from the engine thread, after the cell has
long finished. Widgets (the toolbar) only carry buttons.

The card does not flood the kernel: the progress bar and the clock move by CSS alone, so it
re-publishes only when something a person would notice changes (status, files, error, credits,
a note), at most once per ``min_interval`` seconds; a change of phase (running → completed) is
always published at once. Follow-up jobs started from the card (a new take, an extension, an
upscale) and snippets (copy-as-cell) are shown inside the same output, under the original.

Every output carries provenance metadata: ``{"flow_widgets": {"job_id", "model", "credits",
"status"}}`` — never the account or the token.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from flow_widgets.ui.html import card_html, snippet_html
from flow_widgets.ui.reopen import guarded_html
from flow_widgets.ui.text import card_text, one_line
from flow_widgets.ui.view import CardView, card_view_from_job

__all__ = [
    "LiveCard",
    "Publisher",
    "Scheduler",
    "card_bundle",
    "cell_publisher",
    "ipython_publisher",
]

log = logging.getLogger("flow_widgets.cards")

# (data, metadata, display_id, update) -> None
Publisher = Callable[[dict[str, str], dict[str, Any], str, bool], None]
# (delay_seconds, callback) -> None
Scheduler = Callable[[float, Callable[[], None]], None]


def card_bundle(
    views: Sequence[CardView],
    snippets: Sequence[tuple[str, str]] = (),
    *,
    columns: int = 1,
    strip: tuple[str, str] = ("", ""),
) -> tuple[dict[str, str], dict[str, Any]]:
    """The mimebundle and metadata for a card and its follow-ups.

    Args:
        views: the original job first, then follow-ups (new takes, extensions, upscales).
        snippets: ``(title, code)`` blocks shown under the cards (copy-as-cell).
        columns: lay the cards out in a grid this many columns wide (``--compare``/``--seeds``).
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
    html = guarded_html("".join(html_parts))  # no widget error text under it when reopened
    data = {"text/plain": "\n".join(text_parts), "text/html": html}
    provenance = views[0].provenance()
    if len(views) > 1:
        provenance["followups"] = [v.provenance() for v in views[1:]]
    return data, {"flow_widgets": provenance}


def ipython_publisher(
    data: dict[str, str], metadata: dict[str, Any], display_id: str, update: bool
) -> None:
    """Publish through IPython's display machinery (first ``display``, then ``update_display``)."""
    from IPython.display import display, update_display

    if update:
        update_display(data, raw=True, metadata=metadata, display_id=display_id)  # type: ignore[no-untyped-call]
    else:
        display(data, raw=True, metadata=metadata, display_id=display_id)  # type: ignore[no-untyped-call]


def cell_publisher() -> Publisher:
    """A publisher whose updates answer the cell running now, from whatever thread they come.

    ipykernel stamps a message from a background thread with the parent of whatever the kernel
    handled last, and JupyterLab applies ``update_display_data`` only within the output area of
    that parent; so the cell's parent header is captured here, on the cell's thread, and set for
    the publishing thread around each message (``set_thread_parent``, ipykernel 7).

    Clients that follow only the cell executing now (nbclient, nbconvert, papermill) drop a
    message stamped with a finished cell, and apply an update by display id wherever it sits; so
    an *update* is also sent stamped with the kernel's current parent when that is another cell.
    Updates are idempotent, so a frontend that sees both simply redraws the same output twice.

    Outside an ipykernel 7 kernel (terminal IPython, older kernels) it is the plain IPython
    publisher.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency of the ui layer
        return ipython_publisher
    shell = get_ipython()
    display_pub = getattr(shell, "display_pub", None)
    set_parent = getattr(display_pub, "set_thread_parent", None)
    reset_parent = getattr(display_pub, "reset_thread_parent", None)
    parent = getattr(display_pub, "parent_header", None)
    if set_parent is None or reset_parent is None or not parent:
        return ipython_publisher
    captured = dict(parent)

    def publish(
        data: dict[str, str], metadata: dict[str, Any], display_id: str, update: bool
    ) -> None:
        token = set_parent(captured)
        try:
            ipython_publisher(data, metadata, display_id, update)
        finally:
            reset_parent(token)
        current = getattr(display_pub, "parent_header", None) or {}
        if update and current.get("msg_id") != captured.get("msg_id"):
            ipython_publisher(data, metadata, display_id, update)

    return publish


def engine_scheduler(delay: float, callback: Callable[[], None]) -> None:
    """Run ``callback`` after ``delay`` seconds on the engine loop (the default scheduler)."""
    from flow_widgets.runtime.engine import Engine

    loop = Engine.get().loop
    loop.call_soon_threadsafe(loop.call_later, delay, callback)


@dataclass
class _Entry:
    handle: Any
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
        handle: Any,
        *,
        kind: str = "video",
        note: str | None = None,
        base: str | os.PathLike[str] | None = None,
        min_interval: float = 1.0,
        publisher: Publisher | None = None,
        scheduler: Scheduler = engine_scheduler,
        clock: Callable[[], float] = time.monotonic,
        columns: int = 1,
    ) -> None:
        self.display_id = f"flow-{uuid.uuid4().hex}"
        self._base = os.fspath(base) if base is not None else os.getcwd()
        self._entries = [_Entry(handle, kind, note)]
        self._snippets: list[tuple[str, str]] = []
        self._columns = max(1, columns)
        self._min_interval = min_interval
        # Captured now, on the cell's thread, so engine-thread updates answer this cell.
        self._publisher = publisher if publisher is not None else cell_publisher()
        self._scheduler = scheduler
        self._clock = clock
        self._lock = threading.RLock()
        self._shown = False
        self._last_key: tuple[Any, ...] | None = None
        self._last_phases: tuple[str, ...] = ()
        self._last_time = float("-inf")
        self._flush_pending = False
        self.publish_count = 0
        self.toolbar: Any = None  # the action bar shown under the card, if any
        # id(handle) -> the take number it was bought as ("new take #3"), for the toolbar.
        self.take_numbers: dict[int, int] = {}
        self.strip: Callable[[], tuple[str, str]] | None = None  # the cell's takes strip

    # -- reading ----------------------------------------------------------------------------

    @property
    def handle(self) -> Any:
        """The original job's handle."""
        return self._entries[0].handle

    @property
    def handles(self) -> list[Any]:
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

    def bundle(self) -> tuple[dict[str, str], dict[str, Any]]:
        """The current mimebundle and metadata."""
        with self._lock:
            snippets = list(self._snippets)
        strip = self.strip() if self.strip is not None else ("", "")
        return card_bundle(self.views(), snippets, columns=self._columns, strip=strip)

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None
    ) -> tuple[dict[str, str], dict[str, Any]]:
        data, metadata = self.bundle()
        if include:
            data = {k: v for k, v in data.items() if k in include}
        if exclude:
            data = {k: v for k, v in data.items() if k not in exclude}
        return data, metadata

    # -- showing and following ------------------------------------------------------------

    def show(self) -> LiveCard:
        """Display the card (once) and start following its jobs."""
        with self._lock:
            if self._shown:
                return self
            self._shown = True
            self._publish(update=False)
            for entry in self._entries:
                self._follow(entry)
        return self

    def add_followup(self, handle: Any, *, kind: str, note: str | None = None) -> None:
        """Show another job (a new take, an extension, an upscale) under the original."""
        entry = _Entry(handle, kind, note)
        with self._lock:
            self._entries.append(entry)
            if self._shown:
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

    def _follow(self, entry: _Entry) -> None:
        on_change = getattr(entry.handle, "on_change", None)
        if on_change is not None and entry.unsubscribe is None:
            entry.unsubscribe = on_change(self._on_change)

    def _on_change(self, _handle: Any) -> None:
        try:
            self.refresh()
        except Exception:  # an observer must never break the engine loop
            log.exception("Updating a job card failed")

    # -- publishing -------------------------------------------------------------------------

    def refresh(self, *, force: bool = False) -> bool:
        """Publish the card if it changed in a way a person would notice; returns True if sent.

        Phase changes and ``force`` publish at once; other changes at most once per
        ``min_interval`` (a later flush is scheduled so the last change is never lost).
        """
        with self._lock:
            if not self._shown:
                return False
            views = self.views()
            key = self._key(views)
            phases = tuple(v.phase for v in views)
            if key == self._last_key and not force:
                return False
            wait = self._last_time + self._min_interval - self._clock()
            if phases != self._last_phases or force or wait <= 0:
                self._publish(update=True, views=views)
                return True
            if not self._flush_pending:
                self._flush_pending = True
                self._scheduler(wait, self._flush)
            return False

    def _flush(self) -> None:
        with self._lock:
            self._flush_pending = False
        self._on_change(None)

    @staticmethod
    def _key(views: list[CardView]) -> tuple[Any, ...]:
        """What a person would notice changing (elapsed time moves by CSS, so it is left out)."""
        return tuple(
            (v.phase, v.status, v.credits, v.charged, v.account, v.jobid, v.media, v.error, v.note)
            for v in views
        )

    def _publish(self, *, update: bool, views: list[CardView] | None = None) -> None:
        views = views if views is not None else self.views()
        strip = self.strip() if self.strip is not None else ("", "")
        data, metadata = card_bundle(
            views, list(self._snippets), columns=self._columns, strip=strip
        )
        self._publisher(data, metadata, self.display_id, update)
        self.publish_count += 1
        self._last_key = self._key(views)
        self._last_phases = tuple(v.phase for v in views)
        self._last_time = self._clock()
