"""A throwaway PostgreSQL server for the gateway tests: Debian's ``postgresql`` package.

Why Debian's server and not a wheel that bundles one: it is one ``apt-get install`` on any Debian
CI machine, the same binaries a teacher's server runs, and it needs nothing downloaded at run
time. Its ``initdb``/``pg_ctl`` live off the PATH (``/usr/lib/postgresql/<major>/bin``) and refuse
to run as root, and CI runs as root: so as root they run as the ``postgres`` system user (the
package creates it) through ``runuser``, in a temporary folder that user owns. The server listens
on a free loopback port with ``trust`` authentication (loopback only, deleted at the end) and
``fsync=off`` (a test database need not survive a power cut).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PgServer", "find_bin_dir", "start_pg"]


def find_bin_dir() -> Path | None:
    """The newest ``/usr/lib/postgresql/<major>/bin`` holding ``initdb``, or ``None``."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parent.parent.name),
    )
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PgServer:
    """A running server; :meth:`stop` ends it and deletes its folder."""

    url: str
    folder: Path
    bin_dir: Path
    _as_user: tuple[str, ...]

    def stop(self) -> None:
        data = str(self.folder / "data")
        subprocess.run(
            [*self._as_user, str(self.bin_dir / "pg_ctl"), "-D", data, "-m", "immediate", "stop"],
            check=False,
            capture_output=True,
        )
        shutil.rmtree(self.folder, ignore_errors=True)


def start_pg() -> PgServer:
    """Start a fresh server (a few seconds); raise ``RuntimeError`` saying what is missing."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL is not installed: apt-get install -y postgresql")
    folder = Path(tempfile.mkdtemp(prefix="fw-pg-"))
    as_user: tuple[str, ...] = ()
    if os.geteuid() == 0:
        shutil.chown(folder, user="postgres")
        as_user = ("runuser", "-u", "postgres", "--")
    port = _free_port()
    data, log = folder / "data", folder / "server.log"
    run = [*as_user, str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"]
    subprocess.run([*run, "--no-sync", "-E", "UTF8"], check=True, capture_output=True)
    options = f"-k {folder} -h 127.0.0.1 -p {port} -F -c max_connections=200"
    start = [*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log)]
    done = subprocess.run([*start, "-w", "-t", "30", "start"], capture_output=True, text=True)
    if done.returncode != 0:
        text = log.read_text() if log.exists() else done.stderr
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"PostgreSQL did not start: {text[-2000:]}")
    return PgServer(f"postgresql://postgres@127.0.0.1:{port}/postgres", folder, bin_dir, as_user)
