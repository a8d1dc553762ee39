"""Buttons that spend at most once per press: the card toolbar's and the Studio's controls.

Why a widget of its own: with ipywidgets' ``Button`` (or a ``ToggleButtons`` used as buttons)
the browser knows nothing of what a click is doing. A double-click sends two clicks; the kernel
handles the first (a purchase), the button stays enabled in the browser until the kernel's
"disabled" comes back, so the second click buys again. Here the browser itself locks every
button of the row the moment one is pressed (``busy``, set locally and synced), and the kernel
unlocks it once the action has returned. No timer is involved: a click after the unlock is a
deliberate one.

The press also says *what the person saw*: its ``label`` ("new take #3") and the ``intent``
the kernel attached to the button. The kernel runs the action that label was bound to, even when
it has since offered another ("new take #4"), so a late second click of the same button asks
for take #3 again — and the runtime's re-run matching (the request's fingerprint with the take
number in it) re-attaches to take #3 instead of buying (see :mod:`flow_widgets.ui.takes`).

*copy as cell* carries the cell's text in the button itself, so the browser can write it to
the clipboard inside the click (browsers allow that only in a user gesture); where the frontend
refuses, the text is shown selected under the buttons, ready for Ctrl+C.

The front end is the inline ES module below, served by anywidget's own JupyterLab extension.
It is kept once per kernel in a plain model (``_PressCode``) that every bar refers to; a bar's
own ``_esm`` is a small loader that imports it. A notebook saved with widget state then carries
the code once rather than once per card.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import anywidget
import ipywidgets
import traitlets

from flow_widgets.ui._handlers import Change

_WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

__all__ = ["OnceButton", "Press", "PressBar"]

log = logging.getLogger("flow_widgets.press")

_ESM = """
function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "fw-press";
  let copied = null;
  const press = (group, action) => {
    if (model.get("busy") || action.disabled) return;
    const last = model.get("pressed") || {};
    model.set("busy", true);
    model.set("pressed", {
      group: group.title, label: action.label, intent: action.intent || "",
      n: (last.n || 0) + 1,
    });
    model.save_changes();
    if (action.copy) copy(action.copy);
  };
  const copy = (text) => {
    const show = (ok) => {
      copied = document.createElement("div");
      copied.className = "fw-press-copied";
      const note = document.createElement("div");
      note.textContent = ok ? "Copied to the clipboard." : "Select all and copy (Ctrl+C):";
      copied.appendChild(note);
      if (!ok) {
        const area = document.createElement("textarea");
        area.className = "fw-press-copy";
        area.readOnly = true;
        area.rows = Math.min(8, text.split("\\n").length + 1);
        area.value = text;
        copied.appendChild(area);
      }
      draw();
      const area = copied.querySelector("textarea");
      if (area) { area.focus(); area.select(); }
    };
    try {
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(() => show(true), () => show(false));
      } else {
        show(false);
      }
    } catch (e) {
      show(false);
    }
  };
  const draw = () => {
    const busy = model.get("busy");
    root.replaceChildren();
    for (const group of model.get("groups")) {
      const row = document.createElement("div");
      row.className = "fw-press-row";
      if (group.title) {
        const title = document.createElement("span");
        title.className = "fw-press-title";
        title.textContent = group.title;
        row.appendChild(title);
      }
      for (const action of group.actions) {
        const button = document.createElement("button");
        button.className = "fw-press-button" + (action.primary ? " fw-press-primary" : "");
        button.textContent = action.label + (action.cost ? " · " + action.cost : "");
        button.title = action.tooltip || "";
        button.dataset.label = action.label;
        button.disabled = busy || !!action.disabled;
        button.addEventListener("click", () => press(group, action));
        row.appendChild(button);
      }
      root.appendChild(row);
    }
    if (copied) root.appendChild(copied);
  };
  draw();
  model.on("change:groups", draw);
  model.on("change:busy", draw);
  el.appendChild(root);
  return () => {
    model.off("change:groups", draw);
    model.off("change:busy", draw);
  };
}
function style(css) {
  if (document.getElementById("fw-press-style")) return;
  const node = document.createElement("style");
  node.id = "fw-press-style";
  node.textContent = css;
  document.head.appendChild(node);
}
export default { render, style };
"""

# What each bar's own state carries: a loader of the code kept once per kernel (_PressCode).
_LOADER = """
async function render(args) {
  const id = String(args.model.get("code")).replace("IPY_MODEL_", "");
  const code = await args.model.widget_manager.get_model(id);
  const cache = globalThis.__fwPress || (globalThis.__fwPress = {});
  if (!cache[id]) {
    const url = URL.createObjectURL(new Blob([code.get("source")], { type: "text/javascript" }));
    cache[id] = import(url);
  }
  const mod = (await cache[id]).default;
  mod.style(code.get("css"));
  return mod.render(args);
}
export default { render };
"""

_CSS = """
.fw-press-row { display: flex; flex-wrap: wrap; align-items: center; gap: 4px; margin: 2px 0; }
.fw-press-title { font: 12px system-ui; color: var(--jp-ui-font-color2, #6b7280); min-width: 4em; }
.fw-press-button {
  font: 13px system-ui; padding: 2px 10px; cursor: pointer; border-radius: 2px;
  color: var(--jp-ui-font-color1, #111827);
  background: var(--jp-layout-color2, #eef0f3);
  border: 1px solid var(--jp-border-color1, #c4c8cf);
}
.fw-press-button:disabled { opacity: 0.55; cursor: default; }
.fw-press-primary {
  color: #fff; background: var(--jp-brand-color1, #1976d2); border-color: transparent;
}
.fw-press-copied { font: 12px system-ui; color: var(--jp-ui-font-color2, #6b7280); }
.fw-press-copy {
  width: 100%; box-sizing: border-box; font: 12px var(--jp-code-font-family, monospace);
}
"""


@dataclass(frozen=True)
class Press:
    """One button: what it says, what it runs, and what it carries to the browser.

    Attributes:
        label: the text on the button; also how a press names it.
        run: called on the kernel's main thread when the button is pressed.
        intent: a key the press carries back (the take the button offers).
        copy: text the browser puts on the clipboard inside the click.
        disabled: shown greyed out (``tooltip`` says why).
        primary: drawn as the main action.
        cost: what a press spends (``"5 credits"``), shown on the button after its label.
    """

    label: str
    run: Callable[[], object]
    intent: str = ""
    copy: str = ""
    disabled: bool = False
    tooltip: str = ""
    primary: bool = False
    cost: str = ""

    def state(self) -> dict[str, str | bool]:
        return {
            "cost": self.cost,
            "label": self.label,
            "intent": self.intent,
            "copy": self.copy,
            "disabled": self.disabled,
            "tooltip": self.tooltip,
            "primary": self.primary,
        }


_REMEMBERED = 64  # presses of buttons since replaced still find what they were bound to


def _compact(source: str) -> str:
    """The front end without its indentation and line breaks: every toolbar's saved widget
    state carries it (each line of it ends a statement or a block, so joining is safe)."""
    return re.sub(r"\n\s*", "", source).strip()


_shared: dict[str, ipywidgets.Widget] = {}


class _PressCode(ipywidgets.Widget):  # type: ignore[misc]
    """The buttons' front-end code and style, kept once per kernel in a plain model that every
    bar refers to — so a notebook saved with widget state carries the code once, not once per
    card (each bar's own state holds only a small loader)."""

    source = traitlets.Unicode("").tag(sync=True)
    css = traitlets.Unicode("").tag(sync=True)


def _shared_code() -> _PressCode:
    code = _shared.get("code")
    if code is None or code.comm is None:  # none yet, or closed (%unload_ext)
        code = _shared["code"] = _PressCode(source=_compact(_ESM), css=_compact(_CSS))
    return code


def _shared_layout() -> ipywidgets.Layout:
    """One layout model for every bar (a model of its own each would be saved with each)."""
    layout = _shared.get("layout")
    if layout is None or layout.comm is None:  # none yet, or closed with every widget
        layout = _shared["layout"] = ipywidgets.Layout()
    return layout


class PressBar(anywidget.AnyWidget):
    """Rows of buttons locked in the browser from a press until its action has run.

    Example:
        >>> bar = PressBar()                                           # doctest: +SKIP
        >>> bar.set_groups([("#2", [Press("upscale", upscale_take_2)])])  # doctest: +SKIP
    """

    _esm = _compact(_LOADER)

    code = traitlets.Instance(_PressCode).tag(sync=True, **ipywidgets.widget_serialization)
    groups = traitlets.List(traitlets.Dict()).tag(sync=True)
    busy = traitlets.Bool(False).tag(sync=True)
    pressed = traitlets.Dict().tag(sync=True)

    def __init__(
        self,
        groups: Sequence[tuple[str, Sequence[Press]]] = (),
        *,
        on_error: Callable[[str, BaseException], None] | None = None,
        **kwargs: object,
    ) -> None:
        kwargs.setdefault("layout", _shared_layout())
        kwargs.setdefault("code", _shared_code())
        super().__init__(**kwargs)
        self._on_error = on_error
        self._current: list[tuple[str, list[Press]]] = []
        self._bound: dict[tuple[str, str], Press] = {}
        self.presses = 0  # actions run (tests and benchmarks count them)
        self.observe(self._pressed, names=["pressed"])
        self.set_groups(groups)

    def _repr_mimebundle_(
        self, **kwargs: object
    ) -> tuple[dict[str, object], dict[str, object]] | None:
        """The widget view with an empty plain text: a notebook shown without the widget
        renderer (untrusted, GitHub) shows no stray repr where the buttons were."""
        parent = getattr(super(), "_repr_mimebundle_", None)
        if parent is None:  # ipywidgets 7 (Colab's) builds its view in _ipython_display_
            view = {"version_major": 2, "version_minor": 0, "model_id": self.model_id}
            return {_WIDGET_VIEW: view, "text/plain": ""}, {}
        bundle = parent(**kwargs)
        if isinstance(bundle, tuple):
            data, metadata = bundle
            return {**data, "text/plain": ""}, metadata
        return None if bundle is None else (bundle, {})

    def _ipython_display_(self, **kwargs: object) -> None:
        """ipywidgets 7 displays through this hook (it wins over ``_repr_mimebundle_``);
        show the same bundle there, so both versions save the same empty plain text."""
        from IPython.display import display

        bundle = self._repr_mimebundle_()
        data, metadata = bundle if isinstance(bundle, tuple) else (bundle, {})
        display(data, metadata=metadata, raw=True)  # type: ignore[no-untyped-call]

    # -- offering --------------------------------------------------------------------------------

    def set_groups(self, groups: Sequence[tuple[str, Sequence[Press]]]) -> None:
        """Offer these rows of buttons (a title, then its buttons)."""
        current = [(title, list(presses)) for title, presses in groups]
        for title, presses in current:
            for press in presses:
                self._bound.pop((title, press.label), None)
                self._bound[(title, press.label)] = press
        while len(self._bound) > _REMEMBERED:
            del self._bound[next(iter(self._bound))]
        self._current = current
        state = [{"title": t, "actions": [p.state() for p in ps]} for t, ps in current]
        if state != self.groups:
            self.groups = state

    def offered(self, title: str | None = None) -> list[str]:
        """The labels on offer (in the row called ``title``, or in every row)."""
        return [p.label for t, ps in self._current for p in ps if title is None or t == title]

    def find(self, name: str, title: str | None = None) -> Press:
        """The button labelled ``name`` (or whose label starts ``name #``)."""
        for t, presses in self._current:
            if title is not None and t != title:
                continue
            for press in presses:
                if press.label == name or press.label.split(" #")[0].split(" ·")[0] == name:
                    return press
        raise KeyError(f"no {name!r} button is offered")

    # -- pressing --------------------------------------------------------------------------------

    def press(self, name: str, title: str | None = None) -> None:
        """Do what a press in the browser does: lock, say which button, run it, unlock."""
        found = self.find(name, title)
        group = title if title is not None else self.row_of(found.label)
        n = int(self.pressed.get("n", 0)) + 1
        with self.hold_trait_notifications():
            self.busy = True
            self.pressed = {"group": group, "label": found.label, "intent": found.intent, "n": n}

    def row_of(self, label: str) -> str:
        """The title of the row offering the button labelled ``label``."""
        return next(t for t, ps in self._current for p in ps if p.label == label)

    def _pressed(self, change: Change) -> None:
        pressed = change["new"] or {}
        label = str(pressed.get("label", ""))
        press = self._bound.get((str(pressed.get("group", "")), label))
        try:
            if press is None or press.disabled:
                return
            self.presses += 1
            press.run()
        except Exception as exc:  # widget callback errors would otherwise vanish
            log.exception("The %r button failed", label)
            if self._on_error is not None:
                self._on_error(label.split(" #")[0], exc)
        finally:
            self.busy = False


class OnceButton(PressBar):
    """One button (the Studio's *Generate*) with the ``Button`` surface the panels use:
    ``description``, ``disabled``, ``tooltip``, ``on_click`` and ``click``; and an ``intent``
    the press carries back (the take the Studio offers), read as :attr:`pressed_intent`.
    """

    def __init__(self, description: str, *, primary: bool = True, **kwargs: object) -> None:
        self._description = description
        self._disabled = False
        self._tooltip = ""
        self._intent = ""
        self._primary = primary
        self._callbacks: list[Callable[[OnceButton], object]] = []
        self.pressed_intent = ""
        super().__init__((), on_error=None, **kwargs)
        self._offer()

    def _run(self) -> None:
        for callback in list(self._callbacks):
            callback(self)

    def _offer(self) -> None:
        press = Press(
            self._description,
            self._run,
            intent=self._intent,
            disabled=self._disabled,
            tooltip=self._tooltip,
            primary=self._primary,
        )
        self.set_groups([("", [press])])

    def _pressed(self, change: Change) -> None:
        self.pressed_intent = str((change["new"] or {}).get("intent", ""))
        super()._pressed(change)

    @property
    def description(self) -> str:
        return self._description

    @description.setter
    def description(self, value: str) -> None:
        self._description = value
        self._offer()

    @property
    def disabled(self) -> bool:
        return self._disabled

    @disabled.setter
    def disabled(self, value: bool) -> None:
        self._disabled = bool(value)
        self._offer()

    @property
    def tooltip(self) -> str:
        return self._tooltip

    @tooltip.setter
    def tooltip(self, value: str | None) -> None:
        self._tooltip = value or ""
        self._offer()

    @property
    def intent(self) -> str:
        return self._intent

    @intent.setter
    def intent(self, value: str) -> None:
        self._intent = value
        self._offer()

    def on_click(self, callback: Callable[[OnceButton], object]) -> None:
        """Call ``callback(button)`` on each press."""
        self._callbacks.append(callback)

    def click(self) -> None:
        """Do what a press in the browser does (for code and tests)."""
        self.press(self._description)
