"""What the credits panel renders: frozen, JSON-able snapshots of accounts and spend.

Why separate from the tracker: views (the credits widget, a dashboard, the CLI) depend only on
these plain values, never on the tracker's locks and bookkeeping, and a snapshot can be stored
in a widget trait or a saved output as it is (:meth:`CreditSnapshot.to_dict`). Accounts carry
whitelisted fields only: no cookies, tokens or session data can be represented here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flow_widgets.api.catalog import Tier
from flow_widgets.api.ids import mask_email

__all__ = ["UNASSIGNED", "AccountCredits", "CreditSnapshot"]

UNASSIGNED = "(any account)"
"""The ``spent_by_account`` key for submissions the server has not yet given an account."""


@dataclass(frozen=True)
class AccountCredits:
    """One Google account as the UI may show it: whitelisted fields only."""

    email: str
    health: str | None = None
    tier: Tier | None = None
    credits: int | None = None
    updated: float = 0.0

    @property
    def healthy(self) -> bool:
        """True when the server last reported ``health == "OK"``."""
        return self.health == "OK"

    def __repr__(self) -> str:
        # Printed snapshots end up in saved notebooks and on classroom projectors: mask the email.
        return (
            f"AccountCredits(email={mask_email(self.email)!r}, health={self.health!r}, "
            f"tier={self.tier!r}, credits={self.credits!r})"
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able fields."""
        return {
            "email": self.email,
            "health": self.health,
            "tier": self.tier,
            "credits": self.credits,
            "updated": self.updated,
        }


@dataclass(frozen=True)
class CreditSnapshot:
    """Everything the credits panel renders, frozen at one moment.

    Attributes:
        version: grows by one per change, so a view can drop a stale snapshot.
        accounts: the known accounts, by email.
        budget: the session budget in credits (``None``: no budget).
        spent: credits committed this session (charged, plus estimates not yet settled).
        charged: credits the server actually charged (settled submissions).
        pending: estimates of submissions not yet settled.
        remaining_budget: what the budget still allows (``None`` without a budget).
        spent_by_model: committed credits per model.
        spent_by_account: committed credits per account email (:data:`UNASSIGNED` if unknown).
        captcha_credits: free captcha solves left, when known.
        total_credits: the sum of known account balances (``None`` when none is known).
        updated: when the snapshot was taken (seconds since the epoch).
    """

    version: int
    accounts: tuple[AccountCredits, ...]
    budget: int | None
    spent: int
    charged: int
    pending: int
    remaining_budget: int | None
    spent_by_model: Mapping[str, int] = field(hash=False)
    spent_by_account: Mapping[str, int] = field(hash=False)
    captcha_credits: int | None
    total_credits: int | None
    updated: float

    def __repr__(self) -> str:
        by_account = {
            key if key == UNASSIGNED else mask_email(key): value
            for key, value in self.spent_by_account.items()
        }
        return (
            f"CreditSnapshot(accounts={list(self.accounts)!r}, budget={self.budget!r}, "
            f"spent={self.spent!r}, charged={self.charged!r}, pending={self.pending!r}, "
            f"remaining_budget={self.remaining_budget!r}, "
            f"spent_by_model={dict(self.spent_by_model)!r}, spent_by_account={by_account!r}, "
            f"captcha_credits={self.captcha_credits!r}, total_credits={self.total_credits!r})"
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able fields (what a widget trait or a saved output may hold)."""
        return {
            "version": self.version,
            "accounts": [account.to_dict() for account in self.accounts],
            "budget": self.budget,
            "spent": self.spent,
            "charged": self.charged,
            "pending": self.pending,
            "remaining_budget": self.remaining_budget,
            "spent_by_model": dict(self.spent_by_model),
            "spent_by_account": dict(self.spent_by_account),
            "captcha_credits": self.captcha_credits,
            "total_credits": self.total_credits,
            "updated": self.updated,
        }
