"""The load balancer of spec §4.4: quarantine pre-filter, then the lowest score wins."""

from __future__ import annotations

import pytest

from flow_widgets.simulator.balancer import Balancer
from flow_widgets.simulator.http import HttpError

A, B, C = "a@x.org", "b@x.org", "c@x.org"
THROTTLED = "PUBLIC_ERROR_USER_REQUESTS_THROTTLED"
DAILY = "PUBLIC_ERROR_PER_MODEL_DAILY_QUOTA_REACHED"


def test_score_is_executing_plus_completed_plus_weighted_failures() -> None:
    lb = Balancer(window=900)
    lb.started("videos", "j1", A, now=0)
    lb.started("videos", "j2", A, now=0)
    lb.finished("videos", "j2", ok=True, now=5, status=200)
    lb.refused("videos", B, 500, now=1)
    lb.refused("videos", C, 429, now=1)
    summary = lb.summary("videos", [A, B, C], now=10)
    assert summary[A]["score"] == 2 and summary[A]["avgResponseTime"] == 5000
    assert summary[B]["score"] == 10 and summary[C]["score"] == 20
    assert lb.pick("videos", [A, B, C], "veo-3.1-fast", now=10) == A


def test_events_leave_the_window_after_fifteen_minutes() -> None:
    lb = Balancer(window=900)
    lb.refused("images", A, 429, now=0)
    assert lb.summary("images", [A], now=899)[A]["rateLimited"] == 1
    assert lb.summary("images", [A], now=901)[A]["rateLimited"] == 0
    assert lb.summary("videos", [A], now=0)[A]["rateLimited"] == 0  # kinds are kept apart


def test_quarantine_skips_an_account_and_keeps_the_first_seen_time() -> None:
    lb = Balancer(window=900)
    lb.quarantine(A, THROTTLED, "veo-3.1-fast", until=100, now=0)
    lb.quarantine(A, THROTTLED, "veo-3.1-fast", until=500, now=50)  # idempotent
    assert lb.pick("videos", [A, B], "veo-3.1-fast", now=60) == B
    assert lb.quarantined(A, "omni-flash", now=99)  # throttling covers every model
    assert lb.pick("videos", [A, B], "veo-3.1-fast", now=100) == A  # cooldown over, A first


def test_daily_quota_quarantines_only_that_model() -> None:
    lb = Balancer(window=900)
    lb.quarantine(A, DAILY, "veo-3.1-fast", until=1000, now=0)
    assert lb.pick("videos", [A, B], "veo-3.1-fast", now=1) == B
    assert lb.pick("videos", [A, B], "veo-3.1-lite", now=1) == A


def test_captcha_traffic_429_does_not_quarantine() -> None:
    lb = Balancer(window=900)
    lb.quarantine(A, "PUBLIC_ERROR_UNUSUAL_ACTIVITY_TOO_MUCH_TRAFFIC", "*", until=100, now=0)
    assert lb.quarantined(A, "veo-3.1-fast", now=1) == []


def test_no_eligible_account_carries_retry_after_and_skip_reasons() -> None:
    lb = Balancer(window=900)
    lb.quarantine(A, THROTTLED, "m", until=100, now=0)
    lb.quarantine(B, DAILY, "m", until=300, now=0)
    with pytest.raises(HttpError) as caught:
        lb.pick("videos", [A, B], "m", now=40)
    error = caught.value
    assert error.status == 429 and error.headers["Retry-After"] == "60"
    assert error.body["error"] == "no_eligible_account"
    assert {(s["email"], s["reason"], s["model"]) for s in error.body["skipReasons"]} == {
        (A, THROTTLED, "*"),
        (B, DAILY, "m"),
    }
    assert error.body["retryAfter"].endswith("Z")


def test_a_single_account_skips_the_prefilter() -> None:
    lb = Balancer(window=900)
    lb.quarantine(A, THROTTLED, "m", until=100, now=0)
    assert lb.pick("videos", [A], "m", now=1) == A


def test_report_lists_executing_history_and_quarantine() -> None:
    lb = Balancer(window=900)
    lb.started("videos", "j1", A, now=1000)
    lb.started("images", "j2", B, now=1000)
    lb.finished("images", "j2", ok=False, now=1004, status=500)
    lb.quarantine(B, THROTTLED, "m", until=2000, now=1000)
    executing = lb.report("executing", [A, B], now=1083)
    assert executing["videos"]["executing"] == {
        "j1": {"email": A, "timestamp": 1_000_000, "elapsed": "01:23"}
    }
    assert "history" not in executing["videos"]
    history = lb.report("history", [A, B], now=1083)
    assert history["images"]["history"]["j2"]["httpStatus"] == 500
    assert history["combined"]["summary"][B]["failed"] == 1
    assert history["quarantine"][0]["reason"] == THROTTLED
    summary = lb.report("summary", [A, B], now=1083)
    assert set(summary) == {"emails", "videos", "images", "combined", "quarantine"}
    assert set(summary["videos"]) == {"summary"}
