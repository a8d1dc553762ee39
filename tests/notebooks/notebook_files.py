"""The notebooks in ``notebooks/`` as files: which ones there are, and keeping them stripped.

Why: the notebooks are the documentation and live in git without outputs, so a diff shows only
what someone changed in the text or the code, never a re-run's noise (new job ids, timings,
file sizes). Stripping uses nbformat alone — no nbstripout dependency. Run it after editing a
notebook in Jupyter::

    python -m tests.notebooks.notebook_files            # strip every notebook in place
    python -m tests.notebooks.notebook_files --check    # exit 1 if any still has outputs
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import nbformat
from nbformat import NotebookNode

__all__ = [
    "GATEWAY_NOTEBOOKS",
    "NOTEBOOKS",
    "NOTEBOOK_DIR",
    "is_stripped",
    "main",
    "read",
    "strip",
    "strip_file",
]

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"

#: Every documentation notebook, in reading order.
NOTEBOOKS = (
    "quickstart",
    "video_modes",
    "images",
    "studio",
    "batch",
    "python_api",
    "teaching",
    "classroom",
)

#: Notebooks that need a running classroom gateway: the simulator alone cannot run them, so
#: the every-notebook run leaves them to tests/gateway and checks only what they say without one.
GATEWAY_NOTEBOOKS = ("classroom",)

# Metadata a frontend adds while someone works on a notebook; none of it belongs in git.
_VOLATILE_CELL_METADATA = ("execution", "collapsed", "scrolled", "jupyter", "tags")
_KEPT_NOTEBOOK_METADATA = ("kernelspec", "language_info")


def read(name: str) -> NotebookNode:
    """The notebook ``notebooks/<name>.ipynb`` as nbformat v4."""
    nb: NotebookNode = nbformat.read(  # type: ignore[no-untyped-call]
        NOTEBOOK_DIR / f"{name}.ipynb", as_version=4
    )
    return nb


def strip(nb: NotebookNode) -> NotebookNode:
    """``nb`` without outputs, execution counts, widget state or per-session metadata."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        for key in _VOLATILE_CELL_METADATA:
            cell.metadata.pop(key, None)
    kept = {k: nb.metadata[k] for k in _KEPT_NOTEBOOK_METADATA if k in nb.metadata}
    language = kept.get("language_info")
    if language is not None:
        kept["language_info"] = {"name": language.get("name", "python")}
    nb.metadata = nbformat.from_dict(kept)  # type: ignore[no-untyped-call]
    return nb


def is_stripped(nb: NotebookNode) -> bool:
    """True when ``nb`` carries no outputs, counts, widget state or volatile metadata."""
    for cell in nb.cells:
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None):
            return False
        if any(key in cell.metadata for key in _VOLATILE_CELL_METADATA):
            return False
    return set(nb.metadata) <= set(_KEPT_NOTEBOOK_METADATA)


def strip_file(path: Path) -> bool:
    """Strip ``path`` in place; True when it changed."""
    nb = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
    if is_stripped(nb):
        return False
    nbformat.write(strip(nb), path)  # type: ignore[no-untyped-call]
    return True


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.notebooks.notebook_files",
        description="Strip outputs from the documentation notebooks.",
    )
    parser.add_argument("--check", action="store_true", help="only report; exit 1 if unstripped")
    args = parser.parse_args(argv)
    dirty = []
    for name in NOTEBOOKS:
        path = NOTEBOOK_DIR / f"{name}.ipynb"
        if args.check:
            if not is_stripped(nbformat.read(path, as_version=4)):  # type: ignore[no-untyped-call]
                dirty.append(path.name)
        elif strip_file(path):
            print(f"stripped {path.name}")
    if dirty:
        print(f"notebooks with outputs: {', '.join(dirty)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
