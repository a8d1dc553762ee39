"""Waiting for a job: poll ``GET /jobs/{jobid}`` until it ends, within a deadline.

The wait is a plan like any call (see :mod:`flow_widgets.api._calls`): it yields the polls and
the sleeps between them, so both clients run it with their own I/O and tests run it on a fake
clock. Each poll is an ordinary idempotent call, so transient errors are retried inside it. A
failed job raises :class:`~flow_widgets.errors.JobFailedError` unless the caller asks for it
back; the deadline raises :class:`~flow_widgets.errors.JobTimeoutError` carrying the last job
seen, because the job may still finish and can be waited on again.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

from flow_widgets.api._base import BaseFlowClient
from flow_widgets.api._calls import Action, Sleep
from flow_widgets.api._endpoints import get_job, path_segment
from flow_widgets.api.models import Job
from flow_widgets.errors import JobFailedError, JobTimeoutError, ValidationError

__all__ = ["DEFAULT_WAIT_SECONDS", "WaitForJob", "wait_for_job"]

VIDEO_POLL_SECONDS = 10.0
IMAGE_POLL_SECONDS = 5.0
DEFAULT_WAIT_SECONDS = 20 * 60.0


def wait_for_job(
    job: str | Job,
    *,
    timeout: float = DEFAULT_WAIT_SECONDS,
    poll_interval: float | None = None,
    raise_on_failure: bool = True,
) -> WaitForJob:
    """Poll a job until it completes or fails, for at most ``timeout`` seconds.

    Polls every 10 s for videos and 5 s for images unless ``poll_interval`` is given. Raises
    ``JobFailedError`` for a failed job (unless ``raise_on_failure=False``) and
    ``JobTimeoutError`` at the deadline; the job may still finish, so wait again later.
    """
    jobid = job.jobid if isinstance(job, Job) else job
    path_segment(jobid, "jobid", "a jobid")
    if timeout <= 0 or (poll_interval is not None and poll_interval <= 0):
        raise ValidationError(
            "timeout and poll_interval must be positive numbers of seconds.", field="timeout"
        )
    return WaitForJob(jobid, timeout, poll_interval, raise_on_failure)


@dataclass(frozen=True)
class WaitForJob:
    """The plan behind :func:`wait_for_job`: poll, sleep, repeat, within a deadline."""

    jobid: str
    timeout: float
    poll_interval: float | None
    raise_on_failure: bool

    def flow(self, core: BaseFlowClient) -> Generator[Action, Any, Job]:
        """Poll until terminal; the clock and the sleeps are the client's."""
        started = core.now()
        while True:
            job = yield from get_job(self.jobid).flow(core)
            if job.status == "failed" and self.raise_on_failure:
                raise JobFailedError(
                    f"Job {self.jobid} failed: {job.error or 'no reason given'}"
                    f"{f' ({job.error_details})' if job.error_details else ''}. "
                    "Change the prompt or model and submit a new job.",
                    job=job,
                )
            if job.is_terminal:
                return job
            waited = core.now() - started
            if waited >= self.timeout:
                raise JobTimeoutError(
                    f"Job {self.jobid} is still {job.status} after {waited:.0f} s; it may still "
                    "finish, so wait for it again later instead of submitting it again.",
                    job=job,
                    waited=waited,
                )
            yield Sleep(min(self._interval(job), self.timeout - waited))

    def _interval(self, job: Job) -> float:
        if self.poll_interval is not None:
            return self.poll_interval
        return IMAGE_POLL_SECONDS if job.type == "image" else VIDEO_POLL_SECONDS
