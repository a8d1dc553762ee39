"""Every media item the simulator knows, and its bytes, made on first request.

A generation only *records* what its media should look like (prompt, model, seed, aspect,
duration, source clip); the bytes are synthesized by :mod:`flow_widgets.simulator.media` when
someone first asks for them (a download, a GIF, an extend, an upscale, a concatenation). Encoding
an 8 s clip costs about a second of CPU, so it always runs on a worker thread, never on the event
loop: job-status requests stay fast while media is being made. Concurrent requests for the same
item share one render; finished bytes are kept in a size-bounded LRU cache (rendering is
deterministic, so an evicted item is simply made again). Uploaded bytes are kept for good -- they
are inputs and cannot be made again.

Items are addressed by *name*, the last part of their mediaGenerationId (``<uuid>`` or
``<uuid>_upsampled``), which is also the path on the media origin: ``/video/<name>``,
``/image/<name>`` (an image, or a video's thumbnail) and ``/audio/<name>`` (a voice sample).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import anyio.to_thread

from flow_widgets.simulator.http import sha256_hex

__all__ = ["Blob", "MediaItem", "MediaStore"]

ItemKind = Literal["image", "video", "audio"]
Origin = Literal["upload", "generated", "extended", "upscaled", "voice"]
Category = Literal["video", "image", "audio"]


@dataclass(frozen=True)
class Blob:
    """Bytes with the facts a media response needs."""

    data: bytes
    content_type: str
    sha256: str

    @classmethod
    def of(cls, data: bytes, content_type: str) -> Blob:
        return cls(data, content_type, sha256_hex(data))


@dataclass
class MediaItem:
    """One image, video or voice sample and the recipe for its bytes."""

    name: str
    media_id: str
    kind: ItemKind
    email: str
    origin: Origin
    created: float
    prompt: str = ""
    model: str = ""
    seed: int = 0
    aspect: str = "landscape"
    duration: float = 0.0
    resolution: str = "720p"
    source: str | None = None
    width: int = 0
    height: int = 0
    workflow_id: str = ""
    jobid: str | None = None
    upload: Blob | None = field(default=None, repr=False)

    @property
    def family(self) -> str:
        """``"omni"`` or ``"veo"`` for generated videos (concatenate and extend care)."""
        return "omni" if self.model.startswith("omni") else "veo"


def _render(item: MediaItem, category: Category, source: bytes | None) -> Blob:
    """Synthesize the bytes of ``item`` as served under ``category`` (worker thread)."""
    from flow_widgets.simulator import media

    if item.kind == "video" and category == "image":
        jpeg = media.render_thumbnail(
            prompt=item.prompt, seed=item.seed, aspect=item.aspect, duration=item.duration
        )
        return Blob.of(jpeg, "image/jpeg")
    if item.kind == "audio":
        return Blob.of(media.render_voice_sample(text=item.prompt, seed=item.seed), "audio/wav")
    if item.kind == "image":
        png = media.render_image(
            prompt=item.prompt, model=item.model, seed=item.seed, aspect=item.aspect, fmt="png"
        )
        return Blob.of(png, "image/png")
    if item.origin == "extended":
        assert source is not None
        return Blob.of(media.extend_video(source, prompt=item.prompt, seed=item.seed), "video/mp4")
    if item.origin == "upscaled":
        assert source is not None
        return Blob.of(media.upscale_video(source, item.resolution), "video/mp4")
    data = media.render_video(
        prompt=item.prompt,
        model=item.model,
        seed=item.seed,
        duration=item.duration,
        aspect=item.aspect,
        resolution=item.resolution,
    )
    return Blob.of(data, "video/mp4")


class MediaStore:
    """Name -> :class:`MediaItem`, plus the render cache."""

    def __init__(self, cache_bytes: int) -> None:
        self._items: dict[str, MediaItem] = {}
        self._by_id: dict[str, MediaItem] = {}
        self._cache: OrderedDict[tuple[str, str], Blob] = OrderedDict()
        self._cache_bytes = 0
        self._cache_limit = cache_bytes
        self._inflight: dict[tuple[str, str], asyncio.Future[Blob]] = {}
        self.renders = 0

    def __repr__(self) -> str:
        return f"MediaStore(items={len(self._items)}, cached={len(self._cache)})"

    def __len__(self) -> int:
        return len(self._items)

    def add(self, item: MediaItem) -> MediaItem:
        self._items[item.name] = item
        self._by_id[item.media_id] = item
        return item

    def by_name(self, name: str) -> MediaItem | None:
        return self._items.get(name)

    def by_id(self, media_id: str) -> MediaItem | None:
        return self._by_id.get(media_id)

    def items(self, predicate: Callable[[MediaItem], bool]) -> list[MediaItem]:
        return [item for item in self._items.values() if predicate(item)]

    async def blob(self, item: MediaItem, category: Category | None = None) -> Blob:
        """The bytes of ``item`` (as served under ``category``), rendering them if needed."""
        if category is None:
            category = "audio" if item.kind == "audio" else item.kind
        if item.upload is not None and category == item.kind:
            return item.upload
        key = (item.name, category)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        pending = self._inflight.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Blob] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            source = None
            if item.source is not None and category == "video":
                parent = self._by_id.get(item.source)
                if parent is None:
                    raise LookupError(f"source media {item.source} of {item.name} is gone")
                source = (await self.blob(parent, "video")).data
            blob = await anyio.to_thread.run_sync(_render, item, category, source)
            self.renders += 1
            self._remember(key, blob)
            future.set_result(blob)
            return blob
        except BaseException as exc:
            if isinstance(exc, Exception):
                future.set_exception(exc)
                future.exception()  # retrieved here, so an unawaited future never warns
            else:
                future.cancel()
            raise
        finally:
            del self._inflight[key]

    def _remember(self, key: tuple[str, str], blob: Blob) -> None:
        self._cache[key] = blob
        self._cache_bytes += len(blob.data)
        while self._cache_bytes > self._cache_limit and len(self._cache) > 1:
            _, evicted = self._cache.popitem(last=False)
            self._cache_bytes -= len(evicted.data)
