"""The canary sweep: run real notebooks with a canary token and look for it everywhere.

R-34 … R-38. The simulator is started with the canary as its only accepted token, and a real
kernel (nbclient, ``store_widget_state=True``) gets it the way a user's kernel would: the
``USEAPI_TOKEN`` environment variable -- never typed into a cell. The kernel runs the demo
quickstart and a sweep notebook that uses every surface (the Python API, the magics, the
panels, DEBUG logging of every logger) and fails on purpose at every layer (401, unreachable
host, unreadable reply, bad input) under ``%xmode Plain``, ``Context`` and ``Verbose``. Then
every artifact is searched for the canary in each of its forms (whole, last 8 characters,
base64, URL-encoded) and for the simulator's URL signatures: the saved ``.ipynb`` with its
widget state, the DEBUG log, IPython's history database, the client ledger (with its WAL) and
the names of downloaded files. The media origin must never have seen an ``Authorization``
header.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import nbformat
import pytest

from flow_widgets.simulator.server import RunningSimulator, start_background
from tests.reliability.harness import SimControl

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
KERNEL_TIME_SCALE = "0.002"

PREAMBLE = """\
import logging, os
logging.basicConfig(filename=os.environ["SWEEP_LOG"], level=logging.DEBUG, force=True)
import flow_widgets as fw
flow = fw.session(time_scale=float(os.environ["SWEEP_TIME_SCALE"]))
"""

SWEEP_CELLS = [
    PREAMBLE,
    "%load_ext flow_widgets",
    'job = flow.video("a fox for the canary sweep", model="veo-3.1-lite")\njob.wait(60)\njob',
    "%%flow_video --model veo-3.1-lite --wait\na heron wading at dawn, for the canary sweep",
    "%flow jobs",
    "%flow accounts",
    "%flow credits",
    "%flow config",
    "fw.Jobs()",
    "fw.Credits()",
    "fw.Studio()",
    "%flow login",  # headless: must fail at once with guidance, never hang
    'import httpx\ndef fault(**spec):\n    httpx.post(os.environ["SIM_CONTROL"] + "/faults", '
    "json=spec).raise_for_status()",
]
FAILING_CELLS = [
    'fault(route="POST /videos", action="status", status=401, message="Unauthorized", times=1)\n'
    'flow.video("denied {mode}", model="veo-3.1-lite").wait(30)',
    'fw.FlowClient(base_url="http://127.0.0.1:9/v1/google-flow").videos.create("unreachable")',
    'fault(route="GET /accounts", action="malformed", times=10)\n'
    'fw.FlowClient(base_url=os.environ["FLOW_API_BASE"]).accounts.list()',
    'flow.video("impossible {mode}", model="veo-3.1-quality", duration=4)',
]
MODES = ("Plain", "Context", "Verbose")


def canary_forms(canary: str) -> dict[str, str]:
    """The forms a leaked token takes: as is, its tail, base64 (also of a Bearer header),
    URL-encoded."""
    return {
        "whole": canary,
        "last 8": canary[-8:],
        "base64": base64.b64encode(canary.encode()).decode().rstrip("="),
        "base64 bearer": base64.b64encode(f"Bearer {canary}".encode()).decode().rstrip("="),
        "url-encoded": quote(canary, safe=""),
    }


def hits_in(blob: bytes, needles: dict[str, str]) -> dict[str, int]:
    return {name: blob.count(value.encode()) for name, value in needles.items() if value}


def sweep_notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    cells = list(SWEEP_CELLS)
    for mode in MODES:
        cells.append(f"%xmode {mode}")
        cells += [source.replace("{mode}", mode) for source in FAILING_CELLS]
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


def quickstart_notebook() -> nbformat.NotebookNode:
    nb = nbformat.read(NOTEBOOKS / "quickstart.ipynb", as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(PREAMBLE))
    return nb


def run_notebook(
    nb: Any, workdir: Path, env: dict[str, str], history: Path, timeout: int = 180
) -> float:
    """Execute ``nb`` in a real kernel (errors recorded, not raised) and save it; seconds taken.

    The kernel keeps an IPython history file (nbclient's default is an in-memory one), so the
    sweep can look into it as it would into a user's."""
    from nbclient import NotebookClient

    client = NotebookClient(
        nb,
        timeout=timeout,
        startup_timeout=120,
        kernel_name="python3",
        allow_errors=True,
        store_widget_state=True,
        ipython_hist_file=str(history),
        resources={"metadata": {"path": str(workdir)}},
    )
    started = time.monotonic()
    client.execute(env=env)
    return time.monotonic() - started


def error_outputs(nb: Any) -> list[dict[str, Any]]:
    return [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]


def signatures_handed_out(control: SimControl) -> set[str]:
    """Every ``Signature=`` the simulator put into a media URL of a job it ran."""
    found: set[str] = set()
    for job in control.ledger().jobs:
        record = json.dumps(control.job(job["jobid"]))
        for part in record.split('"'):
            if "Signature=" in part:
                found.update(parse_qs(urlsplit(part).query).get("Signature", []))
    return found


@pytest.fixture(scope="module")
def swept(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[dict[str, Any], dict[str, Path], RunningSimulator, str]]:
    """Both notebooks, run once for the module's tests (a kernel run takes tens of seconds)."""
    canary = f"user:4242-FLOWCANARY{uuid.uuid4().hex}"
    tmp_path = tmp_path_factory.mktemp("sweep")
    with start_background(
        seed=13,
        token=canary,
        test_controls=True,
        time_scale=float(KERNEL_TIME_SCALE),
        max_concurrent_videos=20,
    ) as sim:
        yield sweep_run(sim, canary, tmp_path)


def sweep_run(
    sim: RunningSimulator, canary: str, tmp_path: Path
) -> tuple[dict[str, Any], dict[str, Path], RunningSimulator, str]:
    workdir = tmp_path / "work"
    workdir.mkdir()
    places = {
        "home": tmp_path / "home",
        "media": workdir / "flow_media",
        "log": tmp_path / "debug.log",
        "ipython": tmp_path / "ipython",
    }
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("USEAPI_", "FLOW_"))},
        "USEAPI_TOKEN": canary,
        "FLOW_API_BASE": sim.base_url,
        "FLOW_WIDGETS_HOME": str(places["home"]),
        "FLOW_MEDIA_DIR": str(places["media"]),
        "IPYTHONDIR": str(places["ipython"]),
        "SWEEP_LOG": str(places["log"]),
        "SWEEP_TIME_SCALE": KERNEL_TIME_SCALE,
        "SIM_CONTROL": sim.base_url.split("/v1/")[0] + "/_sim",
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
    }
    notebooks = {"sweep": sweep_notebook(), "quickstart": quickstart_notebook()}
    seconds = {}
    for name, nb in notebooks.items():
        history = places["ipython"] / "history.sqlite"
        history.parent.mkdir(parents=True, exist_ok=True)
        seconds[name] = run_notebook(nb, workdir, env, history)
        nbformat.write(nb, workdir / f"{name}.ipynb")
    places["notebooks"] = workdir
    return {"notebooks": notebooks, "seconds": seconds}, places, sim, canary


def artifacts(places: dict[str, Path]) -> dict[str, bytes]:
    """Everything a leak could hide in, as bytes, by name."""
    found: dict[str, bytes] = {}
    for path in sorted(places["notebooks"].glob("*.ipynb")):
        found[f"notebook {path.name}"] = path.read_bytes()
    found["debug log"] = places["log"].read_bytes() if places["log"].exists() else b""
    for path in sorted(places["ipython"].rglob("history.sqlite*")):
        found[f"history {path.name}"] = path.read_bytes()
    for path in sorted(places["home"].rglob("*")):
        if path.is_file():
            found[f"data {path.name}"] = path.read_bytes()
    names = [str(p.relative_to(places["media"])) for p in places["media"].rglob("*")]
    found["media file names"] = "\n".join(names).encode()
    return found


def test_the_canary_token_is_nowhere(swept: Any, figures: Any) -> None:
    run, places, sim, canary = swept
    control = SimControl(sim)
    found = artifacts(places)
    needles = canary_forms(canary)
    hits = {
        where: {form: n for form, n in hits_in(blob, needles).items() if n}
        for where, blob in found.items()
    }
    hits = {where: forms for where, forms in hits.items() if forms}
    signatures = signatures_handed_out(control)
    # Signatures are looked for where they could be shared -- notebooks, logs, history, file
    # names. The ledger is the user's private store of raw job records and keeps the URLs.
    signature_hits = {
        where: n
        for where, blob in found.items()
        if not where.startswith("data ") and (n := sum(blob.count(s.encode()) for s in signatures))
    }
    ledger = control.ledger()
    notebook = run["notebooks"]["sweep"]
    errors = error_outputs(notebook)
    widget_state = notebook.metadata.get("widgets", {})
    figures.record(
        "R-34/35/38 canary sweep",
        "quickstart + sweep notebook, 3 %xmode × 4 failures, DEBUG logs, widget state",
        posts=len(ledger.posts()),
        canary_hits=sum(sum(forms.values()) for forms in hits.values()),
        signature_hits=sum(signature_hits.values()),
        media_auth_headers=ledger.media_with_authorization(),
        artifacts=len(found),
        tracebacks=len(errors),
        kernel_seconds=round(sum(run["seconds"].values()), 1),
    )
    control.close()
    assert found["debug log"], "the DEBUG log must have been written"
    history = b"".join(blob for name, blob in found.items() if name.startswith("history"))
    assert b"canary sweep" in history, "the kernel's IPython history must have been recorded"
    assert any(name.startswith("data ledger") for name in found), "the ledger must exist"
    assert widget_state, "nbclient must have stored the widget state"
    assert len(errors) >= len(MODES) * len(FAILING_CELLS), "every failing cell must have failed"
    assert signatures, "jobs must have handed out signed URLs"
    assert hits == {}
    assert signature_hits == {}
    assert ledger.media_with_authorization() == 0


def test_tracebacks_in_every_xmode_name_the_failure_in_plain_words(swept: Any) -> None:
    """Each forced failure surfaced as the package's own error, once per %xmode, with a message
    that says what happened -- the sweep above proved none of them carries the token."""
    run, _places, _sim, _canary = swept
    errors = error_outputs(run["notebooks"]["sweep"])
    by_name: dict[str, list[str]] = {}
    for error in errors:
        by_name.setdefault(error["ename"], []).append(error["evalue"])
    assert len(by_name.get("JobFailedError", [])) == len(MODES)
    assert all("rejected" in text for text in by_name["JobFailedError"])
    assert len(by_name.get("ValidationError", [])) == len(MODES)
    assert all("duration" in text for text in by_name["ValidationError"])
    unreachable = by_name.get("APIConnectionError", []) + by_name.get("APITimeoutError", [])
    assert len(unreachable) == len(MODES) and all("nothing was sent" in t for t in unreachable)


def test_headless_login_fails_at_once_with_guidance(swept: Any, figures: Any) -> None:
    run, _places, _sim, _canary = swept
    notebook = run["notebooks"]["sweep"]
    (cell,) = [c for c in notebook.cells if c.source.strip() == "%flow login"]
    text = json.dumps(cell.outputs)
    figures.record(
        "R-37 headless %flow login",
        "allow_stdin=False kernel (nbclient)",
        guidance=int("USEAPI_TOKEN" in text),
    )
    assert "USEAPI_TOKEN" in text


@pytest.fixture
def shell() -> Any:
    from IPython.core.interactiveshell import InteractiveShell

    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "flow_widgets")
    yield ip
    ip.run_line_magic("unload_ext", "flow_widgets")


@pytest.mark.parametrize(
    "cell",
    [
        "%flow login {canary}",
        "%flow {canary}",
        "%flow budget {canary}",
        "%%flow_video --email {canary}\na red fox",
        "%%flow_image --seed 1 {canary}\na red fox",
    ],
)
def test_a_token_given_as_a_magic_argument_is_refused_without_echo(
    shell: Any, canary: str, figures: Any, cell: str
) -> None:
    from IPython.utils.capture import capture_output

    with capture_output() as captured:
        result = shell.run_cell(cell.format(canary=canary))
    shown = captured.stdout + captured.stderr + str(result.error_in_exec or "")
    figures.record(
        "R-36 token as a magic argument",
        cell.split("\n")[0].format(canary="<canary>"),
        canary_hits=sum(shown.count(f) for f in canary_forms(canary).values()),
        refused=int(result.error_in_exec is not None or "login" in shown),
    )
    assert "never" in shown.lower() or "getpass" in shown.lower() or "USEAPI_TOKEN" in shown
    assert not any(form in shown for form in canary_forms(canary).values())


def test_after_an_interactive_login_no_widget_holds_the_token(
    shell: Any, canary: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, figures: Any
) -> None:
    import getpass

    from ipywidgets.widgets.widget import _instances

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": canary)
    from IPython.utils.capture import capture_output

    with capture_output() as captured:
        shell.run_cell("%flow login")
        shell.run_cell("import flow_widgets as fw\npanels = [fw.Studio(), fw.Jobs(), fw.Credits()]")
        shell.run_cell("%flow config")
    from flow_widgets.runtime.session import current_session

    flow = current_session()
    states = json.dumps([w.get_state() for w in list(_instances.values())], default=str)
    shown = captured.stdout + captured.stderr
    leaks = sum(states.count(f) + shown.count(f) for f in canary_forms(canary).values())
    figures.record(
        "R-36 widgets after login",
        "getpass login, then Studio/Jobs/Credits panels and %flow config",
        canary_hits=leaks,
        widgets=len(_instances),
    )
    shell.run_cell("for p in panels: p.close()")
    assert flow is not None and flow.settings.token == canary, "the login must have worked"
    assert leaks == 0
    flow.close()
    shutil.rmtree(tmp_path / "flow_media", ignore_errors=True)
