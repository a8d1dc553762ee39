"""A labelled group of a form's controls: a visible caption and an accessible name, one box.

Why: a long column of controls reads as one undifferentiated list, to the eye and to a screen
reader alike. A group gathers the controls that answer one question (*what* to make, with
which *settings*, from which *inputs*) under a short caption, and is announced as a group with
that name (``role=group`` and ``aria-label``, set by the family's :class:`~flow_widgets.ui.
family.Dress` from the class :func:`~flow_widgets.ui.family.named` gives the box). The
controls keep their order inside, so Tab goes through the form in the order it is drawn.

A group whose controls are all hidden (a tab with no inputs) is hidden too, caption and all,
so no empty heading is left in the form.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import ipywidgets as widgets

from flow_widgets.ui.family import named

__all__ = ["form_group", "hide_empty"]


def form_group(label: str, rows: Sequence[widgets.Widget]) -> widgets.VBox:
    """A box with ``label`` as its caption and its accessible name, holding ``rows`` in order.

    >>> box = form_group("inputs", [widgets.Text(description="seed")])
    >>> sorted(box._dom_classes)
    ['fw-aria-inputs', 'fw-group']
    >>> len(box.children)
    2
    """
    caption = widgets.HTML(
        '<span class="fw-group-label" aria-hidden="true" '
        f'style="color:var(--jp-content-font-color2,#4b5563)">{html.escape(label)}</span>'
    )
    caption.add_class("fw-group-caption")
    box = widgets.VBox([caption, *rows])
    box.add_class("fw-group")
    named(box, label)
    return box


def _shown(control: widgets.Widget) -> bool:
    if control.layout.display == "none":
        return False
    if isinstance(control, widgets.Box):  # a row is shown when any control in it is
        return any(_shown(child) for child in control.children)
    return True


def hide_empty(group: widgets.Box) -> None:
    """Hide ``group`` when none of its controls (its children after the caption) is shown."""
    wanted = None if any(_shown(child) for child in group.children[1:]) else "none"
    if group.layout.display != wanted:
        group.layout.display = wanted
