"""A cell's takes in a real IPython kernel: the cell id arrives the way JupyterLab sends it
(``metadata.cellId`` of each ``execute_request``), across edits, re-runs and a kernel restart
(the star survives); and headless, with no cell id (nbclient), the ``--out`` fallback, whose
saved notebook shows the strip with no kernel."""

from __future__ import annotations

import queue
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from jupyter_client.manager import KernelManager

from tests.e2e.test_magics_kernel import FAST_SESSION, cell, execute, kernel_env

pytestmark = pytest.mark.e2e

FOX = ["a red fox in snow", "a red fox in deep snow", "a red fox in deep snow at dawn"]
CARD = "from flow_widgets.magics._cells import _LIVE\n"


class Kernel:
    """A kernel run the way a notebook frontend runs it: one execute_request per cell."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.km = KernelManager(kernel_name="python3")
        self.km.start_kernel(cwd=str(folder), env=env)
        self._connect()

    def _connect(self) -> None:
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=60)

    def restart(self) -> None:
        self.kc.stop_channels()
        self.km.restart_kernel(now=True)
        self._connect()

    def run(self, code: str, cell_id: str | None = None, timeout: float = 120) -> str:
        """Run one cell; return its text (streams, and every display's text/plain); raise on
        an error in the cell."""
        return self.collect(self.send(code, cell_id), timeout)

    def send(self, code: str, cell_id: str | None = None) -> str:
        """Send one cell without waiting for it (two notebooks running at once); its msg id."""
        content = {
            "code": code,
            "silent": False,
            "store_history": True,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": True,
        }
        metadata = {"cellId": cell_id} if cell_id else {}
        msg = self.kc.session.msg("execute_request", content, metadata=metadata)
        self.kc.shell_channel.send(msg)
        return str(msg["header"]["msg_id"])

    def collect(self, msg_id: str, timeout: float = 120) -> str:
        """Wait for the cell ``msg_id`` to end; its text; raise on an error in it."""
        texts: list[str] = []
        deadline = time.monotonic() + timeout
        while True:
            try:
                reply = self.kc.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no answer to cell {msg_id} in {timeout} s") from None
            if reply["parent_header"].get("msg_id") != msg_id:
                continue
            kind, body = reply["msg_type"], reply["content"]
            if kind == "stream":
                texts.append(body["text"])
            elif kind in ("display_data", "execute_result", "update_display_data"):
                texts.append(body["data"].get("text/plain", ""))
            elif kind == "error":
                raise AssertionError(f"{body['ename']}: {body['evalue']}")
            elif kind == "status" and body["execution_state"] == "idle":
                return "".join(texts)

    def shutdown(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)


@pytest.fixture
def kernel(tmp_path: Path) -> Iterator[Kernel]:
    env = kernel_env(tmp_path / "home", JPY_SESSION_NAME="loop.ipynb")
    started = Kernel(tmp_path, env)
    try:
        yield started
    finally:
        started.shutdown()


def _setup(kernel: Kernel) -> None:
    kernel.run(FAST_SESSION)
    kernel.run("%load_ext flow_widgets")


def _strip_of_last_card(kernel: Kernel) -> str:
    return kernel.run(CARD + "print(_LIVE[-1].bundle()[0]['text/plain'])")


def test_one_cell_keeps_its_takes_and_its_star_across_a_restart(kernel: Kernel) -> None:
    _setup(kernel)
    for prompt in FOX:
        kernel.run(f"%%flow_video -m veo-3.1-lite --wait\n{prompt}", cell_id="cell-fox")
    kernel.run(f"%%flow_video -m veo-3.1-lite --wait\n{FOX[-1]}", cell_id="cell-fox")  # re-run
    assert kernel.run("print(video_posts())").strip() == "3"
    strip = _strip_of_last_card(kernel)
    assert "#1  first take" in strip and "#2  +deep" in strip and "#3  +at +dawn" in strip
    assert "#4" not in strip
    kernel.run(CARD + "_LIVE[-1].strip.__self__.star(2)")  # what the card's ☆ #2 does
    kernel.restart()
    _setup(kernel)
    listing = kernel.run("%flow takes cell-fox")
    assert "3 take(s) of cell:cell-fox (recognised by its cell id)" in listing
    assert "pick: #2" in listing
    # after the restart the same cell, edited again, is take 4 of the same cell
    kernel.run(f"%%flow_video -m veo-3.1-lite --wait\n{FOX[-1]}, wide shot", cell_id="cell-fox")
    strip = _strip_of_last_card(kernel)
    assert "#2 ★  +deep" in strip and "#4  +wide +shot" in strip


def test_headless_runs_fall_back_to_the_out_name_and_the_saved_strip_needs_no_kernel(
    tmp_path: Path,
) -> None:
    nb = execute(
        tmp_path,
        [
            cell(FAST_SESSION, "setup"),
            cell("%load_ext flow_widgets", "load"),
            cell(f"%%flow_video -m veo-3.1-lite --out fox\n{FOX[0]}", "first"),
            cell(f"%%flow_video -m veo-3.1-lite --out fox\n{FOX[1]}", "second"),
        ],
        env=kernel_env(tmp_path / "home", JPY_SESSION_NAME="headless.ipynb"),
    )
    (second,) = [c for c in nb.cells if "second" in c.metadata["tags"]]
    html = "".join(o.get("data", {}).get("text/html", "") for o in second.outputs)
    assert html.count('<li class="fw-take"') == 2
    assert "matched by --out" in html
    assert '<ins class="fw-add" aria-label="added deep">deep</ins>' in html
    assert 'href="flow_media/' in html  # each take links its file: it opens with no kernel
