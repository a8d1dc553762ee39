"""The card toolbar: the action buttons under a job card, one row per take.

The toolbar only *calls* actions; what they do (stop watching, new take, extend, upscale,
download, copy-as-cell) is decided by whoever builds it (:mod:`flow_widgets.magics._actions`,
:mod:`flow_widgets.ui.studio_results`). It is a :class:`~flow_widgets.ui.press.PressBar`: a
press locks the buttons in the browser until the action has returned, so a double-click runs
an action once, and each row's buttons act on the take that row names. An action that raises
does not vanish the way widget callback errors usually do: the error is handed to ``on_error``
(the card shows it). Actions run on the kernel's main thread (where comm messages are handled).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from flow_widgets.ui.press import Press, PressBar

__all__ = ["ActionBar", "Actions"]

# A row's actions: label -> callable, or label -> Press (to carry an intent or a copy text).
Actions = Mapping[str, "Callable[[], object] | Press"]


def _presses(actions: Actions) -> list[Press]:
    return [
        value if isinstance(value, Press) else Press(label, value)
        for label, value in actions.items()
    ]


class ActionBar(PressBar):
    """Rows of action buttons; pressing one runs its callback once.

    Example:
        >>> bar = ActionBar({"stop watching": handle.cancel})   # doctest: +SKIP
        >>> display(bar)                                         # doctest: +SKIP
    """

    def __init__(
        self,
        actions: Actions | None = None,
        *,
        on_error: Callable[[str, BaseException], None] | None = None,
    ) -> None:
        super().__init__([("", _presses(actions or {}))], on_error=on_error)

    def __repr__(self) -> str:
        return f"<flow actions: {', '.join(self.offered()) or 'none'}>"

    @property
    def actions(self) -> list[str]:
        """The labels currently offered, in order (every row)."""
        return self.offered()

    def set_actions(self, actions: Actions) -> None:
        """Offer one row of actions (for example once a job has finished)."""
        self.set_groups([("", _presses(actions))])

    def set_rows(self, rows: Sequence[tuple[str, Actions]]) -> None:
        """Offer one row of actions per take (``title`` names the take, e.g. ``#2``)."""
        self.set_groups([(title, _presses(actions)) for title, actions in rows])

    def click(self, name: str, row: str | None = None) -> None:
        """Run the action called ``name`` (in the row ``row``): what a press in the browser does."""
        self.press(name, row)
