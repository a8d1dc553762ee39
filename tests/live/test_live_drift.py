"""Opt-in: the doctor's checks against the real API (``pytest -m live tests/live``).

Never run in CI (CI selects ``not live``). A maintainer with ``USEAPI_TOKEN`` set measures drift
in one command; only free calls are made. On failure the assertion message is the doctor's
paste-able report (no token; emails masked).
"""

from __future__ import annotations

import os

import pytest

from flow_widgets.doctor import check

#: Read at import, before the autouse fixture clears USEAPI_*/FLOW_* for every test.
LIVE_ENV = {k: v for k, v in os.environ.items() if k.startswith(("USEAPI_", "FLOW_"))}

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(not LIVE_ENV.get("USEAPI_TOKEN"), reason="needs USEAPI_TOKEN"),
]


def test_the_live_api_answers_as_this_version_expects() -> None:
    report = check(environ=LIVE_ENV)
    assert report.problems == [], report.render()
    assert report.drift == [], report.render()


def test_the_live_api_accepts_our_user_agent() -> None:
    report = check(environ=LIVE_ENV)
    agent = [f for f in report.findings if f.area == "user-agent"]
    assert agent and not agent[0].drift, report.render()
