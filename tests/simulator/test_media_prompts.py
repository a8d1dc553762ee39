"""Offline, the picture answers the prompt: pairs of prompts that differ in one element.

Everything is measured from decoded frames (PyAV) and decoded images (Pillow), never from the
lexicon: a class should *see* the difference, so the test looks at what a viewer gets.
"""

from __future__ import annotations

import io

import av
import numpy as np
import pytest
from PIL import Image

from flow_widgets.simulator import lexicon, media

LABEL_ROWS = 80  # the small label along the top edge; the picture is below it


def clip(prompt: str, *, seconds: float = 2.0, seed: int = 7) -> bytes:
    return media.render_video(
        prompt=prompt, model="veo-3.1-fast", seed=seed, duration=seconds, aspect="landscape"
    )


def frames(data: bytes) -> list[np.ndarray]:
    with av.open(io.BytesIO(data)) as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]


def picture(prompt: str, **kwargs: object) -> np.ndarray:
    """The frame one second in, below the label and above the progress bar, as floats."""
    return frames(clip(prompt, **kwargs))[24][LABEL_ROWS:-8].astype(np.float64)  # type: ignore[arg-type]


def luminance(pixels: np.ndarray) -> np.ndarray:
    return pixels @ np.array([0.299, 0.587, 0.114])


def saturation(pixels: np.ndarray) -> np.ndarray:
    return pixels.max(axis=-1) - pixels.min(axis=-1)


def box_mean(values: np.ndarray, radius: int) -> np.ndarray:
    """Mean over a (2r+1)² square around each pixel (edges clamped), by summed-area table."""
    padded = np.pad(values, radius + 1, mode="edge")
    table = padded.cumsum(0).cumsum(1)
    size = 2 * radius + 1
    total = (
        table[size:, size:] - table[:-size, size:] - table[size:, :-size] + table[:-size, :-size]
    )
    return total[: values.shape[0], : values.shape[1]] / size**2


def specks(pixels: np.ndarray) -> int:
    """Pixels clearly brighter than their surroundings: small bright points such as flakes."""
    light = luminance(pixels)
    return int(((light - box_mean(light, 4)) > 40).sum())


def shift_between(first: np.ndarray, second: np.ndarray) -> tuple[int, int]:
    """``(dy, dx)``: how far the content of ``first`` moved to become ``second``.

    Phase correlation: the inverse transform of the normalised cross-power spectrum peaks at the
    translation between the two pictures.
    """
    a, b = luminance(first), luminance(second)
    a, b = a - a.mean(), b - b.mean()
    window = np.outer(np.hanning(a.shape[0]), np.hanning(a.shape[1]))
    spectrum = np.fft.fft2(b * window) * np.conj(np.fft.fft2(a * window))
    spectrum /= np.abs(spectrum) + 1e-9
    peak = np.fft.ifft2(spectrum).real
    dy, dx = np.unravel_index(int(np.argmax(peak)), peak.shape)
    height, width = peak.shape
    return (dy - height if dy > height // 2 else dy), (dx - width if dx > width // 2 else dx)


# --------------------------------------------------------------------------- light


def test_night_is_darker_than_noon() -> None:
    noon = luminance(picture("a meadow at noon")).mean()
    night = luminance(picture("a meadow at night")).mean()
    assert night < 0.5 * noon, (night, noon)


def test_golden_hour_is_warmer_than_overcast() -> None:
    def warmth(prompt: str) -> float:
        pixels = picture(prompt)
        return float((pixels[..., 0] - pixels[..., 2]).mean())

    golden, overcast = warmth("a beach at golden hour"), warmth("a beach, overcast")
    assert golden > overcast + 25, (golden, overcast)


# --------------------------------------------------------------------------- weather


def test_snow_adds_many_small_bright_specks() -> None:
    clear = specks(picture("a forest at dusk"))
    snowy = specks(picture("a forest at dusk in falling snow"))
    assert snowy > 800 and snowy > 5 * max(clear, 1), (clear, snowy)


def test_rain_sounds_like_rain() -> None:
    def hiss(prompt: str) -> float:
        """Share of the sound's energy above 2 kHz (rain is broadband; the chord is low)."""
        with av.open(io.BytesIO(clip(prompt))) as container:
            sound = np.concatenate(
                [f.to_ndarray()[0] for f in container.decode(audio=0)], axis=-1
            ).astype(np.float64)
        power = np.abs(np.fft.rfft(sound)) ** 2
        frequencies = np.fft.rfftfreq(sound.size, 1 / 48_000)
        return float(power[frequencies > 2000].sum() / power.sum())

    assert hiss("a city street in heavy rain") > 20 * hiss("a city street at noon")


# --------------------------------------------------------------------------- camera


@pytest.mark.parametrize("seed", [7, 8])
def test_pan_right_and_pan_left_move_the_frame_in_opposite_directions(seed: int) -> None:
    def motion(prompt: str) -> tuple[int, int]:
        decoded = frames(clip(prompt, seed=seed))
        ground = slice(250, 350)  # below the label and the sky, above the progress bar
        return shift_between(decoded[12][ground], decoded[36][ground])

    right = motion("a forest with a red house, the camera pans right")
    left = motion("a forest with a red house, the camera pans left")
    still = motion("a forest with a red house, static camera")
    # Panning right moves the scenery leftwards through the frame, and the other way round.
    assert right[1] < -20 and left[1] > 20, (right, left)
    assert abs(right[1] + left[1]) <= 4 and abs(still[1]) <= 1, (right, left, still)


def test_zoom_in_makes_the_scene_grow() -> None:
    decoded = frames(clip("a red car in a city at noon, slow zoom in"))
    start, end = decoded[0][LABEL_ROWS:-8], decoded[-1][LABEL_ROWS:-8]
    red = [((f[..., 0] > 150) & (f[..., 1] < 80) & (f[..., 2] < 80)).sum() for f in (start, end)]
    assert red[1] > 1.3 * red[0] > 0, red


# --------------------------------------------------------------------------- style, subjects


def test_black_and_white_has_no_saturation() -> None:
    colour = saturation(picture("a red car on a beach at golden hour"))
    grey = saturation(picture("a red car on a beach at golden hour, black and white"))
    assert colour.mean() > 40
    assert grey.mean() < 3 and np.percentile(grey, 99) < 10, (grey.mean(), grey.max())


def test_two_subjects_differ_in_the_subjects_region_only() -> None:
    empty = picture("a meadow at noon")
    ball, car = picture("a red ball in a meadow at noon"), picture("a red car in a meadow at noon")
    region = (np.abs(car - empty).max(axis=-1) > 40) | (np.abs(ball - empty).max(axis=-1) > 40)
    rows, columns = np.flatnonzero(region.any(axis=1)), np.flatnonzero(region.any(axis=0))
    assert rows.size and columns.size
    box = (slice(rows[0], rows[-1] + 1), slice(columns[0], columns[-1] + 1))
    inside = np.abs(ball[box] - car[box]).mean()
    outside_mask = np.ones(region.shape, dtype=bool)
    outside_mask[box] = False
    outside = np.abs(ball - car).max(axis=-1)[outside_mask].mean()
    assert inside > 25 and outside < 1.5, (inside, outside)
    # The subject takes the colour word in front of it.
    blue = picture("a blue car in a meadow at noon")
    assert blue[box][..., 2].mean() > car[box][..., 2].mean() + 20


def test_unknown_words_change_nothing_in_the_picture() -> None:
    known = picture("a meadow at noon")
    padded = picture("a meadow at noon, zorblax quimbly frobnicated")
    changed = np.abs(known - padded).max(axis=-1)
    # The label's text differs, so the encoder's rounding may move a few levels; nothing more.
    assert changed.mean() < 1.5 and (changed > 24).mean() < 0.001, changed.mean()


def test_images_answer_the_prompt_too() -> None:
    def still(prompt: str) -> np.ndarray:
        data = media.render_image(prompt=prompt, model="nano-banana-2", seed=3, aspect="16:9")
        return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=np.float64)[140:]

    assert (
        luminance(still("a lake at night")).mean() < 0.5 * luminance(still("a lake at noon")).mean()
    )
    assert saturation(still("a lake at noon, monochrome")).mean() < 3


def test_the_lexicon_is_one_readable_table() -> None:
    reading = lexicon.read("A golden retriever puppy chases a red ball, slow pan right, neon")
    assert reading.found == ("golden", "dog", "red", "ball", "pan right", "neon")
    assert [figure.colour for figure in reading.figures] == [
        lexicon.COLOURS["golden | gold"],
        lexicon.COLOURS["red"],
    ]


def test_the_thumbnail_is_the_first_frame_of_a_clip_of_any_length() -> None:
    prompt = "a red car and a yellow bus in a city at noon"
    first = frames(clip(prompt, seconds=4.0))[0][LABEL_ROWS:-8].astype(np.float64)
    jpeg = media.render_thumbnail(prompt=prompt, seed=7, aspect="landscape", duration=4.0)
    thumbnail = np.asarray(Image.open(io.BytesIO(jpeg)).convert("RGB"), dtype=np.float64)
    assert np.abs(thumbnail[LABEL_ROWS:-8] - first).mean() < 4


def test_tilts_aerial_low_angle_and_handheld_frame_the_scene_as_they_say() -> None:
    def motion(prompt: str, first: int, second: int) -> tuple[int, int]:
        decoded = frames(clip(prompt))
        below_label = slice(90, 350)
        return shift_between(decoded[first][below_label], decoded[second][below_label])

    # Tilting up moves the scenery down through the frame, tilting down moves it up.
    up = motion("a city street at noon, camera tilts up", 12, 36)
    down = motion("a city street at noon, camera tilts down", 12, 36)
    assert up[0] > 20 and down[0] < -20 and up[1] == down[1] == 0, (up, down)

    def sky_share(prompt: str) -> float:
        pixels = picture(prompt)
        blue = (pixels[..., 2] > pixels[..., 1] + 10) & (pixels[..., 2] > pixels[..., 0] + 10)
        return float(blue.mean())

    aerial, plain, low = (sky_share(f"a meadow at noon{camera}") for camera in
                          (", aerial drone shot", "", ", low angle"))  # fmt: skip
    assert aerial < plain - 0.1 and low > plain + 0.1, (aerial, plain, low)

    shaky = [motion("a forest with a red house, handheld", n, n + 3) for n in (10, 30)]
    steady = [motion("a forest with a red house", n, n + 3) for n in (10, 30)]
    assert any(shift != (0, 0) for shift in shaky) and all(s == (0, 0) for s in steady)
