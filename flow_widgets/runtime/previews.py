"""Compact previews that travel inside a notebook: H.264 ≤ 480p with MP3 sound, images as JPEG.

Why: where the frontend cannot reach files next to the notebook (Colab, or anyone who asks for
``embed``), the result has to be in the output itself. A full Veo clip is several MB and a
base64 ``<video>`` of that size crashes Colab and bloats the notebook, so the preview is cut
down to a budget instead:

* video: H.264 (every frontend plays it), the short side at most 480 px, about 900 kbit/s
  (x264 ``ultrafast``, CRF 26 under a 900k maxrate with a one-second buffer), so an 8 s clip
  is at most about 1 MB of MP4 — about 1.3 MB of base64 in the notebook;
* sound: MP3 at 64 kbit/s in the same MP4. Veo 3.1 and Omni clips carry AAC, which VS Code's
  notebook webview cannot play (it ships H.264, VP8, MP3, Vorbis, FLAC and WAV only), and
  MP3-in-MP4 plays in Chromium, Firefox and Safari alike;
* images: JPEG at quality 82, the long side at most 1280 px; GIFs and voice samples as they are
  (up to 4 MB).

The full file stays on disk; the card links to it. PyAV and Pillow are imported on first use.
"""

from __future__ import annotations

import base64
import io
import mimetypes
import os
import tempfile
import threading
from fractions import Fraction
from pathlib import Path
from typing import Any

__all__ = [
    "AUDIO_BITRATE",
    "IMAGE_LONG_SIDE",
    "PREVIEW_SHORT_SIDE",
    "VIDEO_MAXRATE",
    "image_preview",
    "preview_data_url",
    "video_preview",
]

#: Largest short side of an embedded video (480p).
PREVIEW_SHORT_SIDE = 480
#: Ceiling of the embedded video's bit rate: ~0.9 MB per 8 s before sound.
VIDEO_MAXRATE = 900_000
#: MP3 bit rate of the embedded sound.
AUDIO_BITRATE = 64_000
#: Largest side of an embedded image.
IMAGE_LONG_SIDE = 1280
_IMAGE_QUALITY = 82
#: GIFs and audio are embedded as they are, up to this size.
_AS_IS_LIMIT = 4 * 1024 * 1024
_X264 = {
    # ultrafast: about 0.7 s per 8 s 480p clip here against 1.0 s for superfast, for a
    # somewhat larger file; the one-second buffer keeps that file within the 1 MB budget.
    "preset": "ultrafast",
    "crf": "26",
    "maxrate": str(VIDEO_MAXRATE),
    "bufsize": str(VIDEO_MAXRATE),
}

_cache: dict[tuple[str, int, int], str | None] = {}
_lock = threading.Lock()


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)


def _preview_size(width: int, height: int) -> tuple[int, int]:
    short = min(width, height)
    if short <= PREVIEW_SHORT_SIDE:
        return _even(width), _even(height)
    scale = PREVIEW_SHORT_SIDE / short
    return _even(width * scale), _even(height * scale)


def video_preview(path: str | os.PathLike[str]) -> bytes:
    """MP4 bytes of the clip at ``path``: H.264 ≤ 480p and, when it has sound, MP3 audio."""
    import av

    with av.open(os.fspath(path)) as source:
        vin = source.streams.video[0]
        ain = source.streams.audio[0] if source.streams.audio else None
        rate = vin.average_rate or Fraction(24)
        width, height = _preview_size(vin.codec_context.width, vin.codec_context.height)
        with tempfile.TemporaryDirectory(prefix="flow-preview-") as tmp:
            target = Path(tmp) / "preview.mp4"
            with av.open(str(target), "w", options={"movflags": "+faststart"}) as out:
                vout: Any = out.add_stream("libx264", rate=rate, options=dict(_X264))
                vout.width, vout.height, vout.pix_fmt = width, height, "yuv420p"
                aout, resampler = mp3_stream(out, ain, AUDIO_BITRATE)
                streams = [vin] + ([ain] if ain is not None else [])
                index = 0
                for packet in source.demux(*streams):
                    for frame in packet.decode():
                        if packet.stream.type == "video":
                            small = frame.reformat(width=width, height=height, format="yuv420p")
                            small.pts, small.time_base = index, Fraction(1) / rate
                            index += 1
                            out.mux(vout.encode(small))
                        elif resampler is not None:
                            for chunk in resampler.resample(frame):
                                chunk.pts = None
                                out.mux(aout.encode(chunk))
                out.mux(vout.encode(None))
                if aout is not None and resampler is not None:
                    for chunk in resampler.resample(None):
                        chunk.pts = None
                        out.mux(aout.encode(chunk))
                    out.mux(aout.encode(None))
            return target.read_bytes()


def image_preview(path: str | os.PathLike[str]) -> bytes:
    """JPEG bytes of the image at ``path``, the long side at most :data:`IMAGE_LONG_SIDE`."""
    from PIL import Image

    with Image.open(os.fspath(path)) as picture:
        picture.load()
        rgb = picture.convert("RGB")
    rgb.thumbnail((IMAGE_LONG_SIDE, IMAGE_LONG_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    rgb.save(out, format="JPEG", quality=_IMAGE_QUALITY, optimize=True)
    return out.getvalue()


def preview_data_url(path: str | os.PathLike[str], kind: str, *, make: bool = True) -> str | None:
    """A ``data:`` URL of the preview of ``path`` (``video`` or an image kind), cached per file.

    ``None`` when the file cannot be read or converted (the card then shows the file as is),
    or, with ``make=False``, when it has not been converted yet.
    """
    file = Path(path)
    try:
        stat = file.stat()
    except OSError:
        return None
    key = (f"{kind}:{file.resolve()}", stat.st_size, stat.st_mtime_ns)
    with _lock:
        if key in _cache or not make:
            return _cache.get(key)
    import av.error

    url: str | None
    try:
        if kind == "video":
            url = "data:video/mp4;base64," + base64.b64encode(video_preview(file)).decode()
        elif kind == "image":
            url = "data:image/jpeg;base64," + base64.b64encode(image_preview(file)).decode()
        elif kind in ("gif", "audio") and stat.st_size <= _AS_IS_LIMIT:
            # An animation or a voice sample is small and already plays everywhere: as is.
            mime = mimetypes.guess_type(file.name)[0] or ""
            top = mime.split("/")[0]
            encoded = base64.b64encode(file.read_bytes()).decode()
            url = f"data:{mime};base64,{encoded}" if top in ("image", "audio") else None
        else:
            url = None
    except (OSError, ValueError, IndexError, av.error.FFmpegError):
        url = None
    with _lock:
        _cache[key] = url
    return url


def mp3_stream(out: Any, ain: Any, bit_rate: int) -> tuple[Any, Any]:
    """An MP3 stereo stream on ``out`` for the audio stream ``ain`` (``None``: no sound) and the
    resampler that feeds it: MP3 is the codec every frontend plays (VS Code has no AAC)."""
    if ain is None:
        return None, None
    import av

    rate = ain.codec_context.sample_rate or 48_000
    aout = out.add_stream("libmp3lame", rate=rate)
    aout.bit_rate = bit_rate
    aout.layout = "stereo"
    return aout, av.AudioResampler(format="s16p", layout="stereo", rate=rate)
