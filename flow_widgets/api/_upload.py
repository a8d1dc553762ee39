"""Upload bodies for ``POST /assets``: bytes, a path or an open file, streamed in chunks.

A 100 MB video should not be read into memory just to be sent, so a path or file object is
streamed in 64 KiB chunks with its size sent as ``Content-Length``. The rules (accepted types,
``.jpg`` and magic-byte inference, the account email) are :class:`UploadAsset`'s: it checks the
file's first bytes here, and the size limit is checked against its :data:`UPLOAD_LIMITS`.

The body may have to be sent twice (a retry after a connect error, or the one resend an upload
is allowed after an unknown outcome), so each source knows how to start over: bytes trivially,
a path by opening the file again, a file object by seeking back (a pipe, which cannot, is
refused up front).
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Union

from flow_widgets.api.requests import UPLOAD_LIMITS, UploadAsset
from flow_widgets.errors import ValidationError

__all__ = ["CHUNK_SIZE", "UploadBody", "UploadSource", "upload_body"]

CHUNK_SIZE = 64 * 1024
_HEAD = 64
UploadSource = Union[bytes, bytearray, memoryview, str, "os.PathLike[str]", IO[bytes]]


@dataclass
class UploadBody:
    """A validated, replayable raw body.

    Attributes:
        request: the validated upload (its ``content`` is the file's first bytes for streamed
            sources); gives the content type, the path and the fingerprint.
        size: the number of bytes sent (as ``Content-Length``).
    """

    request: UploadAsset
    size: int
    _data: bytes | None = field(default=None, repr=False)
    _path: Path | None = field(default=None, repr=False)
    _file: IO[bytes] | None = field(default=None, repr=False)
    _start: int = 0

    @property
    def content_type(self) -> str:
        """The ``Content-Type`` to send."""
        return self.request.content_type or "application/octet-stream"

    def chunks(self) -> Iterator[bytes]:
        """The body from its first byte, in chunks of at most :data:`CHUNK_SIZE`."""
        if self._data is not None:
            yield self._data
        elif self._path is not None:
            with self._path.open("rb") as handle:
                yield from _read_chunks(handle)
        elif self._file is not None:
            self._file.seek(self._start)
            yield from _read_chunks(self._file)


def _read_chunks(handle: IO[bytes]) -> Iterator[bytes]:
    while chunk := handle.read(CHUNK_SIZE):
        yield chunk


def upload_body(
    source: UploadSource, *, content_type: str | None = None, email: str | None = None
) -> UploadBody:
    """Validate an upload without reading it whole; the type is inferred when not given.

    Raises:
        ValidationError: a missing or unseekable file, a type the API refuses, a file too large.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        return UploadBody(UploadAsset(data, content_type, email), len(data), _data=data)
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise ValidationError(
                f"file {str(path)!r} does not exist; pass the path of an image or mp4 video.",
                field="file",
            )
        with path.open("rb") as handle:
            head = handle.read(_HEAD)
        request = UploadAsset(head, content_type, email, filename=path.name)
        return UploadBody(request, _checked_size(request, path.stat().st_size), _path=path)
    return _file_body(source, content_type, email)


def _file_body(handle: IO[bytes], content_type: str | None, email: str | None) -> UploadBody:
    if not _seekable(handle):
        raise ValidationError(
            "file must be seekable so its size is known and it can be resent; pass a path or "
            "bytes instead.",
            field="file",
        )
    name = getattr(handle, "name", None)
    start = handle.tell()
    head = handle.read(_HEAD)
    size = handle.seek(0, io.SEEK_END) - start
    handle.seek(start)
    filename = os.path.basename(name) if isinstance(name, str) else None
    request = UploadAsset(head, content_type, email, filename=filename)
    return UploadBody(request, _checked_size(request, size), _file=handle, _start=start)


def _checked_size(request: UploadAsset, size: int) -> int:
    kind = request.content_type or ""
    limit = UPLOAD_LIMITS.get(kind)
    if limit is not None and size > limit:
        raise ValidationError(
            f"content is {size / 2**20:.1f} MB; {kind} uploads may be at most {limit // 2**20} MB.",
            field="content",
        )
    return size


def _seekable(handle: IO[bytes]) -> bool:
    try:
        return bool(handle.seekable())
    except (AttributeError, OSError, ValueError):
        return False
