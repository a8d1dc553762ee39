"""How fast the simulator answers job-status polls over real loopback HTTP.

Why these numbers: every open notebook polls ``GET /jobs/{jobid}`` for each running job and a
classroom shares one simulator, so a status poll must be cheap (target: 500 requests per second
served) and quick on its own (target: a median of 5 ms for one poll at a time; a slow single
poll with a fast total rate points at the network layer, such as Nagle's algorithm meeting
delayed ACKs, rather than at the handlers).

The simulator runs in this process with ``start_background``, exactly as a notebook embeds it.
The load comes from ``httpx.AsyncClient`` in a child process (so the client's own parsing does
not compete with the server for this interpreter), at bounded concurrency, for a bounded number
of requests and seconds, on loopback only. The child is always waited for.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.benchmarks import Result

CONCURRENCY = 8
REQUESTS = 3000
TIME_LIMIT = 10.0
SEQUENTIAL = 200
WARMUP = 100
EMAIL = "pro.demo@gmail.com"
_ROOT = Path(__file__).resolve().parents[2]


async def _load(base_url: str, headers: dict[str, str], path: str) -> dict[str, float]:
    """Warm up, time SEQUENTIAL single polls, then REQUESTS polls from CONCURRENCY workers."""
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(
        base_url=base_url, headers=headers, limits=limits, timeout=10.0
    ) as client:
        for _ in range(WARMUP):
            (await client.get(path)).raise_for_status()
        latencies = []
        for _ in range(SEQUENTIAL):
            start = time.perf_counter()
            (await client.get(path)).raise_for_status()
            latencies.append(time.perf_counter() - start)
        answered = issued = 0
        start = time.perf_counter()
        deadline = start + TIME_LIMIT

        async def worker() -> None:
            nonlocal answered, issued
            while issued < REQUESTS and time.perf_counter() < deadline:
                issued += 1
                (await client.get(path)).raise_for_status()
                answered += 1

        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        return {
            "rate": answered / (time.perf_counter() - start),
            "median_ms": statistics.median(latencies) * 1000.0,
        }


def _child() -> None:
    """Entry point of the load process: read the target from stdin, print the figures as JSON."""
    target = json.loads(sys.stdin.read())
    figures = asyncio.run(_load(target["base_url"], target["headers"], target["path"]))
    sys.stdout.write(json.dumps(figures))


def run() -> list[Result]:
    from flow_widgets.simulator.server import start_background

    # time_scale=1: the job keeps running (nothing is rendered) for the whole measurement.
    with start_background(seed=1, time_scale=1.0) as sim:
        created = httpx.post(
            f"{sim.base_url}/videos",
            json={"prompt": "status bench", "async": True, "email": EMAIL},
            headers=sim.headers,
            timeout=10.0,
        )
        created.raise_for_status()
        target = {
            "base_url": sim.base_url,
            "headers": sim.headers,
            "path": f"/jobs/{created.json()['jobid']}",
        }
        finished = subprocess.run(
            [sys.executable, "-c", "from tests.benchmarks.bench_simulator import _child; _child()"],
            input=json.dumps(target),
            capture_output=True,
            text=True,
            cwd=_ROOT,
            timeout=TIME_LIMIT + 60.0,
            check=False,
        )
    if finished.returncode != 0:
        raise RuntimeError(f"the load process failed: {finished.stderr.strip()[-500:]}")
    figures = json.loads(finished.stdout)
    return [
        Result(
            f"simulator: GET /jobs/{{id}} served, {CONCURRENCY} in flight",
            figures["rate"],
            "req/s",
            500.0,
            higher_is_better=True,
        ),
        Result(
            "simulator: GET /jobs/{id}, one at a time (median)", figures["median_ms"], "ms", 5.0
        ),
    ]
