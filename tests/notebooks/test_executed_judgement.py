"""The judge of executed notebooks catches what a reader would see broken.

The notebook runs only pass because these checks find nothing; here each check is shown a
notebook with exactly one kind of damage, so a check that stopped looking would fail.
"""

from __future__ import annotations

import base64
from pathlib import Path

import nbformat
import pytest
from nbformat import NotebookNode

from flow_widgets.simulator.media import render_image
from tests.notebooks.executed import cards, media_problems, remote_media, saved_media
from tests.notebooks.notebook_files import is_stripped, strip


def _notebook(*outputs: dict[str, object]) -> NotebookNode:
    nb: NotebookNode = nbformat.v4.new_notebook()  # type: ignore[no-untyped-call]
    cell = nbformat.v4.new_code_cell("%%flow_video\na fox")  # type: ignore[no-untyped-call]
    cell.outputs = [nbformat.from_dict(o) for o in outputs]  # type: ignore[no-untyped-call]
    cell.execution_count = 1
    nb.cells = [cell]
    return nb


def _html(markup: str, provenance: dict[str, object] | None = None) -> dict[str, object]:
    metadata = {"flow_widgets": provenance} if provenance else {}
    return {
        "output_type": "display_data",
        "data": {"text/html": markup, "text/plain": "card"},
        "metadata": metadata,
    }


@pytest.fixture(scope="module")
def png() -> bytes:
    return render_image(prompt="a fox", model="nano-banana-2", seed=1, aspect="1:1")


def test_a_good_local_file_and_a_data_uri_pass(tmp_path: Path, png: bytes) -> None:
    (tmp_path / "flow_media").mkdir()
    (tmp_path / "flow_media" / "fox.png").write_bytes(png)
    inline = "data:image/png;base64," + base64.b64encode(png).decode()
    nb = _notebook(_html(f'<img src="flow_media/fox.png"><img src="{inline}">'))
    assert media_problems(nb, tmp_path) == []


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("missing.mp4", None, "does not exist"),
        ("empty.mp4", b"", "empty"),
        ("broken.mp4", b"\x00\x00\x00\x18ftypmp42 not really a video", "does not decode"),
    ],
)
def test_missing_empty_and_undecodable_files_are_problems(
    tmp_path: Path, name: str, content: bytes | None, reason: str
) -> None:
    if content is not None:
        (tmp_path / name).write_bytes(content)
    nb = _notebook(_html(f'<video src="{name}" controls></video>'))
    problems = media_problems(nb, tmp_path)
    assert len(problems) == 1 and reason in problems[0].reason


def test_absolute_and_escaping_paths_are_problems(tmp_path: Path, png: bytes) -> None:
    (tmp_path / "inside").mkdir()
    (tmp_path / "outside.png").write_bytes(png)
    nb = _notebook(_html('<img src="/files/fox.png"><img src="../outside.png">'))
    reasons = [p.reason for p in media_problems(nb, tmp_path / "inside")]
    assert len(reasons) == 2
    assert "relative" in reasons[0] and "outside" in reasons[1]


def test_remote_media_is_set_apart_not_fetched(tmp_path: Path) -> None:
    nb = _notebook(_html('<audio src="https://example.com/voice.wav"></audio>'))
    assert media_problems(nb, tmp_path) == []
    assert [m.src for m in remote_media(nb)] == ["https://example.com/voice.wav"]


def test_cards_report_the_status_they_were_saved_with() -> None:
    nb = _notebook(
        _html(
            "<div>card</div>",
            {
                "job_id": "j1…",
                "model": "veo-3.1-fast",
                "status": "completed",
                "followups": [{"job_id": None, "model": "veo-3.1-fast", "status": "queued"}],
            },
        ),
        _html("<b>not a card</b>"),
    )
    assert [(c.model, c.status) for c in cards(nb)] == [
        ("veo-3.1-fast", "completed"),
        ("veo-3.1-fast", "queued"),
    ]


def test_saved_media_names_each_file_that_does_not_decode(tmp_path: Path, png: bytes) -> None:
    (tmp_path / "good.png").write_bytes(png)
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "junk.gif").write_bytes(b"GIF89a-not-really")
    found = saved_media(tmp_path)
    assert not isinstance(found["good.png"], str) and found["good.png"].kind == "image"
    assert found["empty.png"] == "empty"
    assert isinstance(found["junk.gif"], str) and "not a readable" in found["junk.gif"]


def test_strip_removes_outputs_counts_and_session_metadata(png: bytes) -> None:
    nb = _notebook(_html("<img src='x.png'>"))
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {}}
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nb.cells[0].metadata["execution"] = {"iopub.status.busy": "2026-01-01"}
    assert not is_stripped(nb)
    stripped = strip(nb)
    assert is_stripped(stripped)
    assert stripped.cells[0].outputs == [] and stripped.cells[0].execution_count is None
    assert set(stripped.metadata) == {"kernelspec"}
