"""Voices and characters as the simulator keeps them, and their JSON (spec §3.16-§3.23).

A user voice is a saved text-to-speech clip built on one of the 30 presets; a character is one or
two reference images plus an optional voice. Both live on one Google account and are addressed by
refs that embed it (``…-voice:<workflowId>-mid:<mediaId>``,
``…-character:<entityId>-imgs:<n>[-voice:…]``). Deleting a voice leaves characters that used it
with an "orphan" voice block, as the real API does. Pure data + shapes; the routes decide.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flow_widgets.api.catalog import VOICE_PRESETS
from flow_widgets.simulator.clock import iso_time

__all__ = ["Character", "Voice", "system_voice_entry", "system_voices"]

_SAMPLE_URL = "https://www.gstatic.com/aitestkitchen/voices/samples/{}.wav"
UrlMaker = Callable[[str, str], str]


def system_voice_entry(name: str) -> dict[str, Any]:
    """One preset as the voice list shows it (a static, never-expiring sample URL)."""
    return {
        "voice": name,
        "source": "system",
        "displayName": name,
        "sampleUrl": _SAMPLE_URL.format(name),
    }


def system_voices() -> list[dict[str, Any]]:
    return [system_voice_entry(name) for name in VOICE_PRESETS]


@dataclass
class Voice:
    """A user voice (``POST /voices``)."""

    ref: str
    workflow_id: str
    media_id: str
    email: str
    display_name: str
    base_voice: str
    dialog: str
    performance: str
    created: float

    def entry(self) -> dict[str, Any]:
        """The list entry (``GET /voices``): no audio URL."""
        return {
            "voice": self.ref,
            "source": "user",
            "displayName": self.display_name,
            "workflowId": self.workflow_id,
            "mediaId": self.media_id,
            "baseVoice": self.base_voice,
            "dialog": self.dialog,
            "voicePerformance": self.performance,
            "createTime": iso_time(self.created),
        }

    def detail(self, url: UrlMaker) -> dict[str, Any]:
        """``POST /voices`` and ``GET /voices/{ref}``: the entry plus a fresh signed audio URL."""
        return {**self.entry(), "audioUrl": url("audio", self.media_id)}

    def character_block(self) -> dict[str, Any]:
        entry = self.entry()
        del entry["createTime"]
        return entry


@dataclass
class Character:
    """A character (``POST /characters``): 1-2 images and an optional voice."""

    ref: str
    entity_id: str
    email: str
    display_name: str
    notes: str | None
    image_names: list[str]
    image_workflows: list[str]
    voice: str | None
    created: float
    updated: float
    thumbnail: str = ""
    voice_workflow: str | None = field(default=None)

    def created_json(self) -> dict[str, Any]:
        """The ``POST /characters`` answer."""
        body: dict[str, Any] = {
            "entityId": self.entity_id,
            "character": self.ref,
            "displayName": self.display_name,
        }
        if self.notes is not None:
            body["personalityNotes"] = self.notes
        body["imageReferences"] = [{"mediaId": name} for name in self.image_names]
        if self.voice is not None:
            body["voice"] = self.voice
        return body

    def _voice_block(self, voices: dict[str, Voice], url: UrlMaker | None) -> dict[str, Any] | None:
        if self.voice is None:
            return None
        if self.voice in VOICE_PRESETS:
            return {"source": "system", "voice": self.voice, "displayName": self.voice}
        live = voices.get(self.voice_workflow or "")
        if live is None:
            return {"workflowId": self.voice_workflow, "deleted": True}
        block = live.character_block()
        if url is not None:
            block["audioUrl"] = url("audio", live.media_id)
        return block

    def entry(self, voices: dict[str, Voice]) -> dict[str, Any]:
        """The list entry (``GET /characters``): no URLs."""
        body: dict[str, Any] = {
            "character": self.ref,
            "entityId": self.entity_id,
            "displayName": self.display_name,
        }
        if self.notes is not None:
            body["personalityNotes"] = self.notes
        body["imageReferences"] = [{"workflowId": wid} for wid in self.image_workflows]
        voice = self._voice_block(voices, None)
        if voice is not None:
            body["voice"] = voice
        body["thumbnailMediaId"] = self.thumbnail
        body["createTime"] = iso_time(self.created)
        body["updateTime"] = iso_time(self.updated)
        return body

    def detail(self, voices: dict[str, Voice], url: UrlMaker) -> dict[str, Any]:
        """``GET /characters/{ref}``: the entry with signed preview, audio and thumbnail URLs."""
        body = self.entry(voices)
        body["imageReferences"] = [
            {"workflowId": wid, "mediaId": name, "previewUrl": url("image", name)}
            for wid, name in zip(self.image_workflows, self.image_names, strict=True)
        ]
        voice = self._voice_block(voices, url)
        if voice is not None:
            body["voice"] = voice
        body["thumbnailUrl"] = url("image", self.thumbnail)
        return body
