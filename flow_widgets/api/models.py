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

This module holds jobs and their media. Uploads and inline payloads live in
:mod:`flow_widgets.api._payload_models`, accounts, captcha and statistics in
:mod:`flow_widgets.api._account_models`, voices and characters in
:mod:`flow_widgets.api._library_models`; all are re-exported here.
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
from flow_widgets.api._payload_models import (
    Asset,
    AssetUrl,
    CaptchaAttempt,
    CaptchaInfo,
    ConcatenatedVideo,
    Gif,
    MediaKind,
    UpscaledImage,
    captcha_of,
    inline_payload,
    sniff_mime_type,
)
from flow_widgets.api._serde import (
    JsonModel,
    extra_field,
    first,
    json_float,
    json_int,
    json_list,
    json_object,
    json_str,
    json_strs,
    unmodelled,
)
from flow_widgets.api.ids import account_of, parse_jobid

__all__ = [
    "JOB_KEYS",
    "TERMINAL_STATUSES",
    "Account",
    "AccountLoad",
    "AccountModel",
    "AccountSummary",
    "Asset",
    "AssetUrl",
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

JobStatus = Literal["queued", "created", "started", "completed", "failed", "unknown"]
TERMINAL_STATUSES: frozenset[str] = frozenset({"completed", "failed"})
_STATUSES = frozenset({"queued", "created", "started", "completed", "failed"})
"""The statuses the API documents, and ``queued`` of a classroom gateway (the job waits there for
a slot, not yet sent upstream); anything else is ``"unknown"`` (spec 7.1): not a success and not
a failure -- the job stays watched, and ``raw_status`` keeps the API's word."""


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
        extra: the entry's keys this version does not read, as the API sent them.
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
    extra: Mapping[str, Any] = extra_field()

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
        data, mime = inline_payload(image or entry, ("encodedImage", "encodedVideo"))
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
            extra=unmodelled(entry, _MEDIA_KEYS),
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
            extra=unmodelled(entry, _MEDIA_KEYS),
        )


_MEDIA_KEYS = frozenset(
    {
        "mediaGenerationId",
        "video",
        "image",
        "mediaMetadata",
        "videoUrl",
        "url",
        "thumbnailUrl",
        "failureReasons",
        "name",
        "encodedImage",
        "encodedVideo",
        "operation",
        "fifeUrl",
        "status",
        "sceneId",
    }
)
"""The keys of a ``media[]`` or legacy ``operations[]`` entry that :class:`Media` reads."""

JOB_KEYS = frozenset(
    {
        "jobid",
        "jobId",
        "type",
        "status",
        "created",
        "updated",
        "request",
        "response",
        "media",
        "operations",
        "remainingCredits",
        "captcha",
        "error",
        "errorDetails",
        "code",
        "gateway",
        "replyUrl",
        "replyRef",
    }
)
"""The top-level keys of a job reply that :class:`Job` reads (or knows to leave alone)."""


def _kind(entry: Mapping[str, Any], media_id: str, default: MediaKind) -> MediaKind:
    if "video" in entry or "videoUrl" in entry or "-video:" in media_id:
        return "video"
    if "image" in entry or "-image:" in media_id:
        return "image"
    return default


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
        status: ``created`` → ``started`` → ``completed`` | ``failed``; first ``queued`` when a
            classroom gateway holds the job for a slot; ``unknown`` when the API said something
            else (``raw_status``) or nothing in a job record -- never terminal.
        raw_status: the status exactly as the API sent it (``None`` when it sent none).
        request: the server's echo of the submitted body.
        media: the finished outputs.
        operations: outputs still pending (async jobs).
        remaining_credits: the account's Flow credits left after the charge, when reported.
        error, error_details, code: why a job failed.
        queue_position: the place in a classroom gateway's line (1 = next; 0 while being
            placed), from its extension field ``gateway.queuePosition``; ``None`` otherwise.
        queue_wait_s: seconds the job has waited in that line (``gateway.waitedSeconds``, by
            the gateway's clock, so a restarted kernel still shows the whole wait).
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
    raw_status: str | None = None
    queue_position: int | None = None
    queue_wait_s: float | None = None
    extra: Mapping[str, Any] = extra_field()

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
            status=_status_of(
                status,
                has_media=bool(media) or isinstance(payload.get("media"), list),
                record="created" in body,
            ),
            raw_status=status if status is not None else _raw_status(body),
            created=json_str(body, "created"),
            updated=json_str(body, "updated"),
            request=MappingProxyType(dict(json_object(body, "request"))),
            media=media,
            operations=tuple(Operation.from_api(e) for e in operations if not _has_media_id(e)),
            remaining_credits=first(
                json_int(payload, "remainingCredits"), json_int(body, "remainingCredits")
            ),
            captcha=captcha_of(payload) or captcha_of(body),
            error=_error_text(error) or (_error_text(upstream) if status == "failed" else None),
            error_details=json_str(body, "errorDetails")
            or (_error_text(upstream) if error is not None else None),
            code=json_int(body, "code"),
            queue_position=json_int(json_object(body, "gateway"), "queuePosition"),
            queue_wait_s=json_float(json_object(body, "gateway"), "waitedSeconds"),
            extra=unmodelled(body, JOB_KEYS),
        )


def _status_of(status: str | None, *, has_media: bool, record: bool) -> JobStatus:
    """The documented status, else ``"unknown"``. A reply without a status is a synchronous
    result (``completed``) only when it is not a job record and carries media."""
    if status in _STATUSES:
        return status  # type: ignore[return-value]
    if status is None and has_media and not record:
        return "completed"
    return "unknown"


def _raw_status(body: Mapping[str, Any]) -> str | None:
    """A status the API sent in a shape we do not read as text (a number, an object)."""
    value = body.get("status")
    return None if value is None else repr(value)[:80]


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
