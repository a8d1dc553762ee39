"""Parsed voices and characters: the reusable "library" a user builds on an account.

Voices come in two kinds (the 30 system presets and saved user voices) and characters embed a
voice in three shapes (a live user voice, a system preset, or an orphan left by a deleted
voice); the create endpoint even returns the voice as a bare string. These parsers flatten all
of that into two small dataclasses. Re-exported by :mod:`flow_widgets.api.models`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flow_widgets.api._serde import (
    JsonModel,
    extra_field,
    first,
    json_bool,
    json_list,
    json_str,
    unmodelled,
)

__all__ = [
    "Character",
    "CharacterImage",
    "CharacterVoice",
    "Deletion",
    "Voice",
    "parse_character_list",
    "parse_voice_list",
]


@dataclass(frozen=True)
class Voice(JsonModel):
    """A system voice preset or a saved user voice.

    Attributes:
        voice: what to pass as ``referenceAudio_N`` or a character's ``voice``: the preset name
            or the user voice ref.
        source: ``"system"`` or ``"user"``.
        sample_url: the never-expiring sample of a system voice.
        audio_url: the signed (~6 h) clip of a user voice, when the endpoint resolves it.
    """

    voice: str
    source: str | None = None
    display_name: str | None = None
    base_voice: str | None = None
    workflow_id: str | None = None
    media_id: str | None = None
    dialog: str | None = None
    voice_performance: str | None = None
    sample_url: str | None = None
    audio_url: str | None = None
    create_time: str | None = None
    extra: Mapping[str, Any] = extra_field()

    @property
    def is_system(self) -> bool:
        """True for one of the 30 built-in presets."""
        return self.source == "system"

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Voice:
        """Read a voice object (create reply, list entry or ``GET /voices/{ref}``)."""
        voice = json_str(data, "voice")
        if voice is None:
            raise ValueError("the voice reply has no voice reference")
        return cls(
            voice=voice,
            source=json_str(data, "source"),
            display_name=json_str(data, "displayName"),
            base_voice=json_str(data, "baseVoice"),
            workflow_id=json_str(data, "workflowId"),
            media_id=json_str(data, "mediaId"),
            dialog=json_str(data, "dialog"),
            voice_performance=json_str(data, "voicePerformance"),
            sample_url=json_str(data, "sampleUrl"),
            audio_url=json_str(data, "audioUrl"),
            create_time=json_str(data, "createTime"),
            extra=unmodelled(data, _VOICE_KEYS),
        )


_VOICE_KEYS = frozenset(
    {
        "voice",
        "source",
        "displayName",
        "baseVoice",
        "workflowId",
        "mediaId",
        "dialog",
        "voicePerformance",
        "sampleUrl",
        "audioUrl",
        "createTime",
    }
)
_CHARACTER_KEYS = frozenset(
    {
        "character",
        "entityId",
        "displayName",
        "personalityNotes",
        "imageReferences",
        "voice",
        "thumbnailMediaId",
        "thumbnailUrl",
        "createTime",
        "updateTime",
    }
)


def parse_voice_list(body: Mapping[str, Any]) -> tuple[Voice, ...]:
    """Read ``GET /voices`` (``{"voices": [...]}``), skipping entries without a reference."""
    return tuple(
        Voice.from_api(entry)
        for entry in json_list(body, "voices")
        if isinstance(entry, Mapping) and json_str(entry, "voice") is not None
    )


@dataclass(frozen=True)
class CharacterImage(JsonModel):
    """One reference image of a character (``previewUrl`` only from ``GET /characters/{ref}``)."""

    media_id: str | None = None
    workflow_id: str | None = None
    preview_url: str | None = None


@dataclass(frozen=True)
class CharacterVoice(JsonModel):
    """The voice attached to a character; ``deleted`` marks an orphan left by a deleted voice."""

    voice: str | None = None
    source: str | None = None
    display_name: str | None = None
    base_voice: str | None = None
    workflow_id: str | None = None
    media_id: str | None = None
    audio_url: str | None = None
    deleted: bool = False

    @classmethod
    def from_api(cls, value: Any) -> CharacterVoice | None:
        """Read the ``voice`` of a character: a string, an object, or absent."""
        if isinstance(value, str) and value:
            return cls(voice=value, source="user" if value.startswith("user:") else "system")
        if not isinstance(value, Mapping):
            return None
        return cls(
            voice=json_str(value, "voice"),
            source=json_str(value, "source"),
            display_name=json_str(value, "displayName"),
            base_voice=json_str(value, "baseVoice"),
            workflow_id=json_str(value, "workflowId"),
            media_id=json_str(value, "mediaId"),
            audio_url=json_str(value, "audioUrl"),
            deleted=json_bool(value, "deleted") is True,
        )


@dataclass(frozen=True)
class Character(JsonModel):
    """A reusable character: 1–2 reference images and an optional voice.

    Attributes:
        character: the ref to pass as ``character_N`` on videos and images.
        images: the reference images.
        thumbnail_url: the signed avatar (only from ``GET /characters/{ref}``).
    """

    character: str
    entity_id: str | None = None
    display_name: str | None = None
    personality_notes: str | None = None
    images: tuple[CharacterImage, ...] = ()
    voice: CharacterVoice | None = None
    thumbnail_media_id: str | None = None
    thumbnail_url: str | None = None
    create_time: str | None = None
    update_time: str | None = None
    extra: Mapping[str, Any] = extra_field()

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Character:
        """Read a character object (create reply, list entry or ``GET /characters/{ref}``)."""
        ref = json_str(data, "character")
        if ref is None:
            raise ValueError("the character reply has no character reference")
        return cls(
            character=ref,
            entity_id=json_str(data, "entityId"),
            display_name=json_str(data, "displayName"),
            personality_notes=json_str(data, "personalityNotes"),
            images=tuple(
                CharacterImage(
                    media_id=json_str(image, "mediaId"),
                    workflow_id=json_str(image, "workflowId"),
                    preview_url=json_str(image, "previewUrl"),
                )
                for image in json_list(data, "imageReferences")
                if isinstance(image, Mapping)
            ),
            voice=CharacterVoice.from_api(data.get("voice")),
            thumbnail_media_id=json_str(data, "thumbnailMediaId"),
            thumbnail_url=json_str(data, "thumbnailUrl"),
            create_time=json_str(data, "createTime"),
            update_time=json_str(data, "updateTime"),
            extra=unmodelled(data, _CHARACTER_KEYS),
        )


def parse_character_list(body: Mapping[str, Any]) -> tuple[Character, ...]:
    """Read ``GET /characters`` (``{"characters": [...]}``)."""
    return tuple(
        Character.from_api(entry)
        for entry in json_list(body, "characters")
        if isinstance(entry, Mapping) and json_str(entry, "character") is not None
    )


@dataclass(frozen=True)
class Deletion(JsonModel):
    """The answer to a DELETE: what was removed.

    Attributes:
        ref: the account email, voice ref or character ref that was deleted.
        identifier: the server's internal id of it (``workflowId``, ``entityId``), if given.
        message: the server's confirmation text, if given.
    """

    ref: str
    deleted: bool = True
    identifier: str | None = None
    message: str | None = None

    @classmethod
    def from_api(cls, body: Mapping[str, Any], *, ref: str) -> Deletion:
        """Read ``{"deleted", "workflowId"|"entityId", "voice"|"character"}`` or ``{"message"}``."""
        echoed = first(json_str(body, "voice"), json_str(body, "character"))
        flag = json_bool(body, "deleted")
        return cls(
            ref=echoed or ref,
            deleted=True if flag is None else flag,
            identifier=first(json_str(body, "workflowId"), json_str(body, "entityId")),
            message=json_str(body, "message"),
        )
