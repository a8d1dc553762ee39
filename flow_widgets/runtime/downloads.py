"""Saving finished media to disk: resumable, verified, atomic, and never with credentials.

Why so careful: signed media URLs expire within hours, a notebook shows whatever file sits at
the final path, and a truncated video that *looks* saved is worse than none. So a download

* streams into ``<name>.part`` next to the target and resumes it with ``Range`` (appending only
  on a ``206`` whose ``Content-Range`` starts exactly at the bytes already on disk; a ``200``
  or a wrong offset starts over cleanly);
* verifies the byte count (``Content-Length``/``Content-Range`` total, or the size the caller
  expects) and the ``X-Content-SHA256`` checksum when the media host sends one, then ``fsync``\\ s
  and atomically renames — nothing ever appears at the final path half-written;
* retries transient failures (dropped connections, 5xx, 429) with capped, jittered backoff,
  within one overall deadline so a trickling server cannot hold it forever;
* on ``403``/``404``/``410`` asks the caller once for a fresh URL (``GET /assets/{id}``);
* on a full disk (``ENOSPC``/``EDQUOT``) stops with :class:`~flow_widgets.errors.DiskFullError`
  and keeps the ``.part`` for a later resume;
* never sends ``Authorization`` or cookies: the media host is another origin and the API token
  is not its business, whatever client is passed in.

Error messages show a URL as host and path only, never its signature.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, cast

import httpx

from flow_widgets.api._retry import backoff, parse_retry_after
from flow_widgets.errors import DiskFullError, DownloadError, MediaExpiredError
from flow_widgets.runtime import signed_urls
from flow_widgets.runtime.atomic_files import (
    DISK_FULL_ERRNOS,
    DownloadResult,
    commit_part,
    file_sha256,
    file_size,
    part_path,
    write_bytes_atomic,
)

__all__ = [
    "DEFAULT_POLICY",
    "DownloadPolicy",
    "DownloadResult",
    "display_url",
    "download",
    "part_path",
    "write_bytes_atomic",
]

log = logging.getLogger("flow_widgets.downloads")
signed_urls.install()  # httpx logs each request's URL; a media URL's signature must not show

_EXPIRED = frozenset({403, 404, 410})
_CONTENT_RANGE = re.compile(r"^\s*bytes\s+(?:(\d+)-\d+|\*)\s*/\s*(\d+|\*)\s*$", re.IGNORECASE)
_STRIPPED_HEADERS = ("authorization", "proxy-authorization", "cookie")
_MAX_REDIRECTS = 5


@dataclass(frozen=True)
class DownloadPolicy:
    """The limits of one download (defaults follow the team's reliability table).

    Attributes:
        attempts: transient failures tolerated before giving up (the ``.part`` is kept).
        backoff_base: first delay before jitter, in seconds; doubles per failure.
        backoff_cap: the largest delay before jitter.
        retry_after_cap: a ``Retry-After`` above this is not waited for (backoff is used).
        connect_timeout: seconds to open a connection.
        read_timeout: seconds one read may stall.
        min_deadline: the overall deadline for a file of unknown or small size.
        min_rate: bytes per second the deadline assumes for large files.
    """

    attempts: int = 5
    backoff_base: float = 1.0
    backoff_cap: float = 30.0
    retry_after_cap: float = 60.0
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    min_deadline: float = 120.0
    min_rate: float = 100_000.0

    def deadline_for(self, size: int | None) -> float:
        """The overall deadline for a file of ``size`` bytes (``max(120 s, size / 100 kB/s)``)."""
        return max(self.min_deadline, (size or 0) / self.min_rate)


DEFAULT_POLICY = DownloadPolicy()


def display_url(url: str) -> str:
    """A URL fit for messages: scheme, host and path; the signed query is elided.

    Example:
        >>> display_url("https://media.example/v/1.mp4?Expires=1&Signature=abc")
        'https://media.example/v/1.mp4?…'
    """
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        return "<invalid URL>"
    shown = (
        f"{parsed.scheme}://{parsed.host}{f':{parsed.port}' if parsed.port else ''}{parsed.path}"
    )
    return shown + ("?…" if parsed.query else "")


OpenPart = Callable[[Path, str], BinaryIO]
"""How a ``.part`` file is opened (``open``); injectable so tests can fail writes on purpose."""


def _open_part(path: Path, mode: str) -> BinaryIO:
    return cast(BinaryIO, open(path, mode))  # the caller closes it in a with-block


async def download(
    http: httpx.AsyncClient,
    url: str,
    dest: str | os.PathLike[str],
    *,
    expected_size: int | None = None,
    refresh_url: Callable[[], Awaitable[str | None]] | None = None,
    timeout: float | None = None,
    policy: DownloadPolicy = DEFAULT_POLICY,
    on_progress: Callable[[int, int | None], None] | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    rand: Callable[[], float] = random.random,
    open_part: OpenPart | None = None,
    verify: Callable[[Path], str | None] | None = None,
) -> DownloadResult:
    """Download ``url`` to ``dest`` through ``<dest>.part``, resuming what an earlier try left.

    Args:
        http: the client to use; its ``Authorization``, auth and cookies are never sent.
        url: the signed ``http(s)`` media URL.
        dest: the final path (see :func:`~flow_widgets.runtime.filenames.media_filename`).
        expected_size: the size the file must have, when known.
        refresh_url: called once after a 403/404/410 for a fresh URL (``None``: the job is gone).
        timeout: overall deadline in seconds (default: :meth:`DownloadPolicy.deadline_for`).
        policy: retry and timeout limits.
        on_progress: called with ``(bytes on disk, total or None)`` after each chunk.
        sleep: the backoff sleep (tests pass a fast one).
        rand: jitter source in ``[0, 1)``.
        open_part: opens the ``.part`` file (default ``open``); tests inject write failures.
        verify: says why a complete ``.part`` is not the media it should be (``None``: it is);
            such a file is discarded, the URL refreshed once, and then it is a failed download
            naming the reason -- an error page is never saved as the clip.

    Raises:
        DiskFullError: the disk ran out; the ``.part`` is kept for a later resume.
        MediaExpiredError: the URL is refused even after one refresh.
        DownloadError: anything else that survived the retries (the ``.part`` is kept).

    Example:
        >>> result = await download(media_client, job.media[0].url, path)  # doctest: +SKIP
        >>> result.size, result.sha256                                     # doctest: +SKIP
    """
    target = Path(dest)
    if _scheme(url) not in ("http", "https"):
        raise DownloadError(
            f"Media URL {display_url(url)} is not http(s); refusing to fetch it.", path=target
        )
    deadline = timeout if timeout is not None else policy.deadline_for(expected_size)
    run = _Download(http, url, target, expected_size, refresh_url, policy, on_progress, verify)
    try:
        return await asyncio.wait_for(run.run(sleep, rand, open_part or _open_part), deadline)
    except asyncio.TimeoutError:
        kept = file_size(run.part)
        raise DownloadError(
            f"Downloading {target.name} did not finish within {deadline:g} s; {kept} bytes are "
            f"kept in {run.part.name} and the next attempt resumes from there.",
            path=target,
        ) from None


class _Download:
    """The state of one download across its attempts."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        url: str,
        dest: Path,
        expected_size: int | None,
        refresh_url: Callable[[], Awaitable[str | None]] | None,
        policy: DownloadPolicy,
        on_progress: Callable[[int, int | None], None] | None,
        verify: Callable[[Path], str | None] | None = None,
    ) -> None:
        self.http, self.url, self.dest = http, url, dest
        self.part = part_path(dest)
        self.expected_size = expected_size
        self.refresh_url = refresh_url
        self.policy = policy
        self.on_progress = on_progress
        self.verify = verify
        self.refreshed = False
        self.requests = 0
        self.failures = 0
        self.validator: str | None = None
        self.resumed_from: int | None = None

    async def run(
        self,
        sleep: Callable[[float], Awaitable[None]],
        rand: Callable[[], float],
        open_part: OpenPart,
    ) -> DownloadResult:
        try:
            self.dest.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise self._disk_error(exc, self.expected_size) from None
        while True:
            try:
                outcome = await self._attempt(open_part)
            except httpx.TransportError as exc:
                problem, retry_after = f"the connection failed ({type(exc).__name__})", None
            except _Retry as retry:
                problem, retry_after = retry.problem, retry.retry_after
            else:
                if outcome is not None:
                    return outcome
                continue  # the URL was just refreshed: try the new one at once
            self.failures += 1
            if self.failures >= self.policy.attempts:
                raise DownloadError(
                    f"Downloading {self.dest.name} failed {self.failures} times, last because "
                    f"{problem}; {file_size(self.part)} bytes are kept in {self.part.name} for a "
                    "later resume.",
                    path=self.dest,
                )
            delay = backoff(self.failures, self.policy.backoff_base, self.policy.backoff_cap, rand)
            if retry_after is not None and 0 < retry_after <= self.policy.retry_after_cap:
                delay = retry_after
            log.debug("retrying %s in %.2f s: %s", display_url(self.url), delay, problem)
            await sleep(delay)

    def _request(self, url: httpx.URL, offset: int) -> httpx.Request:
        headers = {"Accept-Encoding": "identity"}
        if offset:
            headers["Range"] = f"bytes={offset}-"
            if self.validator:
                headers["If-Range"] = self.validator
        timeout = httpx.Timeout(self.policy.read_timeout, connect=self.policy.connect_timeout)
        request = self.http.build_request(
            "GET", url.copy_with(username=None, password=None), headers=headers, timeout=timeout
        )
        for name in _STRIPPED_HEADERS:
            request.headers.pop(name, None)
        return request

    async def _attempt(self, open_part: OpenPart) -> DownloadResult | None:
        """One request; a result when the file is done, ``None`` to retry at once, or raises.

        Redirects are followed here rather than by httpx, which would re-attach the client's
        cookies to the next hop.
        """
        offset = file_size(self.part)
        if self.resumed_from is None:
            self.resumed_from = offset
        self.requests += 1
        url = httpx.URL(self.url)
        for _ in range(_MAX_REDIRECTS + 1):
            request = self._request(url, offset)
            response = await self.http.send(request, stream=True, auth=None, follow_redirects=False)
            if not (response.is_redirect and "location" in response.headers):
                break
            await response.aclose()
            url = response.url.join(response.headers["location"])
            if url.scheme not in ("http", "https"):
                raise DownloadError(
                    f"The media host redirected {self.dest.name} to a non-http(s) URL; refusing.",
                    path=self.dest,
                )
        else:
            raise _Retry(f"the media host redirected more than {_MAX_REDIRECTS} times")
        try:
            return await self._receive(response, offset, open_part)
        finally:
            await response.aclose()

    async def _receive(
        self, response: httpx.Response, offset: int, open_part: OpenPart
    ) -> DownloadResult | None:
        status = response.status_code
        if status in _EXPIRED:
            return await self._refresh(status)
        if status == 416:
            total = _content_range(response.headers.get("content-range"))[1]
            total = total if total is not None else self.expected_size
            if offset and offset == total:
                return await self._finish(response, total, None)
            self._discard()
            raise _Retry(f"the media host refused the resume range ({offset} bytes on disk)")
        if status == 429 or status >= 500:
            raise _Retry(
                f"the media host answered {status}",
                parse_retry_after(response.headers.get("retry-after")),
            )
        if status not in (200, 206):
            raise DownloadError(
                f"The media host answered {status} for {display_url(self.url)}; the file cannot "
                "be downloaded.",
                path=self.dest,
            )
        total = self._total(response)
        start = 0
        if status == 206:
            start = _content_range(response.headers.get("content-range"))[0] or 0
            if start != offset:
                self._discard()
                raise _Retry(f"the media host resumed at byte {start} instead of {offset}")
        self.validator = _validator(response) or self.validator
        if not start:
            self.resumed_from = 0  # whatever was on disk is overwritten
        await self._stream(response, "ab" if start else "wb", total, open_part)
        return await self._finish(response, total, response.headers.get("x-content-sha256"))

    async def _refresh(self, status: int) -> DownloadResult | None:
        if self.refresh_url is not None and not self.refreshed:
            self.refreshed = True
            fresh = await self.refresh_url()
            if fresh:
                self.url = fresh
                return None
        raise MediaExpiredError(
            f"The media link for {self.dest.name} is no longer valid (HTTP {status})"
            + (" even after asking for a fresh link" if self.refreshed else "")
            + "; it needs a fresh link from the API"
            + (
                f" ({file_size(self.part)} bytes are kept in {self.part.name})."
                if file_size(self.part)
                else "."
            ),
            path=self.dest,
            status_code=status,
        )

    def _total(self, response: httpx.Response) -> int | None:
        if response.status_code == 206:
            total = _content_range(response.headers.get("content-range"))[1]
        else:
            length = response.headers.get("content-length")
            total = int(length) if length and length.isdigit() else None
        return total if total is not None else self.expected_size

    async def _stream(
        self, response: httpx.Response, mode: str, total: int | None, open_part: OpenPart
    ) -> None:
        written = file_size(self.part) if mode == "ab" else 0
        try:
            with open_part(self.part, mode) as sink:
                async for chunk in response.aiter_raw():
                    sink.write(chunk)
                    written += len(chunk)
                    self._report(written, total)
                sink.flush()
                os.fsync(sink.fileno())
        except OSError as exc:
            raise self._disk_error(exc, total) from None

    def _report(self, written: int, total: int | None) -> None:
        try:
            if self.on_progress is not None:
                self.on_progress(written, total)
        except Exception:  # a failing progress display must not stop the download
            log.exception("the download progress callback failed")

    async def _finish(
        self, response: httpx.Response, total: int | None, checksum: str | None
    ) -> DownloadResult | None:
        size = file_size(self.part)
        if total is not None and size < total:
            raise _Retry(f"the body stopped after {size} of {total} bytes")
        wanted = self.expected_size if self.expected_size is not None else total
        if wanted is not None and size != wanted:
            self._discard()
            raise _Retry(f"the file has {size} bytes where {wanted} were expected")
        digest = file_sha256(self.part)
        if checksum and digest != checksum.strip().lower():
            self._discard()
            raise _Retry("the file's SHA-256 does not match the media host's checksum")
        problem = None if self.verify is None else await asyncio.to_thread(self.verify, self.part)
        if problem is not None:
            self._discard()
            if self.refresh_url is not None and not self.refreshed:
                self.refreshed = True
                fresh = await self.refresh_url()
                if fresh:
                    self.url = fresh
                    return None  # one more try from the job's fresh link
            raise DownloadError(
                f"The media host's answer for {self.dest.name} is not the media it should be: "
                f"{problem} (sent as {response.headers.get('content-type') or 'no type'}); "
                "nothing was saved.",
                path=self.dest,
            )
        commit_part(self.part, self.dest)
        return DownloadResult(
            path=self.dest,
            size=size,
            sha256=digest,
            content_type=response.headers.get("content-type"),
            resumed_from=self.resumed_from or 0,
            requests=self.requests,
            refreshed=self.refreshed,
        )

    def _discard(self) -> None:
        self.part.unlink(missing_ok=True)
        self.validator = None
        self.resumed_from = 0

    def _disk_error(self, exc: OSError, total: int | None) -> DownloadError:
        kept = file_size(self.part)
        if exc.errno in DISK_FULL_ERRNOS:
            needed = None if total is None else max(total - kept, 0)
            return DiskFullError(
                f"The disk is full while saving {self.dest.name}"
                + (f" ({needed} more bytes needed)" if needed is not None else "")
                + f"; free some space and resume: {kept} bytes are kept in {self.part.name}.",
                path=self.dest,
                needed_bytes=needed,
            )
        return DownloadError(
            f"Saving {self.dest.name} failed: {exc.strerror or exc}.", path=self.dest
        )


class _Retry(Exception):
    """An attempt failed in a way worth retrying (after backoff)."""

    def __init__(self, problem: str, retry_after: float | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.retry_after = retry_after


def _content_range(value: str | None) -> tuple[int | None, int | None]:
    """``(start, total)`` of a ``Content-Range`` header; ``None`` where absent or ``*``."""
    match = _CONTENT_RANGE.match(value or "")
    if match is None:
        return None, None
    start, total = match.groups()
    return (int(start) if start else None, int(total) if total and total != "*" else None)


def _scheme(url: str) -> str | None:
    try:
        return httpx.URL(url).scheme
    except (httpx.InvalidURL, TypeError):
        return None


def _validator(response: httpx.Response) -> str | None:
    """A validator for ``If-Range``: a strong ETag, else ``Last-Modified``."""
    etag = response.headers.get("etag")
    if etag and not etag.startswith("W/"):
        return str(etag)
    modified = response.headers.get("last-modified")
    return str(modified) if modified else None
