"""Parsed results of the Google Flow API: jobs, media, uploads and the sync-only payloads.

The API returns the same things in many shapes: a synchronous 200 (``jobId``, ``media[]``), an
async 201 and ``GET /jobs/{jobid}`` (``jobid``, ``response.media`` or pending
``response.operations``), legacy ``operations[]`` carrying ``fifeUrl``, images with a signed
``fifeUrl`` *or* inline ``encodedImage``, and an empty ``media`` list when Google moderated the
output. Each ``from_api`` classmethod reads every documented shape into one frozen dataclass, so
the rest of the package never looks at raw JSON. Inline base64 payloads are decoded to bytes
here.

Every model round-trips through ``to_dict()``/``from_dict()`` as plain JSON (for the ledger).
Parsers raise ``ValueError`` only when a body lacks what makes it that thing (a job without a
jobid, an upload without its id); missing optional fields become ``None``.

The account, captcha and statistics results live in :mod:`flow_widgets.api._account_models`,
voices and characters in :mod:`flow_widgets.api._library_models`; all are re-exported here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Literal

from flow_widgets.api._account_models import (
    Account,
    AccountLoad,
    AccountModel,
    AccountSummary,
    CaptchaProviders,
    CaptchaStatRow,
    CaptchaStats,
    ExecutingJob,
    FinishedJob,
    JobsStats,
    JobsStatsSection,
    parse_account_list,
)
from flow_widgets.api._library_models import (
    Character,
    CharacterImage,
    CharacterVoice,
    Deletion,
    Voice,
    parse_character_list,
    parse_voice_list,
)
from flow_widgets.api._serde import (
    JsonModel,
    decode_base64,
    first,
    json_bool,
    json_float,
    json_int,
    json_list,
    json_object,
    json_str,
    json_strs,
)
from flow_widgets.api.ids import account_of, parse_jobid

__all__ = [
    "TERMINAL_STATUSES",
    "Account",
    "AccountLoad",
    "AccountModel",
    "AccountSummary",
    "Asset",
    "CaptchaAttempt",
    "CaptchaInfo",
    "CaptchaProviders",
    "CaptchaStatRow",
    "CaptchaStats",
    "Character",
    "CharacterImage",
    "CharacterVoice",
    "ConcatenatedVideo",
    "Deletion",
    "ExecutingJob",
    "FinishedJob",
    "Gif",
    "Job",
    "JobStatus",
    "JobsStats",
    "JobsStatsSection",
    "Media",
    "MediaKind",
    "Operation",
    "UpscaledImage",
    "Voice",
    "parse_account_list",
    "parse_character_list",
    "parse_voice_list",
    "sniff_mime_type",
]

MediaKind = Literal["video", "image"]
JobStatus = Literal["created", "started", "completed", "failed"]
TERMINAL_STATUSES: frozenset[str] = frozenset({"completed", "failed"})
_STATUSES = frozenset({"created", "started", "completed", "failed"})


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


def _captcha(data: Mapping[str, Any]) -> CaptchaInfo | None:
    captcha = json_object(data, "captcha")
    return CaptchaInfo.from_api(captcha) if captcha else None


@dataclass(frozen=True)
class Media(JsonModel):
    """One generated (or upscaled) video or image.

    Attributes:
        media_generation_id: the id to reuse as a reference, to upscale, extend or animate.
        kind: ``"video"`` or ``"image"``.
        url: the signed download URL (``videoUrl`` or ``fifeUrl``); it expires within hours.
        thumbnail_url: a signed still for videos.
        data: inline bytes when the server sent base64 instead of a URL.
        mime_type: the type of ``data`` when known.
        status: Google's ``MEDIA_GENERATION_STATUS_*`` value.
        visibility: ``PRIVATE``, or ``FILTERED`` when moderation removed the output.
        failure_reasons: Google's reasons for a filtered or failed output.
        error: Google's message for a failed output.
    """

    media_generation_id: str
    kind: MediaKind
    url: str | None = None
    thumbnail_url: str | None = None
    seed: int | None = None
    prompt: str | None = None
    aspect_ratio: str | None = None
    duration_seconds: float | None = None
    model_key: str | None = None
    status: str | None = None
    visibility: str | None = None
    failure_reasons: tuple[str, ...] = ()
    error: str | None = None
    name: str | None = None
    data: bytes | None = field(default=None, repr=False)
    mime_type: str | None = None

    @property
    def account_email(self) -> str | None:
        """The Google account that owns this media (decoded from its id)."""
        return account_of(self.media_generation_id)

    @property
    def filtered(self) -> bool:
        """True when Google withheld the output (moderation) or it failed."""
        return self.visibility == "FILTERED" or (self.status or "").endswith("_FAILED")

    @classmethod
    def from_api(cls, entry: Mapping[str, Any], *, default_kind: MediaKind = "video") -> Media:
        """Read one entry of ``media[]`` (video or image) or a legacy ``operations[]`` entry."""
        if "operation" in entry and "video" not in entry and "image" not in entry:
            return cls._from_operation(entry, default_kind)
        image = json_object(entry, "image", "generatedImage")
        video = json_object(entry, "video")
        generated = json_object(video, "generatedVideo")
        metadata = json_object(entry, "mediaMetadata")
        media_id = json_str(entry, "mediaGenerationId") or json_str(image, "mediaGenerationId")
        if media_id is None:
            raise ValueError("a media entry has no mediaGenerationId")
        kind = _kind(entry, media_id, default_kind)
        control = json_object(
            metadata, "requestData", "videoGenerationRequestData", "videoModelControlInput"
        )
        data, mime = _inline(image or entry, ("encodedImage", "encodedVideo"))
        source = image or generated
        return cls(
            media_generation_id=media_id,
            kind=kind,
            url=json_str(entry, "videoUrl") or json_str(image, "fifeUrl") or json_str(entry, "url"),
            thumbnail_url=json_str(entry, "thumbnailUrl"),
            seed=json_int(source, "seed"),
            prompt=json_str(source, "prompt") or json_str(metadata, "mediaTitle"),
            aspect_ratio=json_str(source, "aspectRatio") or json_str(control, "videoAspectRatio"),
            duration_seconds=json_float(json_object(video, "dimensions"), "length") or None,
            model_key=(
                json_str(generated, "model")
                or json_str(image, "modelNameType")
                or json_str(control, "videoModelName")
            ),
            status=json_str(json_object(metadata, "mediaStatus"), "mediaGenerationStatus"),
            visibility=json_str(metadata, "visibility") or json_str(image, "mediaVisibility"),
            failure_reasons=json_strs(entry, "failureReasons")
            or json_strs(metadata, "failureReasons"),
            error=json_str(json_object(metadata, "mediaStatus", "error"), "message"),
            name=json_str(entry, "name"),
            data=data,
            mime_type=mime,
        )

    @classmethod
    def _from_operation(cls, entry: Mapping[str, Any], default_kind: MediaKind) -> Media:
        meta = json_object(entry, "operation", "metadata", "video")
        media_id = json_str(entry, "mediaGenerationId") or json_str(meta, "mediaGenerationId")
        if media_id is None:
            raise ValueError("an operation has no mediaGenerationId")
        return cls(
            media_generation_id=media_id,
            kind=_kind(entry, media_id, default_kind),
            url=json_str(meta, "fifeUrl") or json_str(entry, "fifeUrl"),
            thumbnail_url=json_str(meta, "servingBaseUri"),
            seed=json_int(meta, "seed"),
            prompt=json_str(meta, "prompt"),
            aspect_ratio=json_str(meta, "aspectRatio"),
            model_key=json_str(meta, "model"),
            status=json_str(entry, "status"),
            visibility=json_str(meta, "mediaVisibility"),
            name=json_str(json_object(entry, "operation"), "name"),
        )


def _kind(entry: Mapping[str, Any], media_id: str, default: MediaKind) -> MediaKind:
    if "video" in entry or "videoUrl" in entry or "-video:" in media_id:
        return "video"
    if "image" in entry or "-image:" in media_id:
        return "image"
    return default


def _inline(data: Mapping[str, Any], keys: tuple[str, ...]) -> tuple[bytes | None, str | None]:
    for key in keys:
        text = json_str(data, key)
        if text is not None:
            raw = decode_base64(text, key)
            return raw, sniff_mime_type(raw)
    return None, None


@dataclass(frozen=True)
class Operation(JsonModel):
    """A pending generation inside a job that has not produced media yet."""

    name: str | None = None
    scene_id: str | None = None
    status: str | None = None

    @classmethod
    def from_api(cls, entry: Mapping[str, Any]) -> Operation:
        """Read one pending ``operations[]`` entry."""
        return cls(
            name=json_str(json_object(entry, "operation"), "name"),
            scene_id=json_str(entry, "sceneId"),
            status=json_str(entry, "status"),
        )


@dataclass(frozen=True)
class Job(JsonModel):
    """A generation job: the reply of a generation POST or of ``GET /jobs/{jobid}``.

    A synchronous reply (images, sync upscale) is a job already ``completed``. An empty
    ``media`` on a completed job means Google moderated every output.

    Attributes:
        jobid: the id to poll (``jobid`` or ``jobId`` on the wire).
        type: ``"video"`` or ``"image"`` (from the record, else from the jobid).
        status: ``created`` → ``started`` → ``completed`` | ``failed``.
        request: the server's echo of the submitted body.
        media: the finished outputs.
        operations: outputs still pending (async jobs).
        remaining_credits: the account's Flow credits left after the charge, when reported.
        error, error_details, code: why a job failed.
    """

    jobid: str
    type: MediaKind | None = None
    status: JobStatus = "completed"
    created: str | None = None
    updated: str | None = None
    request: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), hash=False)
    media: tuple[Media, ...] = ()
    operations: tuple[Operation, ...] = ()
    remaining_credits: int | None = None
    captcha: CaptchaInfo | None = None
    error: str | None = None
    error_details: str | None = None
    code: int | None = None

    @property
    def account_email(self) -> str | None:
        """The Google account the job ran on (masked in docs examples), from the jobid."""
        return account_of(self.jobid)

    @property
    def is_terminal(self) -> bool:
        """True once the job is ``completed`` or ``failed``."""
        return self.status in TERMINAL_STATUSES

    @classmethod
    def from_api(cls, body: Mapping[str, Any]) -> Job:
        """Read any documented job shape (sync 200, async 201, ``GET /jobs/{jobid}``)."""
        jobid = json_str(body, "jobid") or json_str(body, "jobId")
        if jobid is None:
            raise ValueError("the reply has no jobid")
        response = json_object(body, "response")
        payload = response or body
        kind = _job_type(body, jobid)
        operations = [e for e in json_list(payload, "operations") if isinstance(e, Mapping)]
        media = _media_list(json_list(payload, "media"), operations, kind or "video")
        status = json_str(body, "status")
        upstream = response.get("error")
        error = body.get("error")
        return cls(
            jobid=jobid,
            type=kind,
            status=status if status in _STATUSES else "completed",  # type: ignore[arg-type]
            created=json_str(body, "created"),
            updated=json_str(body, "updated"),
            request=MappingProxyType(dict(json_object(body, "request"))),
            media=media,
            operations=tuple(Operation.from_api(e) for e in operations if not _has_media_id(e)),
            remaining_credits=first(
                json_int(payload, "remainingCredits"), json_int(body, "remainingCredits")
            ),
            captcha=_captcha(payload) or _captcha(body),
            error=_error_text(error) or (_error_text(upstream) if status == "failed" else None),
            error_details=json_str(body, "errorDetails")
            or (_error_text(upstream) if error is not None else None),
            code=json_int(body, "code"),
        )


def _job_type(body: Mapping[str, Any], jobid: str) -> MediaKind | None:
    declared = json_str(body, "type")
    if declared == "video":
        return "video"
    if declared == "image":
        return "image"
    parsed = parse_jobid(jobid)
    return parsed.kind if parsed is not None else None


def _has_media_id(entry: Mapping[str, Any]) -> bool:
    meta = json_object(entry, "operation", "metadata", "video")
    return bool(json_str(entry, "mediaGenerationId") or json_str(meta, "mediaGenerationId"))


def _media_list(
    entries: list[Any], operations: list[Mapping[str, Any]], kind: MediaKind
) -> tuple[Media, ...]:
    parsed = [Media.from_api(e, default_kind=kind) for e in entries if isinstance(e, Mapping)]
    legacy = [Media.from_api(e, default_kind=kind) for e in operations if _has_media_id(e)]
    if not parsed:
        return tuple(legacy)
    by_id = {m.media_generation_id: m for m in legacy}
    return tuple(_fill_urls(m, by_id.get(m.media_generation_id)) for m in parsed)


def _fill_urls(media: Media, legacy: Media | None) -> Media:
    if legacy is None:
        return media
    return replace(
        media,
        url=media.url or legacy.url,
        thumbnail_url=media.thumbnail_url or legacy.thumbnail_url,
    )


def _error_text(error: Any) -> str | None:
    if isinstance(error, str) and error:
        return error
    if isinstance(error, Mapping):
        return json_str(error, "message") or json_str(error, "status")
    return None


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
        data, mime = _inline(body, ("encodedImage",))
        if data is None:
            raise ValueError("the upscale reply has no encodedImage")
        return cls(data=data, mime_type=mime, captcha=_captcha(body))


@dataclass(frozen=True)
class Gif(JsonModel):
    """The result of ``POST /videos/gif``: an animated GIF preview of a video."""

    data: bytes = field(repr=False)

    @classmethod
    def from_api(cls, body: Mapping[str, Any]) -> Gif:
        """Read ``{"encodedGif": …}``."""
        data, _ = _inline(body, ("encodedGif",))
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
        data, _ = _inline(body, ("encodedVideo",))
        if data is None:
            raise ValueError("the concatenate reply has no encodedVideo")
        return cls(
            data=data,
            jobid=json_str(body, "jobId") or json_str(body, "jobid"),
            status=json_str(body, "status"),
            inputs_count=json_int(body, "inputsCount"),
        )
