"""An interrupt during ``--wait`` or ``job.wait()`` in a real kernel: one sentence, no traceback
through the package, and the job goes on (it was bought)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from flow_widgets.runtime.interrupts import STOPPED_WAITING
from tests.e2e.test_magics_kernel import kernel_env

pytestmark = pytest.mark.e2e

SETUP = """\
import flow_widgets.runtime.session as _fs
from flow_widgets.simulator import start_background
_sim = start_background(time_scale=0.5, seed=3)   # a video takes about a minute
flow = _fs.session(simulator=_sim)
%load_ext flow_widgets
"""


def _run(client: Any, code: str, *, interrupt_after: float | None, km: Any) -> list[dict]:
    """Execute ``code``; interrupt the kernel after ``interrupt_after`` s; the iopub replies."""
    msg_id = client.execute(code)
    if interrupt_after is not None:
        time.sleep(interrupt_after)
        km.interrupt_kernel()
    messages = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        msg = client.get_iopub_msg(timeout=60)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        messages.append(msg)
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return messages
    raise AssertionError("the cell never finished")


def _text(messages: list[dict]) -> str:
    parts = []
    for msg in messages:
        content = msg["content"]
        parts.append(content.get("text", ""))
        parts.extend(content.get("traceback", []))
        parts.append(str(content.get("data", {}).get("text/plain", "")))
    return "\n".join(parts)


@pytest.mark.parametrize(
    "code",
    [
        "%%flow_video -m veo-3.1-lite --wait --out take\na lighthouse in a storm",
        "take = flow.video('a lighthouse at dawn', model='veo-3.1-lite')\ntake.wait()",
    ],
    ids=["magic-wait", "job-wait"],
)
def test_an_interrupt_while_waiting_says_one_line_and_the_job_goes_on(
    tmp_path: Path, code: str
) -> None:
    from jupyter_client.manager import start_new_kernel

    km, client = start_new_kernel(
        kernel_name="python3", env=kernel_env(tmp_path / "home"), cwd=str(tmp_path)
    )
    try:
        setup = _run(client, SETUP, interrupt_after=None, km=km)
        assert not [m for m in setup if m["msg_type"] == "error"], _text(setup)
        messages = _run(client, code, interrupt_after=4.0, km=km)
        errors = [m["content"] for m in messages if m["msg_type"] == "error"]
        assert len(errors) == 1, _text(messages)
        assert errors[0]["traceback"] == [STOPPED_WAITING]
        assert "flow_widgets/" not in _text(messages) and "Traceback" not in _text(messages)
        after = _run(
            client, "print(take.status, take.jobid is not None)", interrupt_after=None, km=km
        )
        assert _text(after).split()[:2] in (["running", "True"], ["accepted", "True"])
    finally:
        client.stop_channels()
        km.shutdown_kernel(now=True)
