"""Run a documentation notebook in a real kernel and judge what it left behind.

Why one module: the notebook suite, the offline teaching run and the headless demo all ask the
same two questions — *did every cell run?* and *is every result it shows really there?* A card
that says "queued" in a finished notebook, a ``<video>`` pointing at a missing or empty file, or
a file that does not decode are all failures a reader would see; this module finds them.

The notebook runs in a copy inside ``workdir`` (the kernel's working folder), so its
``flow_media/`` folder and any files it writes land there, never in ``notebooks/``.
"""

from __future__ import annotations

import base64
import binascii
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import nbformat
from nbclient import NotebookClient
from nbformat import NotebookNode

from flow_widgets.simulator.media import MediaInfo, probe
from tests.notebooks.notebook_files import NOTEBOOK_DIR

__all__ = [
    "MediaProblem",
    "ShownMedia",
    "cards",
    "execute",
    "media_in_html",
    "media_problems",
    "output_texts",
    "remote_media",
    "saved_media",
    "shown_media",
]

_MEDIA_TAGS = {"video": "video", "img": "image", "audio": "audio", "source": "media"}
_MEDIA_ATTRS = ("src", "poster")
_FINISHED_CARD = "completed"


def execute(
    name: str,
    workdir: Path,
    *,
    extra_cells: Sequence[str] = (),
    kernel_name: str = "python3",
    km: Any = None,
    timeout: int = 600,
) -> NotebookNode:
    """Run ``notebooks/<name>.ipynb`` (plus ``extra_cells`` at the end) in ``workdir``.

    Raises nbclient's ``CellExecutionError`` on the first cell that fails. The executed notebook
    is also written to ``workdir/<name>.ipynb`` so a failure can be looked at.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    target = workdir / f"{name}.ipynb"
    shutil.copyfile(NOTEBOOK_DIR / f"{name}.ipynb", target)
    nb: NotebookNode = nbformat.read(target, as_version=4)  # type: ignore[no-untyped-call]
    for source in extra_cells:
        nb.cells.append(nbformat.v4.new_code_cell(source))  # type: ignore[no-untyped-call]
    client = NotebookClient(
        nb,
        timeout=timeout,
        startup_timeout=120,
        kernel_name=kernel_name,
        km=km,
        resources={"metadata": {"path": str(workdir)}},
    )
    try:
        client.execute(cleanup_kc=True)  # shut the kernel down even when ``km`` was passed in
    finally:
        nbformat.write(nb, target)  # type: ignore[no-untyped-call]
    return nb


def _outputs(nb: NotebookNode) -> Iterator[tuple[int, dict[str, Any]]]:
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            for output in cell.get("outputs", []):
                yield index, output


def output_texts(nb: NotebookNode) -> list[str]:
    """Every stream, plain-text and HTML output, as text (for "never shows X" checks)."""
    texts: list[str] = []
    for _, output in _outputs(nb):
        if "text" in output:
            texts.append(str(output["text"]))
        for mime in ("text/plain", "text/html"):
            value = output.get("data", {}).get(mime)
            if value is not None:
                texts.append(value if isinstance(value, str) else "".join(value))
    return texts


@dataclass(frozen=True)
class Card:
    """One job card's provenance, as saved in the notebook's output metadata."""

    cell: int
    job_id: str | None
    model: str | None
    status: str


def cards(nb: NotebookNode) -> list[Card]:
    """Every job card (and follow-up) the notebook shows, with the status it was saved with."""
    found: list[Card] = []
    for index, output in _outputs(nb):
        provenance = output.get("metadata", {}).get("flow_widgets")
        if not isinstance(provenance, dict) or "status" not in provenance:
            continue
        for entry in [provenance, *provenance.get("followups", [])]:
            found.append(
                Card(index, entry.get("job_id"), entry.get("model"), str(entry.get("status")))
            )
    return found


class _MediaSources(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        kind = _MEDIA_TAGS.get(tag)
        if kind is None:
            return
        for name, value in attrs:
            if name in _MEDIA_ATTRS and value:
                self.found.append(("image" if name == "poster" else kind, value))


@dataclass(frozen=True)
class ShownMedia:
    """A media reference inside an HTML output."""

    cell: int
    tag_kind: str
    src: str


def media_in_html(markup: str) -> list[tuple[str, str]]:
    """``(kind, src)`` of every video, image, audio or source tag (``src`` and ``poster``)."""
    parser = _MediaSources()
    parser.feed(markup)
    parser.close()
    return parser.found


def shown_media(nb: NotebookNode) -> list[ShownMedia]:
    """Every ``src``/``poster`` of a video, image, audio or source tag in the HTML outputs."""
    shown: list[ShownMedia] = []
    for index, output in _outputs(nb):
        markup = output.get("data", {}).get("text/html")
        if markup is None:
            continue
        found = media_in_html(markup if isinstance(markup, str) else "".join(markup))
        shown.extend(ShownMedia(index, kind, src) for kind, src in found)
    return shown


@dataclass(frozen=True)
class MediaProblem:
    """Why one shown media reference would not display."""

    cell: int
    src: str
    reason: str

    def __str__(self) -> str:
        return f"cell {self.cell}: {self.src[:120]} — {self.reason}"


def _bytes_of(src: str, workdir: Path) -> tuple[bytes | None, str | None]:
    """The bytes behind ``src`` (a relative file or a data: URI), or why there are none."""
    if src.startswith("data:"):
        header, _, payload = src.partition(",")
        if not header.endswith(";base64"):
            return None, "a data: URI that is not base64"
        try:
            return base64.b64decode(payload, validate=True), None
        except (binascii.Error, ValueError):
            return None, "a data: URI with broken base64"
    parsed = urlparse(src)
    if parsed.scheme or parsed.netloc or src.startswith("/"):
        return None, "not a path relative to the notebook (it would need a server or network)"
    path = (workdir / unquote(parsed.path)).resolve()
    if not path.is_relative_to(workdir.resolve()):
        return None, "points outside the notebook's folder"
    if not path.is_file():
        return None, "the file does not exist"
    return path.read_bytes(), None


def _is_remote(src: str) -> bool:
    return urlparse(src).scheme in ("http", "https")


def remote_media(nb: NotebookNode) -> list[ShownMedia]:
    """Shown media that a viewer would fetch from the network (it cannot play offline)."""
    return [item for item in shown_media(nb) if _is_remote(item.src)]


def media_problems(nb: NotebookNode, workdir: Path) -> list[MediaProblem]:
    """Every shown local media reference that is missing, empty, absolute or does not decode.

    Remote ``http(s)`` sources are not fetched here (see :func:`remote_media`).
    """
    problems: list[MediaProblem] = []
    for item in shown_media(nb):
        if _is_remote(item.src):
            continue
        data, reason = _bytes_of(item.src, workdir)
        if data is not None and not data:
            reason = "the file is empty"
        if data:
            try:
                probe(data)
            except ValueError as exc:
                reason = f"does not decode: {exc}"
        if reason is not None:
            problems.append(MediaProblem(item.cell, item.src, reason))
    return problems


def saved_media(folder: Path) -> dict[str, MediaInfo | str]:
    """Each file in a media folder -> what :func:`probe` found, or why it failed."""
    result: dict[str, MediaInfo | str] = {}
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        if not path.is_file():
            continue
        data = path.read_bytes()
        if not data:
            result[path.name] = "empty"
            continue
        try:
            result[path.name] = probe(data)
        except ValueError as exc:
            result[path.name] = str(exc)
    return result
