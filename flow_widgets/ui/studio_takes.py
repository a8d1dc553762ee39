"""A Studio's generations are takes of the cell the Studio was made in.

Why: a Studio is a cell too. Pressing *Generate* (or *vary*) is the same tweak loop as editing
a ``%%flow_video`` cell — so each purchase is recorded as a take of that cell, the results board
shows the same takes strip the magic cards show (plain HTML: a reopened notebook shows it with
no kernel), ``%flow takes`` lists them, the Gallery's cell filter and starred picks include
them, and a star from the Studio is the cell's pick.

Which cell, first that answers (recorded with each take, and shown as "matched by …"):

1. ``cell id`` — the id of the cell running when the Studio was made (``fw.Studio()`` is made
   and displayed by one cell): from the magics' ``pre_run_cell`` hook, else from the
   ``execute_request`` the kernel is answering (``metadata.cellId``), so it works without
   ``%load_ext flow_widgets`` too;
2. ``name`` — ``fw.Studio(name="fox")``: the Studio's own ``--out``-like name, for frontends
   that send no cell id (Colab's older kernels, nbclient);
3. ``lineage`` — otherwise, at the Studio's first *Generate*, the rule of
   :mod:`flow_widgets.runtime.cell_keys` with ``fw.Studio() <kind>`` as the magic: an earlier
   Studio lineage of this notebook whose latest prompt shares at least half its content words.

The key is fixed for the Studio's life once decided: changing the prompt entirely in one Studio
is still the same cell. Recording never buys anything: it writes a row about a purchase the
session already made (or re-attached to).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING

from flow_widgets.runtime import notebooks
from flow_widgets.runtime.cell_keys import CellKey, current_cell_id, resolve_cell_key
from flow_widgets.runtime.take_store import TakeStore, store_for
from flow_widgets.ui.cell_takes import CellTakes

if TYPE_CHECKING:  # pragma: no cover
    from flow_widgets.api.requests import FlowRequest
    from flow_widgets.runtime.jobs import JobHandle
    from flow_widgets.runtime.session import FlowSession

__all__ = ["STUDIO_MAGIC", "StudioTakes", "cell_id_now"]

log = logging.getLogger("flow_widgets.takes")

STUDIO_MAGIC = "fw.Studio()"
"""What a Studio's takes record as their "magic" (followed by the kind of result)."""


def _shell() -> object | None:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is installed with the package
        return None
    shell: object | None = get_ipython()
    return shell


def cell_id_now(shell: object | None) -> str | None:
    """The id of the cell running now: the magics' hook's, else the one in the request the
    kernel is answering (``None`` when neither is known)."""
    if shell is None:
        return None
    found = current_cell_id(shell)
    if found:
        return found
    get_parent = getattr(getattr(shell, "kernel", None), "get_parent", None)
    if not callable(get_parent):
        return None
    try:
        parent = get_parent("shell")
    except TypeError:  # ipykernel < 6.1 keeps one parent and takes no channel
        parent = get_parent()
    metadata = parent.get("metadata") if isinstance(parent, Mapping) else None
    cell_id = metadata.get("cellId") if isinstance(metadata, Mapping) else None
    return str(cell_id) if cell_id else None


class StudioTakes:
    """Where one Studio records its takes (see the module docstring).

    Args:
        session: the Studio's session (its ledger file holds the takes).
        name: the Studio's own key where no cell id arrives.
        shell: the IPython shell (default: the running one).
    """

    def __init__(
        self, session: FlowSession, *, name: str | None = None, shell: object | None = None
    ) -> None:
        shell = _shell() if shell is None else shell
        self.session = session
        self.name = name
        self.notebook = notebooks.current_notebook(getattr(shell, "user_ns", None))
        self.cell_id = cell_id_now(shell)
        self._cell: CellTakes | None = None
        self._lock = threading.Lock()

    @property
    def store(self) -> TakeStore:
        return store_for(self.session.ledger)

    @property
    def cell(self) -> CellTakes | None:
        """The cell's takes, once the key is decided (the first take, or a cell id)."""
        with self._lock:
            if self._cell is None and (self.cell_id or self.name):
                self._cell = self._make(self._fixed_key())
            return self._cell

    def _fixed_key(self) -> CellKey:
        if self.cell_id:
            return CellKey(self.notebook, f"cell:{self.cell_id}", "cell id")
        return CellKey(self.notebook, f"studio:{self.name}", "name")

    def _make(self, key: CellKey) -> CellTakes:
        return CellTakes(self.store, key)

    def _cell_for(self, magic: str, prompt: str) -> CellTakes:
        found = self.cell
        if found is not None:
            return found
        with self._lock:
            if self._cell is None:
                key = resolve_cell_key(
                    self.store,
                    self.notebook,
                    cell_id=None,
                    out=None,
                    magic=magic,
                    flags="",
                    prompt=prompt,
                )
                self._cell = self._make(key)
            return self._cell

    def record(
        self, handle: JobHandle, request: FlowRequest | None, *, kind: str, prompt: str
    ) -> CellTakes | None:
        """Record ``handle`` (a Studio result of ``kind``: video, image, extend, upscale) as a
        take of the Studio's cell; ``None`` when the store cannot be used — the purchase is
        made whatever the store says."""
        magic = f"{STUDIO_MAGIC} {kind}"
        try:
            cell = self._cell_for(magic, prompt)
            seed = getattr(request, "seed", None)
            fingerprint = str(request.fingerprint()) if request is not None else ""
            cell.add(
                handle,
                fingerprint=fingerprint,
                magic=magic,
                flags="",
                prompt=prompt,
                seed=seed if isinstance(seed, int) else None,
                cost=None,
            )
        except Exception:
            log.exception("Recording the Studio's take failed")
            return None
        return cell

    def number_of(self, handle: JobHandle) -> tuple[int, bool] | None:
        """``(take number, starred)`` of ``handle`` in the cell, once recorded."""
        cell = self._cell
        if cell is None or not handle.submission_id:
            return None
        for record in cell.records():
            if record.submission_id == handle.submission_id:
                return record.number, record.starred
        return None
