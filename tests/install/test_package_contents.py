"""What ``pip install flow-widgets`` and the source archive really contain.

Built from this checkout with the same backend a release uses; each archive is opened and its
file list checked against the repository: the code and the example notebooks are in, the tests,
caches and media are out, the licence travels with both, and the wheel's metadata asks for the
simulator's packages but not for a kernel or a Jupyter frontend.
"""

from __future__ import annotations

import re
import tarfile
import zipfile
from email.parser import Parser

import pytest

from tests.install.conftest import ROOT, Dist

pytestmark = pytest.mark.timeout(300)

MEDIA = re.compile(r"\.(mp4|webm|mov|png|jpe?g|gif|webp|wav|mp3|m4a|sqlite3)$", re.IGNORECASE)
JUNK = re.compile(
    r"(__pycache__|\.pyc$|\.mypy_cache|\.ruff_cache|\.pytest_cache|\.ipynb_checkpoints|"
    r"(^|/)\.env$|(^|/)flow_media/)"
)


def _notebooks() -> list[str]:
    found = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert found, "the repository has example notebooks"
    return found


def _modules() -> list[str]:
    return sorted(
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "flow_widgets").rglob("*.py")
        if "__pycache__" not in p.parts
    )


def _wheel_names(dist: Dist) -> list[str]:
    with zipfile.ZipFile(dist.wheel) as archive:
        return archive.namelist()


def _sdist_names(dist: Dist) -> list[str]:
    with tarfile.open(dist.sdist) as archive:
        names = [m.name for m in archive.getmembers() if m.isfile()]
    prefix = names[0].split("/", 1)[0] + "/"
    assert all(n.startswith(prefix) for n in names)
    return [n[len(prefix) :] for n in names]


def test_the_wheel_holds_the_code_and_the_notebooks_and_nothing_else(dist: Dist) -> None:
    names = _wheel_names(dist)
    assert set(_modules()) <= set(names)
    assert "flow_widgets/py.typed" in names
    assert {f"flow_widgets/notebooks/{n}" for n in _notebooks()} <= set(names)
    outside = [n for n in names if not n.startswith(("flow_widgets/", "flow_widgets-"))]
    assert outside == []
    assert [n for n in names if n.startswith("tests/") or "/tests/" in n] == []
    assert [n for n in names if JUNK.search(n)] == []
    assert [n for n in names if MEDIA.search(n)] == []


def test_the_wheel_carries_the_mit_licence_and_core_dependencies(dist: Dist) -> None:
    with zipfile.ZipFile(dist.wheel) as archive:
        names = archive.namelist()
        (licence,) = [n for n in names if n.endswith(".dist-info/licenses/LICENSE")]
        assert archive.read(licence).decode().startswith("MIT License")
        (meta_name,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        meta = Parser().parsestr(archive.read(meta_name).decode())
        (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        assert "flow-widgets = flow_widgets.cli:main" in archive.read(entry_points).decode()
    assert meta["License-Expression"] == "MIT"
    requires = meta.get_all("Requires-Dist") or []
    core = {
        re.split(r"[<>=!~\[; ]", r, maxsplit=1)[0].lower() for r in requires if "extra ==" not in r
    }
    assert {"starlette", "uvicorn", "av", "pillow", "numpy", "ipython", "ipywidgets"} <= core
    assert {"python-dotenv", "platformdirs", "anywidget", "httpx"} <= core
    assert core.isdisjoint({"ipykernel", "jupyterlab", "notebook", "jupyter-server", "keyring"})


def test_the_sdist_holds_what_builds_the_wheel_and_no_tests_caches_or_media(dist: Dist) -> None:
    names = _sdist_names(dist)
    assert {"pyproject.toml", "README.md", "LICENSE", "PKG-INFO"} <= set(names)
    assert set(_modules()) <= set(names)
    assert {f"notebooks/{n}" for n in _notebooks()} <= set(names)
    assert [n for n in names if n.startswith(("tests/", "docs/", ".ci/"))] == []
    assert [n for n in names if JUNK.search(n)] == []
    assert [n for n in names if MEDIA.search(n)] == []
