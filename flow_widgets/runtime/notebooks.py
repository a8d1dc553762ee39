"""Which notebook a job was bought from, so history shows this notebook's jobs by default.

Why: the ledger is one per machine (it must be: any kernel may re-attach any purchase), so a
listing of it shows every notebook's prompts — and a notebook shared with a colleague would
carry them. Each submission's request is therefore recorded with the notebook that asked for
it, and ``fw.Jobs()`` / ``%flow jobs`` show this notebook's by default (``all=True`` /
``--all`` for the machine).

How the notebook is known, first that answers:

1. ``JPY_SESSION_NAME`` — set by jupyter-server (JupyterLab, Notebook 7, JupyterHub) in the
   kernel's environment: the notebook's path;
2. ``__vsc_ipynb_file__`` — the notebook's path, which VS Code puts in the user namespace;
3. otherwise the kernel's own session id (plain ``ipython``, nbclient, other frontends): the
   scope is then *this kernel*, and a restart starts a new history (``--all`` shows the rest).

The record is a small table of its own next to the ledger (``notebooks.sqlite3``): request
fingerprint -> notebook. A re-run re-attaches by the same fingerprint, so it stays listed in
the notebook that re-ran it as well.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["NotebookIndex", "current_notebook", "index_for", "of_this_notebook", "record"]

_FALLBACK = f"kernel:{uuid.uuid4().hex[:12]}"  # this process, when nothing names the notebook


def current_notebook(user_ns: dict[str, Any] | None = None) -> str:
    """The notebook this kernel runs (see the module docstring for the order asked)."""
    name = os.environ.get("JPY_SESSION_NAME")
    if name:
        return name
    if user_ns is None:
        try:
            from IPython import get_ipython

            shell = get_ipython()
        except ImportError:  # pragma: no cover - IPython is installed with the package
            shell = None
        user_ns = getattr(shell, "user_ns", None) or {}
    vscode = user_ns.get("__vsc_ipynb_file__")
    if isinstance(vscode, str) and vscode:
        return vscode
    return _kernel_session() or _FALLBACK


def _kernel_session() -> str | None:
    try:
        from IPython import get_ipython

        kernel = getattr(get_ipython(), "kernel", None)
    except ImportError:  # pragma: no cover
        return None
    session = getattr(getattr(kernel, "session", None), "session", None)
    return f"kernel:{session}" if isinstance(session, str) and session else None


class NotebookIndex:
    """``fingerprint -> notebook`` records beside a ledger file (thread-safe, one connection
    per call: records are rare, one per submission)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        with self._connect() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS intents (fingerprint TEXT NOT NULL, notebook TEXT "
                "NOT NULL, created REAL NOT NULL, PRIMARY KEY (fingerprint, notebook))"
            )

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A connection for one transaction, closed afterwards."""
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=10)
        try:
            with conn:
                yield conn
        finally:
            conn.close()

    def record(self, fingerprint: str, notebook: str) -> None:
        """Remember that ``notebook`` asked for the request ``fingerprint``."""
        with self._lock, self._connect() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO intents VALUES (?, ?, ?)",
                (fingerprint, notebook, time.time()),
            )

    def fingerprints(self, notebook: str) -> set[str]:
        """The requests ``notebook`` asked for."""
        with self._lock, self._connect() as conn:
            rows = conn.execute("SELECT fingerprint FROM intents WHERE notebook = ?", (notebook,))
            return {str(row[0]) for row in rows}


_INDEXES: dict[Path, NotebookIndex] = {}
_INDEXES_LOCK = threading.Lock()


def index_for(ledger: Any) -> NotebookIndex:
    """The index kept beside ``ledger``'s file."""
    path = Path(ledger.path).with_name("notebooks.sqlite3")
    with _INDEXES_LOCK:
        if path not in _INDEXES:
            _INDEXES[path] = NotebookIndex(path)
        return _INDEXES[path]


def record(ledger: Any, fingerprint: str) -> None:
    """Record the current notebook as having asked for ``fingerprint`` (never raises: history
    scoping must not stop a purchase)."""
    with contextlib.suppress(OSError, sqlite3.Error):
        index_for(ledger).record(fingerprint, current_notebook())


def of_this_notebook(ledger: Any, submissions: list[Any]) -> list[Any]:
    """The ``submissions`` (ledger rows) the current notebook asked for."""
    try:
        mine = index_for(ledger).fingerprints(current_notebook())
    except (OSError, sqlite3.Error):
        return submissions
    return [s for s in submissions if s.fingerprint in mine]
