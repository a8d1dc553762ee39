"""Every documentation notebook runs top to bottom on the simulator and shows real media.

The notebooks in ``notebooks/`` are the docs, so CI runs each one in a real kernel through
nbclient (headless: magics block until their jobs end) against the embedded simulator, sped up
with ``FLOW_SIM_TIME_SCALE``. A run fails on any cell error, on any job card saved in a
non-final state, on any ``<video>``/``<img>`` whose file is missing, empty or undecodable, and
on any raw account email in an output. The static checks keep the notebooks as git should hold
them: no outputs, and an opening cell that says what the notebook teaches.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import nbformat
import pytest
from nbclient.exceptions import CellExecutionError

from tests.notebooks.executed import cards, execute, media_problems, output_texts, saved_media
from tests.notebooks.notebook_files import (
    GATEWAY_NOTEBOOKS,
    NOTEBOOK_DIR,
    NOTEBOOKS,
    is_stripped,
    read,
)

#: Wall seconds per API second for executed notebooks (a Veo Fast clip in about a second).
FAST_SIMULATOR = "0.01"
#: The simulator's demo accounts; outputs may show them only masked (ul***@gmail.com).
DEMO_EMAILS = ("ultra.demo@gmail.com", "pro.demo@gmail.com")
#: What each notebook must at least leave in its flow_media/ folder (kind -> files).
MINIMUM_MEDIA = {
    "quickstart": {"video": 1, "image": 2},
    "video_modes": {"video": 12, "image": 5, "gif": 1, "audio": 1},
    "images": {"image": 12, "video": 1},
    "studio": {"image": 2, "video": 1},
    "batch": {"image": 4, "video": 6},
    "python_api": {"video": 5, "image": 6, "gif": 1},
    "teaching": {"video": 9, "image": 3},
}


def test_the_notebook_list_is_complete() -> None:
    on_disk = {path.stem for path in NOTEBOOK_DIR.glob("*.ipynb")}
    assert on_disk == set(NOTEBOOKS) == set(MINIMUM_MEDIA) | set(GATEWAY_NOTEBOOKS)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_is_stripped_and_opens_with_what_it_teaches(name: str) -> None:
    nb = read(name)
    assert is_stripped(nb), (
        f"{name}.ipynb has outputs; run python -m tests.notebooks.notebook_files"
    )
    first = nb.cells[0]
    assert first.cell_type == "markdown"
    assert first.source.startswith("# ")
    assert "**What this notebook teaches:**" in first.source
    assert nb.metadata["kernelspec"]["name"] == "python3"
    sources = "\n".join(cell.source for cell in nb.cells)
    assert "USEAPI_TOKEN=" not in sources.replace("USEAPI_TOKEN=...", "")
    assert not re.search(r"(/work/|/tmp/|/home/\w)", sources), "a machine path in a notebook"


@pytest.mark.e2e
@pytest.mark.parametrize("name", [n for n in NOTEBOOKS if n not in GATEWAY_NOTEBOOKS])
def test_notebook_runs_on_the_simulator_and_every_result_is_there(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLOW_SIM_TIME_SCALE", FAST_SIMULATOR)
    monkeypatch.setenv("FLOW_WIDGETS_HOME", str(tmp_path / "flow_home"))
    workdir = tmp_path / "notebooks"

    nb = execute(name, workdir)

    unfinished = [card for card in cards(nb) if card.status != "completed"]
    assert not unfinished, f"cards saved before their job finished: {unfinished}"
    problems = media_problems(nb, workdir)
    assert not problems, "media that would not show:\n" + "\n".join(map(str, problems))

    saved = saved_media(workdir / "flow_media")
    broken = {file: why for file, why in saved.items() if isinstance(why, str)}
    assert not broken, f"files in flow_media/ that do not decode: {broken}"
    kinds: Counter[str] = Counter(info.kind for info in saved.values() if not isinstance(info, str))
    for kind, least in MINIMUM_MEDIA[name].items():
        assert kinds[kind] >= least, f"{name}: {kinds[kind]} {kind} file(s), expected {least}+"
    assert not list((workdir / "flow_media").glob("*.part")), "a download was left unfinished"

    texts = "\n".join(output_texts(nb))
    for email in DEMO_EMAILS:
        assert email not in texts, f"{name} shows the account {email} unmasked"
    assert "Traceback" not in texts


#: A token that must not reach any output of the classroom notebook run without a gateway.
_CANARY = "user:999-canaryNOGATEWAYsecret"


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("gateway", "said"),
    [
        (None, "This notebook needs a running classroom gateway: start one"),
        ("http://127.0.0.1:9/v1/google-flow", "did not answer"),
    ],
    ids=["no-url", "nothing-listening"],
)
def test_the_classroom_notebook_without_a_gateway_says_so_in_one_sentence_and_stops(
    gateway: str | None, said: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The classroom notebook needs a gateway (tests/gateway runs it against one); here the
    simulator alone is all there is, so its first code cell must say so in one line, not a
    traceback, and Run All must stop there."""
    monkeypatch.setenv("FLOW_WIDGETS_HOME", str(tmp_path / "flow_home"))
    monkeypatch.setenv("USEAPI_TOKEN", _CANARY)
    monkeypatch.delenv("FLOW_LEDGER_URL", raising=False)
    if gateway is None:
        monkeypatch.delenv("FLOW_GATEWAY_URL", raising=False)
    else:
        monkeypatch.setenv("FLOW_GATEWAY_URL", gateway)
    workdir = tmp_path / "notebooks"
    with pytest.raises(CellExecutionError):
        execute("classroom", workdir, timeout=60)
    nb = nbformat.read(workdir / "classroom.ipynb", as_version=4)  # type: ignore[no-untyped-call]
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    (shown,) = code[0].outputs
    assert shown.output_type == "error" and shown.ename == "NoGateway"
    (line,) = shown.traceback
    assert said in line and "Traceback" not in line and "File " not in line, line
    assert line.count(". ") <= 1 and "\n" not in line, line
    assert all(not cell.outputs for cell in code[1:]), "Run All went on past the missing gateway"
    assert _CANARY not in (workdir / "classroom.ipynb").read_text()
