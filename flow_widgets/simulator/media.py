"""Real media for the simulator: every product the API returns, synthesized from its arguments.

Why: a classroom demo must look alive and a browser must really play what it gets, so the
simulator returns genuine H.264/AAC MP4 (faststart, yuv420p), PNG/JPEG, animated GIF and WAV,
each showing the prompt, the model and the seed over moving colour. Every function is pure
(bytes in, bytes out), safe to call from worker threads, and deterministic: the same arguments
give the same bytes, a different seed gives different bytes.

Sizes are deliberately modest so an 8 s clip encodes in well under a second on a small machine:
``720p`` clips are 640×360 (landscape), 360×640 (portrait), 480×480 (1:1), 480×360 (4:3) and
360×480 (3:4); ``360p`` halves each side. Upscales have the true target dimensions (1080 or 2160
pixels on the short side) and the source's exact duration, but a lower frame rate (12 fps for
1080p, 4 fps for 4K): encoding cost grows with pixels × frames, and 4K at 24 fps would take
tens of seconds per clip here. The picture still moves and plays in any browser.

Bad arguments raise :class:`~flow_widgets.errors.ValidationError` naming the API field.
"""

from __future__ import annotations

import io
from collections.abc import Collection, Sequence

import numpy as np
from PIL import Image

from flow_widgets.errors import ValidationError
from flow_widgets.simulator import _audio, _drawing
from flow_widgets.simulator._codec import (
    FPS,
    Mp4Writer,
    decode_audio,
    resampled_frames,
    video_facts,
)
from flow_widgets.simulator._probe import MediaInfo, probe
from flow_widgets.simulator.scene import Scene, lightning_times

__all__ = [
    "FPS",
    "MediaInfo",
    "concat_videos",
    "extend_video",
    "image_size",
    "probe",
    "render_gif",
    "render_image",
    "render_thumbnail",
    "render_video",
    "render_voice_sample",
    "upscale_image",
    "upscale_video",
    "video_size",
]

_ASPECTS = {
    "landscape": (16, 9),
    "16:9": (16, 9),
    "portrait": (9, 16),
    "9:16": (9, 16),
    "1:1": (1, 1),
    "4:3": (4, 3),
    "3:4": (3, 4),
}
_VIDEO_SIZES = {(16, 9): (640, 360), (9, 16): (360, 640), (1, 1): (480, 480)}
_VIDEO_SIZES |= {(4, 3): (480, 360), (3, 4): (360, 480)}
_VIDEO_SCALE = {"720p": 1, "360p": 2}
_UPSCALE_SHORT_SIDE = {"720p": 720, "1080p": 1080, "4k": 2160}
_UPSCALE_FPS = {"720p": 24, "1080p": 12, "4k": 4}
_IMAGE_LONG_SIDE = 1024
_IMAGE_UPSCALE_LONG_SIDE = {"2k": 2048, "4k": 4096}
_MAX_SECONDS = 60.0
_EXTEND_SECONDS = 8.0
_OVERLAP_SECONDS = 1.0
_GIF_LONG_SIDE = 320
_GIF_MAX_FRAMES = 120
_BADGE = "flow_widgets simulator"


def _ratio(aspect: str) -> tuple[int, int]:
    ratio = _ASPECTS.get(aspect.strip().lower()) if isinstance(aspect, str) else None
    if ratio is None:
        choices = ", ".join(_ASPECTS)
        raise ValidationError(
            f"aspectRatio {aspect!r} is not supported; use one of {choices}.", field="aspectRatio"
        )
    return ratio


def _choice(value: str, choices: Collection[str], field: str) -> str:
    key = value.strip().lower() if isinstance(value, str) else ""
    if key not in choices:
        raise ValidationError(
            f"{field} {value!r} is not supported; use one of {', '.join(choices)}.", field=field
        )
    return key


def _even(value: float) -> int:
    return max(2, round(value / 2.0) * 2)


def video_size(aspect: str, resolution: str = "720p") -> tuple[int, int]:
    """Pixel size of a synthesized clip, for example ``video_size("portrait") == (360, 640)``."""
    width, height = _VIDEO_SIZES[_ratio(aspect)]
    divisor = _VIDEO_SCALE[_choice(resolution, _VIDEO_SCALE, "resolution")]
    return _even(width / divisor), _even(height / divisor)


def image_size(aspect: str, long_side: int = _IMAGE_LONG_SIDE) -> tuple[int, int]:
    """Pixel size of a synthesized image, for example ``image_size("4:3") == (1024, 768)``."""
    across, down = _ratio(aspect)
    scale = long_side / max(across, down)
    return round(across * scale), round(down * scale)


def _clip_frames(
    writer: Mp4Writer,
    backdrop: Scene | _Scroll,
    caption: _drawing.CaptionLayer,
    *,
    count: int,
    progress_from: float = 0.0,
    progress_total: float | None = None,
) -> None:
    total = progress_total if progress_total is not None else count / FPS
    for index in range(count):
        seconds = index / FPS
        frame = caption.apply(backdrop.frame(seconds))
        writer.write(_drawing.progress_bar(frame, (progress_from + seconds) / total))


def render_video(
    *,
    prompt: str,
    model: str,
    seed: int,
    duration: float,
    aspect: str,
    resolution: str = "720p",
    audio: bool = True,
) -> bytes:
    """An H.264/AAC MP4 of ``duration`` seconds showing the prompt, model and seed.

    >>> probe(render_video(prompt="a fox", model="veo-3.1-fast", seed=1, duration=1,
    ...                    aspect="portrait")).height
    640
    """
    if not 0 < duration <= _MAX_SECONDS:
        raise ValidationError(
            f"duration {duration!r} is out of range; use a number of seconds above 0 and at most"
            f" {_MAX_SECONDS:g}.",
            field="duration",
        )
    width, height = video_size(aspect, resolution)
    count = max(1, round(duration * FPS))
    caption = _drawing.caption_layer(
        width,
        height,
        title=prompt,
        details=f"{model} · seed {seed} · {duration:g} s · {aspect}",
        badge=_BADGE,
        label=True,
    )
    scene = Scene(prompt, seed=seed, width=width, height=height, duration=count / FPS)
    sound = _soundtrack(scene, count / FPS) if audio else None
    with Mp4Writer(width, height, audio=sound) as writer:
        _clip_frames(writer, scene, caption, count=count)
        return writer.finish()


def render_thumbnail(*, prompt: str, seed: int, aspect: str, duration: float = 8.0) -> bytes:
    """A JPEG of the first frame of the clip with this prompt, seed and length, at its size."""
    width, height = video_size(aspect)
    caption = _drawing.caption_layer(
        width, height, title=prompt, details=f"seed {seed} · {aspect}", badge=_BADGE, label=True
    )
    count = max(1, round(duration * FPS)) if 0 < duration <= _MAX_SECONDS else 8 * FPS
    scene = Scene(prompt, seed=seed, width=width, height=height, duration=count / FPS)
    frame = caption.apply(scene.frame(0.0))
    return _encode_image(Image.fromarray(frame), "jpeg")


def _encode_image(picture: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    if fmt == "png":
        picture.save(buffer, format="PNG", compress_level=4)
    else:
        picture.save(buffer, format="JPEG", quality=88)
    return buffer.getvalue()


def render_image(*, prompt: str, model: str, seed: int, aspect: str, fmt: str = "png") -> bytes:
    """A PNG or JPEG (``fmt``) of the requested aspect ratio showing the prompt, model and seed.

    The long side is 1024 pixels; light falls off towards the corners so it reads as a still.
    """
    kind = _choice(fmt, ("png", "jpeg", "jpg"), "fmt")
    width, height = image_size(aspect)
    scene = Scene(prompt, seed=seed, width=width, height=height, duration=1.0)
    ys, xs = np.ogrid[-1.0 : 1.0 : height * 1j, -1.0 : 1.0 : width * 1j]
    light = 1.12 - 0.38 * (xs * xs + ys * ys)
    lit = np.clip(scene.frame(0.0) * light[..., None], 0, 255).astype(np.uint8)
    caption = _drawing.caption_layer(
        width,
        height,
        title=prompt,
        details=f"{model} · seed {seed} · {aspect}",
        badge=f"{_BADGE} · image",
        label=True,
    )
    return _encode_image(Image.fromarray(caption.apply(lit)), "png" if kind == "png" else "jpeg")


def _soundtrack(scene: Scene, seconds: float) -> _audio.Samples:
    """The seed's chord under the ambience the prompt asks for (rain, wind, waves, ...)."""
    reading = scene.reading
    kinds = [w.sound for w in reading.weather]
    if reading.setting is not None and reading.setting.sound:
        kinds.append(reading.setting.sound)
    return _audio.ambience(
        _audio.chord(scene.seed, seconds),
        kinds,
        seed=scene.seed,
        thunder=lightning_times(scene.seed, seconds) if "storm" in kinds else [],
    )


def render_gif(video: bytes) -> bytes:
    """An animated GIF preview of an MP4: at most 320 px across, 10 fps, 120 frames, looping."""
    width, height, duration = video_facts(video, field="mediaGenerationId")
    scale = min(1.0, _GIF_LONG_SIDE / max(width, height))
    size = (_even(width * scale), _even(height * scale))
    fps = min(10.0, _GIF_MAX_FRAMES / max(duration, 0.1))
    frames = [
        Image.fromarray(frame.reformat(width=size[0], height=size[1], format="rgb24").to_ndarray())
        for frame in resampled_frames(video, fps=fps)
    ]
    if not frames:
        raise ValidationError(
            "mediaGenerationId points to a video without frames; pass a playable video.",
            field="mediaGenerationId",
        )
    sample = frames[:: max(1, len(frames) // 8)][:8]
    mosaic = Image.new("RGB", (size[0], size[1] * len(sample)))
    for row, picture in enumerate(sample):
        mosaic.paste(picture, (0, row * size[1]))
    shared = mosaic.quantize(colors=128, method=Image.Quantize.MEDIANCUT)
    indexed = [f.quantize(palette=shared, dither=Image.Dither.NONE) for f in frames]
    buffer = io.BytesIO()
    indexed[0].save(
        buffer,
        format="GIF",
        save_all=True,
        append_images=indexed[1:],
        duration=round(1000 / fps),
        loop=0,
    )
    return buffer.getvalue()


def _sound_of(data: bytes, *, start: float, frames: int) -> _audio.Samples:
    """The sound of ``data`` from ``start`` seconds for as long as ``frames`` video frames."""
    track = decode_audio(data)[:, round(start * _audio.AUDIO_RATE) :]
    return _audio.fit_length(track, frames * _audio.AUDIO_RATE // FPS)


def concat_videos(clips: Sequence[tuple[bytes, float, float]]) -> bytes:
    """Join ``(data, trim_start, trim_end)`` clips in order into one MP4 at the first clip's size.

    Each clip keeps ``duration - trim_start - trim_end`` seconds (to the nearest frame); its
    sound is cut to the same window, and seams are faded so they do not click.
    """
    if not clips:
        raise ValidationError("media is empty; pass at least one clip to join.", field="media")
    plans: list[tuple[bytes, float, int]] = []
    size: tuple[int, int] | None = None
    for index, (data, trim_start, trim_end) in enumerate(clips):
        width, height, duration = video_facts(data, field=f"media[{index}].mediaGenerationId")
        size = size or (_even(width), _even(height))
        for name, trim in (("trimStart", trim_start), ("trimEnd", trim_end)):
            if not trim >= 0:
                raise ValidationError(
                    f"media[{index}].{name} is {trim!r}; use a number of seconds of 0 or more.",
                    field=name,
                )
        count = round((duration - trim_start - trim_end) * FPS)
        if count < 1:
            raise ValidationError(
                f"media[{index}] trims {trim_start:g} s + {trim_end:g} s leave nothing of a"
                f" {duration:g} s clip; make the trims add up to less than its length.",
                field="trimStart",
            )
        plans.append((data, float(trim_start), count))
    assert size is not None
    sound = np.zeros((2, 0), dtype=np.float32)
    for data, trim_start, count in plans:
        sound = _audio.join(sound, _sound_of(data, start=trim_start, frames=count))
    with Mp4Writer(*size, audio=sound) as writer:
        for data, trim_start, count in plans:
            for frame in resampled_frames(data, start=trim_start, count=count):
                writer.write(frame)
        return writer.finish()


class _Scroll:
    """A picture that keeps sliding sideways, mirrored at its edges so the motion never ends.

    An extension starts on the source's last frame and moves on from it, so its first new
    frame is that frame again and the colours, horizon and figures carry on.
    """

    def __init__(self, picture: np.ndarray, *, speed: float = 60.0) -> None:
        self._strip = np.concatenate([picture, picture[:, ::-1], picture], axis=1)
        self._period = 2 * picture.shape[1]
        self._width = picture.shape[1]
        self._speed = speed * picture.shape[0] / 360.0

    def frame(self, seconds: float) -> np.ndarray:
        shift = round(seconds * self._speed) % self._period
        frame: np.ndarray = self._strip[:, shift : shift + self._width].copy()
        return frame


def extend_video(source: bytes, *, prompt: str, seed: int) -> bytes:
    """An 8 s continuation of ``source``: its last second again, then new footage that flows on.

    As with Veo, the first second overlaps the end of the source (join with ``trimStart=1``);
    the new part slides on from the source's last frame and carries an "extended" caption.
    """
    width, height, duration = video_facts(source, field="mediaGenerationId")
    width, height = _even(width), _even(height)
    overlap = max(1, round(min(_OVERLAP_SECONDS, duration) * FPS))
    total = round(_EXTEND_SECONDS * FPS)
    start = max(0.0, duration - overlap / FPS)
    repeated = list(resampled_frames(source, start=start, count=overlap))
    last = repeated[-1].reformat(width=width, height=height, format="rgb24").to_ndarray()
    backdrop = _Scroll(last)
    caption = _drawing.caption_layer(
        width,
        height,
        title=prompt,
        details=f"extended · seed {seed} · {_EXTEND_SECONDS:g} s",
        badge=f"{_BADGE} · extended",
    )
    head = _sound_of(source, start=start, frames=overlap)
    fresh = _audio.chord(seed, (total - overlap) / FPS)
    with Mp4Writer(width, height, audio=_audio.join(head, fresh)) as writer:
        for frame in repeated:
            writer.write(frame)
        _clip_frames(
            writer,
            backdrop,
            caption,
            count=total - overlap,
            progress_from=overlap / FPS,
            progress_total=_EXTEND_SECONDS,
        )
        return writer.finish()


def upscale_video(source: bytes, resolution: str) -> bytes:
    """``source`` scaled to ``720p``, ``1080p`` or ``4K`` (short side 720 / 1080 / 2160), same
    length and sound.

    The frame rate drops to bound the encoding time (see the module docstring).
    """
    key = _choice(resolution, _UPSCALE_SHORT_SIDE, "resolution")
    width, height, duration = video_facts(source, field="mediaGenerationId")
    scale = _UPSCALE_SHORT_SIDE[key] / min(width, height)
    fps = _UPSCALE_FPS[key]
    count = max(1, round(duration * fps))
    track = decode_audio(source)
    sound = _audio.fit_length(track, round(count / fps * _audio.AUDIO_RATE)) if track.size else None
    with Mp4Writer(_even(width * scale), _even(height * scale), fps=fps, audio=sound) as writer:
        for frame in resampled_frames(source, fps=fps, count=count):
            writer.write(frame)
        return writer.finish()


def upscale_image(source: bytes, resolution: str) -> bytes:
    """A JPEG of ``source`` with its long side at 2048 (``2k``) or 4096 (``4k``) pixels."""
    long_side = _IMAGE_UPSCALE_LONG_SIDE[
        _choice(resolution, _IMAGE_UPSCALE_LONG_SIDE, "resolution")
    ]
    try:
        with Image.open(io.BytesIO(source)) as opened:
            picture = opened.convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ValidationError(
            "mediaGenerationId is not a readable image; pass the bytes of a PNG or JPEG.",
            field="mediaGenerationId",
        ) from exc
    scale = long_side / max(picture.size)
    target = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
    return _encode_image(picture.resize(target, Image.Resampling.BICUBIC), "jpeg")


def render_voice_sample(*, text: str, seed: int) -> bytes:
    """A short mono WAV whose tone "syllables" follow the words of ``text`` (at most 24)."""
    return _audio.voice_wav(text, seed)
