"""``POST /images``: always synchronous, free of Flow credits, ``count`` 4 by default.

Same pipeline as the videos (:mod:`flow_widgets.simulator.submission`); what differs is the
account statistics it counts in (images), the aspect-ratio defaults (``16:9``, or ``auto`` --
the first reference's shape -- for the non-lite models with references) and the answer shape
(``media[].image.generatedImage.fifeUrl``).
"""

from __future__ import annotations

from starlette.responses import Response

from flow_widgets.api.catalog import resolve_image_model
from flow_widgets.api.requests import ImageRequest
from flow_widgets.simulator.generation import (
    find_character,
    find_media,
    pick_account,
)
from flow_widgets.simulator.media_store import MediaItem
from flow_widgets.simulator.routing import Call
from flow_widgets.simulator.state import SimulatorState
from flow_widgets.simulator.submission import Plan, open_request, run_plan, variations

__all__ = ["post_images"]

_IMAGE_ASPECT_OF = {"landscape": "16:9", "portrait": "9:16"}


def _image_aspect(requested: str | None, default: str, first_ref: MediaItem | None) -> str:
    aspect = requested or ("auto" if first_ref is not None and default != "16:9" else default)
    if aspect == "auto":
        ref_aspect = first_ref.aspect if first_ref is not None else "16:9"
        return _IMAGE_ASPECT_OF.get(ref_aspect, ref_aspect)
    return _IMAGE_ASPECT_OF.get(aspect, aspect)


async def post_images(state: SimulatorState, call: Call) -> Response:
    req, intake, replayed = await open_request(state, call, ImageRequest)
    if replayed is not None:
        return replayed
    spec = resolve_image_model(req.model)
    assert spec is not None  # the request checked the name
    owners: list[str] = []
    references: list[str] = []
    first_ref: MediaItem | None = None
    for i, value in enumerate(req.references, 1):
        if value is not None:
            item = find_media(state, value, f"reference_{i}", "image")
            owners.append(item.email)
            references.append(value)
            first_ref = first_ref or item
    for i, ref in enumerate(req.characters, 1):
        if ref is not None:
            character = find_character(state, ref, f"character_{i}")
            owners.append(character.email)
            pictures = [state.media.by_name(name) for name in character.image_names]
            references += [item.media_id for item in pictures if item is not None]
    account = pick_account(state, email=req.email, owners=owners, kind="images", model=spec.id)
    req.validate_for_tier(account.tier)
    seed = req.seed if req.seed is not None else state.new_seed()
    default_aspect = "auto" if spec.id != "nano-banana-2-lite" else spec.default_aspect
    aspect = _image_aspect(req.aspect_ratio, default_aspect, first_ref)
    plan = Plan(
        req,
        intake,
        account,
        "images",
        spec.id,
        "post-images",
        "IMAGE_GENERATION",
        state.catalog.expected_seconds("image", spec.id),
        seed,
        {"operation": "image", "references": references},
    )
    return await run_plan(
        state,
        plan,
        variations(
            state,
            account,
            "image",
            count=req.count,
            seed=seed,
            origin="generated",
            prompt=req.prompt,
            model=spec.id,
            aspect=aspect,
        ),
    )
