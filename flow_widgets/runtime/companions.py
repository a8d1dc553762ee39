"""A copy of a clip that VS Code can play with its sound: the same video, the audio as MP3.

Why: VS Code's notebook webview ships only some codecs (H.264, VP8, MP3, Vorbis, FLAC, WAV; no
AAC, no Opus), and Veo 3.1 and Omni clips carry AAC sound: the picture plays, the class hears
nothing. The companion copies the H.264 stream untouched (no quality lost, fast) and re-encodes
only the sound, to MP3 at 128 kbit/s. It sits in ``flow_media/vscode/`` under the same name, so
it is found again by name, stays under the notebook's folder (VS Code only loads files from
there) and never shows up in the gallery's listing of ``flow_media/``. The original file is
kept as the one to share.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from flow_widgets.runtime.previews import mp3_stream

__all__ = ["COMPANION_FOLDER", "VSCODE_AUDIO", "audio_codec", "companion_for", "make_companion"]

#: Sub-folder of the media folder holding the companions.
COMPANION_FOLDER = "vscode"
#: Audio codecs VS Code's webview plays (decoder names as FFmpeg reports them).
VSCODE_AUDIO = frozenset({"mp3", "mp3float", "vorbis", "flac", "pcm_s16le"})
_MP3_BITRATE = 128_000

_lock = threading.Lock()


def audio_codec(path: str | os.PathLike[str]) -> str | None:
    """The name of the first audio stream's codec, ``None`` when there is no sound."""
    import av

    with av.open(os.fspath(path)) as container:
        if not container.streams.audio:
            return None
        return str(container.streams.audio[0].codec_context.name)


def make_companion(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> Path:
    """Write ``target``: ``source``'s video stream copied, its sound re-encoded as MP3."""
    import av

    final = Path(target)
    final.parent.mkdir(parents=True, exist_ok=True)
    partial = final.with_name(f".{final.name}.part")
    with av.open(os.fspath(source)) as src:
        vin = src.streams.video[0]
        ain = src.streams.audio[0] if src.streams.audio else None
        with av.open(str(partial), "w", format="mp4", options={"movflags": "+faststart"}) as out:
            vout = out.add_stream_from_template(vin)
            aout, resampler = mp3_stream(out, ain, _MP3_BITRATE)
            streams = [vin] + ([ain] if ain is not None else [])
            for packet in src.demux(*streams):
                if packet.dts is None:
                    continue  # the demuxer's flush packet
                if packet.stream.type == "video":
                    packet.stream = vout
                    out.mux(packet)
                elif resampler is not None:
                    for frame in packet.decode():
                        for chunk in resampler.resample(frame):
                            chunk.pts = None
                            out.mux(aout.encode(chunk))
            if aout is not None and resampler is not None:
                for chunk in resampler.resample(None):
                    chunk.pts = None
                    out.mux(aout.encode(chunk))
                out.mux(aout.encode(None))
    os.replace(partial, final)
    return final


def companion_for(path: str | os.PathLike[str], *, make: bool = True) -> Path | None:
    """The VS Code-playable file for the clip at ``path``, made on first use.

    The clip itself when its sound is already playable (or it has none); ``None`` when it
    cannot be read or converted (the card then links the original), or, with ``make=False``,
    when the companion it needs has not been made yet.
    """
    import av.error

    source = Path(path)
    target = source.parent / COMPANION_FOLDER / source.name
    if not make:  # a look only: never wait for the lock a conversion holds
        try:
            if target.exists() and target.stat().st_mtime_ns >= source.stat().st_mtime_ns:
                return target
            codec = audio_codec(source)
        except (OSError, ValueError, IndexError, av.error.FFmpegError):
            return None
        return source if codec is None or codec in VSCODE_AUDIO else None
    with _lock:
        try:
            if target.exists() and target.stat().st_mtime_ns >= source.stat().st_mtime_ns:
                return target
            codec = audio_codec(source)
            if codec is None or codec in VSCODE_AUDIO:
                return source
            return make_companion(source, target)
        except (OSError, ValueError, IndexError, av.error.FFmpegError):
            return None
