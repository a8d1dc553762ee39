"""Cost-aware routing: with an Ultra and a Pro account and no email, a request goes where it
costs least, and the dry run, the estimate and the charge agree on that account's price."""

from __future__ import annotations

from tests.magics.conftest import Shell

ULTRA = "ultra.demo@gmail.com"
PRO = "pro.demo@gmail.com"


def test_a_request_with_no_email_is_charged_the_cheapest_plans_price(shell: Shell) -> None:
    from flow_widgets.runtime.session import current_session

    shell.cell("%flow credits")  # reads the accounts: both plans are known
    flow = current_session()
    assert {a.email: a.tier for a in flow.tracker.accounts()}[PRO] == "pro"
    shell.pub.outputs.clear()
    shell.cell("%%flow_video -m veo-3.1-fast --dry-run\na kite over the dunes")
    dry = shell.text()
    assert "10 credits" in dry and "20 credits" not in dry, dry
    posts = shell.count_requests("POST /videos")
    for n in range(3):  # not "Pro on one click and Ultra on the next"
        shell.cell(f"%%flow_video -m veo-3.1-fast --new --out take{n}\na kite over the dunes")
    takes = [shell.ip.user_ns[f"take{n}"].wait(60) for n in range(3)]
    assert [t.account for t in takes] == [ULTRA] * 3
    assert [t.credits for t in takes] == [10] * 3
    assert shell.fired(posts) == 3
    from flow_widgets.api.requests import VideoRequest

    quote = flow.quote([VideoRequest("x", model="veo-3.1-fast")], new=True)
    assert (quote.credits, quote.plan) == (10, "Ultra $200")
