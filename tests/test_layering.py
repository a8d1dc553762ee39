"""The three layers only import downwards: the API core never pulls in a UI or server framework."""

from __future__ import annotations

import subprocess
import sys
import textwrap

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
