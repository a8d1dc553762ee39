"""A fresh signed URL for a clip or image whose link (or whole job) has expired (spec C4).

Signed media URLs last about 6 hours (C9), and a job record expires later (410), after which
re-reading the job cannot help. ``GET /assets/{mediaGenerationId}`` answers a new link from the
media id alone, for free, so a download that meets an expired link (403/410 from the media host,
or :class:`~flow_widgets.errors.MediaExpiredError`) asks here once and retries with the new URL.
"""

from __future__ import annotations

from typing import Protocol

from flow_widgets.api.models import AssetUrl

__all__ = ["fresh_media_url"]


class _AssetReader(Protocol):
    async def get(self, media_generation_id: str) -> AssetUrl: ...


class _Client(Protocol):
    @property
    def assets(self) -> _AssetReader: ...


async def fresh_media_url(client: _Client, media_generation_id: str) -> str:
    """A new signed URL (about 6 hours) for ``media_generation_id``; API errors propagate
    (``NotFoundError`` when the media itself is gone, which no refresh can fix)."""
    answer = await client.assets.get(media_generation_id)
    return answer.url
