"""``GET /assets/{mediaGenerationId}``: a fresh signed URL for a generated clip or image (C4).

Signed media URLs last about 6 hours (spec §7.2 C9) and a job record expires later still (410);
the vendor's own n8n workflow reads this endpoint to get a new link for a clip. It is free and
safe to repeat, so it is an idempotent GET. Kept apart from :mod:`flow_widgets.api._endpoints`
because it is the one asset call that is not an upload.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flow_widgets.api._calls import Call
from flow_widgets.api._endpoints import path_segment
from flow_widgets.api.models import AssetUrl
from flow_widgets.api.requests import _rules as rules
from flow_widgets.errors import ValidationError

__all__ = ["get_asset"]


def get_asset(media_generation_id: str) -> Call[AssetUrl]:
    """A fresh signed URL (about 6 hours) for a generated video or image, by its id.

    Use it when a media URL has expired, also after the job itself has expired (410).
    """
    if not isinstance(media_generation_id, str) or not media_generation_id.strip():
        raise ValidationError(
            "mediaGenerationId is empty; pass the id of a generated video or image.",
            field="mediaGenerationId",
        )
    kind = "video" if "-video:" in media_generation_id else "image"
    rules.check_media_id(media_generation_id, "mediaGenerationId", kind)
    segment = path_segment(media_generation_id, "mediaGenerationId", "a media id")

    def parse(body: Any) -> AssetUrl:
        if not isinstance(body, Mapping):
            raise ValueError(f"expected a JSON object, got {type(body).__name__}")
        return AssetUrl.from_api(body, media_generation_id=media_generation_id)

    return Call("GET", f"/assets/{segment}", parse)
