"""The Studio's live cost preview: what the form would cost, and whether it may be sent.

Why apart from the form rules: the preview joins the form to the *session's* numbers — the
plan of the chosen account, its balance, what the budget still allows, the session's price
list — and turns the first broken rule into the one sentence shown next to a disabled
**Generate**. It stays pure: the Studio passes those numbers in, so every reason can be tested
without a session.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flow_widgets.api.catalog import DEFAULT_CATALOG, Catalog, Tier
from flow_widgets.api.requests import FlowRequest
from flow_widgets.errors import ValidationError
from flow_widgets.ui.studio_form import StudioForm, build_request, options_for

__all__ = ["Preview", "preview"]


@dataclass(frozen=True)
class Preview:
    """The live cost preview under the form, and whether *Generate* may be pressed.

    Attributes:
        request: the request the form describes (``None`` when it is invalid).
        credits: what it will cost (``None`` when it cannot be priced).
        tier: the plan the price is for (``None``: not known; non-Ultra prices are used).
        balance: credits left on the chosen account (or all accounts), when known.
        remaining_budget: what the session budget still allows (``None``: no budget).
        problem: why *Generate* is disabled, in one sentence (``None``: it may be pressed).
    """

    request: FlowRequest | None
    credits: int | None
    tier: Tier | None
    balance: int | None = None
    remaining_budget: int | None = None
    problem: str | None = None
    problem_field: str | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """True when *Generate* may be pressed."""
        return self.problem is None and self.request is not None

    @property
    def balance_after(self) -> int | None:
        if self.balance is None or self.credits is None:
            return None
        return self.balance - self.credits

    @property
    def budget_after(self) -> int | None:
        if self.remaining_budget is None or self.credits is None:
            return None
        return self.remaining_budget - self.credits

    def summary(self) -> str:
        """One line: the cost, and what remains of the balance and the budget afterwards.

        >>> Preview(None, 20, "pro", balance=100, remaining_budget=50).summary()
        '20 credits · balance 100 → 80 · budget 50 → 30'
        """
        if self.credits is None:
            return "cost: not known until the form is valid"
        parts = ["free" if self.credits == 0 else f"{self.credits:,} credits"]
        if self.balance is not None:
            parts.append(f"balance {self.balance:,} → {self.balance_after:,}")
        if self.remaining_budget is not None:
            parts.append(f"budget {self.remaining_budget:,} → {self.budget_after:,}")
        return " · ".join(parts + list(self.notes))


_PRICE_TIER: Tier = "pro"  # non-Ultra prices are the highest, so an unknown plan never understates


def preview(
    form: StudioForm,
    *,
    tier: Tier | None,
    balance: int | None = None,
    remaining_budget: int | None = None,
    budget: int | None = None,
    catalog: Catalog = DEFAULT_CATALOG,
) -> Preview:
    """Price ``form`` and decide whether it may be sent.

    Args:
        tier: the plan of the chosen account (``None``: unknown, priced as Pro).
        balance: credits left on the account that would pay, when known.
        remaining_budget: what the session budget still allows (``None``: no budget).
        budget: the whole session budget, for the message.
        catalog: the price list (the session's, which may carry the account's own prices).
    """
    notes: tuple[str, ...] = () if tier is not None else ("plan unknown: Pro prices shown",)
    try:
        options = options_for(form, tier)
        if options.unavailable:
            raise ValidationError(options.unavailable, field="model")
        request = build_request(form)
        if tier is not None:
            request.validate_for_tier(tier)
        credits = request.estimate_credits(tier or _PRICE_TIER, catalog)
    except ValidationError as exc:
        return Preview(
            None,
            None,
            tier,
            balance,
            remaining_budget,
            problem=str(exc),
            problem_field=exc.field,
            notes=notes,
        )
    # Reported rules (spec §7.1) the form breaks: sent anyway, so said next to the price.
    notes = (*notes, *(warning.line() for warning in request.rule_warnings))
    problem: str | None = None
    if remaining_budget is not None and credits > remaining_budget:
        of_budget = f" of the {budget:,}-credit budget" if budget is not None else " of the budget"
        problem = (
            f"This costs {credits:,} credits but only {remaining_budget:,}{of_budget} remain; "
            "raise the budget (flow.budget = …) or choose a cheaper model or fewer takes."
        )
    elif balance is not None and credits > balance:
        problem = (
            f"This costs {credits:,} credits but the account has {balance:,} left; choose a "
            "cheaper model, fewer takes, or top up the account."
        )
    return Preview(request, credits, tier, balance, remaining_budget, problem=problem, notes=notes)
