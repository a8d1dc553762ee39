"""How a finished file is shown in this frontend: the media mode (DESIGN decision 11).

Why one place: the same card is seen live in JupyterLab, VS Code or Colab, and saved into a
notebook that is reopened on GitHub or nbviewer; each can reach different things. Every view of
a file on disk passes through :func:`present`, which adds what that frontend needs.

Every video gets a poster (a small JPEG data URL) so a saved notebook shows a frame anywhere.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from flow_widgets.runtime.posters import poster_data_url
from flow_widgets.ui.view import MediaView

__all__ = ["present"]


def present(view: MediaView, path: Path) -> MediaView:
    """``view`` of the file at ``path`` as this frontend should show it."""
    if view.kind == "video" and not view.poster and path.exists():
        poster = poster_data_url(path)
        if poster:
            view = dataclasses.replace(view, poster=poster)
    return view
