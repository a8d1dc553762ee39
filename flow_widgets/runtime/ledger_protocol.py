"""What any store of purchase intents must do: the one interface of the ledger's two backends.

Why a Protocol: a kernel keeps its intents in SQLite (:class:`~flow_widgets.runtime.ledger.
Ledger`, one machine), a classroom gateway in PostgreSQL (:class:`~flow_widgets.gateway.
intent_ledger.PgIntentLedger`, several machines). Both must keep the same promises -- an
intent committed before its POST, attempts under it, a row owned by one live process at a
time, every state change a compare-and-set along :data:`~flow_widgets.runtime.
ledger_transitions.TRANSITIONS` -- and one shared test suite checks both against this list.
It covers intents (and the reuse of an identical purchase), attempts, ownership leases and
states; media files, uploaded assets and
spend rows are the SQLite ledger's alone for now.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from flow_widgets.runtime.ledger_records import Attempt, Submission

__all__ = ["IntentLedger"]


@runtime_checkable
class IntentLedger(Protocol):
    """Intents, their attempts, their owner and their states (see the module docstring)."""

    @property
    def owner(self) -> str: ...

    def begin_submission(
        self,
        kind: str,
        endpoint: str,
        payload: Mapping[str, Any],
        fingerprint: str,
        model: str | None,
        estimate: int,
        account: str | None,
    ) -> str: ...

    def begin_or_reuse(
        self,
        kind: str,
        endpoint: str,
        payload: Mapping[str, Any],
        fingerprint: str,
        model: str | None,
        estimate: int,
        account: str | None,
        *,
        reuse: bool = True,
    ) -> tuple[str, Submission | None]: ...

    def find_reusable(self, fingerprint: str) -> Submission | None: ...

    def claim(self, sid: str) -> bool: ...

    def held_elsewhere(self, sid: str) -> bool: ...

    def retry_intent(self, sid: str, account: str | None) -> int | None: ...

    def refused_attempt(self, sid: str, error: str) -> None: ...

    def waiting_to_retry(self, sid: str) -> bool: ...

    def attempts(self, sid: str) -> list[Attempt]: ...

    def mark_accepted(
        self, sid: str, jobid: str, account: str | None, raw_job: Mapping[str, Any] | None
    ) -> Submission: ...

    def mark_state(
        self,
        sid: str,
        state: str,
        *,
        error: str | None = None,
        charged: bool | None = None,
        credits: int | None = None,
        job: Mapping[str, Any] | None = None,
    ) -> Submission: ...

    def get(self, sid: str) -> Submission | None: ...

    def history(self, sid: str) -> list[tuple[str, float]]: ...

    def close(self) -> None: ...
