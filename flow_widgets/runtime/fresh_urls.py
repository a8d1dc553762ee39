"""A fresh signed URL for a clip or image whose link (or whole job) has expired (spec C4).

Signed media URLs last about 6 hours (C9), and a job record expires later (410), after which
re-reading the job cannot help. ``GET /assets/{mediaGenerationId}`` answers a new link from the
media id alone, for free, so a download that meets an expired link (403/410 from the media host,
or :class:`~flow_widgets.errors.MediaExpiredError`) asks here once and retries with the new URL.
"""

from __future__ import annotations

from flow_widgets.api.client import AsyncFlowClient
from flow_widgets.errors import MediaExpiredError

__all__ = ["MediaGoneError", "fresh_media_url", "media_gone_text"]


class MediaGoneError(MediaExpiredError):
    """``GET /assets/{mediaGenerationId}`` answered 404: the media itself is gone from the API,
    so no refresh, resume or re-read can fetch it again (only a new generation can)."""


def media_gone_text(index: int) -> str:
    """The one sentence a card shows when the API no longer has output ``index`` at all."""
    return (
        f"The API no longer has output {index + 1} of this job, so it cannot be downloaded "
        "again; generate it anew."
    )


async def fresh_media_url(client: AsyncFlowClient, media_generation_id: str) -> str:
    """A new signed URL (about 6 hours) for ``media_generation_id``; API errors propagate
    (``NotFoundError`` when the media itself is gone, which no refresh can fix)."""
    answer = await client.assets.get(media_generation_id)
    return answer.url
