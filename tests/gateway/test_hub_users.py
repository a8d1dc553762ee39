"""JupyterHub users as students: a Hub token opens the gateway as that user's student.

JupyterHub itself is not installed in the test environment, so a stand-in for its one endpoint
the gateway uses (``GET /hub/api/user`` with the user's token, which the Hub answers with the
user model) runs on loopback, and students call the gateway under its service prefix as through
the Hub's proxy: this is the only mock here, and it answers exactly as the Hub's
documented REST API does. PostgreSQL, the simulator and the gateway are real.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import psycopg
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from flow_widgets.gateway import store
from tests.gateway.harness import (
    PRICE,
    TEACHER_TOKEN,
    bearer,
    gateway_thread,
    setup_class,
    simulator,
)

SERVICE_PREFIX = "/services/flow-gateway/"
HUB_USERS = {"hub-token-ana": "ana", "hub-token-bob": "bob"}


@contextlib.contextmanager
def fake_hub() -> Iterator[tuple[str, list[str]]]:
    """The Hub's ``GET /hub/api/user``: the user model for a known token, else 403."""
    asked: list[str] = []

    async def user(request: Request) -> JSONResponse:
        token = request.headers.get("authorization", "").partition(" ")[2]
        asked.append(token)
        if token not in HUB_USERS:
            return JSONResponse({"status": 403, "message": "Missing or invalid token"}, 403)
        return JSONResponse({"kind": "user", "name": HUB_USERS[token], "admin": False})

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    app = Starlette(routes=[Route("/hub/api/user", user)])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}/hub/api", asked
    finally:
        server.should_exit = True
        thread.join(10)


def test_hub_users_are_students_by_name_enrolled_or_refused_and_revocable(pg_url: str) -> None:
    setup_class(pg_url, 0, allowance=0, budget=10 * PRICE)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        store.add_student(conn, "ana", 2 * PRICE)  # the teacher added ana by her Hub name
    ana, bob = bearer("hub-token-ana"), bearer("hub-token-bob")
    with (
        fake_hub() as (hub_api, asked),
        simulator() as sim,
        gateway_thread(
            pg_url, sim, hub_api_url=hub_api, hub_allowance=None, path_prefix=SERVICE_PREFIX
        ) as direct,
    ):
        # The Hub's proxy keeps the service's prefix on every path it forwards.
        base = direct.replace("/v1/google-flow", SERVICE_PREFIX.rstrip("/") + "/v1/google-flow")
        job = httpx.post(f"{base}/videos", json={"prompt": "fox"}, headers=ana)
        assert job.status_code == 201, job.text
        jobid = job.json()["jobid"]
        for _ in range(5):
            assert httpx.get(f"{base}/jobs/{jobid}", headers=ana).status_code == 200
        assert asked.count("hub-token-ana") == 1  # cached: a class polling does not poll the Hub
        # bob is a Hub user the teacher did not add, and nobody enrols him: refused
        assert httpx.post(f"{base}/videos", json={"prompt": "x"}, headers=bob).status_code == 401
        # a token the Hub does not know, and another Hub user's look at ana's job
        guess = bearer("hub-token-guess")
        assert httpx.get(f"{base}/jobs/{jobid}", headers=guess).status_code == 401
        with psycopg.connect(pg_url, autocommit=True) as conn:
            store.add_student(conn, "bob", PRICE)
        bob_jobs = httpx.get(f"{base}/jobs", headers=bob)
        assert bob_jobs.status_code == 200 and bob_jobs.json()["jobs"] == []
        assert httpx.get(f"{base}/jobs/{jobid}", headers=bob).status_code == 404
        # a Hub user is a student, not the teacher
        assert httpx.get(f"{base}/class", headers=ana).status_code == 403
        assert httpx.get(f"{base}/class", headers=bearer(TEACHER_TOKEN)).status_code == 200
        # revoking works at once, whatever the cache says
        with psycopg.connect(pg_url, autocommit=True) as conn:
            assert store.revoke_student(conn, "ana")
        assert httpx.get(f"{base}/jobs/{jobid}", headers=ana).status_code == 401
        assert httpx.post(f"{base}/videos", json={"prompt": "x"}, headers=ana).status_code == 401
    with psycopg.connect(pg_url) as conn:
        spent = dict(conn.execute("SELECT name, spent FROM students").fetchall())
        assert spent == {"ana": PRICE, "bob": 0}


def test_hub_users_may_be_enrolled_on_first_use_with_the_teachers_allowance(pg_url: str) -> None:
    setup_class(pg_url, 0, allowance=0, budget=10 * PRICE)
    with (
        fake_hub() as (hub_api, _asked),
        simulator() as sim,
        gateway_thread(pg_url, sim, hub_api_url=hub_api, hub_allowance=PRICE) as base,
    ):
        bob = bearer("hub-token-bob")
        assert httpx.post(f"{base}/videos", json={"prompt": "1"}, headers=bob).status_code == 201
        second = httpx.post(f"{base}/videos", json={"prompt": "2"}, headers=bob)
        assert second.status_code == 402 and "allowance" in second.json()["error"]
        assert httpx.get(f"{base}/jobs", headers=bearer("hub-token-guess")).status_code == 401
    with psycopg.connect(pg_url) as conn:
        rows = conn.execute("SELECT name, allowance, spent FROM students").fetchall()
        assert rows == [("bob", PRICE, PRICE)]
