"""The words the simulator understands, in one table a teacher can read and extend.

Why: offline, a class should *see* what each word of a prompt does. The simulator has no model,
so it reads prompts through this small lexicon and :mod:`flow_widgets.simulator.scene` draws
what it finds: the light and time of day colour the sky and dim or brighten the picture, weather
adds particles, haze and ambient sound, a setting composes a backdrop, subjects become simple
figures coloured by the colour word in front of them (a *red* ball), camera words move the frame
and style words filter it. Words that are not here change nothing.

To teach a new word, add a row: the key is the word or phrase as written in prompts (lower
case; the alternatives after it are other spellings of the same thing), the value says what it
does. Every entry is plain data; nothing here draws.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, TypeVar

__all__ = [
    "CAMERA",
    "COLOURS",
    "LIGHT",
    "SETTINGS",
    "STYLES",
    "SUBJECTS",
    "WEATHER",
    "Camera",
    "Light",
    "Reading",
    "Setting",
    "Subject",
    "Weather",
    "read",
]

RGB = tuple[int, int, int]
_T = TypeVar("_T")


@dataclass(frozen=True)
class Light:
    """Time of day: sky colours from the top down to the horizon, and how bright the ground is."""

    sky_top: RGB
    sky_horizon: RGB
    brightness: float
    sun: RGB | None = None
    stars: bool = False


@dataclass(frozen=True)
class Weather:
    """Particles falling through the frame, a haze over everything, and an ambient sound."""

    particles: str  # "rain", "snow" or "" for none
    count: int
    haze: float  # 0 = clear, 1 = the picture disappears in the haze colour
    sound: str  # "rain", "wind", "storm", "hush"
    darken: float = 1.0


@dataclass(frozen=True)
class Setting:
    """A backdrop: where the horizon sits, the ground's colour, and what stands on it."""

    ground: RGB
    scenery: str  # the drawing routine in scene.py: "trees", "waves", "dunes", ...
    horizon: float = 0.58  # fraction of the height from the top
    sound: str = ""
    sky: RGB | None = None  # replaces the sky of the light (space is black)


@dataclass(frozen=True)
class Subject:
    """A figure: its shape, its colour when no colour word precedes it, size and motion."""

    shape: str  # the drawing routine in scene.py: "animal", "car", "person", ...
    colour: RGB
    size: float = 0.22  # height as a fraction of the frame's height
    speed: float = 0.0  # fraction of the frame's width crossed per second
    flies: bool = False


@dataclass(frozen=True)
class Camera:
    """How the frame moves over the clip: pan and tilt travel, zoom, horizon, shake."""

    pan: float = 0.0  # fraction of the width travelled over the clip (+ right)
    tilt: float = 0.0  # fraction of the height travelled over the clip (+ up)
    zoom: tuple[float, float] = (1.0, 1.0)  # scale at the start and the end
    horizon: float | None = None  # moves the horizon (aerial: high, low angle: low)
    shake: float = 0.0  # handheld jitter, fraction of the height


# ----------------------------------------------------------------------------- the table

LIGHT: dict[str, Light] = {
    "noon | midday | sunny | daylight | bright day | clear sky | morning": Light(
        (70, 140, 235), (180, 215, 245), 1.0, sun=(255, 250, 225)
    ),
    "dawn | sunrise | daybreak": Light((95, 110, 170), (250, 170, 140), 0.8, sun=(255, 200, 160)),
    "golden hour | sunset | late afternoon | warm light": Light(
        (235, 150, 70), (255, 205, 110), 0.9, sun=(255, 225, 140)
    ),
    "dusk | twilight | evening | blue hour": Light((40, 45, 110), (200, 110, 130), 0.55),
    "overcast | cloudy | grey sky | gray sky | gloomy": Light(
        (150, 155, 165), (195, 198, 205), 0.75
    ),
    "night | midnight | moonlit | moonlight | at night | starry": Light(
        (6, 10, 30), (25, 35, 70), 0.3, sun=(235, 235, 215), stars=True
    ),
}

WEATHER: dict[str, Weather] = {
    "rain | rainy | raining | rainfall | drizzle | downpour": Weather(
        "rain", 700, 0.15, "rain", 0.8
    ),
    "snow | snowy | snowing | snowfall | blizzard | snowflakes": Weather("snow", 900, 0.1, "wind"),
    "fog | foggy | mist | misty | haze | hazy": Weather("", 0, 0.55, "hush"),
    "storm | stormy | thunder | thunderstorm | lightning": Weather("rain", 1100, 0.2, "storm", 0.6),
}

SETTINGS: dict[str, Setting] = {
    "meadow | field | grassland | park | garden | countryside": Setting((95, 160, 70), "grass"),
    "forest | woods | woodland | jungle | trees": Setting((60, 110, 55), "trees", sound="birds"),
    "beach | shore | coast": Setting((225, 205, 150), "beach", 0.5, sound="waves"),
    "ocean | sea | waves | underwater | harbour | harbor | port": Setting(
        (30, 90, 150), "waves", 0.45, sound="waves"
    ),
    "desert | dunes | sand | mars": Setting((220, 180, 110), "dunes", 0.6),
    "city | street | downtown | town | skyline | alley | market": Setting(
        (80, 80, 90), "buildings", 0.66, sound="hum"
    ),
    "mountains | mountain | peaks | alps | valley | canyon": Setting((90, 120, 80), "mountains"),
    "space | outer space | galaxy | orbit | stars": Setting(
        (40, 40, 50), "planet", 0.8, sky=(4, 4, 14)
    ),
    "snow field | snowfield | tundra | arctic | glacier | winter": Setting(
        (235, 240, 248), "snowfield", 0.55
    ),
    "lake | river | pond": Setting((70, 130, 80), "lake"),
}

SUBJECTS: dict[str, Subject] = {
    "dog | puppy | hound": Subject("animal", (170, 120, 60), 0.2, 0.08),
    "cat | kitten": Subject("animal", (110, 110, 110), 0.16, 0.05),
    "fox": Subject("animal", (215, 110, 40), 0.18, 0.09),
    "snail | tortoise | turtle": Subject("animal", (110, 130, 60), 0.12, 0.015),
    "wolf": Subject("animal", (120, 120, 130), 0.22, 0.09),
    "horse | pony": Subject("animal", (120, 80, 50), 0.32, 0.1),
    "deer": Subject("animal", (160, 110, 70), 0.28, 0.08),
    "cow": Subject("animal", (240, 240, 235), 0.28, 0.02),
    "elephant": Subject("animal", (140, 140, 150), 0.42, 0.03),
    "bear": Subject("animal", (90, 60, 40), 0.3, 0.04),
    "bird | eagle | seagull | owl | crow": Subject("bird", (60, 60, 70), 0.1, 0.12, flies=True),
    "butterfly | bee": Subject("bird", (240, 170, 40), 0.07, 0.06, flies=True),
    "dragon": Subject("bird", (60, 150, 70), 0.26, 0.1, flies=True),
    "fish | shark | whale | dolphin": Subject("fish", (90, 120, 160), 0.16, 0.06),
    "car | taxi | jeep | truck | van": Subject("car", (200, 40, 40), 0.18, 0.16),
    "bus | tram": Subject("bus", (235, 190, 40), 0.26, 0.1),
    "train": Subject("bus", (70, 80, 90), 0.22, 0.22),
    "bicycle | bike | motorcycle": Subject("bicycle", (40, 40, 45), 0.16, 0.1),
    "boat | ship | sailboat | yacht": Subject("boat", (245, 245, 245), 0.22, 0.04),
    "plane | airplane | jet | helicopter": Subject("plane", (230, 230, 235), 0.1, 0.2, flies=True),
    "rocket | spaceship | spacecraft": Subject("rocket", (230, 230, 235), 0.3, 0.0, flies=True),
    "balloon | kite": Subject("balloon", (220, 50, 50), 0.14, 0.02, flies=True),
    "person | man | woman | child | boy | girl | runner | dancer | astronaut | fisherman": Subject(
        "person", (60, 90, 170), 0.3, 0.04
    ),
    "robot": Subject("robot", (170, 175, 185), 0.3, 0.02),
    "house | cabin | cottage | barn": Subject("house", (180, 90, 60), 0.3),
    "tower | skyscraper | lighthouse": Subject("tower", (210, 210, 215), 0.5),
    "castle | palace | temple": Subject("castle", (170, 165, 150), 0.42),
    "ball": Subject("ball", (230, 230, 230), 0.08, 0.12),
    "tree | oak | pine": Subject("tree", (50, 120, 50), 0.45),
    "flower | rose | tulip | sunflower | plant": Subject("flower", (230, 80, 120), 0.12),
    "umbrella": Subject("umbrella", (40, 60, 150), 0.18),
    "tent": Subject("tent", (230, 120, 40), 0.18),
}

COLOURS: dict[str, RGB] = {
    "red": (215, 35, 35),
    "orange": (245, 140, 30),
    "yellow": (245, 215, 40),
    "golden | gold": (225, 175, 55),
    "green": (40, 170, 60),
    "blue": (40, 90, 220),
    "purple | violet": (140, 60, 190),
    "pink": (245, 120, 180),
    "white": (248, 248, 248),
    "black": (20, 20, 24),
    "brown": (120, 75, 40),
    "grey | gray | silver": (150, 150, 158),
}

CAMERA: dict[str, Camera] = {
    "pan right | pans right | panning right | pans to the right | tracking right": Camera(pan=0.45),
    "pan left | pans left | panning left | pans to the left | tracking left": Camera(pan=-0.45),
    "tilt up | tilts up | tilting up | crane up": Camera(tilt=0.35),
    "tilt down | tilts down | tilting down | crane down": Camera(tilt=-0.35),
    "zoom in | zooms in | dolly in | push in | pushes in | slow push": Camera(zoom=(1.0, 1.45)),
    "zoom out | zooms out | dolly out | pull back | pulls back": Camera(zoom=(1.45, 1.0)),
    "aerial | drone | bird's eye | birds eye | overhead": Camera(horizon=0.22, zoom=(1.0, 1.1)),
    "low angle | low camera | low-angle | worm's eye | from below": Camera(horizon=0.82),
    "close-up | close up | closeup": Camera(zoom=(1.8, 1.8)),
    "handheld | hand-held | shaky": Camera(shake=0.012),
    "static | locked off | locked-off | tripod | still camera": Camera(),
}

STYLES: dict[str, str] = {
    "black and white | black-and-white | monochrome | b&w | greyscale | grayscale": "mono",
    "watercolour | watercolor | painted | painting | illustration": "watercolour",
    "neon | cyberpunk": "neon",
    "vintage | retro | sepia | old film | 1970s": "vintage",
}


# ----------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class Figure:
    """A subject found in the prompt, with the colour the words in front of it gave it."""

    name: str
    subject: Subject
    colour: RGB


@dataclass(frozen=True)
class Reading:
    """What the simulator understood of one prompt (``found`` lists the phrases, in order)."""

    light: Light | None = None
    weather: tuple[Weather, ...] = ()
    setting: Setting | None = None
    figures: tuple[Figure, ...] = ()
    camera: Camera = field(default_factory=Camera)
    style: str = ""
    found: tuple[str, ...] = ()

    @property
    def composed(self) -> bool:
        """True when the prompt names a place, light or weather: a landscape, not colour."""
        return self.light is not None or bool(self.weather) or self.setting is not None


def _expand(table: dict[str, _T]) -> dict[tuple[str, ...], tuple[str, _T]]:
    phrases: dict[tuple[str, ...], tuple[str, _T]] = {}
    for key, value in table.items():
        names = [name.strip() for name in key.split("|")]
        for name in names:
            phrases[tuple(_words(name))] = (names[0], value)
    return phrases


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9&']+(?:-[a-z]+)*", text.lower())


_TABLES: dict[str, dict[tuple[str, ...], tuple[str, Any]]] = {
    "light": _expand(LIGHT),
    "weather": _expand(WEATHER),
    "setting": _expand(SETTINGS),
    "subject": _expand(SUBJECTS),
    "colour": _expand(COLOURS),
    "camera": _expand(CAMERA),
    "style": _expand(STYLES),
}
_LONGEST = max(len(phrase) for table in _TABLES.values() for phrase in table)
_MAX_FIGURES = 3


def _merge(cameras: list[Camera]) -> Camera:
    if not cameras:
        return Camera()
    zoom = next((c.zoom for c in cameras if c.zoom != (1.0, 1.0)), (1.0, 1.0))
    horizon = next((c.horizon for c in cameras if c.horizon is not None), None)
    return Camera(
        pan=sum(c.pan for c in cameras),
        tilt=sum(c.tilt for c in cameras),
        zoom=zoom,
        horizon=horizon,
        shake=max(c.shake for c in cameras),
    )


def read(prompt: str) -> Reading:
    """What the lexicon finds in ``prompt``: longest phrases first, left to right.

    >>> reading = read("A red ball in a snowy forest at night, camera pans left")
    >>> reading.found
    ('red', 'ball', 'snow', 'forest', 'night', 'pan left')
    >>> reading.figures[0].colour
    (215, 35, 35)
    """
    words = _words(prompt[:4000])
    light: Light | None = None
    setting: Setting | None = None
    weather: list[Weather] = []
    figures: list[Figure] = []
    cameras: list[Camera] = []
    style = ""
    found: list[str] = []
    colour: RGB | None = None
    colour_age = 0
    index = 0
    while index < len(words):
        for length in range(min(_LONGEST, len(words) - index), 0, -1):
            phrase = tuple(words[index : index + length])
            hit = next(((kind, t[phrase]) for kind, t in _TABLES.items() if phrase in t), None)
            if hit is not None:
                break
        else:
            index += 1
            colour_age += 1
            if colour_age > 2:
                colour = None
            continue
        kind, (name, value) = hit
        index += length
        found.append(name)
        if kind == "colour":
            colour, colour_age = value, 0
            continue
        if kind == "light" and light is None:
            light = value
        elif kind == "weather" and value not in weather:
            weather.append(value)
        elif kind == "setting" and setting is None:
            setting = value
        elif kind == "subject" and len(figures) < _MAX_FIGURES:
            subject: Subject = value
            figures.append(Figure(name, subject, colour or subject.colour))
        elif kind == "camera":
            cameras.append(value)
        elif kind == "style" and not style:
            style = value
        colour = None
    return Reading(
        light=light,
        weather=tuple(weather),
        setting=setting,
        figures=tuple(figures),
        camera=_merge(cameras),
        style=style,
        found=tuple(found),
    )
