"""A local, offline twin of useapi.net's Google Flow API v1.

Same paths, bodies, ids, status codes, 429 reasons, ``Retry-After``, credits per plan,
per-account concurrency, load balancing, signed expiring media URLs on a second origin, and real
media (H.264/AAC MP4, PNG/JPEG, GIF, WAV) showing the prompt -- deterministic for a seed, on a
clock tests can advance, with fault switches for every failure a client must survive.

Three ways to run it:

* ``python -m flow_widgets.simulator --port 8787`` or ``flow-widgets simulator`` (foreground);
* :func:`start_background` -> :class:`RunningSimulator` (a daemon thread, free loopback ports);
* :func:`create_app` (an ASGI app, for ``httpx.ASGITransport`` or any server).

Test controls (``test_controls=True`` / ``--test-controls``) add ``/_sim/`` routes: ``state``,
``clock`` (advance it), ``faults`` (arm a switch per route and request number: forced status with
reason and ``Retry-After``, delay, reset, accept-then-drop, accept-then-delay, half headers,
truncated or trickled bodies, malformed bodies, failed or never-finishing jobs, Range modes),
``expire-urls``, ``ledger`` (every request on both origins, accepted jobs, charges and refunds,
webhooks, media-host ``Authorization`` refusals), ``accounts/{email}`` (credits, health, quota
blocks) and ``canary``. Generation POSTs honour ``Idempotency-Key``. The full reference is in
:mod:`flow_widgets.simulator.controls` and :mod:`flow_widgets.simulator.faults`.

Importing this package is cheap; the server machinery loads on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from flow_widgets.simulator.app import create_app
    from flow_widgets.simulator.clock import ManualClock, SystemClock
    from flow_widgets.simulator.config import AccountSpec, SimulatorConfig
    from flow_widgets.simulator.faults import Fault
    from flow_widgets.simulator.server import DEMO_TOKEN, RunningSimulator, start_background

__all__ = [
    "DEMO_TOKEN",
    "AccountSpec",
    "Fault",
    "ManualClock",
    "RunningSimulator",
    "SimulatorConfig",
    "SystemClock",
    "create_app",
    "start_background",
]

_LAZY = {
    "create_app": "flow_widgets.simulator.app",
    "ManualClock": "flow_widgets.simulator.clock",
    "SystemClock": "flow_widgets.simulator.clock",
    "AccountSpec": "flow_widgets.simulator.config",
    "SimulatorConfig": "flow_widgets.simulator.config",
    "Fault": "flow_widgets.simulator.faults",
    "DEMO_TOKEN": "flow_widgets.simulator.server",
    "RunningSimulator": "flow_widgets.simulator.server",
    "start_background": "flow_widgets.simulator.server",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'flow_widgets.simulator' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
