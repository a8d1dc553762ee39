"""``notebooks/classroom.ipynb`` runs top to bottom against a real class.

Real PostgreSQL (the session's server), the simulator, the gateway in a thread; the notebook
runs in a real kernel through nbclient with the teacher's environment (``FLOW_GATEWAY_URL``,
``USEAPI_TOKEN``, ``FLOW_LEDGER_URL``), after one student has generated a video. Saved as
default JupyterLab settings save it (no widget state), the notebook must show the class in the
panel's plain fallback, enrol the new students, write the review page, and hold neither the
teacher's token nor any student's. About 15 s on this machine (budget: 60 s).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import nbformat
import pytest
from nbclient import NotebookClient

from tests.gateway.harness import (
    TEACHER_TOKEN,
    bearer,
    gateway_thread,
    setup_class,
    simulator,
    wait_done,
)
from tests.notebooks.executed import output_texts
from tests.notebooks.notebook_files import NOTEBOOK_DIR

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


def _run(workdir: Path) -> nbformat.NotebookNode:
    """Run the notebook in ``workdir`` as JupyterLab saves it by default: no widget state."""
    workdir.mkdir(parents=True, exist_ok=True)
    target = workdir / "classroom.ipynb"
    nb = nbformat.read(NOTEBOOK_DIR / "classroom.ipynb", as_version=4)  # type: ignore[no-untyped-call]
    enrol = next(c for c in nb.cells if c.source.lstrip().startswith("import shutil"))
    # the teacher runs the enrolment again: nobody's token is replaced
    nb.cells.append(nbformat.v4.new_code_cell(enrol.source))  # type: ignore[no-untyped-call]
    client = NotebookClient(
        nb,
        timeout=60,
        startup_timeout=60,
        kernel_name="python3",
        store_widget_state=False,
        resources={"metadata": {"path": str(workdir)}},
    )
    try:
        client.execute()
    finally:
        nbformat.write(nb, target)  # type: ignore[no-untyped-call]
    return nb


def test_the_teachers_notebook_shows_the_class_enrols_and_writes_the_review_without_a_token(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (student,) = setup_class(pg_url, 1, allowance=1000, budget=10_000)
    with simulator() as sim, gateway_thread(pg_url, sim) as base:
        posted = httpx.post(
            f"{base}/videos", json={"prompt": "a heron in the class pond"}, headers=bearer(student)
        )
        assert posted.status_code == 201, posted.text

        async def finish() -> dict[str, Any]:
            async with httpx.AsyncClient(timeout=30) as client:
                return await wait_done(client, base, student, posted.json()["jobid"])

        assert asyncio.run(finish())["status"] == "completed"

        monkeypatch.setenv("FLOW_GATEWAY_URL", base)
        monkeypatch.setenv("USEAPI_TOKEN", TEACHER_TOKEN)
        monkeypatch.setenv("FLOW_LEDGER_URL", pg_url)
        monkeypatch.setenv("FLOW_WIDGETS_HOME", str(tmp_path / "flow_home"))
        workdir = tmp_path / "teacher"
        nb = _run(workdir)

        errors = [
            output
            for cell in nb.cells
            if cell.cell_type == "code"
            for output in cell.outputs
            if output.output_type == "error"
        ]
        assert not errors, errors
        assert "widgets" not in nb.metadata  # as saved by default: the fallback is what shows

        # the panel's saved fallback shows the class: the student who generated, and the two
        # students the notebook enrolled
        panel_cell = next(c for c in nb.cells if c.source.startswith("panel = fw.Class("))
        (widget,) = [
            o.data
            for o in panel_cell.outputs
            if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
        ]
        html = widget["text/html"]
        assert "class budget: 100 of 10,000 credits spent" in html, html[:600]
        for name, row in (("s0", "100 of 1,000"), ("ana", "0 of 500"), ("ben", "0 of 500")):
            assert f">{name}<" in html, name
            assert any(
                line.split()[:4] == [name, *row.split()]
                for line in widget["text/plain"].splitlines()
            ), (name, widget["text/plain"])

        # the enrolled students' tokens work at the gateway, and are only in their hand-outs
        handed = {}
        for name in ("ana", "ben"):
            handed[name] = (workdir / "student_tokens" / f"{name}.txt").read_text().strip()
            assert httpx.get(f"{base}/jobs", headers=bearer(handed[name])).status_code == 200

        texts = "\n".join(output_texts(nb))
        assert f'os.environ["FLOW_API_BASE"] = "{base}"' in texts  # the student's snippet
        assert texts.count("written to student_tokens/ana.txt") == 1
        assert "ana: already enrolled, token in student_tokens/ana.txt" in texts

        page = workdir / "class-results.html"
        assert page.is_file() and "a heron in the class pond" in page.read_text()
        assert len(list((workdir / "class-results_media").glob("*.mp4"))) == 1

        saved = (workdir / "classroom.ipynb").read_text()
        for secret in (TEACHER_TOKEN, student, *handed.values()):
            assert secret not in saved
        assert TEACHER_TOKEN not in page.read_text()
