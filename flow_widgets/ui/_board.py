"""A plain output that a panel redraws in place: where panels put everything worth keeping.

Why not a widget: DESIGN decision 2 says results are plain outputs and widgets only carry
controls. A board is shown once (``display`` with a ``display_id``, in the cell that shows the
panel) and then replaced through ``update_display`` — from a button callback or from the engine
thread, both of which reach the frontend (checked in JupyterLab 4 with ipykernel 7). So a saved
notebook keeps the last table, credits summary or result cards as ordinary HTML with relative
media links, with no kernel and no widget state; and relative ``src`` resolve through the
notebook's URL resolver, which they would not inside an ``HTML`` widget.

Redraws go through a :class:`~flow_widgets.ui._throttle.Throttle`, so a board sends at most a
couple of messages per second however many jobs change at once.

Every redraw is sent *as a reply to the cell that showed the board*. ipykernel stamps a message
from a background thread with the parent of whatever the kernel handled last (another cell, or
a button click), and JupyterLab applies ``update_display_data`` only within the output area of
that parent — so without this a dashboard shown in one cell would stop updating as soon as a
job was started from another. The board captures its cell's parent header when it is shown and
sets it for the calling thread around each redraw (``set_thread_parent``, ipykernel 7).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

from flow_widgets.ui._throttle import Scheduler, Throttle, timer_scheduler
from flow_widgets.ui.cards import Publisher, cell_publisher
from flow_widgets.ui.reopen import guarded_html

__all__ = ["Board", "Bundle", "cell_publisher", "only"]

Bundle = tuple[dict[str, str], dict[str, Any]]


def only(bundle: Bundle, include: Any = None, exclude: Any = None) -> Bundle:
    """``bundle`` keeping the mimetypes in ``include`` and dropping those in ``exclude``
    (what ``_repr_mimebundle_`` is asked for)."""
    data, metadata = bundle
    if include:
        data = {k: v for k, v in data.items() if k in include}
    if exclude:
        data = {k: v for k, v in data.items() if k not in exclude}
    return data, metadata


class Board:
    """One plain ``text/html`` + ``text/plain`` output, redrawn in place and throttled.

    Args:
        render: builds the current mimebundle and metadata (pure; called on any thread).
        name: a short word for the display id and the repr (``"jobs"``, ``"credits"``).
        min_interval: the shortest gap between two redraws, in seconds.
        publisher, scheduler, clock: injected by tests (by default the board talks to IPython,
            answering the cell it was shown in).

    Example:
        >>> board = Board(lambda: ({"text/plain": "hi", "text/html": "<b>hi</b>"}, {}),
        ...               name="demo", publisher=lambda *a: None)
        >>> board.bundle()[0]["text/plain"]
        'hi'
    """

    def __init__(
        self,
        render: Callable[[], Bundle],
        *,
        name: str = "board",
        min_interval: float = 0.5,
        publisher: Publisher | None = None,
        scheduler: Scheduler = timer_scheduler,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.display_id = f"flow-{name}-{uuid.uuid4().hex}"
        self.name = name
        self._render = render
        self._publisher = publisher
        self._lock = threading.Lock()
        self._shown = False
        self._last: Bundle | None = None
        self.publish_count = 0
        extra: dict[str, Any] = {} if clock is None else {"clock": clock}
        self._throttle = Throttle(
            self._redraw, min_interval=min_interval, scheduler=scheduler, **extra
        )

    def __repr__(self) -> str:
        state = "shown" if self._shown else "not shown"
        return f"<Board {self.name} {state}, {self.publish_count} publishes>"

    @property
    def shown(self) -> bool:
        """True once the output exists in a notebook (redraws only go out after that)."""
        return self._shown

    def bundle(self) -> Bundle:
        """The current mimebundle and metadata (its HTML carrying the reopening guard)."""
        data, metadata = self._render()
        if "text/html" in data:
            data = {**data, "text/html": guarded_html(data["text/html"])}
        return data, metadata

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> Bundle:
        return only(self.bundle(), include, exclude)

    def show(self) -> None:
        """Create the output (call while the panel's cell runs)."""
        if self._publisher is None:
            self._publisher = cell_publisher()
        data, metadata = self.bundle()
        with self._lock:
            self._shown = True
            self._last = (data, metadata)
        self._publisher(data, metadata, self.display_id, False)
        self.publish_count += 1

    def refresh(self) -> None:
        """Ask for a redraw; it happens now or within ``min_interval`` (never lost)."""
        if self._shown:
            self._throttle()

    def refresh_now(self) -> None:
        """Redraw at once (after a click, the person is waiting for it)."""
        if self._shown:
            self._throttle.flush()

    def close(self) -> None:
        """Stop redrawing (the output keeps its last content)."""
        self._throttle.close()

    def _redraw(self) -> None:
        bundle = self.bundle()
        with self._lock:
            if bundle == self._last:
                return
            self._last = bundle
        if self._publisher is not None:
            self._publisher(bundle[0], bundle[1], self.display_id, True)
            self.publish_count += 1
