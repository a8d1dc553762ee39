"""Reply bodies transcribed from the API reference (spec §3), shared by the model and client tests.

No tests live here: the module holds data only, so every test reads the same documented shapes.
Placeholders of the reference (``<uuid>``) are replaced with concrete, well-formed values.
"""

from __future__ import annotations

import base64
from typing import Any

EMAIL = "john@gmail.com"
HEX = EMAIL.encode().hex()
VIDEO_ID = f"user:12345-email:{HEX}-video:3f1c2b1a-0000-4000-8000-000000000001"
IMAGE_ID = f"user:12345-email:{HEX}-image:3f1c2b1a-0000-4000-8000-000000000002"
UPSCALED_ID = VIDEO_ID + "_upsampled"
VIDEO_JOBID = "j1731859234567v-u12345-email:jo***@gmail.com-bot:google-flow"
IMAGE_JOBID = "j1731859345678i-u12345-email:jo***@gmail.com-bot:google-flow"
VOICE_REF = f"user:12345-email:{HEX}-voice:d990a2f9-0000-4000-8000-00000000000a-mid:m1"
CHARACTER_REF = (
    f"user:12345-email:{HEX}-character:f470f1b5-0000-4000-8000-00000000000b-imgs:2"
    "-voice:d990a2f9-0000-4000-8000-00000000000a"
)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 24
GIF = b"GIF89a" + b"\x00" * 24
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 24


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


CAPTCHA = {
    "service": "AntiCaptcha",
    "taskId": "t-1",
    "durationMs": 3500,
    "attempts": [{"service": "AntiCaptcha", "taskId": "t-1", "durationMs": 3500, "success": True}],
}

VIDEO_MEDIA: dict[str, Any] = {
    "name": "3f1c2b1a",
    "projectId": "p-1",
    "workflowId": "w-1",
    "workflowStepId": "CAE",
    "mediaMetadata": {
        "createTime": "2026-06-01T12:00:00Z",
        "mediaTitle": "a red fox",
        "requestData": {
            "videoGenerationRequestData": {
                "videoModelControlInput": {
                    "videoModelName": "veo_3_1_t2v",
                    "videoGenerationMode": "VIDEO_GENERATION_MODE_TEXT_TO_VIDEO",
                    "videoAspectRatio": "VIDEO_ASPECT_RATIO_LANDSCAPE",
                }
            },
            "clientPlatform": "CLIENT_PLATFORM_WEB",
        },
        "mediaStatus": {"mediaGenerationStatus": "MEDIA_GENERATION_STATUS_SUCCESSFUL"},
        "visibility": "PRIVATE",
    },
    "video": {
        "generatedVideo": {
            "seed": 123456,
            "prompt": "a red fox",
            "model": "veo_3_1_t2v",
            "baseImageMediaGenerationId": "",
            "isLooped": False,
            "aspectRatio": "VIDEO_ASPECT_RATIO_LANDSCAPE",
        },
        "dimensions": {"length": "8s"},
        "operation": {"name": "op-1"},
    },
    "mediaGenerationId": VIDEO_ID,
    "videoUrl": "https://flow-content.google/video/3f1c?Expires=1",
    "thumbnailUrl": "https://flow-content.google/image/3f1c?Expires=1",
}

VIDEO_SYNC_200 = {
    "jobId": VIDEO_JOBID,
    "media": [VIDEO_MEDIA],
    "remainingCredits": 18760,
    "captcha": CAPTCHA,
}

VIDEO_ASYNC_201 = {
    "jobid": VIDEO_JOBID,
    "type": "video",
    "status": "created",
    "created": "2026-06-01T12:00:00Z",
    "request": {
        "async": True,
        "prompt": "a red fox",
        "email": "jo***@gmail.com",
        "model": "veo-3.1-fast",
        "aspectRatio": "landscape",
        "duration": 8,
        "count": 2,
        "seed": 123456,
        "replyUrl": "https://your-domain.com/webhook",
        "replyRef": "custom-reference-123",
    },
    "response": {
        "operations": [
            {
                "operation": {"name": "op-1"},
                "sceneId": "s-1",
                "status": "MEDIA_GENERATION_STATUS_PENDING",
            },
            {
                "operation": {"name": "op-2"},
                "sceneId": "s-2",
                "status": "MEDIA_GENERATION_STATUS_PENDING",
            },
        ],
        "captcha": {"service": "AntiCaptcha", "taskId": "t-2", "durationMs": 5357},
    },
}

JOB_COMPLETED = {
    "jobid": VIDEO_JOBID,
    "type": "video",
    "status": "completed",
    "created": "2025-11-17T12:34:56.789Z",
    "updated": "2025-11-17T12:37:23.456Z",
    "request": {"email": "jo***@gmail.com", "prompt": "a red fox", "async": True},
    "response": {"media": [VIDEO_MEDIA], "remainingCredits": 14845, "captcha": CAPTCHA},
}

JOB_FAILED = {
    "jobid": IMAGE_JOBID,
    "type": "image",
    "status": "failed",
    "created": "2026-06-01T12:00:00Z",
    "updated": "2026-06-01T12:00:09Z",
    "request": {"email": "an***@gmail.com", "prompt": "Generate an image"},
    "error": "API error: 500",
    "errorDetails": "Upstream model returned an internal error",
    "code": 500,
    "response": {
        "error": {"code": 500, "message": "Internal error encountered.", "status": "INTERNAL"}
    },
}


def image_media(*, inline: bytes | None = None) -> dict[str, Any]:
    generated: dict[str, Any] = {
        "seed": 123456,
        "mediaGenerationId": IMAGE_ID,
        "mediaVisibility": "PRIVATE",
        "prompt": "a lighthouse",
        "modelNameType": "NARWHAL",
        "workflowId": "w-2",
        "aspectRatio": "IMAGE_ASPECT_RATIO_LANDSCAPE",
        "requestData": {"promptInputs": [{"textInput": "a lighthouse"}]},
    }
    if inline is None:
        generated["fifeUrl"] = "https://flow-content.google/image/abc?Expires=1"
    else:
        generated["encodedImage"] = b64(inline)
    return {"name": "img-1", "workflowId": "w-2", "image": {"generatedImage": generated}}


IMAGES_200 = {"jobId": IMAGE_JOBID, "media": [image_media()], "captcha": CAPTCHA}

VIDEO_UPSCALE_200 = {
    "jobId": "j1737312345678v-u12345-email:jo***@gmail.com-bot:google-flow",
    "operations": [
        {
            "operation": {
                "name": "3f1c_upsampled",
                "metadata": {
                    "@type": "type.googleapis.com/google.internal.labs.aisandbox.v1.Media",
                    "name": "3f1c_upsampled",
                    "video": {
                        "seed": 0,
                        "model": "veo_3_1_upsampler_1080p",
                        "aspectRatio": "VIDEO_ASPECT_RATIO_LANDSCAPE",
                        "isLooped": False,
                        "upsampleResolution": "VIDEO_UPSAMPLE_RESOLUTION_1080P",
                        "fifeUrl": "https://flow-content.google/video/3f1c_upsampled",
                        "servingBaseUri": "https://flow-content.google/image/3f1c_upsampled",
                        "mediaGenerationId": UPSCALED_ID,
                        "mediaVisibility": "PRIVATE",
                    },
                },
            },
            "sceneId": "",
            "status": "MEDIA_GENERATION_STATUS_SUCCESSFUL",
            "mediaGenerationId": UPSCALED_ID,
        }
    ],
    "media": [
        {
            "name": "3f1c_upsampled",
            "mediaMetadata": {
                "createTime": "2026-06-01T12:00:00Z",
                "mediaStatus": {"mediaGenerationStatus": "MEDIA_GENERATION_STATUS_SUCCESSFUL"},
                "visibility": "PRIVATE",
            },
            "video": {
                "generatedVideo": {
                    "seed": 0,
                    "model": "veo_3_1_upsampler_1080p",
                    "upsampleMetadata": {
                        "videoUpsampleResolution": "VIDEO_UPSAMPLE_RESOLUTION_1080P"
                    },
                },
                "dimensions": {"length": "0s"},
                "operation": {"name": "3f1c_upsampled"},
            },
            "mediaGenerationId": UPSCALED_ID,
            "videoUrl": "https://flow-content.google/video/3f1c_upsampled",
            "thumbnailUrl": "https://flow-content.google/image/3f1c_upsampled",
        }
    ],
    "remainingCredits": 18760,
}

IMAGE_UPLOAD_200 = {
    "media": {
        "name": "u-1",
        "projectId": "p-1",
        "workflowId": "w-3",
        "workflowStepId": "CAE",
        "mediaMetadata": {
            "createTime": "2026-06-01T12:00:00Z",
            "requestData": {"clientPlatform": "CLIENT_PLATFORM_WEB"},
            "visibility": "PRIVATE",
        },
        "image": {
            "userUploadedImage": {"aspectRatio": "IMAGE_ASPECT_RATIO_UNSPECIFIED"},
            "dimensions": {"width": 1024, "height": 1024},
        },
    },
    "workflow": {
        "name": "w-3",
        "metadata": {
            "displayName": "upload.webp",
            "createTime": "2026-06-01T12:00:00Z",
            "primaryMediaId": "u-1",
        },
        "projectId": "p-1",
    },
    "mediaGenerationId": {"mediaGenerationId": IMAGE_ID},
    "width": 1024,
    "height": 1024,
    "email": "jo***@gmail.com",
}

VIDEO_UPLOAD_200 = {
    "media": {
        "name": "u-2",
        "mediaMetadata": {
            "mediaStatus": {"mediaGenerationStatus": "MEDIA_GENERATION_STATUS_PENDING"},
            "visibility": "PRIVATE",
        },
        "video": {
            "dimensions": {"width": 1280, "height": 720, "length": "11.940s"},
            "videoOffset": {"startOffset": "0s", "endOffset": "11.940s"},
            "userUploadedVideo": {"encodedVideo": ""},
        },
    },
    "mediaGenerationId": {"mediaGenerationId": VIDEO_ID},
    "durationSeconds": 11.94,
    "width": 1280,
    "height": 720,
    "email": "jo***@gmail.com",
}

ACCOUNT_FULL = {
    "accountCookies": [{"name": "HSID", "value": "COOKIE-SECRET", "domain": ".google.com"}],
    "sessionCookies": [{"name": "__Host-GAPS", "value": "SESSION-SECRET"}],
    "sessionData": {
        "user": {"name": "John", "email": EMAIL, "image": "https://lh3.googleusercontent.com/a"},
        "expires": "2026-06-02T12:00:00Z",
        "access_token": "ya29.ACCESS-SECRET",
    },
    "created": "2025-11-09T22:02:04.802Z",
    "project": {"projectId": "p-1", "projectTitle": "Nov 11 - 02:56"},
    "nextRefresh": {"messageId": "msg-1", "scheduledFor": "2026-06-02T06:00:00Z"},
    "health": "OK",
    "credits": {"credits": 18760, "userPaygateTier": "PAYGATE_TIER_TWO"},
    "models": {
        "videoModels": [
            {
                "key": "veo_3_1_t2v",
                "displayName": "Veo 3.1 - Quality",
                "supportedAspectRatios": ["VIDEO_ASPECT_RATIO_LANDSCAPE"],
                "capabilities": ["VIDEO_MODEL_CAPABILITY_AUDIO"],
                "videoLengthSeconds": 8,
                "videoGenerationTimeSeconds": 240,
                "creditCost": 100,
                "framesPerSecond": 24,
                "paygateTier": "PAYGATE_TIER_TWO",
            },
            {"displayName": "no key: skipped"},
        ]
    },
}
ACCOUNT_SECRETS = ("COOKIE-SECRET", "SESSION-SECRET", "ya29.ACCESS-SECRET")

ACCOUNTS_LIST = {
    EMAIL: {
        "created": "2025-11-09T22:02:04.802Z",
        "health": "OK",
        "nextRefresh": {"scheduledFor": "2026-06-02T06:00:00Z"},
        "project": {"projectId": "p-1", "projectTitle": "Flow"},
        "sessionData": {"expires": "2026-06-02T12:00:00Z"},
    },
    "other@gmail.com": {"health": "Session expired", "error": "cookies rejected"},
}

CAPTCHA_STATS = {
    "date": "2026-02-03",
    "total": 42,
    "summary": {
        "success_rate_by_provider": {"CapSolver": 73.2, "AntiCaptcha": 80.5},
        "avg_captcha_ms": 8500,
    },
    "data": [
        {
            "timestamp": "2026-02-03T10:30:00Z",
            "jobId": "20260203103000123-user:123-bot:google-flow",
            "provider": "AntiCaptcha",
            "taskId": "t-9",
            "route": "post-videos",
            "statusText": "OK",
            "pageAction": "VIDEO_GENERATION",
            "error": "",
            "reason": "",
            "tier": "PAYGATE_TIER_TWO",
            "sku": "WS_ULTRA",
            "statusCode": 200,
            "captchaDurationMs": 8500,
            "apiDurationMs": 1200,
            "attemptNumber": 1,
        }
    ],
}

JOBS_STATS = {
    "emails": ["jo***@gmail.com", "an***@gmail.com"],
    "videos": {
        "summary": {
            "jo***@gmail.com": {
                "executing": 1,
                "completed": 5,
                "failed": 0,
                "rateLimited": 0,
                "avgResponseTime": 12000,
                "score": 6,
            }
        },
        "executing": {
            VIDEO_JOBID: {
                "email": "jo***@gmail.com",
                "timestamp": 1731859234567,
                "elapsed": "01:23",
            }
        },
    },
    "images": {
        "summary": {
            "an***@gmail.com": {
                "executing": 0,
                "completed": 3,
                "failed": 1,
                "rateLimited": 0,
                "avgResponseTime": 8000,
                "score": 13,
            }
        },
        "history": {
            IMAGE_JOBID: {
                "email": "an***@gmail.com",
                "timestamp": 1731859345678,
                "httpStatus": 200,
                "responseTime": 4200,
            }
        },
    },
    "combined": {"summary": {}},
}

VOICE_CREATED = {
    "voice": VOICE_REF,
    "source": "user",
    "workflowId": "d990a2f9-0000-4000-8000-00000000000a",
    "mediaId": "m1",
    "displayName": "Cheerful Narrator",
    "baseVoice": "Achernar",
    "dialog": "Hello, this is a test voice.",
    "voicePerformance": "Cheerful, energetic delivery",
    "audioUrl": "https://flow-content.google/audio/m1?Expires=1",
}

VOICES_LIST = {
    "voices": [
        {
            "voice": "Achernar",
            "source": "system",
            "displayName": "Achernar",
            "sampleUrl": "https://www.gstatic.com/aitestkitchen/voices/samples/Achernar.wav",
        },
        {
            "voice": VOICE_REF,
            "source": "user",
            "displayName": "Cheerful Narrator",
            "workflowId": "d990a2f9-0000-4000-8000-00000000000a",
            "mediaId": "m1",
            "baseVoice": "Achernar",
            "createTime": "2026-06-05T18:25:32.847291Z",
        },
        {"source": "user"},
    ]
}

CHARACTER_CREATED = {
    "entityId": "f470f1b5-0000-4000-8000-00000000000b",
    "character": CHARACTER_REF,
    "displayName": "Carol",
    "personalityNotes": "A curious traveler with a sharp wit",
    "imageReferences": [{"mediaId": "i-1"}, {"mediaId": "i-2"}],
    "voice": VOICE_REF,
}

CHARACTERS_LIST = {
    "characters": [
        {
            "character": CHARACTER_REF,
            "entityId": "f470f1b5-0000-4000-8000-00000000000b",
            "displayName": "Carol",
            "imageReferences": [{"workflowId": "w-a"}, {"workflowId": "w-b"}],
            "voice": {
                "source": "user",
                "voice": VOICE_REF,
                "workflowId": "d990a2f9",
                "mediaId": "m1",
                "displayName": "Cheerful Narrator",
                "baseVoice": "Achernar",
            },
            "thumbnailMediaId": "th-1",
            "createTime": "2026-06-05T18:14:07.706641Z",
            "updateTime": "2026-06-05T18:14:16.004078Z",
        },
        {
            "character": CHARACTER_REF.replace("imgs:2", "imgs:1"),
            "voice": {"source": "system", "voice": "Umbriel", "displayName": "Umbriel"},
        },
        {"character": CHARACTER_REF + "x", "voice": {"workflowId": "gone", "deleted": True}},
    ]
}
