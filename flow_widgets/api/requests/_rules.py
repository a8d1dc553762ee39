"""Rules several endpoints share: prompts and their @markers, counts, webhooks, ids, accounts.

Each check raises :class:`~flow_widgets.errors.ValidationError` with the API name of the field
and one sentence that says how to fix it, so a magic, a form and the simulator all report the
same problem the same way. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from flow_widgets.api.catalog import canonical_voice_preset
from flow_widgets.api.ids import (
    CharacterRef,
    MediaId,
    decode_email,
    mask_email,
    parse_character_ref,
    parse_media_id,
    parse_voice_ref,
)
from flow_widgets.api.requests._evidence import breach, refuse

__all__ = [
    "MAX_PROMPT_CHARS",
    "MAX_REPLY_CHARS",
    "Owner",
    "check_character",
    "check_count",
    "check_email",
    "check_length",
    "check_markers",
    "check_media_id",
    "check_prompt",
    "check_reply",
    "check_same_account",
    "check_seed",
    "check_voice",
    "filled",
]

#: The API documents no prompt limit. 8,000 characters is far above any prompt Flow's own UI
#: takes, yet stops a runaway paste (a whole file or notebook) from being sent and charged.
MAX_PROMPT_CHARS = 8000
MAX_REPLY_CHARS = 1024

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
#: Any ``user:<n>-email:<hex>-<kind>:<id>``: a kind newer than ours (spec §7.1) still has owners.
_ANY_KIND = re.compile(
    r"^user:(?P<user>\d+)-email:(?P<hex>(?:[0-9a-fA-F]{2})+)-(?P<kind>[a-z][a-z0-9_]*):\S+$"
)
_MARKER = re.compile(
    r"@(referenceimage|referenceaudio|referencevideo|reference|character)_(\d+)", re.IGNORECASE
)
_MARKER_NAMES = {
    "referenceimage": "referenceImage",
    "referenceaudio": "referenceAudio",
    "referencevideo": "referenceVideo",
    "reference": "reference",
    "character": "character",
}


@dataclass(frozen=True)
class Owner:
    """Which useapi user and Google account an id belongs to, and the field it came from."""

    field: str
    user: str
    email: str


def filled(slots: tuple[str | None, ...]) -> list[tuple[int, str]]:
    """``(number, value)`` for each filled slot, numbers from 1."""
    return [(i, value) for i, value in enumerate(slots, 1) if value is not None]


def check_length(value: str, field: str, low: int, high: int) -> None:
    """``low <= len(value.strip()) and len(value) <= high``, said in one sentence."""
    if low and not value.strip():
        raise refuse("text-length", field, f"{field} is empty; write 1 to {high} characters.")
    if len(value) > high:
        raise refuse(
            "text-length",
            field,
            f"{field} is {len(value)} characters long; shorten it to {high} or fewer.",
        )


def check_prompt(prompt: str, field: str = "prompt") -> None:
    """A prompt is required and not blank; beyond :data:`MAX_PROMPT_CHARS` it warns (our own
    limit against a runaway paste: the API states none)."""
    if not prompt.strip():
        raise refuse(
            "prompt-required", field, f"{field} is empty; write 1 to {MAX_PROMPT_CHARS} characters."
        )
    if len(prompt) > MAX_PROMPT_CHARS:
        breach(
            "prompt-length",
            field,
            f"{field} is {len(prompt)} characters long, more than {MAX_PROMPT_CHARS}",
        )


def check_count(count: int) -> None:
    """``count`` is 1-4 variations."""
    if not 1 <= count <= 4:
        raise refuse("count-range", "count", f"count {count} is out of range; use 1 to 4.")


def check_seed(seed: int | None) -> None:
    """``seed`` is a whole number, 0 or more."""
    if seed is not None and seed < 0:
        raise refuse(
            "seed-range", "seed", f"seed {seed} is negative; use 0 or a larger whole number."
        )


def check_email(email: str | None, field: str = "email") -> None:
    """An account selector must look like an email address."""
    if email is not None and not _EMAIL.match(email):
        raise refuse(
            "email-format",
            field,
            f"{field} {email!r} is not an email address; use name@example.com.",
        )


def check_reply(reply_url: str | None, reply_ref: str | None) -> None:
    """Webhook URL (http or https) and reference, each at most 1024 characters."""
    for field, value in (("replyUrl", reply_url), ("replyRef", reply_ref)):
        if value is not None and len(value) > MAX_REPLY_CHARS:
            raise refuse(
                "reply-length", field, f"{field} is {len(value)} characters long; use at most 1024."
            )
    if reply_url is not None and not re.match(r"^https?://\S+$", reply_url):
        breach(
            "reply-url-format",
            "replyUrl",
            f"replyUrl {reply_url!r} does not look like a web address (https://…)",
        )


def check_media_id(value: str, field: str, kind: str) -> Owner:
    """``value`` is a mediaGenerationId of ``kind`` (image or video); returns its owner."""
    parsed: MediaId | None = parse_media_id(value)
    other = _ANY_KIND.match(value) if parsed is None else None
    email = decode_email(other["hex"]) if other is not None else None
    if other is not None and email is not None and other["kind"] not in ("image", "video"):
        breach(
            "known-id-kind",
            field,
            f"{field} is a {other['kind']} id, a kind this version does not know; the API "
            f"expects an {kind} mediaGenerationId",
        )
        return Owner(field, other["user"], email)
    if parsed is None:
        raise refuse(
            "media-id-format",
            field,
            f"{field} is not a mediaGenerationId; use the id that POST /assets or a "
            f"generation returned (user:<n>-email:<hex>-{kind}:<id>).",
        )
    if parsed.kind != kind:
        raise refuse(
            "media-id-kind",
            field,
            f"{field} is a {parsed.kind} id; use an {kind} mediaGenerationId.",
        )
    return Owner(field, parsed.user, parsed.email)


def check_character(value: str, field: str) -> tuple[Owner, int]:
    """``value`` is a character ref; returns its owner and how many images it brings."""
    parsed: CharacterRef | None = parse_character_ref(value)
    if parsed is None:
        raise refuse(
            "character-ref-format",
            field,
            f"{field} is not a character ref; use the `character` value POST /characters "
            "returned (user:<n>-email:<hex>-character:<id>-imgs:<1|2>…).",
        )
    return Owner(field, parsed.user, parsed.email), parsed.images


def check_voice(value: str, field: str, *, case_sensitive: bool = False) -> Owner | None:
    """A system preset (``None``: no account) or a user voice ref (its owner)."""
    if canonical_voice_preset(value, case_sensitive=case_sensitive) is not None:
        return None
    parsed = parse_voice_ref(value)
    if parsed is None:
        preset = canonical_voice_preset(value)
        if case_sensitive and preset is not None:  # [D:voices-post]: presets are case-sensitive
            raise refuse(
                "voice-preset-case", field, f"{field} {value!r} must be spelled exactly {preset!r}."
            )
        if not value.strip() or value.startswith("user:"):
            raise refuse(
                "voice-format",
                field,
                f"{field} {value!r} is neither a voice preset nor a voice ref; use one of the "
                "30 presets (such as Achernar) or a ref from POST /voices.",
            )
        # Presets are an open set: a voice Google added yesterday is sent.
        breach(
            "known-voice-preset",
            field,
            f"{field} {value!r} is not one of the 30 voice presets this version knows",
        )
        return None
    return Owner(field, parsed.user, parsed.email)


def check_same_account(owners: Iterable[Owner | None], email: str | None = None) -> None:
    """Every id belongs to one useapi user and one Google account (the ``email``, if given)."""
    present = [owner for owner in owners if owner is not None]
    if not present:
        return
    first = present[0]
    for owner in present[1:]:
        if owner.user != first.user:
            raise refuse(
                "same-useapi-user",
                owner.field,
                f"{owner.field} belongs to useapi user {owner.user}, but {first.field} to user "
                f"{first.user}; use ids from your own account only.",
            )
        if owner.email.lower() != first.email.lower():
            raise refuse(
                "same-google-account",
                owner.field,
                f"{owner.field} comes from account {mask_email(owner.email)} but {first.field} "
                f"from {mask_email(first.email)}; use media from one Google account.",
            )
    if email is not None and email.lower() != first.email.lower():
        raise refuse(
            "email-owns-media",
            "email",
            f"email {mask_email(email)} does not own {first.field} (it belongs to "
            f"{mask_email(first.email)}); drop email or use that account's media.",
        )


def check_markers(
    prompt: str,
    slots: Mapping[str, Iterable[int]],
    *,
    forbidden: Iterable[str] = (),
    endpoint: str,
) -> None:
    """Every inline ``@name_N`` marker (any case) has its slot filled; ``forbidden`` ones fail.

    ``slots`` maps a marker name (``character``, ``referenceImage``…) to the filled slot
    numbers; marker names not in ``slots`` or ``forbidden`` are plain text on this endpoint.
    """
    banned = set(forbidden)
    for match in _MARKER.finditer(prompt):
        name = _MARKER_NAMES[match[1].lower()]
        marker = f"@{name}_{int(match[2])}"
        if name in banned:
            raise refuse(
                "marker-not-allowed",
                "prompt",
                f"prompt mentions {match[0]}, but {endpoint} does not take inline {name} "
                f"markers; remove {marker} from the prompt.",
            )
        if name in slots and int(match[2]) not in set(slots[name]):
            raise refuse(
                "marker-needs-slot",
                "prompt",
                f"prompt mentions {match[0]} but {name}_{int(match[2])} is empty; add that "
                f"{name} or remove the marker from the prompt.",
            )
