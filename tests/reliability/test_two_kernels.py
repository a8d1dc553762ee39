"""Two notebooks on one machine, one ledger: each purchase is made once and ends once.

Two real Python processes run sessions against one simulator and one data folder. The first is
buying; the second opens its session (which resumes the ledger) and re-runs the same cells while
the first one's POSTs are still on the wire. Before ledger rows had owners, the second kernel
adopted the first one's rows, reconciled them against a listing that could not show them yet,
marked them ``lost`` -- and its re-run bought every clip again.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flow_widgets.runtime.ledger import Ledger
from tests.reliability.harness import VIDEO_ROUTE, SimControl
from tests.reliability.kernels import Kernel

pytestmark = pytest.mark.skipif(os.name != "posix", reason="needs separate processes")

CLIPS = 6


@pytest.fixture
def kernels(tmp_path: Path) -> Iterator[list[Kernel]]:
    started: list[Kernel] = []
    yield started
    for kernel in started:
        kernel.close()


def test_a_second_kernel_neither_reconciles_nor_rebuys_what_the_first_is_buying(
    make_sim: Any, cheap_media: Any, kernels: list[Kernel], figures: Any, tmp_path: Path
) -> None:
    sim = make_sim(max_concurrent_videos=50, free_captcha_credits=100_000)
    control = SimControl(sim)
    home, media = tmp_path / "home", tmp_path / "media"
    first = Kernel(sim, home, media, resume=False)
    second = Kernel(sim, home, media, resume=False)
    kernels.extend([first, second])
    first.ready()
    second.ready()
    # Every POST waits 1.5 s before the server handles it: the rows stay "submitting" while
    # the second kernel looks at the ledger.
    control.arm({"route": VIDEO_ROUTE, "action": "delay", "seconds": 1.5})
    prompts = [f"two kernels clip {n}" for n in range(CLIPS)]
    assert first.order(do="video", prompts=prompts) == {"sent": CLIPS}
    resumed = second.order(do="resume")["resumed"]
    assert second.order(do="video", prompts=prompts) == {"sent": CLIPS}
    done_first = first.order(do="wait", timeout=60)
    done_second = second.order(do="wait", timeout=60)

    after = control.ledger()
    control.close()
    with Ledger(home / "ledger.sqlite3") as ledger:
        rows = ledger.list(limit=None)
        histories = {
            row.submission_id: [s for s, _ in ledger.history(row.submission_id)] for row in rows
        }
    bought = after.jobs_by_key()
    listings = len(after.on("GET /jobs"))
    figures.record(
        "two kernels, one ledger",
        f"kernel 2 resumes and re-runs {CLIPS} cells while kernel 1's POSTs are on the wire",
        posts=len(after.posts(VIDEO_ROUTE)),
        accepted=len(after.jobs),
        duplicates=sum(n - 1 for n in bought.values()) + len(after.posts(VIDEO_ROUTE)) - CLIPS,
        lost=sum(1 for row in rows if row.state != "completed"),
        stuck=sum(1 for s in done_first["statuses"] + done_second["statuses"] if s != "completed"),
        status_requests=listings + sum(len(v) for v in after.job_gets().values()),
        adopted_by_kernel_2=resumed,
    )
    assert len(after.posts(VIDEO_ROUTE)) == CLIPS, "each clip must be bought exactly once"
    assert all(n == 1 for n in bought.values())
    assert len(rows) == CLIPS
    assert [row.state for row in rows] == ["completed"] * CLIPS
    assert all("lost" not in states for states in histories.values()), histories
    assert done_first["statuses"] == ["completed"] * CLIPS, done_first
    assert done_second["statuses"] == ["completed"] * CLIPS, done_second
    assert sorted(done_first["sids"]) == sorted(done_second["sids"])
    assert resumed == 0, "rows another live kernel is sending are not adopted"
    assert listings == 0, "nothing was lost, so nobody searched GET /jobs"


def test_two_kernels_running_the_same_cell_at_once_buy_it_once(
    make_sim: Any, cheap_media: Any, kernels: list[Kernel], figures: Any, tmp_path: Path
) -> None:
    sim = make_sim(max_concurrent_videos=50, free_captcha_credits=100_000)
    control = SimControl(sim)
    home, media = tmp_path / "home", tmp_path / "media"
    pair = [Kernel(sim, home, media, resume=True) for _ in range(2)]
    kernels.extend(pair)
    for kernel in pair:
        kernel.ready()
    prompts = [f"same cell at once {n}" for n in range(CLIPS)]
    at = time.time() + 0.5
    for kernel in pair:  # both kernels start sending at the same wall-clock moment
        kernel.send(do="video", prompts=prompts, at=at)
    for kernel in pair:
        assert kernel.answer() == {"sent": CLIPS}
    done = [kernel.order(do="wait", timeout=60) for kernel in pair]
    after = control.ledger()
    control.close()
    figures.record(
        "two kernels, same cell at once",
        f"{CLIPS} identical requests sent by two kernels at the same moment",
        posts=len(after.posts(VIDEO_ROUTE)),
        accepted=len(after.jobs),
        duplicates=len(after.posts(VIDEO_ROUTE)) - CLIPS,
        stuck=sum(1 for d in done for s in d["statuses"] if s != "completed"),
    )
    assert len(after.posts(VIDEO_ROUTE)) == CLIPS
    assert all(d["statuses"] == ["completed"] * CLIPS for d in done), done


def _soak(
    make_sim: Any,
    tmp_path: Path,
    figures: Any,
    *,
    kernels: int,
    prompts: int,
    seed: int,
    scenario: str,
) -> None:
    """``kernels`` processes buy overlapping prompts through a proxy that sometimes answers
    statuses the client does not know; random ones are SIGKILLed; a last kernel resumes and
    re-runs everything. Every prompt is bought at most once and ends completed."""
    import random
    import re

    import httpx

    from tests.reliability.proxy import Answer, RewritingProxy

    rng = random.Random(seed)
    sim = make_sim(max_concurrent_videos=50, free_captcha_credits=100_000, seed=seed)
    control = SimControl(sim)
    job_path = re.compile(r"/jobs/[^/?]+$")
    odd = random.Random(seed + 1)

    def rewrite(answer: Answer) -> None:
        is_job = answer.method == "GET" and job_path.search(answer.path.split("?")[0])
        if is_job and odd.random() < 0.2:
            body = answer.json()
            body["status"] = odd.choice(["processing", "QUEUED", "cancelled"])
            body.pop("response", None)
            body.pop("media", None)
            answer.set_json(body)

    origin = str(httpx.URL(sim.base_url).copy_with(raw_path=b"/"))
    proxy = RewritingProxy(origin, rewrite)
    home, media = tmp_path / "home", tmp_path / "media"
    wanted = [f"soak prompt {n}" for n in range(prompts)]
    started: list[Kernel] = []
    try:
        for _ in range(kernels):
            kernel = Kernel(sim, home, media, resume=True, base_url=proxy.url_for(sim.base_url))
            started.append(kernel)
            kernel.ready()
            kernel.send(do="video", prompts=rng.sample(wanted, k=max(1, prompts // 2)))
        killed = rng.sample(started, k=kernels // 2)
        time.sleep(rng.uniform(0.05, 0.5))
        for kernel in killed:
            kernel.kill()
            time.sleep(rng.uniform(0.0, 0.2))
        for kernel in started:
            if kernel not in killed:
                kernel.answer()
                kernel.order(do="wait", timeout=60)
        last = Kernel(sim, home, media, resume=False, base_url=proxy.url_for(sim.base_url))
        started.append(last)
        last.ready()
        last.order(do="resume")
        last.order(do="video", prompts=wanted)
        done = last.order(do="wait", timeout=120)
    finally:
        for kernel in started:
            kernel.close()
        proxy.close()
    after = control.ledger()
    per_prompt: dict[str, int] = {}
    for job in after.jobs:
        prompt = str(control.job(job["jobid"]).get("request", {}).get("prompt"))
        per_prompt[prompt] = per_prompt.get(prompt, 0) + 1
    control.close()
    statuses = done["statuses"][-prompts:]
    figures.record(
        scenario,
        f"{kernels} kernels, {len(killed)} SIGKILLed, 20 % odd statuses, then one re-runs all",
        posts=len(after.posts(VIDEO_ROUTE)),
        accepted=len(after.jobs),
        duplicates=sum(n - 1 for n in per_prompt.values()),
        lost=sum(1 for s in statuses if s not in ("completed", "timed_out")),
        stuck=sum(1 for s in statuses if s == "timed_out"),
        status_requests=len(after.on("GET /jobs/{jobid}")) + len(after.on("GET /jobs")),
    )
    assert all(n == 1 for n in per_prompt.values()), per_prompt
    assert statuses == ["completed"] * prompts, done


def test_kernels_killed_at_random_on_one_ledger_buy_each_prompt_once(
    make_sim: Any, cheap_media: Any, figures: Any, tmp_path: Path
) -> None:
    _soak(make_sim, tmp_path, figures, kernels=3, prompts=6, seed=3, scenario="kernels soak")


@pytest.mark.slow
def test_soak_many_kernels_random_kills_and_odd_answers(
    make_sim: Any, cheap_media: Any, figures: Any, tmp_path: Path
) -> None:
    _soak(
        make_sim, tmp_path, figures, kernels=8, prompts=20, seed=8, scenario="kernels soak (slow)"
    )


def test_vary_pressed_in_two_kernels_at_once_buys_once(
    make_sim: Any, cheap_media: Any, kernels: list[Kernel], tmp_path: Path
) -> None:
    """*vary #N* pressed in two notebooks on one ledger at the same moment buys one take: the
    seed is derived from the request and N (never drawn at random), so both kernels ask for the
    very same request, and the ledger's ownership lets only one of them buy it."""
    sim = make_sim(max_concurrent_videos=50, free_captcha_credits=100_000)
    control = SimControl(sim)
    home, media = tmp_path / "home", tmp_path / "media"
    pair = [Kernel(sim, home, media, resume=True) for _ in range(2)]
    kernels.extend(pair)
    for kernel in pair:
        kernel.ready()
    at = time.time() + 0.5
    for kernel in pair:  # both press "vary #2" of the same cell at the same wall-clock moment
        kernel.send(do="vary", prompt="a red fox in snow", take=2, at=at)
    answers = [kernel.answer() for kernel in pair]
    assert answers[0] == answers[1] and answers[0]["sent"] == 1  # the same seed in both
    done = [kernel.order(do="wait", timeout=60) for kernel in pair]
    after = control.ledger()
    control.close()
    assert len(after.posts(VIDEO_ROUTE)) == 1
    assert all(d["statuses"] == ["completed"] for d in done), done
    assert done[0]["sids"] == done[1]["sids"]  # one submission, followed by both
