"""``fw.Class()`` and ``%flow class``: the teacher's view of a class on a classroom gateway.

Why a panel of its own: the class's state lives in the gateway's database, not in any kernel,
so the teacher's kernel reads it from the gateway's class endpoints (with the teacher's token,
which the students never hold) and redraws one board: the class budget, each student's spend
against their allowance, the line with each request's wait, the running jobs and the accounts'
slots. The controls pause and resume the class, set a student's allowance, and write the class's
finished results as one self-contained page (the export writer of ``fw.export``) for the
end-of-lesson review.

Example:
    >>> import flow_widgets as fw                                   # doctest: +SKIP
    >>> fw.Class("http://127.0.0.1:8790/v1/google-flow")            # doctest: +SKIP
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx
import ipywidgets as widgets

from flow_widgets.api.classroom import ClassOverview, ClassResult, ClassroomClient
from flow_widgets.api.models import Job
from flow_widgets.errors import ValidationError
from flow_widgets.runtime.filenames import slugify
from flow_widgets.ui._board import Board, BoardOptions, Bundle
from flow_widgets.ui._handlers import describe_error, guarded
from flow_widgets.ui._panel import Panel
from flow_widgets.ui.class_html import class_html, class_text
from flow_widgets.ui.export import ExportItem, write_page

__all__ = ["Class", "class_gallery"]

log = logging.getLogger("flow_widgets.ui")


def _sniffed_extension(head: bytes, kind: str) -> str:
    """The file's real type from its first bytes (an extension or a URL may say otherwise)."""
    if head.startswith(b"\x89PNG"):
        return "png"
    if head.startswith(b"\xff\xd8"):
        return "jpg"
    if head.startswith(b"GIF8"):
        return "gif"
    if head[4:8] == b"ftyp":
        return "mp4"
    return "mp4" if kind == "video" else "bin"


def class_gallery(
    results: Sequence[ClassResult],
    path: str | os.PathLike[str],
    *,
    title: str | None = None,
    http: httpx.Client | None = None,
) -> Path:
    """Download each finished result's media next to ``path`` and write the review page.

    Files go to ``<page name>_media/`` (``student-name-N.ext``); a medium whose link has
    expired or fails is shown as "not on this computer" with its prompt, not dropped.

    Raises:
        ValidationError: the class has no finished result yet.
    """
    target = Path(path).expanduser()
    if target.suffix.lower() not in (".html", ".htm"):
        target = target.with_suffix(".html")
    folder = target.parent / f"{target.stem}_media"
    client = http or httpx.Client(timeout=60, follow_redirects=True)
    items: list[ExportItem] = []
    try:
        for number, result in enumerate(results, 1):
            job = result.get("job")
            if not isinstance(job, Mapping):
                continue
            try:
                media = Job.from_api(job).media
            except ValueError:
                media = ()
            request = dict(result.get("request") or {})
            student = str(result.get("student", ""))
            for n, medium in enumerate(media or (None,), 1):
                file = None
                if medium is not None and medium.url:
                    try:
                        answer = client.get(medium.url)
                        answer.raise_for_status()
                    except httpx.HTTPError:
                        log.warning("class gallery: a result's media could not be fetched")
                    else:
                        folder.mkdir(parents=True, exist_ok=True)
                        ext = _sniffed_extension(answer.content[:12], medium.kind)
                        name = f"{slugify(student) or 'student'}-{number}-{n}.{ext}"
                        file = folder / name
                        file.write_bytes(answer.content)
                kind = "gif" if file is not None and file.suffix == ".gif" else "video"
                if medium is not None and medium.kind == "image":
                    kind = "image"
                items.append(
                    ExportItem(
                        path=file,
                        kind=kind,
                        prompt=str(request.get("prompt", "")),
                        model=str(request["model"]) if request.get("model") else None,
                        credits=int(result.get("credits") or 0),
                        settings={k: v for k, v in request.items() if k != "model"},
                        title=student,
                    )
                )
    finally:
        if http is None:
            client.close()
    if not items:
        raise ValidationError(
            "the class has no finished results yet: the review page is written once a student's "
            "job has completed.",
            field="results",
        )
    return write_page(target, items, title=title or "The class's results")


class Class(Panel):
    """The live class: budget, students, the line, running jobs, accounts, and the review.

    Args:
        gateway: the gateway's API base (default: ``$FLOW_GATEWAY_URL``, else
            ``http://127.0.0.1:8790/v1/google-flow``).
        token: the teacher's useapi.net token, the one the gateway runs with (default:
            ``$USEAPI_TOKEN``). It is never shown.
        every: seconds between redraws while the panel is open (``0``: only on refresh).
        client, board_options: injected by tests.
    """

    title = "flow_widgets class"

    def __init__(
        self,
        gateway: str | None = None,
        *,
        token: str | None = None,
        every: float = 5.0,
        client: ClassroomClient | None = None,
        board_options: BoardOptions | None = None,
    ) -> None:
        self.client = client or ClassroomClient(gateway, token)
        secret = self.client._token
        super().__init__(scrub=lambda text: text.replace(secret, "***"))
        self.view: ClassOverview = {}
        self.results: list[ClassResult] = []
        self.refresh_button = widgets.Button(description="refresh", icon="refresh")
        self.pause_button = widgets.Button(description="pause class", icon="pause")
        self.student = widgets.Dropdown(description="student", options=[])
        self.allowance = widgets.Text(description="allowance", placeholder="credits")
        self.set_allowance_button = widgets.Button(description="set allowance", icon="check")
        self.page = widgets.Text(description="page", value="class-results.html")
        self.export_button = widgets.Button(description="export the review", icon="download")
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.refresh_button, self.pause_button]),
                widgets.HBox([self.student, self.allowance, self.set_allowance_button]),
                widgets.HBox([self.page, self.export_button]),
                self.status,
            ]
        )
        self.board = Board(self._bundle, name="class", **(board_options or {}))
        self.boards = [self.board]
        self.refresh_button.on_click(guarded(self.status, "Refresh")(self._on_refresh))
        self.pause_button.on_click(guarded(self.status, "Pause")(self._on_pause))
        self.set_allowance_button.on_click(
            guarded(self.status, "Set allowance")(self._on_allowance)
        )
        self.export_button.on_click(guarded(self.status, "Export")(self._on_export))
        self._stop = threading.Event()
        self.on_close(self._stop.set)
        self.on_close(self.client.close)
        try:
            self.refresh()
        except Exception as exc:  # the panel still opens and says why it is empty
            log.exception("Reading the class failed")
            self.status.error(describe_error("Reading the class", exc))
        if every > 0:
            threading.Thread(
                target=self._follow, args=(every,), name="flow-widgets-class", daemon=True
            ).start()

    # -- reading ---------------------------------------------------------------------------

    def refresh(self, *, results: bool = True) -> ClassOverview:
        """Read the class now (and its finished results unless ``results`` is false: the
        live redraw leaves those to refresh and export), redraw, return what the gateway said."""
        self.view = self.client.overview()
        if results:
            self.results = self.client.results()
        names = [str(s.get("name", "")) for s in self.view.get("students", [])]
        if list(self.student.options) != names:
            self.student.options = names
        self.pause_button.description = "resume class" if self.view.get("paused") else "pause class"
        self.pause_button.icon = "play" if self.view.get("paused") else "pause"
        self.board.refresh_now()
        return self.view

    def _follow(self, every: float) -> None:
        while not self._stop.wait(every):
            try:
                self.refresh(results=False)
            except Exception:  # a gateway restart must not end the live view
                log.debug("class panel: reading the class failed; trying again", exc_info=True)

    def _bundle(self) -> Bundle:
        data = {
            "text/html": class_html(self.view, results=self.results),
            "text/plain": class_text(self.view, results=self.results),
        }
        return data, {"flow_widgets": {"class": {"spent": self.view.get("spent")}}}

    def summary(self) -> tuple[str, str]:
        data, _ = self._bundle()
        return data["text/html"], data["text/plain"]

    # -- acting ----------------------------------------------------------------------------

    def pause(self) -> None:
        """Refuse new requests (queued and running ones go on)."""
        self.client.pause()
        self.refresh()
        self.status.show("The class is paused: new requests are refused.", "ok")

    def resume(self) -> None:
        self.client.resume()
        self.refresh()
        self.status.show("The class takes requests again.", "ok")

    def set_allowance(self, student: str, credits: int) -> None:
        """Set ``student``'s allowance to ``credits`` (never below what they spent)."""
        self.client.set_allowance(student, credits)
        self.refresh()
        self.status.show(f"{student} may now spend {credits:,} credits.", "ok")

    def export(self, path: str | os.PathLike[str], *, title: str | None = None) -> Path:
        """Write the class's finished results as one self-contained page; return its path."""
        self.results = self.client.results()
        written = class_gallery(self.results, path, title=title)
        self.status.show(f"Wrote {written.name} ({len(self.results)} results).", "ok")
        return written

    def _on_refresh(self, _button: object = None) -> None:
        self.refresh()
        self.status.show("Read the class.", "ok")

    def _on_pause(self, _button: object = None) -> None:
        self.resume() if self.view.get("paused") else self.pause()

    def _on_allowance(self, _button: object = None) -> None:
        text = self.allowance.value.strip().replace(",", "").replace("_", "")
        if not self.student.value:
            self.status.error("Pick a student first.")
            return
        if not text.isdigit():
            self.status.error(
                "allowance must be a whole number of credits, like 500; "
                f"got {self.allowance.value!r}."
            )
            return
        self.set_allowance(str(self.student.value), int(text))

    def _on_export(self, _button: object = None) -> None:
        self.export(self.page.value.strip() or "class-results.html")
