"""The embedded simulator: what a session talks to when no API token is configured.

Why: a classroom or a first try must work offline and spend nothing (DESIGN decision 9). With
no token, :func:`embedded_simulator` starts the local twin of the API once per process, on
loopback, with an accelerated clock so a 100 s Veo clip is ready in seconds, and says so once in
one plain sentence. The simulator's modules (starlette, uvicorn, PyAV) are imported only here and
only then, so ``import flow_widgets`` stays cheap.
"""

from __future__ import annotations

import atexit
import importlib.util
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flow_widgets.errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    from flow_widgets.simulator.server import RunningSimulator

__all__ = ["BANNER", "DEFAULT_TIME_SCALE", "embedded_simulator", "stop_embedded_simulator"]

#: Wall seconds per API second in the embedded simulator (a 100 s clip takes 3 s).
DEFAULT_TIME_SCALE = 0.03

BANNER = (
    "flow_widgets: no USEAPI_TOKEN was found, so this session uses the built-in Google Flow "
    "simulator at {url} -- results are synthetic and no credits are spent. Set USEAPI_TOKEN "
    "(in the environment or a .env file) to use the real API.\n"
)

# What the simulator imports, including what it imports only when it first draws a clip.
_SIMULATOR_MODULES = ("starlette", "uvicorn", "av", "PIL", "numpy")

_lock = threading.Lock()
_running: RunningSimulator | None = None
_announced = False
_atexit_registered = False


def _stderr(text: str) -> None:
    sys.stderr.write(text)
    sys.stderr.flush()


def embedded_simulator(
    *,
    announce: Callable[[str], None] | None = None,
    time_scale: float | None = None,
    **simulator_options: Any,
) -> RunningSimulator:
    """The process's embedded simulator, started on first use; the banner is shown once.

    ``time_scale`` defaults to ``FLOW_SIM_TIME_SCALE`` when set, else :data:`DEFAULT_TIME_SCALE`.
    """
    global _running, _announced, _atexit_registered
    with _lock:
        if _running is not None and _running._thread.is_alive():
            return _running
        from flow_widgets.runtime.settings import simulator_time_scale

        start_background = _simulator_starter()

        if time_scale is None:
            time_scale = simulator_time_scale() or DEFAULT_TIME_SCALE
        _running = start_background(time_scale=time_scale, **simulator_options)
        if not _atexit_registered:
            atexit.register(stop_embedded_simulator)
            _atexit_registered = True
        if not _announced:
            (announce or _stderr)(BANNER.format(url=_running.base_url))
            _announced = True
        return _running


def _simulator_starter() -> Callable[..., RunningSimulator]:
    """The simulator's entry point, or one plain sentence naming what to install.

    The simulator's packages are core dependencies, but an environment can still lack one (a
    ``--no-deps`` install, a package removed by hand, a platform without a wheel). The media
    packages are imported only when the first clip is drawn, so they are looked up here, before
    anything is sent, rather than failing inside the server later."""
    missing = next((name for name in _SIMULATOR_MODULES if not _importable(name)), None)
    if missing is None:
        try:
            from flow_widgets.simulator.server import start_background
        except ImportError as exc:
            missing = exc.name or "a simulator package"
        else:
            return start_background
    raise ConfigError(
        f"The built-in simulator needs the Python package {missing!r}, which is not installed "
        "here: run  pip install --upgrade flow-widgets  in this kernel's environment and restart "
        "the kernel (or set USEAPI_TOKEN to use the real API)."
    )


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def stop_embedded_simulator() -> None:
    """Stop the embedded simulator if it runs (at exit, or from tests)."""
    global _running
    with _lock:
        running, _running = _running, None
    if running is not None:
        running.stop()
