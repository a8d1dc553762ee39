"""``auto`` in VS Code: clips are shown through a companion whose sound VS Code can play.

VS Code is recognised by the ``__vsc_ipynb_file__`` name its Jupyter extension defines in the
kernel's namespace; here the first cell defines it, as VS Code does before any cell runs. A
``jupyter lab`` started from VS Code's terminal inherits VS Code's environment variables but
has no such name, so it must stay on plain files.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import av
import pytest

from flow_widgets.runtime.companions import VSCODE_AUDIO
from tests.media.support import card_html, run_notebook

CELLS = [
    "%%flow_video -m veo-3.1-lite --wait\na red fox crossing a snowy field",
    "%flow config",
]
VSCODE_ENV = {
    "TERM_PROGRAM": "vscode",
    "VSCODE_PID": "4242",
    "VSCODE_CWD": "/home/someone",
    "VSCODE_IPC_HOOK_CLI": "/tmp/vscode-ipc-1.sock",
    "VSCODE_GIT_ASKPASS_MAIN": "/usr/share/code/askpass-main.js",
}


def _card(nb: Any) -> str:
    cell = next(c for c in nb.cells if c.source.startswith("%%flow_video"))
    return card_html(cell)


def _shown(nb: Any, folder: Path) -> tuple[Path, str]:
    sources = re.findall(r'<video src="([^"]+)"', _card(nb))
    assert len(sources) == 1
    config = str(next(c for c in nb.cells if c.source == "%flow config").outputs)
    return folder / unquote(sources[0]), config


def _streams(path: Path) -> dict[str, str]:
    with av.open(str(path)) as container:
        return {s.type: s.codec_context.name for s in container.streams}


@pytest.mark.timeout(300)
def test_kernel_with_vscode_name_shows_clips_with_playable_sound(tmp_path: Path) -> None:
    nb = run_notebook(tmp_path, ['__vsc_ipynb_file__ = "/home/someone/class.ipynb"', *CELLS])
    played, config = _shown(nb, tmp_path)
    assert played.parent.name == "vscode" and played.is_file()
    streams = _streams(played)
    assert streams["video"] == "h264" and streams["audio"] in VSCODE_AUDIO
    original = played.parent.parent / played.name
    assert _streams(original)["audio"] == "aac"  # what the simulator (and Veo 3.1) delivers
    assert f'href="flow_media/{played.name}"' in _card(nb)  # the caption links the original
    assert "__vsc_ipynb_file__" in config and "MP3" in config


@pytest.mark.timeout(300)
def test_vscode_environment_alone_stays_on_files(tmp_path: Path) -> None:
    nb = run_notebook(tmp_path, CELLS, env=VSCODE_ENV)
    played, config = _shown(nb, tmp_path)
    assert played.parent.name == "flow_media"
    assert not (tmp_path / "flow_media" / "vscode").exists()
    assert "neither VS Code nor Colab" in config
