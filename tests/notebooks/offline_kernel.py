"""Kernels with no network: in a fresh network namespace, or behind a socket-level guard.

Why: a teacher must be able to run a lesson with the network off. The strongest proof runs the
kernel where no network exists at all — a new Linux network namespace (``unshare --net``, which
needs root) with only its loopback interface brought up, so the embedded simulator on
127.0.0.1 still works and every other address is unreachable. Where that is not allowed, the
kernel starts behind :func:`install_guard`, which refuses every socket connection or datagram
to a non-loopback address and every name lookup other than ``localhost``.

Either way the kernel talks to the test over IPC (unix sockets in the file system), which
crosses network namespaces, instead of TCP.

Run as a module to start a guarded kernel: ``python -m tests.notebooks.offline_kernel -f
CONNECTION_FILE``.
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = [
    "NETNS",
    "SOCKET_GUARD",
    "OfflineRefusal",
    "install_guard",
    "kernel_command",
    "netns_available",
    "write_kernelspec",
]

NETNS = "netns"
SOCKET_GUARD = "socket-guard"
_REPO = Path(__file__).resolve().parents[2]
_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


class OfflineRefusal(OSError):
    """A connection the offline guard refused (it would have left this machine)."""


def _is_loopback(host: Any) -> bool:
    if not isinstance(host, str):
        return False
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _check(sock: socket.socket, address: Any) -> None:
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0] if isinstance(address, tuple) and address else address
        if not _is_loopback(host):
            raise OfflineRefusal(f"offline: a connection to {host!r} was refused")


def install_guard() -> None:
    """Refuse, in this process, every socket connection and lookup that leaves the machine."""
    connect: Callable[..., Any] = socket.socket.connect
    connect_ex: Callable[..., Any] = socket.socket.connect_ex
    sendto: Callable[..., Any] = socket.socket.sendto
    getaddrinfo: Callable[..., Any] = socket.getaddrinfo

    def guarded_connect(self: socket.socket, address: Any) -> Any:
        _check(self, address)
        return connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: Any) -> Any:
        _check(self, address)
        return connect_ex(self, address)

    def guarded_sendto(self: socket.socket, data: Any, *args: Any) -> Any:
        _check(self, args[-1])
        return sendto(self, data, *args)

    def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name is not None and not _is_loopback(name):
            raise OfflineRefusal(f"offline: looking up {name!r} was refused")
        return getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = guarded_connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = guarded_connect_ex  # type: ignore[method-assign,assignment]
    socket.socket.sendto = guarded_sendto  # type: ignore[method-assign,assignment]
    socket.getaddrinfo = guarded_getaddrinfo


def netns_available() -> bool:
    """True when this machine lets us start a process in a new network namespace."""
    try:
        done = subprocess.run(
            ["unshare", "--net", "--", "ip", "link", "set", "lo", "up"],
            capture_output=True,
            timeout=20,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def kernel_command(isolation: str) -> list[str]:
    """The kernelspec ``argv`` of an offline kernel (``{connection_file}`` left for Jupyter)."""
    if isolation == NETNS:
        script = 'ip link set lo up && exec "$0" -m ipykernel_launcher -f "$1"'
        return ["unshare", "--net", "--", "sh", "-c", script, sys.executable, "{connection_file}"]
    if isolation == SOCKET_GUARD:
        return [sys.executable, "-m", "tests.notebooks.offline_kernel", "-f", "{connection_file}"]
    raise ValueError(f"isolation must be {NETNS!r} or {SOCKET_GUARD!r}, not {isolation!r}")


def write_kernelspec(folder: Path, name: str, isolation: str) -> Path:
    """Write ``folder/kernels/<name>/kernel.json`` for an offline kernel; add ``folder`` to
    ``JUPYTER_PATH`` to make it visible."""
    spec = folder / "kernels" / name
    spec.mkdir(parents=True, exist_ok=True)
    pythonpath = os.pathsep.join(p for p in (str(_REPO), os.environ.get("PYTHONPATH")) if p)
    content = {
        "argv": kernel_command(isolation),
        "display_name": f"Python 3 (offline: {isolation})",
        "language": "python",
        "env": {"PYTHONPATH": pythonpath},
    }
    (spec / "kernel.json").write_text(json.dumps(content, indent=1))
    return spec


def main() -> None:
    """Start an IPython kernel with the guard installed (the kernelspec's entry point)."""
    install_guard()
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()


if __name__ == "__main__":
    main()
