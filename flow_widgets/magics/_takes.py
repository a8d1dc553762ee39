"""A generating cell's takes: recorded when it runs, shown as the card's strip, starred from
the toolbar, listed by ``%flow takes``. What a card does with them is
:mod:`flow_widgets.ui.cell_takes` (the Studio uses it too); the cell-id hook is in
:mod:`flow_widgets.runtime.cell_keys`; both are re-exported here.

Which cell a run belongs to comes from the cell id the frontend sends with each execution
(IPython hands it to ``pre_run_cell`` callbacks as ``ExecutionInfo.cell_id``), else the cell's
``--out`` name, else a lineage (see :mod:`flow_widgets.runtime.cell_keys`). The strip is part
of the card's own plain output; only the star and *use this prompt* need the kernel, so they
are toolbar buttons.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from flow_widgets.runtime import notebooks, take_store
from flow_widgets.runtime.cell_keys import (
    current_cell_id,
    install_cell_id_hook,
    resolve_cell_key,
    uninstall_cell_id_hook,
)
from flow_widgets.runtime.take_store import TakeStore
from flow_widgets.ui.cell_takes import (
    STRIP_MOST,
    CellTakes,
    newest_runs,
    runs,
    take_cell,
    take_views,
)
from flow_widgets.ui.takes_strip import strip_text

if TYPE_CHECKING:  # pragma: no cover
    from flow_widgets.runtime.session import FlowSession

__all__ = [
    "STRIP_MOST",
    "CellTakes",
    "cell_takes_for",
    "current_cell_id",
    "install_cell_id_hook",
    "newest_runs",
    "run_takes",
    "runs",
    "store_for",
    "take_cell",
    "take_views",
    "uninstall_cell_id_hook",
]

log = logging.getLogger("flow_widgets.takes")


def store_for(session: FlowSession) -> TakeStore:
    """The takes store in ``session``'s ledger file."""
    return take_store.store_for(session.ledger)


def cell_takes_for(
    shell: object, session: FlowSession, *, magic: str, flags: str, prompt: str, out: str | None
) -> CellTakes | None:
    """The takes of the cell running now (its key resolved now, while its id is current);
    ``None`` when the store cannot be used (the purchase itself is never affected)."""
    store = store_for(session)
    try:
        key = resolve_cell_key(
            store,
            notebooks.current_notebook(getattr(shell, "user_ns", None)),
            cell_id=current_cell_id(shell),
            out=out,
            magic=magic,
            flags=flags,
            prompt=prompt,
        )
    except Exception:
        log.exception("Finding the cell's takes failed")
        return None
    return CellTakes(store, key)


def run_takes(
    session: FlowSession, user_ns: dict[str, object], cell: str | None, *, cells: bool = False
) -> str:
    """``%flow takes``: a cell's takes in text and its starred pick.

    ``cell`` is the cell's ``--out`` name, its id, a Studio's ``name``, or a key
    ``%flow takes --cells`` lists;
    default: the cell of this notebook that ran last.
    """
    store = store_for(session)
    notebook = notebooks.current_notebook(user_ns)
    keys = store.cells(notebook)
    if not keys:
        return "No takes recorded in this notebook yet: run a %%flow_video or %%flow_image cell."
    if cells:
        lines = [f"{len(keys)} cell(s) with takes in this notebook, most recent first:"]
        for key in keys:
            records = store.takes(notebook, key)
            starred = next((f" · pick #{r.number}" for r in records if r.starred), "")
            last = " ".join(records[-1].prompt.split())
            lines.append(f"  {key}: {len(records)} take(s){starred} · last: {last[:80]}")
        return "\n".join(lines)
    if cell is None:
        wanted = keys[0]
    else:
        wanted_keys = (cell, f"out:{cell}", f"cell:{cell}", f"studio:{cell}")
        found = [k for k in wanted_keys if k in keys]
        if not found:
            return (
                f"No takes of the cell {cell!r} in this notebook; %flow takes --cells lists them."
            )
        wanted = found[0]
    records = store.takes(notebook, wanted)
    views = take_views(records)
    pick = next((r for r in records if r.starred), None)
    lines = [
        f"{len(records)} take(s) of {wanted} (recognised by its {records[0].key_source})",
        strip_text(views),
        "prompts:",
    ]
    lines += [f"  #{r.number}: {' '.join(r.prompt.split())}" for r in records]
    lines.append(f"pick: #{pick.number}" if pick else "pick: none starred yet (☆ on the card)")
    return "\n".join(lines)
