"""The panels' one look: design tokens, the family stylesheet, chips, and the widget applying them.

Why one module: the card, the Studio, the Jobs list, Credits and the Gallery are one product, so
they share one set of colours, spacings and shapes — defined here once, as CSS custom properties
that fall back from JupyterLab's own ``--jp-*`` theme variables (so the light and the dark theme
both work, and a page with no JupyterLab gets the light values). Everything is inline: no CDN,
no font download, nothing from the network.

Where it reaches the page:

* plain HTML outputs (boards, the panels' static fallbacks) start with :func:`family_style` —
  the same ``<style>`` text every time, so a browser parses it once; where a notebook is not
  trusted the ``<style>`` is stripped and the inline styles each builder keeps still hold;
* widget panels get a :class:`Dress`: an invisible :class:`anywidget.AnyWidget` in the panel's
  root box whose ``_css`` is the same stylesheet and whose tiny ES module marks the root box
  ``fw-family`` and names what the stock widgets leave unnamed (slider handles get the slider's
  label, a ``title="null"`` left by an upload button is removed), so screen readers and axe find
  a name on every control.

Status colours are also text colours: each has a contrast of at least 4.5:1 on white and on
JupyterLab's striped rows; chips draw them as a filled pill with white text, which keeps the
same contrast on the dark theme.
"""

from __future__ import annotations

import html
from typing import Any

import anywidget
import ipywidgets as widgets

__all__ = [
    "DARK_TEXT",
    "FAMILY_CSS",
    "PRIMARY_FILL",
    "STATUS_COLOURS",
    "Dress",
    "chip",
    "chips",
    "dress",
    "family_style",
    "file_name",
    "named",
    "status_chip",
]

#: The status colours (≥ 4.5:1 against white, and white text on them ≥ 4.5:1).
STATUS_COLOURS = {
    "queued": "#5f6670",
    "running": "#1d64c4",
    "completed": "#1e7b43",
    "failed": "#d0342c",
    "detached": "#8a5a00",
    "unknown": "#8a5a00",
}
#: The same meanings as text on JupyterLab's dark theme (≥ 4.5:1 on its #111–#212121 layouts).
DARK_TEXT = {
    "queued": "#c3c9d1",
    "running": "#8ab4f8",
    "completed": "#6fd394",
    "failed": "#ff8f87",
    "detached": "#f2c265",
    "unknown": "#f2c265",
}
#: The fill under white text of a primary or pressed button, in both themes (the dark theme's
#: ``--jp-brand-color1``, #2196f3, carries white text at only 3.1:1).
PRIMARY_FILL = "#1d64c4"
_TONES = {"info": "queued", "ok": "completed", "warning": "detached", "error": "failed"}

_TOKENS = (
    "--fw-fg:var(--jp-content-font-color1,#111827);"
    "--fw-muted:var(--jp-content-font-color2,#4b5563);"
    "--fw-soft:var(--jp-layout-color2,#eef0f3);"
    "--fw-line:var(--jp-border-color1,#c5cad1);"
    "--fw-focus:var(--jp-brand-color1,#1d64c4);"
    "--fw-link:var(--jp-content-link-color,#1d4ed8)"
)
_DARK = "body[data-jp-theme-light=false]"


def _dark_rules() -> str:
    """One rule per shade: every class whose text takes it on the dark theme (the inline light
    colours stay for pages with no stylesheet, so these must win over them)."""
    tones = {phase: [f".fw-text-{phase}"] for phase in DARK_TEXT}
    for tone, phase in _TONES.items():
        tones[phase].append(f".fw-status-{tone}")
    tones["detached"].append(".fw-warning")
    by_shade: dict[str, list[str]] = {}
    for phase, classes in tones.items():
        by_shade.setdefault(DARK_TEXT[phase], []).extend(classes)
    return "".join(
        f"{_DARK} :is({','.join(classes)}){{color:{shade}!important}}"
        for shade, classes in by_shade.items()
    )


FAMILY_CSS = (
    # the tokens, on every root the family draws
    f".fw-family,.fw-card,.fw-panel,.fw-jobs,.fw-credits{{{_TOKENS}}}"
    # a panel: one compact box in the theme's colours
    ".fw-family{box-sizing:border-box;max-width:960px;padding:8px 10px;gap:6px;"
    "border:1px solid var(--fw-line);border-radius:6px;"
    "background:var(--jp-layout-color1,#fff);color:var(--fw-fg)}"
    ".fw-family .widget-label{color:var(--fw-fg)}"
    # the header: title, status chip, cost — one line that wraps
    ".fw-head{display:flex;flex-wrap:wrap;align-items:center;gap:6px;margin-bottom:4px}"
    ".fw-group-label{font-weight:600;font-size:12px;color:var(--fw-muted)}"
    # a form's labelled groups (what / settings / inputs): compact, one rule between them
    ".fw-group{gap:2px;padding:4px 0 2px}.fw-group+.fw-group{border-top:1px solid var(--fw-line)}"
    # chips: model, seed, cost, account (status chips carry their colour inline)
    ".fw-chip{line-height:20px;background:var(--fw-soft);color:var(--fw-fg);"
    "border-color:var(--fw-line)!important;white-space:nowrap;max-width:28ch;overflow:hidden;"
    "text-overflow:ellipsis;vertical-align:middle}"
    ".fw-chip-status{color:#fff;border-color:transparent!important}"
    # buttons: space between icon and label, a visible focus ring (never outline:none)
    ".fw-family .jupyter-button>i.fa:not(.center){margin-right:.5em}"
    # the primary button keeps white text readable on the dark theme's lighter brand colour
    f".fw-family .fw-press-primary{{background:{PRIMARY_FILL}}}"
    # (!important, and more specific: the stock widgets' own rules set ``outline:none
    # !important`` on their selects and text boxes)
    ":is(.fw-family,.fw-card,.fw-jobs) :is(a,button,input,select,textarea,[tabindex],[role])"
    ":focus-visible"
    "{outline:2px solid var(--fw-focus)!important;outline-offset:1px}"
    # the footer: preview line and Generate (with its cost) together
    ".fw-foot{align-items:center;gap:8px;margin-top:4px;padding-top:6px;"
    "border-top:1px solid var(--fw-line)}"
    # the Jobs list: compact rows, the prompt on one line
    ".fw-jobs :is(td,th){border-color:var(--fw-line)!important}"
    ".fw-job-prompt{max-width:36ch;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}"
    ".fw-job-row{gap:6px}"  # a live row: status chip, prompt, its own buttons
    ":is(.fw-jobs,.fw-card) a{color:var(--fw-link)}" + _dark_rules()
    # coloured text in the dark theme: lighter shades
)


def family_style() -> str:
    """The family stylesheet as one ``<style>`` element (identical text every time)."""
    return f"<style data-fw-family>{FAMILY_CSS}</style>"


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def chip(text: str, *, label: str | None = None, kind: str = "") -> str:
    """One chip; ``label`` (``"model"``, ``"seed"``…) is named in its tooltip with the whole
    value, so a chip that ellipsizes still says what it holds."""
    tip = f"{label}: {text}" if label else text
    extra = f" fw-chip-{kind}" if kind else ""
    return (
        f'<span class="fw-chip{extra}" title="{_e(tip)}"'
        ' style="display:inline-block;padding:0 8px;border-radius:10px;font-size:12px;'
        f'border:1px solid #c5cad1">{_e(text)}</span>'
    )


def chips(**values: object) -> str:
    """Chips for the given facts, in order, skipping ``None`` and ``""``."""
    return "".join(
        chip(str(v), label=k.replace("_", " ")) for k, v in values.items() if v not in (None, "")
    )


def status_chip(phase: str) -> str:
    """A filled chip in the phase's colour (white text; ≥ 4.5:1 in light and dark themes)."""
    colour = STATUS_COLOURS.get(phase, STATUS_COLOURS["unknown"])
    return (
        f'<span class="fw-chip fw-chip-status fw-chip-{_e(phase)}" style="display:inline-block;'
        f"padding:0 8px;border-radius:10px;font-size:12px;font-weight:600;color:#fff;"
        f'background:{colour}">{_e(phase)}</span>'
    )


def file_name(name: str, *, href: str | None = None) -> str:
    """A file name kept to one line (ellipsized), the whole name in its tooltip and its name."""
    style = (
        "display:inline-block;max-width:32ch;overflow:hidden;text-overflow:ellipsis;"
        "white-space:nowrap;vertical-align:bottom"
    )
    code = f'<code class="fw-name" title="{_e(name)}" style="{style}">{_e(name)}</code>'
    if href is None:
        return code
    return f'<a href="{_e(href)}" download>{code}</a>'


_ESM = """
function render({ el }) {
  el.style.display = "none";
  let root = null, tries = 0, timer = null, watcher = null;
  const name = () => {
    if (!root) return;
    // a slider's handles are named by the slider's own label
    const sliders = ".widget-slider, .jupyter-widget-slider, .widget-hslider";
    root.querySelectorAll(sliders).forEach((s) => {
      const label = s.querySelector(".widget-label, label");
      const text = label ? label.textContent.trim() : "";
      s.querySelectorAll("[role=slider]").forEach((h, i, all) => {
        if (!h.getAttribute("aria-label") && text)
          h.setAttribute("aria-label", all.length > 1 ? `${text} ${i ? "end" : "start"}` : text);
      });
    });
    // a control marked by named() takes the name its class carries
    root.querySelectorAll("[class*=fw-aria-]").forEach((box) => {
      const mark = [...box.classList].find((c) => c.startsWith("fw-aria-"));
      const text = decodeURIComponent(mark.slice(8).replace(/_/g, "%20"));
      if (box.classList.contains("fw-group")) {  // a group of controls is named itself
        if (box.getAttribute("role") !== "group") box.setAttribute("role", "group");
        if (box.getAttribute("aria-label") !== text) box.setAttribute("aria-label", text);
        return;
      }
      const field = box.matches("input, textarea, select, button") ? box
        : box.querySelector("input, textarea, select");
      if (field && field.getAttribute("aria-label") !== text)
        field.setAttribute("aria-label", text);
    });
    // stock widgets with no tooltip write title="null"
    root.querySelectorAll('[title="null"]').forEach((n) => n.removeAttribute("title"));
  };
  const find = () => {
    root = el.parentElement;
    if (root) {
      root.classList.add("fw-family");
      name();
      watcher = new MutationObserver(name);
      watcher.observe(root, { childList: true, subtree: true, attributes: true,
                              attributeFilter: ["title"] });
    } else if (tries++ < 400) timer = setTimeout(find, 50);
  };
  find();
  return () => { clearTimeout(timer); if (watcher) watcher.disconnect(); };
}
export default { render };
"""


class Dress(anywidget.AnyWidget):
    """An invisible child that gives its parent box the family look and names its controls."""

    _esm = _ESM
    _css = FAMILY_CSS


def named(control: widgets.DOMWidget, name: str) -> widgets.DOMWidget:
    """Give the text field inside ``control`` the accessible name ``name`` (a :class:`Dress` in
    the panel applies it), for the stock widgets that have no label of their own (a tags input,
    a text box next to a picker): a placeholder is not a name.

    The name travels as a CSS class, the only attribute every widget view copies to the page.

    >>> box = widgets.Text()
    >>> named(box, "media id")._dom_classes
    ('fw-aria-media_id',)
    """
    from urllib.parse import quote

    control.add_class("fw-aria-" + quote(name, safe="").replace("%20", "_"))
    return control


def dress(box: widgets.Box, **kwargs: Any) -> widgets.Box:
    """Add a :class:`Dress` to ``box`` (once), mark the box ``fw-family``, and return it."""
    box.add_class("fw-family")
    if not any(isinstance(child, Dress) for child in box.children):
        box.children = (*box.children, Dress(**kwargs))
    return box
