"""The Gallery's picker: a grid of thumbnails to select takes from, by mouse or keyboard.

Why not a select list: a list of truncated prompts is how the Gallery used to offer takes, and
people could not tell the takes apart (nor reach them by keyboard in JupyterLab). Each tile here
is a toggle button showing the take's thumbnail, named by its prompt for screen readers
(``aria-pressed`` says whether it is selected), with a gold frame and a star when it is starred.
Arrow keys move between tiles, Space or Enter selects; the panel's key guard keeps those keys
from the notebook.

The front end is an inline ES module served by anywidget's own extension (nothing from the
network); every string reaches the page as text (``textContent``, attributes), never as markup.
Thumbnails are small JPEG data URLs made on this machine; only they reach widget state. The
Python side mirrors ``SelectMultiple``: ``options`` are ``(label, key)`` pairs and ``value`` is
the tuple of selected keys.
"""

from __future__ import annotations

from typing import Any

import anywidget
import traitlets

__all__ = ["ThumbGrid"]

_ESM = """
function render({ model, el }) {
  const grid = document.createElement("div");
  grid.className = "fw-thumbs";
  grid.setAttribute("role", "group");
  el.appendChild(grid);
  let focusKey = null;
  const draw = () => {
    const tiles = model.get("tiles");
    const chosen = new Set(model.get("value"));
    grid.setAttribute("aria-label", model.get("label"));
    grid.replaceChildren();
    if (!tiles.length) {
      const empty = document.createElement("p");
      empty.className = "fw-thumbs-empty";
      empty.textContent = model.get("empty");
      grid.appendChild(empty);
      return;
    }
    if (!tiles.some((t) => t.key === focusKey)) focusKey = tiles[0].key;
    tiles.forEach((tile) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "fw-thumb" + (tile.starred ? " fw-thumb-starred" : "");
      button.dataset.key = tile.key;
      button.setAttribute("aria-pressed", chosen.has(tile.key) ? "true" : "false");
      button.tabIndex = tile.key === focusKey ? 0 : -1;
      if (tile.thumb) {
        const img = document.createElement("img");
        img.src = tile.thumb;
        img.alt = tile.name;
        button.appendChild(img);
      } else {
        button.setAttribute("aria-label", tile.name);
        const face = document.createElement("span");
        face.className = "fw-thumb-face";
        face.textContent = tile.kind;
        button.appendChild(face);
      }
      const caption = document.createElement("span");
      caption.className = "fw-thumb-caption";
      caption.textContent = (tile.starred ? "\\u2605 " : "") + tile.caption;
      caption.setAttribute("aria-hidden", "true");
      button.appendChild(caption);
      button.title = tile.name;
      button.addEventListener("click", () => {
        const now = new Set(model.get("value"));
        if (now.has(tile.key)) now.delete(tile.key); else now.add(tile.key);
        focusKey = tile.key;
        model.set("value", model.get("tiles").map((t) => t.key).filter((k) => now.has(k)));
        model.save_changes();
      });
      grid.appendChild(button);
    });
  };
  grid.addEventListener("keydown", (event) => {
    const buttons = Array.from(grid.querySelectorAll("button.fw-thumb"));
    const at = buttons.indexOf(document.activeElement);
    if (at < 0) return;
    const across = Math.max(1, Math.round(grid.clientWidth / (buttons[0].offsetWidth + 6)));
    const step = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: across, ArrowUp: -across,
      Home: -at, End: buttons.length - 1 - at }[event.key];
    if (step === undefined) return;
    event.preventDefault();
    const next = buttons[Math.max(0, Math.min(buttons.length - 1, at + step))];
    buttons.forEach((b) => { b.tabIndex = b === next ? 0 : -1; });
    focusKey = next.dataset.key;
    next.focus();
  });
  const redraw = () => {
    const had = grid.contains(document.activeElement);
    draw();
    if (had) {
      const again = grid.querySelector("button.fw-thumb[tabindex='0']");
      if (again) again.focus();
    }
  };
  draw();
  model.on("change:tiles", redraw);
  model.on("change:value", redraw);
  model.on("change:label", redraw);
  return () => {
    model.off("change:tiles", redraw);
    model.off("change:value", redraw);
    model.off("change:label", redraw);
  };
}
export default { render };
"""

_CSS = """
.fw-thumbs { display: flex; flex-wrap: wrap; gap: 6px; max-width: 760px; padding: 2px;
  font: 12px/1.3 var(--jp-ui-font-family, system-ui, sans-serif); }
.fw-thumb { display: flex; flex-direction: column; align-items: stretch; gap: 2px; width: 104px;
  padding: 3px; cursor: pointer; text-align: left;
  color: var(--jp-ui-font-color1, #1f2937); background: var(--jp-layout-color1, #ffffff);
  border: 1px solid var(--jp-border-color1, #6b7280); border-radius: 6px; }
.fw-thumb img, .fw-thumb-face { width: 96px; height: 64px; object-fit: cover; border-radius: 4px;
  display: flex; align-items: center; justify-content: center;
  background: var(--jp-layout-color2, #e5e7eb); color: var(--jp-ui-font-color1, #1f2937); }
.fw-thumb-caption { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.fw-thumb[aria-pressed="true"] { border: 2px solid var(--jp-brand-color1, #1d4ed8);
  padding: 2px; background: var(--jp-layout-color2, #eef2ff); }
.fw-thumb-starred { box-shadow: 0 0 0 2px var(--jp-warn-color1, #8a5a00); }
.fw-thumb:focus-visible { outline: 3px solid var(--jp-brand-color1, #1d4ed8);
  outline-offset: 2px; }
.fw-thumbs-empty { margin: 4px 0; color: var(--jp-ui-font-color2, #4b5563); }
"""


class ThumbGrid(anywidget.AnyWidget):
    """A grid of toggle tiles, one per take; ``value`` is the tuple of selected keys.

    Args:
        label: the group's accessible name ("takes").
        **kwargs: other traits (``tiles``, ``value``) or ``DOMWidget`` options.

    Each tile is a dict: ``key``, ``name`` (the prompt: the image's alternative text),
    ``caption`` (model · seed, shown), ``kind``, ``thumb`` (a data URL or ``""``), ``starred``.
    """

    _esm = _ESM
    _css = _CSS

    tiles = traitlets.List(traitlets.Dict()).tag(sync=True)
    value = traitlets.Tuple().tag(sync=True)
    label = traitlets.Unicode("takes").tag(sync=True)
    empty = traitlets.Unicode("No takes match the filters.").tag(sync=True)

    def __init__(self, *, label: str = "takes", **kwargs: Any) -> None:
        super().__init__(label=label, **kwargs)

    @property
    def options(self) -> list[tuple[str, str]]:
        """``(caption, key)`` per tile, as ``SelectMultiple.options`` reads."""
        return [(str(t.get("caption", "")), str(t["key"])) for t in self.tiles]

    @traitlets.validate("value")
    def _known_keys(self, proposal: dict[str, Any]) -> tuple[str, ...]:
        keys = {str(t["key"]) for t in self.tiles}
        return tuple(str(k) for k in proposal["value"] if str(k) in keys)
