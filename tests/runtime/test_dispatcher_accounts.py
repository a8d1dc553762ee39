"""The dispatcher reads the accounts through the session's account reader, and a read reopens
the pools a short balance closed (a topped-up account may take work again)."""

from __future__ import annotations

import asyncio
from typing import cast

from flow_widgets.api.catalog import DEFAULT_CATALOG
from flow_widgets.api.client import AsyncFlowClient
from flow_widgets.runtime.dispatcher import Dispatcher
from flow_widgets.runtime.job_runner import JobRunner
from flow_widgets.runtime.tracker import CreditTracker


def test_reading_the_accounts_again_reopens_a_closed_pool() -> None:
    reads: list[int] = []

    async def read_accounts() -> None:  # stands in for AccountReader.refresh (no API here)
        reads.append(1)

    async def scenario() -> None:
        # Neither the runner nor the client is used by pools and account reads.
        dispatcher = Dispatcher(
            cast(JobRunner, None),
            CreditTracker(DEFAULT_CATALOG),
            cast(AsyncFlowClient, None),
            read_accounts,
        )
        pool = await dispatcher.pool("video")  # no account known yet: read once
        assert pool is not None and len(reads) == 1
        pool.close(reason="the account is out of credits")
        assert pool.closed
        await dispatcher.refresh_accounts()
        assert len(reads) == 2
        assert not pool.closed

    asyncio.run(scenario())
