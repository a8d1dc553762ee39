"""Real separate Python processes ("kernels") running sessions against one simulator and one
ledger folder, for the scenarios where two notebooks on one machine share a ledger.

Why processes and not two sessions in this one: ownership of a ledger row is a lease held by a
process (its pid, start time and heartbeat), so only real processes test it -- including a
SIGKILL, which no in-process trick imitates. Each kernel runs :data:`KERNEL` and prints one JSON
line per step; the test drives it through stdin lines.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

__all__ = ["KERNEL", "Kernel"]

KERNEL = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from flow_widgets.runtime.session import FlowSession
    from flow_widgets.runtime.settings import Settings

    base_url, token, home, media, scale, resume = sys.argv[1:7]
    settings = Settings(token=token, base_url=base_url, data_dir=Path(home), media_dir=Path(media))
    flow = FlowSession(settings, time_scale=float(scale), auto_resume=resume == "1",
                       announce=lambda text: None)
    handles = []
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        order = json.loads(line)
        if order["do"] == "video":
            time.sleep(max(0.0, order.get("at", 0.0) - time.time()))  # a shared starting gun
            for prompt in order["prompts"]:
                handles.append(flow.video(prompt, model="veo-3.1-lite"))
            print(json.dumps({"sent": len(order["prompts"])}), flush=True)
        elif order["do"] == "vary":  # the card's "vary #N", as its recipe submits it
            from flow_widgets.api.requests import VideoRequest
            from flow_widgets.runtime.takes import take_request
            time.sleep(max(0.0, order.get("at", 0.0) - time.time()))
            base = VideoRequest(order["prompt"], model="veo-3.1-lite")
            wanted, number = take_request(base, order["take"], vary=True)
            handles.append(flow.submit(wanted, take=number))
            print(json.dumps({"sent": 1, "seed": wanted.seed}), flush=True)
        elif order["do"] == "resume":
            resumed = flow.resume()
            handles.extend(resumed)
            print(json.dumps({"resumed": len(resumed)}), flush=True)
        elif order["do"] == "wait":
            for handle in handles:
                handle.wait(order["timeout"], raise_on_failure=False)
            print(json.dumps({"statuses": [h.status for h in handles],
                              "sids": [h.submission_id for h in handles],
                              "errors": [h.error for h in handles]}), flush=True)
        elif order["do"] == "quit":
            break
    flow.close()
    """
)


class Kernel:
    """One separate Python process holding a session (stdin orders, stdout JSON answers)."""

    def __init__(
        self, sim: Any, home: Path, media: Path, *, resume: bool, base_url: str | None = None
    ) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                KERNEL,
                base_url or sim.base_url,
                sim.token,
                str(home),
                str(media),
                str(sim.app_state.config.time_scale),
                "1" if resume else "0",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def ready(self) -> dict[str, Any]:
        return self.answer()

    def order(self, **order: Any) -> dict[str, Any]:
        self.send(**order)
        return self.answer()

    def send(self, **order: Any) -> None:
        """An order whose answer is read later with :meth:`answer`."""
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(order) + "\n")
        self.process.stdin.flush()

    def answer(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            self.process.wait(10)
            stderr = self.process.stderr.read() if self.process.stderr else ""
            raise AssertionError(f"the kernel process ended early: {stderr[-3000:]}")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def kill(self) -> None:
        """SIGKILL, as when a kernel dies: no cleanup, no lease given back."""
        self.process.kill()
        self.process.wait(10)

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self.send(do="quit")
                self.process.wait(30)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait(10)
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()
