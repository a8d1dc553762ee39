"""Endpoint builders: keyword arguments in, a validated :class:`Call` out; and ``call_for``.

Each builder takes the API's fields in snake_case, builds the request object from
:mod:`flow_widgets.api.requests` (so a bad argument raises ``ValidationError`` before anything
is sent), and returns a :class:`~flow_widgets.api._base.Call` that says how to send it, how safe
a resend is, and how to parse the reply. The resources of both clients are made from these
functions, so their signatures and docstrings are the client's public API. This module holds
the shared plumbing (``call_for``, path encoding) and the account, captcha, upload, library and
job builders; the generation builders are in :mod:`flow_widgets.api._media_endpoints` and the
job wait in :mod:`flow_widgets.api._waiting`.

Paid and creating POSTs carry an ``Idempotency-Key``: a fresh UUID per logical submit unless the
caller passes one (the runtime passes its ledger's submission id).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, TypeVar
from urllib.parse import quote

from flow_widgets.api._calls import Call
from flow_widgets.api._retry import Safety
from flow_widgets.api._upload import UploadSource, upload_body
from flow_widgets.api.models import (
    Account,
    AccountSummary,
    Asset,
    CaptchaProviders,
    CaptchaStats,
    Character,
    Deletion,
    Job,
    JobsStats,
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
    FlowRequest,
    JobsQuery,
    SetCaptchaProviders,
    UploadAsset,
    VoiceRequest,
)
from flow_widgets.errors import ValidationError

__all__ = ["call_for", "path_segment"]

T = TypeVar("T")


def _object(parse: Callable[[Mapping[str, Any]], T]) -> Callable[[Any], T]:
    """Refuse a reply that is not a JSON object before ``parse`` reads it."""

    def read(body: Any) -> T:
        if not isinstance(body, Mapping):
            raise ValueError(f"expected a JSON object, got {type(body).__name__}")
        return parse(body)

    return read


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
    reply, safety = request.reply, request.safety
    if reply is None:
        raise TypeError(f"{type(request).__name__} cannot be sent with call_for")
    payload = request.to_payload()
    is_get = request.method == "GET"
    return Call(
        request.method,
        request.request_path(),
        _object(reply.from_api),
        safety=safety,
        params={k: _query_value(v) for k, v in payload.items()} if is_get else {},
        json=None if is_get else payload,
        idempotency_key=_key(idempotency_key) if safety is not Safety.IDEMPOTENT else None,
    )


def _key(given: str | None) -> str:
    return given if given else str(uuid.uuid4())


def _query_value(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def path_segment(value: str, field: str, what: str) -> str:
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
    return path_segment(value, "email", "an email address")


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
    extra: Mapping[str, Any] | None = None,
) -> Call[Voice]:
    """Save a custom voice built on one of the 30 presets (``voice`` is case-sensitive)."""
    request = VoiceRequest(
        email=email,
        voice=voice,
        display_name=display_name,
        dialog=dialog,
        voice_performance=voice_performance,
        captcha=captcha,
        extra=extra,
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
        "GET", f"/voices/{path_segment(ref, 'voice', 'a voice reference')}", _object(Voice.from_api)
    )


def delete_voice(ref: str) -> Call[Deletion]:
    """Delete a user voice (presets cannot be deleted); characters using it keep an orphan."""
    return Call(
        "DELETE",
        f"/voices/{path_segment(ref, 'voice', 'a voice reference')}",
        _object(lambda body: Deletion.from_api(body, ref=ref)),
    )


def create_character(
    display_name: str,
    image_references: Sequence[str | None],
    *,
    personality_notes: str | None = None,
    voice: str | None = None,
    idempotency_key: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Call[Character]:
    """Create a character from 1-2 image ids of one account, with an optional voice."""
    request = CharacterRequest(
        display_name=display_name,
        image_references=tuple(image_references),
        personality_notes=personality_notes,
        voice=voice,
        extra=extra,
    )
    return call_for(request, idempotency_key=idempotency_key)


def list_characters(email: str) -> Call[tuple[Character, ...]]:
    """The account's characters (without signed URLs)."""
    _email(email)
    return Call("GET", "/characters", _object(parse_character_list), params={"email": email})


def get_character(ref: str) -> Call[Character]:
    """One character with signed preview, thumbnail and voice URLs (valid ~6 h)."""
    path = f"/characters/{path_segment(ref, 'character', 'a character reference')}"
    return Call("GET", path, _object(Character.from_api))


def delete_character(ref: str) -> Call[Deletion]:
    """Delete a character (its voice is kept)."""
    return Call(
        "DELETE",
        f"/characters/{path_segment(ref, 'character', 'a character reference')}",
        _object(lambda body: Deletion.from_api(body, ref=ref)),
    )


# --------------------------------------------------------------------------------------- jobs


def get_job(jobid: str) -> Call[Job]:
    """The job record: status, and the media once completed (``GET /jobs/{jobid}``)."""
    return Call("GET", f"/jobs/{path_segment(jobid, 'jobid', 'a jobid')}", _object(Job.from_api))


def jobs_stats(
    options: Literal["summary", "executing", "history"] | None = None,
) -> Call[JobsStats]:
    """The load balancer's statistics; ``executing``/``history`` add running and recent jobs."""
    return call_for(JobsQuery(options=options))
