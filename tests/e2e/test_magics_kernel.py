"""The magics in a real IPython kernel, executed headless by nbclient against the simulator.

nbclient is what nbconvert and papermill use, so these runs are "headless": every cell blocks
until its jobs end and a failed job raises. One notebook exercises every magic and subcommand
(cells that must fail carry nbclient's ``raises-exception`` tag); a second shows that a failed
job stops "Run All"; a third runs with a canary token and checks that no trace of it reaches
the saved notebook (widget state included), the outputs, the logs, the ledger or the file names.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from flow_widgets.simulator import RunningSimulator, start_background

pytestmark = pytest.mark.e2e

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4//8/AAX+Av4N70a4AAAAAElFTkSuQmCC"
FAST_SESSION = """\
import flow_widgets.runtime.session as _fs
from flow_widgets.simulator import Fault, start_background
_sim = start_background(time_scale=0.004, seed=11)
_posts = _sim.app_state.faults.add(Fault(route="POST /videos", action="delay", seconds=0.0))
def video_posts():
    return [f["fired"] for f in _sim.app_state.faults.listing() if f["id"] == _posts.id][0]
_fs.session(simulator=_sim)
"""


def cell(source: str, name: str, *, raises: bool = False) -> Any:
    node = nbformat.v4.new_code_cell(source)
    node.metadata["tags"] = [name, *(["raises-exception"] if raises else [])]
    return node


def kernel_env(home: Path, **extra: str) -> dict[str, str]:
    """The kernel's environment: no USEAPI_*/FLOW_* settings of the machine, its own data folder.

    Given to the kernel explicitly, so a module-scoped fixture (which runs before the per-test
    ``isolated_environment``) can never write a ledger into the user's real data folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("USEAPI_", "FLOW_"))}
    return {**env, "FLOW_WIDGETS_HOME": str(home), **extra}


def execute(
    folder: Path, cells: list[Any], *, env: dict[str, str] | None = None, **client_options: Any
) -> Any:
    """Run ``cells`` in a fresh kernel in ``folder`` (data folder ``folder/home`` unless ``env``
    says otherwise)."""
    nb = nbformat.v4.new_notebook()
    nb.cells = cells
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=180,
        resources={"metadata": {"path": str(folder)}},
        **client_options,
    )
    client.execute(env=env if env is not None else kernel_env(folder / "home"))
    return nb


def outputs(nb: Any, name: str) -> list[dict[str, Any]]:
    for node in nb.cells:
        if name in node.metadata.get("tags", []):
            return list(node.outputs)
    raise KeyError(name)


def text_of(nb: Any, name: str) -> str:
    parts = []
    for out in outputs(nb, name):
        if out["output_type"] == "stream":
            parts.append(out["text"])
        elif out["output_type"] == "error":
            parts.append(f"{out['ename']}: {out['evalue']}")
        else:
            parts.append(out.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)


def html_of(nb: Any, name: str) -> str:
    return "".join(o.get("data", {}).get("text/html", "") for o in outputs(nb, name))


def usage_error_of(nb: Any, name: str) -> str:
    """IPython prints a UsageError as one stderr line (no traceback output)."""
    cell_outputs = outputs(nb, name)
    assert not [o for o in cell_outputs if o["output_type"] == "error"], "a traceback was shown"
    (stream,) = [o for o in cell_outputs if o.get("name") == "stderr"]
    text = str(stream["text"]).strip()
    assert text.startswith("UsageError: ") and "\n" not in text
    return text


@pytest.fixture(scope="module")
def tour(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Path]]:
    """One notebook that uses every magic and subcommand, executed once."""
    folder = tmp_path_factory.mktemp("tour")
    (folder / "face.png").write_bytes(base64.b64decode(PNG))
    cells = [
        cell("%load_ext flow_widgets", "load"),
        cell(FAST_SESSION, "setup"),
        cell("%%flow_video -m veo-3.1-lite --out fox\na red fox in snow", "video"),
        cell("%%flow_video -m veo-3.1-lite --out again\na red fox in snow", "rerun"),
        cell("print(video_posts(), fox.jobid == again.jobid)", "posts"),
        cell("%%flow_video -m veo-3.1-lite --new --out take2\na red fox in snow", "new"),
        cell("print(video_posts())", "posts2"),
        cell('animal = "otter"\nplace = type("P", (), {"name": "a pier"})()', "vars"),
        cell("%%flow_video --dry-run\nan {animal} on {place.name}, {{braces}}", "dry"),
        cell("%config FlowMagics.model = 'veo-3.1-fast'", "config"),
        cell("%%flow_video --dry-run\nconfigured", "dry2"),
        cell("%%flow_video --bogus\nx", "bad_option", raises=True),
        cell("%%flow_video --ref missing.png\nx", "bad_file", raises=True),
        cell("%%flow_video\n{nobody}", "bad_name", raises=True),
        cell("%%flow_image -n 2 --out pics\na lighthouse", "image"),
        cell("%%flow_image --compare nano-banana-2,nano-banana-pro --seeds 1,2\nbeach", "grid"),
        cell('%flow extend fox "the fox leaps" -m veo-3.1-lite --out longer', "extend"),
        cell("%flow upscale fox --out big", "upscale"),
        cell("%flow gif fox", "gif"),
        cell("%flow concat fox longer --trim 2:1:0", "concat"),
        cell("%flow upload face.png --out face", "upload"),
        cell("%flow voices --source system", "voices"),
        cell(
            '%flow voice create Narrator --base Kore --dialog "Hello" --performance calm '
            "--out narrator",
            "voice_create",
        ),
        cell(
            "get_ipython().run_line_magic('flow', f'voice delete {narrator.voice}')", "voice_delete"
        ),
        cell("%flow character create Carol --image face --voice umbriel --out carol", "char"),
        cell("%flow characters", "characters"),
        cell("%flow jobs --limit 50", "jobs"),
        cell("get_ipython().run_line_magic('flow', f'job {fox.jobid}')", "job"),
        cell("%flow resume", "resume"),
        cell("%flow credits", "credits"),
        cell("%flow accounts", "accounts"),
        cell("%flow budget 1000", "budget"),
        cell("%flow captcha providers", "captcha"),
        cell("%flow captcha stats", "captcha_stats"),
        cell("%flow config", "flow_config"),
        cell("%flow", "usage"),
        cell("%flow help", "help"),
        cell("%flow login", "login", raises=True),
        cell(
            "%config FlowMagics.block = False\n"
            '_sim.app_state.faults.add(Fault(route="POST /videos", action="never_finish"))',
            "slow_setup",
        ),
        cell("%%flow_video -m veo-3.1-lite --out slow\nslow fox", "slow"),
        cell("%flow cancel all", "cancel"),
        cell("print(slow.status)", "cancelled"),
    ]
    nb = execute(folder, cells)  # its own data folder: module scope precedes the per-test one
    yield nb, folder


def test_load_ext_prints_one_line_naming_the_backend(tour: tuple[Any, Path]) -> None:
    nb, _ = tour
    text = text_of(nb, "load")
    assert text.strip().count("\n") == 0
    assert "simulator" in text and "no credits are spent" in text


def test_video_cell_blocks_until_the_video_is_shown(tour: tuple[Any, Path]) -> None:
    nb, folder = tour
    out, poster = [o for o in outputs(nb, "video") if o["output_type"] == "display_data"]
    assert set(poster["data"]) == {"image/jpeg", "text/plain"}  # the still nbviewer shows
    html = out["data"]["text/html"]
    assert '<video src="flow_media/' in html and 'preload="metadata"' in html
    src = html.split('<video src="', 1)[1].split('"', 1)[0]
    assert (folder / src).stat().st_size > 10_000
    meta = out["metadata"]["flow_widgets"]
    assert meta["model"] == "veo-3.1-lite" and meta["status"] == "completed"
    assert set(meta) >= {"job_id", "model", "credits"}
    assert "transient" not in out


def test_rerun_reattaches_with_zero_new_posts_and_new_buys_again(tour: tuple[Any, Path]) -> None:
    nb, _ = tour
    assert "Re-attached to the take this cell already bought" in html_of(nb, "rerun")
    assert text_of(nb, "posts").split() == ["1", "True"]
    assert text_of(nb, "posts2").split() == ["2"]


def test_dry_run_interpolation_and_config(tour: tuple[Any, Path]) -> None:
    nb, _ = tour
    dry = text_of(nb, "dry")
    assert dry.startswith("Dry run: nothing was sent")
    assert "an otter on a pier, {braces}" in dry
    assert '"model": "veo-3.1-fast"' in text_of(nb, "dry2")


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("bad_option", "unrecognized arguments: --bogus"),
        ("bad_file", "'missing.png' is not a file"),
        ("bad_name", "nobody"),
        ("login", "interactive"),
    ],
)
def test_bad_input_is_a_one_line_usage_error(
    tour: tuple[Any, Path], name: str, fragment: str
) -> None:
    nb, _ = tour
    assert fragment in usage_error_of(nb, name)


def test_images_and_grid(tour: tuple[Any, Path]) -> None:
    nb, _ = tour
    assert html_of(nb, "image").count("<img ") == 2
    grid = html_of(nb, "grid")
    assert "grid-template-columns:repeat(2," in grid and grid.count("<img ") == 4


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("extend", "<video"),
        ("upscale", "<video"),
        ("gif", ".gif"),
        ("concat", "<video"),
    ],
)
def test_generation_subcommands_show_cards(
    tour: tuple[Any, Path], name: str, expected: str
) -> None:
    nb, _ = tour
    html = html_of(nb, name)
    assert "fw-completed" in html and expected in html


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("upload", "Uploaded face.png: user:"),
        ("voices", "Achernar"),
        ("voice_create", "Created voice 'Narrator'"),
        ("voice_delete", "Deleted voice"),
        ("char", "Created character 'Carol'"),
        ("characters", "Carol"),
        ("jobs", "veo-3.1-lite"),
        ("resume", "Nothing to resume"),
        ("credits", "This session"),
        ("accounts", "Linked accounts"),
        ("budget", "Session budget: 1000 credits"),
        ("captcha", "Captcha providers"),
        ("captcha_stats", "Captcha statistics"),
        ("flow_config", "FlowMagics.model"),
        ("usage", "Usage: %flow SUBCOMMAND"),
        ("help", "cancel"),
        ("cancel", "keep running on the server and are charged"),
        ("cancelled", "cancelled"),
    ],
)
def test_every_subcommand_answers(tour: tuple[Any, Path], name: str, expected: str) -> None:
    nb, _ = tour
    assert expected in text_of(nb, name)


def test_job_shows_the_card_again(tour: tuple[Any, Path]) -> None:
    nb, _ = tour
    assert "<video" in html_of(nb, "job")


def test_interactive_mode_returns_at_once(tour: tuple[Any, Path]) -> None:
    nb, _ = tour
    # The job never finishes, so reaching the next cells at all shows the cell returned at once;
    # its card was then updated in place by the cancel (a later cell).
    assert "stopped watching" in text_of(nb, "slow")
    toolbars = [  # interactive cards get a toolbar (a widget; its plain text is left empty)
        o
        for o in outputs(nb, "slow")
        if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
    ]
    assert toolbars and all(o["data"]["text/plain"] == "" for o in toolbars)


def test_a_failed_job_stops_a_headless_run(tmp_path: Path) -> None:
    failing = (  # armed before the request counter, so it is the first match
        '_sim.app_state.faults.add(Fault(route="POST /videos", action="fail_job", '
        'error="PUBLIC_ERROR_UNSAFE_GENERATION"))'
    )
    setup = FAST_SESSION.replace("_posts = ", failing + "\n_posts = ")
    cells = [
        cell("%load_ext flow_widgets", "load"),
        cell(setup, "setup"),
        cell("%%flow_video -m veo-3.1-lite\na fox that fails", "fails"),
        cell("print('never reached')", "after"),
    ]
    with pytest.raises(CellExecutionError) as info:
        execute(tmp_path, cells)
    assert "JobFailedError" in str(info.value)


CANARY = "user:987654-CanaryTokenMustNeverLeak0xDEADBEEF"


@pytest.fixture
def canary_simulator() -> Iterator[RunningSimulator]:
    running = start_background(time_scale=0.004, seed=5, token=CANARY)
    try:
        yield running
    finally:
        running.stop()


def test_no_trace_of_the_token_anywhere(tmp_path: Path, canary_simulator: RunningSimulator) -> None:
    home = tmp_path / "home"
    env = kernel_env(home, USEAPI_TOKEN=CANARY, FLOW_API_BASE=canary_simulator.base_url)
    log = tmp_path / "flow.log"
    cells = [
        cell(
            f"import logging\nlogging.basicConfig(filename={str(log)!r}, level=logging.DEBUG)\n"
            "%load_ext flow_widgets\n%config FlowMagics.toolbar = True",
            "setup",
        ),
        cell("%%flow_video -m veo-3.1-lite --out fox\na fox <img src=x onerror=alert(1)>", "v"),
        cell("%%flow_image --out pic\nא שועל </script> in RTL", "i"),
        cell("%%flow_video --dry-run\nthe token is not here", "dry"),
        cell("%flow config", "config"),
        cell("%flow credits", "credits"),
        cell("%flow jobs", "jobs"),
        cell("print(repr(fox), fox.to_dict())", "repr"),
    ]
    nb = execute(tmp_path, cells, env=env, store_widget_state=True)
    saved = tmp_path / "saved.ipynb"
    nbformat.write(nb, saved)
    assert "application/vnd.jupyter.widget-state+json" in nb.metadata.get("widgets", {})
    assert "&lt;img src=x onerror=alert(1)&gt;" in html_of(nb, "v")
    assert "&lt;/script&gt;" in html_of(nb, "i")
    assert "set (environment)" in text_of(nb, "config")
    forms = [CANARY, CANARY.split("-", 1)[1], base64.b64encode(CANARY.encode()).decode()]
    places: dict[str, bytes] = {"notebook": saved.read_bytes(), "log": log.read_bytes()}
    for path in list(home.rglob("*")) + list((tmp_path / "flow_media").rglob("*")):
        if path.is_file():
            places[str(path)] = path.read_bytes() + str(path).encode()
    assert any(name.endswith(".mp4") for name in places)
    for where, data in places.items():
        for form in forms:
            assert form.encode() not in data, f"token found in {where}"
    assert json.dumps(nb.metadata["widgets"]).find("Canary") == -1
