"""Media downloads over real HTTP: resume, Range modes, truncation, expiry, disk full, no auth.

Two media hosts: a small starlette app on a loopback port whose switches pin down each
misbehaviour a CDN can show (ignored or misplaced ranges, truncated and trickled bodies, 5xx,
expired signatures), and the simulator's own media origin with a real generated video, its
fault switches and its request ledger (which also proves the token never reaches it).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hashlib
import os
import socket
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from flow_widgets.errors import DiskFullError, DownloadError, MediaExpiredError
from flow_widgets.runtime.downloads import (
    DownloadPolicy,
    display_url,
    download,
    part_path,
    write_bytes_atomic,
)
from flow_widgets.simulator.server import start_background

pytestmark = pytest.mark.anyio

DATA = bytes(range(256)) * 800  # 204,800 bytes, every offset distinguishable
SHA = hashlib.sha256(DATA).hexdigest()
FAST = DownloadPolicy(backoff_base=0.0, backoff_cap=0.0)
CANARY = "FLOWCANARY-3c1e9a"


@dataclass
class MediaHost:
    """The media origin's switches and its request log."""

    mode: str = "normal"
    failures_left: int = 0  # how many requests misbehave before it serves normally
    valid_signatures: set[str] = field(default_factory=lambda: {"good"})
    checksum: str = SHA
    requests: list[dict[str, Any]] = field(default_factory=list)
    base: str = ""

    def url(self, sig: str = "good", path: str = "media/fox.mp4") -> str:
        return f"{self.base}/{path}?Expires=1&Signature={sig}"

    def reset(self) -> None:
        self.mode, self.failures_left, self.checksum = "normal", 0, SHA
        self.valid_signatures = {"good"}
        self.requests.clear()


HOST = MediaHost()


def _range_start(header: str | None) -> int | None:
    if not header or not header.startswith("bytes="):
        return None
    return int(header[len("bytes=") :].split("-")[0])


async def _media(request: Request) -> Response:
    HOST.requests.append(
        {
            "range": request.headers.get("range"),
            "authorization": request.headers.get("authorization"),
            "cookie": request.headers.get("cookie"),
            "if_range": request.headers.get("if-range"),
        }
    )
    if request.query_params.get("Signature") not in HOST.valid_signatures:
        return Response("expired", status_code=403)
    misbehave = HOST.failures_left > 0
    HOST.failures_left -= 1
    start = _range_start(request.headers.get("range"))
    common = {"X-Content-SHA256": HOST.checksum, "ETag": '"fox-v1"', "Accept-Ranges": "bytes"}
    if misbehave and HOST.mode == "503":
        return Response("busy", status_code=503, headers={"Retry-After": "0.01"})
    if misbehave and HOST.mode == "500":
        return Response("boom", status_code=500)
    if start is not None and HOST.mode != "ignore-range":
        if start >= len(DATA):
            return Response(
                status_code=416, headers={"Content-Range": f"bytes */{len(DATA)}", **common}
            )
        if HOST.mode == "wrong-offset" and misbehave:
            start = max(start - 10, 0)
        body = DATA[start:]
        headers = {"Content-Range": f"bytes {start}-{len(DATA) - 1}/{len(DATA)}", **common}
        return _body(body, 206, headers, misbehave)
    return _body(DATA, 200, common, misbehave)


def _body(body: bytes, status: int, headers: dict[str, str], misbehave: bool) -> Response:
    if misbehave and HOST.mode in ("truncate", "truncate-chunked"):
        cut = int(len(body) * 0.4)

        async def broken() -> AsyncIterator[bytes]:
            yield body[:cut]
            raise ConnectionResetError("the media host dropped the connection")

        if HOST.mode == "truncate":
            headers = {**headers, "Content-Length": str(len(body))}
        return StreamingResponse(broken(), status_code=status, headers=headers)
    if HOST.mode == "trickle":

        async def trickle() -> AsyncIterator[bytes]:
            for i in range(len(body)):
                await asyncio.sleep(0.05)
                yield body[i : i + 1]

        headers = {**headers, "Content-Length": str(len(body))}
        return StreamingResponse(trickle(), status_code=status, headers=headers)
    return Response(body, status_code=status, headers=headers, media_type="video/mp4")


async def _redirect(request: Request) -> Response:
    return RedirectResponse(HOST.url(), status_code=302)


@pytest.fixture(scope="module")
def media_host() -> Iterator[MediaHost]:
    app = Starlette(routes=[Route("/media/{name}", _media), Route("/go", _redirect)])
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_level="critical", lifespan="off", ws="none")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    HOST.base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    try:
        yield HOST
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture
def host(media_host: MediaHost) -> Iterator[MediaHost]:
    media_host.reset()
    yield media_host
    media_host.reset()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    """A client set up like the API client: token header, auth and cookies that must not leak."""
    async with httpx.AsyncClient(
        headers={"Authorization": f"Bearer {CANARY}"},
        auth=httpx.BasicAuth("user", CANARY),
        cookies={"session": CANARY},
    ) as client:
        yield client


class _Waits(list[float]):
    """A backoff ``sleep`` that records each wait instead of waiting."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


def _assert_saved(dest: Path) -> None:
    assert dest.read_bytes() == DATA
    assert not part_path(dest).exists()


def _no_credentials(host: MediaHost) -> None:
    assert host.requests, "the media host saw no request"
    for seen in host.requests:
        assert seen["authorization"] is None
        assert seen["cookie"] is None


# -- the happy path -------------------------------------------------------------------------


async def test_a_download_is_verified_and_carries_no_credentials(
    host: MediaHost, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    progress: list[tuple[int, int | None]] = []
    dest = tmp_path / "media" / "video-fox-0.mp4"
    result = await download(
        http, host.url(), dest, policy=FAST, on_progress=lambda n, t: progress.append((n, t))
    )
    _assert_saved(dest)
    assert (result.path, result.size, result.sha256) == (dest, len(DATA), SHA)
    assert (result.requests, result.resumed_from, result.refreshed) == (1, 0, False)
    assert result.content_type == "video/mp4"
    assert progress[-1] == (len(DATA), len(DATA))
    assert [n for n, _ in progress] == sorted(n for n, _ in progress)
    _no_credentials(host)


async def test_a_redirect_to_the_media_host_carries_no_credentials(
    host: MediaHost, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    await download(http, f"{host.base}/go", tmp_path / "fox.mp4", policy=FAST)
    _assert_saved(tmp_path / "fox.mp4")
    _no_credentials(host)


async def test_a_failing_progress_callback_does_not_stop_the_download(
    host: MediaHost, http: httpx.AsyncClient, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(written: int, total: int | None) -> None:
        raise RuntimeError("the display went away")

    await download(http, host.url(), tmp_path / "fox.mp4", policy=FAST, on_progress=broken)
    _assert_saved(tmp_path / "fox.mp4")
    assert "progress callback failed" in caplog.text


# -- truncation and Range -------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["truncate", "truncate-chunked"])
async def test_a_truncated_body_leaves_only_a_part_file_then_resumes_with_range(
    mode: str, host: MediaHost, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    host.mode, host.failures_left = mode, 1
    dest = tmp_path / "fox.mp4"
    with pytest.raises(DownloadError, match=r"kept in fox\.mp4\.part") as caught:
        await download(http, host.url(), dest, policy=DownloadPolicy(attempts=1))
    assert CANARY not in str(caught.value) and "Signature" not in str(caught.value)
    assert not dest.exists()
    kept = part_path(dest).stat().st_size
    assert 0 < kept < len(DATA) and part_path(dest).read_bytes() == DATA[:kept]

    result = await download(http, host.url(), dest, policy=FAST)
    _assert_saved(dest)
    assert result.resumed_from == kept and result.requests == 1
    assert host.requests[-1]["range"] == f"bytes={kept}-"


async def test_a_truncated_body_is_resumed_within_one_call(
    host: MediaHost, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    host.mode, host.failures_left = "truncate", 1
    result = await download(http, host.url(), tmp_path / "fox.mp4", policy=FAST)
    _assert_saved(tmp_path / "fox.mp4")
    assert result.requests == 2
    first, second = host.requests
    assert first["range"] is None
    assert second["range"] == f"bytes={int(len(DATA) * 0.4)}-"
    assert second["if_range"] == '"fox-v1"'  # the ETag learnt from the first reply


@pytest.mark.parametrize(
    ("mode", "left_over", "ranges", "resumed_from"),
    [
        pytest.param("normal", DATA[:70000], ["bytes=70000-"], 70000, id="206-appends"),
        pytest.param("ignore-range", b"\xff" * 5000, ["bytes=5000-"], 0, id="200-restarts"),
        pytest.param(
            "wrong-offset", DATA[:5000], ["bytes=5000-", None], 0, id="wrong-206-offset-restarts"
        ),
        pytest.param(
            "normal", b"\x00" * 70000, ["bytes=70000-", None], 0, id="corrupt-part-fails-checksum"
        ),
        pytest.param("normal", DATA, [f"bytes={len(DATA)}-"], len(DATA), id="416-complete-part"),
        pytest.param(
            "normal", DATA + b"extra", [f"bytes={len(DATA) + 5}-", None], 0, id="416-longer-part"
        ),
    ],
)
async def test_a_left_over_part_file_is_resumed_only_when_the_bytes_line_up(
    mode: str,
    left_over: bytes,
    ranges: list[str | None],
    resumed_from: int,
    host: MediaHost,
    http: httpx.AsyncClient,
    tmp_path: Path,
) -> None:
    host.mode, host.failures_left = mode, 1
    dest = tmp_path / "fox.mp4"
    part_path(dest).write_bytes(left_over)
    result = await download(http, host.url(), dest, policy=FAST)
    _assert_saved(dest)
    assert [r["range"] for r in host.requests] == ranges
    assert (result.requests, result.resumed_from) == (len(ranges), resumed_from)


async def test_a_checksum_that_never_matches_gives_up_and_keeps_nothing_at_the_target(
    host: MediaHost, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    host.checksum = "0" * 64
    dest = tmp_path / "fox.mp4"
    with pytest.raises(DownloadError, match="SHA-256 does not match"):
        await download(http, host.url(), dest, policy=DownloadPolicy(attempts=3, backoff_base=0))
    assert not dest.exists() and len(host.requests) == 3


async def test_a_size_other_than_expected_is_not_accepted(
    host: MediaHost, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    dest = tmp_path / "fox.mp4"
    with pytest.raises(DownloadError, match=f"{len(DATA)} bytes where {len(DATA) + 1}"):
        await download(
            http, host.url(), dest, expected_size=len(DATA) + 1, policy=DownloadPolicy(attempts=2)
        )
    assert not dest.exists()


# -- transient errors and deadlines ---------------------------------------------------------


async def test_503_is_retried_after_the_servers_retry_after(
    host: MediaHost, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    host.mode, host.failures_left = "503", 2
    waits = _Waits()
    result = await download(http, host.url(), tmp_path / "fox.mp4", policy=FAST, sleep=waits)
    _assert_saved(tmp_path / "fox.mp4")
    assert waits == [0.01, 0.01] and result.requests == 3


async def test_persistent_500_backs_off_then_gives_up_without_leaking_the_signature(
    host: MediaHost, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    host.mode, host.failures_left = "500", 100
    waits = _Waits()
    policy = DownloadPolicy(attempts=4, backoff_base=1.0, backoff_cap=3.0)
    with pytest.raises(
        DownloadError, match="failed 4 times, last because the media host answered 500"
    ) as caught:
        await download(
            http, host.url(), tmp_path / "fox.mp4", policy=policy, sleep=waits, rand=lambda: 1.0
        )
    assert "Signature" not in str(caught.value) and CANARY not in str(caught.value)
    assert waits == [1.0, 2.0, 3.0]  # doubling, capped; equal jitter at its top
    assert len(host.requests) == 4


async def test_a_trickling_host_is_cut_off_at_the_deadline_and_stays_resumable(
    host: MediaHost, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    host.mode = "trickle"
    dest = tmp_path / "fox.mp4"
    started = time.monotonic()
    with pytest.raises(DownloadError, match=r"did not finish within 0\.6 s"):
        await download(http, host.url(), dest, timeout=0.6, policy=FAST)
    assert time.monotonic() - started < 3
    assert part_path(dest).exists() and not dest.exists()
    kept = part_path(dest).read_bytes()
    assert 0 < len(kept) < 50 and kept == DATA[: len(kept)]


async def test_only_http_urls_are_fetched(http: httpx.AsyncClient, tmp_path: Path) -> None:
    for url in ("file:///etc/hostname", "javascript:alert(1)", "ftp://x/y", "::::"):
        with pytest.raises(DownloadError, match="not http"):
            await download(http, url, tmp_path / "x.mp4")
    assert list(tmp_path.iterdir()) == []


def test_display_url_hides_the_signature() -> None:
    shown = display_url("https://media.example:8443/v/fox.mp4?Expires=1&Signature=secret")
    assert shown == "https://media.example:8443/v/fox.mp4?…"
    assert display_url("http://h/x") == "http://h/x"
    assert display_url("http://[::1") == "<invalid URL>"


# -- expired links --------------------------------------------------------------------------


async def test_an_expired_url_is_refreshed_once_from_the_job(
    host: MediaHost, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    host.valid_signatures = {"fresh"}
    calls: list[int] = []

    async def refresh() -> str | None:
        calls.append(1)
        return host.url("fresh")

    result = await download(http, host.url("stale"), tmp_path / "fox.mp4", refresh_url=refresh)
    _assert_saved(tmp_path / "fox.mp4")
    assert calls == [1] and result.refreshed and result.requests == 2


async def test_a_url_still_refused_after_one_refresh_raises_media_expired(
    host: MediaHost, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    host.valid_signatures = set()
    calls: list[int] = []

    async def refresh() -> str | None:
        calls.append(1)
        return host.url("also-stale")

    with pytest.raises(MediaExpiredError, match="even after asking for a fresh link") as caught:
        await download(http, host.url("stale"), tmp_path / "fox.mp4", refresh_url=refresh)
    assert caught.value.status_code == 403 and calls == [1] and len(host.requests) == 2


async def test_a_job_that_is_gone_or_no_refresher_raises_media_expired(
    host: MediaHost, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    host.valid_signatures = set()

    async def gone() -> str | None:
        return None

    with pytest.raises(MediaExpiredError):
        await download(http, host.url("stale"), tmp_path / "a.mp4", refresh_url=gone)
    with pytest.raises(
        MediaExpiredError,
        match=r"no longer valid \(HTTP 403\); it needs a fresh link from the API\.$",
    ):
        await download(http, host.url("stale"), tmp_path / "b.mp4")


# -- a full disk ----------------------------------------------------------------------------


class _FillingDisk:
    """Opens ``.part`` files whose writes fail with ENOSPC once ``room`` bytes are used.

    The injected opener stands in for a full disk where a real small tmpfs cannot be mounted
    (mounting needs root); the tmpfs variant below runs the same scenario for real when it can.
    """

    def __init__(self, room: int) -> None:
        self.room = room

    def __call__(self, path: Path, mode: str) -> BinaryIO:
        disk = self

        class Full(contextlib.AbstractContextManager["Full"]):
            def __init__(self) -> None:
                self.file = open(path, mode)  # noqa: SIM115

            def write(self, data: bytes) -> int:
                if disk.room < len(data):
                    self.file.write(data[: disk.room])
                    disk.room = 0
                    raise OSError(errno.ENOSPC, "No space left on device")
                disk.room -= len(data)
                return self.file.write(data)

            def flush(self) -> None:
                self.file.flush()

            def fileno(self) -> int:
                return self.file.fileno()

            def __exit__(self, *exc: object) -> None:
                self.file.close()

        return Full()  # type: ignore[return-value]


async def test_a_full_disk_stops_with_disk_full_and_keeps_the_part_for_resume(
    host: MediaHost, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    dest = tmp_path / "fox.mp4"
    with pytest.raises(DiskFullError, match="disk is full") as caught:
        await download(http, host.url(), dest, policy=FAST, open_part=_FillingDisk(50_000))
    assert caught.value.needed_bytes == len(DATA) - 50_000
    assert caught.value.path == dest
    assert not dest.exists() and part_path(dest).read_bytes() == DATA[:50_000]
    assert len(host.requests) == 1  # not retried: a full disk is not transient

    result = await download(http, host.url(), dest, policy=FAST)  # space was freed
    _assert_saved(dest)
    assert result.resumed_from == 50_000


@contextlib.contextmanager
def _small_tmpfs(path: Path, size: str) -> Iterator[Path]:
    path.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(
            "a small tmpfs cannot be mounted here (needs root); the injected test covers it"
        )
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


async def test_a_really_full_tmpfs_behaves_the_same(
    host: MediaHost, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    with _small_tmpfs(tmp_path / "small", "256k") as disk:
        filler = disk / "filler"
        filler.write_bytes(b"x" * 150_000)
        dest = disk / "fox.mp4"
        with pytest.raises(DiskFullError):
            await download(http, host.url(), dest, policy=FAST)
        kept = part_path(dest).stat().st_size
        assert not dest.exists() and 0 < kept < len(DATA)
        assert part_path(dest).read_bytes() == DATA[:kept]
        with pytest.raises(DiskFullError, match="disk is full"):
            write_bytes_atomic(b"y" * 200_000, disk / "big.gif")
        assert not (disk / "big.gif").exists() and not part_path(disk / "big.gif").exists()

        filler.unlink()
        result = await download(http, host.url(), dest, policy=FAST)
        _assert_saved(dest)
        assert result.resumed_from == kept


# -- in-memory payloads ---------------------------------------------------------------------


def test_write_bytes_atomic_writes_through_a_part_file(tmp_path: Path) -> None:
    dest = tmp_path / "gifs" / "gif-fox-0.gif"
    result = write_bytes_atomic(b"GIF89a-data", dest)
    assert dest.read_bytes() == b"GIF89a-data" and not part_path(dest).exists()
    assert (result.size, result.sha256) == (11, hashlib.sha256(b"GIF89a-data").hexdigest())
    write_bytes_atomic(b"GIF89a-new", dest)
    assert dest.read_bytes() == b"GIF89a-new"


def test_write_bytes_atomic_reports_other_os_errors_plainly(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file where a folder should be")
    with pytest.raises(DownloadError, match=r"Saving fox\.gif failed") as caught:
        write_bytes_atomic(b"x", tmp_path / "taken" / "fox.gif")
    assert not isinstance(caught.value, DiskFullError)
    assert os.listdir(tmp_path) == ["taken"]


# -- against the simulator's media origin ---------------------------------------------------


@dataclass
class SimVideo:
    """A finished video job on the simulator and the tools to reach it."""

    sim: Any
    api: httpx.Client
    jobid: str

    def job(self) -> dict[str, Any]:
        body: dict[str, Any] = self.api.get(f"/jobs/{self.jobid}").json()
        return body

    def url(self) -> str:
        url: str = self.job()["response"]["media"][0]["videoUrl"]
        return url

    def control(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.api.request(method, f"/_sim/{path}", **kwargs)
        assert response.status_code in (200, 201), response.text
        return response.json()

    def media_requests(self) -> list[dict[str, Any]]:
        rows = self.control("GET", "ledger")["requests"]
        return [r for r in rows if r["origin"] == "media"]

    def job_reads(self) -> int:
        rows = self.control("GET", "ledger")["requests"]
        return sum(1 for r in rows if r["route"] == "GET /jobs/{jobid}")


@pytest.fixture(scope="module")
def sim_video() -> Iterator[SimVideo]:
    with (
        start_background(seed=11, time_scale=0.002, test_controls=True) as sim,
        httpx.Client(base_url=sim.base_url, headers=sim.headers, timeout=20) as api,
    ):
        created = api.post(
            "/videos", json={"prompt": "a red fox in snow", "model": "veo-3.1-lite", "async": True}
        )
        assert created.status_code == 201, created.text
        video = SimVideo(sim, api, created.json()["jobid"])
        video.control("POST", "clock", json={"advance": 3600})
        deadline = time.monotonic() + 20
        while video.job()["status"] != "completed":
            assert time.monotonic() < deadline, video.job()
            time.sleep(0.02)
        yield video


@pytest.fixture
def simulator(sim_video: SimVideo) -> Iterator[SimVideo]:
    sim_video.control("DELETE", "faults")
    yield sim_video
    sim_video.control("DELETE", "faults")


@pytest.fixture
async def api_like_client(simulator: SimVideo) -> AsyncIterator[httpx.AsyncClient]:
    """Configured like the real API client: the token goes with every request it sends."""
    async with httpx.AsyncClient(headers=simulator.sim.headers) as client:
        yield client


def _published_sha(url: str) -> str:
    sha: str = httpx.head(url).headers["x-content-sha256"]
    return sha


async def test_simulator_video_downloads_whole_and_the_media_host_never_sees_the_token(
    simulator: SimVideo, api_like_client: httpx.AsyncClient, tmp_path: Path
) -> None:
    refusals = simulator.control("GET", "ledger")["mediaAuthorizationRefusals"]
    url = simulator.url()
    result = await download(api_like_client, url, tmp_path / "fox.mp4")
    data = result.path.read_bytes()
    assert data[4:8] == b"ftyp"  # an MP4 file, not an error page
    assert result.sha256 == hashlib.sha256(data).hexdigest() == _published_sha(url)
    assert result.content_type == "video/mp4"
    assert simulator.control("GET", "ledger")["mediaAuthorizationRefusals"] == refusals
    assert not any(r["has_authorization"] for r in simulator.media_requests())


async def test_simulator_truncation_is_resumed_with_range(
    simulator: SimVideo, api_like_client: httpx.AsyncClient, tmp_path: Path
) -> None:
    url = simulator.url()
    simulator.control("POST", "faults", json={"route": "media", "action": "truncate", "times": 1})
    before = len(simulator.media_requests())
    result = await download(api_like_client, url, tmp_path / "fox.mp4", policy=FAST)
    seen = simulator.media_requests()[before:]
    assert [r["status"] for r in seen] == [200, 206]
    assert seen[0]["range"] is None and seen[1]["range"].startswith("bytes=")
    kept = int(seen[1]["range"][len("bytes=") : -1])
    assert 0 < kept < result.size
    assert result.sha256 == _published_sha(url) and result.requests == 2


async def test_simulator_206_with_wrong_bytes_is_caught_by_the_checksum(
    simulator: SimVideo, api_like_client: httpx.AsyncClient, tmp_path: Path
) -> None:
    url = simulator.url()
    whole = httpx.get(url).content
    dest = tmp_path / "fox.mp4"
    part_path(dest).write_bytes(whole[:1000])
    simulator.control(
        "POST", "faults", json={"route": "media", "action": "range_wrong_offset", "times": 1}
    )
    result = await download(api_like_client, url, dest, policy=FAST)
    assert dest.read_bytes() == whole and result.requests == 2 and result.resumed_from == 0


async def test_simulator_expired_urls_are_refreshed_by_one_job_read(
    simulator: SimVideo, api_like_client: httpx.AsyncClient, tmp_path: Path
) -> None:
    stale = simulator.url()
    simulator.control("POST", "expire-urls")
    reads = simulator.job_reads()

    async def refresh() -> str | None:
        return simulator.url()

    result = await download(api_like_client, stale, tmp_path / "fox.mp4", refresh_url=refresh)
    assert result.refreshed and result.requests == 2
    assert simulator.job_reads() == reads + 1
    assert result.path.read_bytes()[4:8] == b"ftyp"
