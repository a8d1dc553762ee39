"""The simulator's media are real: decoded here with PyAV and Pillow, never trusted by size."""

from __future__ import annotations

import io
import struct
import wave
from concurrent.futures import ThreadPoolExecutor

import av
import numpy as np
import pytest
from PIL import Image

from flow_widgets.errors import ValidationError
from flow_widgets.simulator import media
from flow_widgets.simulator._drawing import _font, printable_text, wrap_text

VIDEO_SIZES = {
    "landscape": (640, 360),
    "16:9": (640, 360),
    "portrait": (360, 640),
    "9:16": (360, 640),
    "1:1": (480, 480),
    "4:3": (480, 360),
    "3:4": (360, 480),
}
IMAGE_SIZES = {"16:9": (1024, 576), "9:16": (576, 1024), "1:1": (1024, 1024), "4:3": (1024, 768)}
HOSTILE_PROMPTS = {
    "huge": "a very long prompt " * 5300,
    "rtl": "שלום עולם مرحبا بالعالم",
    "emoji": "🦊🔥 fox on fire 👩‍👩‍👧 family 🇫🇷",
    "markup": "</script><script>alert('x')</script> & <b>bold</b>",
    "nul": "before\x00after\x1b[31m red \u202e reversed \ufeff",
}


def video(**overrides: object) -> bytes:
    arguments: dict[str, object] = {
        "prompt": "A red fox runs through snowy woods at dawn",
        "model": "veo-3.1-fast",
        "seed": 42,
        "duration": 1.0,
        "aspect": "landscape",
    }
    arguments.update(overrides)
    return media.render_video(**arguments)  # type: ignore[arg-type]


def decoded_frames(data: bytes) -> list[tuple[float, np.ndarray]]:
    with av.open(io.BytesIO(data)) as container:
        return [
            (float(frame.time or 0.0), frame.to_ndarray(format="rgb24"))
            for frame in container.decode(video=0)
        ]


def frame_at(data: bytes, seconds: float) -> np.ndarray:
    frames = decoded_frames(data)
    return min(frames, key=lambda item: abs(item[0] - seconds))[1]


def audio_seconds(data: bytes) -> float:
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        samples = sum(frame.samples for frame in container.decode(stream))
        return samples / stream.codec_context.sample_rate


def top_level_boxes(data: bytes) -> list[str]:
    boxes, offset = [], 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        if size == 1:
            size = struct.unpack(">Q", data[offset + 8 : offset + 16])[0]
        boxes.append(kind.decode("ascii"))
        offset += size if size else len(data)
    return boxes


def difference(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


@pytest.fixture(scope="module")
def eight_seconds() -> bytes:
    return video(duration=8.0)


# --------------------------------------------------------------------------- video


def test_an_eight_second_clip_is_browser_ready_h264_with_aac(eight_seconds: bytes) -> None:
    info = media.probe(eight_seconds)
    assert (info.kind, info.format, info.video_codec, info.audio_codec) == (
        "video",
        "mp4",
        "h264",
        "aac",
    )
    assert info.pixel_format == "yuv420p"
    assert info.duration == pytest.approx(8.0, abs=0.1)
    assert info.frames == 192
    assert info.has_audio
    assert len(decoded_frames(eight_seconds)) == 192
    assert audio_seconds(eight_seconds) == pytest.approx(8.0, abs=0.1)


def test_the_moov_atom_comes_before_the_media_data(eight_seconds: bytes) -> None:
    boxes = top_level_boxes(eight_seconds)
    assert boxes[0] == "ftyp"
    assert boxes.index("moov") < boxes.index("mdat")


@pytest.mark.parametrize(("aspect", "size"), VIDEO_SIZES.items())
def test_each_aspect_ratio_has_its_own_frame_size(aspect: str, size: tuple[int, int]) -> None:
    info = media.probe(video(aspect=aspect, duration=0.5))
    assert (info.width, info.height) == size
    assert info.duration == pytest.approx(0.5, abs=0.1)


@pytest.mark.parametrize("seconds", [4.0, 6.0, 10.0])
def test_durations_are_honoured(seconds: float) -> None:
    data = video(duration=seconds, aspect="3:4")
    assert media.probe(data).duration == pytest.approx(seconds, abs=0.1)
    assert audio_seconds(data) == pytest.approx(seconds, abs=0.1)


def test_360p_halves_each_side_and_audio_can_be_left_out() -> None:
    info = media.probe(video(resolution="360p", audio=False))
    assert (info.width, info.height) == (320, 180)
    assert not info.has_audio and info.audio_codec is None


def test_colour_moves_during_the_clip(eight_seconds: bytes) -> None:
    start, later = frame_at(eight_seconds, 0.0), frame_at(eight_seconds, 2.0)
    assert difference(start[:40], later[:40]) > 10


def test_same_arguments_give_the_same_bytes_and_a_new_seed_new_bytes() -> None:
    first = video()
    assert video() == first
    other_seed = video(seed=43)
    assert other_seed != first
    assert difference(frame_at(first, 0.0), frame_at(other_seed, 0.0)) > 10
    assert video(prompt="A blue whale") != first
    assert video(model="omni-flash") != first


def test_rendering_from_several_threads_gives_the_same_bytes() -> None:
    seeds = [1, 2, 3, 4]
    alone = [video(seed=seed, duration=0.5) for seed in seeds]
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(lambda seed: video(seed=seed, duration=0.5), seeds))
    assert together == alone


@pytest.mark.parametrize("name", HOSTILE_PROMPTS)
def test_hostile_prompts_render(name: str) -> None:
    prompt = HOSTILE_PROMPTS[name]
    assert media.probe(video(prompt=prompt, duration=0.25)).frames == 6
    image = Image.open(
        io.BytesIO(media.render_image(prompt=prompt, model="m", seed=1, aspect="1:1"))
    )
    assert image.size == (1024, 1024)
    assert media.probe(media.render_thumbnail(prompt=prompt, seed=1, aspect="9:16")).height == 640


# --------------------------------------------------------------------------- text


def test_text_is_reduced_to_what_the_font_draws() -> None:
    assert printable_text("Café naïve") == "Cafe naive"
    assert printable_text("a\x00b\nc\t\td") == "a b c d"
    assert printable_text("fox 🦊") == "fox ?"
    assert printable_text("שלום") == "????"
    assert printable_text("x" * 50, limit=10) == "x" * 10 + "…"
    assert printable_text("</script>") == "</script>"


def test_wrapping_keeps_every_line_inside_the_width() -> None:
    font = _font(20)
    lines = wrap_text("word " * 200 + "x" * 400, font, 300, 5)
    assert len(lines) == 5
    assert lines[-1].endswith("…")
    assert all(font.getlength(line) <= 300 for line in lines)
    assert wrap_text("y" * 100, font, 120, 10)[0] == "y" * len(
        wrap_text("y" * 100, font, 120, 10)[0]
    )


# --------------------------------------------------------------------------- stills


@pytest.mark.parametrize(("aspect", "size"), IMAGE_SIZES.items())
@pytest.mark.parametrize("fmt", ["png", "jpeg"])
def test_images_decode_at_the_requested_aspect(
    aspect: str, size: tuple[int, int], fmt: str
) -> None:
    data = media.render_image(
        prompt="A cat astronaut", model="nano-banana-2", seed=3, aspect=aspect, fmt=fmt
    )
    with Image.open(io.BytesIO(data)) as picture:
        assert picture.format == fmt.upper()
        assert picture.size == size
        picture.load()
    assert media.probe(data).format == fmt


def test_images_depend_on_seed_and_prompt() -> None:
    def pixels(**changes: object) -> np.ndarray:
        arguments: dict[str, object] = {"prompt": "p", "model": "m", "seed": 1, "aspect": "1:1"}
        arguments.update(changes)
        data = media.render_image(**arguments)  # type: ignore[arg-type]
        return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))

    base = pixels()
    assert np.array_equal(base, pixels())
    assert difference(base, pixels(seed=2)) > 10
    assert difference(base, pixels(prompt="another prompt")) > 0.1


def test_the_thumbnail_is_the_first_frame_of_the_clip(eight_seconds: bytes) -> None:
    thumbnail = media.render_thumbnail(
        prompt="A red fox runs through snowy woods at dawn", seed=42, aspect="landscape"
    )
    info = media.probe(thumbnail)
    assert (info.kind, info.format, info.width, info.height) == ("image", "jpeg", 640, 360)
    picture = np.asarray(Image.open(io.BytesIO(thumbnail)).convert("RGB"))
    first = frame_at(eight_seconds, 0.0)
    # The caption's details line differs (no model); the backdrop must match.
    assert difference(picture[280:340], first[280:340]) < 6
    other = np.asarray(
        Image.open(io.BytesIO(media.render_thumbnail(prompt="x", seed=7, aspect="landscape")))
    )
    assert difference(other[280:340], first[280:340]) > 10


def test_the_gif_is_a_real_animation(eight_seconds: bytes) -> None:
    data = media.render_gif(eight_seconds)
    info = media.probe(data)
    assert (info.kind, info.format, info.width, info.height) == ("gif", "gif", 320, 180)
    assert info.frames >= 40
    assert info.duration == pytest.approx(8.0, abs=0.2)
    with Image.open(io.BytesIO(data)) as picture:
        first = np.asarray(picture.convert("RGB"))
        picture.seek(info.frames // 2)
        middle = np.asarray(picture.convert("RGB"))
    assert difference(first, middle) > 5
    assert media.render_gif(eight_seconds) == data


# --------------------------------------------------------------------------- edits


def test_concatenation_keeps_the_trimmed_parts_in_order(eight_seconds: bytes) -> None:
    short = video(seed=9, duration=2.0)
    joined = media.concat_videos(
        [(eight_seconds, 0.0, 0.0), (short, 0.5, 0.25), (eight_seconds, 1.0, 6.0)]
    )
    info = media.probe(joined)
    assert info.duration == pytest.approx(8.0 + 1.25 + 1.0, abs=0.1)
    assert (info.width, info.height, info.has_audio) == (640, 360, True)
    assert audio_seconds(joined) == pytest.approx(10.25, abs=0.1)
    # The second part starts with the short clip's frame at 0.5 s.
    assert difference(frame_at(joined, 8.0), frame_at(short, 0.5)) < 6


def test_concatenation_refuses_trims_that_leave_nothing(eight_seconds: bytes) -> None:
    with pytest.raises(ValidationError, match=r"media\[1\].*less than its length") as caught:
        media.concat_videos([(eight_seconds, 0, 0), (eight_seconds, 5, 3)])
    assert caught.value.field == "trimStart"
    with pytest.raises(ValidationError, match="trimEnd"):
        media.concat_videos([(eight_seconds, 0, -1)])
    with pytest.raises(ValidationError) as empty:
        media.concat_videos([])
    assert empty.value.field == "media"


def test_extension_is_eight_seconds_that_pick_up_where_the_source_ends() -> None:
    source = video(duration=8.0, aspect="portrait", seed=5)
    extended = media.extend_video(source, prompt="the fox leaps over a stream", seed=11)
    info = media.probe(extended)
    assert (info.width, info.height, info.has_audio) == (360, 640, True)
    assert info.duration == pytest.approx(8.0, abs=0.1)
    # First second: the source's last second again (the documented overlap).
    assert difference(frame_at(extended, 0.0), frame_at(source, 7.0)) < 6
    # Then new footage whose colours carry on from the source's last frame.
    last, fresh = frame_at(source, 8.0), frame_at(extended, 1.0)
    assert difference(last[:8], fresh[:8]) < 12
    assert difference(last[250:400], fresh[250:400]) > 5  # a new caption
    assert media.extend_video(source, prompt="the fox leaps over a stream", seed=11) == extended


@pytest.mark.parametrize(
    ("aspect", "resolution", "size"),
    [
        ("landscape", "1080p", (1920, 1080)),
        ("portrait", "1080p", (1080, 1920)),
        ("4:3", "4K", (2880, 2160)),
    ],
)
def test_upscaled_video_has_the_target_size_and_the_same_length(
    aspect: str, resolution: str, size: tuple[int, int]
) -> None:
    source = video(duration=1.5, aspect=aspect)
    upscaled = media.upscale_video(source, resolution)
    info = media.probe(upscaled)
    assert (info.width, info.height) == size
    assert info.duration == pytest.approx(1.5, abs=0.1)
    assert (info.video_codec, info.pixel_format, info.has_audio) == ("h264", "yuv420p", True)
    assert len(upscaled) > len(source)


@pytest.mark.parametrize(("resolution", "long_side"), [("2k", 2048), ("4k", 4096)])
def test_upscaled_images_are_larger_jpegs(resolution: str, long_side: int) -> None:
    source = media.render_image(prompt="p", model="nano-banana-2", seed=1, aspect="9:16")
    data = media.upscale_image(source, resolution)
    with Image.open(io.BytesIO(data)) as picture:
        assert picture.format == "JPEG"
        assert picture.size == (long_side * 9 // 16, long_side)


# --------------------------------------------------------------------------- voices and probe


def test_voice_samples_are_deterministic_wav_files() -> None:
    data = media.render_voice_sample(text="Hello there, this is a test voice", seed=3)
    with wave.open(io.BytesIO(data)) as reader:
        assert (reader.getnchannels(), reader.getsampwidth()) == (1, 2)
        assert reader.getnframes() > reader.getframerate() // 2
    info = media.probe(data)
    assert (info.kind, info.format, info.has_audio) == ("audio", "wav", True)
    assert media.render_voice_sample(text="Hello there, this is a test voice", seed=3) == data
    assert media.render_voice_sample(text="Hello there, this is a test voice", seed=4) != data
    assert media.render_voice_sample(text="Something else entirely", seed=3) != data
    assert media.probe(media.render_voice_sample(text="", seed=1)).duration > 0.5


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: video(aspect="21:9"), "aspectRatio"),
        (lambda: video(resolution="8k"), "resolution"),
        (lambda: video(duration=0), "duration"),
        (lambda: video(duration=600), "duration"),
        (lambda: media.render_image(prompt="p", model="m", seed=1, aspect="1:1", fmt="bmp"), "fmt"),
        (lambda: media.upscale_video(b"not a video", "1080p"), "mediaGenerationId"),
        (lambda: media.upscale_image(b"not an image", "2k"), "mediaGenerationId"),
        (lambda: media.render_gif(b"\x00" * 64), "mediaGenerationId"),
        (lambda: media.probe(b"plain text"), "data"),
        (lambda: media.probe(b"\x89PNG\r\n\x1a\ntruncated"), "data"),
    ],
)
def test_bad_input_is_refused_with_one_sentence_naming_the_field(call: object, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        call()  # type: ignore[operator]
    assert caught.value.field == field
    message = str(caught.value)
    assert field in message and message.endswith(".") and "\n" not in message
