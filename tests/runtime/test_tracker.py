"""The credit tracker: whitelisted accounts, estimates, the budget guard, settling, snapshots."""

from __future__ import annotations

import json
import threading
from dataclasses import FrozenInstanceError, dataclass
from pathlib import Path

import pytest

from flow_widgets.api.catalog import DEFAULT_CATALOG, Tier
from flow_widgets.api.models import Account
from flow_widgets.api.requests import ImageRequest, VideoRequest
from flow_widgets.errors import BudgetExceededError, ValidationError
from flow_widgets.runtime.ledger import Ledger
from flow_widgets.runtime.tracker import UNASSIGNED, CreditSnapshot, CreditTracker

CANARY = "FLOWCANARY-8d2f61"


def _ticking() -> object:
    ticks = iter(range(1000, 100000))
    return lambda: float(next(ticks))


@dataclass(frozen=True)
class _LeakyAccount:
    """An account-shaped object that also carries things the tracker must never keep."""

    email: str | None = "jo@example.com"
    health: str | None = "OK"
    tier: Tier | None = "pro"
    credits: int | None = 1000
    cookies: str = CANARY
    access_token: str = CANARY
    session_data: str = CANARY


# -- accounts -------------------------------------------------------------------------------


def test_accounts_keep_only_whitelisted_fields() -> None:
    tracker = CreditTracker()
    entry = tracker.update_from_account(_LeakyAccount())  # type: ignore[arg-type]
    assert (entry.email, entry.health, entry.tier, entry.credits) == (
        "jo@example.com",
        "OK",
        "pro",
        1000,
    )
    assert entry.healthy
    dumped = json.dumps(tracker.snapshot().to_dict())
    assert CANARY not in dumped and CANARY not in repr(tracker.snapshot())
    assert set(tracker.snapshot().to_dict()["accounts"][0]) == {
        "email",
        "health",
        "tier",
        "credits",
        "updated",
    }


def test_a_real_account_reply_with_cookies_and_tokens_leaves_none_behind() -> None:
    body = {
        "accountCookies": [{"name": "HSID", "value": CANARY}],
        "sessionData": {"user": {"email": "an@example.com"}, "access_token": CANARY},
        "health": "OK",
        "credits": {"credits": 14845, "userPaygateTier": "PAYGATE_TIER_TWO"},
    }
    tracker = CreditTracker()
    entry = tracker.update_from_account(Account.from_api(body, email="an@example.com"))
    assert entry.email == "an@example.com" and entry.credits == 14845
    assert entry.tier is not None and entry.tier.startswith("ultra")
    assert CANARY not in json.dumps(tracker.snapshot().to_dict())


def test_an_update_without_credits_keeps_the_last_known_balance_and_tier() -> None:
    tracker = CreditTracker()
    tracker.update_from_account(_LeakyAccount(credits=500))  # type: ignore[arg-type]
    later = tracker.update_from_account(
        _LeakyAccount(health="session expired", tier=None, credits=None)  # type: ignore[arg-type]
    )
    assert (later.health, later.tier, later.credits, later.healthy) == (
        "session expired",
        "pro",
        500,
        False,
    )
    with pytest.raises(ValueError, match="no email"):
        tracker.update_from_account(_LeakyAccount(email=None))  # type: ignore[arg-type]


def test_balances_follow_remaining_credits_and_add_up() -> None:
    tracker = CreditTracker()
    tracker.update_from_account(_LeakyAccount(credits=1000))  # type: ignore[arg-type]
    tracker.update_balance("jo@example.com", 980)
    tracker.update_balance("new@example.com", 50)  # first heard of through a job
    snap = tracker.snapshot()
    assert [(a.email, a.credits) for a in snap.accounts] == [
        ("jo@example.com", 980),
        ("new@example.com", 50),
    ]
    assert snap.total_credits == 1030
    assert snap.accounts[0].tier == "pro"
    tracker.update_captcha_credits(97)
    assert tracker.snapshot().captcha_credits == 97
    assert CreditTracker().snapshot().total_credits is None


# -- estimates ------------------------------------------------------------------------------


def test_estimates_use_the_tier_the_accounts_share_or_err_high() -> None:
    request = VideoRequest("a red fox in snow", model="veo-3.1-fast", count=2)
    tracker = CreditTracker()
    non_ultra = request.estimate_credits("pro", DEFAULT_CATALOG)
    ultra = request.estimate_credits("ultra_200", DEFAULT_CATALOG)
    assert non_ultra > ultra
    assert tracker.estimate(request) == non_ultra  # nothing known: highest prices
    assert tracker.estimate(request, "ultra_200") == ultra
    tracker.update_from_account(_LeakyAccount(tier="ultra_200"))  # type: ignore[arg-type]
    assert tracker.estimate(request) == ultra
    assert tracker.tier_of("jo@example.com") == "ultra_200"
    tracker.update_from_account(_LeakyAccount(email="b@x", tier="plus"))  # type: ignore[arg-type]
    assert tracker.estimate(request) == non_ultra  # mixed plans: err high again
    assert tracker.tier_of("nobody@x") is None
    assert tracker.estimate(ImageRequest("a cat")) == 0


def test_estimates_follow_the_catalog_the_tracker_was_given() -> None:
    cheaper = DEFAULT_CATALOG.with_overrides(veo_credits={"veo-3.1-fast": 3})
    request = VideoRequest("fox", model="veo-3.1-fast")
    assert CreditTracker(cheaper).estimate(request, "pro") == 3


# -- the budget -----------------------------------------------------------------------------


def test_budget_refusal_names_the_cost_and_what_remains_and_records_nothing() -> None:
    tracker = CreditTracker(budget=50)
    tracker.reserve("s1", "veo-3.1-fast", None, 40)
    with pytest.raises(BudgetExceededError) as caught:
        tracker.check_budget(20)
    assert (caught.value.cost, caught.value.remaining) == (20, 10)
    assert "cost 20 credits but only 10 of the 50-credit budget remain" in str(caught.value)
    with pytest.raises(BudgetExceededError):
        tracker.reserve("s2", "veo-3.1-fast", None, 20)
    assert tracker.spent == 40 and "s2" not in tracker.spent_by_model()
    tracker.check_budget(10)  # exactly what remains is fine
    tracker.check_budget(0)  # free work is never refused
    tracker.reserve("free", "nano-banana-2", None, 0)
    assert tracker.remaining_budget == 10


def test_a_refused_re_reservation_keeps_the_earlier_estimate() -> None:
    tracker = CreditTracker(budget=30)
    tracker.reserve("s1", "veo-3.1-fast", None, 20)
    tracker.reserve("s1", "veo-3.1-fast", None, 25)  # replaces, does not add
    assert tracker.spent == 25
    with pytest.raises(BudgetExceededError):
        tracker.reserve("s1", "veo-3.1-quality", None, 100)
    assert tracker.spent == 25 and tracker.spent_by_model() == {"veo-3.1-fast": 25}


def test_no_budget_means_no_limit_and_the_budget_can_change() -> None:
    tracker = CreditTracker()
    tracker.reserve("s1", "veo-3.1-quality", None, 10_000)
    assert tracker.budget is None and tracker.remaining_budget is None
    tracker.budget = 12_000
    assert tracker.remaining_budget == 2000
    tracker.budget = 5000  # lowered below what is already spent
    assert tracker.remaining_budget == 0
    with pytest.raises(BudgetExceededError):
        tracker.check_budget(1)
    tracker.budget = None
    tracker.check_budget(10**9)


@pytest.mark.parametrize("bad", [-1, 2.5, "500", True])
def test_a_bad_budget_gets_one_plain_sentence(bad: object) -> None:
    tracker = CreditTracker()
    with pytest.raises(ValidationError, match=r"^budget must be a whole number") as caught:
        tracker.budget = bad  # type: ignore[assignment]
    assert caught.value.field == "budget"
    with pytest.raises(ValidationError):
        CreditTracker(budget=bad)  # type: ignore[arg-type]


def test_concurrent_reservations_never_overrun_the_budget() -> None:
    tracker = CreditTracker(budget=1000)
    refused: list[int] = []
    lock = threading.Lock()

    def submit(worker: int) -> None:
        for i in range(100):
            try:
                tracker.reserve(f"{worker}-{i}", "veo-3.1-fast", None, 7)
            except BudgetExceededError:
                with lock:
                    refused.append(1)

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert tracker.spent == 1000 // 7 * 7
    assert len(refused) == 800 - 1000 // 7


# -- settling -------------------------------------------------------------------------------


def test_settling_replaces_the_estimate_with_what_was_charged() -> None:
    tracker = CreditTracker(budget=100)
    tracker.reserve("a", "veo-3.1-fast", None, 20)
    tracker.reserve("b", "veo-3.1-fast", "jo@x", 20)
    tracker.reserve("c", "omni-flash", "an@x", 12)
    assert tracker.settle("a", 10, account="jo@x")  # Ultra pricing turned out cheaper
    assert tracker.settle("c", 0)  # refused by the server: nothing charged
    assert not tracker.settle("never-reserved", 50)
    snap = tracker.snapshot()
    assert (snap.spent, snap.charged, snap.pending) == (30, 10, 20)
    assert snap.remaining_budget == 70
    assert dict(snap.spent_by_model) == {"veo-3.1-fast": 30, "omni-flash": 0}
    assert dict(snap.spent_by_account) == {"jo@x": 30, "an@x": 0}
    tracker.reserve("d", "veo-3.1-lite", None, 10)
    assert tracker.spent_by_account()[UNASSIGNED] == 10


def test_a_resumed_session_adopts_the_ledger_rows(tmp_path: Path) -> None:
    with Ledger(tmp_path / "ledger.sqlite3") as ledger:
        sids = {}
        for name, state, credits in [
            ("done", "completed", 10),
            ("done-unrecorded", "completed", None),
            ("refused", "rejected", None),
            ("running", "running", None),
            ("cancelled", "cancelled", None),
        ]:
            sid = ledger.begin_submission("video", "/videos", {}, name, "veo-3.1-fast", 20, "jo@x")
            ledger.mark_state(sid, state, credits=credits)
            sids[name] = sid
        rows = ledger.list()
    tracker = CreditTracker(budget=200)
    assert tracker.adopt(rows) == 5
    assert tracker.adopt(rows) == 0  # idempotent
    snap = tracker.snapshot()
    # charged: 10 + 20 (completed, charge unrecorded: the estimate) + 0 (rejected)
    assert (snap.charged, snap.pending, snap.spent) == (30, 40, 70)
    assert tracker.settle(sids["running"], 20)
    assert tracker.snapshot().pending == 20


# -- snapshots and listeners ----------------------------------------------------------------


def test_snapshots_are_frozen_versioned_and_json_able() -> None:
    tracker = CreditTracker(budget=100, clock=_ticking())  # type: ignore[arg-type]
    first = tracker.snapshot()
    tracker.reserve("a", "veo-3.1-fast", "jo@x", 20)
    second = tracker.snapshot()
    assert second.version == first.version + 1 and second.updated > first.updated
    data = json.loads(json.dumps(second.to_dict()))
    assert data["spent_by_model"] == {"veo-3.1-fast": 20}
    assert data["remaining_budget"] == 80 and data["budget"] == 100
    with pytest.raises(FrozenInstanceError):
        second.spent = 0  # type: ignore[misc]
    with pytest.raises(TypeError):
        second.spent_by_model["x"] = 1  # type: ignore[index]
    tracker.settle("a", 10)
    assert second.spent == 20  # an old snapshot does not move


def test_subscribers_get_each_change_until_they_unsubscribe() -> None:
    tracker = CreditTracker()
    seen: list[CreditSnapshot] = []
    unsubscribe = tracker.subscribe(seen.append)
    tracker.reserve("a", "veo-3.1-fast", None, 20)
    tracker.settle("a", 10)
    tracker.update_balance("jo@x", 990)
    tracker.budget = 500
    assert [s.spent for s in seen] == [20, 10, 10, 10]
    assert seen[-1].budget == 500 and seen[-1].accounts[0].credits == 990
    assert [s.version for s in seen] == sorted({s.version for s in seen})
    unsubscribe()
    unsubscribe()  # harmless twice
    tracker.reserve("b", "veo-3.1-fast", None, 20)
    assert len(seen) == 4


def test_a_failing_subscriber_does_not_stop_the_others(caplog: pytest.LogCaptureFixture) -> None:
    tracker = CreditTracker()
    seen: list[int] = []

    def broken(snapshot: CreditSnapshot) -> None:
        raise RuntimeError("the widget was closed")

    tracker.subscribe(broken)
    tracker.subscribe(lambda snapshot: seen.append(snapshot.spent))
    tracker.reserve("a", "veo-3.1-fast", None, 20)
    assert seen == [20]
    assert "a credit listener failed" in caplog.text


def test_repr_is_short_and_free_of_account_details() -> None:
    tracker = CreditTracker(budget=10)
    tracker.update_from_account(_LeakyAccount())  # type: ignore[arg-type]
    assert repr(tracker) == "CreditTracker(accounts=1, spent=0, budget=10)"


def test_printed_snapshots_mask_account_emails() -> None:
    from flow_widgets.runtime.credit_snapshot import AccountCredits, CreditSnapshot

    account = AccountCredits(email="john.doe@gmail.com", health="OK", tier="pro", credits=900)
    snapshot = CreditSnapshot(
        version=1,
        accounts=(account,),
        budget=None,
        spent=20,
        charged=20,
        pending=0,
        remaining_budget=None,
        spent_by_model={"veo-3.1-fast": 20},
        spent_by_account={"john.doe@gmail.com": 20},
        captcha_credits=None,
        total_credits=900,
        updated=0.0,
    )
    shown = repr(snapshot)
    assert "john.doe@gmail.com" not in shown
    assert "jo***@gmail.com" in shown and "credits=900" in shown
    assert snapshot.to_dict()["accounts"][0]["email"] == "john.doe@gmail.com"
