"""``create_app``: the simulator as a Starlette app, deterministic for a given seed.

The API answers under ``/v1/google-flow`` (as ``api.useapi.net`` does, so a client's base-URL
handling is exercised) and, for convenience, at the root too. The media origin is a second app,
``app.state.media_app``; :func:`~flow_widgets.simulator.server.start_background` serves it on its
own port. In-process, both can be driven through ``httpx.ASGITransport``; media URLs then point
at ``media_origin`` (default ``http://media.flow-sim.localhost``)::

    app = create_app(seed=1, clock=ManualClock(), test_controls=True)
    api = httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://sim/v1/google-flow")
    media = httpx.AsyncClient(transport=httpx.ASGITransport(app.state.media_app))

Route list (spec §3): accounts (``POST/GET /accounts``, ``GET/DELETE /accounts/{email}``,
``POST/GET /accounts/captcha-providers``, ``GET /accounts/captcha-stats``), uploads
(``POST /assets[/{email}]``, ``GET /assets/{mediaGenerationId}``), generation (``POST /images``,
``/images/upscale``, ``/videos``, ``/videos/upscale``, ``/videos/gif``, ``/videos/extend``,
``/videos/concatenate``), voices and characters (``POST/GET /voices``, ``GET/DELETE
/voices/{ref}``, ``POST/GET /characters``, ``GET/DELETE /characters/{ref}``) and jobs
(``GET /jobs[/]``, ``GET /jobs/{jobid}``). Path segments are URL-decoded, so ``%40`` and ``@``
both work. Test controls (``/_sim/…``, see :mod:`flow_widgets.simulator.controls`) are mounted,
next to the API, only with ``test_controls=True``.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount

from flow_widgets.simulator import routes_accounts as acc
from flow_widgets.simulator import routes_generation as gen
from flow_widgets.simulator import routes_images as img
from flow_widgets.simulator import routes_jobs as jobs
from flow_widgets.simulator import routes_library as lib
from flow_widgets.simulator import routes_tools as tools
from flow_widgets.simulator.clock import Clock
from flow_widgets.simulator.config import AccountSpec, SimulatorConfig
from flow_widgets.simulator.controls import control_routes
from flow_widgets.simulator.faults import Fault, fault_from_dict
from flow_widgets.simulator.http import json_response
from flow_widgets.simulator.media_origin import create_media_app
from flow_widgets.simulator.routing import Handler, api_route
from flow_widgets.simulator.state import SimulatorState

__all__ = ["API_PREFIX", "create_app"]

API_PREFIX = "/v1/google-flow"

# Job status first: it is the hot path (every client polls it), and routes match in order.
_ENDPOINTS: tuple[tuple[str, str, Handler], ...] = (
    ("GET", "/jobs/{jobid}", jobs.get_job),
    ("GET", "/jobs", jobs.get_jobs),
    ("GET", "/jobs/", jobs.get_jobs),
    ("POST", "/accounts/captcha-providers", acc.post_captcha_providers),
    ("GET", "/accounts/captcha-providers", acc.get_captcha_providers),
    ("GET", "/accounts/captcha-stats", acc.get_captcha_stats),
    ("POST", "/accounts", acc.post_account),
    ("GET", "/accounts", acc.get_accounts),
    ("GET", "/accounts/{email}", acc.get_account),
    ("DELETE", "/accounts/{email}", acc.delete_account),
    ("POST", "/assets", lib.post_asset),
    ("POST", "/assets/{email}", lib.post_asset),
    ("GET", "/assets/{mediaGenerationId}", lib.get_asset),
    ("POST", "/images", img.post_images),
    ("POST", "/images/upscale", tools.post_images_upscale),
    ("POST", "/videos", gen.post_videos),
    ("POST", "/videos/upscale", gen.post_videos_upscale),
    ("POST", "/videos/gif", tools.post_videos_gif),
    ("POST", "/videos/extend", gen.post_videos_extend),
    ("POST", "/videos/concatenate", tools.post_videos_concatenate),
    ("POST", "/voices", lib.post_voice),
    ("GET", "/voices", lib.get_voices),
    ("GET", "/voices/{ref}", lib.get_voice),
    ("DELETE", "/voices/{ref}", lib.delete_voice),
    ("POST", "/characters", lib.post_character),
    ("GET", "/characters", lib.get_characters),
    ("GET", "/characters/{ref}", lib.get_character),
    ("DELETE", "/characters/{ref}", lib.delete_character),
)


def _faults(items: Iterable[Fault | Mapping[str, Any]], state: SimulatorState) -> None:
    for item in items:
        fault = item if isinstance(item, Fault) else fault_from_dict(item, now=state.now())
        state.faults.add(fault)


def _accounts(accounts: Iterable[AccountSpec | str] | None) -> dict[str, Any]:
    if accounts is None:
        return {}
    from flow_widgets.simulator.config import parse_account_spec

    specs = tuple(a if isinstance(a, AccountSpec) else parse_account_spec(a) for a in accounts)
    return {"accounts": specs}


def create_app(
    *,
    seed: int = 0,
    clock: Clock | None = None,
    time_scale: float = 0.03,
    accounts: Iterable[AccountSpec | str] | None = None,
    faults: Iterable[Fault | Mapping[str, Any]] = (),
    test_controls: bool = False,
    media_origin: str | None = None,
    **options: Any,
) -> Starlette:
    """Build a simulator app; every other :class:`SimulatorConfig` field is a keyword option.

    ``accounts`` takes :class:`AccountSpec` objects or ``"email:tier:credits"`` strings (default:
    the two demo accounts). ``faults`` arms fault switches from the start. The shared
    :class:`SimulatorState` is ``app.state.sim``; the media origin app is ``app.state.media_app``.
    """
    config = SimulatorConfig(
        seed=seed,
        time_scale=time_scale,
        test_controls=test_controls,
        media_origin=media_origin,
        **_accounts(accounts),
        **options,
    )
    state = SimulatorState(config, clock=clock)
    _faults(faults, state)
    api: list[BaseRoute] = [api_route(state, m, path, handler) for m, path, handler in _ENDPOINTS]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state.scheduler.ensure_running()
        try:
            yield
        finally:
            await state.scheduler.aclose()

    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        words = {404: "No such endpoint", 405: "Method not allowed on this endpoint"}
        detail = words.get(status, "Request failed")
        return json_response({"error": f"{detail}: {request.method} {request.url.path}"}, status)

    if test_controls:
        api = [*control_routes(state), *api]
    routes: list[BaseRoute] = [Mount(API_PREFIX, routes=api), *api]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={404: http_error, 405: http_error},
    )
    app.state.sim = state
    app.state.media_app = create_media_app(state)
    return app
