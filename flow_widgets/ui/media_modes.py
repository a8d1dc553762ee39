"""How a finished file is shown in this frontend: the media mode (DESIGN decision 11).

Why one place: the same card is seen live in JupyterLab, VS Code or Colab, and saved into a
notebook that is reopened on GitHub or nbviewer; each can reach different things. Every view of
a file on disk passes through :func:`present`, which applies the mode in force
(:func:`flow_widgets.runtime.media_mode.media_choice`):

* every video gets a poster (a small JPEG data URL) so a saved notebook shows a frame anywhere;
* ``embed`` puts a compact preview in the output (:mod:`flow_widgets.runtime.previews`) and
  links the full file; at most :data:`EMBED_NOTEBOOK_CAP` bytes of previews per kernel (one
  notebook), and :func:`flow_widgets.ui.html.gallery_html` keeps one output under
  :data:`~flow_widgets.ui.html.EMBED_OUTPUT_CAP`. Past a cap the file is linked as in
  ``files`` and the caption says why;
* in VS Code (``auto``) a clip whose sound VS Code cannot play is shown through its companion
  (:mod:`flow_widgets.runtime.companions`: the video copied, the sound as MP3), and the
  caption links the original;
* ``serve`` shows the file through the kernel's loopback server
  (:mod:`flow_widgets.runtime.media_server`), which Colab reaches through its kernel proxy;
  in Colab, ``auto`` embeds while under the caps and serves beyond them.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from flow_widgets.runtime.companions import COMPANION_FOLDER, companion_for
from flow_widgets.runtime.engine import in_engine_thread
from flow_widgets.runtime.media_mode import media_choice
from flow_widgets.runtime.media_prep import prepare_later
from flow_widgets.runtime.media_server import media_server
from flow_widgets.runtime.posters import poster_data_url
from flow_widgets.runtime.previews import preview_data_url

if TYPE_CHECKING:  # pragma: no cover - view.py imports this module
    from flow_widgets.ui.view import MediaView

__all__ = ["EMBED_NOTEBOOK_CAP", "embedded_bytes", "forget_embedded", "present", "warm_up"]

#: Most bytes of embedded previews one kernel (one notebook) puts into its outputs: 30 MB is
#: about 20 embedded 8 s clips, and keeps a notebook openable and Colab's runtime alive.
EMBED_NOTEBOOK_CAP = 30 * 1024 * 1024

log = logging.getLogger("flow_widgets.media")

_EMBEDDABLE = ("video", "image", "gif", "audio")
_lock = threading.Lock()
_embedded: dict[str, int] = {}
_warmed = False


def _import_codecs() -> None:
    import av  # noqa: F401 - imported for its side effect: loaded once, off the card's path
    import PIL.Image  # noqa: F401


def warm_up() -> None:
    """Load PyAV and Pillow on a background thread, so the first finished card is not late.

    Importing them takes a few tenths of a second; a card publishes its finished state from
    the engine thread, and a poster needs both.
    """
    global _warmed
    with _lock:
        if _warmed:
            return
        _warmed = True
    threading.Thread(target=_import_codecs, name="flow-media-warm-up", daemon=True).start()


def embedded_bytes() -> int:
    """Bytes of previews this kernel has embedded so far."""
    with _lock:
        return sum(_embedded.values())


def forget_embedded() -> None:
    """Start counting the notebook cap afresh (tests; a new notebook in the same kernel)."""
    with _lock:
        _embedded.clear()


def _claim(key: str, size: int) -> bool:
    """Count ``size`` bytes against the notebook cap once per file; False when over it."""
    with _lock:
        if key in _embedded:
            return True
        if sum(_embedded.values()) + size > EMBED_NOTEBOOK_CAP:
            return False
        _embedded[key] = size
        return True


def _made(made: object, path: Path, kind: str, make: bool) -> None:
    """On the engine thread nothing is converted: what is missing is made on the pool."""
    if made is None and not make:
        prepare_later(path, kind)


def _with_poster(view: MediaView, path: Path, make: bool) -> MediaView:
    if view.kind == "video" and not view.poster and path.exists():
        poster = poster_data_url(path, make=make)
        _made(poster, path, view.kind, make)
        if poster:
            return dataclasses.replace(view, poster=poster)
    return view


def _embedded_view(view: MediaView, path: Path, make: bool) -> MediaView | None:
    if view.kind not in _EMBEDDABLE or not path.exists():
        return None
    url = preview_data_url(path, view.kind, make=make)
    _made(url, path, view.kind, make)
    if url is None:
        return None
    if not _claim(str(path.resolve()), len(url)):
        return dataclasses.replace(view, note="not embedded: the notebook's embed cap is reached")
    return dataclasses.replace(view, src=url, link=view.src)


def _companion_view(view: MediaView, path: Path, make: bool) -> MediaView:
    if view.kind != "video" or not path.exists() or "://" in view.src:
        return view
    playable = companion_for(path, make=make)
    _made(playable, path, view.kind, make)
    if playable is None or playable == path:
        return view
    folder, _, name = view.src.rpartition("/")
    src = f"{folder}/{COMPANION_FOLDER}/{name}" if folder else f"{COMPANION_FOLDER}/{name}"
    return dataclasses.replace(view, src=src, link=view.src)


def _served_view(view: MediaView, path: Path, note: str | None = None) -> MediaView:
    if not path.exists() or "://" in view.src:
        return view
    server = media_server(path.parent)
    url, url_path = server.url_for(path), server.path_for(path)
    if url is None or url_path is None:
        return view
    return dataclasses.replace(
        view, src=url, link=view.src, serve_port=server.port, serve_path=url_path, note=note
    )


def present(view: MediaView, path: Path) -> MediaView:
    """``view`` of the file at ``path`` as this frontend should show it.

    Never raises: a conversion or a server that fails leaves the plain file link (``files``),
    so a card always shows its result.
    """
    try:
        return _present(view, path)
    except Exception:  # a card must never break on how its media is shown
        log.exception("Showing %s in the chosen media mode failed; linking the file", path.name)
        return view


def _present(view: MediaView, path: Path) -> MediaView:
    # The engine loop must never wait for an encode: there, only what the saving step made
    # beforehand (flow_widgets.runtime.media_prep) is used.
    make = not in_engine_thread()
    view = _with_poster(view, path, make)
    mode = media_choice().mode
    if mode == "embed":
        return _embedded_view(view, path, make) or view
    if mode == "colab":
        embedded = _embedded_view(view, path, make)
        if embedded is not None and embedded.src.startswith("data:"):
            return embedded
        past_cap = "served by the kernel: past the embed cap" if make else None
        return _served_view(view, path, note=past_cap)
    if mode == "serve":
        return _served_view(view, path)
    if mode == "vscode":
        return _companion_view(view, path, make)
    return view
