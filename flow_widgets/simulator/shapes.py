"""The JSON shapes of media entries, exactly as spec §3.9, §3.11 and §3.12 show them.

Clients are written from the docs' examples, so the simulator must produce the same nesting
(``media[].video.generatedVideo.seed``, ``media[].image.generatedImage.fifeUrl``, the legacy
``operations[]`` next to ``media[]`` on upscales). Pure functions: the caller passes already
signed URLs and timestamps; nothing here reads a clock or a registry.

Google enum spellings that the docs show (``VIDEO_ASPECT_RATIO_LANDSCAPE``,
``VIDEO_GENERATION_MODE_TEXT_TO_VIDEO``, ``NARWHAL``…) are used as shown; the siblings the docs
only imply ("others analogous") follow the same pattern.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flow_widgets.api.catalog import VIDEO_MODELS, Tier, is_ultra
from flow_widgets.simulator.media_store import MediaItem

__all__ = [
    "generation_mode",
    "google_video_key",
    "image_aspect_enum",
    "image_media_entry",
    "pending_operation",
    "upscale_operation",
    "video_aspect_enum",
    "video_media_entry",
]

_VIDEO_ASPECTS = {
    "landscape": "VIDEO_ASPECT_RATIO_LANDSCAPE",
    "16:9": "VIDEO_ASPECT_RATIO_LANDSCAPE",
    "portrait": "VIDEO_ASPECT_RATIO_PORTRAIT",
    "9:16": "VIDEO_ASPECT_RATIO_PORTRAIT",
    "1:1": "VIDEO_ASPECT_RATIO_SQUARE",
    "4:3": "VIDEO_ASPECT_RATIO_LANDSCAPE_FOUR_THREE",
    "3:4": "VIDEO_ASPECT_RATIO_PORTRAIT_THREE_FOUR",
}
_IMAGE_ASPECTS = {
    "16:9": "IMAGE_ASPECT_RATIO_LANDSCAPE",
    "landscape": "IMAGE_ASPECT_RATIO_LANDSCAPE",
    "9:16": "IMAGE_ASPECT_RATIO_PORTRAIT",
    "portrait": "IMAGE_ASPECT_RATIO_PORTRAIT",
    "1:1": "IMAGE_ASPECT_RATIO_SQUARE",
    "4:3": "IMAGE_ASPECT_RATIO_LANDSCAPE_FOUR_THREE",
    "3:4": "IMAGE_ASPECT_RATIO_PORTRAIT_THREE_FOUR",
}
#: ``modelNameType`` per image model (NARWHAL was observed for nano-banana-2).
IMAGE_MODEL_TYPES = {
    "nano-banana-2-lite": "HARBOR_SEAL",
    "nano-banana-2": "NARWHAL",
    "nano-banana-pro": "GEM_PIX_2",
}
_SUCCESSFUL = "MEDIA_GENERATION_STATUS_SUCCESSFUL"
_PENDING = "MEDIA_GENERATION_STATUS_PENDING"


def video_aspect_enum(aspect: str) -> str:
    return _VIDEO_ASPECTS.get(aspect, "VIDEO_ASPECT_RATIO_LANDSCAPE")


def image_aspect_enum(aspect: str) -> str:
    return _IMAGE_ASPECTS.get(aspect, "IMAGE_ASPECT_RATIO_LANDSCAPE")


def google_video_key(model: str, tier: Tier, duration: float) -> str:
    """Google's internal key for ``model`` (``veo_3_1_t2v_fast_ultra``, ``abra_t2v_8s``…)."""
    spec = VIDEO_MODELS.get(model)
    if spec is None or not spec.google_keys:
        return model.replace("-", "_").replace(".", "_")
    if spec.family == "omni":
        wanted = f"abra_t2v_{round(duration)}s"
        return wanted if wanted in spec.google_keys else spec.google_keys[-1]
    ultra = [key for key in spec.google_keys if key.endswith("_ultra")]
    plain = [key for key in spec.google_keys if not key.endswith("_ultra")]
    return (ultra if is_ultra(tier) and ultra else plain or list(spec.google_keys))[0]


def generation_mode(*, start: bool, end: bool, refs: bool, v2v: bool, extend: bool) -> str:
    """``VIDEO_GENERATION_MODE_*`` for a request's inputs."""
    if extend:
        name = "EXTEND_VIDEO"
    elif v2v:
        name = "VIDEO_TO_VIDEO"
    elif refs:
        name = "REFERENCES_TO_VIDEO"
    elif start and end:
        name = "FIRST_AND_LAST_FRAMES_TO_VIDEO"
    elif start:
        name = "IMAGE_TO_VIDEO"
    else:
        name = "TEXT_TO_VIDEO"
    return f"VIDEO_GENERATION_MODE_{name}"


def _length(seconds: float) -> str:
    return f"{seconds:g}s"


def video_media_entry(
    item: MediaItem,
    *,
    project_id: str,
    created: str,
    google_key: str,
    mode: str,
    base_image: str,
    video_url: str,
    thumbnail_url: str,
) -> dict[str, Any]:
    """One ``media[]`` entry of a finished video generation or extension (spec §3.11)."""
    aspect = video_aspect_enum(item.aspect)
    return {
        "name": item.name,
        "projectId": project_id,
        "workflowId": item.workflow_id,
        "workflowStepId": "CAE",
        "mediaMetadata": {
            "createTime": created,
            "mediaTitle": item.prompt,
            "requestData": {
                "videoGenerationRequestData": {
                    "videoModelControlInput": {
                        "videoModelName": google_key,
                        "videoGenerationMode": mode,
                        "videoAspectRatio": aspect,
                    }
                },
                "clientPlatform": "CLIENT_PLATFORM_WEB",
            },
            "mediaStatus": {"mediaGenerationStatus": _SUCCESSFUL},
            "visibility": "PRIVATE",
        },
        "video": {
            "generatedVideo": {
                "seed": item.seed,
                "prompt": item.prompt,
                "model": google_key,
                "baseImageMediaGenerationId": base_image,
                "isLooped": False,
                "aspectRatio": aspect,
            },
            "dimensions": {"length": _length(item.duration)},
            "operation": {"name": item.name},
        },
        "mediaGenerationId": item.media_id,
        "videoUrl": video_url,
        "thumbnailUrl": thumbnail_url,
    }


def image_media_entry(
    item: MediaItem, *, fife_url: str, references: Sequence[str]
) -> dict[str, Any]:
    """One ``media[]`` entry of ``POST /images`` (spec §3.9)."""
    return {
        "name": item.name,
        "workflowId": item.workflow_id,
        "image": {
            "generatedImage": {
                "seed": item.seed,
                "mediaGenerationId": item.media_id,
                "mediaVisibility": "PRIVATE",
                "prompt": item.prompt,
                "modelNameType": IMAGE_MODEL_TYPES.get(item.model, "HARBOR_SEAL"),
                "workflowId": item.workflow_id,
                "fifeUrl": fife_url,
                "aspectRatio": image_aspect_enum(item.aspect),
                "requestData": {
                    "promptInputs": [{"textInput": item.prompt}],
                    "imageGenerationRequestData": {
                        "imageGenerationImageInputs": [
                            {"mediaGenerationId": ref} for ref in references
                        ]
                    },
                },
            }
        },
    }


def pending_operation(item: MediaItem) -> dict[str, Any]:
    """One ``response.operations[]`` entry of a job that is not finished yet."""
    return {"operation": {"name": item.name}, "sceneId": item.workflow_id, "status": _PENDING}


def upscale_operation(
    item: MediaItem, *, created: str, video_url: str, thumbnail_url: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The legacy ``operations[]`` entry and the ``media[]`` entry of an upscale (§3.12)."""
    upsample = f"VIDEO_UPSAMPLE_RESOLUTION_{item.resolution.upper()}"
    model = f"veo_3_1_upsampler_{item.resolution.lower()}"
    operation = {
        "operation": {
            "name": item.name,
            "metadata": {
                "@type": "type.googleapis.com/google.internal.labs.aisandbox.v1.Media",
                "name": item.name,
                "video": {
                    "seed": 0,
                    "model": model,
                    "aspectRatio": video_aspect_enum(item.aspect),
                    "isLooped": False,
                    "upsampleResolution": upsample,
                    "fifeUrl": video_url,
                    "servingBaseUri": thumbnail_url,
                    "mediaGenerationId": item.media_id,
                    "mediaVisibility": "PRIVATE",
                },
            },
        },
        "sceneId": "",
        "status": _SUCCESSFUL,
        "mediaGenerationId": item.media_id,
    }
    media = {
        "name": item.name,
        "mediaMetadata": {
            "createTime": created,
            "mediaStatus": {"mediaGenerationStatus": _SUCCESSFUL},
            "visibility": "PRIVATE",
        },
        "video": {
            "generatedVideo": {
                "seed": 0,
                "model": model,
                "upsampleMetadata": {"videoUpsampleResolution": upsample},
            },
            "dimensions": {"length": _length(item.duration)},
            "operation": {"name": item.name},
        },
        "mediaGenerationId": item.media_id,
        "videoUrl": video_url,
        "thumbnailUrl": thumbnail_url,
    }
    return operation, media
