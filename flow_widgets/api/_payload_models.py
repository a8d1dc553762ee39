"""Parsed results that carry their payload inline: uploads, captcha info, upscaled images,
GIFs and joined videos.

These replies are not jobs: ``POST /assets`` answers with the new media id (nested as
``mediaGenerationId.mediaGenerationId``), and the synchronous tools answer with base64 bytes
(``encodedImage``, ``encodedGif``, ``encodedVideo``), decoded here so callers get ``bytes`` and
their type. :class:`CaptchaInfo` also lives here, since every generation reply may carry one.
Re-exported by :mod:`flow_widgets.api.models`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from flow_widgets.api._serde import (
    JsonModel,
    decode_base64,
    extra_field,
    first,
    json_bool,
    json_float,
    json_int,
    json_list,
    json_object,
    json_str,
    unmodelled,
)

__all__ = [
    "Asset",
    "CaptchaAttempt",
    "CaptchaInfo",
    "ConcatenatedVideo",
    "Gif",
    "MediaKind",
    "UpscaledImage",
    "captcha_of",
    "inline_payload",
    "sniff_mime_type",
]

MediaKind = Literal["video", "image"]


def sniff_mime_type(data: bytes) -> str | None:
    """The media type of inline bytes from their first bytes (PNG, JPEG, GIF, WebP, MP4).

    Example:
        >>> sniff_mime_type(b"GIF89a...")
        'image/gif'
    """
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp":
        return "video/mp4"
    return None


@dataclass(frozen=True)
class CaptchaAttempt(JsonModel):
    """One solve attempt by a captcha provider."""

    service: str | None = None
    task_id: str | None = None
    duration_ms: int | None = None
    success: bool | None = None


@dataclass(frozen=True)
class CaptchaInfo(JsonModel):
    """How the captcha for a generation was solved (``captcha`` in generation replies)."""

    service: str | None = None
    task_id: str | None = None
    duration_ms: int | None = None
    attempts: tuple[CaptchaAttempt, ...] = ()

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> CaptchaInfo:
        """Read a ``captcha`` object."""
        return cls(
            service=json_str(data, "service"),
            task_id=json_str(data, "taskId"),
            duration_ms=json_int(data, "durationMs"),
            attempts=tuple(
                CaptchaAttempt(
                    service=json_str(a, "service"),
                    task_id=json_str(a, "taskId"),
                    duration_ms=json_int(a, "durationMs"),
                    success=json_bool(a, "success"),
                )
                for a in json_list(data, "attempts")
                if isinstance(a, Mapping)
            ),
        )


def captcha_of(data: Mapping[str, Any]) -> CaptchaInfo | None:
    """The ``captcha`` object of a reply, when it has one."""
    captcha = json_object(data, "captcha")
    return CaptchaInfo.from_api(captcha) if captcha else None


def inline_payload(
    data: Mapping[str, Any], keys: tuple[str, ...]
) -> tuple[bytes | None, str | None]:
    """The decoded bytes (and their sniffed type) of the first base64 field present."""
    for key in keys:
        text = json_str(data, key)
        if text is not None:
            raw = decode_base64(text, key)
            return raw, sniff_mime_type(raw)
    return None, None


@dataclass(frozen=True)
class Asset(JsonModel):
    """An uploaded image or video (``POST /assets``), ready to use as a reference."""

    media_generation_id: str
    kind: MediaKind
    width: int | None = None
    height: int | None = None
    duration_seconds: float | None = None
    email: str | None = None
    file_name: str | None = None
    extra: Mapping[str, Any] = extra_field()

    @classmethod
    def from_api(cls, body: Mapping[str, Any]) -> Asset:
        """Read an upload reply; the id is nested as ``mediaGenerationId.mediaGenerationId``."""
        nested = json_object(body, "mediaGenerationId")
        media_id = json_str(nested, "mediaGenerationId") or json_str(body, "mediaGenerationId")
        if media_id is None:
            raise ValueError("the upload reply has no mediaGenerationId")
        media = json_object(body, "media")
        dimensions = json_object(media, "image", "dimensions") or json_object(
            media, "video", "dimensions"
        )
        kind: MediaKind = "video" if "-video:" in media_id or "video" in media else "image"
        return cls(
            media_generation_id=media_id,
            kind=kind,
            width=first(json_int(body, "width"), json_int(dimensions, "width")),
            height=first(json_int(body, "height"), json_int(dimensions, "height")),
            duration_seconds=first(
                json_float(body, "durationSeconds"), json_float(dimensions, "length")
            ),
            email=json_str(body, "email"),
            file_name=json_str(json_object(body, "workflow", "metadata"), "displayName"),
            extra=unmodelled(body, _ASSET_KEYS),
        )


_ASSET_KEYS = frozenset(
    {"mediaGenerationId", "media", "width", "height", "durationSeconds", "email", "workflow"}
)


@dataclass(frozen=True)
class AssetUrl(JsonModel):
    """A fresh signed link to a clip or image (``GET /assets/{mediaGenerationId}``, C4).

    The vendor's n8n workflow uses it to get a new link for a clip; it works after the job
    itself has expired (410), and the link lasts about 6 hours (C9).
    """

    url: str
    media_generation_id: str

    @classmethod
    def from_api(cls, body: Mapping[str, Any], *, media_generation_id: str = "") -> AssetUrl:
        """Read the reply; a reply without ``url`` is unreadable (nothing to download)."""
        url = json_str(body, "url")
        if url is None:
            raise ValueError("the asset reply has no url")
        return cls(
            url=url,
            media_generation_id=json_str(body, "mediaGenerationId") or media_generation_id,
        )


@dataclass(frozen=True)
class UpscaledImage(JsonModel):
    """The result of ``POST /images/upscale``: the image bytes (JPEG)."""

    data: bytes = field(repr=False)
    mime_type: str | None = None
    captcha: CaptchaInfo | None = None

    @classmethod
    def from_api(cls, body: Mapping[str, Any]) -> UpscaledImage:
        """Read ``{"encodedImage": …, "captcha": …}``."""
        data, mime = inline_payload(body, ("encodedImage",))
        if data is None:
            raise ValueError("the upscale reply has no encodedImage")
        return cls(data=data, mime_type=mime, captcha=captcha_of(body))


@dataclass(frozen=True)
class Gif(JsonModel):
    """The result of ``POST /videos/gif``: an animated GIF preview of a video."""

    data: bytes = field(repr=False)

    @classmethod
    def from_api(cls, body: Mapping[str, Any]) -> Gif:
        """Read ``{"encodedGif": …}``."""
        data, _ = inline_payload(body, ("encodedGif",))
        if data is None:
            raise ValueError("the GIF reply has no encodedGif")
        return cls(data=data)


@dataclass(frozen=True)
class ConcatenatedVideo(JsonModel):
    """The result of ``POST /videos/concatenate``: one MP4 joined from 2–10 clips."""

    data: bytes = field(repr=False)
    jobid: str | None = None
    status: str | None = None
    inputs_count: int | None = None

    @classmethod
    def from_api(cls, body: Mapping[str, Any]) -> ConcatenatedVideo:
        """Read ``{"jobId", "status", "inputsCount", "encodedVideo"}``."""
        data, _ = inline_payload(body, ("encodedVideo",))
        if data is None:
            raise ValueError("the concatenate reply has no encodedVideo")
        return cls(
            data=data,
            jobid=json_str(body, "jobId") or json_str(body, "jobid"),
            status=json_str(body, "status"),
            inputs_count=json_int(body, "inputsCount"),
        )
