"""The per-account circuit breaker: an account that keeps refusing is rested, not hammered.

Why: a 503 (Google or a captcha solver overloaded) bought nothing, so the dispatcher tries
again -- and with many clips queued, every free slot of the refusing account would get a POST
as soon as its short pause ends. After ``BREAKER_AFTER`` refusals in a row the account rests
``BREAKER_REST_S`` API seconds, twice as long each further time (up to ``BREAKER_MAX_REST_S``);
the other account takes the work meanwhile, and the rested one is tried again afterwards.

The simulator has no fault switch for one account only, so a rewriting proxy answers the POSTs
naming that account with a 503 itself (the simulator never sees them) and forwards the rest; it
stamps every POST per account, and the simulator's ledger counts what was bought.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from typing import Any

import httpx

from flow_widgets.api.catalog import DEFAULT_CATALOG
from flow_widgets.runtime import dispatcher
from tests.reliability.harness import VIDEO_ROUTE, SimControl, wait_all
from tests.reliability.proxy import Answer, RewritingProxy

REFUSING = "ultra.demo@gmail.com"
WORKING = "pro.demo@gmail.com"
TIME_SCALE = 0.05  # wall seconds per API second: the first rest is 0.5 s, the default pause 0.25 s
# veo-3.1-quality costs the same on both plans, so no clip is routed to one account (veo-3.1-lite
# costs half on Ultra: once both plans were read, routing named the refusing Ultra account on
# every clip, and those clips waited for its own slot while Pro stood idle). The simulator runs
# faster than the session so its 240 s clips take 4.8 s; the rests keep TIME_SCALE.
MODEL = "veo-3.1-quality"
SIM_TIME_SCALE = 0.02
CLIPS = 10
SLACK_S = 0.05  # a POST already on its way when the refusal was answered


def _rest(strikes: int) -> float:
    """Wall seconds the breaker rests the account after its ``strikes``-th refusal in a row."""
    api = min(
        dispatcher.BREAKER_MAX_REST_S,
        dispatcher.BREAKER_REST_S * 2.0 ** (strikes - dispatcher.BREAKER_AFTER),
    )
    return api * TIME_SCALE


def test_an_account_that_keeps_refusing_is_rested_while_the_other_takes_the_work(
    make_sim: Any, make_session: Any, cheap_media: Any, figures: Any
) -> None:
    sim = make_sim(time_scale=SIM_TIME_SCALE, free_captcha_credits=10_000)
    control = SimControl(sim)
    lock = threading.Lock()
    posts: dict[str, list[float]] = {REFUSING: [], WORKING: []}
    refused_at: list[float] = []  # when each refusal was answered

    def intercept(method: str, path: str, body: bytes) -> Answer | None:
        if method != "POST" or not path.split("?")[0].endswith("/videos"):
            return None
        email = json.loads(body or b"{}").get("email")
        with lock:
            posts.setdefault(email, []).append(time.monotonic())
        if email != REFUSING:
            return None
        answer = Answer(method, path, 503, {}, b"")
        answer.set_json({"error": "Service Unavailable", "code": 503})
        with lock:
            refused_at.append(time.monotonic())
        return answer

    origin = str(httpx.URL(sim.base_url).copy_with(raw_path=b"/"))
    proxy = RewritingProxy(origin, lambda _answer: None, intercept)
    try:
        flow = make_session(
            None,
            token=sim.token,
            base_url=proxy.url_for(sim.base_url),
            time_scale=TIME_SCALE,
            auto_resume=False,
        )
        started = time.monotonic()
        handles = [flow.video(f"a lighthouse keeper, take {n}", model=MODEL) for n in range(CLIPS)]
        wait_all(handles, 30)
        took = time.monotonic() - started
    finally:
        proxy.close()
    after = control.ledger()
    refused, working = sorted(posts[REFUSING]), sorted(posts[WORKING])

    # in each rest (from the refusal that opened it), no POST named the refusing account
    during_rest: list[float] = []
    taken_meanwhile: list[float] = []  # the other account's POSTs while this one rested
    for strikes, answered in enumerate(sorted(refused_at), start=1):
        if strikes < dispatcher.BREAKER_AFTER:
            continue
        window = (answered + SLACK_S, answered + 0.95 * _rest(strikes))
        during_rest += [t for t in refused if window[0] < t < window[1]]
        taken_meanwhile += [t for t in working if answered < t < window[1]]
    first_rest = sorted(refused_at)[dispatcher.BREAKER_AFTER - 1] if len(refused_at) >= 3 else 0.0
    tried_after = [t for t in refused if t >= first_rest + _rest(3)]
    by_account: dict[str, int] = {}
    for job in after.jobs:
        account = str(job.get("email") or job.get("account") or job.get("accountEmail"))
        by_account[account] = by_account.get(account, 0) + 1
    figures.record(
        "one account refusing (circuit breaker)",
        f"{CLIPS} clips, every POST naming one of two accounts answered 503 (proxy)",
        posts=len(refused) + len(working),
        accepted=len(after.jobs),
        duplicates=len(after.jobs) - CLIPS,
        lost=sum(h.status != "completed" for h in handles),
        status_requests=len(after.on("GET /jobs/{jobid}")),
    )
    print(
        f"refusing account: {len(refused)} POSTs, working account: {len(working)} POSTs, "
        f"{took:.1f} s; simulator jobs by account {by_account}"
    )
    # the premise: one price on both plans, else every clip is routed to the cheaper account
    tiers = {flow.tracker.tier_of(email) for email in (REFUSING, WORKING)}
    prices = {DEFAULT_CATALOG.video_credits(MODEL, 8, "720p", t) for t in tiers if t is not None}
    assert len(tiers) == 2 and len(prices) == 1, (tiers, prices)
    assert all(h.status == "completed" for h in handles), [(h.status, h.error) for h in handles]
    assert len(after.posts(VIDEO_ROUTE)) == CLIPS and len(after.jobs) == CLIPS
    assert len(working) == CLIPS  # the working account was sent each clip once
    assert len(refused) >= dispatcher.BREAKER_AFTER + 1, refused  # rested, then tried again
    assert not during_rest, (
        f"{len(during_rest)} POSTs reached the resting account: gaps "
        f"{[round(b - a, 3) for a, b in itertools.pairwise(refused)]}"
    )
    assert taken_meanwhile, "the other account took no work while the first one rested"
    assert tried_after, "the rested account was never tried again"
    # bounded: each refusal bought nothing, and the breaker keeps them few
    assert len(refused) <= CLIPS * dispatcher.MAX_POSTS_PER_INTENT


def test_the_lanes_are_built_from_every_account_even_while_the_first_read_is_half_done(
    make_sim: Any, make_session: Any, cheap_media: Any, figures: Any
) -> None:
    """The session reads its accounts one by one when it opens; a cell run while that read is
    half done once built the dispatcher's lanes from the one account already read, for good --
    every later job went to that account (and, if it refused, was rested on it). A proxy holds
    the second account's answer back for 1.5 s so the first cell always lands in that gap."""
    sim = make_sim(free_captcha_credits=10_000)
    control = SimControl(sim)
    lock = threading.Lock()
    account_reads: list[str] = []
    posts: dict[str | None, int] = {}

    def intercept(method: str, path: str, body: bytes) -> Answer | None:
        route = path.split("?")[0]
        if method == "GET" and "/accounts/" in route and ("@" in route or "%40" in route):
            with lock:
                account_reads.append(route)
                second = len(account_reads) == 2
            if second:
                time.sleep(1.5)
        if method == "POST" and route.endswith("/videos"):
            email = json.loads(body or b"{}").get("email")
            with lock:
                posts[email] = posts.get(email, 0) + 1
        return None

    origin = str(httpx.URL(sim.base_url).copy_with(raw_path=b"/"))
    proxy = RewritingProxy(origin, lambda _answer: None, intercept)
    try:
        flow = make_session(
            None,
            token=sim.token,
            base_url=proxy.url_for(sim.base_url),
            time_scale=sim.app_state.config.time_scale,
            auto_resume=False,
        )
        time.sleep(0.5)  # the first account is read, the second one is held back
        handles = [flow.video(f"a tern, take {n}", model="veo-3.1-lite") for n in range(8)]
        wait_all(handles, 30)
    finally:
        proxy.close()
    after = control.ledger()
    figures.record(
        "a cell run while the accounts are half read",
        "8 clips sent while the second GET /accounts/{email} is held back 1.5 s (proxy)",
        posts=sum(posts.values()),
        accepted=len(after.jobs),
        duplicates=len(after.jobs) - 8,
        lost=sum(h.status != "completed" for h in handles),
        status_requests=len(after.on("GET /jobs/{jobid}")),
    )
    assert len(account_reads) >= 2, account_reads
    assert all(h.status == "completed" for h in handles), [(h.status, h.error) for h in handles]
    assert sum(posts.values()) == 8 and len(after.jobs) == 8
    assert posts.get(REFUSING, 0) > 0 and posts.get(WORKING, 0) > 0, posts
