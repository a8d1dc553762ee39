"""Interactive or headless: should a cell return at once, or block until its jobs end?

Why it matters: in JupyterLab a cell should return at once and let its card update in place. In
a pipeline ("Run All" under nbclient, ``jupyter nbconvert --execute``, papermill, CI) nobody is
watching: the kernel may exit before a background job ends, and a failed job must *raise* so the
run stops. jupyter-ai returns error strings there, and pipelines cannot tell.

The signal we use is the one frontends set on every execution: ``allow_stdin`` in the
``execute_request``. JupyterLab, Notebook 7, VS Code and Colab send ``true`` (they can answer
``input()``); nbclient — and so nbconvert and papermill — sends ``false``. ipykernel keeps the
flag on the kernel as ``_allow_stdin`` while the cell runs. With no kernel at all (terminal
IPython, a plain ``InteractiveShell``) nothing can update a display in place, so we block too.

Overrides, strongest first: the magic's ``--wait``; ``%config FlowMagics.block = True|False``;
the ``FLOW_WIDGETS_BLOCK`` environment variable (``1``/``0``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from IPython.core.interactiveshell import InteractiveShell

__all__ = ["ENV_BLOCK", "has_live_frontend", "should_block"]

ENV_BLOCK = "FLOW_WIDGETS_BLOCK"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def has_live_frontend(shell: InteractiveShell | None) -> bool:
    """True when a frontend that can update displays in place is attached to this execution."""
    kernel = getattr(shell, "kernel", None)
    if kernel is None:
        return False
    return bool(getattr(kernel, "_allow_stdin", False))


def should_block(
    shell: InteractiveShell | None,
    *,
    wait: bool = False,
    configured: bool | None = None,
    env: Mapping[str, str] | None = None,
) -> bool:
    """Decide whether a magic blocks until its jobs end (and raises when one fails).

    Args:
        shell: the running IPython shell.
        wait: the magic's ``--wait`` flag (always blocks).
        configured: ``FlowMagics.block`` (``None`` = decide automatically).
        env: the environment (default ``os.environ``).

    >>> should_block(None)            # no kernel: nothing could update in place
    True
    >>> should_block(None, configured=False)
    False
    """
    if wait:
        return True
    if configured is not None:
        return configured
    value = (os.environ if env is None else env).get(ENV_BLOCK, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    return not has_live_frontend(shell)
