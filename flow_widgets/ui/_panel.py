"""What every panel is: controls (a widget) above boards (plain outputs), plus a static fallback.

Why this shape: a panel's controls are widgets, which a saved notebook can only show if widget
state was saved — and JupyterLab does not save it by default, so a reopened notebook says
"model not found". Everything worth keeping (result cards, the jobs table, the credits summary)
therefore lives on :class:`~flow_widgets.ui._board.Board` outputs shown right under the
controls, and the controls' own output also carries a ``text/html`` + ``text/plain`` summary
that GitHub, nbviewer and kernel-less viewers render instead of the widget.

Showing a panel (``display(panel)`` or leaving it last in a cell) emits the controls and then
each board, in that order, from the cell that shows it: that is what lets later
``update_display`` calls — from clicks or the engine thread — find the boards again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import ipywidgets as widgets

from flow_widgets.ui._board import Board, Bundle, MimeFilter, only
from flow_widgets.ui._handlers import StatusLine
from flow_widgets.ui.family import dress
from flow_widgets.ui.key_guard import keep_keys
from flow_widgets.ui.panel_html import LIVE_NOTE, panel_frame

__all__ = ["Panel"]

log = logging.getLogger("flow_widgets.ui")

_WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


class Panel:
    """Base of the Studio, the dashboard, the credits panel, the gallery and the managers.

    Subclasses build :attr:`widget` (the controls), list their :attr:`boards`, and implement
    :meth:`summary` (the static fallback's body as ``(html, text)``).
    """

    title = "flow_widgets panel"

    def __init__(self, *, scrub: Callable[[str], str] | None = None) -> None:
        self.status = StatusLine(scrub=scrub)
        self.widget: widgets.Widget = widgets.VBox()
        self.boards: list[Board] = []
        self._cleanups: list[Callable[[], None]] = []

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    # -- what subclasses provide ---------------------------------------------------------------

    def summary(self) -> tuple[str, str]:
        """The fallback's body: escaped HTML and plain text (the board content by default)."""
        html_parts: list[str] = []
        text_parts: list[str] = []
        for board in self.boards:
            data, _ = board.bundle()
            html_parts.append(data.get("text/html", ""))
            text_parts.append(data.get("text/plain", ""))
        return "".join(html_parts), "\n".join(p for p in text_parts if p)

    # -- showing -------------------------------------------------------------------------------

    def fallback(self) -> Bundle:
        """The static ``text/html`` + ``text/plain`` that stands in for the controls."""
        body_html, body_text = self.summary()
        html = panel_frame(self.title, body_html, note=LIVE_NOTE)
        text = f"[{self.title}] (live panel; run the cell with a kernel to use it)"
        return {"text/html": html, "text/plain": f"{text}\n{body_text}".rstrip()}, {}

    def _repr_mimebundle_(self, include: MimeFilter = None, exclude: MimeFilter = None) -> Bundle:
        data, metadata = self.fallback()
        if isinstance(self.widget, widgets.Box):  # arrow keys stay in the panel's dropdowns
            keep_keys(self.widget)
            dress(self.widget)  # the family look, and a name on every control
        view = _widget_view(self.widget)
        if isinstance(view, tuple):
            view = view[0]
        if isinstance(view, dict) and _WIDGET_VIEW in view:
            data = {_WIDGET_VIEW: view[_WIDGET_VIEW], **data}
        return only((data, metadata), include, exclude)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        data, metadata = self._repr_mimebundle_()
        display(data, raw=True, metadata=metadata)  # type: ignore[no-untyped-call]
        for board in self.boards:
            board.show()

    def show(self) -> Panel:
        """Display the panel (controls, then its boards) and return it."""
        self._ipython_display_()
        return self

    # -- lifetime ------------------------------------------------------------------------------

    def on_close(self, cleanup: Callable[[], None]) -> None:
        """Run ``cleanup`` (an unsubscribe, for example) when the panel is closed."""
        self._cleanups.append(cleanup)

    def close(self) -> None:
        """Stop listening and close the controls (boards keep their last content)."""
        for cleanup in reversed(self._cleanups):
            try:
                cleanup()
            except Exception:  # closing must go on whatever one listener does
                log.exception("Closing %s: a cleanup failed", self.title)
        self._cleanups.clear()
        for board in self.boards:
            board.close()
        self.widget.close()

    @staticmethod
    def hide(widget: widgets.Widget, hidden: bool) -> None:
        """Show or hide a control without removing it from the layout tree."""
        wanted = "none" if hidden else None
        if widget.layout.display != wanted:
            widget.layout.display = wanted

    @staticmethod
    def set_options(
        control: widgets.DOMWidget, options: Sequence[object], value: object = None
    ) -> None:
        """Replace a selection control's options only when they differ (one message, not two)."""
        options = list(options)
        if list(control.options) != options:
            with control.hold_sync():
                control.options = options
                if value is not None:
                    control.value = value
        elif value is not None and control.value != value:
            control.value = value


def _widget_view(widget: object) -> object:
    """The widget's view bundle; ipywidgets 7 (Colab's) has no ``_repr_mimebundle_``, so the
    same reference to the model is built here, as its ``_ipython_display_`` would."""
    render = getattr(widget, "_repr_mimebundle_", None)
    if render is not None:
        return render()
    model_id = getattr(widget, "model_id", None)
    if not model_id:
        return {}
    return {_WIDGET_VIEW: {"version_major": 2, "version_minor": 0, "model_id": model_id}}
