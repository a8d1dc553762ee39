"""What a reopened notebook shows where the controls were: nothing, instead of an error.

The problem: buttons and panels are widgets, shown as ``application/vnd.jupyter.widget-view+json``
outputs that name a model living in the kernel. JupyterLab does not save widget state by
default (``saveState`` is off), so a notebook reopened with a new kernel, or none, names models
that do not exist. In a *trusted* notebook (reopened on the server that saved it) JupyterLab's
widget renderer is preferred over any ``text/html`` kept in the same output, and the renderer
of ``@jupyter-widgets/jupyterlab-manager`` (5.x, ``WidgetRenderer.renderModel``) then writes the
bare text "Error displaying widget: model not found" into the output. In an *untrusted*
notebook (a fresh server, GitHub, nbviewer) that renderer is not used and the fallback shows.

What was weighed:

* A ``text/html`` fallback in the widget's own output: loses to the widget renderer exactly
  when it matters (trusted).
* Taking the controls out of saved outputs: the kernel cannot see a save (autosave runs every
  two minutes while the kernel is alive), and clearing them when the kernel stops does not
  help a notebook saved before.
* ``model_id: ""``: the renderer hides such an output quietly, but only a closed view sets it,
  in the page's memory, and JupyterLab 4 saves from its shared document model, not from there.
* A renderer of the controls' own MIME type (how plotly and bokeh keep their figures in saved
  notebooks): the sound general answer, but it needs a compiled JupyterLab extension shipped in
  the wheel; a notebook shown on a server without it shows nothing of the controls at all.
* A style rule that hides the widget renderer's *text-only* output (a Lumino panel with no
  ``data-mime-type`` and no child elements: its "Loading widget…" or "model not found" text; a
  live view always has elements) in the output
  areas that hold a flow_widgets result. This is what is used: it is carried by the results
  themselves, so it acts exactly where a trusted notebook renders them — the HTML of a trusted
  output is not sanitized, so its ``<style>`` applies — and it only touches cells that show a
  card or a panel board (``:has(.fw-reopen)``), never another library's widgets. Untrusted
  notebooks need nothing: the renderer is not used there, the style is stripped, and the
  toolbar's plain text is empty. Live controls are untouched, and the results (cards, boards)
  are plain outputs that show with or without a kernel. Where widget state *was* saved, the
  controls are drawn from it but cannot work without their kernel; ipywidgets marks such views
  ``jupyter-widgets-disconnected``, and the same rule hides them: controls that need a kernel
  disappear, on every setting.
"""

from __future__ import annotations

from flow_widgets.ui.family import FAMILY_CSS

__all__ = ["GUARD", "MARK", "guarded_html"]

MARK = "fw-reopen"
# The widget renderer's node: a Lumino panel as the output, with no ``data-mime-type`` (every
# other renderer of JupyterLab 4 sets one), and no elements unless it drew a view.
_BARE_WIDGET = ".jp-OutputArea-output.lm-Panel:not([data-mime-type]):not(:has(*))"
# Views drawn from saved widget state with no kernel behind them (ipywidgets marks them).
_DISCONNECTED = ".jupyter-widgets-disconnected"
GUARD = (
    f'<style class="{MARK}">'
    f".jp-OutputArea:has(.{MARK}) {_BARE_WIDGET},"  # (``:has`` cannot nest in ``:has``)
    f".jp-OutputArea:has(.{MARK}) {_DISCONNECTED}"
    "{display:none}"
    f"{FAMILY_CSS}"  # the same element carries the family look (flow_widgets.ui.family)
    "</style>"
)


def guarded_html(html: str) -> str:
    """``html`` carrying the guard (once): for every plain output that shows results.

    >>> guarded_html("<b>x</b>").endswith("<b>x</b>") and MARK in guarded_html("<b>x</b>")
    True
    >>> guarded_html(guarded_html("<b>x</b>")).count("<style")
    1
    """
    if MARK in html:
        return html
    return GUARD + html
