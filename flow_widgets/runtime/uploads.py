"""Uploading reference images and videos at most once per content and account.

Why: notebooks re-run cells, and ``flow.upload("frame.jpg")`` in a cell that runs ten times must
not put ten copies into the user's Google account. The file is checked first (a regular file,
its type from its first bytes, its size from ``stat``) so nothing hostile is ever read, then
hashed up to that size (off the engine loop); the
ledger's asset table is asked whether that content was already uploaded for the account, and
only a miss sends ``POST /assets``. The handle completes with the ``mediaGenerationId`` to pass as
``start_image=``, ``reference_images=[…]`` and so on.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import stat
from pathlib import Path
from typing import Any

from flow_widgets.api._upload import UploadBody, upload_body
from flow_widgets.api.client import AsyncFlowClient
from flow_widgets.api.ids import parse_media_id
from flow_widgets.errors import FlowError, ValidationError
from flow_widgets.runtime.jobs import JobHandle, MediaFile
from flow_widgets.runtime.ledger import Ledger

__all__ = ["upload_once", "validated_upload"]


def validated_upload(
    source: Any, *, content_type: str | None = None, email: str | None = None
) -> tuple[str, UploadBody]:
    """Check an upload, then hash exactly the bytes that will be sent.

    The checks come first and read nothing but the first bytes: a path must name a regular file
    once symlinks are resolved (a symlink to ``/dev/zero`` or a FIFO would otherwise be read
    forever), its size comes from ``stat`` and must be within the type's limit, and the type
    comes from the magic bytes. Only then is the content hashed, and never past its checked size.

    Raises:
        ValidationError: one plain sentence naming the file and what to pass instead.
    """
    if isinstance(source, (str, os.PathLike)):
        _require_regular_file(Path(source))
    start = _position(source)
    try:
        body = upload_body(source, content_type=content_type, email=email)
        digest = hashlib.sha256()
        remaining = body.size
        for chunk in body.chunks():
            digest.update(chunk[:remaining])
            remaining -= len(chunk)
            if remaining <= 0:
                break
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ValidationError(
            f"file {_name(source)!r} could not be read ({reason}); pass the path of a readable "
            "image or mp4 video.",
            field="file",
        ) from None
    if start is not None:
        source.seek(start)
    return digest.hexdigest(), body


def _require_regular_file(path: Path) -> None:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise ValidationError(
            f"file {str(path)!r} does not exist; pass the path of an image or mp4 video.",
            field="file",
        ) from None
    except OSError as exc:
        raise ValidationError(
            f"file {str(path)!r} could not be opened ({exc.strerror}); pass the path of a "
            "readable image or mp4 video.",
            field="file",
        ) from None
    if not stat.S_ISREG(mode):
        raise ValidationError(
            f"file {str(path)!r} is {_kind_of(mode)}, not a regular file; pass the path of an "
            "image or mp4 video.",
            field="file",
        )


def _kind_of(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a plain file"


def _position(source: Any) -> int | None:
    """Where a file object stands now, so hashing it can rewind for the send."""
    if isinstance(source, (bytes, bytearray, memoryview, str, os.PathLike)):
        return None
    try:
        return int(source.tell()) if source.seekable() else None
    except (AttributeError, OSError, ValueError):
        return None


def _name(source: Any) -> str:
    if isinstance(source, (str, os.PathLike)):
        return str(source)
    return str(getattr(source, "name", "the upload"))


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
    try:
        digest, _body = await asyncio.to_thread(
            validated_upload, source, content_type=content_type, email=email
        )
    except ValidationError as exc:
        handle.apply(status="rejected", error=str(exc), charged=False, credits=0, reopen=True)
        raise
    cached = ledger.asset_lookup(digest, email)
    if cached is not None:
        handle.apply(
            status="completed",
            media=(_asset_file(cached, local),),
            account=_owner(cached),
            charged=False,
            credits=0,
            note="already uploaded (same content); nothing was sent",
            reopen=True,
        )
        return
    handle.apply(status="submitting", reopen=True)
    try:
        asset = await client.assets.upload(
            source, content_type=content_type, email=email, idempotency_key=digest
        )
    except FlowError as exc:
        handle.apply(status="rejected", error=str(exc), charged=False, credits=0)
        raise
    ledger.asset_store(digest, email, asset.media_generation_id, content_type or asset.kind)
    handle.apply(
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
