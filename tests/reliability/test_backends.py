"""A result bought on one backend never stands in for a purchase on another.

Before the ledger recorded the backend, a cell run on the simulator and re-run with a real token
re-attached to the synthetic clip: zero real POSTs, shown as done. Two simulators on loopback
play the two backends (different base URLs), sharing one data folder as a notebook would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
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


_EMBEDDED = """
import json, sys
from flow_widgets.runtime.session import FlowSession
flow = FlowSession(auto_resume=True, announce=lambda text: None)
job = flow.video("a fox on the embedded simulator", model="veo-3.1-lite")
job.wait(60, raise_on_failure=False)
print(json.dumps({"status": job.status, "error": job.error,
                  "files": [str(m.path) for m in job.media if m.path]}), flush=True)
flow.close()
"""


def test_a_cell_rerun_after_an_embedded_simulator_restart_buys_on_the_new_one(
    tmp_path: Path, figures: Any
) -> None:
    """Each kernel starts its own embedded simulator (a new one, on a new port); the old one's
    clip, its file deleted, cannot be fetched again, so the re-run must not re-attach to it and
    must not send the user to a flow.resume() that cannot work."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("USEAPI_", "FLOW_"))}
    env.update(
        FLOW_WIDGETS_HOME=str(tmp_path / "home"),
        FLOW_MEDIA_DIR=str(tmp_path / "media"),
        FLOW_SIM_TIME_SCALE="0.002",
    )

    def kernel() -> dict[str, Any]:
        done = subprocess.run(
            [sys.executable, "-c", _EMBEDDED],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        answer: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        return answer

    first = kernel()
    for name in first["files"]:
        Path(name).unlink()
    second = kernel()
    figures.record(
        "embedded simulator restarted",
        "a cell run, its file deleted, the kernel (and its simulator) restarted, the cell re-run",
        status=second["status"],
        stuck=int(second["status"] != "completed"),
    )
    assert first["status"] == "completed"
    assert second["status"] == "completed", second
    assert second["files"] and all(Path(name).exists() for name in second["files"])
    assert "resume" not in (second["error"] or "")
