"""flow_widgets: Google Flow (Veo 3.1, Omni Flash, Nano Banana, Imagen 4) inside Jupyter.

Importing this package does no work: no network, no database, no heavy imports. Names are
loaded on first use, so ``import flow_widgets`` stays cheap inside a kernel.

Example:
    >>> from flow_widgets import FlowClient                      # doctest: +SKIP
    >>> client = FlowClient(token="user:1-abc", base_url="http://127.0.0.1:8787")  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from flow_widgets._version import __version__

if TYPE_CHECKING:  # pragma: no cover
    from flow_widgets.api.client import AsyncFlowClient, FlowClient
    from flow_widgets.runtime.session import session
    from flow_widgets.ui.class_panel import Class
    from flow_widgets.ui.compare import show
    from flow_widgets.ui.credits import Credits
    from flow_widgets.ui.dashboard import Jobs
    from flow_widgets.ui.export import export
    from flow_widgets.ui.gallery import Gallery
    from flow_widgets.ui.library import Characters, Voices
    from flow_widgets.ui.presenter import present
    from flow_widgets.ui.studio import Studio

__all__ = [
    "AsyncFlowClient",
    "Characters",
    "Class",
    "Credits",
    "FlowClient",
    "Gallery",
    "Jobs",
    "Studio",
    "Voices",
    "__version__",
    "export",
    "load_ipython_extension",
    "present",
    "session",
    "show",
    "unload_ipython_extension",
]

# Public name -> module that defines it. Resolved lazily by ``__getattr__``.
_LAZY = {
    "FlowClient": "flow_widgets.api.client",
    "AsyncFlowClient": "flow_widgets.api.client",
    "session": "flow_widgets.runtime.session",
    "export": "flow_widgets.ui.export",
    "Studio": "flow_widgets.ui.studio",
    "Jobs": "flow_widgets.ui.dashboard",
    "Credits": "flow_widgets.ui.credits",
    "Class": "flow_widgets.ui.class_panel",
    "Gallery": "flow_widgets.ui.gallery",
    "Voices": "flow_widgets.ui.library",
    "Characters": "flow_widgets.ui.library",
    "show": "flow_widgets.ui.compare",
    "present": "flow_widgets.ui.presenter",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'flow_widgets' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def load_ipython_extension(ipython: Any) -> None:
    """Register the magics (``%load_ext flow_widgets``)."""
    from flow_widgets import magics

    magics.load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """Stop background work and remove the magics (``%unload_ext flow_widgets``)."""
    from flow_widgets import magics

    magics.unload(ipython)
