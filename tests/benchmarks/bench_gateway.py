"""The classroom gateway: how close a class gets to the accounts' capacity, and its overhead.

Why these numbers: a class's wait is the makespan of everyone's videos; with 3 accounts of 4
slots, 10 students x 5 videos is ceil(50 / 12) = 5 rounds of one video's duration at best
(target: within 10 % of that). Each student's poll goes through the gateway, which reads
PostgreSQL (the dispatcher keeps the upstream record there): it must stay quick (targets: p50
10 ms, p95 25 ms on loopback). Taking a request in (charge, queue, answer) must keep up with a
class clicking at once (target 100 per second).

Real PostgreSQL (a throwaway Debian server, as in the tests), the simulator on loopback with a
scaled clock (its own process), the gateway as its own process (``flow-widgets gateway serve``),
students as asyncio tasks polling every half second. A poll is timed twice: as the student
sees it (network, the gateway's event loop, and this process's own 50 pollers) and as the
gateway spent it (its ``Server-Timing`` header), which is the
gateway's overhead proper.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from types import SimpleNamespace

import httpx

from tests.benchmarks import Result

STUDENTS = 10
VIDEOS = 5
CAP = 4
TIME_SCALE = 0.05
POLL_EVERY = 0.5


async def _one_video_alone(sim_base: str, headers: dict[str, str], email: str) -> float:
    async with httpx.AsyncClient(base_url=sim_base, headers=headers, timeout=60) as c:
        start = time.perf_counter()
        body = {"prompt": "alone", "email": email, "async": True}
        jobid = (await c.post("/videos", json=body)).json()["jobid"]
        while (await c.get(f"/jobs/{jobid}")).json()["status"] not in ("completed", "failed"):
            await asyncio.sleep(0.02)
        return time.perf_counter() - start


def _server_ms(answer: httpx.Response) -> float | None:
    """The gateway's own time for a poll, from its ``Server-Timing: gw;dur=…`` header."""
    timing = answer.headers.get("server-timing", "")
    _, _, value = timing.partition("dur=")
    try:
        return float(value)
    except ValueError:
        return None


async def _class(base: str, tokens: list[str]) -> tuple[float, float, list[float], list[float]]:
    limits = httpx.Limits(max_connections=100)
    async with httpx.AsyncClient(timeout=60, limits=limits) as c:
        start = time.perf_counter()
        posts = [
            c.post(
                f"{base}/videos", json={"prompt": f"{i}"}, headers={"Authorization": f"Bearer {t}"}
            )
            for _ in range(VIDEOS)
            for i, t in enumerate(tokens)
        ]
        answers = await asyncio.gather(*posts)
        intake = time.perf_counter() - start
        assert all(a.status_code == 201 for a in answers)
        polls: list[float] = []
        inside: list[float] = []

        async def follow(answer: httpx.Response) -> None:
            jobid = answer.json()["jobid"]
            headers = {"Authorization": answer.request.headers["authorization"]}
            while True:
                t0 = time.perf_counter()
                answer = await c.get(f"{base}/jobs/{jobid}", headers=headers)
                polls.append(time.perf_counter() - t0)
                record = answer.json()
                if (spent := _server_ms(answer)) is not None:
                    inside.append(spent)
                if record["status"] in ("completed", "failed"):
                    return
                await asyncio.sleep(POLL_EVERY)

        await asyncio.gather(*(follow(a) for a in answers))
        return time.perf_counter() - start, intake, polls, inside


@contextlib.contextmanager
def _simulator_process() -> Iterator[SimpleNamespace]:
    """The simulator in its own process: in this one it would share the interpreter with the
    50 pollers and its media work would show up as the gateway's latency."""
    from tests.gateway.harness import ACCOUNTS, TEACHER_TOKEN, _free_port

    port = _free_port()
    argv = [sys.executable, "-m", "flow_widgets.simulator", "--port", str(port)]
    argv += ["--time-scale", str(TIME_SCALE), "--max-concurrent-videos", str(CAP), "--seed", "3"]
    for account in ACCOUNTS:
        argv += ["--account", f"{account}:ultra_200"]
    env = {**os.environ, "FLOW_SIMULATOR_TOKEN": TEACHER_TOKEN}
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sim = SimpleNamespace(
        base_url=f"http://127.0.0.1:{port}/v1/google-flow",
        headers={"Authorization": f"Bearer {TEACHER_TOKEN}"},
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{sim.base_url}/jobs", headers=sim.headers, timeout=2).is_success:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the simulator process did not start")
            time.sleep(0.1)
        yield sim
    finally:
        proc.terminate()
        proc.wait(15)


def run() -> list[Result]:
    import psycopg

    from tests.gateway.harness import ACCOUNTS, gateway_process, setup_class
    from tests.gateway.pg_server import start_pg

    server = start_pg()
    try:
        with psycopg.connect(server.url, autocommit=True) as conn:
            conn.execute("CREATE DATABASE bench_gateway")
        url = server.url.rsplit("/", 1)[0] + "/bench_gateway"
        tokens = setup_class(url, STUDENTS, allowance=10**6, budget=10**7)
        with _simulator_process() as sim:
            alone = asyncio.run(_one_video_alone(sim.base_url, sim.headers, ACCOUNTS[0]))
            with gateway_process(url, sim, caps=CAP) as base:  # type: ignore[arg-type]
                makespan, intake, polls, inside = asyncio.run(_class(base, tokens))
    finally:
        server.stop()
    rounds = math.ceil(STUDENTS * VIDEOS / (len(ACCOUNTS) * CAP))
    p95 = statistics.quantiles(polls, n=20)[-1]
    return [
        Result("gateway: class makespan / ideal", makespan / (rounds * alone), "x", 1.10),
        Result(
            "gateway: job poll p50 via the gateway", statistics.median(polls) * 1000, "ms", 10.0
        ),
        Result("gateway: job poll p95 via the gateway", p95 * 1000, "ms", 25.0),
        Result(
            "gateway: job poll p95, the gateway's own time",
            statistics.quantiles(inside, n=20)[-1],
            "ms",
            25.0,
        ),
        Result(
            "gateway: requests taken in per second",
            STUDENTS * VIDEOS / intake,
            "req/s",
            100.0,
            higher_is_better=True,
        ),
    ]
