"""What every reliability scenario needs: a simulator to bend, a session on it, and the counts.

Why one module: each scenario asks the same questions of the same two witnesses -- the
simulator's ledger (what reached the server: POSTs per ``Idempotency-Key``, accepted jobs,
credits charged, ``Authorization`` on the media origin) and the client's own state (handles and
its SQLite ledger). Answering them in one place keeps the tests short and makes "duplicates" or
"lost jobs" mean the same thing in every row of the report.

Everything runs on loopback: the simulator binds ``127.0.0.1`` and is driven through its
``/_sim/`` test controls over real HTTP.
"""

from __future__ import annotations

import contextlib
import io
import os
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import httpx

from flow_widgets.simulator.server import RunningSimulator

#: Answers that certainly did not run the work on the server (a resend after them is safe).
REFUSALS = frozenset({400, 401, 402, 403, 404, 409, 422, 429, 503, 596})
VIDEO_ROUTE = "POST /videos"
IMAGE_ROUTE = "POST /images"
JOB_ROUTE = "GET /jobs/{jobid}"


class SimControl:
    """The simulator's ``/_sim/`` controls and ledger, over real HTTP on loopback.

    Every instance is remembered until :meth:`close_all` (the suite's conftest calls it after
    each test), so a test that fails half-way never leaves a socket open for the next one.
    """

    _open: ClassVar[list[SimControl]] = []

    def __init__(self, sim: RunningSimulator) -> None:
        self.sim = sim
        self.http = httpx.Client(base_url=sim.base_url, headers=sim.headers, timeout=30)
        SimControl._open.append(self)

    @classmethod
    def close_all(cls) -> None:
        while cls._open:
            cls._open.pop().close()

    def close(self) -> None:
        self.http.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, f"/_sim/{path}", **kwargs)
        assert response.status_code in (200, 201), response.text
        return response.json()

    def arm(self, *faults: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Arm fault switches (fields as in :mod:`flow_widgets.simulator.faults`)."""
        armed: list[dict[str, Any]] = self._call(
            "POST", "faults", json={"faults": [dict(f) for f in faults]}
        )["faults"]
        return armed

    def disarm(self) -> None:
        self._call("DELETE", "faults")

    def faults(self) -> list[dict[str, Any]]:
        listing: list[dict[str, Any]] = self._call("GET", "faults")["faults"]
        return listing

    def ledger(self, since: int = 0) -> SimLedger:
        return SimLedger(self._call("GET", f"ledger?since={since}"))

    def mark(self) -> int:
        """The ledger's current sequence number: pass it as ``since`` to see only what follows."""
        seq: int = self._call("GET", "ledger?since=999999999")["seq"]
        return seq

    def advance(self, seconds: float) -> None:
        self._call("POST", "clock", json={"advance": seconds})

    def expire_urls(self) -> None:
        self._call("POST", "expire-urls")

    def account(self, email: str, **changes: Any) -> dict[str, Any]:
        state: dict[str, Any] = self._call("POST", f"accounts/{email}", json=changes)
        return state

    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = self._call("GET", "state")
        return state

    def job(self, jobid: str) -> dict[str, Any]:
        response = self.http.get(f"/jobs/{jobid}")
        assert response.status_code == 200, response.text
        record: dict[str, Any] = response.json()
        return record


@dataclass
class SimLedger:
    """One snapshot of the simulator's ledger, with the questions the suite asks of it."""

    raw: dict[str, Any]

    @property
    def requests(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.raw["requests"]
        return rows

    @property
    def jobs(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.raw["jobs"]
        return rows

    @property
    def credits_charged(self) -> int:
        return int(self.raw["creditsCharged"])

    def on(self, route: str, *, origin: str = "api") -> list[dict[str, Any]]:
        return [r for r in self.requests if r["route"] == route and r["origin"] == origin]

    def posts(self, *routes: str) -> list[dict[str, Any]]:
        wanted = routes or (VIDEO_ROUTE, IMAGE_ROUTE)
        return [r for r in self.requests if r["origin"] == "api" and r["route"] in wanted]

    def posts_by_key(self, *routes: str) -> dict[str | None, list[dict[str, Any]]]:
        grouped: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
        for row in self.posts(*routes):
            grouped[row["idempotency_key"]].append(row)
        return grouped

    def jobs_by_key(self) -> Counter[str | None]:
        return Counter(job["idempotency_key"] for job in self.jobs)

    def resends_after_unknown(self, *routes: str) -> int:
        """POSTs sent again for a key after an attempt that may have run on the server.

        The simulator honours ``Idempotency-Key`` and would hide such a resend behind the first
        job, but the real API documents no key: each of these would be a second purchase there.
        """
        resends = 0
        for rows in self.posts_by_key(*routes).values():
            ordered = sorted(rows, key=lambda r: r["seq"])
            for index, row in enumerate(ordered[:-1]):
                if row["status"] not in REFUSALS:
                    resends += len(ordered) - index - 1
                    break
        return resends

    def media_requests(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["origin"] == "media"]

    def media_with_authorization(self) -> int:
        return sum(1 for r in self.media_requests() if r["has_authorization"]) + int(
            self.raw["mediaAuthorizationRefusals"]
        )

    def job_gets(self) -> dict[str, list[dict[str, Any]]]:
        grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in self.on(JOB_ROUTE):
            grouped[row["path"].rsplit("/", 1)[-1]].append(row)
        return grouped


# -- a place hostile URLs lead to ------------------------------------------------------------------


class CanaryHost:
    """A loopback HTTP server that answers every GET with ``body`` and records each request
    (path, and whether it carried ``Authorization`` or a cookie): where a hostile URL would lead
    the client. ``url`` is its root; ``hits`` the requests it saw."""

    def __init__(self, body: bytes = b"CANARY-BODY", content_type: str = "video/mp4") -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        hits: list[dict[str, Any]] = []
        self.hits = hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                names = {k.lower() for k in self.headers}
                hits.append(
                    {
                        "path": self.path,
                        "authorization": "authorization" in names,
                        "cookie": "cookie" in names,
                    }
                )
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


# -- fault recipes ------------------------------------------------------------------------------


def share_of(faults: Sequence[tuple[float, Mapping[str, Any]]], route: str) -> list[dict[str, Any]]:
    """Faults that fire on ``route`` with the given *overall* shares of requests.

    The simulator tries faults in order and each draws its own chance, so the n-th fault's
    probability is its share divided by what the earlier ones leave over.
    """
    armed: list[dict[str, Any]] = []
    left = 1.0
    for share, fault in faults:
        armed.append({**fault, "route": route, "probability": min(1.0, share / left)})
        left -= share
        assert left > 0, "the shares must add up to less than 1"
    return armed


def throttle(retry_after: str) -> dict[str, Any]:
    """A plain throttle 429 (Google's per-account concurrency reason)."""
    return {
        "action": "status",
        "status": 429,
        "reason": "PUBLIC_ERROR_USER_REQUESTS_THROTTLED",
        "retryAfter": retry_after,
    }


def unavailable(retry_after: str | None = None) -> dict[str, Any]:
    fault: dict[str, Any] = {"action": "status", "status": 503, "message": "Service Unavailable"}
    if retry_after is not None:
        fault["retryAfter"] = retry_after
    return fault


# -- waiting ------------------------------------------------------------------------------------


def wait_until(predicate: Any, timeout: float, *, interval: float = 0.02, what: str = "") -> None:
    """Poll ``predicate()`` until true; fail the test with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")
        time.sleep(interval)


def wait_all(handles: Iterable[Any], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    for handle in handles:
        handle.wait(max(0.1, deadline - time.monotonic()), raise_on_failure=False)


# -- leaks --------------------------------------------------------------------------------------


#: Worker-pool threads that idle by design: the engine loop's executor (``asyncio_N``, bounded
#: by its ``max_workers``) and the simulator's AnyIO workers (the server's side, not the client's).
POOL_THREAD_PREFIXES = ("asyncio_", "AnyIO worker thread")


@dataclass(frozen=True)
class Resources:
    """Open file descriptors, sockets and (non-pool) threads of this process at one moment."""

    fds: int
    sockets: int
    threads: int

    @classmethod
    def now(cls) -> Resources:
        fds = sockets = 0
        for name in os.listdir("/proc/self/fd"):
            with contextlib.suppress(OSError):
                target = os.readlink(f"/proc/self/fd/{name}")
                fds += 1
                sockets += target.startswith("socket:")
        threads = sum(
            1 for t in threading.enumerate() if not t.name.startswith(POOL_THREAD_PREFIXES)
        )
        return cls(fds=fds, sockets=sockets, threads=threads)

    @classmethod
    def baseline(cls) -> Resources:
        """The count before a scenario, with the process-wide engine (its loop's self-pipe,
        selector and thread live as long as the process) already started."""
        from flow_widgets.runtime.engine import Engine

        Engine.get()
        return cls.now()

    def grown(self, later: Resources) -> dict[str, int]:
        return {
            "fds": later.fds - self.fds,
            "sockets": later.sockets - self.sockets,
            "threads": later.threads - self.threads,
        }


def settled_growth(baseline: Resources, *, slack: int = 2, timeout: float = 5.0) -> dict[str, int]:
    """Resource growth since ``baseline`` once closing connections have had time to finish."""
    deadline = time.monotonic() + timeout
    while True:
        growth = baseline.grown(Resources.now())
        if max(growth.values()) <= slack or time.monotonic() > deadline:
            return growth
        time.sleep(0.05)


def engine_tasks() -> int:
    """Tasks still pending on the engine loop (the engine's own bookkeeping included)."""
    import asyncio

    from flow_widgets.runtime.engine import Engine

    engine = Engine.current()
    if engine is None:
        return 0

    async def count() -> int:
        me = asyncio.current_task()
        return sum(1 for t in asyncio.all_tasks() if t is not me and not t.done())

    return engine.run(count(), 10)


# -- cheap media ----------------------------------------------------------------------------------


@dataclass
class CheapMedia:
    """Stand-in bytes for the simulator's media synthesis.

    Rendering a real 8 s clip costs about half a second of CPU; a 200-job load scenario would
    spend its time encoding video instead of exercising the protocol. The bytes are still a real
    PNG/MP4/JPEG, so the client's type sniffing and file naming see what they normally see.
    """

    made: Counter[str] = field(default_factory=Counter)
    _cache: dict[str, bytes] = field(default_factory=dict)

    def bytes_for(self, kind: str) -> tuple[bytes, str]:
        if kind not in self._cache:
            self._cache[kind] = _tiny(kind)
        self.made[kind] += 1
        types = {"video": "video/mp4", "image": "image/png", "thumb": "image/jpeg"}
        return self._cache[kind], types[kind]


def _tiny(kind: str) -> bytes:
    from PIL import Image

    if kind == "video":
        from flow_widgets.simulator import media

        return media.render_video(
            prompt="load", model="veo-3.1-lite", seed=1, duration=0.5, aspect="landscape"
        )
    buffer = io.BytesIO()
    Image.new("RGB", (16, 9), (30, 120, 200)).save(buffer, "PNG" if kind == "image" else "JPEG")
    return buffer.getvalue()


@contextlib.contextmanager
def cheap_media_installed(monkeypatch: Any) -> Iterator[CheapMedia]:
    """Swap the simulator's renderer for :class:`CheapMedia` (uploads and voices untouched)."""
    from flow_widgets.simulator import media_store

    real = media_store._render
    cheap = CheapMedia()

    def render(item: Any, category: str, source: bytes | None) -> Any:
        if item.kind == "video" and category == "video":
            data, kind = cheap.bytes_for("video")
        elif item.kind == "video":
            data, kind = cheap.bytes_for("thumb")
        elif item.kind == "image":
            data, kind = cheap.bytes_for("image")
        else:
            return real(item, category, source)
        return media_store.Blob.of(data, kind)

    monkeypatch.setattr(media_store, "_render", render)
    yield cheap


def files_under(folder: Path) -> dict[str, int]:
    """Relative path -> size of every file below ``folder`` (a sandbox listing)."""
    if not folder.exists():
        return {}
    return {
        str(path.relative_to(folder)): path.stat().st_size
        for path in sorted(folder.rglob("*"))
        if path.is_file() or path.is_symlink()
    }


# -- markup ---------------------------------------------------------------------------------------

#: Tags that run code or load a document, and attributes that hold a URL.
ACTIVE_TAGS = frozenset({"script", "iframe", "object", "embed", "frame", "base", "meta", "form"})
URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "poster", "data", "xlink:href"})
SAFE_SCHEMES = ("http:", "https:", "data:image/", "data:video/", "data:audio/", "#", "mailto:")


def unsafe_markup(html: str, *, marker: str = "fwxss") -> list[str]:
    """What in ``html`` would run or fetch something a hostile string put there.

    Found: active tags (``<script>``, ``<iframe>`` …), event-handler attributes (``onerror``),
    URL attributes whose scheme is not http(s)/media ``data:`` or a relative path
    (``javascript:``, ``file:``, ``vbscript:``), and any tag whose name starts with ``marker``
    (test vectors carry ``<fwxss-…>`` tags, which only appear as tags if escaping failed).
    Escaped text (``&lt;script&gt;``) is text, and not a finding.
    """
    from html.parser import HTMLParser

    findings: list[str] = []

    class Scan(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag in ACTIVE_TAGS or tag.startswith(marker):
                findings.append(f"<{tag}>")
            for name, value in attrs:
                if name.startswith("on"):
                    findings.append(f"<{tag} {name}=…>")
                if name in URL_ATTRIBUTES and value is not None:
                    url = "".join(value.split()).lower()
                    if ":" in url.split("/", 1)[0] and not url.startswith(SAFE_SCHEMES):
                        findings.append(f"<{tag} {name}={value[:40]!r}>")
                if name == "style" and value and ("javascript:" in value or "expression(" in value):
                    findings.append(f"<{tag} style=…>")

        handle_startendtag = handle_starttag

    scanner = Scan(convert_charrefs=True)
    scanner.feed(html)
    scanner.close()
    return findings
