"""Files that appear whole or not at all.

Why: a notebook shows whatever file sits at a media path, so a half-written video must never be
there. Bytes collect in ``<name>.part`` next to the target (same folder, so the rename is atomic),
are ``fsync``\\ ed, then ``os.replace`` moves them into place and the folder is ``fsync``\\ ed so
the rename survives a power cut. A full disk (``ENOSPC``/``EDQUOT``) is reported as
:class:`~flow_widgets.errors.DiskFullError`, never as a generic failure, because the cure is
different: free space and resume.

Used by :mod:`flow_widgets.runtime.downloads` (streamed media) and directly for base64 payloads
(GIFs, concatenated videos, upscaled images). Blocking file I/O only; no network.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from flow_widgets.errors import DiskFullError, DownloadError

__all__ = [
    "DISK_FULL_ERRNOS",
    "DownloadResult",
    "commit_part",
    "file_sha256",
    "file_size",
    "part_path",
    "write_bytes_atomic",
]

DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)})
"""``errno`` values that mean the disk or the user's quota is full."""


@dataclass(frozen=True)
class DownloadResult:
    """A file that reached its final path, verified.

    Attributes:
        path: where it is.
        size: its size in bytes.
        sha256: its SHA-256, hex.
        content_type: the media host's ``Content-Type`` (``None`` for in-memory payloads).
        resumed_from: bytes of an earlier ``.part`` that were kept (0 for a fresh download).
        requests: HTTP requests made (0 for in-memory payloads).
        refreshed: whether the URL had to be refreshed.
    """

    path: Path
    size: int
    sha256: str
    content_type: str | None = None
    resumed_from: int = 0
    requests: int = 0
    refreshed: bool = False


def part_path(dest: Path) -> Path:
    """Where the bytes of ``dest`` collect until they are complete (``<name>.part``)."""
    return dest.with_name(dest.name + ".part")


def write_bytes_atomic(data: bytes, dest: str | os.PathLike[str]) -> DownloadResult:
    """Write an in-memory payload (a base64 GIF, concatenated video, upscaled image) atomically.

    Same guarantees as :func:`download`: ``.part``, ``fsync``, atomic rename, and
    :class:`~flow_widgets.errors.DiskFullError` on a full disk (nothing left behind, since the
    bytes are still in memory).
    """
    target = Path(dest)
    part = part_path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(part, "wb") as sink:
            sink.write(data)
            sink.flush()
            os.fsync(sink.fileno())
    except OSError as exc:
        with contextlib.suppress(OSError):
            part.unlink(missing_ok=True)
        if exc.errno in DISK_FULL_ERRNOS:
            raise DiskFullError(
                f"The disk is full while saving {target.name} ({len(data)} bytes needed); free "
                "some space and save it again.",
                path=target,
                needed_bytes=len(data),
            ) from None
        raise DownloadError(
            f"Saving {target.name} failed: {exc.strerror or exc}.", path=target
        ) from None
    commit_part(part, target)
    return DownloadResult(path=target, size=len(data), sha256=hashlib.sha256(data).hexdigest())


def commit_part(part: Path, dest: Path) -> None:
    """Atomically move a complete ``.part`` into place and make the rename durable."""
    os.replace(part, dest)
    try:
        fd = os.open(dest.parent, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms that cannot open directories
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - file systems that refuse directory fsync
        pass
    finally:
        os.close(fd)


def file_size(path: Path) -> int:
    """The size of ``path`` in bytes, 0 when it does not exist."""
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def file_sha256(path: Path) -> str:
    """The SHA-256 (hex) of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        for block in iter(lambda: source.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
