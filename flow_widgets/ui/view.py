"""What a job card shows, as plain frozen data: the seam between the runtime and the renderers.

The runtime's :class:`~flow_widgets.runtime.jobs.JobHandle` is live and thread-shared; the HTML
and text renderers want a still picture they can turn into markup with no locks and no I/O.
:class:`CardView` is that picture. Building one is the only place that reads a handle, works out
relative media URLs and folds the many status words (API, ledger, runtime) into the handful a
person needs: queued, running, completed, failed, detached, unknown.

Nothing here renders or displays; nothing here imports IPython.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any, Literal, Protocol
from urllib.parse import quote

from flow_widgets.ui.media_modes import present, warm_up

__all__ = [
    "CardPhase",
    "CardView",
    "JobLike",
    "MediaLike",
    "MediaView",
    "card_view_from_job",
    "mask_jobid",
    "media_view_from_file",
    "phase_of",
    "relative_src",
]

CardPhase = Literal["queued", "running", "completed", "failed", "detached", "unknown"]

# Every status word the API (§4.1), the ledger and the runtime use, folded into a card phase.
_PHASES: dict[str, CardPhase] = {
    "submitting": "queued",
    "created": "queued",
    "accepted": "queued",
    "queued": "queued",
    "pending": "queued",
    "started": "running",
    "running": "running",
    "downloading": "running",
    "completed": "completed",
    "done": "completed",
    "failed": "failed",
    "rejected": "failed",
    "download_failed": "failed",
    "cancelled": "detached",
    "canceled": "detached",
    "detached": "detached",
    "unknown": "unknown",
    "timed_out": "unknown",
    "lost": "unknown",
}


def phase_of(status: str | None) -> CardPhase:
    """Fold any status word into a card phase (unrecognised words read as ``unknown``).

    >>> phase_of("started"), phase_of("rejected"), phase_of("timed_out")
    ('running', 'failed', 'unknown')
    """
    return _PHASES.get((status or "").strip().lower(), "unknown")


@dataclass(frozen=True)
class MediaView:
    """One finished file as a card shows it.

    Attributes:
        kind: ``"video"``, ``"image"``, ``"gif"`` or ``"audio"``.
        src: a URL the frontend can load: relative to the notebook's folder (the default), or
            an ``http(s)`` URL when the file is not on disk yet. Empty when there is nothing.
        file_name: the file's base name, shown in the caption.
        poster: a still frame for a video: a small JPEG data URL (or a relative URL).
        seed, duration_s, size_bytes, width, height: facts for the caption, when known.
        label: a heading for grids and comparisons (``"nano-banana-pro · seed 2"``).
        media_id: the API's mediaGenerationId, for extend/upscale and copy-as-cell.
        link: the full file's relative URL when ``src`` is something else (an embedded
            preview, a served URL); the caption links it.
        note: a short remark for the caption (why a preview was not embedded).
        serve_port, serve_path: where the kernel's media server has the file (``serve``
            mode); a frontend behind a proxy (Colab) turns them into a URL it can reach.
    """

    kind: str
    src: str
    file_name: str = ""
    poster: str | None = None
    seed: int | None = None
    duration_s: float | None = None
    size_bytes: int | None = None
    width: int | None = None
    height: int | None = None
    label: str | None = None
    media_id: str | None = None
    link: str | None = None
    note: str | None = None
    serve_port: int | None = None
    serve_path: str | None = None


@dataclass(frozen=True)
class CardView:
    """Everything one job card shows at one moment.

    Attributes:
        kind: what was asked for: ``"video"``, ``"image"``, ``"extend"``, ``"upscale"``,
            ``"gif"`` or ``"concatenate"``.
        prompt: the final prompt (after interpolation); rendered escaped and truncated.
        phase: the folded status (see :func:`phase_of`).
        status: the raw status word, kept for the text fallback and provenance.
        model: the model id.
        account: the account, already masked (``jo***@gmail.com``); never a full address.
        credits: the estimate while running; what was charged once known.
        charged: whether credits were charged (``None`` = not known).
        elapsed_s, expected_s: seconds since submission and the typical total.
        jobid, submission_id: identifiers for provenance and the toolbar.
        media: the finished files.
        error: the failure in plain words.
        note: one extra line, such as "re-attached to the take bought at 14:02".
    """

    kind: str
    prompt: str
    phase: CardPhase
    status: str = ""
    model: str | None = None
    account: str | None = None
    credits: int | None = None
    charged: bool | None = None
    elapsed_s: float = 0.0
    expected_s: float | None = None
    jobid: str | None = None
    submission_id: str | None = None
    media: tuple[MediaView, ...] = field(default_factory=tuple)
    error: str | None = None
    note: str | None = None

    @property
    def finished(self) -> bool:
        """True once the card will not change again by itself."""
        return self.phase in ("completed", "failed", "detached")

    def provenance(self) -> dict[str, Any]:
        """The ``flow_widgets`` output metadata: job id, model, credits (no account, no token)."""
        return {
            "job_id": mask_jobid(self.jobid),
            "model": self.model,
            "credits": self.credits if self.charged is not False else 0,
            "status": self.phase,
        }


class MediaLike(Protocol):
    """The parts of a runtime ``MediaFile`` a card reads."""

    @property
    def path(self) -> Path | None: ...
    @property
    def kind(self) -> str: ...


class JobLike(Protocol):
    """The parts of a runtime ``JobHandle`` a card reads (see docs/architecture.md)."""

    @property
    def status(self) -> str: ...
    @property
    def prompt(self) -> str: ...
    @property
    def model(self) -> str | None: ...
    @property
    def jobid(self) -> str | None: ...
    @property
    def submission_id(self) -> str: ...


def mask_jobid(jobid: str | None) -> str | None:
    """A jobid with the account email inside it masked, the way the API masks it in its docs.

    >>> mask_jobid("j1731859234567v-u12345-email:john.doe@gmail.com-bot:google-flow")
    'j1731859234567v-u12345-email:jo***@gmail.com-bot:google-flow'
    """
    from flow_widgets.api.ids import mask_email

    if not jobid:
        return jobid
    head, sep, rest = jobid.partition("-email:")
    email, sep2, tail = rest.rpartition("-bot:")
    if not sep or not sep2 or "@" not in email or "***@" in email:
        return jobid
    return f"{head}-email:{mask_email(email)}-bot:{tail}"


def relative_src(path: str | os.PathLike[str], base: str | os.PathLike[str] | None = None) -> str:
    """A URL for ``path`` relative to ``base`` (default: the current folder), percent-encoded.

    Notebook frontends resolve relative ``src`` against the notebook's folder, which is the
    kernel's working folder in JupyterLab, Notebook 7 and VS Code.

    >>> relative_src("/nb/flow_media/a b.mp4", "/nb")
    'flow_media/a%20b.mp4'
    """
    target = os.path.abspath(os.fspath(path))
    start = os.path.abspath(os.fspath(base) if base is not None else os.getcwd())
    try:
        rel = os.path.relpath(target, start)
    except ValueError:  # another drive on Windows: no relative path exists
        rel = target
    return "/".join(quote(part) for part in PurePath(rel).parts)


def _attr(obj: Any, name: str, default: Any = None) -> Any:
    value = getattr(obj, name, default)
    return default if value is None else value


def _optional_int(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


def _optional_float(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def media_view_from_file(media: Any, *, base: str | os.PathLike[str] | None = None) -> MediaView:
    """Turn a runtime ``MediaFile`` (or anything with the same attributes) into a view.

    A file on disk is linked relatively. A file not saved yet has no ``src``: its signed URL
    expires within hours and carries a signature, so it never goes into a notebook.
    """
    path = getattr(media, "path", None)
    src = ""
    file_name = ""
    size = _optional_int(getattr(media, "size", None))
    poster_src: str | None = None
    if path is not None:
        file_path = Path(path)
        file_name = file_path.name
        src = relative_src(file_path, base)
        if size is None and file_path.exists():
            size = file_path.stat().st_size
        poster = getattr(media, "poster", None)
        if poster is not None and Path(poster).exists():
            poster_src = relative_src(poster, base)
    view = MediaView(
        kind=str(_attr(media, "kind", "video")),
        src=src,
        file_name=file_name,
        poster=poster_src,
        seed=_optional_int(getattr(media, "seed", None)),
        duration_s=_optional_float(getattr(media, "duration", None)),
        size_bytes=size,
        width=_optional_int(getattr(media, "width", None)),
        height=_optional_int(getattr(media, "height", None)),
        media_id=getattr(media, "media_id", None),
    )
    if path is None:
        return view
    return present(view, Path(path))  # the frontend's media mode (DESIGN decision 11)


def _epoch(value: Any) -> float | None:
    if value is None:
        return None
    return float(value.timestamp()) if hasattr(value, "timestamp") else float(value)


def _elapsed(job: Any, now: float | None) -> float:
    """Seconds from submission to the end (or to ``now`` while the job runs)."""
    created = _epoch(getattr(job, "created", None))
    if created is None:
        return 0.0
    finished = _epoch(getattr(getattr(job, "state", None), "finished", None))
    end = finished if finished is not None else (time.time() if now is None else now)
    return max(0.0, end - created)


def card_view_from_job(
    job: Any,
    *,
    kind: str = "video",
    base: str | os.PathLike[str] | None = None,
    now: float | None = None,
    note: str | None = None,
) -> CardView:
    """Take a still picture of a live job handle.

    Args:
        job: a runtime ``JobHandle`` (read through its documented attributes only).
        kind: what was asked for (``"video"``, ``"image"``, …).
        base: the folder relative media URLs are computed from (default: current folder).
        now: the wall-clock time to measure elapsed time against (tests pass a fixed one).
        note: an extra line for the card.
    """
    from flow_widgets.api.ids import mask_email

    status = str(_attr(job, "status", "unknown"))
    phase = phase_of(status)
    if phase in ("queued", "running"):
        warm_up()  # the codecs the finished card's poster needs load while the job runs
    if note is None and phase not in ("detached", "unknown"):
        note = getattr(getattr(job, "state", None), "note", None)  # e.g. "re-attached to …"
    account = getattr(job, "account", None)
    files: Iterable[Any] = _attr(job, "media", ()) or ()
    return CardView(
        kind=str(_attr(job, "kind", kind)),
        prompt=str(_attr(job, "prompt", "")),
        phase=phase,
        status=status,
        model=getattr(job, "model", None),
        account=mask_email(account) if account else None,
        credits=_optional_int(getattr(job, "credits", None)),
        charged=getattr(job, "charged", None),
        elapsed_s=_elapsed(job, now),
        expected_s=_optional_float(getattr(job, "expected_seconds", None)),
        jobid=getattr(job, "jobid", None),
        submission_id=getattr(job, "submission_id", None),
        media=tuple(media_view_from_file(m, base=base) for m in files),
        error=getattr(job, "error", None),
        note=note,
    )
