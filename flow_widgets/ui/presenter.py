"""Presenter mode: projector-size text, trimmed cards, and each compared clip shown once.

Why a stylesheet and not new cards: every card already on screen (and every card of a saved
notebook) should follow the switch, and the card builders belong to other parts of the UI. So
``fw.present()`` shows one ``<style>`` output that enlarges card and caption text to 20 px,
drops borders, file-name captions and the 360 px player limit; ``fw.present(False)`` empties
that same output again. While it is on, :func:`flow_widgets.ui.compare.show` also hides the
compared files inside the cards above it, so a clip plays once, in the comparison. The output is
saved with the notebook, so a reopened lesson keeps its presenter look.
"""

from __future__ import annotations

import argparse

from flow_widgets.errors import ValidationError

__all__ = ["PRESENTER_CSS", "present", "presenting", "run_magic"]

_DISPLAY_ID = "flow-widgets-presenter"
_STATE = {"on": False}

PRESENTER_CSS = (
    "<style>"
    ".fw-card{font-size:20px!important;line-height:1.4!important;border:0!important;"
    "padding:2px 0!important;max-width:none!important}"
    ".fw-card div,.fw-card span,.fw-card code{font-size:inherit!important}"
    ".fw-card figcaption{display:none!important}"
    ".fw-card figure{max-width:min(100%,960px)!important}"
    ".fw-card video,.fw-card img{width:100%!important;height:auto!important}"
    ".fw-clock::after{font-size:20px!important}"
    ".fw-compare{font-size:20px!important}"
    ".fw-compare .fw-take-facts{font-size:18px!important}"
    ".fw-compare-bar button{font-size:18px!important}"
    "</style>"
)


class _Switch:
    """What :func:`present` displays: the stylesheet (on) or nothing (off), plus one line."""

    def __init__(self, on: bool) -> None:
        self.on = on

    def _repr_mimebundle_(self, **_: object) -> dict[str, str]:
        if not self.on:
            return {"text/html": "", "text/plain": ""}
        note = (
            '<div style="font:18px system-ui,sans-serif;color:#555">Presenter mode: large '
            "text, trimmed cards; compared clips play once.</div>"
        )
        return {
            "text/html": PRESENTER_CSS + note,
            "text/plain": "Presenter mode on (fw.present(False) or %flow present off ends it).",
        }


def presenting() -> bool:
    """True while presenter mode is on in this kernel."""
    return _STATE["on"]


def present(on: bool = True) -> None:
    """Turn presenter mode on (or off with ``False``) for this notebook.

    Shows the presenter stylesheet as an output the first time; turning it off empties that
    same output, wherever it is in the notebook.
    """
    if not isinstance(on, bool):
        raise ValidationError(f"fw.present takes True or False, not {on!r}.", field="on")
    from IPython.display import display, update_display

    was = _STATE["on"]
    _STATE["on"] = on
    if on and not was:
        display(_Switch(True), display_id=_DISPLAY_ID)  # type: ignore[no-untyped-call]
    elif on:
        update_display(_Switch(True), display_id=_DISPLAY_ID)  # type: ignore[no-untyped-call]
    else:
        update_display(_Switch(False), display_id=_DISPLAY_ID)  # type: ignore[no-untyped-call]
        print("Presenter mode off.")  # noqa: T201 - the one line the switch answers with


def run_magic(name: str, args: argparse.Namespace, names: dict[str, object]) -> None:
    """``%flow present [on|off]`` and ``%flow compare NAME_OR_PATH … [--columns N]``."""
    if name == "present":
        present(args.state != "off")
        return
    from IPython.display import display

    from flow_widgets.ui.compare import show

    takes = [names[word] if word.isidentifier() and word in names else word for word in args.takes]
    display(show(*takes, columns=args.columns, labels=args.labels, sync=not args.no_sync))  # type: ignore[no-untyped-call]
