"""The teacher's view: the class endpoints (teacher's token only) and the ``fw.Class`` panel.

Real PostgreSQL, the real simulator, the gateway in a thread. The accounts are removed at first
(as in the notebook client test) so that requests certainly wait in line while the panel reads
them; they come back and the jobs finish before the review page is written.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from flow_widgets.gateway import store
from tests.gateway.harness import (
    ACCOUNTS,
    PRICE,
    TEACHER_TOKEN,
    bearer,
    gateway_thread,
    setup_class,
    simulator,
    wait_done,
)

CLASS_ROUTES = [
    ("GET", "/class"),
    ("POST", "/class/pause"),
    ("POST", "/class/resume"),
    ("POST", "/class/allowance"),
    ("GET", "/class/results"),
]


def _panel(base: str, every: float = 0, published: list[Any] | None = None) -> Any:
    from flow_widgets.ui.class_panel import Class

    sink: list[Any] = published if published is not None else []
    panel = Class(
        base,
        token=TEACHER_TOKEN,
        every=every,
        board_options={"publisher": lambda *a: sink.append(a), "min_interval": 0},
    )
    panel.board.show()
    return panel


def test_the_open_panel_redraws_the_line_by_itself(pg_url: str) -> None:
    (alice,) = setup_class(pg_url, 1, allowance=1000, budget=1000)
    with simulator() as sim, gateway_thread(pg_url, sim) as base:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute("DELETE FROM accounts")  # the request stays in line
        published: list[Any] = []
        panel = _panel(base, every=0.2, published=published)
        try:
            assert "Nobody is waiting." in published[-1][0]["text/plain"]
            answer = httpx.post(f"{base}/videos", json={"prompt": "x"}, headers=bearer(alice))
            assert answer.status_code == 201
            deadline = time.monotonic() + 10
            while "the line:" not in published[-1][0]["text/plain"]:
                assert time.monotonic() < deadline, "the panel did not redraw by itself"
                time.sleep(0.05)
            assert "s0" in published[-1][0]["text/plain"]
        finally:
            panel.close()


def test_only_the_teachers_token_opens_the_class_endpoints(pg_url: str) -> None:
    alice, _bob = setup_class(pg_url, 2, allowance=1000, budget=2000)
    with simulator() as sim, gateway_thread(pg_url, sim) as base:
        for method, path in CLASS_ROUTES:
            body = {"student": "s1", "credits": 5000} if path.endswith("allowance") else None
            as_student = httpx.request(method, base + path, headers=bearer(alice), json=body)
            assert as_student.status_code == 403, (path, as_student.text)
            assert "teacher" in as_student.json()["error"]
            nobody = httpx.request(method, base + path, headers=bearer("user:1-guess"), json=body)
            assert nobody.status_code == 401, path
            assert httpx.request(method, base + path, json=body).status_code == 401
        # none of the refused calls changed anything
        with psycopg.connect(pg_url) as conn:
            assert conn.execute("SELECT paused FROM class_budget").fetchone() == (False,)
            assert store.spending(conn)[1][2] == 1000
        teacher = bearer(TEACHER_TOKEN)
        assert httpx.get(base + "/class", headers=teacher).status_code == 200
        # the teacher's token is not a student's: the students' routes stay closed to it
        assert httpx.get(base + "/jobs", headers=teacher).status_code == 401
        assert TEACHER_TOKEN not in httpx.get(base + "/class", headers=teacher).text


def test_the_class_panel_shows_the_line_pauses_raises_an_allowance_and_writes_the_review(
    pg_url: str, tmp_path: Path
) -> None:
    tokens = setup_class(pg_url, 3, allowance=2 * PRICE, budget=100 * PRICE)
    with psycopg.connect(pg_url, autocommit=True) as conn:  # a name a student typed
        evil = store.add_student(conn, "<b>eve</b>", 2 * PRICE)
    with simulator() as sim, gateway_thread(pg_url, sim, caps=1) as base:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute("DELETE FROM accounts")  # nothing is placed until they are back
        jobs = []
        for n, token in enumerate([*tokens, evil]):
            answer = httpx.post(
                f"{base}/videos", json={"prompt": f"fox {n}"}, headers=bearer(token)
            )
            assert answer.status_code == 201, answer.text
            jobs.append((token, answer.json()["jobid"]))
        time.sleep(1.1)
        panel = _panel(base)
        try:
            view = panel.view
            assert [q["position"] for q in view["queue"]] == [1, 2, 3, 4]
            assert {q["student"] for q in view["queue"]} == {"s0", "s1", "s2", "<b>eve</b>"}
            assert all(q["waitedSeconds"] >= 1.0 for q in view["queue"]), view["queue"]
            assert view["spent"] == 4 * PRICE and view["running"] == []
            spent = {s["name"]: (s["spent"], s["allowance"], s["queued"]) for s in view["students"]}
            assert spent["s1"] == (PRICE, 2 * PRICE, 1)
            html, text = panel.summary()
            assert "&lt;b&gt;eve&lt;/b&gt;" in html and "<b>eve</b>" not in html
            assert "400 of 10,000 credits spent" in text and "100 of 200" in text
            assert "Nobody is waiting" not in text

            # pause: a student's new request is refused with a plain sentence; resume: taken
            panel.pause_button.click()
            assert panel.view["paused"] and panel.pause_button.description == "resume class"
            paused = httpx.post(f"{base}/videos", json={"prompt": "x"}, headers=bearer(tokens[0]))
            assert paused.status_code == 423 and "paused" in paused.json()["error"]
            panel.pause_button.click()
            assert not panel.view["paused"]

            # s0 has 100 of 200 left: a 2-video request is refused, then the teacher raises
            two = {"prompt": "two", "count": 2}
            refused = httpx.post(f"{base}/videos", json=two, headers=bearer(tokens[0]))
            assert refused.status_code == 402 and "allowance" in refused.json()["error"]
            panel.student.value = "s0"
            panel.allowance.value = "abc"
            panel.set_allowance_button.click()
            assert panel.status.tone == "error" and "whole number" in panel.status.text
            panel.allowance.value = "50"  # below what s0 spent: the gateway's sentence
            panel.set_allowance_button.click()
            assert panel.status.tone == "error" and "already spent 100" in panel.status.text
            panel.allowance.value = "1,000"
            panel.set_allowance_button.click()
            assert panel.status.tone == "ok", panel.status.text
            taken = httpx.post(f"{base}/videos", json=two, headers=bearer(tokens[0]))
            assert taken.status_code == 201, taken.text
            jobs.append((tokens[0], taken.json()["jobid"]))

            with psycopg.connect(pg_url, autocommit=True) as conn:
                for account in ACCOUNTS:
                    store.set_account(conn, account, 1)

            async def finish() -> list[dict[str, Any]]:
                async with httpx.AsyncClient(timeout=30) as c:
                    return list(await asyncio.gather(*(wait_done(c, base, t, j) for t, j in jobs)))

            assert all(r["status"] == "completed" for r in asyncio.run(finish()))
            view = panel.refresh()
            assert view["queue"] == [] and view["running"] == []
            assert len(panel.results) == 5
            assert {a["running"] for a in view["accounts"]} == {0}
            page = panel.export(tmp_path / "review")
            assert page.name == "review.html" and panel.status.tone == "ok"
            written = page.read_text()
            assert written.count('<figure class="fw-result"') == 6  # the 2-video request: 2
            assert written.count("data:video/mp4;base64,") == 6  # self-contained
            assert "&lt;b&gt;eve&lt;/b&gt;" in written and "fox 2" in written
            assert TEACHER_TOKEN not in written
            assert len(list((tmp_path / "review_media").glob("*.mp4"))) == 6
        finally:
            panel.close()


def test_flow_class_shows_the_panel_and_says_what_is_missing(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from IPython.core.displaypub import CapturingDisplayPublisher
    from IPython.core.error import UsageError
    from IPython.core.interactiveshell import InteractiveShell

    from flow_widgets.ui.class_panel import Class

    setup_class(pg_url, 2, allowance=1000, budget=2000)
    ip = InteractiveShell.instance()
    monkeypatch.setattr(ip, "display_pub", CapturingDisplayPublisher())
    ip.run_line_magic("load_ext", "flow_widgets")
    monkeypatch.delenv("USEAPI_TOKEN", raising=False)
    with pytest.raises(UsageError, match=r"teacher.s useapi\.net token"):
        ip.run_line_magic("flow", "class --gateway http://127.0.0.1:9/v1/google-flow")
    monkeypatch.setenv("USEAPI_TOKEN", TEACHER_TOKEN)
    with simulator() as sim, gateway_thread(pg_url, sim) as base:
        panel = ip.run_line_magic("flow", f"class --gateway {base}")
        try:
            assert isinstance(panel, Class)
            assert [s["name"] for s in panel.view["students"]] == ["s0", "s1"]
            assert "class budget: 0 of 2,000 credits spent" in panel.summary()[1]
            # default JupyterLab settings save no widget state: the saved output still shows
            # the class (the static fallback), and never the teacher's token
            data, _ = panel._repr_mimebundle_()
            assert "class budget: 0 of 2,000 credits spent" in data["text/html"]
            assert "application/vnd.jupyter.widget-view+json" in data
            assert all(TEACHER_TOKEN not in str(v) for v in data.values())
        finally:
            panel.close()
