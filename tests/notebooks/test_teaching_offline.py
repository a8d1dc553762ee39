"""The teaching notebook runs end to end with the network off and ends under its class budget.

A teacher's promise: no account, no network, no surprises. The kernel runs with no way off the
machine — in a fresh network namespace when the machine allows it (root on CI), otherwise
behind a socket-level guard — and talks to the test over IPC. Exactly one of the two tests below
runs; the other is skipped with a reason, so the report says which isolation was used. Two
probe cells appended to the lesson prove the isolation held (a connection to a public address
fails) and read what the lesson spent.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import av
import numpy as np
import pytest
from jupyter_client.manager import AsyncKernelManager
from PIL import Image

from tests.notebooks.executed import (
    cards,
    execute,
    media_problems,
    output_texts,
    remote_media,
)
from tests.notebooks.offline_kernel import NETNS, SOCKET_GUARD, netns_available, write_kernelspec

pytestmark = pytest.mark.e2e

CAN_UNSHARE = netns_available()

_NETWORK_PROBE = """
import json, socket
try:
    socket.create_connection(("1.1.1.1", 53), timeout=5).close()
    reached = "connected"
except OSError as refusal:
    reached = f"refused: {refusal}"
print(json.dumps({"network": reached}))
"""
_SPEND_PROBE = """
import json
import flow_widgets as fw
snapshot = fw.session().credits
print(json.dumps({"spent": snapshot.spent, "budget": snapshot.budget}))
"""


def _picture(path: Path) -> np.ndarray:
    """What a viewer sees of a compared file one second in (the top label left out)."""
    if path.suffix == ".mp4":
        with av.open(str(path)) as container:
            frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
        picture = frames[min(24, len(frames) - 1)]
    else:
        picture = np.asarray(Image.open(io.BytesIO(path.read_bytes())).convert("RGB"))
    return picture[picture.shape[0] // 5 :].astype(np.float64)


def _comparisons(nb: object, workdir: Path) -> list[list[np.ndarray]]:
    """The decoded takes of every fw.show / %flow compare output, in notebook order."""
    found = []
    for text in output_texts(nb):  # type: ignore[arg-type]
        if 'class="fw-compare"' not in text:
            continue
        sources = re.findall(r'<(?:video|img) src="([^"]+)"', text)
        found.append([_picture(workdir / unquote(src)) for src in sources])
    return found


def _assert_each_comparison_is_visibly_different(nb: object, workdir: Path) -> None:
    comparisons = _comparisons(nb, workdir)
    assert len(comparisons) == 5, f"the lesson shows {len(comparisons)} comparisons, not 5"
    for number, takes in enumerate(comparisons, 1):
        assert len(takes) >= 2, f"comparison {number} shows {len(takes)} take(s)"
        for first in range(len(takes)):
            for second in range(first + 1, len(takes)):
                a, b = takes[first], takes[second]
                if a.shape != b.shape:
                    continue
                change = float(np.abs(a - b).mean())
                assert change > 12, (
                    f"comparison {number}: takes {first + 1} and {second + 1} differ by only "
                    f"{change:.1f} levels on average"
                )
    # And different in the way the lesson says: golden hour is warm, a night storm is dark.
    vague, specific = comparisons[0][:2]
    warmth = [float((p[..., 0] - p[..., 2]).mean()) for p in (vague, specific)]
    assert warmth[1] > warmth[0] + 20, f"golden hour is not warmer: {warmth}"
    calm, stormy = (float(p.mean()) for p in comparisons[2][:2])
    assert stormy < 0.6 * calm, f"the night storm is not darker than noon: {stormy} vs {calm}"


@pytest.fixture
def ipc_dir() -> Iterator[Path]:
    """A short folder for the kernel's unix sockets (their paths must stay under 108 bytes)."""
    folder = Path(tempfile.mkdtemp(prefix="fw-ipc-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _probe_results(nb: object) -> dict[str, object]:
    found: dict[str, object] = {}
    for text in output_texts(nb):  # type: ignore[arg-type]
        for line in text.splitlines():
            if line.startswith("{") and line.endswith("}"):
                found.update(json.loads(line))
    return found


def _run_offline(
    isolation: str, tmp_path: Path, ipc_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLOW_SIM_TIME_SCALE", "0.01")
    monkeypatch.setenv("FLOW_WIDGETS_HOME", str(tmp_path / "flow_home"))
    kernels = tmp_path / "jupyter"
    write_kernelspec(kernels, "flow-offline", isolation)
    monkeypatch.setenv("JUPYTER_PATH", str(kernels))
    km = AsyncKernelManager(kernel_name="flow-offline", transport="ipc", ip=str(ipc_dir / "k"))
    workdir = tmp_path / "lesson"

    nb = execute("teaching", workdir, km=km, extra_cells=[_NETWORK_PROBE, _SPEND_PROBE])

    probes = _probe_results(nb)
    assert str(probes["network"]).startswith("refused"), f"{isolation}: the network was reachable"
    spent, budget = probes["spent"], probes["budget"]
    assert isinstance(spent, int) and isinstance(budget, int)
    assert 0 < spent <= budget, f"the lesson spent {spent} of a {budget}-credit class budget"
    assert all(card.status == "completed" for card in cards(nb)), cards(nb)
    assert not media_problems(nb, workdir)
    assert not remote_media(nb), "the lesson shows media that needs the network"
    _assert_each_comparison_is_visibly_different(nb, workdir)


@pytest.mark.skipif(not CAN_UNSHARE, reason="unshare --net needs root; the socket guard ran")
def test_teaching_runs_in_a_network_namespace(
    tmp_path: Path, ipc_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _run_offline(NETNS, tmp_path, ipc_dir, monkeypatch)


@pytest.mark.skipif(
    CAN_UNSHARE, reason="a network namespace was available, so the kernel ran in one"
)
def test_teaching_runs_behind_the_socket_guard(
    tmp_path: Path, ipc_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _run_offline(SOCKET_GUARD, tmp_path, ipc_dir, monkeypatch)


def test_the_socket_guard_refuses_the_outside_and_allows_loopback() -> None:
    """The fallback itself, checked in a child process so this one keeps its network."""
    import subprocess
    import sys

    script = (
        "import socket\n"
        "from tests.notebooks.offline_kernel import OfflineRefusal, install_guard\n"
        "install_guard()\n"
        "server = socket.create_server(('127.0.0.1', 0))\n"
        "socket.create_connection(server.getsockname(), timeout=5).close()\n"
        "for attempt in (lambda: socket.create_connection(('1.1.1.1', 53), timeout=5),\n"
        "                lambda: socket.getaddrinfo('example.com', 443),\n"
        "                lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM)"
        ".sendto(b'x', ('8.8.8.8', 53))):\n"
        "    try:\n"
        "        attempt()\n"
        "    except OfflineRefusal:\n"
        "        continue\n"
        "    raise SystemExit('not refused')\n"
        "print('ok')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[2],
        check=False,
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
