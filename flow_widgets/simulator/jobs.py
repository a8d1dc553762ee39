"""Jobs: created -> started -> completed | failed, on a timetable fixed at submission.

A job's whole future is decided when it is accepted (when it starts, when it ends, whether it
fails), so its status at any moment is a pure function of the clock. That keeps ``GET
/jobs/{jobid}`` cheap (no work happens on a status read) and makes advancing the clock enough to
finish jobs. :class:`JobBook` keeps a heap of upcoming transitions so the scheduler can act on
them (webhooks, refunds, statistics) in time order, and remembers expired jobs so they answer
``410`` rather than ``404``.

The record shapes are spec §3.11 (async 201, sync 200) and §3.25 (``GET /jobs/{jobid}``): the
201 and the job record say ``jobid``; a synchronous 200 says ``jobId``.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from flow_widgets.api.catalog import Tier
from flow_widgets.simulator.clock import iso_time
from flow_widgets.simulator.http import google_error
from flow_widgets.simulator.media_store import MediaItem, MediaStore
from flow_widgets.simulator.shapes import (
    google_video_key,
    image_media_entry,
    pending_operation,
    upscale_operation,
    video_media_entry,
)

__all__ = ["Failure", "Job", "JobBook", "JobStatus", "Transition", "UrlMaker"]

JobStatus = Literal["created", "started", "completed", "failed"]
Operation = Literal["video", "extend", "upscale", "image"]
UrlMaker = Callable[[str, str], str]  # (category, name) -> signed URL
TERMINAL = frozenset({"completed", "failed"})


@dataclass(frozen=True)
class Failure:
    """How a job that is going to fail will fail."""

    error: str = "API error: 500"
    details: str = "Upstream model returned an internal error"
    code: int = 500
    charged: bool = False
    reason: str | None = None


@dataclass
class Job:
    """One accepted generation and its timetable."""

    jobid: str
    type: Literal["video", "image"]
    operation: Operation
    email: str
    model: str
    tier: Tier
    project_id: str
    request: dict[str, Any]
    created: float
    starts: float
    ends: float | None
    outputs: list[str]
    credits: int
    captcha: dict[str, Any]
    failure: Failure | None = None
    reply_url: str | None = None
    mode: str = ""
    base_image: str = ""
    references: list[str] = field(default_factory=list)
    remaining_credits: int | None = None
    #: the last status the scheduler has acted on (webhooks sent, statistics counted)
    settled: JobStatus = "created"

    def status_at(self, now: float) -> JobStatus:
        if self.ends is not None and now >= self.ends:
            return "failed" if self.failure is not None else "completed"
        return "started" if now >= self.starts else "created"

    def updated_at(self, now: float) -> float:
        status = self.status_at(now)
        if status in TERMINAL and self.ends is not None:
            return self.ends
        return self.starts if status == "started" else self.created

    # ----------------------------------------------------------------- shapes

    def record(self, now: float, store: MediaStore, url: UrlMaker) -> dict[str, Any]:
        """The job record of ``GET /jobs/{jobid}`` (and of webhooks) as of ``now``."""
        status = self.status_at(now)
        record: dict[str, Any] = {
            "jobid": self.jobid,
            "type": self.type,
            "status": status,
            "created": iso_time(self.created),
        }
        if status != "created":
            record["updated"] = iso_time(self.updated_at(now))
        record["request"] = dict(self.request)
        if status == "completed":
            record["response"] = self.result(store, url)
        elif status == "failed":
            assert self.failure is not None
            record.update(
                error=self.failure.error, errorDetails=self.failure.details, code=self.failure.code
            )
            record["response"] = {
                "error": google_error(self.failure.code, self.failure.reason, self.failure.details)
            }
        else:
            record["response"] = self.pending(store)
        return record

    def pending(self, store: MediaStore) -> dict[str, Any]:
        """``response`` while the job runs: pending operations (none for upscales) + captcha."""
        response: dict[str, Any] = {}
        if self.operation != "upscale":
            response["operations"] = [pending_operation(item) for item in self._items(store)]
        response["captcha"] = self.captcha
        return response

    def result(self, store: MediaStore, url: UrlMaker) -> dict[str, Any]:
        """``response`` of a completed job; a synchronous 200 is this plus ``jobId``."""
        items = self._items(store)
        if self.type == "image":
            media = [
                image_media_entry(
                    item, fife_url=url("image", item.name), references=self.references
                )
                for item in items
            ]
            return {"media": media, "captcha": self.captcha}
        created = iso_time(self.ends if self.ends is not None else self.created)
        response: dict[str, Any]
        if self.operation == "upscale":
            pairs = [
                upscale_operation(
                    item,
                    created=created,
                    video_url=url("video", item.name),
                    thumbnail_url=url("image", item.name),
                )
                for item in items
            ]
            response = {"operations": [p[0] for p in pairs], "media": [p[1] for p in pairs]}
        else:
            response = {
                "media": [
                    video_media_entry(
                        item,
                        project_id=self.project_id,
                        created=created,
                        google_key=google_video_key(self.model, self.tier, item.duration),
                        mode=self.mode,
                        base_image=self.base_image,
                        video_url=url("video", item.name),
                        thumbnail_url=url("image", item.name),
                    )
                    for item in items
                ]
            }
        if self.remaining_credits is not None:
            response["remainingCredits"] = self.remaining_credits
        response["captcha"] = self.captcha
        return response

    def _items(self, store: MediaStore) -> list[MediaItem]:
        return [item for name in self.outputs if (item := store.by_name(name)) is not None]


@dataclass(frozen=True, order=True)
class Transition:
    """A moment at which some job changes status."""

    at: float
    seq: int
    jobid: str = field(compare=False)


class JobBook:
    """All jobs by id, upcoming transitions in time order, and expired ids."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._heap: list[Transition] = []
        self._seq = 0
        self.expired: set[str] = set()

    def __len__(self) -> int:
        return len(self._jobs)

    def __iter__(self) -> Iterator[Job]:
        return iter(list(self._jobs.values()))

    def get(self, jobid: str) -> Job | None:
        return self._jobs.get(jobid)

    def add(self, job: Job) -> None:
        self._jobs[job.jobid] = job
        self.schedule(job.jobid, job.starts)
        if job.ends is not None:
            self.schedule(job.jobid, job.ends)

    def schedule(self, jobid: str, at: float) -> None:
        self._seq += 1
        heapq.heappush(self._heap, Transition(at, self._seq, jobid))

    def next_due(self) -> float | None:
        return self._heap[0].at if self._heap else None

    def pop_due(self, now: float) -> list[Job]:
        """Jobs with a transition at or before ``now`` (each once, in time order)."""
        due: dict[str, Job] = {}
        while self._heap and self._heap[0].at <= now:
            job = self._jobs.get(heapq.heappop(self._heap).jobid)
            if job is not None:
                due.setdefault(job.jobid, job)
        return list(due.values())

    def expire(self, now: float, retention: float) -> list[Job]:
        """Forget finished jobs older than ``retention``; their ids then answer 410."""
        gone = [
            job
            for job in self._jobs.values()
            if now - job.created > retention and job.status_at(now) in TERMINAL
        ]
        for job in gone:
            del self._jobs[job.jobid]
            self.expired.add(job.jobid)
        return gone
