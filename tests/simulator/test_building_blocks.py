"""The simulator's pure parts: clock, URL signing, settings, faults, ledger, cookies, ranges."""

from __future__ import annotations

import math
import random

import pytest

from flow_widgets.simulator.accounts import CookieError, account_from_cookies, model_list
from flow_widgets.simulator.clock import ManualClock, SystemClock, iso_time, next_utc_midnight
from flow_widgets.simulator.config import AccountSpec, SimulatorConfig, parse_account_spec
from flow_widgets.simulator.faults import Fault, FaultBook, fault_from_dict
from flow_widgets.simulator.ledger import IdempotencyBook, Ledger
from flow_widgets.simulator.media_origin import _byte_range
from flow_widgets.simulator.signing import UrlSigner


def test_manual_clock_moves_only_when_advanced_and_never_backwards() -> None:
    clock = ManualClock(1000.0)
    assert clock.now() == 1000.0
    clock.advance(2.5)
    assert clock.now() == 1002.5
    with pytest.raises(ValueError, match="advance"):
        clock.advance(-1)
    with pytest.raises(ValueError):
        clock.advance(math.nan)


def test_system_clock_adds_the_offset_to_real_time() -> None:
    clock = SystemClock()
    before = clock.now()
    clock.advance(86400)
    assert clock.now() - before >= 86400


def test_iso_time_and_utc_midnight() -> None:
    assert iso_time(0) == "1970-01-01T00:00:00.000Z"
    noon = 1_767_268_800.25  # 2026-01-01T12:00:00.250Z
    assert iso_time(noon) == "2026-01-01T12:00:00.250Z"
    assert iso_time(next_utc_midnight(noon)) == "2026-01-02T00:00:00.000Z"
    assert next_utc_midnight(1_767_225_600.0) == 1_767_225_600.0 + 86400  # exactly midnight


def test_signed_url_works_until_it_expires_and_rejects_tampering() -> None:
    signer = UrlSigner(secret=b"s", origin="http://127.0.0.1:1/", ttl=100.0)
    url = signer.sign("video", "abc", now=1000.0)
    assert url.startswith("http://127.0.0.1:1/video/abc?Expires=1100&KeyName=")
    query = UrlSigner.query_of(url)
    assert signer.check("video", "abc", query, now=1099.0) == "ok"
    assert signer.check("video", "abc", query, now=1100.0) == "expired"
    assert signer.check("video", "abd", query, now=1000.0) == "invalid"
    assert signer.check("image", "abc", query, now=1000.0) == "invalid"
    forged = {**query, "Expires": "9999999999"}
    assert signer.check("video", "abc", forged, now=1000.0) == "invalid"
    assert signer.check("video", "abc", {}, now=1000.0) == "invalid"


def test_key_rotation_expires_old_urls_and_new_ones_work() -> None:
    signer = UrlSigner(secret=b"s", origin="http://x", ttl=100.0)
    old = UrlSigner.query_of(signer.sign("image", "n", now=0.0))
    signer.rotate()
    fresh = UrlSigner.query_of(signer.sign("image", "n", now=0.0))
    assert signer.check("image", "n", old, now=1.0) == "expired"
    assert signer.check("image", "n", fresh, now=1.0) == "ok"


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"time_scale": 0}, "time_scale"),
        ({"captcha_reject_rate": 1.5}, "captcha_reject_rate"),
        ({"token": "  "}, "token"),
        ({"max_concurrent_videos": 0}, "max_concurrent"),
        ({"accounts": (AccountSpec("a@b.co"), AccountSpec("a@b.co"))}, "same email"),
    ],
)
def test_config_refuses_bad_settings_in_one_sentence(kwargs: dict[str, object], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        SimulatorConfig(**kwargs)  # type: ignore[arg-type]


def test_config_hides_the_token_from_repr() -> None:
    config = SimulatorConfig(token="user:1-SECRETVALUE")
    assert "SECRETVALUE" not in repr(config)
    assert config.scaled(100) == pytest.approx(3.0)


def test_account_spec_parsing() -> None:
    spec = parse_account_spec("teacher@school.org:ultra_100")
    assert (spec.email, spec.tier, spec.starting_credits) == (
        "teacher@school.org",
        "ultra_100",
        10000,
    )
    with pytest.raises(ValueError, match="tier"):
        parse_account_spec("a@b.co:gold")
    with pytest.raises(ValueError, match="credits"):
        parse_account_spec("a@b.co:pro:lots")
    with pytest.raises(ValueError, match="email"):
        AccountSpec("not-an-email")


def test_fault_from_dict_reads_every_field_and_refuses_nonsense() -> None:
    fault = fault_from_dict(
        {
            "route": "POST /videos",
            "action": "status",
            "status": 429,
            "on": [2, 3],
            "times": 1,
            "retryAfter": "garbage",
            "forSeconds": 30,
        },
        now=100.0,
    )
    assert fault.on == frozenset({2, 3}) and fault.times == 1 and fault.until == 130.0
    assert fault.retry_after == "garbage"
    for bad, words in [
        ({"action": "status"}, "route"),
        ({"route": "*", "action": "explode"}, "action"),
        ({"route": "*", "action": "delay", "seconds": -1}, "seconds"),
        ({"route": "*", "action": "status", "on": [0]}, "on"),
        ({"route": "*", "action": "truncate", "fraction": 1.0}, "fraction"),
        ({"route": "*", "action": "status", "probability": 2}, "probability"),
    ]:
        with pytest.raises(ValueError, match=words):
            fault_from_dict(bad, now=0.0)


def test_fault_book_matches_by_route_number_times_and_window() -> None:
    book = FaultBook(random.Random(0))
    book.add(Fault(route="POST /videos", action="status", on=frozenset({2}), times=1))
    book.add(Fault(route="*", action="delay", until=50.0))
    first = book.count("POST /videos")
    assert book.match("POST /videos", first, now=0.0) is not None  # the wildcard delay
    second = book.count("POST /videos")
    assert book.match("POST /videos", second, now=60.0).action == "status"  # type: ignore[union-attr]
    third = book.count("POST /videos")
    assert book.match("POST /videos", third, now=60.0) is None  # times used up, window over
    assert book.match("GET /video/{name}", 1, now=0.0, media=True) is None  # "*" is API only
    assert [f["fired"] for f in book.listing()] == [1, 1]


def test_probability_faults_are_reproducible_for_a_seed() -> None:
    def fired(seed: int) -> list[bool]:
        book = FaultBook(random.Random(seed))
        book.add(Fault(route="*", action="status", probability=0.5))
        return [book.match("GET /jobs", n, now=0.0) is not None for n in range(1, 41)]

    assert fired(1) == fired(1)
    assert 5 < sum(fired(1)) < 35


def test_ledger_snapshot_since_and_bounded_size() -> None:
    ledger = Ledger(limit=3)
    for n in range(5):
        ledger.record_charge(
            time=float(n), email="a@b.co", jobid=f"j{n}", amount=10, balance=100 - n
        )
    snap = ledger.snapshot()
    assert [row["jobid"] for row in snap["charges"]] == ["j2", "j3", "j4"]
    assert [row["jobid"] for row in ledger.snapshot(since=4)["charges"]] == ["j4"]
    assert snap["seq"] == 5


def test_idempotency_book_replays_same_body_and_refuses_another() -> None:
    book = IdempotencyBook()
    assert book.lookup("k", "POST /videos", "sha1") is None
    book.remember("k", "POST /videos", "sha1", "j1")
    assert book.lookup("k", "POST /videos", "sha1") == "j1"
    with pytest.raises(ValueError, match="different request"):
        book.lookup("k", "POST /videos", "sha2")


def test_cookie_table_gives_email_plan_and_credits() -> None:
    table = "Name\tValue\tDomain\nSID\tabc\t.google.com\nemail\tkid@school.org\t.google.com\n"
    account = account_from_cookies(
        table + "SIM_TIER\tultra_200\t\nSIM_CREDITS\t42\t\n", now=0, project_id="p"
    )
    assert (account.email, account.tier, account.credits) == ("kid@school.org", "ultra_200", 42)
    fallback = account_from_cookies("X\tsomeone@else.com\t.google.com\n", now=0, project_id="p")
    assert fallback.email == "someone@else.com" and fallback.credits == 1000
    with pytest.raises(CookieError, match="email"):
        account_from_cookies("SID\tabc\t.google.com\n", now=0, project_id="p")
    with pytest.raises(CookieError, match="SIM_TIER"):
        account_from_cookies("email\ta@b.co\t\nSIM_TIER\tgold\t\n", now=0, project_id="p")


def test_model_list_round_trips_through_the_client_catalog() -> None:
    from flow_widgets.api.catalog import DEFAULT_CATALOG

    for tier in ("pro", "ultra_200"):
        entries = model_list(tier, DEFAULT_CATALOG)  # type: ignore[arg-type]
        account = {"credits": {"userPaygateTier": "x"}, "models": {"videoModels": entries}}
        learned = DEFAULT_CATALOG.updated_from_account(account, tier=tier)  # type: ignore[arg-type]
        for model in ("veo-3.1-fast", "veo-3.1-lite", "veo-3.1-quality"):
            assert learned.video_credits(model, 8, "720p", tier) == DEFAULT_CATALOG.video_credits(  # type: ignore[arg-type]
                model,
                8,
                "720p",
                tier,  # type: ignore[arg-type]
            )
    assert model_list("free", DEFAULT_CATALOG) == []
    keys = {entry["key"] for entry in model_list("pro", DEFAULT_CATALOG)}
    assert "veo_3_1_t2v_lite_low_priority" not in keys and "abra_t2v_10s" in keys


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-9", (0, 9)),
        ("bytes=10-", (10, 99)),
        ("bytes=-5", (95, 99)),
        ("bytes=90-500", (90, 99)),
        ("bytes=100-", "unsatisfiable"),
        ("bytes=5-2", "unsatisfiable"),
        ("bytes=-0", "unsatisfiable"),
        ("bytes=0-1,5-6", None),
        ("items=0-1", None),
    ],
)
def test_byte_ranges(header: str, expected: object) -> None:
    assert _byte_range(header, 100) == expected
