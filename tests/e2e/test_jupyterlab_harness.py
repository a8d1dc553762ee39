"""The browser harness itself works: JupyterLab runs a notebook in Chromium and saves outputs."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from tests.e2e.jupyter import Lab

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def _notebook(path: Path, *sources: str) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)


def test_run_all_and_save_keeps_outputs(lab: Lab, lab_root: Path) -> None:
    _notebook(
        lab_root / "smoke.ipynb",
        "print(6 * 7)",
        "from IPython.display import HTML\nHTML('<b id=\"flow-smoke\">ok</b>')",
    )
    lab.open("smoke.ipynb")
    lab.run_all()
    assert lab.page.inner_text("#flow-smoke") == "ok"
    lab.save()
    saved = json.loads((lab_root / "smoke.ipynb").read_text())
    texts = json.dumps([c.get("outputs") for c in saved["cells"]])
    assert "42" in texts
    assert "flow-smoke" in texts
