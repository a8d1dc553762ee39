"""``POST /assets[/{email}]``: an image or video upload, checked before the bytes travel.

The body is raw bytes with a ``Content-Type``; the API takes PNG, JPEG and WebP up to 20 MB and
MP4 up to 100 MB (for omni-flash video edits). A wrong type or an oversized file would otherwise
be found out only after a long upload, so :class:`UploadAsset` infers the type from the file
name (``.jpg`` too) or the bytes, and checks the declared type against the file's magic bytes.
Sizes are read as MiB, the larger reading, so nothing the API accepts is refused here.
Pure: no I/O (the caller reads the file).

Example:
    >>> png = b"\\x89PNG\\r\\n\\x1a\\n" + bytes(16)
    >>> UploadAsset(png, filename="cat.png")
    UploadAsset(content_type='image/png', size=24, email=None)
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import quote

from flow_widgets.api.models import sniff_mime_type
from flow_widgets.api.requests import _rules as rules
from flow_widgets.api.requests._base import FlowRequest
from flow_widgets.api.requests._fields import Field, Scalar, fail

__all__ = ["UPLOAD_LIMITS", "UploadAsset"]

MIB = 1024 * 1024
#: content type -> largest accepted size in bytes.
UPLOAD_LIMITS: dict[str, int] = {
    "image/png": 20 * MIB,
    "image/jpeg": 20 * MIB,
    "image/webp": 20 * MIB,
    "video/mp4": 100 * MIB,
}
_EXTENSIONS = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".mp4": "video/mp4",
}
_ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg"}


class _Bytes:
    """The raw body; never coerced from text (a multipart form cannot carry it here)."""

    attr = "content"

    def check(self, value: Any) -> bytes:
        if isinstance(value, (bytearray, memoryview)):
            return bytes(value)
        if not isinstance(value, bytes):
            raise fail("content", "content must be the file's bytes; read the file in binary mode.")
        return value

    def dump(self, value: bytes, out: dict[str, Any]) -> None:
        out["content"] = value

    def load(self, data: dict[str, Any], kwargs: dict[str, Any]) -> None:
        if "content" in data:
            kwargs["content"] = data.pop("content")

    def names(self) -> str:
        return "content"


@dataclass(frozen=True, repr=False)
class UploadAsset(FlowRequest):
    """A validated upload. ``to_payload()`` is ``{"contentType", "content", "email"?}``: the
    client sends ``content`` as the body with that ``Content-Type`` to :meth:`request_path`.

    ``filename`` only helps infer the type; it is not sent and not compared.
    """

    method: ClassVar[str] = "POST"
    path: ClassVar[str] = "/assets"
    _fields: ClassVar[tuple[Field, ...]] = (
        _Bytes(),
        Scalar("content_type", "contentType"),
        Scalar("email", "email"),
    )

    content: bytes
    content_type: str | None = None
    email: str | None = None
    filename: str | None = dataclasses.field(default=None, compare=False)

    def _validate(self) -> None:
        if not self.content:
            raise fail("content", "content is empty; pick a non-empty PNG, JPEG, WebP or MP4 file.")
        declared = self._declared_type()
        sniffed = sniff_mime_type(self.content)
        if declared is None and sniffed is None:
            raise fail(
                "contentType",
                "contentType could not be told from the file; upload a PNG, JPEG, WebP or MP4.",
            )
        kind = declared or sniffed
        assert kind is not None
        if kind not in UPLOAD_LIMITS:
            raise fail(
                "contentType",
                f"contentType {kind} is not accepted; upload image/png, image/jpeg, image/webp "
                "or video/mp4.",
            )
        if sniffed != kind:
            found = f"a {sniffed} file" if sniffed else "not a PNG, JPEG, WebP or MP4 file"
            raise fail(
                "contentType",
                f"contentType says {kind} but the bytes are {found}; fix the file or its type.",
            )
        limit = UPLOAD_LIMITS[kind]
        if len(self.content) > limit:
            raise fail(
                "content",
                f"content is {len(self.content) / MIB:.1f} MB; {kind} uploads may be at most "
                f"{limit // MIB} MB.",
            )
        object.__setattr__(self, "content_type", kind)
        rules.check_email(self.email)

    def _declared_type(self) -> str | None:
        if self.content_type is not None:
            base = self.content_type.split(";", 1)[0].strip().lower()
            return _ALIASES.get(base, base)
        if self.filename is not None:
            dot = self.filename.rfind(".")
            extension = self.filename[dot:].lower() if dot >= 0 else ""
            if extension not in _EXTENSIONS:
                raise fail(
                    "contentType",
                    f"contentType cannot be told from file name {self.filename!r}; use a .png, "
                    ".jpg, .jpeg, .webp or .mp4 file.",
                )
            return _EXTENSIONS[extension]
        return None

    def request_path(self) -> str:
        """``/assets/{email}`` (URL-encoded) when an account is named, else ``/assets``."""
        return f"/assets/{quote(self.email, safe='')}" if self.email else "/assets"

    def _fingerprint_payload(self) -> dict[str, Any]:
        payload = self.to_payload()
        payload["content"] = hashlib.sha256(self.content).hexdigest()
        return payload

    def __repr__(self) -> str:
        return (
            f"UploadAsset(content_type={self.content_type!r}, size={len(self.content)}, "
            f"email={self.email!r})"
        )
