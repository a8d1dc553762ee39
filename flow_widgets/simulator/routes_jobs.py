"""Job endpoints: ``GET /jobs`` (load-balancer statistics) and ``GET /jobs/{jobid}``.

``GET /jobs/{jobid}`` is the hot path of every polling client, so it does no work beyond
settling due transitions and signing fresh media URLs (re-reading a job is how a client gets new
URLs after the old ones expired). Malformed ids answer 400, another user's jobs 403, unknown ones
404 and jobs past their retention 410.
"""

from __future__ import annotations

from starlette.responses import Response

from flow_widgets.api.ids import parse_jobid
from flow_widgets.api.requests import JobsQuery
from flow_widgets.simulator.http import HttpError, json_response
from flow_widgets.simulator.routing import Call
from flow_widgets.simulator.state import SimulatorState

__all__ = ["get_job", "get_jobs"]


async def get_jobs(state: SimulatorState, call: Call) -> Response:
    query = JobsQuery.from_payload(dict(call.request.query_params))
    report = state.balancer.report(query.options or "summary", state.healthy_emails(), state.now())
    return json_response(report)


async def get_job(state: SimulatorState, call: Call) -> Response:
    jobid = call.param("jobid")
    parsed = parse_jobid(jobid)
    if parsed is None:
        raise HttpError(400, f"Parameter jobid has incorrect format: {jobid[:120]}")
    if parsed.user != str(state.config.user_id):
        raise HttpError(403, f"Unauthorized access to user:{parsed.user} detected in jobid")
    if jobid in state.jobs.expired:
        raise HttpError(410, f"Job {jobid} has expired and is no longer available")
    job = state.jobs.get(jobid)
    if job is None:
        raise HttpError(404, f"Job {jobid} not found")
    return json_response(job.record(state.now(), state.media, state.url))
