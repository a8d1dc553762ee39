"""The runtime's numbers: makespan, completion lateness, kernel responsiveness, memory, start-up.

Why these: a batch is only as fast as its slots are refilled (makespan over the ideal, where a
freed slot is refilled the instant it frees), a job is only as "live" as its completion is
noticed (lateness as a share of the job's duration, and how many status requests that took),
the notebook must stay usable while a hundred jobs run (p95 round trip of a trivial cell in a
real kernel), a long session must not bloat (resident growth per 1,000 finished jobs), and the
extension must be cheap to load.

Every run is bounded (each part well under two minutes on a 2-core machine), talks only to a
loopback simulator, and stops every process and thread it started. For makespan, lateness and
memory the media downloads are replaced by a stand-in: they measure scheduling and tracking, and
rendering a hundred synthetic videos would only measure the simulator's encoder.

For comparison the makespan part also drives the same workload the way useapi's example script
does (submit one by one, sleep 30 s on a 429, poll every job every 15 s), on a fresh simulator.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from tests.benchmarks import Result

JOBS = 100
MODEL = "veo-3.1-lite"  # 90 API seconds
SCALE = 0.02  # wall seconds per API second: a job takes 1.8 s ± 20 %
SLOTS = 8  # the simulator's caps: 4 executing videos on each of its 2 accounts
EXAMPLE_LIMIT_S = 60.0
_ROOT = Path(__file__).resolve().parents[2]


def _epoch(iso: str | None) -> float:
    assert iso is not None
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def ideal_makespan(durations: list[float], slots: int) -> float:
    """Makespan when every freed slot is refilled at once, in submission order."""
    free = [0.0] * slots
    for duration in durations:
        i = free.index(min(free))
        free[i] += duration
    return max(free)


@contextmanager
def _session(token: str, base_url: str, home: Path, **options: Any) -> Iterator[Any]:
    """A session whose downloads are replaced by a stand-in (see the module docstring)."""
    from flow_widgets.runtime.jobs import MediaFile
    from flow_widgets.runtime.session import FlowSession
    from flow_widgets.runtime.settings import Settings

    settings = Settings(
        token=token, base_url=base_url, media_dir=home / "media", data_dir=home / "data"
    )
    flow = FlowSession(settings, **options)

    async def no_download(sid: str, *, media: Any, **_: Any) -> tuple[MediaFile, ...]:
        return tuple(
            MediaFile(i, m.kind, media_id=m.media_generation_id) for i, m in enumerate(media)
        )

    flow.runner.outputs.saver.save_job_media = no_download
    try:
        yield flow
    finally:
        flow.close()


@contextmanager
def simulator_process(*options: str) -> Iterator[tuple[str, str]]:
    """A simulator in its own process (so its work does not share this interpreter's GIL, as
    the real API would not); yields ``(base_url, token)`` and always stops it."""
    server = subprocess.Popen(
        [sys.executable, "-u", "-m", "flow_widgets.simulator", "--port", "0", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=_ROOT,
    )
    try:
        assert server.stdout is not None
        banner = [server.stdout.readline() for _ in range(3)]
        yield banner[0].split()[-1], banner[2].split()[2]
    finally:
        server.terminate()
        server.communicate(timeout=10)


# -- makespan and lateness ---------------------------------------------------------------------


def _batch_run(home: Path) -> dict[str, Any]:
    with (
        simulator_process("--seed", "3", "--time-scale", str(SCALE)) as (base_url, token),
        _session(token, base_url, home, time_scale=SCALE) as flow,
    ):
        flow.refresh_accounts()
        seen: dict[str, float] = {}
        lock = threading.Lock()
        start = time.time()
        batch = flow.batch([f"makespan shot {i}" for i in range(JOBS)], model=MODEL)

        def note(handle: Any) -> None:
            if handle.status not in ("queued", "submitting", "accepted", "running"):
                with lock:
                    seen.setdefault(handle.submission_id, time.time())

        for job in batch.jobs:
            job.on_change(note)
        batch.wait(110)
        records = [flow.engine.run(flow.runner.client.jobs.get(job.jobid)) for job in batch.jobs]
        poll_counts = list(flow.runner.poller.stats.requests_per_job)
    created = [_epoch(r.created) for r in records]
    finished = [_epoch(r.updated) for r in records]
    order = sorted(range(JOBS), key=lambda i: created[i])
    durations = [finished[i] - created[i] for i in order]
    lateness = [
        (seen[job.submission_id] - finished[i]) / durations[order.index(i)]
        for i, job in enumerate(batch.jobs)
        if job.submission_id in seen
    ]
    return {
        "makespan": max(finished) - start,
        "ideal": ideal_makespan(durations, SLOTS),
        "lateness": statistics.median(lateness),
        "polls": statistics.median(poll_counts),
        "completed": sum(job.status == "completed" for job in batch.jobs),
    }


async def _example_driver(base_url: str, token: str) -> dict[str, Any]:
    """useapi's example script: one submit at a time, 30 s on 429, every job polled every 15 s."""
    from flow_widgets.api.client import AsyncFlowClient, call_for
    from flow_widgets.api.requests import VideoRequest
    from flow_widgets.errors import RateLimitError, ServiceUnavailableError

    start = time.time()
    deadline = start + EXAMPLE_LIMIT_S
    pending: set[str] = set()
    finished: dict[str, float] = {}
    async with AsyncFlowClient(token=token, base_url=base_url, max_retries=0) as client:

        async def poll_every_15s() -> None:
            while True:
                await asyncio.sleep(15 * SCALE)
                for jobid in list(pending):
                    job = await client.jobs.get(jobid)
                    if job.is_terminal:
                        pending.discard(jobid)
                        finished[jobid] = _epoch(job.updated)

        poller = asyncio.create_task(poll_every_15s())
        submitted = 0
        while submitted < JOBS and time.time() < deadline:
            request = VideoRequest(f"example shot {submitted}", model=MODEL)
            try:
                job = await client.run(call_for(request))
            except (RateLimitError, ServiceUnavailableError):
                await asyncio.sleep(30 * SCALE)
                continue
            pending.add(job.jobid)
            submitted += 1
        while pending and time.time() < deadline:
            await asyncio.sleep(0.05)
        poller.cancel()
    done = len(finished) == JOBS
    return {
        "makespan": (max(finished.values()) - start) if done else EXAMPLE_LIMIT_S,
        "done": len(finished),
        "complete": done,
    }


def makespan_results() -> list[Result]:
    with tempfile.TemporaryDirectory() as home:
        ours = _batch_run(Path(home))
    with simulator_process("--seed", "3", "--time-scale", str(SCALE)) as (base_url, token):
        example = asyncio.run(_example_driver(base_url, token))
    ratio = ours["makespan"] / ours["ideal"]
    example_ratio = example["makespan"] / ours["ideal"]
    bound = "" if example["complete"] else f"≥, stopped at {EXAMPLE_LIMIT_S:.0f} s, "
    print(
        f"  batch: makespan {ours['makespan']:.1f} s, ideal {ours['ideal']:.1f} s, ratio "
        f"{ratio:.3f}, {ours['completed']}/{JOBS} completed\n"
        f"  useapi-example driver: makespan {bound}{example['makespan']:.1f} s, ratio "
        f"{example_ratio:.2f}, {example['done']}/{JOBS} done",
        flush=True,
    )
    return [
        Result(f"runtime: batch makespan / ideal ({JOBS} videos, 2 accounts)", ratio, "x", 1.05),
        Result(
            f"runtime: useapi-example makespan / ideal ({bound}{example['done']}/{JOBS} done)",
            example_ratio,
            "x",
            max(example_ratio, 1.05),  # printed for comparison; not a target of ours
        ),
        Result(
            "runtime: completion lateness (median share of duration)",
            ours["lateness"] * 100,
            "%",
            3.0,
        ),
        Result("runtime: status requests per job (median)", ours["polls"], "req", 8.0),
    ]


# -- kernel responsiveness ---------------------------------------------------------------------

KERNEL_SETUP = textwrap.dedent(
    """
    import time
    from pathlib import Path
    from flow_widgets.runtime.jobs import MediaFile
    from flow_widgets.simulator.server import start_background
    from flow_widgets.runtime.session import FlowSession
    from flow_widgets.runtime.settings import Settings
    _sim = start_background(seed=5, time_scale=0.3, max_concurrent_videos=100)
    _home = Path({home!r})
    flow = FlowSession(Settings(token=_sim.token, base_url=_sim.base_url,
                                media_dir=_home / "media", data_dir=_home / "data"), simulator=_sim,
                       slots_per_account={{"video": 50}})
    async def _no_download(sid, *, media, **_):  # the simulator's encoder is not under test
        return tuple(MediaFile(i, m.kind, media_id=m.media_generation_id)
                     for i, m in enumerate(media))
    flow.runner.outputs.saver.save_job_media = _no_download
    _submitted = time.time()
    jobs = [flow.video(f"live job {{i}}", model="veo-3.1-lite", email=["ultra.demo@gmail.com",
            "pro.demo@gmail.com"][i % 2]) for i in range(100)]
    """
)
#: Jobs take 27 s ± 20 %; round trips are timed from 14 s to ~30 s after submission, when the
#: shared poller moves from its sparse approach into the dense window and the jobs complete.
KERNEL_WINDOW_START_S = 14.0
KERNEL_SAMPLES = 80
KERNEL_PAUSE_S = 0.2


def _round_trips(client: Any, count: int, pause: float) -> list[float]:
    times = []
    for _ in range(count):
        start = time.perf_counter()
        reply = client.execute_interactive(
            "1+1", store_history=False, timeout=30, output_hook=lambda message: None
        )
        times.append(time.perf_counter() - start)
        assert reply["content"]["status"] == "ok"
        time.sleep(pause)
    return times


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def kernel_results() -> list[Result]:
    from jupyter_client.manager import start_new_kernel

    manager, client = start_new_kernel(kernel_name="python3")
    try:
        with tempfile.TemporaryDirectory() as home:
            idle = _round_trips(client, KERNEL_SAMPLES, KERNEL_PAUSE_S)
            reply = client.execute_interactive(KERNEL_SETUP.format(home=home), timeout=60)
            assert reply["content"]["status"] == "ok", reply["content"]
            check = "sum(j.status in ('accepted', 'running') for j in jobs)"
            deadline = time.monotonic() + 30
            live = 0
            while live < 100 and time.monotonic() < deadline:
                live = _printed(client, check)
                time.sleep(0.1)
            started = float(_printed_text(client, "_submitted"))
            time.sleep(max(0.0, started + KERNEL_WINDOW_START_S - time.time()))
            polls_before = int(_printed_text(client, "flow.runner.poller.stats.requests"))
            busy = _round_trips(client, KERNEL_SAMPLES, KERNEL_PAUSE_S)
            polls = int(_printed_text(client, "flow.runner.poller.stats.requests")) - polls_before
            client.execute_interactive("flow.close(); _sim.stop()", timeout=60)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    print(
        f"  kernel: {live} jobs live, {polls} status requests while timed; "
        f"p95 idle {_p95(idle) * 1000:.1f} ms, busy {_p95(busy) * 1000:.1f} ms",
        flush=True,
    )
    return [
        Result("runtime: kernel cell round trip p95, no jobs", _p95(idle) * 1000, "ms", 30.0),
        Result("runtime: kernel cell round trip p95, 100 jobs live", _p95(busy) * 1000, "ms", 30.0),
    ]


def _printed_text(client: Any, expression: str) -> str:
    """What ``print(expression)`` shows in the kernel."""
    captured: list[str] = []

    def hook(message: dict[str, Any]) -> None:
        if message["header"]["msg_type"] == "stream":
            captured.append(message["content"]["text"])

    client.execute_interactive(
        f"print({expression})", store_history=False, timeout=30, output_hook=hook
    )
    return "".join(captured).strip()


def _printed(client: Any, expression: str) -> int:
    return int(_printed_text(client, expression) or 0)


# -- memory and start-up -----------------------------------------------------------------------


def memory_results() -> list[Result]:
    import psutil

    # The simulator runs in its own process, so the growth measured here is the client's alone.
    options = ("--time-scale", "0.001", "--max-concurrent-images", "100000")
    with (
        simulator_process(*options) as (base_url, token),
        tempfile.TemporaryDirectory() as home,
        _session(token, base_url, Path(home), time_scale=0.001) as flow,
    ):
        # 1,200 generations need more than the 100 free captcha solves: configure a solver.
        flow.engine.run(flow.runner.client.captcha.set_providers(CapSolver="bench-key-0001"))

        def finish(count: int, tag: str) -> None:
            handles = [flow.image(f"{tag} {i}") for i in range(count)]
            for handle in handles:
                handle.wait(60)

        finish(200, "warm-up")
        gc.collect()
        before = psutil.Process().memory_info().rss
        finish(1000, "tracked")
        gc.collect()
        growth = (psutil.Process().memory_info().rss - before) / 1e6
        tracked = len(flow.jobs())
    print(f"  memory: {tracked} jobs tracked; growth {growth:.1f} MB per 1,000", flush=True)
    return [Result("runtime: resident growth per 1,000 finished jobs", growth, "MB", 20.0)]


STARTUP = textwrap.dedent(
    """
    import json, os, sys, time
    t0 = time.perf_counter(); import IPython; t1 = time.perf_counter()
    import flow_widgets; t2 = time.perf_counter()
    flow = flow_widgets.session(announce=lambda text: None); t3 = time.perf_counter()
    flow.close()
    print(json.dumps({"ipython": t1 - t0, "import": t2 - t1, "session": t3 - t2}))
    """
)


def startup_results() -> list[Result]:
    runs = []
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "FLOW_WIDGETS_HOME": home}
        env.pop("USEAPI_TOKEN", None)
        for _ in range(3):
            done = subprocess.run(
                [sys.executable, "-c", STARTUP],
                capture_output=True,
                text=True,
                cwd=home,
                env=env,
                timeout=60,
                check=True,
            )
            runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    median = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
    print(
        f"  start-up: import IPython {median['ipython'] * 1000:.0f} ms, import flow_widgets "
        f"{median['import'] * 1000:.1f} ms after it, "
        f"fw.session() {median['session'] * 1000:.0f} ms",
        flush=True,
    )
    return [
        Result("runtime: import flow_widgets after IPython", median["import"] * 1000, "ms", 200.0),
        Result("runtime: fw.session() with the embedded simulator", median["session"], "s", 2.0),
    ]


def run() -> list[Result]:
    results = makespan_results()
    results += kernel_results()
    results += memory_results()
    results += startup_results()
    return results
