"""The ``flow-widgets`` command: ``--version``, ``demo`` and the shared parser.

``demo`` is run for real: the notebooks are copied from the package (here: the checkout's
``notebooks/``; the wheel's packaged copy is exercised in test_wheel_first_video.py), and when
JupyterLab is installed a real JupyterLab starts in the chosen folder — the test waits for its
"is running" line, then stops it. ``BROWSER=true`` keeps it from opening a browser window.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flow_widgets import __version__, cli, demo
from tests.install.conftest import ROOT

pytestmark = pytest.mark.timeout(180)

# The console script as the test environment's Python runs it.
COMMAND = [sys.executable, "-c", "import sys; from flow_widgets.cli import main; sys.exit(main())"]


def test_version_names_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        cli.main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"flow-widgets {__version__}"


def test_one_parser_hosts_every_subcommand() -> None:
    help_text = cli.build_parser().format_help()
    for command in cli.COMMANDS:
        assert command.name in help_text
    assert {"demo", "simulator"} <= {command.name for command in cli.COMMANDS}


def test_demo_copies_every_notebook_and_keeps_the_users_own_copy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "quickstart.ipynb").write_text("my edits")
    assert cli.main(["demo", str(folder), "--no-open"]) == 0
    expected = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert sorted(p.name for p in folder.glob("*.ipynb")) == expected
    assert (folder / "quickstart.ipynb").read_text() == "my edits"
    assert (folder / "teaching.ipynb").read_bytes() == (
        ROOT / "notebooks" / "teaching.ipynb"
    ).read_bytes()
    out = capsys.readouterr().out
    assert f"{len(expected) - 1} example notebook(s) copied" in out
    assert "not overwritten): quickstart.ipynb" in out


def test_demo_without_jupyterlab_says_what_to_open(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Stand-in: JupyterLab is installed in the test environment, so its absence is simulated.
    monkeypatch.setattr(demo, "jupyterlab_installed", lambda: False)
    monkeypatch.setattr(demo, "open_jupyterlab", lambda folder: pytest.fail("must not start"))
    assert cli.main(["demo", str(tmp_path / "d")]) == 0
    out = capsys.readouterr().out
    assert f"open {tmp_path / 'd' / 'quickstart.ipynb'} in your Jupyter" in out
    assert "pip install jupyterlab" in out


def test_demo_an_unwritable_folder_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    done = subprocess.run(
        [sys.executable, "-m", "flow_widgets.cli_main_for_tests"]
        if False
        else [
            *COMMAND,
            "demo",
            str(blocker / "sub"),
            "--no-open",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "cannot copy the notebooks" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.e2e
def test_demo_starts_jupyterlab_in_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    env = {**os.environ, "BROWSER": "true", "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt")}
    process = subprocess.Popen(
        [
            *COMMAND,
            "demo",
            str(folder),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        start_new_session=True,
    )
    seen: list[str] = []
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            seen.append(line)
            if "is running at" in line or "/lab?token=" in line:
                break
        text = "".join(seen)
        assert "starting JupyterLab on quickstart.ipynb" in text
        assert "/lab?token=" in text or "is running at" in text, text
        assert f"Serving notebooks from local directory: {folder}" in text
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()
    assert (folder / "quickstart.ipynb").is_file()
