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
import time
import uuid
from collections.abc import Callable, Collection
from typing import TypedDict

from flow_widgets.ui._throttle import Scheduler, Throttle, timer_scheduler
from flow_widgets.ui.reopen import guarded_html

__all__ = [
    "Board",
    "BoardOptions",
    "Bundle",
    "Publisher",
    "cell_publisher",
    "ipython_publisher",
    "only",
]

#: An output's metadata: JSON, whatever its keys (``{"flow_widgets": provenance}``).
Metadata = dict[str, object]
Bundle = tuple[dict[str, str], Metadata]
#: What a name list of ``_repr_mimebundle_`` is (IPython passes a set, a list or None).
MimeFilter = Collection[str] | None
# (data, metadata, display_id, update) -> None
Publisher = Callable[[dict[str, str], Metadata, str, bool], None]


class BoardOptions(TypedDict, total=False):
    """What a panel passes on to its boards (tests inject a publisher, scheduler and clock)."""

    min_interval: float
    publisher: Publisher
    scheduler: Scheduler
    clock: Callable[[], float]


def ipython_publisher(
    data: dict[str, str], metadata: Metadata, display_id: str, update: bool
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

    def publish(data: dict[str, str], metadata: Metadata, display_id: str, update: bool) -> None:
        token = set_parent(captured)
        try:
            ipython_publisher(data, metadata, display_id, update)
        finally:
            reset_parent(token)
        current = getattr(display_pub, "parent_header", None) or {}
        if update and current.get("msg_id") != captured.get("msg_id"):
            ipython_publisher(data, metadata, display_id, update)

    return publish


def only(bundle: Bundle, include: MimeFilter = None, exclude: MimeFilter = None) -> Bundle:
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
        display_id: the output's id, when another output's id must predict it (a card's poster).

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
        display_id: str | None = None,
    ) -> None:
        self.display_id = display_id or f"flow-{name}-{uuid.uuid4().hex}"
        self.name = name
        self._render = render
        self._publisher = publisher
        self._lock = threading.Lock()
        self._shown = False
        self._last: Bundle | None = None
        self.publish_count = 0
        self._throttle = Throttle(
            self._redraw,
            min_interval=min_interval,
            scheduler=scheduler,
            clock=time.monotonic if clock is None else clock,
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

    def _repr_mimebundle_(self, include: MimeFilter = None, exclude: MimeFilter = None) -> Bundle:
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

    def refresh_now(self, *, resend: bool = False) -> None:
        """Redraw at once (after a click, the person is waiting for it); ``resend`` sends it
        even when nothing changed."""
        if self._shown:
            if resend:
                with self._lock:
                    self._last = None
            self._throttle.flush()

    def hold(self) -> None:
        """Let the next redraw wait ``min_interval`` as if one had just been sent."""
        self._throttle.hold()

    def close(self) -> None:
        """Stop redrawing (the output keeps its last content)."""
        self._throttle.close()

    def _redraw(self) -> None:
        bundle = self.bundle()
        with self._lock:
            if bundle == self._last or self._publisher is None:
                return
        self._publisher(bundle[0], bundle[1], self.display_id, True)
        with self._lock:  # only once sent: a failed send is tried again by the next redraw
            self._last = bundle
        self.publish_count += 1
