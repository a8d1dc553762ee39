"""The account, captcha-option and statistics-query refusals name their rule (spec §7.1).

Each is a vendor rule: it refuses before anything is sent, and ``ValidationError.rule`` names
it, so a user (and the docs) can see what the refusal rests on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from flow_widgets.api.requests import (
    AddAccount,
    Captcha,
    CaptchaStatsQuery,
    JobsQuery,
    SetCaptchaProviders,
)
from flow_widgets.api.requests._evidence import RULES, strict_rules
from flow_widgets.errors import ValidationError

CASES: list[tuple[str, Callable[[], Any]]] = [
    ("cookies-table", lambda: AddAccount("")),
    ("cookies-table", lambda: AddAccount("SID=abc; HSID=def")),
    ("providers-required", lambda: SetCaptchaProviders({})),
    ("captcha-one-option", lambda: Captcha(token="t" * 30, retry=3)),
    ("captcha-token-required", lambda: Captcha(token=" ")),
    ("captcha-retry-range", lambda: Captcha(retry=11)),
    ("captcha-order-length", lambda: Captcha(order=("CapSolver",) * 11)),
    ("stats-date-format", lambda: CaptchaStatsQuery(date="5 Dec 2026")),
    ("stats-limit-range", lambda: CaptchaStatsQuery(limit=50001)),
    ("jobs-options", lambda: JobsQuery(options="everything")),
]


@pytest.mark.parametrize(("rule", "build"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_the_refusal_names_its_vendor_rule(rule: str, build: Callable[[], Any]) -> None:
    with pytest.raises(ValidationError) as refusal:
        build()
    assert refusal.value.rule == rule
    assert RULES[rule].evidence == "vendor" and RULES[rule].source.startswith("[")


def test_a_strict_refusal_of_a_reported_captcha_rule_names_it() -> None:
    found = Captcha(order=("NewSolver",)).rule_warnings
    assert [w.rule.name for w in found] == ["known-captcha-provider"]
    from flow_widgets.api.requests._evidence import report

    with strict_rules(), pytest.raises(ValidationError) as refusal:
        report(found)
    assert refusal.value.rule == "known-captcha-provider"
