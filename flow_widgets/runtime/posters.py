"""A poster for every video: one small JPEG frame, carried inside the notebook as a data URL.

Why: a saved notebook opened where the file next to it cannot be reached — GitHub, nbviewer,
nbconvert's HTML, VS Code's preview, an email attachment — otherwise shows an empty player
where a video was. A frame of about 5 KB (240 px wide, JPEG quality 60; base64 makes it about
7 KB in the notebook) keeps a notebook of ten clips well under the 16 KB-per-video budget
while still telling the takes apart (DESIGN decision 3).

The frame is the first keyframe from one second on (the first frame of clips of two seconds
or less): generated clips may open on a fade from black, and a keyframe is one frame to
decode, so a poster costs a few milliseconds. Posters are computed once per file (keyed by
path, size and modification time) because a card is re-drawn many times while its job runs.
PyAV and Pillow are imported only when a poster is first made.
"""

from __future__ import annotations

import base64
import io
import logging
import os
import threading
from pathlib import Path

__all__ = ["POSTER_QUALITY", "POSTER_WIDTH", "poster_data_url", "poster_jpeg"]

log = logging.getLogger("flow_widgets.posters")

#: Width of a poster in pixels (the height follows the clip's aspect ratio).
POSTER_WIDTH = 240
#: JPEG quality of a poster: enough to recognise the frame, small enough to live in a notebook.
POSTER_QUALITY = 60
_AT_SECONDS = 1.0

_cache: dict[tuple[str, int, int], str | None] = {}
_lock = threading.Lock()


def poster_jpeg(path: str | os.PathLike[str], *, width: int = POSTER_WIDTH) -> bytes | None:
    """JPEG bytes of one frame of the video at ``path``; ``None`` when no frame can be read."""
    import av
    from PIL import Image

    try:
        with av.open(os.fspath(path)) as container:
            if not container.streams.video:
                return None
            stream = container.streams.video[0]
            duration = float(container.duration) / av.time_base if container.duration else 0.0
            picture: Image.Image | None = None
            if stream.time_base and duration > 2 * _AT_SECONDS:
                # The first keyframe from one second on: one frame to decode, so it is quick.
                at = int(_AT_SECONDS / stream.time_base)
                container.seek(at, stream=stream, backward=False)
                for frame in container.decode(stream):
                    picture = frame.to_image()
                    break
            if picture is None:
                container.seek(0)
                for frame in container.decode(stream):
                    picture = frame.to_image()
                    break
    except (OSError, ValueError, av.error.FFmpegError) as exc:
        log.debug("no poster for %s: %s", path, exc)
        return None
    if picture is None:
        return None
    height = max(2, round(picture.height * width / max(1, picture.width)))
    small = picture.convert("RGB").resize((width, height), Image.Resampling.BILINEAR)
    out = io.BytesIO()
    small.save(out, format="JPEG", quality=POSTER_QUALITY, optimize=True)
    return out.getvalue()


def poster_data_url(path: str | os.PathLike[str], *, make: bool = True) -> str | None:
    """A ``data:image/jpeg;base64,…`` poster of the video at ``path`` (cached per file version).

    With ``make=False`` only a poster made before is returned (``None`` otherwise).
    """
    file = Path(path)
    try:
        stat = file.stat()
    except OSError:
        return None
    key = (str(file.resolve()), stat.st_size, stat.st_mtime_ns)
    with _lock:
        if key in _cache or not make:
            return _cache.get(key)
    jpeg = poster_jpeg(file)
    url = None if jpeg is None else "data:image/jpeg;base64," + base64.b64encode(jpeg).decode()
    with _lock:
        _cache[key] = url
    return url
