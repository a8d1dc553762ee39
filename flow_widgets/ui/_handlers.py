"""Widget callbacks that never lose an error: it lands in the panel, in plain words, and the log.

Why: ipywidgets swallows exceptions raised in ``on_click`` and ``observe`` callbacks — the user
clicks *Generate*, nothing happens, and the traceback went to a console nobody reads. Every
panel therefore shows a :class:`StatusLine` and wraps every handler with :func:`guarded`: a
:class:`~flow_widgets.errors.FlowError` (whose message already says what to do) is shown as it
is; anything else is shown as one sentence naming the action, with the traceback sent to the
``flow_widgets.ui`` logger. Text is escaped, and known secrets are scrubbed before it is shown.
"""

from __future__ import annotations

import functools
import html
import logging
from collections.abc import Callable
from typing import Any, Literal, TypedDict, TypeVar, cast

import ipywidgets as widgets

from flow_widgets.errors import FlowError

__all__ = ["Change", "StatusLine", "describe_error", "guarded"]

log = logging.getLogger("flow_widgets.ui")

F = TypeVar("F", bound=Callable[..., object])
Tone = Literal["info", "ok", "warning", "error"]


class Change(TypedDict):
    """A traitlets change notification, as ``observe`` callbacks receive it."""

    name: str
    old: Any
    new: Any
    owner: object
    type: str


_COLOURS: dict[Tone, str] = {
    "info": "#4b5563",
    "ok": "#1e7b43",  # each >= 4.5:1 on white and on striped rows (WCAG 2.1 AA)
    "warning": "#8a5a00",
    "error": "#d0342c",
}


def describe_error(action: str, exc: BaseException) -> str:
    """One plain sentence for a failed ``action``.

    >>> describe_error("Generate", ValueError("boom"))
    'Generate failed: ValueError: boom (details are in the flow_widgets log).'
    """
    if isinstance(exc, FlowError):
        return f"{action} failed: {exc}"
    text = str(exc).strip() or "no details"
    return f"{action} failed: {type(exc).__name__}: {text} (details are in the flow_widgets log)."


class StatusLine(widgets.HTML):  # type: ignore[misc]
    """One line under a panel saying what just happened (an error stays until the next action).

    Args:
        scrub: applied to every message before it is shown (removes the API token).
    """

    def __init__(self, *, scrub: Callable[[str], str] | None = None, **kwargs: object) -> None:
        super().__init__(value="", **kwargs)
        self._scrub = scrub or (lambda text: text)
        self.tone: Tone = "info"
        self.text = ""

    def __repr__(self) -> str:
        return f"<StatusLine {self.tone}: {self.text[:60]!r}>"

    def show(self, text: str, tone: Tone = "info") -> None:
        """Show ``text`` (escaped) in the colour of ``tone``."""
        clean = self._scrub(text)
        self.tone = tone
        self.text = clean
        icon = {"error": "✗ ", "warning": "⚠ ", "ok": "✓ "}.get(tone, "")
        self.value = (
            f'<div class="fw-status fw-status-{tone}" role="status" aria-live="polite"'
            f' style="color:{_COLOURS[tone]};'
            f'font:13px/1.4 system-ui,sans-serif;white-space:pre-wrap">'
            f"{html.escape(icon + clean)}</div>"
            if clean
            else ""
        )

    def error(self, text: str) -> None:
        """Show an error (red)."""
        self.show(text, "error")

    def clear(self) -> None:
        """Show nothing."""
        self.show("")


def guarded(status: StatusLine, action: str) -> Callable[[F], F]:
    """Decorate a widget callback so any exception is shown on ``status`` and logged.

    The wrapped callback returns ``None`` when it failed.

    Example:
        >>> line = StatusLine()
        >>> @guarded(line, "Refresh")
        ... def refresh(_button=None):
        ...     raise FlowError("the server is asleep; try again.")
        >>> refresh()
        >>> line.text
        'Refresh failed: the server is asleep; try again.'
    """

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: object, **kwargs: object) -> object:
            try:
                return fn(*args, **kwargs)
            except FlowError as exc:
                log.warning("%s failed: %s", action, exc)
                status.error(describe_error(action, exc))
            except Exception as exc:
                log.exception("%s failed", action)
                status.error(describe_error(action, exc))
            return None

        return cast(F, wrapper)

    return decorate
