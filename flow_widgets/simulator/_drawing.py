"""Pictures for the simulator: seeded moving colour with the prompt written over it.

Why this shape: a video frame is composed 24 times a second, so nothing slow may happen per
frame. Text is drawn once with Pillow into a :class:`CaptionLayer` (two small integer arrays),
the backdrop is one precomputed strip of a seeded colour cycle that frames slice into, and a frame
is a slice copy, one integer blend over the caption band and a progress bar.

Text goes through Pillow's built-in font (no font files to ship or download). That font covers
printable ASCII and a little punctuation, so :func:`printable_text` folds accents away
(``é`` → ``e``) and replaces every other character with ``?``: RTL scripts, emoji, NUL and other
controls never reach FreeType, and a 100 000-character prompt is cut before it is measured.
Pillow's FreeType faces are not documented as thread-safe, so every use of a font (measuring,
wrapping, drawing) holds one re-entrant lock.
"""

from __future__ import annotations

import colorsys
import random
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

__all__ = [
    "Backdrop",
    "CaptionLayer",
    "caption_layer",
    "palette",
    "printable_text",
    "wrap_text",
]

RGB = NDArray[np.uint8]

_FONT_LOCK = threading.RLock()
_PROBE_SIZE = 20
_MAX_PROMPT_CHARS = 1200
_ELLIPSIS = "…"
PALETTE_PERIOD = 720
"""Length in pixels of one full cycle of a seeded palette along the diagonal."""


@lru_cache(maxsize=32)
def _font(size: int) -> ImageFont.FreeTypeFont:
    font = ImageFont.load_default(size=size)
    if not isinstance(font, ImageFont.FreeTypeFont):  # Pillow built without FreeType
        raise RuntimeError("Pillow was built without FreeType; the simulator needs it for text.")
    return font


def _glyph_signature(char: str) -> tuple[tuple[int, int], bytes]:
    mask = _font(_PROBE_SIZE).getmask(char)
    return mask.size, bytes(mask)


@lru_cache(maxsize=4096)
def _font_has(char: str) -> bool:
    """True when the built-in font draws ``char`` with a real glyph (not the missing-glyph box)."""
    with _FONT_LOCK:
        return _glyph_signature(char) != _glyph_signature("\U000f0000")


def printable_text(text: str, *, limit: int = _MAX_PROMPT_CHARS) -> str:
    """Reduce ``text`` to what the built-in font can draw, on one line.

    Whitespace and control characters become single spaces, accents are folded away when the
    bare letter exists, anything else becomes ``?``. Text longer than ``limit`` characters is
    cut and ends with an ellipsis.

    >>> printable_text("Café\\x00 <b>naïve</b>  😀")
    'Cafe <b>naive</b> ?'
    """
    cut = len(text) > limit
    out: list[str] = []
    for char in text[:limit]:
        if char.isspace() or unicodedata.category(char).startswith("C"):
            if out and out[-1] != " ":
                out.append(" ")
            continue
        if _font_has(char):
            out.append(char)
            continue
        folded = "".join(
            c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
        )
        if folded and all(_font_has(c) for c in folded):
            out.append(folded)
        elif not unicodedata.combining(char):
            out.append("?")
    result = "".join(out).strip()
    return result + _ELLIPSIS if cut else result


def _longest_fitting_prefix(word: str, font: ImageFont.FreeTypeFont, width: float) -> int:
    low, high = 1, len(word)
    while low < high:
        middle = (low + high + 1) // 2
        if font.getlength(word[:middle]) <= width:
            low = middle
        else:
            high = middle - 1
    return low


def wrap_text(text: str, font: ImageFont.FreeTypeFont, width: float, max_lines: int) -> list[str]:
    """Greedy word wrap to ``width`` pixels; overlong words break anywhere, overflow ends in "…"."""
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if font.getlength(candidate) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = word
        while len(current) > 1 and font.getlength(current) > width:
            cut = _longest_fitting_prefix(current, font, width)
            lines.append(current[:cut])
            current = current[cut:]
        if len(lines) > max_lines:
            break
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        while last and font.getlength(last + _ELLIPSIS) > width:
            last = last[:-1]
        lines = [*lines[: max_lines - 1], last.rstrip() + _ELLIPSIS]
    return lines


def palette(seed: int, *, period: int = PALETTE_PERIOD) -> RGB:
    """A cyclic ramp of ``period`` colours chosen by ``seed`` (four seeded stops, smooth wrap)."""
    rng = random.Random(seed)
    base = rng.random()
    stops = []
    for k in range(4):
        hue = (base + k * 0.25 + rng.uniform(-0.06, 0.06)) % 1.0
        saturation = rng.uniform(0.55, 0.8)
        value = rng.uniform(0.55, 0.85)
        stops.append(colorsys.hsv_to_rgb(hue, saturation, value))
    stops.append(stops[0])
    anchors = np.linspace(0.0, period, num=len(stops))
    positions = np.arange(period, dtype=np.float64)
    channels = [np.interp(positions, anchors, [s[c] for s in stops]) for c in range(3)]
    return np.clip(np.stack(channels, axis=1) * 255.0 + 0.5, 0, 255).astype(np.uint8)


class Backdrop:
    """A diagonal band of a cyclic palette that slides by ``speed`` pixels per second.

    The strip is ``period`` pixels wider than the frame, so every frame is a slice of it.
    """

    def __init__(self, colours: RGB, width: int, height: int, *, speed: float = 60.0) -> None:
        period = len(colours)
        ys, xs = np.indices((height, width + period), dtype=np.int64)
        self._strip: RGB = colours[(xs + ys) % period]
        self._period = period
        self.width = width
        self.height = height
        self.speed = speed

    def frame(self, seconds: float) -> RGB:
        """A fresh, writable frame of the backdrop at time ``seconds``."""
        shift = round(seconds * self.speed) % self._period
        frame: RGB = self._strip[:, shift : shift + self.width].copy()
        return frame


@dataclass(frozen=True)
class _Patch:
    top: int
    left: int
    keep: NDArray[np.uint16]
    add: NDArray[np.uint16]


def _patches(keep: NDArray[np.uint16], add: NDArray[np.uint16]) -> tuple[_Patch, ...]:
    """Cut the layer into bounding boxes of the runs of rows it really changes."""
    touched = (keep[..., 0] != 256) | (add[..., 0] != 0)
    rows = np.flatnonzero(touched.any(axis=1))
    patches = []
    for run in np.split(rows, np.flatnonzero(np.diff(rows) > 1) + 1) if rows.size else []:
        top, bottom = int(run[0]), int(run[-1]) + 1
        columns = np.flatnonzero(touched[top:bottom].any(axis=0))
        left, right = int(columns[0]), int(columns[-1]) + 1
        patches.append(
            _Patch(
                top=top,
                left=left,
                keep=np.ascontiguousarray(keep[top:bottom, left:right]),
                add=np.ascontiguousarray(add[top:bottom, left:right]),
            )
        )
    return tuple(patches)


@dataclass(frozen=True)
class CaptionLayer:
    """Text and its dark panels, pre-blended as integers: ``out = (bg * keep >> 8) + add``.

    Only the rectangles the caption really covers are stored and touched, so the cost per
    frame is the text panels, not the whole picture.
    """

    patches: tuple[_Patch, ...]

    def apply(self, frame: RGB) -> RGB:
        """Blend the caption into ``frame`` in place and return it."""
        for patch in self.patches:
            rows, columns = patch.keep.shape[:2]
            area = frame[patch.top : patch.top + rows, patch.left : patch.left + columns]
            mixed = area.astype(np.uint16)
            mixed *= patch.keep
            mixed >>= 8
            mixed += patch.add
            area[...] = mixed
        return frame


def caption_layer(
    width: int,
    height: int,
    *,
    title: str,
    details: str,
    badge: str,
    panel_opacity: float = 0.55,
    label: bool = False,
) -> CaptionLayer:
    """Draw a badge (top left), the wrapped ``title`` and a ``details`` line into a band.

    Sizes follow the picture's short side so every aspect ratio and resolution reads the same.
    With ``label=True`` the band is a small label along the top edge (at most two lines of
    title, badge on the details line) so the picture above it stays visible.
    """
    short = min(width, height)
    title_font = _font(max(9, round(short * (0.042 if label else 0.056))))
    small_font = _font(max(8, round(short * (0.032 if label else 0.038))))
    margin = max(4, round(short * (0.025 if label else 0.045)))
    inner = width - 4 * margin
    line_height = round(title_font.size * 1.25)
    max_lines = 2 if label else max(1, min(8, int(height * 0.5) // line_height))
    small_height = round(small_font.size * 1.3)
    title_text = printable_text(title)
    detail_text = printable_text(details, limit=200)
    badge_text = printable_text(badge, limit=80)

    text = Image.new("L", (width, height), 0)
    panel = Image.new("L", (width, height), 0)
    with _FONT_LOCK:
        lines = wrap_text(title_text, title_font, inner, max_lines) or [""]
        band_height = min(height, 2 * margin + len(lines) * line_height + small_height)
        top = margin if label else (height - band_height) // 2
        pen = ImageDraw.Draw(text)
        panel_pen = ImageDraw.Draw(panel)
        panel_pen.rectangle((margin, top, width - margin - 1, top + band_height - 1), fill=255)
        y = top + margin
        for line in lines:
            pen.text((2 * margin, y), line, font=title_font, fill=255)
            y += line_height
        pen.text((2 * margin, y), detail_text, font=small_font, fill=200)
        badge_box = pen.textbbox((0, 0), badge_text, font=small_font)
        if label:
            pen.text((width - 2 * margin - badge_box[2], y), badge_text, font=small_font, fill=170)
        else:
            pad = max(2, margin // 3)
            panel_pen.rectangle(
                (margin, margin, margin + badge_box[2] + 2 * pad, margin + badge_box[3] + 2 * pad),
                fill=255,
            )
            pen.text((margin + pad, margin + pad), badge_text, font=small_font, fill=255)

    alpha = np.asarray(text, dtype=np.uint16)[..., None]
    shade = np.asarray(panel, dtype=np.uint16)[..., None]
    panel_keep = 256 - (shade * round(panel_opacity * 256) // 255)
    keep = (panel_keep * (255 - alpha) // 255).astype(np.uint16)
    add = np.repeat(alpha, 3, axis=2).astype(np.uint16)
    return CaptionLayer(patches=_patches(keep, add))


def progress_bar(frame: RGB, fraction: float) -> RGB:
    """Paint a thin light bar along the bottom edge, ``fraction`` of the width long."""
    thickness = max(2, frame.shape[0] // 90)
    length = round(frame.shape[1] * min(1.0, max(0.0, fraction)))
    frame[-thickness:, :length] = 235
    return frame
