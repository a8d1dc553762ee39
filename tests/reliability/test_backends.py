"""A result bought on one backend never stands in for a purchase on another.

Before the ledger recorded the backend, a cell run on the simulator and re-run with a real token
re-attached to the synthetic clip: zero real POSTs, shown as done. Two simulators on loopback
play the two backends (different base URLs), sharing one data folder as a notebook would.
"""

from __future__ import annotations

from typing import Any

from tests.reliability.harness import VIDEO_ROUTE, SimControl

MODEL = "veo-3.1-lite"


def test_a_cell_run_on_one_backend_buys_again_on_another_and_reattaches_on_the_same(
    make_sim: Any, cheap_media: Any, make_session: Any, figures: Any
) -> None:
    first_sim, second_sim = make_sim(), make_sim()
    first, second = SimControl(first_sim), SimControl(second_sim)
    prompt = "a fox bought on the simulator"

    flow = make_session(first_sim, auto_resume=False)
    flow.video(prompt, model=MODEL).wait(60)
    flow.close()

    elsewhere = make_session(second_sim, auto_resume=False)
    moved = elsewhere.video(prompt, model=MODEL)
    moved.wait(60)
    elsewhere.close()

    back = make_session(first_sim, auto_resume=False)
    again = back.video(prompt, model=MODEL)
    again.wait(60)
    posts_first = len(first.ledger().posts(VIDEO_ROUTE))
    posts_second = len(second.ledger().posts(VIDEO_ROUTE))
    first.close()
    second.close()
    figures.record(
        "another backend buys anew",
        "the same cell on backend A, then B, then A again (one data folder)",
        posts=posts_first + posts_second,
        posts_backend_a=posts_first,
        posts_backend_b=posts_second,
        duplicates=posts_first - 1,
    )
    assert posts_second == 1, "backend B must buy, not re-attach to A's clip"
    assert moved.status == "completed" and moved.jobid is not None
    assert posts_first == 1, "back on A the cell re-attaches to what A sold"
    assert again.status == "completed"
    rows = back.ledger.list(limit=None)
    assert len({row.backend for row in rows}) == 2
    assert all(first_sim.token not in (row.backend or "") for row in rows)
