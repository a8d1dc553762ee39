"""Pictures that answer the prompt: a scene composed once from the lexicon, then framed per frame.

Why this shape: a clip is 24 frames a second and must encode in well under a second, so all the
drawing (sky, backdrop, figures, filters) happens once with Pillow and numpy into a canvas a
little larger than the frame. A frame is then a slice of that canvas where the camera points,
the drifting sky pasted where the sky shows, the moving figures pasted at their place, an
optional resize for zooms, and a few hundred particles set by index. What the prompt says comes
from :mod:`flow_widgets.simulator.lexicon`; a prompt with no place, light or weather keeps the
seeded drifting colour of earlier versions, so unknown words change nothing.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFilter

from flow_widgets.simulator import lexicon
from flow_widgets.simulator._drawing import palette

__all__ = ["Scene", "lightning_times"]

RGB = NDArray[np.uint8]
Colour = tuple[int, int, int]

_DAYLIGHT = lexicon.Light((90, 150, 230), (190, 215, 240), 0.95, sun=(255, 250, 225))
_SKY_DRIFT = 0.5  # share of the seeded drifting colour in a composed sky
_DRIFT_SPEED = 60.0  # pixels per second at 360 pixels high
_HAZE = (200, 205, 212)


def lightning_times(seed: int, seconds: float) -> list[float]:
    """When a storm's lightning flashes (seconds), shared by the picture and the thunder."""
    rng = random.Random(seed * 7919 + 17)
    times, at = [], rng.uniform(0.6, 1.6)
    while at < seconds - 0.2:
        times.append(at)
        at += rng.uniform(1.8, 3.2)
    return times


# ----------------------------------------------------------------------------- colour


def _mix(a: Colour, b: Colour, share: float) -> Colour:
    return (
        round(a[0] + (b[0] - a[0]) * share),
        round(a[1] + (b[1] - a[1]) * share),
        round(a[2] + (b[2] - a[2]) * share),
    )


def _scale(colour: Colour, factor: float) -> Colour:
    return (
        min(255, round(colour[0] * factor)),
        min(255, round(colour[1] * factor)),
        min(255, round(colour[2] * factor)),
    )


def _stylise(pixels: NDArray[np.float32], style: str) -> NDArray[np.float32]:
    """Apply a style filter to float RGB pixels in 0..255 (any leading shape)."""
    if not style:
        return pixels
    lum = pixels @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    grey = lum[..., None]
    if style == "mono":
        out = np.repeat(grey, 3, axis=-1) * 1.08 - 8.0
    elif style == "vintage":
        sepia = grey * np.array([1.07, 0.86, 0.62], dtype=np.float32)
        out = 0.8 * sepia + 0.2 * pixels
        out = out * 0.78 + 34.0
    elif style == "neon":
        vivid = grey + (pixels - grey) * 2.0
        out = vivid * 0.6 + np.array([30.0, 0.0, 45.0], dtype=np.float32)
    else:  # watercolour: soft, light and posterized like washes on paper
        washed = np.round(pixels / 48.0) * 48.0
        out = washed * 0.72 + np.array([70.0, 66.0, 58.0], dtype=np.float32)
    clipped: NDArray[np.float32] = np.clip(out, 0.0, 255.0).astype(np.float32)
    return clipped


def _finish(pixels: NDArray[np.float32], haze: float, style: str) -> RGB:
    if haze:
        pixels = pixels * (1.0 - haze) + np.asarray(_HAZE, dtype=np.float32) * haze
    finished: RGB = np.clip(_stylise(pixels, style) + 0.5, 0, 255).astype(np.uint8)
    return finished


# ----------------------------------------------------------------------------- backdrop


class _Painter:
    """Draws each shape into the picture and, as 'not sky', into the sky mask."""

    def __init__(self, picture: Image.Image, mask: Image.Image) -> None:
        self.pen = ImageDraw.Draw(picture)
        self.mask = ImageDraw.Draw(mask)

    def polygon(self, points: list[tuple[float, float]], fill: Colour) -> None:
        self.pen.polygon(points, fill=fill)
        self.mask.polygon(points, fill=0)

    def rectangle(self, box: tuple[float, float, float, float], fill: Colour) -> None:
        self.pen.rectangle(box, fill=fill)
        self.mask.rectangle(box, fill=0)

    def ellipse(self, box: tuple[float, float, float, float], fill: Colour) -> None:
        self.pen.ellipse(box, fill=fill)
        self.mask.ellipse(box, fill=0)


def _scatter(
    paint: _Painter, rng: random.Random, box: tuple[int, int, int, int], colours: list[Colour]
) -> None:
    """Small marks (grass, pebbles) so the ground has texture a camera move can be seen on."""
    left, top, right, bottom = box
    count = (right - left) * max(1, bottom - top) // 900
    for _ in range(count):
        x = rng.uniform(left, right)
        y = top + (bottom - top) * rng.random() ** 0.7
        depth = 0.4 + 1.2 * (y - top) / max(1, bottom - top)
        w, h = 2.0 * depth, 5.0 * depth
        paint.rectangle((x, y - h, x + w, y), rng.choice(colours))


def _draw_setting(
    paint: _Painter,
    rng: random.Random,
    name: str,
    size: tuple[int, int],
    horizon: int,
    ground: Colour,
    light: lexicon.Light,
    unit: float,
) -> None:
    width, height = size
    lit = light.brightness
    dark = _scale(ground, 0.7 * lit)
    light_ground = _scale(ground, 1.2 * lit)
    if name == "trees":
        for layer, (shade, top) in enumerate(((0.55, 0.32), (0.8, 0.22))):
            x = rng.uniform(-40, 0)
            while x < width:
                tall = unit * rng.uniform(top, top + 0.18) * 1.9
                half = tall * 0.28
                base = horizon + layer * unit * 0.12
                colour = _scale((40, 95 + layer * 15, 45), shade * lit)
                paint.rectangle((x - half * 0.12, base - tall * 0.15, x + half * 0.12, base), dark)
                paint.polygon(
                    [
                        (x - half, base - tall * 0.12),
                        (x + half, base - tall * 0.12),
                        (x, base - tall),
                    ],
                    colour,
                )
                x += rng.uniform(0.5, 1.1) * half * 2
    elif name == "buildings":
        x = rng.uniform(-30, 0)
        windows = (250, 220, 120) if lit < 0.6 else _scale((70, 90, 120), lit)
        while x < width:
            w = unit * rng.uniform(0.35, 0.7)
            h = unit * rng.uniform(0.4, 1.5)
            paint.rectangle((x, horizon - h, x + w - 3, horizon), _scale((75, 80, 95), lit + 0.1))
            for wy in np.arange(horizon - h + 8, horizon - 8, unit * 0.12):
                for wx in np.arange(x + 5, x + w - 10, unit * 0.1):
                    if rng.random() < 0.6:
                        paint.rectangle((wx, wy, wx + unit * 0.04, wy + unit * 0.05), windows)
            x += w
        for lane in range(0, width, max(8, round(unit * 0.35))):
            y = horizon + (height - horizon) * 0.55
            paint.rectangle((lane, y, lane + unit * 0.18, y + unit * 0.02), (230, 220, 160))
    elif name == "mountains":
        for far, shade in ((True, 0.75), (False, 0.55)):
            x = rng.uniform(-unit, 0)
            while x < width:
                w = unit * rng.uniform(1.2, 2.4)
                h = unit * rng.uniform(0.7, 1.4) * (1.2 if far else 0.8)
                base = horizon + (0 if far else unit * 0.05)
                rock = _scale((110, 115, 135) if far else (85, 95, 90), shade * lit + 0.2)
                peak = (x + w / 2, base - h)
                paint.polygon([(x, base), (x + w, base), peak], rock)
                cap = 0.28
                paint.polygon(
                    [
                        (peak[0] - w * cap / 2, peak[1] + h * cap),
                        (peak[0] + w * cap / 2, peak[1] + h * cap),
                        peak,
                    ],
                    _scale((245, 245, 250), lit),
                )
                x += w * rng.uniform(0.45, 0.8)
    elif name == "dunes":
        for index in range(6):
            cx = rng.uniform(0, width)
            w = unit * rng.uniform(1.5, 3.0)
            h = unit * rng.uniform(0.15, 0.3)
            y = horizon + index * unit * 0.08
            paint.ellipse(
                (cx - w, y - h, cx + w, y + h), _scale(ground, (0.8 + index * 0.05) * lit)
            )
        for _ in range(2):
            cx = rng.uniform(0, width)
            base = horizon + unit * 0.5
            paint.rectangle((cx - 4, base - unit * 0.4, cx + 4, base), _scale((60, 120, 60), lit))
            paint.rectangle(
                (cx - 14, base - unit * 0.28, cx - 4, base - unit * 0.24),
                _scale((60, 120, 60), lit),
            )
    elif name in ("waves", "beach"):
        sea_bottom = height if name == "waves" else horizon + (height - horizon) * 0.35
        sea = _scale((30, 90, 150), lit)
        paint.rectangle((0, horizon, width, sea_bottom), sea)
        for _ in range(width // 6):
            y = horizon + (sea_bottom - horizon) * rng.random() ** 1.5
            x = rng.uniform(0, width)
            w = unit * 0.05 * (1 + 3 * (y - horizon) / max(1, sea_bottom - horizon))
            paint.rectangle((x, y, x + w, y + max(1, unit * 0.01)), _scale((220, 235, 245), lit))
    elif name == "planet":
        r = min(unit * 0.35, horizon * 0.3)
        cx, cy = rng.uniform(width * 0.2, width * 0.8), horizon * 0.42
        paint.ellipse((cx - r, cy - r, cx + r, cy + r), (200, 120, 80))
        for _ in range(12):
            x, y = rng.uniform(0, width), rng.uniform(horizon, height)
            r2 = unit * rng.uniform(0.04, 0.12)
            paint.ellipse((x - r2, y - r2 * 0.4, x + r2, y + r2 * 0.4), (70, 70, 80))
    elif name == "snowfield":
        for _ in range(4):
            cx = rng.uniform(0, width)
            w, h = unit * rng.uniform(1.5, 3.0), unit * rng.uniform(0.15, 0.35)
            paint.ellipse((cx - w, horizon - h, cx + w, horizon + h), _scale((225, 232, 245), lit))
    elif name == "lake":
        cx = width / 2
        paint.ellipse(
            (cx - width * 0.4, horizon + unit * 0.1, cx + width * 0.4, horizon + unit * 0.7),
            _scale((60, 120, 180), lit),
        )
    if name in ("grass", "trees", "lake", "mountains"):
        _scatter(paint, rng, (0, horizon + 2, width, height), [dark, light_ground])
    elif name in ("beach", "dunes", "snowfield", "buildings", "planet"):
        top = horizon + (height - horizon) * (0.4 if name == "beach" else 0.05)
        _scatter(paint, rng, (0, round(top), width, height), [dark, light_ground])


# ----------------------------------------------------------------------------- figures


_Particles = tuple[str, NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], RGB]


@dataclass(frozen=True)
class _Sprite:
    pixels: RGB  # zero outside the figure
    keep: RGB  # 255 outside the figure, 0 inside: frame = (frame & keep) | pixels
    x: float  # world x at t = 0 (left edge)
    y: float  # world y of the top edge
    speed: float  # pixels per second


def _outline(colour: Colour) -> Colour:
    return _scale(colour, 0.45)


def _draw_figure(shape: str, colour: Colour, height: int) -> Image.Image:
    """A figure about ``height`` pixels tall facing right, on a transparent background."""
    h = max(8, height)
    w = round(
        h
        * {
            "car": 2.0,
            "bus": 2.8,
            "animal": 1.7,
            "plane": 2.4,
            "fish": 2.0,
            "bird": 1.8,
            "boat": 1.4,
            "bicycle": 1.6,
            "castle": 1.3,
            "house": 1.1,
        }.get(shape, 0.8)
    )
    picture = Image.new("RGBA", (w + 4, h + 4), (0, 0, 0, 0))
    pen = ImageDraw.Draw(picture)
    line = _outline(colour)
    stroke = max(1, h // 30)
    dark = (35, 35, 40)
    glass = (170, 210, 235)

    def shape_(kind: str, box: tuple[float, ...], fill: Colour = colour) -> None:
        if kind == "e":
            pen.ellipse(box, fill=fill, outline=line, width=stroke)
        elif kind == "r":
            pen.rectangle(box, fill=fill, outline=line, width=stroke)
        else:
            points = list(zip(box[::2], box[1::2], strict=True))
            pen.polygon(points, fill=fill, outline=line)

    if shape == "animal":
        for leg in (0.22, 0.34, 0.62, 0.74):
            shape_("r", (w * leg, h * 0.55, w * leg + w * 0.07, h))
        shape_("e", (w * 0.12, h * 0.3, w * 0.8, h * 0.7))
        shape_("e", (w * 0.68, h * 0.08, w * 0.98, h * 0.45))
        shape_("p", (w * 0.72, h * 0.14, w * 0.78, 0, w * 0.84, h * 0.12))
        shape_("p", (w * 0.14, h * 0.42, 0, h * 0.2, w * 0.04, h * 0.42))
    elif shape == "bird":
        shape_("p", (0, h * 0.1, w * 0.5, h * 0.5, w, h * 0.1, w * 0.5, h * 0.75))
        shape_("e", (w * 0.4, h * 0.4, w * 0.62, h * 0.7))
    elif shape == "fish":
        shape_("e", (w * 0.2, h * 0.2, w, h * 0.8))
        shape_("p", (0, h * 0.15, w * 0.25, h * 0.5, 0, h * 0.85))
    elif shape in ("car", "bus"):
        cabin = (w * 0.25, 0, w * 0.75, h * 0.5) if shape == "car" else (0, 0, w, h * 0.8)
        shape_("r", cabin)
        shape_("r", (0, h * 0.35, w, h * 0.8))
        for wx in np.arange(w * 0.08, w * 0.9, w * (0.22 if shape == "bus" else 0.5)):
            top = h * (0.1 if shape == "car" else 0.12)
            pen.rectangle(
                (
                    wx + w * 0.2 if shape == "car" else wx,
                    top,
                    wx + w * 0.16 + (w * 0.2 if shape == "car" else 0),
                    h * 0.38,
                ),
                fill=glass,
            )
        for wheel in (0.22, 0.78):
            pen.ellipse((w * wheel - h * 0.2, h * 0.6, w * wheel + h * 0.2, h), fill=dark)
    elif shape == "bicycle":
        for wheel in (0.22, 0.78):
            pen.ellipse(
                (w * wheel - h * 0.3, h * 0.4, w * wheel + h * 0.3, h),
                outline=dark,
                width=max(2, stroke * 2),
            )
        pen.line(
            (w * 0.22, h * 0.7, w * 0.5, h * 0.35, w * 0.78, h * 0.7),
            fill=colour,
            width=max(2, stroke * 3),
        )
        pen.line((w * 0.5, h * 0.35, w * 0.45, h * 0.15), fill=colour, width=max(2, stroke * 3))
    elif shape == "boat":
        shape_("p", (0, h * 0.7, w, h * 0.7, w * 0.85, h, w * 0.15, h))
        pen.line((w * 0.5, 0, w * 0.5, h * 0.7), fill=dark, width=max(1, stroke))
        shape_("p", (w * 0.52, 0, w * 0.52, h * 0.65, w * 0.9, h * 0.65))
    elif shape == "plane":
        shape_("e", (0, h * 0.35, w, h * 0.6))
        shape_("p", (w * 0.35, h * 0.45, w * 0.55, h * 0.45, w * 0.4, h))
        shape_("p", (w * 0.02, h * 0.45, w * 0.12, h * 0.45, w * 0.02, 0))
    elif shape == "rocket":
        shape_("r", (w * 0.3, h * 0.25, w * 0.7, h * 0.8))
        shape_("p", (w * 0.3, h * 0.25, w * 0.5, 0, w * 0.7, h * 0.25))
        shape_("p", (w * 0.3, h * 0.55, 0, h * 0.85, w * 0.3, h * 0.8))
        shape_("p", (w * 0.7, h * 0.55, w, h * 0.85, w * 0.7, h * 0.8))
        pen.polygon([(w * 0.35, h * 0.8), (w * 0.65, h * 0.8), (w * 0.5, h)], fill=(255, 170, 40))
    elif shape == "balloon":
        pen.line((w * 0.5, h * 0.7, w * 0.5, h), fill=dark, width=max(1, stroke))
        shape_("e", (w * 0.1, 0, w * 0.9, h * 0.72))
    elif shape in ("person", "robot"):
        head = (w * 0.3, 0, w * 0.7, h * 0.22)
        shape_(
            "r" if shape == "robot" else "e", head, colour if shape == "robot" else (235, 190, 160)
        )
        shape_("r", (w * 0.25, h * 0.24, w * 0.75, h * 0.62))
        shape_("r", (w * 0.27, h * 0.62, w * 0.45, h))
        shape_("r", (w * 0.55, h * 0.62, w * 0.73, h))
        shape_("r", (w * 0.05, h * 0.26, w * 0.22, h * 0.55))
        shape_("r", (w * 0.78, h * 0.26, w * 0.95, h * 0.55))
    elif shape == "house":
        shape_("r", (w * 0.1, h * 0.45, w * 0.9, h))
        shape_("p", (0, h * 0.48, w * 0.5, 0, w, h * 0.48), _scale(colour, 0.7))
        pen.rectangle((w * 0.42, h * 0.7, w * 0.58, h), fill=dark)
        pen.rectangle((w * 0.18, h * 0.58, w * 0.34, h * 0.72), fill=glass)
    elif shape in ("tower", "castle"):
        if shape == "castle":
            shape_("r", (0, h * 0.45, w, h))
            for tx in (0.0, 0.75):
                shape_("r", (w * tx, h * 0.15, w * (tx + 0.25), h))
                shape_(
                    "p",
                    (w * tx, h * 0.15, w * (tx + 0.125), 0, w * (tx + 0.25), h * 0.15),
                    _scale(colour, 0.7),
                )
            pen.rectangle((w * 0.42, h * 0.7, w * 0.58, h), fill=dark)
        else:
            shape_("r", (w * 0.2, h * 0.05, w * 0.8, h))
            for wy in np.arange(h * 0.1, h * 0.9, h * 0.08):
                pen.rectangle((w * 0.3, wy, w * 0.7, wy + h * 0.035), fill=glass)
    elif shape == "ball":
        shape_("e", (0, 0, w, h))
        pen.ellipse(
            (w * 0.22, h * 0.18, w * 0.42, h * 0.36), fill=_mix(colour, (255, 255, 255), 0.6)
        )
    elif shape == "tree":
        pen.rectangle((w * 0.42, h * 0.55, w * 0.58, h), fill=(95, 65, 40))
        shape_("e", (0, 0, w, h * 0.68))
    elif shape == "flower":
        pen.line((w * 0.5, h * 0.4, w * 0.5, h), fill=(40, 130, 50), width=max(2, stroke * 2))
        for angle in range(0, 360, 60):
            px = w * 0.5 + math.cos(math.radians(angle)) * w * 0.25
            py = h * 0.25 + math.sin(math.radians(angle)) * w * 0.25
            shape_("e", (px - w * 0.2, py - w * 0.2, px + w * 0.2, py + w * 0.2))
        pen.ellipse(
            (w * 0.38, h * 0.25 - w * 0.12, w * 0.62, h * 0.25 + w * 0.12), fill=(250, 210, 60)
        )
    elif shape == "umbrella":
        shape_("p", (0, h * 0.45, w * 0.5, 0, w, h * 0.45))
        pen.line((w * 0.5, h * 0.45, w * 0.5, h), fill=dark, width=max(2, stroke * 2))
    else:  # tent
        shape_("p", (0, h, w * 0.5, 0, w, h))
        pen.polygon([(w * 0.4, h), (w * 0.5, h * 0.5), (w * 0.6, h)], fill=dark)
    return picture


# ----------------------------------------------------------------------------- the scene


class Scene:
    """The picture of one prompt at one size, ready to give a frame for any time of the clip.

    >>> scene = Scene("a red car in a city at night", seed=1, width=64, height=36, duration=1)
    >>> scene.frame(0.5).shape
    (36, 64, 3)
    """

    def __init__(
        self, prompt: str, *, seed: int, width: int, height: int, duration: float = 8.0
    ) -> None:
        self.reading = reading = lexicon.read(prompt)
        self.width, self.height = width, height
        self.duration = max(duration, 1e-3)
        self.seed = seed
        rng = random.Random(seed)
        camera = reading.camera
        unit = height / 360.0
        self._pan = camera.pan * width
        self._tilt = camera.tilt * height
        self._zoom = camera.zoom
        self._shake = camera.shake * height
        shake = math.ceil(self._shake * 1.6) + 1
        self._origin = (
            shake + (abs(self._pan) if self._pan < 0 else 0.0),
            shake + (self._tilt if self._tilt > 0 else 0.0),
        )
        margin_x = math.ceil(abs(self._pan)) + 2 * shake + 1
        margin_y = math.ceil(abs(self._tilt)) + 2 * shake + 1
        self._mid = (self._origin[0] + self._pan / 2, self._origin[1] - self._tilt / 2)
        canvas_w, canvas_h = width + margin_x, height + margin_y
        weather = reading.weather
        haze = min(0.8, sum(w.haze for w in weather))
        darken = math.prod(w.darken for w in weather)
        style = reading.style
        self._style = style
        self._flashes = (
            lightning_times(seed, self.duration) if any(w.sound == "storm" for w in weather) else []
        )

        colours = palette(seed).astype(np.float32)
        if reading.composed:
            light = reading.light or _DAYLIGHT
            setting = (
                reading.setting
                or lexicon.SETTINGS["meadow | field | grassland | park | garden | countryside"]
            )
            if not reading.light and any(w.particles == "snow" for w in weather):
                setting = (
                    setting
                    if reading.setting
                    else lexicon.SETTINGS[
                        "snow field | snowfield | tundra | arctic | glacier | winter"
                    ]
                )
            bright = light.brightness * darken
            horizon_share = camera.horizon if camera.horizon is not None else setting.horizon
            horizon = round(self._mid[1] + height * horizon_share)
            top = setting.sky or _scale(light.sky_top, darken)
            bottom = setting.sky or _scale(light.sky_horizon, darken)
            rows = np.linspace(0.0, 1.0, max(1, horizon), dtype=np.float32)[:, None]
            sky = np.asarray(top, np.float32) * (1 - rows) + np.asarray(bottom, np.float32) * rows
            picture = Image.new("RGB", (canvas_w, canvas_h), _scale(setting.ground, bright))
            sky_mask = Image.new("L", (canvas_w, canvas_h), 0)
            ImageDraw.Draw(sky_mask).rectangle((0, 0, canvas_w, horizon - 1), fill=255)
            paint = _Painter(picture, sky_mask)
            if light.stars or setting.sky:
                for _ in range(canvas_w * horizon // 900):
                    x, y = rng.uniform(0, canvas_w), rng.uniform(0, horizon)
                    paint.rectangle((x, y, x + unit, y + unit), (235, 235, 245))
            if light.sun and not setting.sky:
                r = 26 * unit
                sx = rng.uniform(0.2, 0.8) * canvas_w
                sy = horizon * (0.7 if not light.stars and bright <= 0.9 else 0.5)
                paint.ellipse((sx - r, sy - r, sx + r, sy + r), _scale(light.sun, max(0.8, darken)))
            _draw_setting(
                paint,
                rng,
                setting.scenery,
                (canvas_w, canvas_h),
                horizon,
                setting.ground,
                light,
                200 * unit,
            )
            canvas = np.asarray(picture, dtype=np.float32)
            canvas[:horizon] = np.where(
                np.asarray(sky_mask)[:horizon, :, None] > 0, sky[:, None, :], canvas[:horizon]
            )
            mask = np.asarray(sky_mask) > 0
            drift_share = _SKY_DRIFT * (0.4 if setting.sky else 1.0)
            tint = bright if not setting.sky else 0.2
            strip_rows = np.concatenate([sky, np.repeat(sky[-1:], canvas_h - horizon, 0)])
            self._sky_bottom = horizon
            ground_y = horizon
        else:
            canvas = np.zeros((canvas_h, canvas_w, 3), dtype=np.float32)
            mask = np.ones((canvas_h, canvas_w), dtype=bool)
            drift_share, tint = 1.0, 1.0
            strip_rows = np.zeros((canvas_h, 3), dtype=np.float32)
            self._sky_bottom = canvas_h
            ground_y = round(self._mid[1] + height * 0.62)
        period = len(colours)
        ys, xs = np.indices((self._sky_bottom, canvas_w + period))
        strip = colours[(xs + ys) % period] * (drift_share * tint) + strip_rows[
            : self._sky_bottom, None, :
        ] * (1 - drift_share)
        if style == "watercolour":
            blurred = Image.fromarray(np.clip(canvas, 0, 255).astype(np.uint8)).filter(
                ImageFilter.GaussianBlur(2.5 * unit)
            )
            canvas = np.asarray(blurred, dtype=np.float32)
        self._canvas = _finish(canvas, haze, style)
        self._strip = _finish(strip, haze, style)
        self._period = period
        self._all_sky = bool(mask.all())
        # Sky pixels as a byte mask: a frame's sky is (strip & mask) | canvas-without-sky, two
        # byte-wise operations instead of a masked copy (ten times faster).
        self._sky_bytes = np.repeat(mask[: self._sky_bottom, :, None], 3, axis=2).astype(np.uint8)
        self._sky_bytes *= 255
        self._canvas[: self._sky_bottom] &= ~self._sky_bytes
        self._drift = _DRIFT_SPEED * unit * (1.0 if self._all_sky else 1.6)
        self._sprites = self._figures(reading, rng, ground_y, canvas_w, haze, style, unit)
        self._particles = self._make_particles(weather, rng, unit, haze, style)

    # -- figures and particles

    def _figures(
        self,
        reading: lexicon.Reading,
        rng: random.Random,
        ground_y: int,
        canvas_w: int,
        haze: float,
        style: str,
        unit: float,
    ) -> list[_Sprite]:
        sprites = []
        scale = 1.25 if reading.camera.horizon and reading.camera.horizon > 0.7 else 1.0
        count = len(reading.figures)
        for index, figure in enumerate(reading.figures):
            subject = figure.subject
            tall = round(subject.size * self.height * scale)
            image = _draw_figure(subject.shape, figure.colour, tall)
            rgba = np.asarray(image, dtype=np.float32)
            pixels = _finish(rgba[..., :3], haze * 0.6, style)
            inside = np.repeat(rgba[..., 3:] > 127, 3, axis=2)
            pixels &= inside.astype(np.uint8) * 255
            keep = (~inside).astype(np.uint8) * 255
            speed = subject.speed * self.width * 0.5
            left = self._mid[0] + self.width * (0.5 - 0.12 * (count - 1) + 0.24 * index)
            left -= image.width / 2 + speed * self.duration / 2
            view_top, view_bottom = self._mid[1], self._mid[1] + self.height
            if subject.flies:
                top = view_top + self.height * (0.12 + 0.1 * index)
            else:
                feet = ground_y + (view_bottom - ground_y) * (0.55 + 0.1 * index)
                top = min(feet, view_bottom - 4 * unit) - tall
            sprites.append(_Sprite(pixels, keep, left, max(0.0, top), speed))
        return sprites

    def _make_particles(
        self,
        weather: tuple[lexicon.Weather, ...],
        rng: random.Random,
        unit: float,
        haze: float,
        style: str,
    ) -> list[_Particles]:
        particles: list[_Particles] = []
        for kind in weather:
            if not kind.particles:
                continue
            count = round(kind.count * self.width * self.height / (640 * 360))
            state = np.random.default_rng(self.seed * 31 + len(particles))
            xs = state.uniform(0, self.width, count)
            ys = state.uniform(0, self.height, count)
            speeds = state.uniform(0.6, 1.0, count)
            colour = (245, 247, 252) if kind.particles == "snow" else (185, 195, 215)
            finished = _finish(np.asarray([colour], np.float32), haze * 0.3, style)[0]
            particles.append((kind.particles, xs, ys, speeds, finished))
        return particles

    # -- frames

    def _view(self, seconds: float) -> tuple[float, float, float]:
        progress = min(1.0, max(0.0, seconds / self.duration))
        x = self._origin[0] + self._pan * progress
        y = self._origin[1] - self._tilt * progress
        if self._shake:
            x += self._shake * (math.sin(seconds * 7.3) + 0.6 * math.sin(seconds * 12.9 + 1.0))
            y += self._shake * (math.sin(seconds * 6.1 + 2.0) + 0.6 * math.sin(seconds * 15.7))
        zoom = self._zoom[0] + (self._zoom[1] - self._zoom[0]) * progress
        return x, y, zoom

    def frame(self, seconds: float) -> RGB:
        """A fresh, writable frame at ``seconds`` into the clip."""
        width, height = self.width, self.height
        x, y, zoom = self._view(seconds)
        left, top = round(x), round(y)
        shift = round(seconds * self._drift) % self._period
        if self._all_sky:
            view: RGB = self._strip[top : top + height, left + shift : left + shift + width].copy()
        else:
            view = self._canvas[top : top + height, left : left + width].copy()
            bottom = min(height, self._sky_bottom - top)
            if bottom > 0:
                sky = self._strip[top : top + bottom, left + shift : left + shift + width]
                part = view[:bottom]
                part |= sky & self._sky_bytes[top : top + bottom, left : left + width]
        for sprite in self._sprites:
            self._paste(view, sprite, seconds, left, top)
        if zoom != 1.0:
            crop_w, crop_h = width / zoom, height / zoom
            box = (
                (width - crop_w) / 2,
                (height - crop_h) / 2,
                (width + crop_w) / 2,
                (height + crop_h) / 2,
            )
            view = np.asarray(
                Image.fromarray(view).resize((width, height), Image.Resampling.NEAREST, box=box),
                dtype=np.uint8,
            ).copy()
        for kind, xs, ys, speeds, colour in self._particles:
            self._fall(view, kind, xs, ys, speeds, colour, seconds)
        if any(0.0 <= seconds - at < 0.12 for at in self._flashes):
            view >>= 1
            view += 120
        return view

    def _paste(self, view: RGB, sprite: _Sprite, seconds: float, left: int, top: int) -> None:
        span = self._canvas.shape[1] + sprite.keep.shape[1]
        world_x = (sprite.x + sprite.speed * seconds) % span - sprite.keep.shape[1]
        sx, sy = round(world_x) - left, round(sprite.y) - top
        h, w = sprite.keep.shape[:2]
        x0, y0 = max(0, sx), max(0, sy)
        x1, y1 = min(view.shape[1], sx + w), min(view.shape[0], sy + h)
        if x1 <= x0 or y1 <= y0:
            return
        area = view[y0:y1, x0:x1]
        area &= sprite.keep[y0 - sy : y1 - sy, x0 - sx : x1 - sx]
        area |= sprite.pixels[y0 - sy : y1 - sy, x0 - sx : x1 - sx]

    def _fall(
        self,
        view: RGB,
        kind: str,
        xs: NDArray[np.float64],
        ys: NDArray[np.float64],
        speeds: NDArray[np.float64],
        colour: RGB,
        seconds: float,
    ) -> None:
        height, width = view.shape[:2]
        unit = height / 360.0
        if kind == "snow":
            fall = ys + seconds * 45 * unit * speeds
            sway = xs + 6 * unit * np.sin(seconds * 1.7 + xs * 0.05)
            size = max(2, round(2 * unit))
        else:
            fall = ys + seconds * 520 * unit * speeds
            sway = xs - fall * 0.12
            size = 1
        px = (sway % (width - size)).astype(np.intp)
        py = (fall % (height - size)).astype(np.intp)
        if kind == "snow":
            for dy in range(size):
                for dx in range(size):
                    view[py + dy, px + dx] = colour
        else:
            length = max(3, round(9 * unit))
            for step in range(length):
                view[(py + step) % height, (px - step // 8) % width] = colour
