"""Keeps a panel's keys with the panel: arrow keys move the dropdown, not the notebook.

Why: JupyterLab and Notebook 7 bind bare keys (arrows, ``a``, ``b``, ``x``, ``d d``…) to notebook
commands whenever the notebook is in command mode, and a focused ``<select>``, list or button in
an output does not count as an editor there — so ArrowDown in a panel dropdown jumped to the
next cell and the Gallery could not be used by keyboard at all.

How: Lumino, which dispatches those shortcuts, skips a key whose target carries
``data-lm-suppress-shortcuts``. On the panel's root box that is not enough: the notebook's
bindings match the focused element itself (``… :focus``), which Lumino tests before it walks up
to the marked box. So this tiny :class:`anywidget.AnyWidget` (an inline ES module served by
anywidget's own extension; nothing from the network) sits invisibly in the panel's root box and,
for every key pressed in the panel, marks the key's target just before Lumino sees it — from a
capturing listener on ``window``, which runs before Lumino's listener on ``document`` whether that
one captures (Notebook 7) or bubbles (JupyterLab). Escape and Ctrl/Cmd/Alt combinations other
than Ctrl/Cmd+Enter (the prompt box's *Generate*) still reach the notebook, so Ctrl+S saves.
"""

from __future__ import annotations

from typing import Any

import anywidget
import ipywidgets as widgets

__all__ = ["KeyGuard", "keep_keys"]

_ESM = """
const ATTRIBUTE = "data-lm-suppress-shortcuts";
const notebooks = (event) =>
  event.key === "Escape" ||
  ((event.ctrlKey || event.metaKey || event.altKey) && event.key !== "Enter");
function render({ el }) {
  el.style.display = "none";
  let root = null;
  let tries = 0;
  let timer = null;
  const find = () => {
    root = el.parentElement;
    if (root) root.setAttribute("data-fw-keys", "panel");
    // The box inserts its children after they render: wait for ours (about 20 s at most).
    else if (tries++ < 400) timer = setTimeout(find, 50);
  };
  const pressed = (event) => {
    const target = event.target;
    if (!root || !(target instanceof Element) || !root.contains(target)) return;
    if (notebooks(event)) target.removeAttribute(ATTRIBUTE);
    else target.setAttribute(ATTRIBUTE, "true");
  };
  find();
  window.addEventListener("keydown", pressed, true);
  return () => {
    clearTimeout(timer);
    window.removeEventListener("keydown", pressed, true);
  };
}
export default { render };
"""


class KeyGuard(anywidget.AnyWidget):
    """An invisible child that keeps the keys pressed in its parent box away from the notebook."""

    _esm = _ESM


def keep_keys(box: widgets.Box, **kwargs: Any) -> widgets.Box:
    """Add a :class:`KeyGuard` to ``box`` (once) and return the box."""
    if not any(isinstance(child, KeyGuard) for child in box.children):
        box.children = (*box.children, KeyGuard(**kwargs))
    return box
