"""How a session's parts are built and connected, and the engine-side chores they share.

Why apart from :mod:`flow_widgets.runtime.session`: the session module is the Python API users
read; this one is plumbing -- which token and base URL (simulator or API), the httpx clients made
on the engine loop (one for the API, one without credentials for media), the poller paced in
wall-clock seconds for the simulator's accelerated clock, refreshing accounts, and closing
everything in order. Resuming and re-attaching ledger rows are the runner's
(:class:`~flow_widgets.runtime.pipeline.JobRunner`), next to the submissions they continue.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import httpx

from flow_widgets.api._base import DEFAULT_TIMEOUT
from flow_widgets.api._retry import Backoff, RetryPolicy
from flow_widgets.api.catalog import Catalog
from flow_widgets.api.client import AsyncFlowClient
from flow_widgets.errors import FlowError, PermissionDeniedError
from flow_widgets.runtime.backend_identity import backend_identity
from flow_widgets.runtime.dispatch import Dispatcher
from flow_widgets.runtime.engine import Engine
from flow_widgets.runtime.jobs import JobHandle
from flow_widgets.runtime.ledger import Ledger
from flow_widgets.runtime.outputs import OutputHandler
from flow_widgets.runtime.pipeline import JobRunner, job_run_seconds
from flow_widgets.runtime.poller import Poller
from flow_widgets.runtime.saving import MediaSaver
from flow_widgets.runtime.settings import Settings
from flow_widgets.runtime.tracker import CreditTracker
from flow_widgets.runtime.uploads import upload_once

if TYPE_CHECKING:  # pragma: no cover
    from flow_widgets.simulator.server import RunningSimulator

__all__ = ["Wiring"]

log = logging.getLogger("flow_widgets.session")

#: Real-API pacing of status polls, in API seconds (scaled for the simulator).
POLL_MIN_DELAY_S = 2.0
POLL_MAX_DELAY_S = 60.0
POLL_DEADLINE_S = 20 * 60.0
_NOT_REUSABLE = frozenset({"rejected", "failed", "lost"})
_MEDIA_LIMITS = httpx.Limits(max_connections=8, max_keepalive_connections=8)


@dataclass
class Wiring:
    """The parts of one session, built together."""

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
    runner: JobRunner
    dispatcher: Dispatcher = field(init=False, repr=False)
    _closed: bool = field(default=False, repr=False)
    submit_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _by_fingerprint: dict[str, JobHandle] = field(default_factory=dict, repr=False)
    _chores: list[Any] = field(default_factory=list, repr=False)

    @classmethod
    def build(
        cls,
        settings: Settings,
        engine: Engine,
        *,
        simulator: RunningSimulator | None,
        budget: int | None,
        catalog: Catalog,
        announce: Callable[[str], None] | None,
        time_scale: float | None = None,
        slots_per_account: Mapping[str, int] | None = None,
    ) -> Wiring:
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

        async def open_parts() -> Wiring:
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
            runner = JobRunner(
                catalog=catalog,
                spawn=engine.spawn,
                client=client,
                ledger=ledger,
                tracker=tracker,
                outputs=OutputHandler(
                    ledger, tracker, saver, read_balance=_balance_reader(client, tracker)
                ),
                poller=poller,
                run_sync=engine.run,
                time_scale=scale,
            )
            return cls(
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
                runner=runner,
            )

        wiring = engine.run(open_parts())
        wiring.dispatcher = Dispatcher(
            wiring.runner,
            tracker,
            wiring.batch_client,
            wiring.refresh_accounts,
            time_scale=scale,
            slots_per_account=slots_per_account,
        )
        engine.add_closer(wiring.aclose)
        return wiring

    # -- the caller's thread -------------------------------------------------------------------

    def handle_for(self, fingerprint: str) -> JobHandle | None:
        """The handle this session already made for an identical request, if it still stands
        for a purchase (a refused, failed or lost one may be bought again)."""
        handle = self._by_fingerprint.get(fingerprint)
        if handle is None or handle.status in _NOT_REUSABLE:
            return None
        return handle

    def remember(self, fingerprint: str, handle: JobHandle) -> None:
        self._by_fingerprint[fingerprint] = handle

    # -- the engine loop -----------------------------------------------------------------------

    async def upload(
        self, handle: JobHandle, source: Any, *, email: str | None, content_type: str | None
    ) -> None:
        await upload_once(
            handle,
            source,
            client=self.client,
            ledger=self.ledger,
            email=email,
            content_type=content_type,
        )

    async def refresh_accounts(self) -> None:
        """Health, plan and credits of every account, and the free captcha solves left."""
        summaries = await self.client.accounts.list()
        read = []
        for summary in summaries:
            account = await self.client.accounts.get(summary.email)
            read.append(account if account.email else replace(account, email=summary.email))
        # all at once: the dispatcher builds its per-account lanes from the first list it sees,
        # and a half-read one (one account of two) once sent every job to a single account
        for account in read:
            self.tracker.update_from_account(account)
        providers = await self.client.captcha.get_providers()
        self.tracker.update_captcha_credits(providers.free_captcha_credits)
        for pool in self.dispatcher.pools.values():  # a topped-up account may take work again
            pool.reopen()

    def refresh_accounts_soon(self) -> None:
        async def quietly() -> None:
            try:
                await self.refresh_accounts()
            except PermissionDeniedError:  # a class gateway's student token: normal, not an error
                log.info("This token may not read the accounts; their credits are not shown.")
            except FlowError as exc:
                log.warning("Reading the accounts failed: %s", exc)

        spawned = self.engine.spawn(quietly(), name="flow-accounts")
        self._chores.append(spawned)

    async def aclose(self) -> None:
        """Stop the poller and close the HTTP clients (safe to call twice)."""
        if self._closed:
            return
        self._closed = True
        self.engine.remove_closer(self.aclose)
        await self.poller.aclose()
        chores = [c.result() if isinstance(c, Future) else c for c in self._chores]
        tasks = [*chores, *self.runner._tasks]  # background reads (accounts), submissions
        for task in tasks:
            task.cancel()
        # Awaited, not just cancelled: a read cut short must release its socket before the
        # clients close, or it leaks (a ResourceWarning).
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.client.aclose()
        await self.batch_client.aclose()
        await self.api_http.aclose()
        await self.media_http.aclose()


def _balance_reader(
    client: AsyncFlowClient, tracker: CreditTracker
) -> Callable[[str], Awaitable[int | None]]:
    """Reads one account's balance (recording it) -- the evidence of a failed job's refund."""

    async def read(email: str) -> int | None:
        account = await client.accounts.get(email)
        if account.email is None:
            account = replace(account, email=email)
        tracker.update_from_account(account)
        return account.credits

    return read
