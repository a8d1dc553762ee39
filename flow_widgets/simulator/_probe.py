"""What is in a media file: the one check the tests and the runtime use to trust bytes.

Why: the simulator's products, uploaded assets and downloaded results all need the same
question answered ("is this a playable MP4 with sound, an image of this size, a real animated
GIF?"). :func:`probe` reads headers (and, for MP4, the container index), never trusting a file
extension, and refuses anything else with one plain sentence.
"""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass
from typing import Literal

import av.error
from PIL import Image, UnidentifiedImageError

from flow_widgets.errors import ValidationError
from flow_widgets.simulator._codec import open_video

__all__ = ["MediaInfo", "probe"]

MediaKind = Literal["video", "image", "gif", "audio"]


@dataclass(frozen=True)
class MediaInfo:
    """Facts about one media file.

    Attributes:
        kind: ``"video"``, ``"image"``, ``"gif"`` or ``"audio"``.
        format: ``"mp4"``, ``"png"``, ``"jpeg"``, ``"gif"`` or ``"wav"``.
        width, height: pixels (0 for audio).
        duration: seconds (0.0 for still images).
        has_audio: the file carries sound.
        video_codec, audio_codec: codec names (``"h264"``, ``"aac"``, ``"pcm_s16le"``) or None.
        frames: pictures in the file (1 for a still image, 0 for audio).
        pixel_format: the video's pixel layout (``"yuv420p"``) or None.
    """

    kind: MediaKind
    format: str
    width: int
    height: int
    duration: float
    has_audio: bool
    video_codec: str | None
    audio_codec: str | None
    frames: int
    pixel_format: str | None = None


def _probe_mp4(data: bytes) -> MediaInfo:
    with open_video(data, field="data") as container:
        video = container.streams.video[0]
        frames = video.frames or sum(1 for packet in container.demux(video) if packet.size)
        audio = container.streams.audio[0] if container.streams.audio else None
        duration = float(container.duration) / av.time_base if container.duration else 0.0
        return MediaInfo(
            kind="video",
            format="mp4",
            width=video.codec_context.width,
            height=video.codec_context.height,
            duration=duration,
            has_audio=audio is not None,
            video_codec=video.codec_context.name,
            audio_codec=audio.codec_context.name if audio is not None else None,
            frames=frames,
            pixel_format=video.codec_context.pix_fmt,
        )


def _probe_wav(data: bytes) -> MediaInfo:
    with wave.open(io.BytesIO(data), "rb") as reader:
        rate = reader.getframerate()
        return MediaInfo(
            kind="audio",
            format="wav",
            width=0,
            height=0,
            duration=reader.getnframes() / rate if rate else 0.0,
            has_audio=True,
            video_codec=None,
            audio_codec=f"pcm_s{8 * reader.getsampwidth()}le",
            frames=0,
        )


def _probe_picture(data: bytes) -> MediaInfo:
    with Image.open(io.BytesIO(data)) as picture:
        if picture.format == "GIF":
            frames = getattr(picture, "n_frames", 1)
            milliseconds = 0
            for index in range(frames):
                picture.seek(index)
                milliseconds += int(picture.info.get("duration", 0))
            return MediaInfo(
                kind="gif",
                format="gif",
                width=picture.width,
                height=picture.height,
                duration=milliseconds / 1000.0,
                has_audio=False,
                video_codec=None,
                audio_codec=None,
                frames=frames,
            )
        picture.load()
        return MediaInfo(
            kind="image",
            format=(picture.format or "").lower(),
            width=picture.width,
            height=picture.height,
            duration=0.0,
            has_audio=False,
            video_codec=None,
            audio_codec=None,
            frames=1,
        )


def probe(data: bytes) -> MediaInfo:
    """Identify and measure MP4, PNG, JPEG, GIF or WAV bytes.

    Raises:
        ValidationError: the bytes are none of those, or are damaged.
    """
    refusal = ValidationError(
        "data is not a readable MP4, PNG, JPEG, GIF or WAV file; pass the complete file's bytes.",
        field="data",
    )
    try:
        if data[4:8] == b"ftyp":
            return _probe_mp4(data)
        if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
            return _probe_wav(data)
        if data[:8] == b"\x89PNG\r\n\x1a\n" or data[:3] in (b"\xff\xd8\xff", b"GIF"):
            return _probe_picture(data)
    except ValidationError as exc:
        raise refusal from exc
    except (av.error.FFmpegError, UnidentifiedImageError, OSError, EOFError, wave.Error) as exc:
        raise refusal from exc
    raise refusal
