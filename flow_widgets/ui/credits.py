"""The credits panel: every account's health, plan and balance, this session's spend, the budget.

Why: a video can cost 100 credits and a class shares one account, so the balance is what people
watch. The panel renders the credit tracker's :class:`~flow_widgets.runtime.credit_snapshot.
CreditSnapshot` — whitelisted fields only, accounts masked — on a plain board that the tracker
redraws as jobs are reserved and settled, so it updates without running another cell. It warns
*before* a balance runs out (fewer credits left than one top-tier clip on that plan) and before
the budget does, and offers *refresh* (read every account now) and a budget setter.

Example:
    >>> import flow_widgets as fw     # doctest: +SKIP
    >>> fw.Credits()                  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

import ipywidgets as widgets

from flow_widgets.api.catalog import DEFAULT_CATALOG, Catalog
from flow_widgets.api.ids import mask_email
from flow_widgets.runtime.credit_snapshot import CreditSnapshot
from flow_widgets.ui import _session
from flow_widgets.ui._board import Board, BoardOptions, Bundle, Metadata
from flow_widgets.ui._handlers import describe_error, guarded
from flow_widgets.ui._panel import Panel
from flow_widgets.ui.panel_html import credits_html, credits_text

if TYPE_CHECKING:  # pragma: no cover
    from flow_widgets.runtime.session import FlowSession

__all__ = ["Credits", "credit_warnings"]

log = logging.getLogger("flow_widgets.ui")

_WARN_MODEL = "veo-3.1-quality"  # the dearest clip: warn while one more would not fit
_BUDGET_WARN_SHARE = 0.1


def credit_warnings(snapshot: CreditSnapshot, catalog: Catalog = DEFAULT_CATALOG) -> list[str]:
    """Plain sentences for balances and budgets that are about to run out.

    An account warns when it has fewer credits than one ``veo-3.1-quality`` clip costs on its
    plan; an unhealthy account always warns; the budget warns below a tenth of itself.
    """
    warnings: list[str] = []
    for account in snapshot.accounts:
        name = mask_email(account.email)
        if account.health is not None and account.health != "OK":
            warnings.append(
                f"{name} reports health {account.health!r}; its jobs will fail until it is "
                "fixed (re-add the account)."
            )
            continue
        if account.credits is None:
            continue
        price = catalog.video_credits(_WARN_MODEL, 8, "720p", account.tier or "pro")
        if account.credits <= 0:
            warnings.append(f"{name} has no credits left; top it up or use another account.")
        elif account.credits < price:
            warnings.append(
                f"{name} has {account.credits:,} credits left, less than one {_WARN_MODEL} clip "
                f"({price:,}); top it up before it runs out."
            )
    budget, left = snapshot.budget, snapshot.remaining_budget
    if budget is not None and left is not None:
        if left <= 0:
            warnings.append(
                f"The {budget:,}-credit budget is used up; raise it (flow.budget = …) to go on."
            )
        elif left < budget * _BUDGET_WARN_SHARE:
            warnings.append(f"Only {left:,} of the {budget:,}-credit budget remain.")
    return warnings


class Credits(Panel):
    """Accounts, balances, spend by model, captcha credits and the budget, live.

    Args:
        session: the session to follow (default: the kernel's ``flow_widgets.session()``).
        board_options: passed to the board (tests inject a publisher).
    """

    title = "flow_widgets credits"

    def __init__(
        self, session: FlowSession | None = None, *, board_options: BoardOptions | None = None
    ) -> None:
        self.session = _session.resolve(session)
        super().__init__(scrub=_session.scrubber(self.session))
        tracker = self.session.tracker
        self.refresh_button = widgets.Button(
            description="refresh", icon="refresh", tooltip="read every account's balance now"
        )
        self.budget = widgets.Text(
            description="budget",
            value="" if tracker.budget is None else str(tracker.budget),
            placeholder="no limit",
            layout={"width": "220px"},
        )
        self.set_budget = widgets.Button(description="set budget", icon="check")
        self.widget = widgets.VBox(
            [widgets.HBox([self.refresh_button, self.budget, self.set_budget]), self.status]
        )
        self.board = Board(self._bundle, name="credits", **(board_options or {}))
        self.boards = [self.board]
        self.refresh_button.on_click(guarded(self.status, "Refresh")(self._refresh))
        self.set_budget.on_click(guarded(self.status, "Set budget")(self._set_budget))
        self.on_close(tracker.subscribe(lambda _snapshot: self.board.refresh()))

    def snapshot(self) -> CreditSnapshot:
        """What the panel shows now."""
        snapshot: CreditSnapshot = self.session.tracker.snapshot()
        return snapshot

    def warnings(self) -> list[str]:
        """The warnings shown above the table."""
        return credit_warnings(self.snapshot(), self.session.tracker.catalog)

    def _bundle(self) -> Bundle:
        snapshot = self.snapshot()
        warnings = credit_warnings(snapshot, self.session.tracker.catalog)
        data = {
            "text/html": credits_html(snapshot, warnings=warnings),
            "text/plain": credits_text(snapshot, warnings=warnings),
        }
        metadata: Metadata = {
            "flow_widgets": {"credits": snapshot.spent, "budget": snapshot.budget}
        }
        return data, metadata

    def _refresh(self, _button: object = None) -> None:
        self.refresh_button.disabled = True
        self.status.show("Reading the accounts…")

        def work() -> None:
            try:
                self.session.refresh_accounts()
            except Exception as exc:  # shown on the panel; a thread has nobody else to tell
                log.exception("Refreshing the accounts failed")
                self.status.error(describe_error("Refresh", exc))
            else:
                count = len(self.snapshot().accounts)
                self.status.show(f"Read {count} account{'s' * (count != 1)}.", "ok")
            finally:
                self.refresh_button.disabled = False
                self.board.refresh_now()

        threading.Thread(target=work, name="flow-widgets-credits", daemon=True).start()

    def _set_budget(self, _button: object = None) -> None:
        text = self.budget.value.strip().replace(",", "").replace("_", "")
        if not text:
            value = None
        elif text.isdigit():
            value = int(text)
        else:
            self.status.error(
                f"budget must be a whole number of credits, like 300, or empty for no limit; "
                f"got {self.budget.value!r}."
            )
            return
        self.session.budget = value
        self.status.show("No budget." if value is None else f"Budget set to {value:,}.", "ok")
        self.board.refresh_now()

    def summary(self) -> tuple[str, str]:
        data, _ = self._bundle()
        return data["text/html"], data["text/plain"]
