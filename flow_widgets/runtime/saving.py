"""Saving a finished job's outputs into the media folder, once, and remembering them.

Why a module: the runtime must fetch every output promptly (signed URLs expire within hours),
never twice (a re-attached job whose files are on disk needs no network), and stop cleanly when
the disk fills up instead of writing half-files everywhere. :class:`MediaSaver` picks each file's
stable name (so an interrupted ``.part`` is found again after a restart), downloads URLs or writes
inline base64 payloads atomically, records each file in the ledger, and after a full disk refuses
further downloads until :meth:`MediaSaver.clear_disk_full` (what ``flow.resume()`` calls once
space was freed). Runs on the engine loop; blocking file work goes to a worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import httpx

from flow_widgets.api.models import Media
from flow_widgets.errors import DiskFullError, DownloadError
from flow_widgets.runtime.atomic_files import DownloadResult, write_bytes_atomic
from flow_widgets.runtime.downloads import DEFAULT_POLICY, DownloadPolicy, OpenPart, download
from flow_widgets.runtime.filenames import extension_for, media_filename
from flow_widgets.runtime.jobs import MediaFile
from flow_widgets.runtime.ledger import Ledger
from flow_widgets.runtime.media_check import media_problem

__all__ = ["DEFAULT_EXTENSIONS", "MediaSaver", "RefreshUrl"]

#: The extension a file gets before its ``Content-Type`` is known (kept stable for resumes).
DEFAULT_EXTENSIONS = {"video": "mp4", "image": "png", "gif": "gif", "audio": "wav"}

RefreshUrl = Callable[[int], Awaitable[str | None]]
"""``refresh(index)``: a fresh URL for media ``index`` (``GET /assets/{id}``), or ``None``."""


class MediaSaver:
    """Downloads and writes outputs for the runtime; one per session.

    Args:
        http: the media client (no API credentials; :func:`download` strips them anyway).
        ledger: where saved files are recorded.
        media_dir: the media folder (created on first save).
        max_parallel: downloads running at once.
        policy: retry and deadline limits for each download.
        open_part: how ``.part`` files are opened (tests inject a full disk through it).
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        ledger: Ledger,
        media_dir: Path,
        *,
        max_parallel: int = 4,
        policy: DownloadPolicy = DEFAULT_POLICY,
        open_part: OpenPart | None = None,
    ) -> None:
        self.http = http
        self.open_part = open_part
        self.ledger = ledger
        self.media_dir = media_dir
        self.policy = policy
        self._slots = asyncio.Semaphore(max_parallel)
        self.disk_full: DiskFullError | None = None
        self.downloads = 0

    def clear_disk_full(self) -> None:
        """Allow downloads again (the user freed space)."""
        self.disk_full = None

    # -- whole jobs ----------------------------------------------------------------------------

    async def save_job_media(
        self,
        sid: str,
        *,
        kind: str,
        prompt: str | None,
        jobid: str,
        media: Sequence[Media],
        refresh: RefreshUrl,
    ) -> tuple[MediaFile, ...]:
        """Save every output of a job (skipping files already saved); returns them in order.

        Raises:
            DiskFullError: the disk ran out (here or in another download since); parts are kept.
            DownloadError: a file could not be fetched even after a URL refresh.
        """
        saved = self.saved_files(sid)

        async def one(index: int, item: Media) -> MediaFile:
            if index in saved:
                return _with_source(saved[index], item)
            return await self._save_one(sid, kind, prompt, jobid, index, item, refresh)

        results = await asyncio.gather(
            *(one(i, m) for i, m in enumerate(media)), return_exceptions=True
        )
        for outcome in results:  # the first failure wins; every finished file was recorded
            if isinstance(outcome, BaseException):
                raise outcome
        return tuple(r for r in results if isinstance(r, MediaFile))

    async def save_bytes(
        self, sid: str, *, kind: str, prompt: str | None, key: str, data: bytes, ext: str
    ) -> MediaFile:
        """Write an inline payload (GIF, joined video, upscaled image) as media 0 of ``sid``."""
        saved = self.saved_files(sid)
        if 0 in saved:
            return saved[0]
        dest = media_filename(kind, prompt, key, 0, ext, self.media_dir)
        result = await asyncio.to_thread(_write, data, dest)
        return self._record(sid, 0, None, kind, result, url=None)

    # -- internals -----------------------------------------------------------------------------

    def saved_files(self, sid: str) -> dict[int, MediaFile]:
        """Files the ledger lists for ``sid`` that are still on disk with their recorded size."""
        found: dict[int, MediaFile] = {}
        for record in self.ledger.media_files(sid):
            with contextlib.suppress(OSError):
                if record.path.stat().st_size == record.size:
                    found[record.index] = MediaFile(
                        index=record.index,
                        kind=_kind_of_path(record.path),
                        media_id=record.media_id,
                        path=record.path,
                        size=record.size,
                        sha256=record.sha256,
                    )
        return found

    async def _save_one(
        self,
        sid: str,
        kind: str,
        prompt: str | None,
        jobid: str,
        index: int,
        item: Media,
        refresh: RefreshUrl,
    ) -> MediaFile:
        media_kind = item.kind if item.kind in DEFAULT_EXTENSIONS else kind
        if item.data is not None:
            ext = extension_for(item.mime_type, DEFAULT_EXTENSIONS.get(media_kind, "bin"))
            dest = media_filename(media_kind, prompt, jobid, index, ext, self.media_dir)
            result = await asyncio.to_thread(_write, item.data, dest)
            return self._record(sid, index, item, media_kind, result, url=None)
        if not item.url:
            raise DownloadError(
                f"Output {index} of the job has neither a URL nor inline data to save."
            )
        result = await self._fetch(item.url, media_kind, prompt, jobid, index, refresh)
        return self._record(sid, index, item, media_kind, result, url=item.url)

    async def save_url(
        self, sid: str, *, kind: str, prompt: str | None, key: str, url: str
    ) -> MediaFile:
        """Download one file that belongs to no job's ``media[]`` (a voice's audio clip)."""
        saved = self.saved_files(sid)
        if 0 in saved:
            return saved[0]

        async def no_refresh(index: int) -> str | None:
            return None

        result = await self._fetch(url, kind, prompt, key, 0, no_refresh)
        return self._record(sid, 0, None, kind, result, url=url)

    async def _fetch(
        self,
        url: str,
        kind: str,
        prompt: str | None,
        key: str,
        index: int,
        refresh: RefreshUrl,
    ) -> DownloadResult:
        dest = media_filename(
            kind, prompt, key, index, DEFAULT_EXTENSIONS.get(kind, "bin"), self.media_dir
        )
        async with self._slots:
            if self.disk_full is not None:
                raise self.disk_full
            await asyncio.to_thread(self.media_dir.mkdir, parents=True, exist_ok=True)

            async def fresh_url() -> str | None:
                return await refresh(index)

            try:
                self.downloads += 1

                def verify(path: Path) -> str | None:  # the media it claims, or why not
                    return media_problem(path, kind)

                result = await download(
                    self.http,
                    url,
                    dest,
                    refresh_url=fresh_url,
                    policy=self.policy,
                    open_part=self.open_part,
                    verify=verify,
                )
            except DiskFullError as exc:
                self.disk_full = exc
                raise
        return _fix_extension(result, kind)

    def _record(
        self,
        sid: str,
        index: int,
        item: Media | None,
        kind: str,
        result: DownloadResult,
        *,
        url: str | None,
    ) -> MediaFile:
        media_id = item.media_generation_id if item is not None else None
        self.ledger.add_media_file(sid, index, media_id, result.path, result.size, result.sha256)
        return MediaFile(
            index=index,
            kind=kind,
            media_id=media_id,
            url=url,
            path=result.path,
            seed=item.seed if item is not None else None,
            size=result.size,
            sha256=result.sha256,
            duration=item.duration_seconds if item is not None else None,
        )


def _write(data: bytes, dest: Path) -> DownloadResult:
    dest.parent.mkdir(parents=True, exist_ok=True)
    return write_bytes_atomic(data, dest)


def _fix_extension(result: DownloadResult, kind: str) -> DownloadResult:
    """Rename a finished file whose real type differs from the provisional extension."""
    wanted = extension_for(result.content_type, "")
    current = result.path.suffix.lstrip(".")
    if not wanted or wanted == current or kind == "video":
        return result
    target = result.path.with_suffix("." + wanted)
    os.replace(result.path, target)
    return DownloadResult(
        path=target,
        size=result.size,
        sha256=result.sha256,
        content_type=result.content_type,
        resumed_from=result.resumed_from,
        requests=result.requests,
        refreshed=result.refreshed,
    )


def _kind_of_path(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    for kind, ext in DEFAULT_EXTENSIONS.items():
        if ext == suffix:
            return kind
    return "image" if suffix in ("jpg", "jpeg", "webp") else "video"


def _with_source(saved: MediaFile, item: Media) -> MediaFile:
    return MediaFile(
        index=saved.index,
        kind=item.kind if item.kind in DEFAULT_EXTENSIONS else saved.kind,
        media_id=item.media_generation_id,
        url=item.url,
        path=saved.path,
        seed=item.seed,
        size=saved.size,
        sha256=saved.sha256,
        duration=item.duration_seconds,
    )
