"""The Studio's "will be sent" strip: one small thumbnail per reference the tab in view sends.

Why: a reference picked on one tab, or left over from an earlier take, is easy to forget, and
it changes (and is paid for in) what is generated. So every reference the current form will
send — first/last frame, reference images, characters, the video to edit, the source of an
extend or upscale — is shown as a tile with a remove button that takes out exactly that one.

What is shown is read from the same :class:`~flow_widgets.ui.studio_form.StudioForm` the
request is built from, and only for the fields the tab uses (the fields
:func:`~flow_widgets.ui.studio_form.build_request` reads), so the strip and the POST body agree.

Pictures come only from this machine: a small JPEG made once from an upload's bytes (the bytes
are dropped at once), or from a downloaded file of the session's jobs (a video's first frame);
anything else is a
neutral tile with its short id. Nothing is fetched from the network, and only the thumbnail
(at most :data:`THUMB_SIDE` px) reaches widget state. Every label is escaped.
"""

from __future__ import annotations

import html
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import ipywidgets as widgets

from flow_widgets.api.ids import parse_media_id
from flow_widgets.ui._panel import Panel
from flow_widgets.ui.studio_form import StudioForm

__all__ = ["THUMB_SIDE", "SentRef", "ThumbStrip", "make_thumbnail", "sent_references"]

log = logging.getLogger("flow_widgets.ui")

#: Longest side of a thumbnail, in pixels.
THUMB_SIDE = 64
_MAX_FILE = 200 * 1024 * 1024  # larger local files are not opened for a thumbnail
_SINGLE = (
    ("start_image", "start", "first frame"),
    ("end_image", "end", "last frame"),
    ("reference_video", "video", "video"),
    ("source", "source", "source"),
)
_LISTS = (
    ("reference_images", "references", "reference"),
    ("characters", "characters", "character"),
)


@dataclass(frozen=True)
class SentRef:
    """One reference the form will send.

    Attributes:
        field: the :class:`StudioForm` field holding it (``"reference_images"``…).
        index: its position in that field (0 for single fields).
        ref: the media id or character ref.
        label: what it is called in the form (``"reference 2"``, ``"first frame"``).
    """

    field: str
    index: int
    ref: str
    label: str


def sent_references(form: StudioForm) -> list[SentRef]:
    """Every reference ``form`` sends, in form order (only the fields its tab uses)."""
    shown: list[SentRef] = []
    for name, use, label in _SINGLE:
        value = getattr(form, name)
        if value and form.uses(use):
            shown.append(SentRef(name, 0, value, label))
    for name, use, label in _LISTS:
        if not form.uses(use):
            continue
        for i, value in enumerate(getattr(form, name)):
            if value:
                shown.append(SentRef(name, i, value, f"{label} {i + 1}"))
    return shown


def make_thumbnail(data: bytes) -> bytes | None:
    """A JPEG of at most :data:`THUMB_SIDE` px from an image's bytes (``None``: not an image)."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as picture:
            rgb = picture.convert("RGB")
            rgb.thumbnail((THUMB_SIDE, THUMB_SIDE))
            out = io.BytesIO()
            rgb.save(out, format="JPEG", quality=70)
            return out.getvalue()
    except (OSError, ValueError, Image.DecompressionBombError):  # a neutral tile instead
        return None


def _first_frame(path: Path) -> bytes | None:
    """:func:`make_thumbnail` of a local video's first frame (PyAV; ``None`` when unreadable)."""
    import av

    try:
        with av.open(str(path)) as video:
            for frame in video.decode(video=0):
                out = io.BytesIO()
                frame.to_image().save(out, format="PNG")
                return make_thumbnail(out.getvalue())
    except (OSError, ValueError, av.FFmpegError):
        return None
    return None


def thumbnail_of_file(path: Path) -> bytes | None:
    """:func:`make_thumbnail` of a local image, or of a local video's first frame (``None`` for
    missing or unreadable files)."""
    suffix = path.suffix.lower()
    try:
        if path.stat().st_size > _MAX_FILE:
            return None
        if suffix in (".mp4", ".mov", ".webm"):
            return _first_frame(path)
        if suffix not in (".png", ".jpg", ".jpeg", ".webp", ".gif"):
            return None
        return make_thumbnail(path.read_bytes())
    except OSError:
        return None


def short_id(ref: str) -> str:
    """``…a1b2c3d4``: the tail of a media id (or the ref itself when short)."""
    parsed = parse_media_id(ref)
    tail = parsed.id if parsed else ref
    return tail if len(tail) <= 10 else f"…{tail[-8:]}"


class ThumbStrip:
    """The row of tiles under the form; rebuilt only when what will be sent changes.

    Args:
        thumbnail: ``ref -> JPEG bytes or None`` (local sources only).
        name_of: ``ref -> a readable name or None`` (a character's name).
        on_remove: called with the :class:`SentRef` whose button was pressed.
    """

    def __init__(
        self,
        *,
        thumbnail: Callable[[str], bytes | None],
        name_of: Callable[[str], str | None],
        on_remove: Callable[[SentRef], None],
    ) -> None:
        self._thumbnail = thumbnail
        self._name_of = name_of
        self._on_remove = on_remove
        self._shown: list[SentRef] = []
        self._pictured: list[bool] = []
        self.buttons: list[widgets.Button] = []
        self.tiles = widgets.HBox(layout={"flex_flow": "row wrap"})
        caption = widgets.HTML(
            '<span class="fw-group-label" style="color:var(--jp-content-font-color2,#4b5563)">'
            "will be sent</span>"
        )
        self.widget = widgets.VBox([caption, self.tiles])
        self.widget.add_class("fw-studio-thumbs")
        Panel.hide(self.widget, True)

    @property
    def shown(self) -> list[SentRef]:
        """The references the strip shows now."""
        return list(self._shown)

    def show(self, refs: list[SentRef]) -> None:
        """Show ``refs``; tiles are rebuilt when they change or a picture became known (a
        result's file finished downloading after it was picked)."""
        pictured = [self._thumbnail(r.ref) is not None for r in refs]
        if refs == self._shown and pictured == self._pictured:
            return
        self._pictured = pictured
        old = list(self.tiles.children)
        self._shown = list(refs)
        self.buttons = []
        self.tiles.children = tuple(self._tile(r) for r in refs)
        for tile in old:  # the old tiles' models are closed, not left in the kernel
            for child in getattr(tile, "children", ()):
                child.close()
            tile.close()
        Panel.hide(self.widget, not refs)

    def _tile(self, ref: SentRef) -> widgets.Widget:
        picture = self._thumbnail(ref.ref)
        if picture is not None:
            face: widgets.Widget = widgets.Image(
                value=picture, format="jpeg", layout={"width": f"{THUMB_SIDE}px"}
            )
        else:
            name = self._name_of(ref.ref) or short_id(ref.ref)
            face = widgets.HTML(
                f'<div style="width:{THUMB_SIDE}px;height:{THUMB_SIDE}px;background:#e5e7eb;'
                "color:#374151;font:11px/1.2 system-ui;display:flex;align-items:center;"
                f'justify-content:center;text-align:center;overflow:hidden;word-break:break-all">'
                f"{html.escape(name)}</div>"
            )
        caption = widgets.HTML(
            f'<div style="font:11px system-ui;color:#374151">{html.escape(ref.label)}</div>'
        )
        remove = widgets.Button(
            description=f"remove {ref.label}",  # the accessible name: no icon glyph in it
            tooltip=f"Do not send {ref.label}",
            layout={"width": "auto"},
        )
        remove.add_class("fw-studio-remove-ref")
        remove.on_click(lambda _b, r=ref: self._on_remove(r))
        self.buttons.append(remove)
        tile = widgets.VBox([face, caption, remove], layout={"margin": "0 8px 4px 0"})
        tile.add_class("fw-studio-thumb")
        return tile
