"""Upload bodies for ``POST /assets``: bytes, a path or an open file, streamed in chunks.

A 100 MB video should not be read into memory just to be sent, so a path or file object is
streamed in 64 KiB chunks, with its size sent as ``Content-Length``. The body may have to be
sent twice (a retry after a connect error, or the one resend an upload is allowed after an
unknown outcome), so each source knows how to start over: bytes trivially, a path by opening
the file again, a file object by seeking back (so a pipe, which cannot, is refused up front).
"""

from __future__ import annotations

import io
import mimetypes
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Union

from flow_widgets.errors import ValidationError

__all__ = ["CHUNK_SIZE", "UploadBody", "UploadSource", "content_type_for", "upload_body"]

CHUNK_SIZE = 64 * 1024
UploadSource = Union[bytes, bytearray, memoryview, str, "os.PathLike[str]", IO[bytes]]

_BY_SUFFIX = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".jpe": "image/jpeg",
    ".webp": "image/webp",
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
}
_BY_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)


def content_type_for(name: str | None, head: bytes) -> str | None:
    """The upload's media type from its file name, else from its first bytes.

    Example:
        >>> content_type_for("photo.JPG", b""), content_type_for(None, b"\\x89PNG\\r\\n\\x1a\\n")
        ('image/jpeg', 'image/png')
    """
    if name:
        suffix = Path(name).suffix.lower()
        if suffix in _BY_SUFFIX:
            return _BY_SUFFIX[suffix]
        guessed, _ = mimetypes.guess_type(name)
        if guessed:
            return guessed
    for magic, mime in _BY_MAGIC:
        if head.startswith(magic):
            return mime
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp":
        return "video/mp4"
    return None


@dataclass
class UploadBody:
    """A replayable raw body: its type, its size and a way to read it from the start.

    Attributes:
        content_type: the ``Content-Type`` to send.
        size: the number of bytes (sent as ``Content-Length``).
        name: the file name, when there is one (for messages only).
    """

    content_type: str
    size: int
    name: str | None = None
    _data: bytes | None = field(default=None, repr=False)
    _path: Path | None = field(default=None, repr=False)
    _file: IO[bytes] | None = field(default=None, repr=False)
    _start: int = 0

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


def upload_body(source: UploadSource, content_type: str | None = None) -> UploadBody:
    """Describe an upload without reading it whole; the type is inferred when not given.

    Raises:
        ValidationError: the file is missing, or its type cannot be told.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        return UploadBody(_type(content_type, None, data[:16]), len(data), _data=data)
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise ValidationError(
                f"file {str(path)!r} does not exist; pass the path of an image or mp4 video.",
                field="file",
            )
        with path.open("rb") as handle:
            head = handle.read(16)
        return UploadBody(
            _type(content_type, path.name, head), path.stat().st_size, path.name, _path=path
        )
    return _file_body(source, content_type)


def _file_body(handle: IO[bytes], content_type: str | None) -> UploadBody:
    name = getattr(handle, "name", None)
    name = os.path.basename(name) if isinstance(name, str) else None
    if not _seekable(handle):
        raise ValidationError(
            "file must be seekable so its size can be sent; pass a path or bytes instead.",
            field="file",
        )
    start = handle.tell()
    head = handle.read(16)
    size = handle.seek(0, io.SEEK_END) - start
    handle.seek(start)
    return UploadBody(_type(content_type, name, head), size, name, _file=handle, _start=start)


def _seekable(handle: IO[bytes]) -> bool:
    try:
        return bool(handle.seekable())
    except (AttributeError, OSError, ValueError):
        return False


def _type(given: str | None, name: str | None, head: bytes) -> str:
    if given:
        return given
    inferred = content_type_for(name, head)
    if inferred is None:
        shown = f" of {name!r}" if name else ""
        raise ValidationError(
            f"content_type{shown} cannot be told from the name or the bytes; pass "
            "content_type='image/png' (or image/jpeg, image/webp, video/mp4).",
            field="content_type",
        )
    return inferred
