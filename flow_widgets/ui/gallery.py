"""Gallery and compare: a grid of takes, two takes side by side, stars, and an HTML export.

Why: generating is half the work; choosing is the other half. A gallery lays out the takes of a
batch, a ``--compare``/``--seeds`` fan-out or a whole folder with captions (model, seed, prompt
excerpt), shows two of them against each other — a before/after slider for images that works
offline, with no CDN and even with no kernel — lets a person star the keepers, and exports the
chosen ones as a small HTML page whose media links are relative, so the page and the
``flow_media`` folder can be zipped and shared.

The grid and the comparison are plain outputs (boards) redrawn in place; the pickers, the
slider, the star and export buttons are the only widgets. Takes are picked on a grid of
thumbnails (:class:`~flow_widgets.ui.thumb_grid.ThumbGrid`, named by their prompts, usable by
keyboard) narrowed by filters — cell, model, starred only, date
(:mod:`flow_widgets.ui.gallery_filters`) — with starred picks first. Takes still running are
followed and appear when they finish.

Example:
    >>> import flow_widgets as fw          # doctest: +SKIP
    >>> fw.Gallery(batch.jobs)             # doctest: +SKIP
    >>> fw.Gallery("flow_media")           # doctest: +SKIP
"""

from __future__ import annotations

import base64
import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, cast

import ipywidgets as widgets

from flow_widgets.ui._board import Board, BoardOptions, Bundle
from flow_widgets.ui._handlers import guarded
from flow_widgets.ui._panel import Panel
from flow_widgets.ui._throttle import Throttle
from flow_widgets.ui.gallery_filters import (
    AGES,
    ANY,
    TakeFilter,
    cell_choices,
    filter_takes,
    model_choices,
)
from flow_widgets.ui.html import grid_html
from flow_widgets.ui.panel_html import Take, compare_html, takes_html, takes_text
from flow_widgets.ui.thumb_grid import ThumbGrid
from flow_widgets.ui.view import MediaView, media_view_from_file, relative_src

if TYPE_CHECKING:  # pragma: no cover
    from flow_widgets.runtime.batch import Batch
    from flow_widgets.runtime.jobs import JobHandle
    from flow_widgets.runtime.session import FlowSession

__all__ = ["Gallery", "takes_from_folder", "takes_from_jobs"]

MEDIA_SUFFIXES = {".mp4": "video", ".webm": "video", ".png": "image", ".jpg": "image",
                  ".jpeg": "image", ".webp": "image", ".gif": "gif"}  # fmt: skip


def takes_from_jobs(
    jobs: Iterable[JobHandle], *, base: str | os.PathLike[str] | None = None
) -> list[Take]:
    """One take per saved file of each finished job (model, seed and prompt from the job)."""
    takes: list[Take] = []
    for handle in jobs:
        for media in getattr(handle, "media", None) or ():
            if getattr(media, "path", None) is None:
                continue
            view = media_view_from_file(media, base=base)
            key = f"{getattr(handle, 'submission_id', None) or id(handle)}:{media.index}"
            takes.append(
                Take(
                    key=key,
                    media=view,
                    model=getattr(handle, "model", None),
                    seed=getattr(media, "seed", None),
                    prompt=str(getattr(handle, "prompt", None) or ""),
                    created=_created(handle),
                )
            )
    return takes


def _created(handle: object) -> float | None:
    value = getattr(handle, "created", None)
    return float(value) if isinstance(value, (int, float)) else None


def takes_from_folder(
    folder: str | os.PathLike[str], *, base: str | os.PathLike[str] | None = None
) -> list[Take]:
    """One take per media file in ``folder`` (not recursive), oldest first; captions come from
    the file names (``video-a-red-fox-3f2a9c1b07-0.mp4`` reads "a red fox")."""
    path = Path(folder)
    if not path.is_dir():
        from flow_widgets.errors import ValidationError

        raise ValidationError(
            f"folder {os.fspath(folder)!r} does not exist; pass a folder of media files such as "
            "flow_media, or a list of jobs.",
            field="folder",
        )
    files = sorted(
        (p for p in path.iterdir() if p.suffix.lower() in MEDIA_SUFFIXES and p.is_file()),
        key=lambda p: (p.stat().st_mtime, p.name),
    )
    takes = []
    for file in files:
        view = MediaView(
            kind=MEDIA_SUFFIXES[file.suffix.lower()],
            src=relative_src(file, base),
            file_name=file.name,
            size_bytes=file.stat().st_size,
        )
        takes.append(
            Take(
                key=file.name,
                media=view,
                prompt=_prompt_from_name(file.stem),
                created=file.stat().st_mtime,
            )
        )
    return takes


def _prompt_from_name(stem: str) -> str:
    """``video-a-red-fox-3f2a9c1b07-0`` -> ``a red fox`` (the media file naming scheme)."""
    parts = stem.split("-")
    if len(parts) >= 3 and parts[-1].isdigit() and len(parts[-2]) == 10:
        parts = parts[1:-2]
    return " ".join(parts)


class Gallery(Panel):
    """A grid of takes with captions, a compare view, stars and an HTML export.

    Args:
        jobs_or_folder: job handles (a list, a batch's jobs, one handle), a folder of media
            files, or ``None`` for every job of the session (new ones join as they start).
        session: the jobs (when ``jobs_or_folder`` is ``None``) and the ledger that says which
            cell made each take and which takes are their cell's pick (default: the current).
        board_options: passed to both boards (tests inject a publisher).
    """

    title = "flow_widgets gallery"

    def __init__(
        self,
        jobs_or_folder: Iterable[JobHandle]
        | JobHandle
        | Batch
        | str
        | os.PathLike[str]
        | None = None,
        *,
        session: FlowSession | None = None,
        board_options: BoardOptions | None = None,
    ) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._stars: set[str] = set()
        self._folder: Path | None = None
        self._jobs: list[JobHandle] = []
        self._session: FlowSession | None = None
        self._ledger_of: FlowSession | None = session  # whose ledger says cells and picks
        self._followed: set[int] = set()
        if isinstance(jobs_or_folder, (str, os.PathLike)):
            self._folder = Path(jobs_or_folder)
        elif jobs_or_folder is None:
            from flow_widgets.ui import _session

            self._session = self._ledger_of = _session.resolve(session)
            self._jobs = list(self._session.jobs())
        else:
            items = getattr(jobs_or_folder, "jobs", jobs_or_folder)  # a batch: its jobs
            self._jobs = list(items) if isinstance(items, Iterable) else [cast("JobHandle", items)]
        self.layout_choice = widgets.ToggleButtons(
            options=[("grid", "grid"), ("models × seeds", "matrix")], value="grid",
            description="show",  # the group's name (each button is named by its label)
        )  # fmt: skip
        self.cell_filter = widgets.Dropdown(description="cell", options=cell_choices([]))
        self.model_filter = widgets.Dropdown(description="model", options=model_choices([]))
        self.starred_filter = widgets.Checkbox(description="starred only", value=False)
        self.age_filter = widgets.Dropdown(
            description="made", options=[(label, index) for index, (label, _) in enumerate(AGES)]
        )
        self.selection = ThumbGrid(label="takes")
        self._thumbs: dict[tuple[str, float], str] = {}
        self.star_button = widgets.Button(description="star", icon="star")
        self.a = widgets.Dropdown(description="A", options=[], layout={"width": "420px"})
        self.b = widgets.Dropdown(description="B", options=[], layout={"width": "420px"})
        self.position = widgets.IntSlider(value=50, min=0, max=100, description="A ◀▶ B")
        self.export_name = widgets.Text(value="takes.html", description="export to")
        self.export_button = widgets.Button(description="export", icon="download")
        self.widget = widgets.VBox(
            [
                self.layout_choice,
                widgets.HBox(
                    [self.cell_filter, self.model_filter, self.age_filter, self.starred_filter]
                ),
                widgets.HBox([self.selection, widgets.VBox([self.star_button])]),
                widgets.HBox([self.a, self.b]),
                self.position,
                widgets.HBox([self.export_name, self.export_button]),
                self.status,
            ]
        )
        options = board_options or {}
        self.grid = Board(self._grid_bundle, name="gallery", **options)
        self.compare = Board(self._compare_bundle, name="compare", **options)
        self.boards = [self.grid, self.compare]
        self.layout_choice.observe(
            guarded(self.status, "Layout")(lambda _c: self.grid.refresh_now()), names=["value"]
        )
        for control in (self.a, self.b, self.position):
            control.observe(
                guarded(self.status, "Compare")(lambda _c: self.compare.refresh()), names=["value"]
            )
        for control in (self.cell_filter, self.model_filter, self.age_filter, self.starred_filter):
            control.observe(
                guarded(self.status, "Filter")(lambda _c: self.reload()), names=["value"]
            )
        self.star_button.on_click(guarded(self.status, "Star")(self._star))
        self.export_button.on_click(guarded(self.status, "Export")(self._export))
        self._later = Throttle(self.reload, min_interval=0.5)
        self.on_close(self._later.close)
        if self._session is not None:  # the whole session: new jobs join as they are submitted
            self.on_close(self._session.tracker.subscribe(self._later))
        self.reload()

    # -- data ----------------------------------------------------------------------------------

    def takes(self, *, base: str | os.PathLike[str] | None = None) -> list[Take]:
        """Every take now, stars applied (media links relative to ``base``)."""
        if self._folder is not None:
            found = takes_from_folder(self._folder, base=base)
        else:
            found = takes_from_jobs(self._jobs, base=base)
        with self._lock:
            stars = set(self._stars)
        picks = _cell_picks(self._ledger_of)  # takes starred as their cell's pick come first
        cells = _take_cells(self._ledger_of)
        marked = [
            replace(
                t,
                starred=t.key in stars or _sid(t.key) in picks,
                cell=cells.get(_sid(t.key), t.cell),
            )
            for t in found
        ]
        return sorted(marked, key=lambda t: _sid(t.key) not in picks)

    def reload(self) -> None:
        """Look for new takes and redraw (throttled)."""
        if self._session is not None:
            known = {id(job) for job in self._jobs}
            self._jobs += [job for job in self._session.jobs() if id(job) not in known]
        for handle in list(self._jobs):
            on_change = getattr(handle, "on_change", None)
            if on_change is not None and id(handle) not in self._followed:
                self._followed.add(id(handle))
                self.on_close(on_change(self._later))
        every = self.takes()
        for control, choices in (
            (self.cell_filter, cell_choices(every)),
            (self.model_filter, model_choices(every)),
        ):
            self.set_options(control, choices, _kept(control, choices))
        takes = filter_takes(every, self.filter)
        options = [(t.caption or t.key, t.key) for t in takes]
        keys = [key for _, key in options]
        tiles = [self._tile(t) for t in takes]
        if list(self.selection.tiles) != tiles:
            kept = tuple(k for k in self.selection.value if k in keys)
            with self.selection.hold_sync():
                self.selection.tiles = tiles
                self.selection.value = kept
        self.set_options(self.a, options, self.a.value if self.a.value in keys else _nth(keys, 0))
        self.set_options(self.b, options, self.b.value if self.b.value in keys else _nth(keys, 1))
        self.grid.refresh()
        self.compare.refresh()

    @property
    def filter(self) -> TakeFilter:
        """What the filters (cell, model, made, starred only) are set to now."""
        return TakeFilter(
            cell=str(self.cell_filter.value or ANY),
            model=str(self.model_filter.value or ANY),
            starred=bool(self.starred_filter.value),
            max_age=AGES[int(self.age_filter.value or 0)][1],
        )

    def shown(self) -> list[Take]:
        """The takes the filters let through, starred picks first."""
        return filter_takes(self.takes(), self.filter)

    def _tile(self, take: Take) -> dict[str, object]:
        """One tile of the picker: named by the prompt, with a thumbnail made on this machine."""
        seed = f"seed {take.seed}" if take.seed is not None else ""
        caption = " · ".join(p for p in (take.model or "", seed) if p) or take.media.file_name
        return {
            "key": take.key,
            "name": take.prompt or take.media.file_name or take.key,
            "caption": caption,
            "kind": take.media.kind,
            "thumb": self._thumb(take),
            "starred": take.starred,
        }

    def _thumb(self, take: Take) -> str:
        """A small JPEG data URL of the take (its poster, else made from its file), or ``""``."""
        poster = take.media.poster or ""
        if poster.startswith("data:image/"):
            return poster
        src = take.media.link or take.media.src
        if not src or src.startswith(("data:", "http:", "https:")):
            return ""
        path = Path(src) if self._folder is None else self._folder / take.media.file_name
        try:
            stamp = path.stat().st_mtime
        except OSError:
            return ""
        cached = self._thumbs.get((str(path), stamp))
        if cached is None:
            from flow_widgets.ui.studio_thumbs import thumbnail_of_file

            data = thumbnail_of_file(path)
            cached = "data:image/jpeg;base64," + base64.b64encode(data).decode() if data else ""
            self._thumbs[(str(path), stamp)] = cached
        return cached

    # -- boards --------------------------------------------------------------------------------

    def _grid_bundle(self) -> Bundle:
        takes = self.shown()
        if self.layout_choice.value == "matrix" and takes:
            html = _matrix_html(takes)
        else:
            html = takes_html(takes)
        return {"text/html": html, "text/plain": takes_text(takes) or "(no takes yet)"}, {}

    def _compare_bundle(self) -> Bundle:
        by_key = {t.key: t for t in self.takes()}
        a, b = by_key.get(self.a.value), by_key.get(self.b.value)
        if a is None or b is None:
            hint = "Pick two takes (A and B) to compare them."
            return {"text/html": f'<div style="color:#6b7280">{hint}</div>', "text/plain": hint}, {}
        html = compare_html(a, b, position=self.position.value)
        return {"text/html": html, "text/plain": f"A: {a.caption}\nB: {b.caption}"}, {}

    # -- actions -------------------------------------------------------------------------------

    def _star(self, _button: object = None) -> None:
        chosen = set(self.selection.value)
        if not chosen:
            self.status.show("Pick one or more takes in the grid first, then press star.", "info")
            return
        with self._lock:
            if chosen <= self._stars:
                self._stars -= chosen
                verb = "Unstarred"
            else:
                self._stars |= chosen
                verb = "Starred"
        self.status.show(f"{verb} {len(chosen)} take{'s' * (len(chosen) != 1)}.", "ok")
        self.grid.refresh_now()

    @property
    def starred(self) -> list[str]:
        """Keys of the starred takes."""
        with self._lock:
            return sorted(self._stars)

    def export(self, path: str | os.PathLike[str], keys: Sequence[str] | None = None) -> Path:
        """Write the takes ``keys`` (default: the selected, else the starred) as an HTML page.

        The page is self-contained (previews embedded, see :mod:`flow_widgets.ui.export`).
        """
        target = Path(path)
        if target.suffix.lower() not in (".html", ".htm"):
            target = target.with_suffix(".html")
        wanted = list(keys) if keys is not None else list(self.selection.value) or self.starred
        if not wanted:
            from flow_widgets.errors import ValidationError

            raise ValidationError(
                "export has no takes to write; select takes in the grid or star some first.",
                field="takes",
            )
        folder = target.resolve().parent
        takes = {t.key: t for t in self.takes(base=folder)}
        chosen = [takes[k] for k in wanted if k in takes]
        from flow_widgets.ui.export import items_from_takes, write_page  # the one page writer

        return write_page(target, items_from_takes(chosen, folder), title=f"{len(chosen)} takes")

    def _export(self, _button: object = None) -> None:
        if not (list(self.selection.value) or self.starred):  # a normal state, not an error
            self.status.show("Select takes in the grid, or star some, to export them.", "info")
            return
        written = self.export(self.export_name.value.strip() or "takes.html")
        self.status.show(f"Wrote {written.name} ({written.stat().st_size:,} bytes).", "ok")

    def summary(self) -> tuple[str, str]:
        data, _ = self._grid_bundle()
        return data["text/html"], data["text/plain"]


def _sid(key: str) -> str:
    """The submission id in a take's key (``submission_id:index``)."""
    return key.rpartition(":")[0]


def _cell_picks(session: FlowSession | None) -> set[str]:
    """Submissions starred as their cell's pick, in ``session``'s (else the current) ledger."""
    from flow_widgets.runtime.session import current_session
    from flow_widgets.runtime.take_store import cell_picks

    session = session if session is not None else current_session()
    return cell_picks(session.ledger if session is not None else None)


def _kept(control: widgets.Dropdown, choices: Sequence[tuple[str, str]]) -> str:
    """The filter's value if it is still offered, else "any" (a vanished cell or model)."""
    return str(control.value) if control.value in {v for _, v in choices} else ANY


def _take_cells(session: FlowSession | None) -> dict[str, str]:
    """Which cell made each submission, from ``session``'s (else the current) ledger."""
    from flow_widgets.runtime.session import current_session
    from flow_widgets.runtime.take_store import take_cells

    session = session if session is not None else current_session()
    return take_cells(session.ledger if session is not None else None)


def _nth(keys: Sequence[str], n: int) -> str | None:
    return keys[n] if len(keys) > n else (keys[0] if keys else None)


def _matrix_html(takes: Sequence[Take]) -> str:
    """Rows = models, columns = seeds: the layout of a ``--compare``/``--seeds`` fan-out."""
    models = list(dict.fromkeys(t.model or "unknown model" for t in takes))
    seeds = list(dict.fromkeys("seed ?" if t.seed is None else f"seed {t.seed}" for t in takes))
    cells: list[list[MediaView | None]] = [[None] * len(seeds) for _ in models]
    for take in takes:
        row = models.index(take.model or "unknown model")
        col = seeds.index("seed ?" if take.seed is None else f"seed {take.seed}")
        if cells[row][col] is None:
            label = ("★ " if take.starred else "") + (take.media.file_name or take.key)
            cells[row][col] = replace(take.media, label=label)
    return grid_html(models, seeds, cells)
