"""``flow-widgets demo``: the example notebooks for people who installed with pip.

Why: a pip user has no checkout and no ``make demo``. The notebooks ship inside the package;
this copies them into a folder the user picks (never overwriting a notebook already there, since
it may hold their own edits) and opens the quickstart in JupyterLab when JupyterLab is installed
in this environment. Otherwise it says which file to open in whatever Jupyter they use.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

__all__ = ["add_arguments", "copy_notebooks", "notebooks_source", "run"]

FIRST = "quickstart.ipynb"


def notebooks_source() -> Path:
    """The packaged notebooks; in a source checkout, the repository's ``notebooks/`` folder."""
    packaged = Path(str(resources.files("flow_widgets") / "notebooks"))
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "notebooks"


def copy_notebooks(folder: Path) -> tuple[list[Path], list[Path]]:
    """Copy every example notebook into ``folder``; returns (copied, already there)."""
    source = notebooks_source()
    notebooks = sorted(source.glob("*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(f"no example notebooks found in {source}")
    folder.mkdir(parents=True, exist_ok=True)
    copied: list[Path] = []
    kept: list[Path] = []
    for notebook in notebooks:
        target = folder / notebook.name
        if target.exists():
            kept.append(target)
        else:
            shutil.copyfile(notebook, target)
            copied.append(target)
    return copied, kept


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the demo's options to ``parser``."""
    parser.add_argument(
        "folder",
        nargs="?",
        default="flow_widgets_demo",
        help="where to put the notebooks (default: ./flow_widgets_demo; created if missing)",
    )
    parser.add_argument(
        "--no-open", action="store_true", help="copy the notebooks only; do not start JupyterLab"
    )
    return parser


def jupyterlab_installed() -> bool:
    """True when JupyterLab can be started from this environment's Python."""
    return importlib.util.find_spec("jupyterlab") is not None


def open_jupyterlab(folder: Path) -> int:
    """Start JupyterLab in ``folder`` on the quickstart (returns when the user stops it).

    As root (containers, cloud machines) JupyterLab refuses to start unless told
    ``--allow-root``; ``make demo`` passes it too."""
    command = [sys.executable, "-m", "jupyterlab", FIRST]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    return subprocess.call(command, cwd=folder)


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Copy the notebooks, then open JupyterLab or say what to open."""
    folder = Path(args.folder).expanduser().resolve()
    try:
        copied, kept = copy_notebooks(folder)
    except OSError as exc:
        parser.exit(2, f"flow-widgets demo: cannot copy the notebooks into {folder}: {exc}\n")
    print(f"flow-widgets demo: {len(copied)} example notebook(s) copied into {folder}")
    if kept:
        names = ", ".join(path.name for path in kept)
        print(f"  kept your existing copies (not overwritten): {names}")
    first = folder / FIRST
    if args.no_open:
        print(f"  open {first} in JupyterLab, Notebook, VS Code or Colab")
        return 0
    if not jupyterlab_installed():
        print(f"  JupyterLab is not installed here; open {first} in your Jupyter,")
        print(f"  or: pip install jupyterlab  then  jupyter lab {folder}")
        return 0
    print(f"  starting JupyterLab on {FIRST} (no useapi.net token needed; Ctrl+C stops it)")
    return open_jupyterlab(folder)
