"""A prompt text box that submits on Ctrl+Enter (Cmd+Enter on a Mac).

Why a widget of its own: the core ipywidgets ``Textarea`` cannot see key presses, and people
who tweak prompts expect the shortcut every chat box has. This is a tiny
:class:`anywidget.AnyWidget` — its front end is the inline ES module below, served from the
wheel by anywidget's own JupyterLab/Notebook 7 extension (no CDN, no build step).

A press is reported by bumping the ``submits`` counter rather than by a custom message: trait
changes are part of the widget's synced state (a lost message would silently drop the
press), and the counter travels in the same update as the latest ``value``, so the kernel
never acts on a stale prompt. The Python side decides what a submit means — the Studio runs the
same code path as its *Generate* button, which refuses an invalid form.

A press also sets ``busy`` in the browser, and further presses are ignored there until the
kernel has handled it and cleared ``busy``; and it carries back the ``intent`` the kernel put on
the box (the Studio's "take #N"), so a second press of the same intent that still gets through
re-attaches instead of buying (see :mod:`flow_widgets.ui.press`).
"""

from __future__ import annotations

from collections.abc import Callable

import anywidget
import traitlets

from flow_widgets.ui._handlers import Change

__all__ = ["PromptBox"]

_ESM = """
function render({ model, el }) {
  const area = document.createElement("textarea");
  area.className = "fw-prompt-box-input";
  area.spellcheck = true;
  const show = () => {
    area.placeholder = model.get("placeholder");
    area.rows = model.get("rows");
    area.disabled = model.get("disabled");
    if (area.value !== model.get("value")) area.value = model.get("value");
  };
  const typed = () => {
    model.set("value", area.value);
    model.save_changes();
  };
  const pressed = (event) => {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    // Keep JupyterLab from also running the cell (its shortcut is Ctrl/Shift+Enter).
    event.preventDefault();
    event.stopPropagation();
    // One press per intent: locked here until the kernel has handled it (no timer).
    if (model.get("busy")) return;
    model.set("busy", true);
    model.set("value", area.value);
    model.set("pressed_intent", model.get("intent"));
    model.set("submits", model.get("submits") + 1);
    model.save_changes();
  };
  show();
  area.addEventListener("input", typed);
  area.addEventListener("keydown", pressed);
  model.on("change:value", show);
  model.on("change:placeholder", show);
  model.on("change:rows", show);
  model.on("change:disabled", show);
  el.appendChild(area);
  return () => {
    model.off("change:value", show);
    model.off("change:placeholder", show);
    model.off("change:rows", show);
    model.off("change:disabled", show);
  };
}
export default { render };
"""

_CSS = """
.fw-prompt-box-input {
  box-sizing: border-box;
  width: 100%;
  min-height: 4.5em;
  resize: vertical;
  padding: 4px 8px;
  font: 13px/1.4 var(--jp-code-font-family, system-ui);
  color: var(--jp-widgets-input-color, inherit);
  background: var(--jp-widgets-input-background-color, #fff);
  border: 1px solid var(--jp-widgets-input-border-color, #9ca3af);
  border-radius: 2px;
}
.fw-prompt-box-input:focus {
  outline: 2px solid var(--jp-widgets-input-focus-border-color, #2563eb);
  outline-offset: 1px;
  border-color: var(--jp-widgets-input-focus-border-color, #2563eb);
}
"""


class PromptBox(anywidget.AnyWidget):
    """A multi-line text box whose ``value`` syncs both ways and whose ``submits`` counter goes
    up by one for each Ctrl/Cmd+Enter pressed in it.

    Args:
        placeholder: grey text shown while the box is empty.
        rows: the visible height, in lines.
        **kwargs: other traits or ``DOMWidget`` options (``layout``…).
    """

    _esm = _ESM
    _css = _CSS

    value = traitlets.Unicode("").tag(sync=True)
    placeholder = traitlets.Unicode("").tag(sync=True)
    rows = traitlets.Int(4).tag(sync=True)
    disabled = traitlets.Bool(False).tag(sync=True)
    submits = traitlets.Int(0).tag(sync=True)
    busy = traitlets.Bool(False).tag(sync=True)
    intent = traitlets.Unicode("").tag(sync=True)
    pressed_intent = traitlets.Unicode("").tag(sync=True)

    def __init__(self, *, placeholder: str = "", rows: int = 4, **kwargs: object) -> None:
        super().__init__(placeholder=placeholder, rows=rows, **kwargs)

    def on_submit(self, callback: Callable[[PromptBox], object]) -> None:
        """Call ``callback(box)`` after each Ctrl/Cmd+Enter (each rise of ``submits``)."""

        def pressed(change: Change) -> None:
            if change["new"] > change["old"]:
                try:
                    callback(self)
                finally:
                    self.busy = False

        self.observe(pressed, names=["submits"])

    def submit(self) -> None:
        """Do what a Ctrl/Cmd+Enter in the browser does (for code and tests)."""
        with self.hold_trait_notifications():
            self.busy = True
            self.pressed_intent = self.intent
            self.submits += 1
