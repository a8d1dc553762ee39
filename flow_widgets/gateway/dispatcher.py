"""Places queued requests upstream when a slot is free, and frees the slot when the job ends.

Every gateway process runs one dispatcher; they coordinate only through the database
(:meth:`~flow_widgets.gateway.store.Store.claim_next` hands each request to one process). A
request that leaves the line becomes an intent of the ledger (:class:`~flow_widgets.runtime.
ledger_protocol.IntentLedger`, on PostgreSQL), committed before its first POST: each upstream
POST is an attempt of it, the process that works on it holds its owner lease (another live
process leaves it alone), and every state it reaches moves along the ledger's one transition
table. The store keeps only the class's books (slot, charge, refund, audit).

The upstream POST carries the request's id as ``Idempotency-Key``, so a retry after a lost
answer cannot start (and charge for) a second job. An answer that never comes leaves the intent
``submitting`` and its credits charged (unknown is neither a failure to refund nor a success);
any process takes the intent over and places it again, with the same key, once it has been
``placing`` for ``replace_after`` seconds and its owner is gone -- which also finishes the
work of a process killed mid-request. A re-send under the same key is a new attempt; the one
before it ends ``refused`` with the reason (an error answer, or no answer).

The attempts are counted in the ledger (whichever process sent them): after ``max_attempts``
POSTs, or ``give_up_after`` seconds since the first, a request the service keeps answering with
5xx ends ``rejected`` (the student sees ``failed`` with a plain sentence) and its credits are
given back, so a permanent outage costs a bounded number of POSTs, not one every
``replace_after`` forever; with no answer at all it ends ``unknown`` and stays charged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

import httpx

from flow_widgets.gateway.store import Claim, Store
from flow_widgets.runtime.ledger_protocol import IntentLedger

__all__ = ["ASYNC_ROUTES", "TERMINAL", "Dispatcher"]

log = logging.getLogger(__name__)

#: Routes whose POST takes ``async: true`` (answer at once with the job record).
ASYNC_ROUTES = frozenset({"videos", "videos/extend", "videos/upscale"})
TERMINAL = frozenset({"completed", "failed"})
_ATTEMPTS = 3
_T = TypeVar("_T")


class Dispatcher:
    """The background loop of one gateway process."""

    def __init__(
        self,
        store: Store,
        ledger: IntentLedger,
        upstream: httpx.AsyncClient,
        *,
        check_every: float,
        replace_after: float = 300.0,
        max_attempts: int = 6,
        give_up_after: float = 900.0,
    ) -> None:
        self.store = store
        self.ledger = ledger
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
                    self._spawn(self.place(claim))
                    continue
                for request_id, jobid, sid, seen in await self.store.due_checks(self.check_every):
                    self._spawn(self.check(request_id, jobid, sid, seen))
                for stale in await self.store.stale_placing(self.replace_after):
                    self._spawn(self.place(stale))
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

    async def _ledger(self, call: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
        """Run a (blocking) ledger call off the event loop."""
        return await asyncio.to_thread(call, *args, **kwargs)

    async def _intent_for(self, claim: Claim) -> str | None:
        """The intent this process sends ``claim`` under, with a new attempt open; ``None``
        when there is nothing to send: another live process owns the intent, or the intent
        already has news (then the request is settled from it here)."""
        sid = claim.intent_id
        if sid is None:
            # The request id is the fingerprint: an intent made for it by a process that died
            # before naming it in the queue is found again, not made twice.
            kind = "image" if claim.route.startswith("images") else "video"
            model = claim.body.get("model")
            made, earlier = await self._ledger(
                self.ledger.begin_or_reuse,
                kind,
                f"/{claim.route}",
                claim.body,
                claim.request_id,
                model if isinstance(model, str) else None,
                claim.cost,
                claim.account,
            )
            await self.store.attach(claim.request_id, made)
            if earlier is None:
                return made
            sid = made
        if not await self._ledger(self.ledger.claim, sid):
            return None  # its live owner is still on it
        intent = await self._ledger(self.ledger.get, sid)
        if intent is None:
            return None
        if intent.state != "submitting":
            await self._settle(claim.request_id, intent.state, intent.job)
            return None
        if not await self._ledger(self.ledger.waiting_to_retry, sid):
            # the POST before had no answer here: its process died or lost it
            reason = "no answer reached the gateway; sent again with the same Idempotency-Key"
            await self._ledger(self.ledger.refused_attempt, sid, reason)
        if await self._ledger(self.ledger.retry_intent, sid, claim.account) is None:
            return None
        return sid

    async def _settle(self, request_id: str, state: str, job: Any) -> None:
        """Close the class's books of a request from its intent's state (a process died
        between writing the intent and settling the books)."""
        record = None if job is None else dict(job)
        if state in ("accepted", "running"):
            await self.store.placed(request_id)
        elif state == "completed":
            await self.store.finish(request_id, record, failed=False)
        elif state in ("failed", "rejected"):
            await self.store.finish(request_id, record, failed=True)
        else:  # unknown, lost, timed out, cancelled: it may have run; the charge stays
            await self.store.finish(request_id, record, failed=True, refund=False)
        self.wake()

    async def place(self, claim: Claim) -> None:
        sid = await self._intent_for(claim)
        if sid is None:
            return
        request_id, route, account = claim.request_id, claim.route, claim.account
        payload = {**claim.body, "email": account}
        if route in ASYNC_ROUTES:
            payload["async"] = True
        headers = {"Idempotency-Key": request_id}
        reason = ""
        for attempt in range(_ATTEMPTS):
            if attempt:  # the same key again: a new attempt, the one before refused
                await self._ledger(self.ledger.refused_attempt, sid, reason)
                await self._ledger(self.ledger.retry_intent, sid, account)
            tries = await self._ledger(self.ledger.attempts, sid)
            sent, elapsed = len(tries), time.time() - tries[0].sent
            await self.store.touch(request_id)
            if sent > self.max_attempts:  # the process that sent the last one died after it
                await self._give_up(request_id, sid, sent - 1, answered=False)
                return
            spent_tries = sent >= self.max_attempts or elapsed >= self.give_up_after
            try:
                answer = await self.upstream.post(f"/{route}", json=payload, headers=headers)
            except httpx.TransportError as exc:
                if spent_tries:  # no answer at all: the outcome is unknown, keep the charge
                    await self._give_up(request_id, sid, sent, answered=False)
                    return
                reason = f"no answer ({type(exc).__name__}); sent again with the same key"
                await asyncio.sleep(0.2 * (attempt + 1))
                continue
            if answer.status_code == 429:
                await self._ledger(self.ledger.refused_attempt, sid, "upstream answered 429")
                await asyncio.sleep(min(float(answer.headers.get("Retry-After", 1) or 1), 5.0))
                await self.store.requeue(request_id)
                self.wake()
                return
            if answer.status_code >= 500:
                if spent_tries:
                    await self._give_up(request_id, sid, sent, answered=True)
                    return
                reason = f"upstream answered {answer.status_code}; sent again with the same key"
                await asyncio.sleep(0.2 * (attempt + 1))
                continue
            record = _json(answer)
            if answer.status_code < 300 and route not in ASYNC_ROUTES and "status" not in record:
                # A synchronous route answers with the finished result itself.
                upstream_id = str(record.get("jobId", record.get("jobid", "")))
                record = {"jobid": upstream_id, "status": "completed", "response": record}
            if answer.status_code >= 400:
                error = str(record.get("error", f"upstream answered {answer.status_code}"))
                await self._ledger(self.ledger.mark_state, sid, "rejected", error=error[:500])
                await self.store.finish(request_id, None, failed=True)
            elif record.get("status") in TERMINAL:
                await self.finish(request_id, sid, record, claim.cost)
            else:
                jobid = str(record.get("jobid", ""))
                await self._ledger(self.ledger.mark_accepted, sid, jobid, account, record)
                await self.store.placed(request_id)
            self.wake()
            return
        await self._ledger(self.ledger.refused_attempt, sid, reason)
        log.warning("gateway: request %s has no answer from upstream yet; left charged", request_id)

    async def _give_up(self, request_id: str, sid: str, sent: int, *, answered: bool) -> None:
        """End a request the service kept failing. Its last answer was an error (5xx, sent
        with the same ``Idempotency-Key`` as every earlier try, so no job was started under
        it): the intent is ``rejected`` and the credits go back. With no answer at all the
        outcome is unknown: the intent is ``unknown``, its credits stay spent and the audit
        says ``unknown`` for the teacher to check."""
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
        state = "rejected" if answered else "unknown"
        await self._ledger(self.ledger.mark_state, sid, state, error=error)
        await self.store.finish(request_id, None, failed=True, refund=answered)
        self.wake()

    async def check(
        self, request_id: str, jobid: str, sid: str, seen: dict[str, Any] | None = None
    ) -> None:
        """Look at a placed job upstream; write its intent only when the record changed
        (``seen`` is the record the intent holds)."""
        if not await self._ledger(self.ledger.claim, sid):
            return  # its live owner checks it
        with contextlib.suppress(httpx.TransportError):
            answer = await self.upstream.get(f"/jobs/{jobid}")
            record = _json(answer)
            if answer.status_code == 200 and record.get("status") in TERMINAL:
                await self.finish(request_id, sid, record, None)
            elif answer.status_code == 200 and record != seen:
                await self._ledger(self.ledger.mark_state, sid, "running", job=record)

    async def finish(
        self, request_id: str, sid: str, record: dict[str, Any], cost: int | None
    ) -> None:
        """The job ended upstream: its intent first (so a crash here is settled from it),
        then the class's books."""
        failed = record.get("status") == "failed"
        if failed:
            error = str(record.get("error") or "the job failed")[:500]
            await self._ledger(self.ledger.mark_state, sid, "failed", error=error, job=record)
        else:
            await self._ledger(
                self.ledger.mark_state, sid, "completed", charged=True, credits=cost, job=record
            )
        await self.store.finish(request_id, record, failed=failed)
        self.wake()


def _json(answer: httpx.Response) -> dict[str, Any]:
    try:
        value = answer.json()
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {"value": value}
