"""Uploading reference images and videos at most once per content and account.

Why: notebooks re-run cells, and ``flow.upload("frame.jpg")`` in a cell that runs ten times must
not put ten copies into the user's Google account. The file is hashed (off the engine loop), the
ledger's asset table is asked whether that content was already uploaded for the account, and
only a miss sends ``POST /assets``. The handle completes with the ``mediaGenerationId`` to pass as
``start_image=``, ``reference_images=[…]`` and so on.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from pathlib import Path
from typing import IO, Any

from flow_widgets.api.client import AsyncFlowClient
from flow_widgets.api.ids import parse_media_id
from flow_widgets.errors import FlowError
from flow_widgets.runtime.jobs import JobHandle, MediaFile
from flow_widgets.runtime.ledger import Ledger

__all__ = ["content_digest", "upload_once"]

_CHUNK = 1 << 20


def content_digest(source: Any) -> tuple[str, Any]:
    """SHA-256 of an upload source, and the source to send (file objects are read once)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return hashlib.sha256(source).hexdigest(), source
    if isinstance(source, (str, os.PathLike)):
        digest = hashlib.sha256()
        with open(source, "rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
        return digest.hexdigest(), source
    data = _read_all(source)
    return hashlib.sha256(data).hexdigest(), data


def _read_all(handle: IO[bytes]) -> bytes:
    data = handle.read()
    if not isinstance(data, bytes):
        raise TypeError("upload file objects must be opened in binary mode ('rb').")
    return data


async def upload_once(
    handle: JobHandle,
    source: Any,
    *,
    client: AsyncFlowClient,
    ledger: Ledger,
    email: str | None = None,
    content_type: str | None = None,
) -> None:
    """Upload ``source`` unless identical content was uploaded for ``email`` before."""
    local = Path(source) if isinstance(source, (str, os.PathLike)) else None
    digest, body = await asyncio.to_thread(content_digest, source)
    cached = ledger.asset_lookup(digest, email)
    if cached is not None:
        handle._update(
            status="completed",
            media=(_asset_file(cached, local),),
            account=_owner(cached),
            charged=False,
            credits=0,
            note="already uploaded (same content); nothing was sent",
            reopen=True,
        )
        return
    handle._update(status="submitting", reopen=True)
    try:
        asset = await client.assets.upload(
            body, content_type=content_type, email=email, idempotency_key=digest
        )
    except FlowError as exc:
        handle._update(status="rejected", error=str(exc), charged=False, credits=0)
        raise
    ledger.asset_store(digest, email, asset.media_generation_id, content_type or asset.kind)
    handle._update(
        status="completed",
        media=(_asset_file(asset.media_generation_id, local),),
        account=_owner(asset.media_generation_id),
        result=asset,
        charged=False,
        credits=0,
    )


def _asset_file(media_id: str, local: Path | None) -> MediaFile:
    kind = "video" if "-video:" in media_id else "image"
    return MediaFile(index=0, kind=kind, media_id=media_id, path=local)


def _owner(media_id: str) -> str | None:
    parsed = parse_media_id(media_id)
    return parsed.email if parsed is not None else None
