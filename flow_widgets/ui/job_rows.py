"""One row per job for the dashboard: live handles and ledger rows folded into one list.

Why: the dashboard shows *every* job — those this kernel is watching (live
:class:`~flow_widgets.runtime.jobs.JobHandle` objects) and those only the ledger remembers
(earlier sessions, other notebooks). They come in two shapes; the table wants one. A
:class:`JobRow` is that shape, frozen and cheap, built on whatever thread asks, so filtering and
rendering never touch a lock. A live handle wins over its own ledger row (it is fresher).

Nothing here displays anything; nothing here does I/O beyond asking a file whether it exists.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from flow_widgets.api.ids import mask_email
from flow_widgets.ui.view import (
    CardPhase,
    CardView,
    MediaView,
    card_view_from_job,
    phase_of,
    relative_src,
)

if TYPE_CHECKING:  # pragma: no cover
    from flow_widgets.runtime.jobs import JobHandle
    from flow_widgets.runtime.ledger import MediaFileRecord, Submission


__all__ = [
    "JobRow",
    "card_view_of",
    "filter_rows",
    "media_views",
    "merge_rows",
    "row_from_handle",
    "row_from_submission",
]


@dataclass(frozen=True)
class JobRow:
    """One job as the dashboard lists it.

    Attributes:
        key: the submission id (unique across handles and ledger rows).
        phase: the folded status (queued, running, completed, failed, detached, unknown).
        status: the raw status word.
        account: masked (``jo***@gmail.com``); never the full address.
        credits: charged when known, else the estimate.
        created: seconds since the epoch.
        thumbnail: the first media file, for a small preview.
        live: True when this kernel is watching the job (it can be cancelled).
    """

    key: str
    kind: str
    phase: CardPhase
    status: str
    model: str | None
    account: str | None
    credits: int | None
    charged: bool | None
    created: float
    prompt: str
    jobid: str | None = None
    thumbnail: MediaView | None = None
    error: str | None = None
    live: bool = False

    @property
    def label(self) -> str:
        """A short, one-line name for pickers (``video · veo-3.1-fast · a red fox…``)."""
        prompt = " ".join(self.prompt.split())
        short = prompt if len(prompt) <= 40 else prompt[:39] + "…"
        model = f" · {self.model}" if self.model else ""
        return f"{self.kind}{model} · {self.phase} · {short}"


def row_from_handle(handle: JobHandle, *, base: str | os.PathLike[str] | None = None) -> JobRow:
    """A row for a live job handle (through the same view the job cards use)."""
    view = card_view_from_job(handle, kind=str(getattr(handle, "kind", "video")), base=base)
    return JobRow(
        key=str(view.submission_id or id(handle)),
        kind=view.kind,
        phase=view.phase,
        status=view.status,
        model=view.model,
        account=view.account,
        credits=view.credits,
        charged=view.charged,
        created=float(getattr(handle, "created", 0.0) or 0.0),
        prompt=view.prompt,
        jobid=view.jobid,
        thumbnail=view.media[0] if view.media else None,
        error=view.error,
        live=True,
    )


def _prompt_of(payload: object) -> str:
    if not isinstance(payload, dict):
        return ""
    for key in ("prompt", "displayName", "dialog"):
        value = payload.get(key)
        if isinstance(value, str):
            return value
    return ""


def media_views(
    media_files: Sequence[MediaFileRecord], *, base: str | os.PathLike[str] | None = None
) -> tuple[MediaView, ...]:
    """Views of the ledger's saved files of one submission that are still on disk, in order."""
    views: list[MediaView] = []
    for record in sorted(media_files, key=lambda r: int(getattr(r, "index", 0))):
        path = Path(record.path)
        if not path.exists():
            continue
        suffix = path.suffix.lower()
        kind = (
            "video"
            if suffix in (".mp4", ".mov", ".webm")
            else "gif"
            if suffix == ".gif"
            else "image"
        )
        views.append(
            MediaView(
                kind=kind,
                src=relative_src(path, base),
                file_name=path.name,
                size_bytes=getattr(record, "size", None),
                media_id=getattr(record, "media_id", None),
            )
        )
    return tuple(views)


def card_view_of(row: JobRow, media: Sequence[MediaView] = ()) -> CardView:
    """A still card for a row the kernel is not watching (from the ledger)."""
    return CardView(
        kind=row.kind,
        prompt=row.prompt,
        phase=row.phase,
        status=row.status,
        model=row.model,
        account=row.account,
        credits=row.credits,
        charged=row.charged,
        jobid=row.jobid,
        submission_id=row.key,
        media=tuple(media),
        error=row.error,
        note=None if row.live else "from the ledger (not watched by this kernel)",
    )


def row_from_submission(
    submission: Submission,
    media_files: Sequence[MediaFileRecord] = (),
    *,
    base: str | os.PathLike[str] | None = None,
) -> JobRow:
    """A row for a ledger :class:`~flow_widgets.runtime.ledger.Submission` and its saved files."""
    views = media_views(media_files, base=base)
    thumbnail = views[0] if views else None
    account = getattr(submission, "account", None)
    credits = submission.credits if submission.credits is not None else submission.estimate
    return JobRow(
        key=str(submission.submission_id),
        kind=str(submission.kind),
        phase=phase_of(submission.state),
        status=str(submission.state),
        model=submission.model,
        account=mask_email(account) if account else None,
        credits=credits,
        charged=submission.charged,
        created=float(submission.created),
        prompt=_prompt_of(dict(submission.payload)),
        jobid=submission.jobid,
        thumbnail=thumbnail,
        error=submission.error,
        live=False,
    )


def merge_rows(
    handles: Iterable[JobHandle],
    submissions: Iterable[Submission],
    *,
    media_files: Callable[[str], Sequence[MediaFileRecord]] = lambda _sid: (),
    base: str | os.PathLike[str] | None = None,
) -> list[JobRow]:
    """Every job once, newest first: live handles, then ledger rows no handle covers."""
    rows: dict[str, JobRow] = {}
    for handle in handles:
        row = row_from_handle(handle, base=base)
        rows[row.key] = row
    for submission in submissions:
        sid = str(submission.submission_id)
        if sid not in rows:
            rows[sid] = row_from_submission(submission, media_files(sid), base=base)
    return sorted(rows.values(), key=lambda r: r.created, reverse=True)


def filter_rows(
    rows: Iterable[JobRow], *, phase: str | None = None, model: str | None = None
) -> list[JobRow]:
    """The rows in ``phase`` (a card phase) and of ``model``; ``None`` keeps everything."""
    return [
        row
        for row in rows
        if (phase is None or row.phase == phase) and (model is None or row.model == model)
    ]
