"""The teaching notebook runs unchanged in every media mode, and every result it shows is there.

``files`` is what the notebook suite runs already; here the same lesson runs with
``FLOW_MEDIA_MODE`` set to each other mode (and once as VS Code sees it, through the name VS
Code defines in the kernel), and every ``src`` and poster it leaves behind must decode:
embedded previews and posters from the notebook itself, files from the lesson's folder, and
served URLs through the kernel's server while it still runs (checked in the lesson's last cell).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.notebooks.executed import cards, execute, media_problems, output_texts, shown_media

pytestmark = pytest.mark.e2e

_SERVED_PROBE = """
import json, urllib.request
import flow_widgets.runtime.media_server as ms
ok = []
for server in list(ms._servers.values()):
    for path in sorted(server.folder.iterdir()):
        if path.is_file():
            with urllib.request.urlopen(server.url_for(path)) as answer:
                ok.append(answer.status == 200 and len(answer.read()) == path.stat().st_size)
print(json.dumps({"served_ok": ok}))
"""
#: An IPython startup file defines the name before any cell runs, as VS Code does.
_VSCODE = '__vsc_ipynb_file__ = "lesson.ipynb"\n'


@pytest.mark.timeout(600)
@pytest.mark.parametrize("mode", ["embed", "serve", "vscode"])
def test_teaching_notebook_in_every_mode(
    mode: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLOW_SIM_TIME_SCALE", "0.01")
    monkeypatch.setenv("FLOW_WIDGETS_HOME", str(tmp_path / "flow_home"))
    monkeypatch.setenv("FLOW_MEDIA_MODE", "auto" if mode == "vscode" else mode)
    monkeypatch.delenv("USEAPI_TOKEN", raising=False)
    workdir = tmp_path / "lesson"
    extra = [_SERVED_PROBE] if mode == "serve" else []
    if mode == "vscode":
        startup = tmp_path / "ipython" / "profile_default" / "startup"
        startup.mkdir(parents=True)
        (startup / "00-vscode.py").write_text(_VSCODE)
        monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    nb = execute("teaching", workdir, extra_cells=extra, timeout=600)

    shown = shown_media(nb)
    assert shown, "the lesson showed no media"
    problems = media_problems(nb, workdir)
    assert not problems, "\n".join(map(str, problems))
    assert cards(nb) and all(c.status == "completed" for c in cards(nb))
    sources = [m.src for m in shown]
    if mode == "embed":
        assert any(s.startswith("data:video/mp4;base64,") for s in sources)
    if mode == "vscode":
        assert any("/vscode/" in s for s in sources)
    if mode == "serve":
        assert any(s.startswith("http://127.0.0.1:") for s in sources)
        said = [json.loads(t) for t in output_texts(nb) if t.startswith('{"served_ok"')]
        assert said and said[0]["served_ok"] and all(said[0]["served_ok"])
