"""What happens when a submission's result is in: settle the credits, save the files, close the row.

Why separate from the runner: finishing is the same whether the result came from a poll, from a
synchronous reply (images, GIFs, joined videos, voices) or from a re-attached ledger row, and it
has its own rules -- a failed or fully moderated job is a failure in plain words, counted as
not charged only when the account balance shows the refund (the API may keep the credits); a
completed one settles its estimate at the price of the account's real plan and updates the
balance from ``remainingCredits``; the ledger row stays ``running`` until every file is on
disk, so a full disk or an expired URL is finished later by ``flow.resume()`` without buying
anything again.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from flow_widgets.api.models import (
    Asset,
    Character,
    ConcatenatedVideo,
    Gif,
    Job,
    Media,
    UpscaledImage,
    Voice,
)
from flow_widgets.api.requests import FlowRequest
from flow_widgets.errors import DownloadError, FlowError, UnknownPriceError
from flow_widgets.runtime.filenames import extension_for
from flow_widgets.runtime.fresh_urls import MediaGoneError
from flow_widgets.runtime.jobs import JobHandle, MediaFile
from flow_widgets.runtime.ledger import Ledger, Submission
from flow_widgets.runtime.media_prep import prepare_media
from flow_widgets.runtime.saving import MediaSaver
from flow_widgets.runtime.tracker import CreditTracker
from flow_widgets.runtime.work_item import WorkItem

__all__ = ["OutputHandler", "job_failure_text"]

log = logging.getLogger("flow_widgets.outputs")

#: ``(submission id, output index, the output)`` -> a fresh URL for it, or ``None``.
Refresher = Callable[[str, int, Media], Awaitable[str | None]]
BalanceReader = Callable[[str], Awaitable[int | None]]

#: Kinds whose result arrives in the reply itself (nothing to poll, nothing the API keeps).
MODERATED = (
    "Google withheld every output of this job (content moderation); rephrase the prompt and "
    "submit again."
)


def job_failure_text(job: Job) -> str:
    """A failed job's reason in one plain sentence."""
    parts = [p for p in (job.error, job.error_details) if p]
    reason = "; ".join(dict.fromkeys(parts)) or "no reason was given"
    code = f" (HTTP {job.code})" if job.code else ""
    return f"The job failed on the server: {reason}{code}."


class OutputHandler:
    """Turns finished results into saved files, settled credits and closed ledger rows."""

    def __init__(
        self,
        ledger: Ledger,
        tracker: CreditTracker,
        saver: MediaSaver,
        *,
        read_balance: BalanceReader | None = None,
    ) -> None:
        self.ledger = ledger
        self.tracker = tracker
        self.saver = saver
        self.read_balance = read_balance
        self._balance_at_accept: dict[str, int] = {}

    def note_accepted(self, sid: str, account: str | None) -> None:
        """Remember the account's known balance when a job is accepted: the evidence a later
        failure is judged by (the balance comes back up when the API refunds it)."""
        known = {a.email: a.credits for a in self.tracker.accounts()}.get(account or "")
        if known is not None:
            self._balance_at_accept[sid] = known

    async def finish_job(
        self,
        handle: JobHandle,
        sid: str,
        work: WorkItem | None,
        job: Job,
        refresher: Refresher,
        finished: float | None = None,
    ) -> None:
        """Close a finished job: failure, or credits + files + ``completed``.

        ``finished``: when the job really ended, for a re-attached card (whose duration would
        otherwise run to the moment of re-attaching); ``None`` means now.
        """
        ended: dict[str, Any] = {} if finished is None else {"finished": finished}
        account = job.account_email or handle.account
        if job.remaining_credits is not None and account:
            self.tracker.update_balance(account, job.remaining_credits)
        usable = tuple(m for m in job.media if not m.filtered)
        if job.status == "failed" or not usable:
            message = job_failure_text(job) if job.status == "failed" else MODERATED
            charged, credits = await self._failed_charge(sid, work, account)
            if charged is None:
                message += (
                    f" Its {credits} credits may have been kept: the account balance did not "
                    "show them refunded."
                )
            self.ledger.mark_state(
                sid, "failed", error=message, charged=charged, credits=credits, job=job.to_dict()
            )
            self.tracker.settle(sid, credits, account=account)
            handle.apply(
                status="failed",
                error=message,
                error_code=job.code,
                charged=charged,
                credits=credits,
                account=account,
                **ended,
            )
            return
        credits = self._charge(sid, work, account)
        recorded = self.ledger.get(sid)
        if recorded is None or recorded.state != "completed":
            self.ledger.mark_state(sid, "running", job=job.to_dict(), charged=True, credits=credits)
        self.tracker.settle(sid, credits, account=account)
        handle.apply(
            status="downloading",
            jobid=job.jobid,
            account=account,
            credits=credits,
            charged=True,
            media=tuple(
                MediaFile(
                    index=i,
                    kind=m.kind,
                    media_id=m.media_generation_id,
                    url=m.url,
                    seed=m.seed,
                    duration=m.duration_seconds,
                )
                for i, m in enumerate(usable)
            ),
            reopen=True,
        )

        async def refresh(index: int) -> str | None:
            return await refresher(sid, index, usable[index])

        try:
            files = await self.saver.save_job_media(
                sid,
                kind=handle.kind,
                prompt=handle.prompt,
                jobid=job.jobid,
                media=usable,
                refresh=refresh,
            )
        except DownloadError as exc:
            self._download_failed(handle, exc)
            return
        self.ledger.mark_state(sid, "completed")
        await prepare_media(files)  # poster/preview made off the engine loop, before the card
        handle.apply(status="completed", media=files, error=None, note=None, **ended)

    async def reopen(
        self,
        handle: JobHandle,
        submission: Submission,
        work: WorkItem | None,
        refresher: Refresher,
        finished: float | None = None,
    ) -> bool:
        """Finish a ledger row whose result was already in; ``False`` if it needs the API.

        ``finished``: when the job really ended (see :meth:`finish_job`).
        """
        ended: dict[str, Any] = {} if finished is None else {"finished": finished}
        sid = submission.submission_id
        request_class = FlowRequest.for_kind(submission.kind)
        if request_class is not None and request_class.inline_result:
            files = tuple(self.saver.saved_files(sid).values())
            if files or submission.kind in ("voice", "character"):
                await prepare_media(files)
                handle.apply(status="completed", media=files, error=None, reopen=True, **ended)
            else:
                handle.apply(
                    status="lost",
                    error="The saved file is gone and the API keeps no copy; submit again with "
                    "new=True.",
                )
            return True
        try:
            job = Job.from_dict(submission.job or {})
        except (TypeError, ValueError, KeyError):
            return False
        if not job.is_terminal:
            return False
        await self.finish_job(handle, sid, work, job, refresher, finished)
        return True

    async def finish_payload(
        self, handle: JobHandle, sid: str, work: WorkItem | None, result: Any
    ) -> None:
        """Close a synchronous result: an inline file (GIF, video, image) or a library item."""
        credits = self._charge(sid, work, None)
        self.ledger.mark_state(
            sid, "running", job=_as_dict(result), charged=credits > 0, credits=credits
        )
        self.tracker.settle(sid, credits)
        handle.apply(status="downloading", credits=credits, charged=credits > 0, result=result)
        try:
            media = await self._save_payload(handle, sid, result)
        except DownloadError as exc:
            self._download_failed(handle, exc)
            return
        self.ledger.mark_state(sid, "completed")
        await prepare_media(media)
        handle.apply(status="completed", media=media, error=None, note=None)

    async def _save_payload(
        self, handle: JobHandle, sid: str, result: Any
    ) -> tuple[MediaFile, ...]:
        prompt = handle.prompt
        if isinstance(result, Gif):
            data, kind, ext, key = result.data, "gif", "gif", sid
        elif isinstance(result, ConcatenatedVideo):
            data, kind, ext, key = result.data, "video", "mp4", result.jobid or sid
        elif isinstance(result, UpscaledImage):
            data, kind, ext, key = result.data, "image", extension_for(result.mime_type, "jpg"), sid
        elif isinstance(result, Voice) and result.audio_url:
            clip = await self.saver.save_url(
                sid, kind="audio", prompt=prompt, key=result.voice, url=result.audio_url
            )
            return (clip,)
        elif isinstance(result, (Voice, Character, Asset)):
            return ()
        else:
            raise DownloadError(f"Unexpected result of type {type(result).__name__}.")
        saved = await self.saver.save_bytes(
            sid, kind=kind, prompt=prompt, key=key, data=data, ext=ext
        )
        return (saved,)

    def _download_failed(self, handle: JobHandle, exc: DownloadError) -> None:
        if isinstance(exc, MediaGoneError):  # nothing to resume: say only what happened
            # The row ends here (paid, nothing to fetch): no later session re-attaches it, and
            # as "completed" a re-run re-attaches to it instead of buying again.
            self.ledger.mark_state(handle.submission_id or "", "completed", error=str(exc))
            handle.apply(status="download_failed", error=str(exc))
            return
        # The ledger row stays "running": flow.resume() finishes the files, buying nothing.
        handle.apply(
            status="download_failed",
            error=f"Saving the results failed: {exc} Call flow.resume() to finish.",
        )

    async def _failed_charge(
        self, sid: str, work: WorkItem | None, account: str | None
    ) -> tuple[bool | None, int]:
        """Whether a failed job's credits were kept, from the evidence the API gives.

        The API may keep a failed job's credits (spec §6 Q3) and its job record does not say.
        The account balance does: read once more now, it is back at (or above) the balance known
        when the job was accepted only if the credits were refunded. Without that evidence the
        charge is unknown, ``(None, price)`` -- never "nothing spent".
        """
        before = self._balance_at_accept.pop(sid, None)
        price = self._charge(sid, work, account)
        if price <= 0:
            return False, 0
        if before is None or account is None or self.read_balance is None:
            return None, price
        try:
            after = await self.read_balance(account)
        except FlowError as exc:
            log.warning("Reading the balance after a failed job failed: %s", exc)
            return None, price
        if after is not None and after >= before:
            return False, 0
        return None, price

    def _charge(self, sid: str, work: WorkItem | None, account: str | None) -> int:
        """What the submission really cost: the estimate at the account's real plan (a charge
        recorded earlier, by this session or a previous one, stands)."""
        submission = self.ledger.get(sid)
        if submission is not None and submission.charged and submission.credits is not None:
            return submission.credits
        estimate = submission.estimate if submission is not None else 0
        tier = self.tracker.tier_of(account)
        if work is None or tier is None:
            return estimate
        try:
            return int(work.request.estimate_credits(tier, self.tracker.catalog))
        except UnknownPriceError:  # a model newer than the catalog: what was reserved stands
            return estimate


def _as_dict(result: Any) -> dict[str, Any] | None:
    to_dict = getattr(result, "to_dict", None)
    if to_dict is None:
        return None
    data = dict(to_dict())
    data.pop("data", None)  # inline bytes are saved as a file, not in the ledger
    return data
