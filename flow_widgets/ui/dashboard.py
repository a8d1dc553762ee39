"""The jobs dashboard: every job of this notebook (or, with ``all=True``, of the machine), live.

Why: after a batch, a restart or a day of work, people want one place that answers "what is
running, what failed, what did it cost, where is the file" — across cells and across kernels.
The table (status, model, account, credits, age, prompt, thumbnail) and the card of the shown
job are plain outputs redrawn in place (boards), so they update without running another cell
and stay readable in a saved notebook; the filters and the rows' own *show* / *stop watching* /
*resume* buttons (:mod:`flow_widgets.ui.job_row_actions`) are the only widgets, so a notebook
reopened without a kernel shows the table and no button that could not work.

It follows the session without polling: the credit tracker announces every submission and
every settlement, and each watched job announces its own changes; both only ask the throttled
boards for a redraw (at most two a second), from whatever thread they come.

Example:
    >>> import flow_widgets as fw     # doctest: +SKIP
    >>> fw.Jobs()                     # doctest: +SKIP
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

import ipywidgets as widgets

from flow_widgets.runtime.jobs import JobHandle
from flow_widgets.runtime.notebooks import of_this_notebook
from flow_widgets.ui import _session
from flow_widgets.ui._board import Board, BoardOptions, Bundle
from flow_widgets.ui._handlers import describe_error, guarded
from flow_widgets.ui._panel import Panel
from flow_widgets.ui._throttle import Throttle
from flow_widgets.ui.html import card_html
from flow_widgets.ui.job_row_actions import RESUME, SHOW, STOP, RowActions
from flow_widgets.ui.job_rows import (
    JobRow,
    card_view_of,
    filter_rows,
    media_views,
    merge_rows,
    row_from_handle,
)
from flow_widgets.ui.panel_html import jobs_html, jobs_text
from flow_widgets.ui.text import card_text
from flow_widgets.ui.view import card_view_from_job

if TYPE_CHECKING:  # pragma: no cover
    from flow_widgets.runtime.session import FlowSession

__all__ = ["Jobs"]

log = logging.getLogger("flow_widgets.ui")

_ALL = ""
_PHASES = ("queued", "running", "completed", "failed", "detached", "unknown")


class Jobs(Panel):
    """A live table of jobs with filters, a picked job's card, and resume / stop watching.

    Args:
        session: the session to follow (default: the kernel's ``flow_widgets.session()``).
        limit: how many ledger rows to read (newest first).
        all: list the jobs of every notebook on this machine, not only this notebook's (the
            notebook is known as :mod:`flow_widgets.runtime.notebooks` explains).
        board_options: passed to both boards (tests inject a publisher).
    """

    title = "flow_widgets jobs"

    def __init__(
        self,
        session: FlowSession | None = None,
        *,
        limit: int = 200,
        all: bool = False,
        board_options: BoardOptions | None = None,
    ) -> None:
        self.session = _session.resolve(session)
        super().__init__(scrub=_session.scrubber(self.session))
        self.limit = limit
        self.everywhere = all
        self._lock = threading.Lock()
        self._rows: list[JobRow] = []
        self._followed: set[int] = set()
        self._handles: dict[str, JobHandle] = {}
        self.status_filter = widgets.Dropdown(
            description="status",
            options=[("all", _ALL), *((p, p) for p in _PHASES)],
            value=_ALL,
        )
        self.model_filter = widgets.Dropdown(description="model", options=[("all", _ALL)])
        self.refresh_button = widgets.Button(description="refresh", icon="refresh")
        self.resume_button = widgets.Button(
            description="resume all", icon="play",
            tooltip="re-attach every unfinished job of the ledger (nothing is bought again)",
        )  # fmt: skip
        self._picked_key = _ALL
        self._resuming: set[str] = set()
        self.row_actions = RowActions(self._act)
        self.widget = widgets.VBox(
            [
                widgets.HBox(
                    [self.status_filter, self.model_filter, self.refresh_button, self.resume_button]
                ),
                self.row_actions.widget,
                self.status,
            ]
        )
        options = board_options or {}
        self.table = Board(self._table_bundle, name="jobs", **options)
        self.card = Board(self._card_bundle, name="job-card", **options)
        self.boards = [self.table, self.card]
        for control in (self.status_filter, self.model_filter):
            control.observe(
                guarded(self.status, "Filter")(lambda _c: self.reload(now=True)), names=["value"]
            )
        self.refresh_button.on_click(
            guarded(self.status, "Refresh")(lambda _b: self.reload(now=True))
        )
        self.resume_button.on_click(guarded(self.status, "Resume")(self._resume))
        self._redraw = Throttle(self.reload, min_interval=0.5)
        self.on_close(self.session.tracker.subscribe(self._redraw))
        self.on_close(self._redraw.close)
        self.reload()

    # -- data ----------------------------------------------------------------------------------

    @property
    def rows(self) -> list[JobRow]:
        """Every known job, newest first (before filtering)."""
        with self._lock:
            return list(self._rows)

    def visible_rows(self) -> list[JobRow]:
        """The rows the filters let through."""
        return filter_rows(
            self.rows,
            phase=self.status_filter.value or None,
            model=self.model_filter.value or None,
        )

    def reload(self, *, now: bool = False) -> None:
        """Read the session's jobs and the ledger again, and redraw (throttled unless ``now``:
        a person who just clicked is waiting for the answer)."""
        handles = self.session.jobs()
        for handle in handles:
            if id(handle) not in self._followed:
                self._followed.add(id(handle))
                self.on_close(handle.on_change(self._redraw))
        ledger = self.session.ledger
        if self.everywhere:
            submissions = ledger.list(limit=self.limit)
        else:  # this notebook's jobs (see flow_widgets.runtime.notebooks)
            submissions = of_this_notebook(ledger, ledger.list(limit=None))[: self.limit]
        rows = merge_rows(handles, submissions, media_files=ledger.media_files)
        with self._lock:
            self._rows = rows
            self._handles = {row_from_handle(h).key: h for h in handles}
        self._sync_controls()
        for board in self.boards:
            board.refresh_now() if now else board.refresh()

    def _sync_controls(self) -> None:
        models = sorted({row.model for row in self.rows if row.model})
        self.set_options(
            self.model_filter,
            [("all", _ALL), *((m, m) for m in models)],
            self.model_filter.value if self.model_filter.value in models else _ALL,
        )
        self.row_actions.show(self.visible_rows(), self._watching)

    def _watching(self, row: JobRow) -> bool:
        """Whether this kernel follows ``row``'s job and it has not ended (it can be stopped)."""
        handle = self._handles.get(row.key)
        return handle is not None and not handle.done

    def _picked_row(self) -> JobRow | None:
        key = self._picked_key
        return next((row for row in self.rows if row.key == key), None) if key else None

    # -- boards --------------------------------------------------------------------------------

    def _table_bundle(self) -> Bundle:
        rows = self.visible_rows()
        html = jobs_html(rows, limit=self.limit)
        return {"text/html": html, "text/plain": jobs_text(rows, limit=self.limit)}, {}

    def _card_bundle(self) -> Bundle:
        row = self._picked_row()
        if row is None:
            hint = (
                '<div style="color:var(--jp-content-font-color2,#4b5563);font:13px system-ui">'
                "Pick a job to see its card.</div>"
            )
            return {"text/html": hint, "text/plain": "(no job picked)"}, {}
        handle = self._handles.get(row.key)
        if handle is not None:
            view = card_view_from_job(handle, kind=str(getattr(handle, "kind", "video")))
        else:
            records = self.session.ledger.media_files(row.key)
            view = card_view_of(row, media_views(records))
        return {"text/html": card_html(view), "text/plain": card_text(view)}, {
            "flow_widgets": view.provenance()
        }

    # -- actions -------------------------------------------------------------------------------

    def _act(self, action: str, key: str) -> None:
        """A row's button was pressed (see :mod:`flow_widgets.ui.job_row_actions`)."""
        run = {SHOW: self.pick, STOP: self._stop, RESUME: self._resume_row}[action]
        guarded(self.status, action.capitalize())(run)(key)

    def pick(self, key: str) -> None:
        """Show the job of ``key`` on the card board."""
        self._picked_key = key
        self.card.refresh_now()

    def _stop(self, key: str) -> None:
        handle = self._handles.get(key)
        if handle is None or handle.done:
            self.status.show("This kernel is not watching that job any more.", "info")
            return
        handle.cancel()
        self.reload(now=True)
        self.status.show(
            "Stopped watching. The job still runs on the server and is charged; resume "
            "re-attaches to it.",
            "warning",
        )

    def _resume_row(self, key: str) -> None:
        """Re-attach the one job of ``key`` (on a thread: the kernel stays free). A second
        press while it is re-attaching does nothing: re-attaching never buys, and never twice."""
        with self._lock:
            if key in self._resuming:
                self.status.show("Already re-attaching that job.", "info")
                return
            self._resuming.add(key)
        button = self.row_actions.button(key, RESUME)
        if button is not None:
            button.disabled = True
        self.status.show("Re-attaching the job…")

        def work() -> None:
            try:
                handles = self.session.resume(only=key)
            except Exception as exc:  # shown on the panel; a thread has nobody else to tell
                log.exception("Resume failed")
                self.status.error(describe_error("Resume", exc))
            else:
                if handles:
                    self.status.show("Re-attached the job; this kernel follows it now.", "ok")
                else:
                    self.status.show("Nothing to re-attach: that job has ended.", "info")
            finally:
                with self._lock:
                    self._resuming.discard(key)
                if button is not None:
                    button.disabled = False
                self.reload(now=True)

        threading.Thread(target=work, name="flow-widgets-resume", daemon=True).start()

    def _resume(self, _button: object = None) -> None:
        self.resume_button.disabled = True
        self.status.show("Re-attaching unfinished jobs…")

        def work() -> None:
            try:
                handles = self.session.resume()
            except Exception as exc:  # shown on the panel; a thread has nobody else to tell
                log.exception("Resume failed")
                self.status.error(describe_error("Resume", exc))
            else:
                count = len(handles)
                self.status.show(f"Re-attached {count} unfinished job{'s' * (count != 1)}.", "ok")
            finally:
                self.resume_button.disabled = False
                self._redraw()

        threading.Thread(target=work, name="flow-widgets-resume", daemon=True).start()

    def summary(self) -> tuple[str, str]:
        rows = self.visible_rows()
        return jobs_html(rows, limit=20), jobs_text(rows, limit=20)
