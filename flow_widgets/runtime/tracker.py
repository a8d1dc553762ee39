"""The credit tracker: accounts, balances, what this session spent, and the budget guard.

Why it exists: users run generation cells on a budget (a class, a monthly plan), and a video can
cost 100 credits. The tracker is the one place that knows, in the kernel, what every account has
left, what this session has committed per model and per account, and whether the next submission
still fits the budget the user set. It refuses an over-budget submission *before* anything is
sent (:class:`~flow_widgets.errors.BudgetExceededError` names the cost and what remains).

Spend is counted the way money is: an estimate is *reserved* when a submission is about to be
sent, then *settled* with what the server actually charged (``remainingCredits`` deltas, or 0 for
a refused or uncharged job). Until settled, the estimate counts against the budget.

Accounts keep whitelisted fields only — email, health, plan tier, credits — never cookies, tokens
or session data, whatever object is handed in. The UI renders :meth:`CreditTracker.snapshot` and
subscribes to changes; callbacks run on the caller's thread (usually the engine's) and must be
cheap. No I/O here.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any, Protocol

from flow_widgets.api.catalog import DEFAULT_CATALOG, TIERS, Catalog, Tier, model_for_google_key
from flow_widgets.errors import BudgetExceededError, UnknownPriceError, ValidationError
from flow_widgets.runtime.credit_snapshot import UNASSIGNED, AccountCredits, CreditSnapshot
from flow_widgets.runtime.ledger import UNFINISHED_STATES

__all__ = [
    "UNASSIGNED",
    "AccountCredits",
    "CreditSnapshot",
    "CreditTracker",
]

log = logging.getLogger("flow_widgets.tracker")

_CONSERVATIVE_TIER: Tier = "pro"  # non-Ultra prices are the highest, so estimates err high
_NOT_CHARGED_STATES = frozenset({"rejected", "failed", "lost"})


class _AccountLike(Protocol):
    """What the tracker reads from an :class:`~flow_widgets.api.models.Account` (nothing else)."""

    @property
    def email(self) -> str | None: ...
    @property
    def health(self) -> str | None: ...
    @property
    def tier(self) -> Tier | None: ...
    @property
    def credits(self) -> int | None: ...


class _Priced(Protocol):
    """A request that can price itself (every paid request object)."""

    def estimate_credits(self, tier: Tier, catalog: Catalog = ...) -> int: ...


class _SpendFacts(Protocol):
    """One ledger row's credit facts (a :class:`~flow_widgets.runtime.ledger.Submission`)."""

    @property
    def submission_id(self) -> str: ...
    @property
    def model(self) -> str | None: ...
    @property
    def account(self) -> str | None: ...
    @property
    def estimate(self) -> int: ...
    @property
    def credits(self) -> int | None: ...
    @property
    def charged(self) -> bool | None: ...
    @property
    def state(self) -> str: ...


@dataclass
class _Spend:
    model: str | None
    account: str | None
    estimate: int
    actual: int | None = None  # None until settled

    @property
    def committed(self) -> int:
        return self.estimate if self.actual is None else self.actual


Listener = Callable[[CreditSnapshot], None]


class CreditTracker:
    """Accounts, balances, session spend and the budget guard; thread-safe.

    Args:
        catalog: the price list estimates come from.
        budget: the session budget in credits (``None``: unlimited).
        clock: time source for ``updated`` stamps.

    Example:
        >>> tracker = CreditTracker(budget=30)
        >>> tracker.reserve("s1", "veo-3.1-fast", None, 20)
        >>> tracker.check_budget(20)
        Traceback (most recent call last):
        ...
        flow_widgets.errors.BudgetExceededError: This submission would cost 20 credits but only 10 of the 30-credit budget remain; raise the budget (flow.budget = …) or choose a cheaper model.
    """  # noqa: E501

    def __init__(
        self,
        catalog: Catalog = DEFAULT_CATALOG,
        *,
        budget: int | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.catalog = catalog
        self._clock = clock
        self._lock = threading.RLock()
        self._accounts: dict[str, AccountCredits] = {}
        self._spend: dict[str, _Spend] = {}
        self._captcha_credits: int | None = None
        self._budget = _checked_budget(budget)
        self._version = 0
        self._listeners: list[Listener] = []

    def __repr__(self) -> str:
        with self._lock:
            return (
                f"CreditTracker(accounts={len(self._accounts)}, spent={self._spent()}, "
                f"budget={self._budget})"
            )

    # -- accounts ---------------------------------------------------------------------------

    def update_from_account(self, account: _AccountLike) -> AccountCredits:
        """Record an account's health, plan and credits (whitelisted; nothing else is read)."""
        if not account.email:
            raise ValueError("the account has no email; read it with GET /accounts/{email}.")
        tier = account.tier if account.tier in TIERS else None
        self._learn_open_prices(getattr(account, "models", ()))
        with self._lock:
            known = self._accounts.get(account.email)
            entry = AccountCredits(
                email=str(account.email),
                health=None if account.health is None else str(account.health),
                tier=tier if tier is not None else (known.tier if known else None),
                credits=account.credits if account.credits is not None else _credits(known),
                updated=self._clock(),
            )
            self._accounts[entry.email] = entry
        self._changed()
        return entry

    def _learn_open_prices(self, models: Any) -> None:
        """Keep the ``creditCost`` of models newer than the catalog (spec §7.1: a model with no
        known price costs what the account says)."""
        prices = {
            str(model.key): int(model.credit_cost)
            for model in models or ()
            if getattr(model, "credit_cost", None) is not None
            and model_for_google_key(str(getattr(model, "key", ""))) is None
        }
        if prices:
            with self._lock:
                self.catalog = self.catalog.with_overrides(open_credits=prices)

    def update_balance(self, email: str, remaining_credits: int) -> None:
        """Record an account's balance from a job's ``remainingCredits``."""
        with self._lock:
            known = self._accounts.get(email) or AccountCredits(email=email)
            self._accounts[email] = replace(
                known, credits=int(remaining_credits), updated=self._clock()
            )
        self._changed()

    def update_captcha_credits(self, free_captcha_credits: int | None) -> None:
        """Record the free captcha solves left (``GET /accounts/captcha-providers``)."""
        with self._lock:
            self._captcha_credits = free_captcha_credits
        self._changed()

    def accounts(self) -> tuple[AccountCredits, ...]:
        """The known accounts, by email."""
        with self._lock:
            return tuple(self._accounts[email] for email in sorted(self._accounts))

    def tier_of(self, email: str | None) -> Tier | None:
        """The plan of ``email``; without an email, the plan shared by every known account."""
        with self._lock:
            if email is not None:
                known = self._accounts.get(email)
                return known.tier if known else None
            tiers = {a.tier for a in self._accounts.values()}
            return tiers.pop() if len(tiers) == 1 else None

    # -- estimates and the budget -----------------------------------------------------------

    def estimate(self, request: _Priced, tier: Tier | None = None) -> int:
        """What ``request`` will cost on plan ``tier``.

        Without a tier, the plan all known accounts share is used, else non-Ultra prices (the
        highest), so an estimate never understates the cost.
        """
        chosen = tier or self.tier_of(None) or _CONSERVATIVE_TIER
        try:
            return int(request.estimate_credits(chosen, self.catalog))
        except UnknownPriceError:
            if self.budget is not None:
                raise  # a budget is a promise: an unknown cost needs a stated ceiling
            return 0  # no budget: sent with the open-set warning; the charge is read after

    @property
    def budget(self) -> int | None:
        """The session budget in credits; ``None`` means no limit."""
        with self._lock:
            return self._budget

    @budget.setter
    def budget(self, value: int | None) -> None:
        checked = _checked_budget(value)
        with self._lock:
            self._budget = checked
        self._changed()

    @property
    def remaining_budget(self) -> int | None:
        """Credits the budget still allows (``None`` without a budget)."""
        with self._lock:
            return self._remaining()

    def check_budget(self, cost: int) -> None:
        """Raise :class:`BudgetExceededError` if spending ``cost`` would exceed the budget."""
        with self._lock:
            self._check(cost)

    def reserve(self, sid: str, model: str | None, account: str | None, credits: int) -> None:
        """Commit an estimate for a submission about to be sent (checked against the budget).

        The check and the reservation happen under one lock, so two cells submitting at once
        cannot both slip under the budget. Reserving the same id again replaces its estimate.
        """
        with self._lock:
            previous = self._spend.pop(sid, None)
            try:
                self._check(credits)
            except BudgetExceededError:
                if previous is not None:
                    self._spend[sid] = previous
                raise
            self._spend[sid] = _Spend(model=model, account=account, estimate=int(credits))
        self._changed()

    def settle(self, sid: str, charged_credits: int, *, account: str | None = None) -> bool:
        """Replace a reservation's estimate by what was actually charged (0 if nothing was).

        Returns ``False`` when ``sid`` was never reserved in this session (nothing changes).
        """
        with self._lock:
            entry = self._spend.get(sid)
            if entry is None:
                return False
            entry.actual = int(charged_credits)
            if account is not None:
                entry.account = account
        self._changed()
        return True

    def adopt(self, rows: Iterable[_SpendFacts]) -> int:
        """Count submissions from the ledger (a resumed session's jobs); returns how many.

        Unfinished ones count their estimate until settled; finished ones count what was charged
        (their estimate when a completed job's charge was never recorded). Budget is not checked:
        the credits are already committed.
        """
        adopted = 0
        with self._lock:
            for row in rows:
                if row.submission_id in self._spend:
                    continue
                entry = _Spend(model=row.model, account=row.account, estimate=int(row.estimate))
                if row.state not in UNFINISHED_STATES and row.state != "cancelled":
                    entry.actual = _charged(row)
                self._spend[row.submission_id] = entry
                adopted += 1
        if adopted:
            self._changed()
        return adopted

    # -- spend ------------------------------------------------------------------------------

    @property
    def spent(self) -> int:
        """Credits committed this session (charged plus unsettled estimates)."""
        with self._lock:
            return self._spent()

    def spent_by_model(self) -> dict[str, int]:
        """Committed credits per model."""
        with self._lock:
            return _fold(self._spend.values(), lambda e: e.model or "unknown")

    def spent_by_account(self) -> dict[str, int]:
        """Committed credits per account email (:data:`UNASSIGNED` before one is known)."""
        with self._lock:
            return _fold(self._spend.values(), lambda e: e.account or UNASSIGNED)

    # -- observing --------------------------------------------------------------------------

    def subscribe(self, callback: Listener) -> Callable[[], None]:
        """Call ``callback(snapshot)`` after every change; returns the function that stops it."""
        with self._lock:
            self._listeners.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._listeners:
                    self._listeners.remove(callback)

        return unsubscribe

    def snapshot(self) -> CreditSnapshot:
        """The current state, frozen and JSON-able (:meth:`CreditSnapshot.to_dict`)."""
        with self._lock:
            return self._snapshot()

    # -- internals --------------------------------------------------------------------------

    def _spent(self) -> int:
        return sum(entry.committed for entry in self._spend.values())

    def _remaining(self) -> int | None:
        return None if self._budget is None else max(self._budget - self._spent(), 0)

    def _check(self, cost: int) -> None:
        remaining = self._remaining()
        if remaining is None or cost <= 0 or cost <= remaining:
            return
        raise BudgetExceededError(
            f"This submission would cost {cost} credits but only {remaining} of the "
            f"{self._budget}-credit budget remain; raise the budget (flow.budget = …) or choose "
            "a cheaper model.",
            cost=int(cost),
            remaining=remaining,
        )

    def _snapshot(self) -> CreditSnapshot:
        entries = list(self._spend.values())
        balances = [a.credits for a in self._accounts.values() if a.credits is not None]
        return CreditSnapshot(
            version=self._version,
            accounts=tuple(self._accounts[email] for email in sorted(self._accounts)),
            budget=self._budget,
            spent=sum(e.committed for e in entries),
            charged=sum(e.actual for e in entries if e.actual is not None),
            pending=sum(e.estimate for e in entries if e.actual is None),
            remaining_budget=self._remaining(),
            spent_by_model=MappingProxyType(_fold(entries, lambda e: e.model or "unknown")),
            spent_by_account=MappingProxyType(_fold(entries, lambda e: e.account or UNASSIGNED)),
            captcha_credits=self._captcha_credits,
            total_credits=sum(balances) if balances else None,
            updated=self._clock(),
        )

    def _changed(self) -> None:
        with self._lock:
            self._version += 1
            if not self._listeners:
                return
            listeners = list(self._listeners)
            snapshot = self._snapshot()
        for listener in listeners:
            try:
                listener(snapshot)
            except Exception:  # one broken view must not stop the others or the engine
                log.exception("a credit listener failed")


def _checked_budget(value: int | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(
            f"budget must be a whole number of credits, 0 or more, or None for no limit; "
            f"got {value!r}.",
            field="budget",
        )
    return value


def _credits(known: AccountCredits | None) -> int | None:
    return None if known is None else known.credits


def _charged(row: _SpendFacts) -> int:
    if row.credits is not None:
        return int(row.credits)
    if row.charged is False or row.state in _NOT_CHARGED_STATES:
        return 0
    return int(row.estimate)


def _fold(entries: Iterable[_Spend], key: Callable[[_Spend], str]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for entry in entries:
        totals[key(entry)] = totals.get(key(entry), 0) + entry.committed
    return totals
