"""The 25 endpoints as plan builders: keyword arguments in, a validated :class:`Call` out.

Each builder takes the API's fields in snake_case, builds the request object from
:mod:`flow_widgets.api.requests` (so a bad argument raises ``ValidationError`` before anything
is sent), and returns a :class:`~flow_widgets.api._base.Call` that says how to send it, how safe
a resend is, and how to parse the reply. The resources of both clients are made from these
functions, so their signatures and docstrings are the client's public API.

Paid and creating POSTs carry an ``Idempotency-Key``: a fresh UUID per logical submit unless the
caller passes one (the runtime passes its ledger's submission id).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar
from urllib.parse import quote

from flow_widgets.api._base import Action, BaseFlowClient, Call, Sleep
from flow_widgets.api._retry import Safety
from flow_widgets.api._upload import UploadSource, upload_body
from flow_widgets.api.catalog import DEFAULT_IMAGE_MODEL, DEFAULT_VIDEO_MODEL
from flow_widgets.api.models import (
    Account,
    AccountSummary,
    Asset,
    CaptchaProviders,
    CaptchaStats,
    Character,
    ConcatenatedVideo,
    Deletion,
    Gif,
    Job,
    JobsStats,
    UpscaledImage,
    Voice,
    parse_account_list,
    parse_character_list,
    parse_voice_list,
)
from flow_widgets.api.requests import (
    AddAccount,
    Captcha,
    CaptchaStatsQuery,
    CharacterRequest,
    ConcatClip,
    ConcatenateRequest,
    ExtendRequest,
    FlowRequest,
    GifRequest,
    ImageRequest,
    ImageUpscaleRequest,
    JobsQuery,
    SetCaptchaProviders,
    UploadAsset,
    VideoRequest,
    VideoUpscaleRequest,
    VoiceRequest,
)
from flow_widgets.errors import JobFailedError, JobTimeoutError, ValidationError

__all__ = ["call_for", "wait_for_job"]

T = TypeVar("T")
VIDEO_POLL_SECONDS = 10.0
IMAGE_POLL_SECONDS = 5.0
DEFAULT_WAIT_SECONDS = 20 * 60.0


def _object(parse: Callable[[Mapping[str, Any]], T]) -> Callable[[Any], T]:
    """Refuse a reply that is not a JSON object before ``parse`` reads it."""

    def read(body: Any) -> T:
        if not isinstance(body, Mapping):
            raise ValueError(f"expected a JSON object, got {type(body).__name__}")
        return parse(body)

    return read


# How each request type is sent and read: (parse, safety).
_REQUESTS: dict[type[FlowRequest], tuple[Callable[[Mapping[str, Any]], Any], Safety]] = {
    AddAccount: (Account.from_api, Safety.IDEMPOTENT),
    SetCaptchaProviders: (CaptchaProviders.from_api, Safety.IDEMPOTENT),
    CaptchaStatsQuery: (CaptchaStats.from_api, Safety.IDEMPOTENT),
    JobsQuery: (JobsStats.from_api, Safety.IDEMPOTENT),
    ImageRequest: (Job.from_api, Safety.NEVER_RESEND),
    ImageUpscaleRequest: (UpscaledImage.from_api, Safety.NEVER_RESEND),
    VideoRequest: (Job.from_api, Safety.NEVER_RESEND),
    VideoUpscaleRequest: (Job.from_api, Safety.NEVER_RESEND),
    ExtendRequest: (Job.from_api, Safety.NEVER_RESEND),
    GifRequest: (Gif.from_api, Safety.IDEMPOTENT),
    ConcatenateRequest: (ConcatenatedVideo.from_api, Safety.IDEMPOTENT),
    VoiceRequest: (Voice.from_api, Safety.NEVER_RESEND),
    CharacterRequest: (Character.from_api, Safety.NEVER_RESEND),
}


def call_for(request: FlowRequest, *, idempotency_key: str | None = None) -> Call[Any]:
    """The call that sends an already validated request object of any endpoint.

    Example:
        >>> call_for(VideoRequest("a fox")).safety
        <Safety.NEVER_RESEND: 'never-resend'>
    """
    if isinstance(request, UploadAsset):
        return upload_asset(
            request.content,
            content_type=request.content_type,
            email=request.email,
            idempotency_key=idempotency_key,
        )
    try:
        parse, safety = _REQUESTS[type(request)]
    except KeyError:
        raise TypeError(f"{type(request).__name__} cannot be sent with call_for") from None
    payload = request.to_payload()
    is_get = request.method == "GET"
    return Call(
        request.method,
        request.request_path(),
        _object(parse),
        safety=safety,
        params={k: _query_value(v) for k, v in payload.items()} if is_get else {},
        json=None if is_get else payload,
        idempotency_key=_key(idempotency_key) if safety is not Safety.IDEMPOTENT else None,
    )


def _key(given: str | None) -> str:
    return given if given else str(uuid.uuid4())


def _query_value(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _segment(value: str, field: str, what: str) -> str:
    """A URL-encoded path segment; an empty or spaced value is refused before sending."""
    if not isinstance(value, str) or not value.strip() or any(c.isspace() for c in value):
        raise ValidationError(
            f"{field} {value!r} is not {what}; pass it without spaces.", field=field
        )
    return quote(value, safe="")


def _email(value: str) -> str:
    if isinstance(value, str) and "@" not in value:
        raise ValidationError(
            f"email {value!r} is not an email address; use the Google account's address.",
            field="email",
        )
    return _segment(value, "email", "an email address")


# ----------------------------------------------------------------------------------- accounts


def add_account(cookies: str) -> Call[Account]:
    """Add (or refresh) a Google Flow account from its browser cookies (``POST /accounts``)."""
    return call_for(AddAccount(cookies))


def list_accounts() -> Call[tuple[AccountSummary, ...]]:
    """Every configured account with its health (``GET /accounts``)."""
    return Call("GET", "/accounts", _object(parse_account_list))


def get_account(email: str) -> Call[Account]:
    """One account with its plan, credits and model prices (``GET /accounts/{email}``)."""
    return Call(
        "GET",
        f"/accounts/{_email(email)}",
        _object(lambda body: Account.from_api(body, email=email)),
    )


def delete_account(email: str) -> Call[Deletion]:
    """Remove an account and its scheduled session refreshes (``DELETE /accounts/{email}``)."""
    return Call(
        "DELETE",
        f"/accounts/{_email(email)}",
        _object(lambda body: Deletion.from_api(body, ref=email)),
    )


# ------------------------------------------------------------------------------------ captcha


def set_captcha_providers(
    providers: Mapping[str, str] | None = None, **keys: str
) -> Call[CaptchaProviders]:
    """Set solver API keys, e.g. ``set_providers(CapSolver="…")``; ``""`` removes one.

    Names that are not identifiers (``2Captcha``) go in the ``providers`` mapping.
    """
    return call_for(SetCaptchaProviders({**(providers or {}), **keys}))


def get_captcha_providers() -> Call[CaptchaProviders]:
    """The configured solvers (masked) and free solves left."""
    return Call("GET", "/accounts/captcha-providers", _object(CaptchaProviders.from_api))


def captcha_stats(
    *,
    date: str | None = None,
    limit: int | None = None,
    provider: str | None = None,
    anonymized: bool | None = None,
) -> Call[CaptchaStats]:
    """Captcha success statistics for a day (``date=YYYY-MM-DD``) or the last ``limit`` rows."""
    return call_for(
        CaptchaStatsQuery(date=date, limit=limit, provider=provider, anonymized=anonymized)
    )


# ------------------------------------------------------------------------------------- assets


def upload_asset(
    file: UploadSource,
    *,
    content_type: str | None = None,
    email: str | None = None,
    idempotency_key: str | None = None,
) -> Call[Asset]:
    """Upload an image (PNG, JPEG, WebP ≤ 20 MB) or MP4 video (≤ 100 MB) to use as a reference.

    ``file`` is a path, bytes or a binary file object; a file is streamed, not read whole. The
    type is taken from the name (``.jpg`` too) or the bytes unless ``content_type`` is given.
    """
    body = upload_body(file, content_type=content_type, email=email)
    return Call(
        "POST",
        body.request.request_path(),
        _object(Asset.from_api),
        safety=Safety.RESEND_ONCE,
        upload=body,
        idempotency_key=_key(idempotency_key),
    )


# ------------------------------------------------------------------------------------- images


def create_images(
    prompt: str,
    *,
    model: str = DEFAULT_IMAGE_MODEL,
    aspect_ratio: str | None = None,
    count: int = 4,
    seed: int | None = None,
    references: Sequence[str | None] = (),
    characters: Sequence[str | None] = (),
    email: str | None = None,
    reply_url: str | None = None,
    reply_ref: str | None = None,
    captcha: Captcha | None = None,
    idempotency_key: str | None = None,
) -> Call[Job]:
    """Generate 1-4 images (synchronous: the reply is a completed job with ``media``)."""
    request = ImageRequest(
        prompt,
        model=model,
        aspect_ratio=aspect_ratio,
        count=count,
        seed=seed,
        references=tuple(references),
        characters=tuple(characters),
        email=email,
        reply_url=reply_url,
        reply_ref=reply_ref,
        captcha=captcha,
    )
    return call_for(request, idempotency_key=idempotency_key)


def upscale_image(
    media_generation_id: str,
    *,
    resolution: str | None = None,
    captcha: Captcha | None = None,
    idempotency_key: str | None = None,
) -> Call[UpscaledImage]:
    """Upscale a generated image to ``2k`` (default) or ``4k``; returns the JPEG bytes."""
    request = ImageUpscaleRequest(media_generation_id, resolution=resolution, captcha=captcha)
    return call_for(request, idempotency_key=idempotency_key)


# ------------------------------------------------------------------------------------- videos


def create_video(
    prompt: str,
    *,
    model: str = DEFAULT_VIDEO_MODEL,
    aspect_ratio: str | None = None,
    duration: int | None = None,
    resolution: str | None = None,
    count: int = 1,
    seed: int | None = None,
    start_image: str | None = None,
    end_image: str | None = None,
    reference_images: Sequence[str | None] = (),
    characters: Sequence[str | None] = (),
    voices: Sequence[str | None] = (),
    reference_video: str | None = None,
    start_frame: int | None = None,
    end_frame: int | None = None,
    email: str | None = None,
    reply_url: str | None = None,
    reply_ref: str | None = None,
    captcha: Captcha | None = None,
    idempotency_key: str | None = None,
) -> Call[Job]:
    """Start a video job (always async): returns the ``created`` job to poll or wait on.

    ``reference_images``, ``characters`` and ``voices`` fill ``referenceImage_N``,
    ``character_N`` and ``referenceAudio_N`` from 1; ``reference_video`` with
    ``start_frame``/``end_frame`` is the omni-flash video edit.
    """
    request = VideoRequest(
        prompt,
        model=model,
        aspect_ratio=aspect_ratio,
        duration=duration,
        resolution=resolution,
        count=count,
        seed=seed,
        start_image=start_image,
        end_image=end_image,
        reference_images=tuple(reference_images),
        characters=tuple(characters),
        voices=tuple(voices),
        reference_video=reference_video,
        start_frame=start_frame,
        end_frame=end_frame,
        email=email,
        reply_url=reply_url,
        reply_ref=reply_ref,
        captcha=captcha,
    )
    return call_for(request, idempotency_key=idempotency_key)


def upscale_video(
    media_generation_id: str,
    *,
    resolution: str | None = None,
    reply_url: str | None = None,
    reply_ref: str | None = None,
    captcha: Captcha | None = None,
    idempotency_key: str | None = None,
) -> Call[Job]:
    """Start an upscale to ``1080p`` (default, free) or ``4K`` (Ultra); returns the job."""
    request = VideoUpscaleRequest(
        media_generation_id,
        resolution=resolution,
        reply_url=reply_url,
        reply_ref=reply_ref,
        captcha=captcha,
    )
    return call_for(request, idempotency_key=idempotency_key)


def extend_video(
    media_generation_id: str,
    prompt: str,
    *,
    model: str = DEFAULT_VIDEO_MODEL,
    count: int = 1,
    seed: int | None = None,
    reply_url: str | None = None,
    reply_ref: str | None = None,
    captcha: Captcha | None = None,
    idempotency_key: str | None = None,
) -> Call[Job]:
    """Start an ~8 s continuation of a Veo video; returns the job."""
    request = ExtendRequest(
        media_generation_id,
        prompt,
        model=model,
        count=count,
        seed=seed,
        reply_url=reply_url,
        reply_ref=reply_ref,
        captcha=captcha,
    )
    return call_for(request, idempotency_key=idempotency_key)


def video_gif(media_generation_id: str) -> Call[Gif]:
    """An animated GIF preview of a generated video (free; may take up to 90 s)."""
    return call_for(GifRequest(media_generation_id))


def concatenate_videos(clips: Sequence[ConcatClip | str]) -> Call[ConcatenatedVideo]:
    """Join 2-10 videos of one account into one MP4 (a clip is an id or a ``ConcatClip``)."""
    request = ConcatenateRequest(tuple(ConcatClip(c) if isinstance(c, str) else c for c in clips))
    return call_for(request)


# ----------------------------------------------------------------------------- voices, characters


def create_voice(
    email: str,
    voice: str,
    display_name: str,
    dialog: str,
    voice_performance: str,
    *,
    captcha: Captcha | None = None,
    idempotency_key: str | None = None,
) -> Call[Voice]:
    """Save a custom voice built on one of the 30 presets (``voice`` is case-sensitive)."""
    request = VoiceRequest(
        email=email,
        voice=voice,
        display_name=display_name,
        dialog=dialog,
        voice_performance=voice_performance,
        captcha=captcha,
    )
    return call_for(request, idempotency_key=idempotency_key)


def list_voices(
    email: str, *, source: Literal["system", "user"] | None = None
) -> Call[tuple[Voice, ...]]:
    """The 30 system voices and the account's saved voices (``source`` filters one kind)."""
    if source not in (None, "system", "user"):
        raise ValidationError(
            f"source {source!r} is not a voice source; use 'system', 'user' or leave it out.",
            field="source",
        )
    _email(email)
    params = {"email": email} | ({"source": source} if source else {})
    return Call("GET", "/voices", _object(parse_voice_list), params=params)


def get_voice(ref: str) -> Call[Voice]:
    """One voice (a preset name or a user voice ref), with a fresh signed ``audio_url``."""
    return Call(
        "GET", f"/voices/{_segment(ref, 'voice', 'a voice reference')}", _object(Voice.from_api)
    )


def delete_voice(ref: str) -> Call[Deletion]:
    """Delete a user voice (presets cannot be deleted); characters using it keep an orphan."""
    return Call(
        "DELETE",
        f"/voices/{_segment(ref, 'voice', 'a voice reference')}",
        _object(lambda body: Deletion.from_api(body, ref=ref)),
    )


def create_character(
    display_name: str,
    image_references: Sequence[str | None],
    *,
    personality_notes: str | None = None,
    voice: str | None = None,
    idempotency_key: str | None = None,
) -> Call[Character]:
    """Create a character from 1-2 image ids of one account, with an optional voice."""
    request = CharacterRequest(
        display_name=display_name,
        image_references=tuple(image_references),
        personality_notes=personality_notes,
        voice=voice,
    )
    return call_for(request, idempotency_key=idempotency_key)


def list_characters(email: str) -> Call[tuple[Character, ...]]:
    """The account's characters (without signed URLs)."""
    _email(email)
    return Call("GET", "/characters", _object(parse_character_list), params={"email": email})


def get_character(ref: str) -> Call[Character]:
    """One character with signed preview, thumbnail and voice URLs (valid ~6 h)."""
    path = f"/characters/{_segment(ref, 'character', 'a character reference')}"
    return Call("GET", path, _object(Character.from_api))


def delete_character(ref: str) -> Call[Deletion]:
    """Delete a character (its voice is kept)."""
    return Call(
        "DELETE",
        f"/characters/{_segment(ref, 'character', 'a character reference')}",
        _object(lambda body: Deletion.from_api(body, ref=ref)),
    )


# --------------------------------------------------------------------------------------- jobs


def get_job(jobid: str) -> Call[Job]:
    """The job record: status, and the media once completed (``GET /jobs/{jobid}``)."""
    return Call("GET", f"/jobs/{_segment(jobid, 'jobid', 'a jobid')}", _object(Job.from_api))


def jobs_stats(
    options: Literal["summary", "executing", "history"] | None = None,
) -> Call[JobsStats]:
    """The load balancer's statistics; ``executing``/``history`` add running and recent jobs."""
    return call_for(JobsQuery(options=options))


def wait_for_job(
    job: str | Job,
    *,
    timeout: float = DEFAULT_WAIT_SECONDS,
    poll_interval: float | None = None,
    raise_on_failure: bool = True,
) -> WaitForJob:
    """Poll a job until it completes or fails, for at most ``timeout`` seconds.

    Polls every 10 s for videos and 5 s for images unless ``poll_interval`` is given. Raises
    ``JobFailedError`` for a failed job (unless ``raise_on_failure=False``) and
    ``JobTimeoutError`` at the deadline; the job may still finish, so wait again later.
    """
    jobid = job.jobid if isinstance(job, Job) else job
    _segment(jobid, "jobid", "a jobid")
    if timeout <= 0 or (poll_interval is not None and poll_interval <= 0):
        raise ValidationError(
            "timeout and poll_interval must be positive numbers of seconds.", field="timeout"
        )
    return WaitForJob(jobid, timeout, poll_interval, raise_on_failure)


@dataclass(frozen=True)
class WaitForJob:
    """The plan behind :func:`wait_for_job`: poll, sleep, repeat, within a deadline."""

    jobid: str
    timeout: float
    poll_interval: float | None
    raise_on_failure: bool

    def flow(self, core: BaseFlowClient) -> Generator[Action, Any, Job]:
        """Poll until terminal; the clock and the sleeps are the client's."""
        started = core.now()
        while True:
            job = yield from get_job(self.jobid).flow(core)
            if job.status == "failed" and self.raise_on_failure:
                raise JobFailedError(
                    f"Job {self.jobid} failed: {job.error or 'no reason given'}"
                    f"{f' ({job.error_details})' if job.error_details else ''}. "
                    "Change the prompt or model and submit a new job.",
                    job=job,
                )
            if job.is_terminal:
                return job
            waited = core.now() - started
            if waited >= self.timeout:
                raise JobTimeoutError(
                    f"Job {self.jobid} is still {job.status} after {waited:.0f} s; it may still "
                    "finish, so wait for it again later instead of submitting it again.",
                    job=job,
                    waited=waited,
                )
            yield Sleep(min(self._interval(job), self.timeout - waited))

    def _interval(self, job: Job) -> float:
        if self.poll_interval is not None:
            return self.poll_interval
        return IMAGE_POLL_SECONDS if job.type == "image" else VIDEO_POLL_SECONDS
