"""MP4 in and out through PyAV, so the rest of the simulator speaks in arrays and seconds.

Why a module of its own: the codec settings are where browser playback and determinism are won
or lost, and they must be the same for every product. Every MP4 written here is H.264 (libx264,
``ultrafast``, CRF 30, yuv420p, a keyframe every two seconds) with stereo 48 kHz AAC, muxed with
``+faststart`` so the ``moov`` atom comes first and Chromium starts playing before the download
ends. x264 runs single-threaded: threaded encoding is not bit-exact from run to run, and the
simulator promises the same bytes for the same arguments.

FFmpeg's faststart pass reopens the output *by name* to move ``moov``, so :class:`Mp4Writer`
encodes into a private temporary file and hands back its bytes; callers still see bytes in,
bytes out.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
from collections.abc import Iterator
from fractions import Fraction
from types import TracebackType

import av
import av.error
import numpy as np
from av.container import InputContainer
from av.video.frame import VideoFrame
from numpy.typing import NDArray

from flow_widgets.errors import ValidationError
from flow_widgets.simulator._audio import AUDIO_RATE, Samples

__all__ = ["FPS", "Mp4Writer", "decode_audio", "open_video", "resampled_frames", "video_facts"]

FPS = 24
"""Frame rate of every simulated clip (Veo and Omni Flash deliver 24 fps)."""
_X264_OPTIONS = {"preset": "ultrafast", "crf": "30"}


def open_video(data: bytes, *, field: str = "video") -> InputContainer:
    """Open MP4 bytes for reading; unreadable bytes raise one plain ``ValidationError``."""
    try:
        container = av.open(io.BytesIO(data), mode="r")
    except (av.error.FFmpegError, ValueError) as exc:
        raise ValidationError(
            f"{field} is not a readable video file; pass the bytes of an MP4 video.", field=field
        ) from exc
    if not container.streams.video:
        container.close()
        raise ValidationError(
            f"{field} has no video track; pass the bytes of an MP4 video.", field=field
        )
    return container


def _duration(container: InputContainer) -> float:
    if container.duration is not None:
        return float(container.duration) / av.time_base
    stream = container.streams.video[0]
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    return 0.0


def video_facts(data: bytes, *, field: str = "video") -> tuple[int, int, float]:
    """``(width, height, duration_seconds)`` of an MP4, read from its headers only."""
    with open_video(data, field=field) as container:
        context = container.streams.video[0].codec_context
        return context.width, context.height, _duration(container)


def resampled_frames(
    data: bytes, *, fps: float = FPS, start: float = 0.0, count: int | None = None
) -> Iterator[VideoFrame]:
    """Decoded frames of ``data`` on a constant ``fps`` timeline that begins at ``start`` seconds.

    Output frame ``k`` is the source frame showing at ``start + k / fps`` (the latest one that
    began at or before it), so any source frame rate, including variable rates, maps onto a
    clean timeline. ``count=None`` runs to the end of the source; otherwise decoding stops as
    soon as ``count`` frames are out, and a short source repeats its last frame.
    """
    with open_video(data) as container:
        stream = container.streams.video[0]
        total = count if count is not None else max(0, round((_duration(container) - start) * fps))
        produced = 0
        held: VideoFrame | None = None
        for index, frame in enumerate(container.decode(stream)):
            shown_at = frame.time if frame.time is not None else index / fps
            while produced < total and start + produced / fps < shown_at - 1e-6:
                yield held if held is not None else frame
                produced += 1
            if produced >= total:
                return
            held = frame
        while held is not None and produced < total:
            yield held
            produced += 1


def decode_audio(data: bytes, *, field: str = "video") -> Samples:
    """The first audio track as float32 stereo at 48 kHz, shape ``(2, n)``; silent if none."""
    with open_video(data, field=field) as container:
        if not container.streams.audio:
            return np.zeros((2, 0), dtype=np.float32)
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="fltp", layout="stereo", rate=AUDIO_RATE)
        chunks: list[NDArray[np.float32]] = []
        for frame in [*container.decode(stream), None]:
            chunks.extend(
                np.asarray(chunk.to_ndarray(), dtype=np.float32)
                for chunk in resampler.resample(frame)
            )
    if not chunks:
        return np.zeros((2, 0), dtype=np.float32)
    return np.ascontiguousarray(np.concatenate(chunks, axis=1), dtype=np.float32)


class Mp4Writer:
    """Encode frames (and an optional whole audio track) into faststart MP4 bytes.

    Audio is fed alongside the video, a frame's worth at a time, so the file is interleaved.
    Use as a context manager; :meth:`finish` returns the file's bytes.

    >>> with Mp4Writer(64, 36) as writer:
    ...     writer.write(np.zeros((36, 64, 3), np.uint8))
    ...     data = writer.finish()
    >>> data[4:8]
    b'ftyp'
    """

    def __init__(
        self, width: int, height: int, *, fps: int = FPS, audio: Samples | None = None
    ) -> None:
        self._folder = tempfile.mkdtemp(prefix="flow-sim-")
        self._path = os.path.join(self._folder, "clip.mp4")
        self._fps = fps
        self._tick = Fraction(1, fps)
        self._frames = 0
        self._audio = audio
        self._audio_sent = 0
        self._finished = False
        self._container = av.open(
            self._path, mode="w", format="mp4", options={"movflags": "+faststart"}
        )
        self._video = self._container.add_stream("libx264", rate=fps, options=_X264_OPTIONS)
        self._video.width = width
        self._video.height = height
        self._video.pix_fmt = "yuv420p"
        self._video.codec_context.thread_count = 1
        self._video.codec_context.gop_size = max(1, round(2 * fps))
        self._audio_stream = (
            self._container.add_stream("aac", rate=AUDIO_RATE, layout="stereo")
            if audio is not None
            else None
        )

    def __enter__(self) -> Mp4Writer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if not self._finished:
            self._container.close()
        shutil.rmtree(self._folder, ignore_errors=True)

    def write(self, frame: NDArray[np.uint8] | VideoFrame) -> None:
        """Append one frame (an RGB array or a decoded frame of any size is scaled to fit)."""
        if isinstance(frame, np.ndarray):
            frame = VideoFrame.from_ndarray(frame, format="rgb24")
        if (frame.width, frame.height) != (self._video.width, self._video.height):
            frame = frame.reformat(
                width=self._video.width,
                height=self._video.height,
                format="yuv420p",
                interpolation="BILINEAR",
            )
        frame.time_base = self._tick
        frame.pts = self._frames
        self._frames += 1
        self._container.mux(self._video.encode(frame))
        self._feed_audio(until=self._frames / self._fps)

    def _feed_audio(self, *, until: float | None) -> None:
        if self._audio is None or self._audio_stream is None:
            return
        total = self._audio.shape[1]
        target = total if until is None else min(total, round(until * AUDIO_RATE))
        if target <= self._audio_sent:
            return
        chunk = np.ascontiguousarray(self._audio[:, self._audio_sent : target])
        audio_frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
        audio_frame.sample_rate = AUDIO_RATE
        audio_frame.pts = self._audio_sent
        self._audio_sent = target
        self._container.mux(self._audio_stream.encode(audio_frame))

    def finish(self) -> bytes:
        """Flush both encoders, close the file and return its bytes."""
        if self._frames == 0:
            raise ValueError("Mp4Writer.finish() needs at least one frame; write() some first.")
        self._container.mux(self._video.encode(None))
        self._feed_audio(until=None)
        if self._audio_stream is not None:
            self._container.mux(self._audio_stream.encode(None))
        self._container.close()
        self._finished = True
        with open(self._path, "rb") as handle:
            return handle.read()
