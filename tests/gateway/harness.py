"""A simulator and gateway(s) on loopback for the gateway tests, and students to drive them."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import uvicorn

from flow_widgets.gateway import schema, store
from flow_widgets.gateway.app import GatewayConfig, create_app
from flow_widgets.simulator import RunningSimulator, start_background

TEACHER_TOKEN = "user:12345-canaryTEACHERsecret7f3a9"
ACCOUNTS = ("a1@gmail.com", "a2@gmail.com", "a3@gmail.com")
PRICE = 100  # the default charge of one video


@contextlib.contextmanager
def simulator(**options: Any) -> Iterator[RunningSimulator]:
    options.setdefault("time_scale", 0.01)
    sim = start_background(
        seed=3,
        test_controls=True,
        token=TEACHER_TOKEN,
        accounts=[f"{a}:ultra_200" for a in ACCOUNTS],
        **options,
    )
    try:
        yield sim
    finally:
        sim.stop()


def setup_class(pg_url: str, students: int, *, allowance: int, budget: int) -> list[str]:
    """Migrate, set the budget, issue ``students`` tokens (``s0``, ``s1``…)."""
    with psycopg.connect(pg_url, autocommit=True) as conn:
        schema.migrate(conn)
        store.set_budget(conn, budget)
        return [store.add_student(conn, f"s{i}", allowance) for i in range(students)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def gateway_thread(
    pg_url: str, sim: RunningSimulator, caps: int = 2, max_open: int = 20, **options: Any
) -> Iterator[str]:
    """The gateway served by uvicorn in a thread; yields its API base URL. ``options`` go to
    :class:`GatewayConfig`."""
    options.setdefault("check_every", 0.1)
    config = GatewayConfig(
        ledger_url=pg_url,
        upstream=sim.base_url,
        teacher_token=TEACHER_TOKEN,
        accounts=dict.fromkeys(ACCOUNTS, caps),
        max_open=max_open,
        **options,
    )
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(config), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the gateway did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}/v1/google-flow"
    finally:
        server.should_exit = True
        thread.join(10)


@contextlib.contextmanager
def gateway_process(
    pg_url: str,
    sim: RunningSimulator,
    caps: int = 2,
    output: list[str] | None = None,
    procs: list[subprocess.Popen[bytes]] | None = None,
    replace_after: float = 300.0,
) -> Iterator[str]:
    """``flow-widgets gateway serve`` as a real process (the teacher's token in its env); what
    it printed is appended to ``output`` when it ends."""
    port = _free_port()
    env = {**os.environ, "USEAPI_TOKEN": TEACHER_TOKEN, "FLOW_LEDGER_URL": pg_url}
    main = "from flow_widgets.cli import main; raise SystemExit(main())"
    argv = [sys.executable, "-c", main, "gateway", "serve", "--port", str(port)]
    argv += ["--upstream", sim.base_url, "--replace-after", str(replace_after)]
    for account in ACCOUNTS:
        argv += ["--account", f"{account}:{caps}"]
    base = f"http://127.0.0.1:{port}/v1/google-flow"
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
        if procs is not None:
            procs.append(proc)
        deadline = time.monotonic() + 30
        try:
            while True:
                with contextlib.suppress(httpx.TransportError):
                    if httpx.get(base + "/jobs", timeout=2).status_code == 401:
                        break
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the gateway process did not start")
                time.sleep(0.1)
            yield base
        finally:
            proc.terminate()
            proc.wait(15)
            log.seek(0)
            if output is not None:
                output.append(log.read().decode(errors="replace"))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def wait_done(
    client: httpx.AsyncClient, base: str, token: str, jobid: str, timeout: float = 60
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = await client.get(f"{base}/jobs/{jobid}", headers=bearer(token))
        record: dict[str, Any] = answer.json()
        if record.get("status") in ("completed", "failed"):
            return record
        await asyncio.sleep(0.2)
    raise AssertionError(f"job {jobid} not done in {timeout}s")


def sim_json(sim: RunningSimulator, path: str) -> Any:
    return httpx.get(sim.base_url + path, headers=sim.headers, timeout=10).json()


def upstream_posts(sim: RunningSimulator, route: str = "/videos") -> list[dict[str, Any]]:
    """Generation POSTs the simulator received (both prefixes)."""
    rows = sim_json(sim, "/_sim/ledger")["requests"]
    return [
        r
        for r in rows
        if r["method"] == "POST" and r["path"].endswith(route) and "_sim" not in r["path"]
    ]
