"""The parts of one session, built together by :func:`build_parts` and closed by
:func:`close_parts`.

Why apart from :mod:`flow_widgets.runtime.session`: the session module is the Python API users
read; this one is the plumbing -- which token and base URL (simulator or API), the httpx clients
made on the engine loop (one for the API, one without credentials for media), the poller paced
in wall-clock seconds for the simulator's accelerated clock, and closing everything in order.
:class:`Parts` has no behaviour: what the parts do lives in the parts (resuming and re-attaching
in the :class:`~flow_widgets.runtime.job_runner.JobRunner`, reading accounts in the
:class:`~flow_widgets.runtime.account_reader.AccountReader`).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import httpx

from flow_widgets.api._base import DEFAULT_TIMEOUT
from flow_widgets.api._retry import Backoff, RetryPolicy
from flow_widgets.api.catalog import Catalog
from flow_widgets.api.client import AsyncFlowClient
from flow_widgets.runtime.account_reader import AccountReader
from flow_widgets.runtime.backend_identity import backend_identity
from flow_widgets.runtime.dispatcher import Dispatcher
from flow_widgets.runtime.engine import Engine
from flow_widgets.runtime.job_runner import JobRunner, job_run_seconds
from flow_widgets.runtime.ledger import Ledger
from flow_widgets.runtime.output_handler import OutputHandler
from flow_widgets.runtime.poller import Poller
from flow_widgets.runtime.saving import MediaSaver
from flow_widgets.runtime.settings import Settings
from flow_widgets.runtime.tracker import CreditTracker

if TYPE_CHECKING:  # pragma: no cover
    from flow_widgets.simulator.server import RunningSimulator

__all__ = ["Parts", "build_parts", "close_parts"]

#: Real-API pacing of status polls, in API seconds (scaled for the simulator).
POLL_MIN_DELAY_S = 2.0
POLL_MAX_DELAY_S = 60.0
POLL_DEADLINE_S = 20 * 60.0
_MEDIA_LIMITS = httpx.Limits(max_connections=8, max_keepalive_connections=8)


@dataclass(frozen=True, eq=False)
class Parts:
    """The parts of one session (built by :func:`build_parts`)."""

    settings: Settings
    engine: Engine
    ledger: Ledger
    tracker: CreditTracker
    catalog: Catalog
    time_scale: float
    simulator: RunningSimulator | None
    client: AsyncFlowClient
    batch_client: AsyncFlowClient
    api_http: httpx.AsyncClient
    media_http: httpx.AsyncClient
    poller: Poller
    saver: MediaSaver
    accounts: AccountReader
    runner: JobRunner
    dispatcher: Dispatcher
    #: :func:`close_parts` for these parts, as the engine keeps it (to run at shutdown, or to
    #: forget once the session closed them itself).
    closer: Callable[[], Awaitable[None]]


def build_parts(
    settings: Settings,
    engine: Engine,
    *,
    simulator: RunningSimulator | None,
    budget: int | None,
    catalog: Catalog,
    announce: Callable[[str], None] | None,
    time_scale: float | None = None,
    slots_per_account: Mapping[str, int] | None = None,
) -> Parts:
    """Build a session's parts (the clients on the engine loop) and register their closing
    with the engine."""
    if simulator is None and settings.simulated:
        from flow_widgets.runtime.embedded import embedded_simulator

        simulator = embedded_simulator(announce=announce)
    token = simulator.token if simulator is not None else settings.token
    base_url = simulator.base_url if simulator is not None else settings.base_url
    if time_scale is None:
        time_scale = simulator.app_state.config.time_scale if simulator is not None else 1.0
    scale = time_scale
    ledger = Ledger(
        settings.ledger_path,
        secrets=[token] if token else (),
        backend=backend_identity(base_url, token),
    )
    tracker = CreditTracker(catalog, budget=budget)

    async def closer() -> None:
        await close_parts(parts)

    async def open_parts() -> Parts:
        api_http = httpx.AsyncClient(timeout=DEFAULT_TIMEOUT)
        client = AsyncFlowClient(token=token, base_url=base_url, http_client=api_http)
        # The dispatcher adapts to throttling itself, so its client reports a 429 at once.
        single_try = replace(RetryPolicy(), capacity=Backoff(base=5.0, cap=60.0, attempts=1))
        batch_client = AsyncFlowClient(
            token=token, base_url=base_url, http_client=api_http, retry_policy=single_try
        )
        media_http = httpx.AsyncClient(limits=_MEDIA_LIMITS, follow_redirects=False)
        poller = Poller(
            client.jobs.get,
            min_delay=max(0.02, POLL_MIN_DELAY_S * scale),
            max_delay=max(0.5, POLL_MAX_DELAY_S * scale),
            deadline_s=max(5.0, POLL_DEADLINE_S * scale),
            run_seconds=job_run_seconds,
        )
        saver = MediaSaver(media_http, ledger, settings.media_dir)
        accounts = AccountReader(client, tracker, engine)
        runner = JobRunner(
            catalog=catalog,
            spawn=engine.spawn,
            client=client,
            ledger=ledger,
            tracker=tracker,
            outputs=OutputHandler(ledger, tracker, saver, read_balance=accounts.balance),
            poller=poller,
            run_sync=engine.run,
            time_scale=scale,
        )
        dispatcher = Dispatcher(
            runner,
            tracker,
            batch_client,
            accounts.refresh,
            time_scale=scale,
            slots_per_account=slots_per_account,
        )
        return Parts(
            settings=settings,
            engine=engine,
            ledger=ledger,
            tracker=tracker,
            catalog=catalog,
            time_scale=scale,
            simulator=simulator,
            client=client,
            batch_client=batch_client,
            api_http=api_http,
            media_http=media_http,
            poller=poller,
            saver=saver,
            accounts=accounts,
            runner=runner,
            dispatcher=dispatcher,
            closer=closer,
        )

    parts = engine.run(open_parts())
    engine.add_closer(closer)
    return parts


_closed: weakref.WeakSet[Parts] = weakref.WeakSet()


async def close_parts(parts: Parts) -> None:
    """Stop the poller and the background reads, then close the HTTP clients (safe twice)."""
    if parts in _closed:
        return
    _closed.add(parts)
    parts.engine.remove_closer(parts.closer)
    await parts.poller.aclose()
    chores = [c.result() if isinstance(c, Future) else c for c in parts.accounts.chores]
    tasks = [*chores, *parts.runner._tasks]  # background reads (accounts), submissions
    for task in tasks:
        task.cancel()
    # Awaited, not just cancelled: a read cut short must release its socket before the
    # clients close, or it leaks (a ResourceWarning).
    await asyncio.gather(*tasks, return_exceptions=True)
    await parts.client.aclose()
    await parts.batch_client.aclose()
    await parts.api_http.aclose()
    await parts.media_http.aclose()
