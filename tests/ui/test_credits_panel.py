"""The credits panel follows the tracker live, warns before balances and budgets run out."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from flow_widgets.runtime.credit_snapshot import AccountCredits, CreditSnapshot
from flow_widgets.runtime.session import FlowSession
from flow_widgets.ui.credits import Credits, credit_warnings
from tests.ui.panel_support import PRO, Recorder, eventually


@pytest.fixture
def credits(flow: FlowSession, board: Recorder) -> Iterator[Credits]:
    panel = Credits(flow, board_options={"publisher": board})
    panel.board.show()
    try:
        yield panel
    finally:
        panel.close()


def test_accounts_are_shown_masked_with_plan_and_balance(credits: Credits, board: Recorder) -> None:
    page = board.last_html
    assert "pr***@gmail.com" in page and "ul***@gmail.com" in page
    assert PRO not in page and "Ultra $200" in page and "1,000" in page
    assert "no budget set" in page


def test_spend_appears_live_by_model_without_another_cell(
    flow: FlowSession, credits: Credits, board: Recorder
) -> None:
    flow.video("a fox", model="veo-3.1-fast", email=PRO, new=True).wait(60)
    eventually(lambda: "spent this session: 20" in board.last_html, 10, "the spend on the board")
    assert "veo-3.1-fast" in board.last_html
    assert "spent on veo-3.1-fast: 20" in board.last_text


def test_budget_setter_draws_the_bar_and_warns_near_the_end(
    flow: FlowSession, credits: Credits, board: Recorder
) -> None:
    credits.budget.value = "21"
    credits.set_budget.click()
    assert flow.budget == 21 and credits.status.tone == "ok"
    assert 'class="fw-budget-bar"' in board.last_html
    flow.video("a fox", model="veo-3.1-fast", email=PRO, new=True).wait(60)
    eventually(lambda: "Only 1 of the 21-credit budget remain" in board.last_html, 10, "warning")
    credits.budget.value = "lots"
    credits.set_budget.click()
    assert credits.status.tone == "error" and "whole number" in credits.status.text
    assert flow.budget == 21


def test_refresh_reads_the_accounts_in_the_background(credits: Credits) -> None:
    credits.refresh_button.click()
    eventually(lambda: credits.status.tone == "ok", 20, "the refresh to finish")
    assert credits.status.text == "Read 2 accounts."
    assert not credits.refresh_button.disabled


def _snapshot(*accounts: AccountCredits, budget: int | None = None, left: int | None = None):
    return CreditSnapshot(
        version=1, accounts=accounts, budget=budget, spent=0, charged=0, pending=0,
        remaining_budget=left, spent_by_model={}, spent_by_account={}, captcha_credits=None,
        total_credits=None, updated=0.0,
    )  # fmt: skip


def test_warnings_come_before_the_money_runs_out() -> None:
    rich = AccountCredits("a@example.com", "OK", "pro", 5000)
    low = AccountCredits("b@example.com", "OK", "pro", 80)
    empty = AccountCredits("c@example.com", "OK", "ultra_100", 0)
    broken = AccountCredits("d@example.com", "ERROR", "pro", 900)
    warnings = credit_warnings(_snapshot(rich, low, empty, broken, budget=300, left=20))
    assert len(warnings) == 4
    assert (
        "b***@example.com has 80 credits left, less than one veo-3.1-quality clip (100)"
        in (warnings[0])
    )
    assert "c***@example.com has no credits left" in warnings[1]
    assert "health 'ERROR'" in warnings[2]
    assert warnings[3] == "Only 20 of the 300-credit budget remain."
    assert credit_warnings(_snapshot(rich, budget=300, left=200)) == []
    assert "used up" in credit_warnings(_snapshot(budget=300, left=0))[0]
