"""The Studio's media inputs: pick an earlier result, upload a file, or paste an id.

Why a small module of its own: an image or video input has three sources and one answer (a
mediaGenerationId), and uploads take a moment, during which *Generate* must wait. Each input
keeps the bytes of an upload only as long as it takes to hand them to the session: the
``FileUpload`` widget is emptied at once, so saved widget state never carries media bytes.

:class:`MediaChoices` is the list of media the form can offer (earlier results of the session,
uploads, pasted ids), shared by every input of one Studio. Labels are short and readable; ids
stay in Python (selection widgets sync labels and an index, never the values).
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypedDict

import ipywidgets as widgets

from flow_widgets.api.ids import parse_media_id
from flow_widgets.runtime.jobs import JobHandle
from flow_widgets.ui import _session
from flow_widgets.ui._handlers import Change, describe_error
from flow_widgets.ui.family import named
from flow_widgets.ui.studio_thumbs import make_thumbnail, thumbnail_of_file

__all__ = ["MediaChoices", "MediaHooks", "MediaInput", "MediaListInput", "NamedTags"]

log = logging.getLogger("flow_widgets.ui")

Uploader = Callable[[bytes, str], JobHandle]  # (data, filename) -> upload job handle


class MediaHooks(TypedDict):
    """What a panel hands each of its :class:`MediaInput` boxes (the same three for all)."""

    uploader: Uploader
    on_change: Callable[[], None]
    report: Callable[[str], None]


_ACCEPT = {"image": "image/png,image/jpeg,image/webp", "video": "video/mp4"}


class MediaChoices:
    """Media the Studio can offer, by kind: ``label -> media id`` (newest first)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[str, dict[str, str]] = {"image": {}, "video": {}}
        self._listeners: list[Callable[[], None]] = []
        self._files: dict[str, Path] = {}
        self._thumbs: dict[str, bytes | None] = {}

    def add(
        self,
        label: str,
        media_id: str,
        *,
        path: Path | None = None,
        thumbnail: bytes | None = None,
    ) -> str:
        """Offer ``media_id``; returns the label it is shown under (made unique).

        ``path`` (a local file of it) or ``thumbnail`` (a small JPEG made from an upload)
        give it a picture in the "will be sent" strip."""
        parsed = parse_media_id(media_id)
        kind = parsed.kind if parsed else "image"
        with self._lock:
            if path is not None:
                self._files.setdefault(media_id, Path(path))
            if thumbnail is not None:
                self._thumbs[media_id] = thumbnail
            items = self._items[kind]
            for existing, value in items.items():
                if value == media_id:
                    return existing
            name, n = label, 2
            while name in items:
                name, n = f"{label} ({n})", n + 1
            self._items[kind] = {name: media_id, **items}
            listeners = list(self._listeners)
        for listener in listeners:
            listener()
        return name

    def options(self, kind: str) -> list[tuple[str, str]]:
        """``(label, media id)`` pairs of ``kind``."""
        with self._lock:
            return list(self._items[kind].items())

    def label_of(self, media_id: str) -> str | None:
        with self._lock:
            for items in self._items.values():
                for label, value in items.items():
                    if value == media_id:
                        return label
        return None

    def subscribe(self, listener: Callable[[], None]) -> None:
        with self._lock:
            self._listeners.append(listener)

    def thumbnail(self, media_id: str) -> bytes | None:
        """A small JPEG of ``media_id`` from this machine only (made once), or ``None``."""
        with self._lock:
            if media_id in self._thumbs:
                return self._thumbs[media_id]
            path = self._files.get(media_id)
        made = thumbnail_of_file(path) if path is not None else None
        with self._lock:
            if path is not None:
                self._thumbs[media_id] = made
        return made


def _id_label(media_id: str) -> str:
    parsed = parse_media_id(media_id)
    tail = parsed.id[-8:] if parsed else media_id[-8:]
    return f"id …{tail}"


class _Uploads:
    """The upload part shared by both inputs: send, wait on the engine, report back."""

    def __init__(
        self,
        kind: str,
        choices: MediaChoices,
        uploader: Uploader,
        on_ready: Callable[[str], None],
        on_change: Callable[[], None],
        report: Callable[[str], None],
        *,
        multiple: bool,
    ) -> None:
        self.pending: dict[str, JobHandle] = {}
        self._small: dict[str, bytes | None] = {}  # a thumbnail per pending upload, not its bytes
        self._kind = kind
        self._choices = choices
        self._uploader = uploader
        self._on_ready = on_ready
        self._on_change = on_change
        self._report = report
        self.widget = widgets.FileUpload(
            accept=_ACCEPT[kind], multiple=multiple, description="upload"
        )
        self.widget.observe(self._picked, names=["value"])

    def _picked(self, change: Change) -> None:
        files = list(change["new"] or ())
        if not files:
            return
        self.widget.value = ()  # the bytes must not stay in the widget's state
        for item in files:
            name = str(item.get("name", "file"))
            data = bytes(item.get("content", b""))
            self._small[name] = make_thumbnail(data) if self._kind == "image" else None
            try:
                handle = self._uploader(data, name)
            except Exception as exc:  # a refused file must be said, not swallowed by the widget
                log.exception("Uploading %s failed", name)
                self._small.pop(name, None)
                self._report(describe_error(f"Uploading {name}", exc))
                continue
            self.pending[name] = handle
            handle.on_change(functools.partial(self._progress, name))
            self._progress(name, handle)
        self._on_change()

    def _progress(self, name: str, handle: JobHandle) -> None:
        if not handle.done or name not in self.pending:
            return
        self.pending.pop(name, None)
        small = self._small.pop(name, None)
        media_id = _session.first_media_id(handle)
        if handle.ok and media_id:
            label = self._choices.add(f"upload: {name}", media_id, thumbnail=small)
            self._on_ready(label)
        else:
            self._report(f"Uploading {name} failed: {handle.error or handle.status}")
        self._on_change()


class MediaInput:
    """One image or video input: an earlier result, an upload, or a pasted media id."""

    def __init__(
        self,
        label: str,
        kind: str,
        choices: MediaChoices,
        *,
        uploader: Uploader,
        on_change: Callable[[], None],
        report: Callable[[str], None],
    ) -> None:
        self.kind = kind
        self._choices = choices
        self._on_change = on_change
        self.picker = widgets.Dropdown(
            options=[("(none)", "")],
            value="",
            description=label,
            style={"description_width": "90px"},
        )
        self.pasted = widgets.Text(placeholder="or paste a media id", continuous_update=False)
        named(self.pasted, f"{label}: media id")
        self.uploads = _Uploads(
            kind, choices, uploader, self._select, on_change, report, multiple=False
        )
        self.widget = widgets.HBox([self.picker, self.pasted, self.uploads.widget])
        self.picker.observe(lambda _c: on_change(), names=["value"])
        self.pasted.observe(lambda _c: on_change(), names=["value"])
        choices.subscribe(self.refresh_options)
        self.refresh_options()

    @property
    def value(self) -> str | None:
        """The chosen media id (a pasted id wins), or ``None``."""
        pasted = self.pasted.value.strip()
        return pasted or (self.picker.value or None)

    @property
    def pending(self) -> list[str]:
        """Names of uploads still on their way."""
        return list(self.uploads.pending)

    def set(self, media_id: str | None) -> None:
        """Show ``media_id`` (offered in the picker when known, else as a pasted id)."""
        label = self._choices.label_of(media_id) if media_id else None
        if media_id and media_id not in dict(self._choices.options(self.kind)).values():
            label = None  # another kind (an image given to the source input): paste it
        with self.picker.hold_sync(), self.pasted.hold_sync():
            if media_id and label is None:
                self.pasted.value = media_id
                self.picker.value = ""
            else:
                self.pasted.value = ""
                self.refresh_options()
                self.picker.value = media_id or ""

    def show_kind(self, kind: str) -> None:
        """Offer media of ``kind`` from now on (the source input follows its source)."""
        if kind != self.kind:
            self.kind = kind
            self.refresh_options()

    def refresh_options(self) -> None:
        options = [("(none)", ""), *self._choices.options(self.kind)]
        if list(self.picker.options) != options:
            current = self.picker.value if self.picker.value in dict(options).values() else ""
            with self.picker.hold_sync():
                self.picker.options = options
                self.picker.value = current

    def _select(self, label: str) -> None:
        self.refresh_options()
        self.pasted.value = ""
        self.picker.value = dict(self._choices.options(self.kind)).get(label, "")


class NamedTags:
    """An ordered pick of named things (characters, voices, media): order fills slots 1, 2, …"""

    def __init__(self, placeholder: str, *, on_change: Callable[[], None]) -> None:
        self._refs: dict[str, str] = {}
        self.widget = widgets.TagsInput(
            value=[], allowed_tags=[], allow_duplicates=False, placeholder=placeholder
        )
        named(self.widget, placeholder)  # "pick characters": its name, not only its placeholder
        self.widget.observe(lambda _c: on_change(), names=["value"])

    def set_choices(self, refs: dict[str, str]) -> None:
        """Offer ``label -> ref``; picked labels that vanished are dropped."""
        self._refs = dict(refs)
        labels = list(refs)
        with self.widget.hold_sync():
            if list(self.widget.allowed_tags) != labels:
                self.widget.allowed_tags = labels
            kept = [v for v in self.widget.value if v in refs]
            if kept != list(self.widget.value):
                self.widget.value = kept

    @property
    def value(self) -> tuple[str, ...]:
        """The picked refs, in order."""
        return tuple(self._refs[label] for label in self.widget.value if label in self._refs)

    def set(self, refs: tuple[str, ...]) -> None:
        labels = {ref: label for label, ref in self._refs.items()}
        self.widget.value = [labels[r] for r in refs if r in labels]


class MediaListInput:
    """Several images in order (reference slots): picked, uploaded or pasted."""

    def __init__(
        self,
        choices: MediaChoices,
        *,
        uploader: Uploader,
        on_change: Callable[[], None],
        report: Callable[[str], None],
    ) -> None:
        self._choices = choices
        self.tags = NamedTags("pick reference images", on_change=on_change)
        self.pasted = widgets.Text(
            placeholder="paste a media id, then Enter", continuous_update=False
        )
        named(self.pasted, "reference image: media id")
        self.uploads = _Uploads(
            "image", choices, uploader, self._add_label, on_change, report, multiple=True
        )
        self.widget = widgets.VBox(
            [self.tags.widget, widgets.HBox([self.pasted, self.uploads.widget])]
        )
        self.pasted.observe(self._pasted, names=["value"])
        choices.subscribe(self.refresh_options)
        self.refresh_options()

    @property
    def value(self) -> tuple[str, ...]:
        return self.tags.value

    @property
    def pending(self) -> list[str]:
        return list(self.uploads.pending)

    def set(self, media_ids: tuple[str, ...]) -> None:
        for media_id in media_ids:
            if self._choices.label_of(media_id) is None:
                self._choices.add(_id_label(media_id), media_id)
        self.refresh_options()
        self.tags.set(media_ids)

    def refresh_options(self) -> None:
        self.tags.set_choices(dict(self._choices.options("image")))

    def _add_label(self, label: str) -> None:
        self.refresh_options()
        if label not in self.tags.widget.value:
            self.tags.widget.value = [*self.tags.widget.value, label]

    def _pasted(self, change: Change) -> None:
        media_id = str(change["new"]).strip()
        if not media_id:
            return
        label = self._choices.add(_id_label(media_id), media_id)
        self.pasted.value = ""
        self._add_label(label)
