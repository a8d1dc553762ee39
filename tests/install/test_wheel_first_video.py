"""A newcomer's first video: the built wheel, no extras, a fresh environment, a plain kernel.

The environment gets only what a user brings — ``ipykernel`` for the kernel and ``nbclient`` to
run the notebook headless — plus the wheel, installed without extras. No token is set, so
``%load_ext flow_widgets`` and a ``%%flow_video --wait`` cell must reach the embedded simulator
and leave a playable video next to the notebook, with no traceback anywhere. The kernel is
pinned to the fresh environment's Python through its own kernelspec, so a kernel installed
elsewhere on the machine cannot stand in for it.

Budget: about 1–2 minutes (the install dominates; pip's cache makes repeats faster).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests.install.conftest import Dist

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(480)]

RUNNER = r"""
import json, sys
import nbformat
from nbclient import NotebookClient

folder = sys.argv[1]
nb = nbformat.v4.new_notebook()
nb.cells = [
    nbformat.v4.new_code_cell("%load_ext flow_widgets"),
    nbformat.v4.new_code_cell("%%flow_video --wait\na red fox trotting through fresh snow"),
    nbformat.v4.new_code_cell("import flow_widgets; print('FILE', flow_widgets.__file__)"),
]
nb.metadata["kernelspec"] = {"name": "fresh", "display_name": "fresh", "language": "python"}
options = {"kernel_name": "fresh", "timeout": 240, "resources": {"metadata": {"path": folder}}}
client = NotebookClient(nb, **options)
client.execute()
nbformat.write(nb, folder + "/first.ipynb")
"""


def _environment(home: Path, jupyter: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("USEAPI_", "FLOW_", "PYTHON", "JUPYTER", "VIRTUAL_ENV"))
        or k == "PYTHON_KEYRING_BACKEND"
    }
    return {
        **env,
        "FLOW_WIDGETS_HOME": str(home),
        "FLOW_SIM_TIME_SCALE": "0.01",
        "JUPYTER_PATH": str(jupyter),
        "JUPYTER_DATA_DIR": str(jupyter),
        "JUPYTER_CONFIG_DIR": str(jupyter / "config"),
        "IPYTHONDIR": str(jupyter / "ipython"),
    }


def test_the_wheel_without_extras_plays_a_first_video_with_no_token(
    dist: Dist, tmp_path: Path
) -> None:
    import av

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    jupyter = tmp_path / "jupyter"
    spec = jupyter / "kernels" / "fresh"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "fresh",
                "language": "python",
            }
        )
    )
    env = _environment(tmp_path / "home", jupyter)
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", str(dist.wheel), "ipykernel", "nbclient"],
        capture_output=True,
        text=True,
        env=env,
        timeout=420,
    )
    assert install.returncode == 0, install.stderr[-3000:]

    # The console script finds the notebooks packaged inside the wheel.
    script = env_dir / "bin" / "flow-widgets"
    copied = subprocess.run(
        [str(script), "demo", "--no-open", str(tmp_path / "demo")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert copied.returncode == 0, copied.stderr
    assert (tmp_path / "demo" / "quickstart.ipynb").is_file()
    version = subprocess.run([str(script), "--version"], capture_output=True, text=True, env=env)
    assert version.stdout.startswith("flow-widgets ")

    folder = tmp_path / "work"
    folder.mkdir()
    run = subprocess.run(
        [str(python), "-c", RUNNER, str(folder)],
        capture_output=True,
        text=True,
        env=env,
        cwd=folder,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]

    nb = json.loads((folder / "first.ipynb").read_text())
    outputs = [out for node in nb["cells"] for out in node.get("outputs", [])]
    assert all(out["output_type"] != "error" for out in outputs)
    text = json.dumps(outputs)
    assert "Traceback" not in text and "ModuleNotFoundError" not in text
    assert str(env_dir) in text, "the kernel imported the wheel from the fresh environment"

    (video,) = (folder / "flow_media").rglob("*.mp4")
    assert video.relative_to(folder).as_posix() in text, "the card points at the saved file"
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        audio = len(container.streams.audio)
    assert frames >= 24 and audio == 1
    assert not (folder / ".venv").exists() and sys.prefix != str(env_dir)
