"""Reading the accounts into the credit tracker: plans, health, balances and free captchas.

Why apart: the session reads every account on start (in the background) and on demand, the
dispatcher reads them before it first spreads work over accounts, and the output handler reads
one balance as the evidence of a failed job's refund. One reader does all three the same way.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Future
from dataclasses import replace

from flow_widgets.api.client import AsyncFlowClient
from flow_widgets.errors import FlowError, PermissionDeniedError
from flow_widgets.runtime.engine import Engine
from flow_widgets.runtime.tracker import CreditTracker

__all__ = ["AccountReader"]

log = logging.getLogger("flow_widgets.session")


class AccountReader:
    """Reads accounts with ``client`` and records what it read in ``tracker``."""

    def __init__(self, client: AsyncFlowClient, tracker: CreditTracker, engine: Engine) -> None:
        self.client = client
        self.tracker = tracker
        self.engine = engine
        self.chores: list[asyncio.Task[None] | Future[asyncio.Task[None]]] = []

    async def refresh(self) -> None:
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

    def refresh_soon(self) -> None:
        """:meth:`refresh` in the background; a failure is a log line, not an error."""

        async def quietly() -> None:
            try:
                await self.refresh()
            except PermissionDeniedError:  # a class gateway's student token: normal, not an error
                log.info("This token may not read the accounts; their credits are not shown.")
            except FlowError as exc:
                log.warning("Reading the accounts failed: %s", exc)

        self.chores.append(self.engine.spawn(quietly(), name="flow-accounts"))

    async def balance(self, email: str) -> int | None:
        """One account's balance (recorded) -- the evidence of a failed job's refund."""
        account = await self.client.accounts.get(email)
        if account.email is None:
            account = replace(account, email=email)
        self.tracker.update_from_account(account)
        return account.credits
