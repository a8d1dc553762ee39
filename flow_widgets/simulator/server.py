"""Run the simulator: in the background of this process, or in the foreground for the CLI.

:func:`start_background` binds two free loopback ports (API and media origin), builds the app
with the media origin's real address, and serves both with uvicorn on one daemon thread, so a
notebook, a test or a benchmark gets a live HTTP server in about a tenth of a second::

    with start_background(seed=1, test_controls=True) as sim:
        httpx.get(f"{sim.base_url}/accounts", headers={"Authorization": f"Bearer {sim.token}"})

:func:`serve` does the same in the foreground until interrupted (``python -m
flow_widgets.simulator``). Both bind ``127.0.0.1`` only: the simulator accepts any token in demo
mode and must never be reachable from another machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal

import uvicorn
from starlette.applications import Starlette

from flow_widgets.simulator.app import API_PREFIX, create_app
from flow_widgets.simulator.state import SimulatorState

__all__ = ["DEMO_TOKEN", "HOST", "RunningSimulator", "serve", "start_background"]

HOST = "127.0.0.1"
#: Shown to users in demo mode, where any non-empty token is accepted.
DEMO_TOKEN = "user:12345-simulatordemo"
_START_TIMEOUT = 10.0


def _bind(port: int) -> socket.socket:
    # IPPROTO_TCP (not 0) matters: asyncio only sets TCP_NODELAY on sockets whose protocol says
    # TCP, and without it every reply waits ~40 ms for Nagle and delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError:
        sock.close()
        raise
    sock.listen(128)
    sock.setblocking(False)
    return sock


def _server(app: Starlette, *, lifespan: Literal["on", "off"]) -> uvicorn.Server:
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan=lifespan, timeout_graceful_shutdown=2
    )
    return uvicorn.Server(config)


@dataclass
class RunningSimulator:
    """A simulator serving in the background; stop it with :meth:`stop` or a ``with`` block."""

    base_url: str
    media_base_url: str
    token: str = field(repr=False)
    app: Starlette = field(repr=False)
    _servers: tuple[uvicorn.Server, ...] = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    @property
    def app_state(self) -> SimulatorState:
        """The shared simulator state (accounts, jobs, ledger, clock…)."""
        state: SimulatorState = self.app.state.sim
        return state

    @property
    def headers(self) -> dict[str, str]:
        """Request headers carrying the token, for quick scripts and tests."""
        return {"Authorization": f"Bearer {self.token}"}

    def advance(self, seconds: float) -> None:
        """Move the simulated clock forward and let the server act on it at once."""
        self.app_state.clock.advance(seconds)
        self.app_state.scheduler.wake()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop both servers and wait for the thread to end."""
        for server in self._servers:
            server.should_exit = True
        self._thread.join(timeout)

    def __enter__(self) -> RunningSimulator:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_background(
    *, port: int = 0, media_port: int = 0, **factory_kwargs: Any
) -> RunningSimulator:
    """Serve a new simulator on loopback from a daemon thread; ``factory_kwargs`` go to
    :func:`~flow_widgets.simulator.app.create_app`. Ports default to free ones."""
    api_sock = _bind(port)
    try:
        media_sock = _bind(media_port)
    except OSError:
        api_sock.close()
        raise
    api_port, media_port = api_sock.getsockname()[1], media_sock.getsockname()[1]
    media_base = f"http://{HOST}:{media_port}"
    try:
        app = create_app(media_origin=media_base, **factory_kwargs)
    except BaseException:
        api_sock.close()
        media_sock.close()
        raise
    servers = (_server(app, lifespan="on"), _server(app.state.media_app, lifespan="off"))
    failure: list[BaseException] = []

    async def main() -> None:
        await asyncio.gather(
            servers[0].serve(sockets=[api_sock]), servers[1].serve(sockets=[media_sock])
        )

    def run() -> None:
        try:
            asyncio.run(main())
        except BaseException as exc:  # noqa: BLE001 - reported to the starting thread
            failure.append(exc)
        finally:
            api_sock.close()
            media_sock.close()

    thread = threading.Thread(target=run, name="flow-widgets-simulator", daemon=True)
    thread.start()
    deadline = time.monotonic() + _START_TIMEOUT
    while not all(server.started for server in servers):
        if failure or not thread.is_alive() or time.monotonic() > deadline:
            for server in servers:
                server.should_exit = True
            thread.join(2)
            raise RuntimeError(
                f"the simulator did not start: {failure[0] if failure else 'timeout'}"
            )
        time.sleep(0.01)
    state: SimulatorState = app.state.sim
    return RunningSimulator(
        base_url=f"http://{HOST}:{api_port}{API_PREFIX}",
        media_base_url=media_base,
        token=state.config.token or DEMO_TOKEN,
        app=app,
        _servers=servers,
        _thread=thread,
    )


def serve(
    *, port: int = 8787, media_port: int = 0, announce: Any = print, **factory_kwargs: Any
) -> None:
    """Serve in the foreground until Ctrl-C; ``announce`` prints the addresses and token."""
    with start_background(port=port, media_port=media_port, **factory_kwargs) as sim:
        configured = sim.app_state.config.token is not None
        announce(f"Google Flow simulator: {sim.base_url}")
        announce(f"media origin:          {sim.media_base_url}")
        if configured:
            announce("token:                 the one you configured")
        else:
            announce(f"demo token:            {sim.token}  (any non-empty token works)")
        announce("Press Ctrl-C to stop.")
        with contextlib.suppress(KeyboardInterrupt):
            while sim._thread.is_alive():
                sim._thread.join(0.5)
