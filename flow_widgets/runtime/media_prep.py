"""Making what the media mode shows of a finished file, on worker threads, before the card sees it.

Why: a card is redrawn from the engine thread (job handles notify their listeners there), and
the media mode turns a finished clip into a poster (a few milliseconds), an embedded H.264/MP3
preview (one to three seconds per clip) or a VS Code companion (the sound re-encoded as MP3).
Done while the card is drawn, that work held the engine's asyncio loop, so every other job's
polling and downloads stopped for as long. Instead the saving step awaits
:func:`prepare_media` before the job is marked completed: the conversions run on a small
bounded pool (PyAV and Pillow release the GIL while they encode), their results land in the
caches of :mod:`~flow_widgets.runtime.posters`, :mod:`~flow_widgets.runtime.previews` and
:mod:`~flow_widgets.runtime.companions`, and the finished card then shows its poster and
preview in one update without converting anything itself.

Two workers: enough for a batch to overlap its clips, few enough to leave a core to the kernel
on a small machine. Preparing never fails a job: a conversion that fails is logged and the card
links the file as in ``files`` mode.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from flow_widgets.runtime.companions import companion_for
from flow_widgets.runtime.media_mode import media_choice
from flow_widgets.runtime.posters import poster_data_url
from flow_widgets.runtime.previews import preview_data_url

__all__ = ["MEDIA_WORKERS", "prepare_file", "prepare_later", "prepare_media"]

#: Threads converting finished files at once (per process).
MEDIA_WORKERS = 2

log = logging.getLogger("flow_widgets.media")

_EMBEDDABLE = ("video", "image", "gif", "audio")
_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_pool_pid = 0
_queued: set[tuple[str, str]] = set()


def _executor() -> ThreadPoolExecutor:
    """The process's conversion pool, made on first use (and again in a forked child)."""
    global _pool, _pool_pid
    with _lock:
        if _pool is None or _pool_pid != os.getpid():
            _pool = ThreadPoolExecutor(MEDIA_WORKERS, thread_name_prefix="flow-media")
            _pool_pid = os.getpid()
        return _pool


def prepare_file(path: str | os.PathLike[str], kind: str) -> None:
    """Make and cache what the mode in force shows of ``path`` (blocking; call off the loop)."""
    file = Path(path)
    if not file.exists():
        return
    mode = media_choice().mode
    if kind == "video":
        poster_data_url(file)  # every mode: the still a saved notebook shows anywhere
    if mode in ("embed", "colab") and kind in _EMBEDDABLE:
        preview_data_url(file, kind)
    elif mode == "vscode" and kind == "video":
        companion_for(file)


def _prepare_quietly(path: Path, kind: str) -> None:
    try:
        prepare_file(path, kind)
    except Exception:  # the card falls back to linking the file; the job is still done
        log.exception("Preparing %s for the media mode failed", path.name)


def prepare_later(path: str | os.PathLike[str], kind: str) -> None:
    """Start preparing ``path`` on the pool and return at once (once per file while queued).

    For a card drawn on the engine thread that finds nothing made yet (the mode was changed
    after the job finished): it shows the plain file now and the prepared view when next drawn.
    """
    key = (str(path), kind)
    with _lock:
        if key in _queued:
            return
        _queued.add(key)

    def run() -> None:
        try:
            _prepare_quietly(Path(path), kind)
        finally:
            with _lock:
                _queued.discard(key)

    _executor().submit(run)


async def prepare_media(files: Iterable[Any]) -> None:
    """Convert the saved ``files`` (``MediaFile``-like: ``path``, ``kind``) on the pool.

    The engine loop stays free meanwhile; returns once every file is ready. Never raises.
    """
    loop = asyncio.get_running_loop()
    pool = _executor()
    pending = [
        loop.run_in_executor(pool, _prepare_quietly, Path(f.path), str(f.kind))
        for f in files
        if getattr(f, "path", None) is not None
    ]
    if pending:
        await asyncio.gather(*pending)
