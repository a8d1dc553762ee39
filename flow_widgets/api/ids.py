"""Identifier formats of the Google Flow API (spec §1.4): mint them and read them back.

The API packs meaning into its ids: a jobid carries its creation time, kind and account; a
mediaGenerationId, voice ref or character ref carries the owning account as hex-encoded ASCII,
and a character ref even says how many images it holds. The client uses that to route requests
to the right account, to reject mixed-account requests before spending, and to count a
character's images against a reference budget; the simulator uses the same functions to mint ids
that look exactly like the real ones. Pure functions, no I/O.

Parsing is strict: ``parse_*`` return ``None`` for anything that is not exactly the documented
shape (including hex that does not decode to an email address), never a half-parsed value.

Example:
    >>> mid = make_media_id(12345, "john@gmail.com", "image", "4f1c")
    >>> mid
    'user:12345-email:6a6f686e40676d61696c2e636f6d-image:4f1c'
    >>> account_of(mid)
    'john@gmail.com'
    >>> mask_email("john@gmail.com")
    'jo***@gmail.com'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from flow_widgets.api._lineup import canonical_voice_preset
from flow_widgets.errors import ValidationError

__all__ = [
    "CharacterRef",
    "JobId",
    "MediaId",
    "VoiceRef",
    "account_of",
    "character_image_count",
    "decode_email",
    "encode_email",
    "make_character_ref",
    "make_jobid",
    "make_media_id",
    "make_voice_ref",
    "mask_email",
    "parse_character_ref",
    "parse_jobid",
    "parse_media_id",
    "parse_voice_ref",
]

MediaKind = Literal["image", "video"]
JobKind = Literal["video", "image"]

UPSAMPLED_SUFFIX = "_upsampled"
_EMAIL = re.compile(r"^[^@\s:]+@[^@\s:]+$")
_TOKEN = r"[A-Za-z0-9][A-Za-z0-9_.=+/-]*"  # uuid or Google's base64-like opaque ids
_OWNER = r"user:(?P<user>\d+)-email:(?P<hex>(?:[0-9a-fA-F]{2})+)"
_JOBID = re.compile(
    r"^j(?P<ms>\d{13})(?P<kind>[vi])-u(?P<user>\d+)-email:(?P<email>[^\s]+?)-bot:google-flow$"
)
_MEDIA = re.compile(rf"^{_OWNER}-(?P<kind>image|video):(?P<id>{_TOKEN})$")
_VOICE = re.compile(rf"^{_OWNER}-voice:(?P<wid>[A-Za-z0-9-]+?)-mid:(?P<mid>{_TOKEN})$")
_CHARACTER = re.compile(
    rf"^{_OWNER}-character:(?P<eid>[A-Za-z0-9-]+?)-imgs:(?P<imgs>[12])"
    r"(?:-voice:(?P<voice>[A-Za-z0-9-]+))?$"
)


def encode_email(email: str) -> str:
    """The lowercase hex of the address's bytes, as embedded in media ids."""
    return email.encode("utf-8").hex()


def decode_email(hex_text: str) -> str | None:
    """The address hidden in ``hex_text``, or ``None`` if it is not hex of an email address."""
    try:
        email = bytes.fromhex(hex_text).decode("utf-8")
    except ValueError:
        return None
    return email if _EMAIL.match(email) else None


def mask_email(email: str) -> str:
    """Mask an address the way the API does in responses: keep two letters and the domain.

    >>> mask_email("a@x.org")
    'a***@x.org'
    """
    local, at, domain = email.partition("@")
    if not at:
        return local[:2] + "***"
    return f"{local[:2]}***@{domain}"


def _check_user(user: int | str) -> str:
    text = str(user)
    if not text.isdigit():
        raise ValidationError(
            f"user {user!r} is not a useapi user number; use digits only.", field="user"
        )
    return text


def _check_email(email: str) -> str:
    if not _EMAIL.match(email):
        raise ValidationError(
            f"email {email!r} is not an email address; use name@domain.", field="email"
        )
    return email


def _check_token(value: str, name: str, pattern: str = _TOKEN) -> str:
    if not re.fullmatch(pattern, value):
        raise ValidationError(
            f"{name} {value!r} has characters an id cannot hold; use letters, digits and '-'.",
            field=name,
        )
    return value


# ------------------------------------------------------------------------------------- jobids


@dataclass(frozen=True)
class JobId:
    """The parts of a jobid. ``email`` is as written in the id (the API masks it in docs)."""

    created_ms: int
    kind: JobKind
    user: str
    email: str


def make_jobid(created_ms: int, kind: JobKind, user: int | str, email: str) -> str:
    """``j<13-digit epoch ms><v|i>-u<user>-email:<email>-bot:google-flow``.

    >>> make_jobid(1731859234567, "video", 12345, "jo***@gmail.com")
    'j1731859234567v-u12345-email:jo***@gmail.com-bot:google-flow'
    """
    if not 10**12 <= created_ms < 10**13:
        raise ValidationError(
            f"created_ms {created_ms} is not a 13-digit epoch time in milliseconds.",
            field="created_ms",
        )
    if kind not in ("video", "image"):
        raise ValidationError(f"kind {kind!r} is not a job kind; use video or image.", field="kind")
    if "@" not in email or any(c.isspace() for c in email):
        raise ValidationError(f"email {email!r} is not an email address.", field="email")
    return f"j{created_ms}{kind[0]}-u{_check_user(user)}-email:{email}-bot:google-flow"


def parse_jobid(text: str) -> JobId | None:
    """The parts of a jobid, or ``None`` when ``text`` is not one."""
    match = _JOBID.match(text)
    if match is None or "@" not in match["email"]:
        return None
    kind: JobKind = "video" if match["kind"] == "v" else "image"
    return JobId(int(match["ms"]), kind, match["user"], match["email"])


# ------------------------------------------------------------------------------------- media


@dataclass(frozen=True)
class MediaId:
    """The parts of a mediaGenerationId; ``upsampled`` marks a ``/videos/upscale`` output."""

    user: str
    email: str
    kind: MediaKind
    id: str
    upsampled: bool = False


def make_media_id(
    user: int | str, email: str, kind: MediaKind, media_id: str, *, upsampled: bool = False
) -> str:
    """``user:<uid>-email:<hex email>-<image|video>:<id>[_upsampled]``."""
    if kind not in ("image", "video"):
        raise ValidationError(
            f"kind {kind!r} is not a media kind; use image or video.", field="kind"
        )
    _check_token(media_id, "media_id")
    if upsampled and kind != "video":
        raise ValidationError("upsampled applies to videos only; use kind='video'.", field="kind")
    suffix = UPSAMPLED_SUFFIX if upsampled else ""
    owner = f"user:{_check_user(user)}-email:{encode_email(_check_email(email))}"
    return f"{owner}-{kind}:{media_id}{suffix}"


def parse_media_id(text: str) -> MediaId | None:
    """The parts of a mediaGenerationId, or ``None`` when ``text`` is not one.

    >>> parse_media_id("user:1-email:6140622e636f-video:abc_upsampled").upsampled
    True
    """
    match = _MEDIA.match(text)
    if match is None:
        return None
    email = decode_email(match["hex"])
    if email is None:
        return None
    media_id, upsampled = match["id"], False
    if media_id.endswith(UPSAMPLED_SUFFIX) and len(media_id) > len(UPSAMPLED_SUFFIX):
        media_id, upsampled = media_id[: -len(UPSAMPLED_SUFFIX)], True
    kind: MediaKind = "image" if match["kind"] == "image" else "video"
    return MediaId(match["user"], email, kind, media_id, upsampled)


# ------------------------------------------------------------------------------------- voices


@dataclass(frozen=True)
class VoiceRef:
    """The parts of a user voice ref (system voices are bare preset names, not refs)."""

    user: str
    email: str
    workflow_id: str
    media_id: str


def make_voice_ref(user: int | str, email: str, workflow_id: str, media_id: str) -> str:
    """``user:<uid>-email:<hex>-voice:<workflowId>-mid:<mediaId>``."""
    _check_token(workflow_id, "workflow_id", r"[A-Za-z0-9-]+")
    _check_token(media_id, "media_id")
    owner = f"user:{_check_user(user)}-email:{encode_email(_check_email(email))}"
    return f"{owner}-voice:{workflow_id}-mid:{media_id}"


def parse_voice_ref(text: str) -> VoiceRef | None:
    """The parts of a user voice ref, or ``None`` when ``text`` is not one."""
    match = _VOICE.match(text)
    email = decode_email(match["hex"]) if match else None
    if match is None or email is None:
        return None
    return VoiceRef(match["user"], email, match["wid"], match["mid"])


# ------------------------------------------------------------------------------------- characters


@dataclass(frozen=True)
class CharacterRef:
    """The parts of a character ref.

    ``voice`` is the attached voice as written in the ref: a user voice's workflowId, or a system
    preset, which the ref spells in lowercase and :func:`parse_character_ref` restores to the
    preset's exact spelling.
    """

    user: str
    email: str
    entity_id: str
    images: int
    voice: str | None = None


def make_character_ref(
    user: int | str, email: str, entity_id: str, images: int, voice: str | None = None
) -> str:
    """``user:<uid>-email:<hex>-character:<entityId>-imgs:<1|2>[-voice:<wid|preset>]``.

    A system preset is written lowercase, as the API does.
    """
    _check_token(entity_id, "entity_id", r"[A-Za-z0-9-]+")
    if images not in (1, 2):
        raise ValidationError(
            f"images {images!r} is not a character image count; use 1 or 2.", field="images"
        )
    owner = f"user:{_check_user(user)}-email:{encode_email(_check_email(email))}"
    ref = f"{owner}-character:{entity_id}-imgs:{images}"
    if voice is not None:
        preset = canonical_voice_preset(voice)
        ref += (
            f"-voice:{preset.lower() if preset else _check_token(voice, 'voice', '[A-Za-z0-9-]+')}"
        )
    return ref


def parse_character_ref(text: str) -> CharacterRef | None:
    """The parts of a character ref, or ``None`` when ``text`` is not one.

    >>> ref = parse_character_ref("user:1-email:6140622e636f-character:e-1-imgs:2-voice:umbriel")
    >>> (ref.images, ref.voice)
    (2, 'Umbriel')
    """
    match = _CHARACTER.match(text)
    email = decode_email(match["hex"]) if match else None
    if match is None or email is None:
        return None
    voice = match["voice"]
    if voice is not None:
        voice = canonical_voice_preset(voice) or voice
    return CharacterRef(match["user"], email, match["eid"], int(match["imgs"]), voice)


def character_image_count(ref: str) -> int:
    """How many images (1 or 2) the character behind ``ref`` brings to a reference budget.

    Raises:
        ValidationError: ``ref`` is not a character ref (``field="character"``).
    """
    parsed = parse_character_ref(ref)
    if parsed is None:
        raise ValidationError(
            "character is not a character ref; use the `character` value POST /characters "
            "returned (user:<n>-email:<hex>-character:<id>-imgs:<1|2>…).",
            field="character",
        )
    return parsed.images


def account_of(identifier: str) -> str | None:
    """The Google account email behind any id (media id, voice ref, character ref or jobid).

    Returns ``None`` for strings that are none of these, such as a system voice preset name.
    A jobid gives the address as it is written in it (possibly masked).
    """
    for parse in (parse_media_id, parse_voice_ref, parse_character_ref, parse_jobid):
        parsed = parse(identifier)
        if parsed is not None:
            return parsed.email
    return None
