"""The card toolbar: one small widget of action buttons under a job card.

Why one ``ToggleButtons`` and not six ``Button`` widgets: every widget model (and its layout and
style models) is written into the notebook when widget state is saved, and a toolbar per card
would otherwise cost more than the card itself. One selection widget renders as a row of buttons;
a click runs the action and the selection is cleared again, so it behaves like buttons. The
layout and style models are shared by every toolbar in the kernel.

The toolbar only *calls* actions; what they do (cancel, new take, extend, upscale, download,
copy-as-cell) is decided by whoever builds it. An action that raises does not vanish the way
widget callback errors usually do: the error is handed to ``on_error`` (the card shows it).
Actions run on the kernel's main thread (where comm messages are handled).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipywidgets as widgets

__all__ = ["ACTION_ICONS", "ActionBar"]

log = logging.getLogger("flow_widgets.toolbar")

ACTION_ICONS: Mapping[str, str] = {
    "cancel": "stop",
    "new take": "refresh",
    "extend": "forward",
    "upscale": "expand",
    "download": "download",
    "copy as cell": "copy",
}

_shared: dict[str, Any] = {}


def _shared_layout() -> widgets.Layout:
    if "layout" not in _shared:
        _shared["layout"] = widgets.Layout(margin="0 0 4px 0")
    layout: widgets.Layout = _shared["layout"]
    return layout


def _shared_style() -> widgets.ToggleButtonsStyle:
    if "style" not in _shared:
        _shared["style"] = widgets.ToggleButtonsStyle(button_width="auto")
    style: widgets.ToggleButtonsStyle = _shared["style"]
    return style


class ActionBar(widgets.ToggleButtons):  # type: ignore[misc]
    """A row of action buttons; clicking one runs its callback and clears the selection.

    Example:
        >>> bar = ActionBar({"cancel": handle.cancel})   # doctest: +SKIP
        >>> display(bar)                                  # doctest: +SKIP
    """

    def __init__(
        self,
        actions: Mapping[str, Callable[[], None]],
        *,
        on_error: Callable[[str, BaseException], None] | None = None,
    ) -> None:
        self._actions: dict[str, Callable[[], None]] = dict(actions)
        self._on_error = on_error
        self._relabelling = False
        super().__init__(
            options=list(self._actions),
            icons=[ACTION_ICONS.get(name, "") for name in self._actions],
            index=None,
            layout=_shared_layout(),
            style=_shared_style(),
        )
        self.observe(self._clicked, names=["index"])

    def __repr__(self) -> str:
        return f"<flow actions: {', '.join(self._actions) or 'none'}>"

    @property
    def actions(self) -> list[str]:
        """The action names currently offered, in order."""
        return list(self._actions)

    def set_actions(self, actions: Mapping[str, Callable[[], None]]) -> None:
        """Offer a new set of actions (for example once a job has finished)."""
        names: Sequence[str] = list(actions)
        if names == list(self._actions):
            self._actions = dict(actions)
            return
        self._actions = dict(actions)
        # ipywidgets 7 (Colab's) selects the first option when options change: not a click.
        self._relabelling = True
        try:
            with self.hold_sync():
                self.options = list(names)
                self.icons = [ACTION_ICONS.get(name, "") for name in names]
                self.index = None
        finally:
            self._relabelling = False

    def click(self, name: str) -> None:
        """Run the action called ``name`` (what a click in the browser does)."""
        self.index = list(self._actions).index(name)  # type: ignore[assignment]

    def _clicked(self, change: Mapping[str, Any]) -> None:
        index = change["new"]
        if index is None or self._relabelling:
            return
        name = list(self._actions)[index]
        try:
            self._actions[name]()
        except Exception as exc:  # widget callback errors would otherwise vanish
            log.exception("The %r action failed", name)
            if self._on_error is not None:
                self._on_error(name, exc)
        finally:
            self.index = None
