"""Places queued requests upstream when a slot is free, and frees the slot when the job ends.

Every gateway process runs one dispatcher; they coordinate only through the database
(:meth:`~flow_widgets.gateway.store.Store.claim_next` hands each request to one process). The
upstream POST carries the request's id as ``Idempotency-Key``, so a retry after a lost answer
cannot start (and charge for) a second job. An answer that never comes leaves the request
``placing`` and its credits charged (unknown is neither a failure to refund nor a success); any
process places it again, with the same key, once it has been ``placing`` for ``replace_after``
seconds -- which also finishes the work of a process killed mid-request.

Every upstream POST of a request is counted in the database (whichever process sends it): after
``max_attempts`` POSTs, or ``give_up_after`` seconds since the first, a request the service
keeps answering with 5xx ends ``failed`` with a plain sentence and its credits given back, so a
permanent outage costs a bounded number of POSTs, not one every ``replace_after`` forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import httpx

from flow_widgets.gateway.store import Store

__all__ = ["ASYNC_ROUTES", "TERMINAL", "Dispatcher"]

log = logging.getLogger(__name__)

#: Routes whose POST takes ``async: true`` (answer at once with the job record).
ASYNC_ROUTES = frozenset({"videos", "videos/extend", "videos/upscale"})
TERMINAL = frozenset({"completed", "failed"})
_ATTEMPTS = 3


class Dispatcher:
    """The background loop of one gateway process."""

    def __init__(
        self,
        store: Store,
        upstream: httpx.AsyncClient,
        *,
        check_every: float,
        replace_after: float = 300.0,
        max_attempts: int = 6,
        give_up_after: float = 900.0,
    ) -> None:
        self.store = store
        self.max_attempts = max_attempts
        self.give_up_after = give_up_after
        self.upstream = upstream
        self.check_every = check_every
        self.replace_after = replace_after
        self._tasks: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """A request was queued here: look for a slot now rather than at the next tick."""
        self._wake.set()

    async def run(self) -> None:
        while True:
            try:
                claim = await self.store.claim_next()
                if claim is not None:
                    self._spawn(
                        self.place(claim.request_id, claim.route, claim.body, claim.account)
                    )
                    continue
                for request_id, jobid in await self.store.due_checks(self.check_every):
                    self._spawn(self.check(request_id, jobid))
                for stale in await self.store.stale_placing(self.replace_after):
                    self._spawn(
                        self.place(stale.request_id, stale.route, stale.body, stale.account)
                    )
            except Exception:  # a database hiccup must not end the loop
                log.exception("gateway dispatcher: retrying after an error")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), min(0.1, self.check_every))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def place(self, request_id: str, route: str, body: dict[str, Any], account: str) -> None:
        payload = {**body, "email": account}
        if route in ASYNC_ROUTES:
            payload["async"] = True
        headers = {"Idempotency-Key": request_id}
        for attempt in range(_ATTEMPTS):
            sent, elapsed = await self.store.attempt(request_id)
            if sent > self.max_attempts:  # the process that sent the last one died after it
                await self._give_up(request_id, sent - 1, answered=False)
                return
            spent_tries = sent >= self.max_attempts or elapsed >= self.give_up_after
            try:
                answer = await self.upstream.post(f"/{route}", json=payload, headers=headers)
            except httpx.TransportError:
                if spent_tries:  # no answer at all: the outcome is unknown, keep the charge
                    await self._give_up(request_id, sent, answered=False)
                    return
                await asyncio.sleep(0.2 * (attempt + 1))
                continue
            if answer.status_code == 429:
                await asyncio.sleep(min(float(answer.headers.get("Retry-After", 1) or 1), 5.0))
                await self.store.requeue(request_id)
                self.wake()
                return
            if answer.status_code >= 500:
                if spent_tries:
                    await self._give_up(request_id, sent, answered=True)
                    return
                await asyncio.sleep(0.2 * (attempt + 1))
                continue
            record = _json(answer)
            if answer.status_code < 300 and route not in ASYNC_ROUTES and "status" not in record:
                # A synchronous route answers with the finished result itself.
                upstream_id = str(record.get("jobId", record.get("jobid", "")))
                record = {"jobid": upstream_id, "status": "completed", "response": record}
            if answer.status_code >= 400:
                error = str(record.get("error", f"upstream answered {answer.status_code}"))
                await self.store.finish(request_id, None, failed=True, error=error[:500])
            elif record.get("status") in TERMINAL:
                failed = record.get("status") == "failed"
                await self.store.finish(request_id, record, failed=failed)
            else:
                await self.store.placed(request_id, str(record.get("jobid", "")), record)
            self.wake()
            return
        log.warning("gateway: request %s has no answer from upstream yet; left charged", request_id)

    async def _give_up(self, request_id: str, sent: int, *, answered: bool) -> None:
        """End a request the service kept failing. Its last answer was an error (5xx, sent
        with the same ``Idempotency-Key`` as every earlier try, so no job was started under
        it): the credits go back. With no answer at all the outcome is unknown: the request
        ends, its credits stay spent and the audit says ``unknown`` for the teacher to check."""
        if answered:
            error = (
                f"The video service failed {sent} times in a row for this request, so the "
                "class gateway stopped trying; your credits were given back."
            )
        else:
            error = (
                f"The video service did not answer this request {sent} times in a row, so the "
                "class gateway stopped trying; whether it ran is unknown, ask your teacher."
            )
        log.warning("gateway: request %s given up after %d tries", request_id, sent)
        await self.store.finish(request_id, None, failed=True, error=error, refund=answered)
        self.wake()

    async def check(self, request_id: str, jobid: str) -> None:
        with contextlib.suppress(httpx.TransportError):
            answer = await self.upstream.get(f"/jobs/{jobid}")
            record = _json(answer)
            if answer.status_code == 200 and record.get("status") in TERMINAL:
                await self.finish(request_id, record)
            elif answer.status_code == 200:
                await self.store.refresh(request_id, record)

    async def finish(self, request_id: str, record: dict[str, Any]) -> None:
        await self.store.finish(request_id, record, failed=record.get("status") == "failed")
        self.wake()


def _json(answer: httpx.Response) -> dict[str, Any]:
    try:
        value = answer.json()
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {"value": value}
