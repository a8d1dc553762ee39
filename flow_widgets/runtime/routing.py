"""Which account a request goes to when it names none: the one where it costs least.

Why: prices differ by plan (an Ultra account pays 10 credits where a Pro account pays 20 for the
same Veo clip), and the API's load balancer does not look at prices. With several linked
accounts and no ``email``, the request goes to the *eligible* account — healthy, on a plan that
allows the request, with enough credits for it — where it costs least. When several eligible
accounts charge that same lowest price, no account is named: the dispatcher's per-account slots
then spread the work over them (the account with most room first) and the API's balancer does
the rest — pinning every tie to the richest account would queue work behind one account's
slots while another's stand idle, for no saving.

The choice is made once, when the request is built, so the preview, ``--dry-run``, the
*Generate · N credits* button and the charge all price the same account. Re-runs still match the
request as it was asked for (the :class:`~flow_widgets.runtime.work_item.WorkItem` keeps the
unrouted fingerprint as its identity), so a different choice next time never looks like a new
purchase.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flow_widgets.api.catalog import Tier
from flow_widgets.errors import ValidationError
from flow_widgets.runtime.work_item import WorkItem

__all__ = ["Route", "cheapest", "route_work"]


@dataclass(frozen=True)
class Route:
    """Where a request would go and what it would cost there.

    Attributes:
        email: the account to name, or ``None`` to leave the choice to the load balancer.
        tier: the plan the price is for (``None``: not known).
        credits: the price on that plan.
    """

    email: str | None
    tier: Tier | None
    credits: int


def cheapest(tracker: Any, request: Any) -> Route | None:
    """The cheapest eligible account for ``request`` (see the module docstring), or ``None``
    when fewer than two accounts are known with their plans (nothing to choose between)."""
    accounts = [a for a in tracker.accounts() if a.tier is not None]
    if len(accounts) < 2:
        return None
    offers: list[tuple[int, int, str, Tier]] = []
    for account in accounts:
        if account.health is not None and not account.healthy:
            continue
        try:
            request.validate_for_tier(account.tier)
        except ValidationError:
            continue  # this plan does not allow the request (a model, a duration…)
        cost = int(tracker.estimate(request, account.tier))
        left = account.credits
        if left is not None and left < cost:
            continue
        offers.append((cost, -(left if left is not None else -1), account.email, account.tier))
    if not offers:
        return None
    offers.sort(key=lambda o: (o[0], o[1]))
    cost, _left, email, tier = offers[0]
    tied = [o for o in offers if o[0] == cost]
    if len(tied) > 1:  # the same price on several: the slots spread the work among them
        same_tier = len({o[3] for o in tied}) == 1
        return Route(None, tier if same_tier else None, cost)
    return Route(email, tier, cost)


def route_work(tracker: Any, work: WorkItem) -> WorkItem:
    """``work`` sent to its cheapest account when it names none (else ``work`` unchanged);
    its identity stays the request as asked for."""
    if getattr(work.request, "email", "") is not None or work.account is not None:
        return work
    route = cheapest(tracker, work.request)
    if route is None or route.email is None:
        return work
    return work.on_account(route.email)
