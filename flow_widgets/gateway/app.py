"""``create_app``: the classroom gateway as a Starlette app.

Students call it exactly as they would call ``api.useapi.net/v1/google-flow`` (under that
prefix, or at the root), with their own token. What a student may do (anything else is 403):

* ``POST`` a generation route (``videos``, ``videos/extend``, ``videos/upscale``,
  ``videos/gif``, ``videos/concatenate``, ``images``, ``images/upscale``): charged at once,
  queued, answered at once with **201 and a job record whose ``status`` is ``queued``** (at
  most ``max_open`` of a student's requests wait or run at once; beyond, 429 and
  ``Retry-After``). The record's extension
  field ``gateway`` = ``{"queuePosition": N, "waitedSeconds": S}`` says the place in line
  (1 = next; ``0`` while it is being placed, ``null`` once placed) and the time in line so far
  (once placed: the whole time it waited). The job id is the gateway's (``gw-…``); upstream ids
  (which name the teacher's Google account) never reach students;
* ``GET jobs/{jobid}`` and ``GET jobs``: their own jobs only (another student's id is 404,
  the same as an unknown one); ``GET jobs?options=executing|history`` adds the API's maps of
  those jobs keyed by jobid (what a kernel searches when a POST's answer was lost);
* ``POST assets`` (an upload, placed on the first account) and ``GET assets/{id}`` of media
  that are theirs;
* ``GET voices``, ``GET characters`` and one of each by reference.

The teacher (the gateway's own useapi.net token, nobody else's) has the class endpoints:
``GET class`` (budget, each student's spend and jobs, the line, the running jobs, the accounts'
slots), ``POST class/pause`` and ``class/resume``, ``POST class/allowance``
(``{"student": NAME, "credits": N}``) and ``GET class/results`` (finished jobs with their
records, for the end-of-lesson gallery). A student's token there is 403.

Never reachable by students: ``accounts/*`` (Google cookies and tokens), captcha providers and
their keys. The teacher's token is only ever sent upstream; it and students' tokens are never
logged (the app logs no request lines at all), and any upstream answer is scrubbed of the
teacher's token before a student sees it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hmac
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import httpx
import psycopg
from psycopg_pool import AsyncConnectionPool
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from flow_widgets.gateway.dispatcher import Dispatcher
from flow_widgets.gateway.hub import HubUsers
from flow_widgets.gateway.intent_ledger import PgIntentLedger
from flow_widgets.gateway.pricing import DEFAULT_PRICES, GENERATION_ROUTES, cost_of
from flow_widgets.gateway.schema import migrate
from flow_widgets.gateway.store import Refused, Store, media_ids, set_account

__all__ = ["API_PREFIX", "GatewayConfig", "create_app"]

API_PREFIX = "/v1/google-flow"
log = logging.getLogger(__name__)

Handler = Callable[[Request, int], Awaitable[Response]]


class GatewayConfig:
    """Where the gateway keeps its state and whom it forwards to. ``teacher_token`` is kept
    out of ``repr``."""

    def __init__(
        self,
        *,
        ledger_url: str,
        upstream: str,
        teacher_token: str,
        accounts: Mapping[str, int] = {},
        prices: Mapping[str, int] = DEFAULT_PRICES,
        check_every: float = 0.25,
        replace_after: float = 300.0,
        max_open: int = 20,
        pool_size: int = 10,
        max_attempts: int = 6,
        give_up_after: float = 900.0,
        hub_api_url: str | None = None,
        hub_allowance: int | None = None,
        path_prefix: str = "",
    ) -> None:
        self.ledger_url = ledger_url
        self.upstream = upstream.rstrip("/")
        self.teacher_token = teacher_token
        self.accounts = dict(accounts)
        self.prices = dict(prices)
        self.check_every = check_every
        self.replace_after = replace_after
        self.max_open = max_open
        self.pool_size = pool_size
        self.max_attempts = max_attempts
        self.give_up_after = give_up_after
        self.hub_api_url = hub_api_url
        self.hub_allowance = hub_allowance
        #: Where a proxy in front sends the gateway's paths (a Hub service's
        #: ``$JUPYTERHUB_SERVICE_PREFIX``, e.g. ``/services/flow-gateway/``): JupyterHub's proxy
        #: keeps that prefix on every path it forwards.
        self.path_prefix = "/" + path_prefix.strip("/") if path_prefix.strip("/") else ""

    def __repr__(self) -> str:
        return f"GatewayConfig(upstream={self.upstream!r}, accounts={self.accounts!r})"


def _error(sentence: str, status: int) -> JSONResponse:
    return JSONResponse({"error": sentence}, status)


def _scrub(value: Any, swaps: Mapping[str, str]) -> Any:
    """``value`` with each key of ``swaps`` replaced by its value in every string."""
    if isinstance(value, str):
        for secret, shown in swaps.items():
            if secret and secret in value:
                value = value.replace(secret, shown)
        return value
    if isinstance(value, dict):
        return {k: _scrub(v, swaps) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, swaps) for v in value]
    return value


def _same(given: str, expected: str) -> bool:
    """Compare tokens in constant time (no timing hint of how much of a guess was right)."""
    return hmac.compare_digest(given.encode(), expected.encode())


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds")[:-6] + "Z"


def _seconds_between(start: dt.datetime, end: dt.datetime | None) -> float:
    """Seconds from ``start`` to ``end`` (now when ``None``), to a tenth, never negative."""
    end = end if end is not None else dt.datetime.now(dt.timezone.utc)
    return max(0.0, round((end - start).total_seconds(), 1))


def create_app(config: GatewayConfig) -> Starlette:
    """The gateway; its lifespan migrates the database, registers the accounts (with their
    slot caps) and runs the dispatcher."""
    state: dict[str, Any] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        with psycopg.connect(config.ledger_url, autocommit=True) as conn:
            migrate(conn)
            for email, cap in config.accounts.items():
                set_account(conn, email, cap)
        pool = AsyncConnectionPool(
            config.ledger_url,
            min_size=2,
            max_size=config.pool_size,
            open=False,
            kwargs={"autocommit": True},
        )
        # The dispatcher has its own small pool: students' polls never wait behind its work.
        work_pool = AsyncConnectionPool(
            config.ledger_url, min_size=4, max_size=4, open=False, kwargs={"autocommit": True}
        )
        await pool.open(wait=True)
        await work_pool.open(wait=True)
        upstream = httpx.AsyncClient(
            base_url=config.upstream,
            headers={"Authorization": f"Bearer {config.teacher_token}"},
            timeout=httpx.Timeout(60.0, connect=10.0),
        )
        store = Store(pool)
        # The requests' intents: this process's owner lease, secrets scrubbed from every row.
        ledger = await asyncio.to_thread(
            PgIntentLedger, config.ledger_url, secrets=[config.teacher_token]
        )
        dispatcher = Dispatcher(
            Store(work_pool),
            ledger,
            upstream,
            check_every=config.check_every,
            replace_after=config.replace_after,
            max_attempts=config.max_attempts,
            give_up_after=config.give_up_after,
        )
        hub = HubUsers(config.hub_api_url) if config.hub_api_url else None
        state.update(store=store, upstream=upstream, dispatcher=dispatcher, hub=hub)
        loop_task = asyncio.get_running_loop().create_task(dispatcher.run())
        try:
            yield
        finally:
            loop_task.cancel()
            with contextlib.suppress(BaseException):
                await loop_task
            await dispatcher.aclose()
            await asyncio.to_thread(ledger.close)
            await upstream.aclose()
            if hub is not None:
                await hub.aclose()
            await pool.close()
            await work_pool.close()

    async def student_for(token: str) -> tuple[int, str] | None:
        """The student a token names: one the teacher issued, else (as a Hub service) the
        Hub user it belongs to."""
        student = await state["store"].student_for_token(token)
        hub: HubUsers | None = state["hub"]
        if student is None and hub is not None:
            name = await hub.name_for(token)
            if name is not None:
                student = await state["store"].student_by_name(name, config.hub_allowance)
        return student  # type: ignore[no-any-return]

    def authed(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            student = None
            if scheme.lower() == "bearer" and token.strip():
                student = await student_for(token.strip())
            if student is None:
                return _error("Unknown or revoked student token; ask your teacher for one.", 401)
            return await handler(request, student[0])

        return endpoint

    async def job_view(row: dict[str, Any]) -> dict[str, Any]:
        store: Store = state["store"]
        kind = "image" if row["route"].startswith("images") else "video"
        if row["status"] in ("queued", "placing"):
            if row["status"] != "queued":
                place: int | None = 0
            elif "place" in row:  # read with the row (a poll)
                place = row["place"]
            else:
                place = await store.position(row["id"])
            return {
                "jobid": row["id"],
                "type": kind,
                "status": "queued",
                "created": _iso(row["created"]),
                "request": row["body"],
                "gateway": {
                    "queuePosition": place if place is not None else 0,
                    "waitedSeconds": _seconds_between(row["created"], None),
                },
            }
        # The dispatcher keeps the upstream record fresh (every ``check_every`` seconds), so a
        # student's poll costs the upstream nothing.
        record = dict(row["record"] or {})
        if row["status"] == "failed" and not record:
            record = {"status": "failed", "error": row["error"]}
        waited = _seconds_between(row["created"], row["placed_at"]) if row["placed_at"] else None
        record.update(
            jobid=row["id"],
            request=row["body"],
            gateway={"queuePosition": None, "waitedSeconds": waited},
        )
        record.setdefault("type", kind)
        swaps = {config.teacher_token: "***", row["upstream_jobid"] or "": row["id"]}
        if not row["upstream_jobid"] and isinstance(record.get("response"), dict):
            swaps[str(record["response"].get("jobId", ""))] = row["id"]
        return dict(_scrub(record, swaps))

    async def post_generation(request: Request, student_id: int) -> Response:
        route = request.url.path.removeprefix(config.path_prefix)
        route = route.removeprefix(API_PREFIX).strip("/")
        try:
            body = await request.json()
        except ValueError:
            return _error("The request body must be a JSON object.", 400)
        if not isinstance(body, dict):
            return _error("The request body must be a JSON object.", 400)
        body = {k: v for k, v in body.items() if k not in ("email", "async", "replyUrl")}
        store: Store = state["store"]
        try:
            request_id = await store.enqueue(
                student_id,
                route,
                body,
                cost_of(route, body, config.prices),
                max_open=config.max_open,
            )
        except Refused as refusal:
            answer = _error(refusal.sentence, refusal.status)
            if refusal.status == 429:
                answer.headers["Retry-After"] = "10"
            return answer
        state["dispatcher"].wake()
        row = await store.request(request_id, student_id)
        assert row is not None
        return JSONResponse(await job_view(row), 201)

    async def get_job(request: Request) -> Response:
        """A student's poll: one database round trip (token, row and place in line). The
        ``Server-Timing`` header says what the gateway itself spent on it (the benchmark reads
        it apart from the network and the client's own load)."""
        started = time.perf_counter()
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        student, row = None, None
        if scheme.lower() == "bearer" and token.strip():
            student, row = await state["store"].poll(token.strip(), request.path_params["jobid"])
            if student is None and state["hub"] is not None:  # a Hub user's token
                found = await student_for(token.strip())
                if found is not None:
                    student = found[0]
                    row = await state["store"].request(request.path_params["jobid"], student)
        if student is None:
            return _error("Unknown or revoked student token; ask your teacher for one.", 401)
        if row is None:
            return _error("No such job.", 404)
        answer = JSONResponse(await job_view(row))
        answer.headers["Server-Timing"] = f"gw;dur={(time.perf_counter() - started) * 1000:.2f}"
        return answer

    async def get_jobs(request: Request, student_id: int) -> Response:
        """The student's jobs as records (``jobs``), and, for ``options=executing|history``,
        the API's maps keyed by jobid: a kernel whose POST answer was lost finds its job there
        (by the ``replyRef`` it sent) instead of taking it for never bought."""
        store: Store = state["store"]
        option = request.query_params.get("options", "summary")
        jobs = []
        maps: dict[str, dict[str, Any]] = {"videos": {}, "images": {}}
        for request_id in await store.request_ids(student_id):
            row = await store.request(request_id, student_id)
            if row is None:
                continue
            jobs.append(await job_view(row))
            running = row["status"] in ("queued", "placing", "placed")
            if option == ("executing" if running else "history"):
                kind = "images" if row["route"].startswith("images") else "videos"
                maps[kind][row["id"]] = {"timestamp": int(row["created"].timestamp() * 1000)}
        body: dict[str, Any] = {"jobs": jobs}
        if option in ("executing", "history"):
            body.update({kind: {option: found} for kind, found in maps.items()})
        return JSONResponse(body)

    async def forward(request: Request, path: str, *, query: dict[str, str]) -> Response:
        answer = await state["upstream"].request(
            request.method,
            path,
            params=query,
            content=await request.body() if request.method == "POST" else None,
            headers={"Content-Type": request.headers.get("content-type", "application/json")},
        )
        try:
            payload: Any = answer.json()
        except ValueError:
            return _error("The service answered something unreadable; try again.", 502)
        return JSONResponse(_scrub(payload, {config.teacher_token: "***"}), answer.status_code)

    async def with_account(request: Request) -> dict[str, str]:
        query = dict(request.query_params)
        if "email" not in query:
            account = await state["store"].first_account()
            if account:
                query["email"] = account
        return query

    async def post_asset(request: Request, student_id: int) -> Response:
        account = await state["store"].first_account()
        if account is None:
            return _error("The gateway has no account to upload to.", 503)
        query = {k: v for k, v in request.query_params.items() if k != "email"}
        answer = await forward(request, f"/assets/{account}", query=query)
        if answer.status_code < 300:
            for media_id in set(media_ids(json.loads(bytes(answer.body)))):
                await state["store"].own_media(media_id, student_id, account)
        return answer

    async def get_asset(request: Request, student_id: int) -> Response:
        media_id = request.path_params["mediaGenerationId"]
        if await state["store"].media_owner(media_id) != student_id:
            return _error("No such media.", 404)
        return await forward(request, f"/assets/{media_id}", query=dict(request.query_params))

    async def listing(request: Request, student_id: int) -> Response:
        path = request.url.path.removeprefix(config.path_prefix).removeprefix(API_PREFIX)
        return await forward(request, path, query=await with_account(request))

    def teacher(
        handler: Callable[[Request], Awaitable[Response]],
    ) -> Callable[[Request], Awaitable[Response]]:
        """Only the teacher's own useapi.net token (the one the gateway forwards with) opens
        the class endpoints; a student's token is refused with 403, anything else with 401."""

        async def endpoint(request: Request) -> Response:
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            token = token.strip()
            if scheme.lower() == "bearer" and token and _same(token, config.teacher_token):
                return await handler(request)
            student = await student_for(token) if token else None
            if scheme.lower() == "bearer" and student is not None:
                return _error("Only the teacher can use the class endpoints.", 403)
            return _error("The class endpoints need the teacher's token.", 401)

        return endpoint

    async def class_view(request: Request) -> Response:
        overview = await state["store"].class_overview()
        return JSONResponse(_scrub(overview, {config.teacher_token: "***"}))

    async def class_pause(request: Request) -> Response:
        await state["store"].set_paused(True)
        return JSONResponse({"paused": True})

    async def class_resume(request: Request) -> Response:
        await state["store"].set_paused(False)
        return JSONResponse({"paused": False})

    async def class_allowance(request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            body = None
        name = body.get("student") if isinstance(body, dict) else None
        credits = body.get("credits") if isinstance(body, dict) else None
        if not isinstance(name, str) or not name:
            return _error('Say which student: {"student": NAME, "credits": N}.', 400)
        if not isinstance(credits, int) or isinstance(credits, bool) or credits < 0:
            return _error("credits must be a whole number of credits, zero or more.", 400)
        try:
            await state["store"].set_allowance(name, credits)
        except Refused as refusal:
            return _error(refusal.sentence, refusal.status)
        return JSONResponse({"student": name, "allowance": credits})

    async def class_results(request: Request) -> Response:
        results = []
        for row in await state["store"].results():
            record = dict(row.pop("record") or {})
            upstream_id = row.pop("upstream_jobid") or ""
            record.update(jobid=row["jobid"], request=row["request"])
            swaps = {config.teacher_token: "***", upstream_id: row["jobid"]}
            row.update(created=_iso(row["created"]), job=_scrub(record, swaps))
            results.append(row)
        return JSONResponse({"results": _scrub(results, {config.teacher_token: "***"})})

    async def refused(request: Request) -> Response:
        return _error("Students cannot use this endpoint through the class gateway.", 403)

    routes: list[BaseRoute] = [
        Route("/class", teacher(class_view), methods=["GET"]),
        Route("/class/pause", teacher(class_pause), methods=["POST"]),
        Route("/class/resume", teacher(class_resume), methods=["POST"]),
        Route("/class/allowance", teacher(class_allowance), methods=["POST"]),
        Route("/class/results", teacher(class_results), methods=["GET"]),
        Route("/jobs/{jobid}", get_job, methods=["GET"]),
        Route("/jobs", authed(get_jobs), methods=["GET"]),
        Route("/jobs/", authed(get_jobs), methods=["GET"]),
        *(Route(f"/{r}", authed(post_generation), methods=["POST"]) for r in GENERATION_ROUTES),
        Route("/assets", authed(post_asset), methods=["POST"]),
        Route("/assets/{mediaGenerationId}", authed(get_asset), methods=["GET"]),
        Route("/voices", authed(listing), methods=["GET"]),
        Route("/voices/{ref}", authed(listing), methods=["GET"]),
        Route("/characters", authed(listing), methods=["GET"]),
        Route("/characters/{ref}", authed(listing), methods=["GET"]),
        Route("/{rest:path}", refused, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
    ]
    mounts: list[BaseRoute] = [Mount(API_PREFIX, routes=routes)]
    if config.path_prefix:
        mounts = [
            Mount(config.path_prefix + API_PREFIX, routes=routes),
            Mount(config.path_prefix, routes=routes),
            *mounts,
        ]
    return Starlette(routes=[*mounts, *routes], lifespan=lifespan)
