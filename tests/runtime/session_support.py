"""Helpers for the session tests: a live simulator, its test controls, and media checks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from flow_widgets.runtime.session import FlowSession
from flow_widgets.runtime.settings import Settings
from flow_widgets.simulator._probe import probe
from flow_widgets.simulator.app import API_PREFIX
from flow_widgets.simulator.server import RunningSimulator, start_background

#: Wall seconds per API second: a 100 s Veo clip takes about a second.
TIME_SCALE = 0.01


@contextmanager
def running_simulator(**options: Any) -> Iterator[RunningSimulator]:
    """A simulator with test controls on, fast clock, stopped afterwards."""
    options.setdefault("seed", 11)
    options.setdefault("time_scale", TIME_SCALE)
    with start_background(test_controls=True, **options) as sim:
        yield sim


class SimControl:
    """The simulator's ``/_sim/`` test controls, and counts taken from its request ledger."""

    def __init__(self, sim: RunningSimulator) -> None:
        self.sim = sim
        self.root = sim.base_url[: -len(API_PREFIX)] if API_PREFIX else sim.base_url
        self.http = httpx.Client(base_url=self.root, timeout=10)
        self.mark = self.seq()

    def close(self) -> None:
        self.clear_faults()
        self.http.close()

    def seq(self) -> int:
        return int(self.http.get("/_sim/ledger", params={"since": 10**12}).json()["seq"])

    def ledger(self) -> dict[str, Any]:
        """Everything the simulator recorded since this control was made."""
        data: dict[str, Any] = self.http.get("/_sim/ledger", params={"since": self.mark}).json()
        return data

    def fault(self, **fault: Any) -> None:
        self.http.post("/_sim/faults", json=fault).raise_for_status()

    def throttle(self, route: str, times: int, retry_after: str = "0.05") -> None:
        """Answer the next ``times`` requests on ``route`` with Google's throttle 429."""
        self.fault(
            route=route,
            action="status",
            status=429,
            reason="PUBLIC_ERROR_USER_REQUESTS_THROTTLED",
            retryAfter=retry_after,
            times=times,
        )

    def clear_faults(self) -> None:
        self.http.delete("/_sim/faults").raise_for_status()

    def expire_urls(self) -> None:
        self.http.post("/_sim/expire-urls").raise_for_status()

    def requests(self, route: str, *, origin: str | None = None) -> list[dict[str, Any]]:
        rows = self.ledger()["requests"]
        return [
            r for r in rows if r["route"] == route and (origin is None or r["origin"] == origin)
        ]

    def count(self, route: str) -> int:
        return len(self.requests(route))

    def jobs_by_key(self) -> dict[str | None, int]:
        """Accepted jobs per Idempotency-Key (the runtime sends its submission id)."""
        counts: dict[str | None, int] = {}
        for job in self.ledger()["jobs"]:
            counts[job["idempotency_key"]] = counts.get(job["idempotency_key"], 0) + 1
        return counts


def open_session(sim: RunningSimulator, home: Path, **options: Any) -> FlowSession:
    """A session on ``sim`` whose ledger and media live under ``home``."""
    settings = Settings(
        token=sim.token,
        base_url=sim.base_url,
        media_dir=home / "media",
        data_dir=home / "data",
    )
    return FlowSession(settings, simulator=sim, **options)


def assert_valid_media(path: Path, kind: str) -> None:
    """The file exists, is complete, and decodes as the kind of media it claims to be."""
    assert path.exists(), path
    assert not path.with_name(path.name + ".part").exists()
    info = probe(path.read_bytes())
    if kind == "video":
        assert info.kind == "video" and (info.duration or 0) > 0, info
    else:
        assert info.kind in ("image", "gif"), info
