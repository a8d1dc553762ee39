"""The layers only import downwards: the API core never pulls in a UI or server framework, and
inside the package api <- runtime <- ui/magics (ui never imports magics)."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

CORE_MODULES = [
    "flow_widgets",
    "flow_widgets.errors",
    "flow_widgets.api.catalog",
    "flow_widgets.api.ids",
    "flow_widgets.api.requests",
    "flow_widgets.api.models",
    "flow_widgets.api.client",
]
FORBIDDEN = ["IPython", "ipywidgets", "starlette", "uvicorn", "av", "PIL", "traitlets"]


@pytest.mark.parametrize("module", CORE_MODULES)
def test_core_module_imports_no_ui_or_server_framework(module: str) -> None:
    code = textwrap.dedent(
        f"""
        import importlib, sys
        importlib.import_module({module!r})
        print(",".join(sorted(m for m in {FORBIDDEN!r} if m in sys.modules)))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "", f"{module} imported {out}"


def test_importing_the_package_is_cheap_and_lazy() -> None:
    code = "import sys, flow_widgets; print('httpx' in sys.modules, 'sqlite3' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "False False"


# -- arrows inside the package --------------------------------------------------------------------

PACKAGE = Path(__file__).resolve().parents[1] / "flow_widgets"

#: Layer -> the layers it must never import (at module level, lazily or for type checking).
#: api <- runtime <- ui / magics; the simulator stands apart and the API core never needs it.
NEVER = {
    "api": ("runtime", "ui", "magics", "simulator"),
    "runtime": ("ui", "magics"),
    "ui": ("magics",),
}


def _imported_modules(path: Path, root: Path) -> set[str]:
    """Every ``flow_widgets`` module a file imports, anywhere in it (relative imports resolved)."""
    package = ".".join(path.relative_to(root.parent).with_suffix("").parts[:-1])
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in found if name.startswith("flow_widgets.")}


def _upward_arrows(root: Path = PACKAGE) -> list[str]:
    arrows = []
    for layer, banned in NEVER.items():
        for path in sorted((root / layer).rglob("*.py")):
            for name in sorted(_imported_modules(path, root)):
                target = name.split(".")[1]
                if target in banned:
                    arrows.append(f"{path.relative_to(root.parent)} imports {name}")
    return arrows


def test_imports_inside_the_package_only_point_down_a_layer() -> None:
    assert _upward_arrows() == []


def test_the_arrow_check_sees_lazy_relative_and_type_checking_imports(tmp_path: Path) -> None:
    root = tmp_path / "flow_widgets"
    for layer in NEVER:
        (root / layer).mkdir(parents=True)
    (root / "ui" / "lazy.py").write_text(
        "def later():\n    from ..magics import _session\n", encoding="utf-8"
    )
    (root / "runtime" / "typed.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import flow_widgets.ui.cards\n",
        encoding="utf-8",
    )
    (root / "api" / "fine.py").write_text("from flow_widgets import errors\n", encoding="utf-8")
    assert _upward_arrows(root) == [
        "flow_widgets/runtime/typed.py imports flow_widgets.ui.cards",
        "flow_widgets/ui/lazy.py imports flow_widgets.magics",
        "flow_widgets/ui/lazy.py imports flow_widgets.magics._session",
    ]
