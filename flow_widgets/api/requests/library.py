"""The user's library: custom voices and reusable characters (spec §3.16, §3.20).

Both are free, but both end up inside later paid requests (``referenceAudio_N``,
``character_N``), so their limits are checked here, where they are made. Note the two case
rules: ``POST /voices`` wants a preset spelled exactly, ``POST /characters`` takes any case.
Pure: no I/O.

Example:
    >>> img = "user:1-email:6a6f686e40676d61696c2e636f6d-image:abc"
    >>> CharacterRequest("Carol", (img,), voice="umbriel").to_payload()["voice"]
    'umbriel'
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from flow_widgets.api._retry import Safety
from flow_widgets.api.models import Character, Voice
from flow_widgets.api.requests import _rules as rules
from flow_widgets.api.requests._base import FlowRequest, Reply
from flow_widgets.api.requests._captcha import Captcha
from flow_widgets.api.requests._evidence import refuse
from flow_widgets.api.requests._fields import Field, Scalar, Slots, fail

__all__ = ["CharacterRequest", "VoiceRequest"]


@dataclass(frozen=True)
class VoiceRequest(FlowRequest):
    """A validated ``POST /voices`` body: a saved TTS clip built on one of the 30 presets.

    ``email`` is required (voices are not load-balanced); ``voice`` is case-sensitive here.
    """

    method: ClassVar[str] = "POST"
    path: ClassVar[str] = "/voices"
    reply: ClassVar[type[Reply] | None] = Voice
    safety: ClassVar[Safety] = Safety.NEVER_RESEND
    kind: ClassVar[str | None] = "voice"
    task: ClassVar[str | None] = "voice"
    inline_result: ClassVar[bool] = True
    _captcha: ClassVar[bool] = True
    _fields: ClassVar[tuple[Field, ...]] = (
        Scalar("email", "email"),
        Scalar("voice", "voice"),
        Scalar("display_name", "displayName"),
        Scalar("dialog", "dialog"),
        Scalar("voice_performance", "voicePerformance"),
    )

    email: str
    voice: str
    display_name: str
    dialog: str
    voice_performance: str
    captcha: Captcha | None = None
    #: Fields the API gained after this release, merged into the body as given (see
    #: :func:`~flow_widgets.api.requests._fields.check_extra`).
    extra: Mapping[str, Any] | None = dataclasses.field(default=None, hash=False)

    def _validate(self) -> None:
        rules.check_email(self.email)
        if rules.check_voice(self.voice, "voice", case_sensitive=True) is not None:
            raise refuse(
                "voice-base-is-preset",
                "voice",
                "voice must be a preset name here, not a user voice ref.",
            )
        for field, value, high in (
            ("displayName", self.display_name, 200),
            ("dialog", self.dialog, 120),
            ("voicePerformance", self.voice_performance, 120),
        ):
            rules.check_length(value, field, 1, high)


@dataclass(frozen=True)
class CharacterRequest(FlowRequest):
    """A validated ``POST /characters`` body: 1-2 images of one account, an optional voice.

    There is no ``email``: the account is the one that owns ``imageReference_1``.
    """

    method: ClassVar[str] = "POST"
    path: ClassVar[str] = "/characters"
    reply: ClassVar[type[Reply] | None] = Character
    safety: ClassVar[Safety] = Safety.NEVER_RESEND
    kind: ClassVar[str | None] = "character"
    task: ClassVar[str | None] = "character"
    inline_result: ClassVar[bool] = True
    owner_fields: ClassVar[tuple[str, ...]] = ("image_references",)
    _fields: ClassVar[tuple[Field, ...]] = (
        Scalar("display_name", "displayName"),
        Slots("image_references", "imageReference_", 2),
        Scalar("personality_notes", "personalityNotes"),
        Scalar("voice", "voice"),
    )

    display_name: str
    image_references: tuple[str | None, ...]
    personality_notes: str | None = None
    voice: str | None = None
    #: Fields the API gained after this release, merged into the body as given (see
    #: :func:`~flow_widgets.api.requests._fields.check_extra`).
    extra: Mapping[str, Any] | None = dataclasses.field(default=None, hash=False)

    def _validate(self) -> None:
        rules.check_length(self.display_name, "displayName", 1, 200)
        images = rules.filled(self.image_references)
        if not images or images[0][0] != 1:
            raise fail(
                "imageReference_1",
                "imageReference_1 is required; pass the character's image mediaGenerationId.",
            )
        owners: list[rules.Owner | None] = [
            rules.check_media_id(value, f"imageReference_{i}", "image") for i, value in images
        ]
        if self.personality_notes is not None:
            rules.check_length(self.personality_notes, "personalityNotes", 0, 2000)
        if self.voice is not None:
            owners.append(rules.check_voice(self.voice, "voice"))
        rules.check_same_account(owners)
