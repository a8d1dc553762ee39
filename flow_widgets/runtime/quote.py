"""What submitting some requests would do, said before anything is sent.

Why a value of its own: the magics' dry run and budget message, the Studio's cost line, a batch's
check of its whole cost and :meth:`FlowSession.submit` itself all ask the same four questions --
which plan prices each request, what it costs, whether it re-attaches to an earlier purchase
(and so costs nothing), and whether the budget covers the new purchases -- and each used to
answer them its own way. :meth:`~flow_widgets.runtime.session.FlowSession.quote` answers them
once, on the caller's thread; the engine checks the budget again, authoritatively, where it
reserves the credits (:class:`~flow_widgets.runtime.job_runner.JobRunner`).
"""

from __future__ import annotations

from dataclasses import dataclass

from flow_widgets.api.requests import FlowRequest
from flow_widgets.errors import BudgetExceededError

__all__ = ["Quote", "QuoteLine"]


@dataclass(frozen=True)
class QuoteLine:
    """One request of a quote.

    Attributes:
        request: the request as it will be sent (the session's default account filled in).
        account: the account it is bound to, when it names or implies one.
        plan: the plan name its price assumes (``None``: no account's plan is known yet, so
            the highest non-Ultra prices were used).
        credits: what it costs on that plan (0 for free endpoints).
        reattach: an identical earlier purchase is taken up again: nothing is sent or spent.
    """

    request: FlowRequest
    account: str | None
    plan: str | None
    credits: int
    reattach: bool


@dataclass(frozen=True)
class Quote:
    """The answer of :meth:`FlowSession.quote`: one line per request and the budget's verdict."""

    lines: tuple[QuoteLine, ...]
    budget: int | None
    refusal: BudgetExceededError | None = None

    @property
    def credits(self) -> int:
        """The estimated cost of every request, re-attached ones included (what a dry run
        shows as the price of the cell)."""
        return sum(line.credits for line in self.lines)

    @property
    def to_spend(self) -> int:
        """The credits the new purchases would reserve against the budget."""
        return sum(line.credits for line in self.lines if not line.reattach)

    @property
    def plan(self) -> str | None:
        """The plan the first request's price assumes."""
        return self.lines[0].plan if self.lines else None

    @property
    def ok(self) -> bool:
        """True when the budget covers the new purchases."""
        return self.refusal is None

    def check(self) -> None:
        """Raise :class:`~flow_widgets.errors.BudgetExceededError` when the budget does not
        cover the new purchases."""
        if self.refusal is not None:
            raise self.refusal
