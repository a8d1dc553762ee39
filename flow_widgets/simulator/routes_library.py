"""Library endpoints: uploads (spec §3.8), voices (§3.16-§3.19), characters (§3.20-§3.23).

Uploads are raw bytes with an image or video ``Content-Type``, checked by the client's own
:class:`~flow_widgets.api.requests.UploadAsset` rules (type, magic bytes, 20/100 MB limits) and
then measured; the id they get works as a start/end frame, reference, character image or V2V
source on the same account only. ``GET /assets/{mediaGenerationId}`` (documented next to the
upload) hands out a fresh signed URL.
"""

from __future__ import annotations

import io
import warnings
from typing import Literal

import anyio.to_thread
from starlette.responses import Response

from flow_widgets.api.catalog import canonical_voice_preset
from flow_widgets.api.ids import make_character_ref, make_media_id, make_voice_ref, parse_media_id
from flow_widgets.api.requests import CharacterRequest, UploadAsset, VoiceRequest
from flow_widgets.errors import ValidationError
from flow_widgets.simulator.clock import iso_time
from flow_widgets.simulator.generation import (
    admit,
    find_character,
    find_media,
    find_voice,
    new_jobid,
    pick_account,
    refused,
)
from flow_widgets.simulator.http import HttpError, json_response
from flow_widgets.simulator.library import Character, Voice, system_voice_entry, system_voices
from flow_widgets.simulator.media_store import Blob, MediaItem
from flow_widgets.simulator.routing import Call
from flow_widgets.simulator.state import SimulatorState

__all__ = [
    "delete_character",
    "delete_voice",
    "get_asset",
    "get_character",
    "get_characters",
    "get_voice",
    "get_voices",
    "post_asset",
    "post_character",
    "post_voice",
]

_ASPECTS = {"16:9": 16 / 9, "9:16": 9 / 16, "1:1": 1.0, "4:3": 4 / 3, "3:4": 3 / 4}
_VIDEO_ASPECTS = {"16:9": "landscape", "9:16": "portrait"}


def _measure(data: bytes, content_type: str) -> tuple[int, int, float]:
    """Width, height and duration of an upload (worker thread)."""
    if content_type == "video/mp4":
        from flow_widgets.simulator import media

        info = media.probe(data)
        return info.width, info.height, info.duration
    from PIL import Image

    with warnings.catch_warnings():
        # PIL warns above ~89 M pixels and refuses above ~179 M; both mean "too big to decode".
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as picture:
                return picture.width, picture.height, 0.0
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ValueError(
                "the image has too many pixels to decode safely; use one under 80 megapixels"
            ) from None


def _nearest_aspect(width: int, height: int) -> str:
    ratio = width / max(1, height)
    return min(_ASPECTS, key=lambda name: abs(_ASPECTS[name] - ratio))


# --------------------------------------------------------------------------- assets


async def post_asset(state: SimulatorState, call: Call) -> Response:
    email = call.request.path_params.get("email")
    req = UploadAsset(call.body, content_type=call.request.headers.get("content-type"), email=email)
    assert req.content_type is not None
    if email is not None:
        account = state.account(email)
    else:
        account = pick_account(state, email=None, owners=(), kind="images", model="upload")
    try:
        width, height, duration = await anyio.to_thread.run_sync(
            _measure, req.content, req.content_type
        )
    except (ValidationError, OSError, ValueError) as exc:
        error = HttpError(400, f"The upload could not be read as {req.content_type}: {exc}")
        raise refused(state, error, kind="images", email=account.email, ticket=None) from None
    kind: Literal["image", "video"] = "video" if req.content_type == "video/mp4" else "image"
    name = state.uuid()
    media_id = make_media_id(state.config.user_id, account.email, kind, name)
    aspect = _nearest_aspect(width, height)
    if kind == "video":
        aspect = _VIDEO_ASPECTS.get(aspect, aspect)
    now = state.now()
    item = state.media.add(
        MediaItem(
            name=name,
            media_id=media_id,
            kind=kind,
            email=account.email,
            origin="upload",
            created=now,
            prompt="uploaded " + kind,
            aspect=aspect,
            duration=duration,
            width=width,
            height=height,
            workflow_id=state.uuid(),
            upload=Blob.of(req.content, req.content_type),
        )
    )
    media = {
        "name": item.name,
        "projectId": account.project_id,
        "workflowId": item.workflow_id,
        "workflowStepId": "CAE",
        "mediaMetadata": {
            "createTime": iso_time(now),
            "requestData": {"clientPlatform": "CLIENT_PLATFORM_WEB"},
            "visibility": "PRIVATE",
        },
    }
    body: dict[str, object] = {"media": media}
    if kind == "image":
        media["image"] = {
            "userUploadedImage": {"aspectRatio": "IMAGE_ASPECT_RATIO_UNSPECIFIED"},
            "dimensions": {"width": width, "height": height},
        }
        body["workflow"] = {
            "name": item.workflow_id,
            "metadata": {
                "displayName": f"upload.{req.content_type.split('/')[1]}",
                "createTime": iso_time(now),
                "primaryMediaId": item.name,
            },
            "projectId": account.project_id,
        }
    else:
        length = f"{duration:.3f}s"
        media["mediaMetadata"]["mediaStatus"] = {  # type: ignore[index]
            "mediaGenerationStatus": "MEDIA_GENERATION_STATUS_PENDING"
        }
        media["video"] = {
            "dimensions": {"width": width, "height": height, "length": length},
            "videoOffset": {"startOffset": "0s", "endOffset": length},
            "userUploadedVideo": {"encodedVideo": ""},
        }
        body["durationSeconds"] = round(duration, 3)
    body["mediaGenerationId"] = {"mediaGenerationId": media_id}
    body.update(width=width, height=height, email=account.email)
    return json_response(body)


async def get_asset(state: SimulatorState, call: Call) -> Response:
    media_id = call.param("mediaGenerationId")
    parsed = parse_media_id(media_id)
    kind = parsed.kind if parsed is not None else "image"
    item = find_media(state, media_id, "mediaGenerationId", kind)
    return json_response({"url": state.url(item.kind, item.name), "mediaGenerationId": media_id})


# --------------------------------------------------------------------------- voices


async def post_voice(state: SimulatorState, call: Call) -> Response:
    req = VoiceRequest.from_payload(await call.payload())
    account = state.account(req.email)
    jobid = new_jobid(state, "video", account.email)
    ticket = admit(
        state,
        req,
        account,
        jobid=jobid,
        kind="videos",
        model="voice",
        route="post-voices",
        page_action="VOICE_GENERATION",
        google=False,
    )
    seconds = state.config.scaled(state.catalog.expected_seconds("voice"))
    await state.scheduler.wait_until(state.now() + seconds)
    workflow_id, media_name = state.uuid(), state.uuid()
    voice = Voice(
        ref=make_voice_ref(state.config.user_id, account.email, workflow_id, media_name),
        workflow_id=workflow_id,
        media_id=media_name,
        email=account.email,
        display_name=req.display_name,
        base_voice=req.voice,
        dialog=req.dialog,
        performance=req.voice_performance,
        created=state.now(),
    )
    state.voices[workflow_id] = voice
    state.media.add(
        MediaItem(
            name=media_name,
            media_id=voice.ref,
            kind="audio",
            email=account.email,
            origin="voice",
            created=voice.created,
            prompt=req.dialog,
            seed=state.new_seed(),
        )
    )
    ticket.settle(200)
    return json_response(voice.detail(state.url))


def _query_email(state: SimulatorState, call: Call) -> str:
    email = call.request.query_params.get("email")
    if not email:
        raise HttpError(400, "Parameter email is required")
    state.account(email)
    return email


async def get_voices(state: SimulatorState, call: Call) -> Response:
    email = _query_email(state, call)
    source = call.request.query_params.get("source")
    if source not in (None, "system", "user"):
        raise HttpError(400, "Parameter source must be system or user")
    voices = system_voices() if source != "user" else []
    if source != "system":
        voices += [v.entry() for v in state.voices.values() if v.email == email]
    return json_response({"voices": voices})


async def get_voice(state: SimulatorState, call: Call) -> Response:
    ref = call.param("ref")
    preset = canonical_voice_preset(ref)
    if preset is not None:
        return json_response(system_voice_entry(preset))
    return json_response(find_voice(state, ref).detail(state.url))


async def delete_voice(state: SimulatorState, call: Call) -> Response:
    ref = call.param("ref")
    if canonical_voice_preset(ref) is not None or not ref.startswith("user:"):
        raise HttpError(400, "Built-in voices cannot be deleted.")
    voice = find_voice(state, ref)
    del state.voices[voice.workflow_id]
    return json_response({"deleted": True, "workflowId": voice.workflow_id, "voice": ref})


# --------------------------------------------------------------------------- characters


async def post_character(state: SimulatorState, call: Call) -> Response:
    req = CharacterRequest.from_payload(await call.payload())
    images = [
        find_media(state, value, f"imageReference_{i}", "image")
        for i, value in enumerate(req.image_references, 1)
        if value is not None
    ]
    account = state.account(images[0].email)
    voice_name: str | None = None
    voice_workflow: str | None = None
    if req.voice is not None:
        preset = canonical_voice_preset(req.voice)
        if preset is not None:
            voice_name = preset
        else:
            voice = find_voice(state, req.voice)
            if voice.email != account.email:
                raise HttpError(
                    400,
                    "voice belongs to another Google account; use one of this account's voices.",
                )
            voice_name, voice_workflow = voice.ref, voice.workflow_id
    seconds = state.config.scaled(state.catalog.expected_seconds("character"))
    await state.scheduler.wait_until(state.now() + seconds)
    entity_id = state.uuid()
    ref_voice = voice_workflow or (voice_name.lower() if voice_name else None)
    now = state.now()
    ref = make_character_ref(state.config.user_id, account.email, entity_id, len(images), ref_voice)
    character = Character(
        ref=ref,
        entity_id=entity_id,
        email=account.email,
        display_name=req.display_name,
        notes=req.personality_notes,
        image_names=[i.name for i in images],
        image_workflows=[i.workflow_id for i in images],
        voice=voice_name,
        created=now,
        updated=now,
        thumbnail=images[0].name,
        voice_workflow=voice_workflow,
    )
    state.characters[entity_id] = character
    return json_response(character.created_json())


async def get_characters(state: SimulatorState, call: Call) -> Response:
    email = _query_email(state, call)
    entries = [c.entry(state.voices) for c in state.characters.values() if c.email == email]
    return json_response({"characters": entries})


async def get_character(state: SimulatorState, call: Call) -> Response:
    character = find_character(state, call.param("ref"), "character")
    return json_response(character.detail(state.voices, state.url))


async def delete_character(state: SimulatorState, call: Call) -> Response:
    ref = call.param("ref")
    character = find_character(state, ref, "character")
    del state.characters[character.entity_id]
    return json_response({"deleted": True, "entityId": character.entity_id, "character": ref})
