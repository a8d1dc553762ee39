"""Every documented reply shape parses into the result models, and every model round-trips."""

from __future__ import annotations

import json
from typing import Any

import pytest
import test_client_shapes as shapes

from flow_widgets.api.models import (
    Account,
    Asset,
    CaptchaProviders,
    CaptchaStats,
    Character,
    ConcatenatedVideo,
    Deletion,
    Gif,
    Job,
    JobsStats,
    Media,
    UpscaledImage,
    Voice,
    parse_account_list,
    parse_character_list,
    parse_voice_list,
    sniff_mime_type,
)


def test_sync_video_reply_is_a_completed_job_with_media() -> None:
    job = Job.from_api(shapes.VIDEO_SYNC_200)
    assert job.jobid == shapes.VIDEO_JOBID
    assert (job.type, job.status, job.is_terminal) == ("video", "completed", True)
    assert job.remaining_credits == 18760
    assert job.account_email == "jo***@gmail.com"
    (media,) = job.media
    assert media.media_generation_id == shapes.VIDEO_ID
    assert media.kind == "video"
    assert media.url == "https://flow-content.google/video/3f1c?Expires=1"
    assert media.thumbnail_url == "https://flow-content.google/image/3f1c?Expires=1"
    assert (media.seed, media.prompt, media.duration_seconds) == (123456, "a red fox", 8.0)
    assert media.model_key == "veo_3_1_t2v"
    assert media.aspect_ratio == "VIDEO_ASPECT_RATIO_LANDSCAPE"
    assert media.status == "MEDIA_GENERATION_STATUS_SUCCESSFUL"
    assert media.account_email == shapes.EMAIL
    assert not media.filtered
    assert job.captcha is not None and job.captcha.attempts[0].success is True


def test_async_201_is_a_created_job_with_pending_operations() -> None:
    job = Job.from_api(shapes.VIDEO_ASYNC_201)
    assert (job.status, job.is_terminal, job.media) == ("created", False, ())
    assert [op.name for op in job.operations] == ["op-1", "op-2"]
    assert job.operations[0].status == "MEDIA_GENERATION_STATUS_PENDING"
    assert job.request["replyRef"] == "custom-reference-123"
    assert job.captcha is not None and job.captcha.duration_ms == 5357
    assert job.created == "2026-06-01T12:00:00Z"


def test_completed_job_record_reads_media_from_response() -> None:
    job = Job.from_api(shapes.JOB_COMPLETED)
    assert job.status == "completed"
    assert job.updated == "2025-11-17T12:37:23.456Z"
    assert job.remaining_credits == 14845
    assert [m.media_generation_id for m in job.media] == [shapes.VIDEO_ID]


def test_failed_job_keeps_error_details_and_code() -> None:
    job = Job.from_api(shapes.JOB_FAILED)
    assert (job.type, job.status) == ("image", "failed")
    assert job.error == "API error: 500"
    assert job.error_details == "Upstream model returned an internal error"
    assert job.code == 500


def test_failed_job_with_only_an_upstream_error_object() -> None:
    body = {
        "jobid": shapes.IMAGE_JOBID,
        "status": "failed",
        "response": {"error": {"code": 500, "message": "Internal"}},
    }
    job = Job.from_api(body)
    assert job.error == "Internal"
    assert job.type == "image"  # from the jobid's kind letter


def test_image_reply_with_signed_url_and_with_inline_bytes() -> None:
    job = Job.from_api(shapes.IMAGES_200)
    (media,) = job.media
    assert (job.type, media.kind, media.data) == ("image", "image", None)
    assert media.url == "https://flow-content.google/image/abc?Expires=1"
    assert (media.model_key, media.visibility, media.prompt) == (
        "NARWHAL",
        "PRIVATE",
        "a lighthouse",
    )
    inline = Job.from_api(
        {"jobId": shapes.IMAGE_JOBID, "media": [shapes.image_media(inline=shapes.PNG)]}
    )
    assert inline.media[0].data == shapes.PNG
    assert inline.media[0].mime_type == "image/png"
    assert inline.media[0].url is None


def test_moderated_reply_has_no_media() -> None:
    job = Job.from_api({"jobId": shapes.IMAGE_JOBID, "media": []})
    assert job.status == "completed" and job.media == ()


def test_upscale_reply_prefers_media_and_keeps_legacy_urls() -> None:
    job = Job.from_api(shapes.VIDEO_UPSCALE_200)
    (media,) = job.media
    assert media.media_generation_id == shapes.UPSCALED_ID
    assert media.url == "https://flow-content.google/video/3f1c_upsampled"
    assert media.duration_seconds is None  # "0s" means unknown
    assert job.operations == ()  # the operation carried a media id: it is a result, not pending


def test_legacy_operations_only_reply_still_yields_media() -> None:
    body = dict(shapes.VIDEO_UPSCALE_200)
    del body["media"]
    (media,) = Job.from_api(body).media
    assert media.url == "https://flow-content.google/video/3f1c_upsampled"
    assert media.thumbnail_url == "https://flow-content.google/image/3f1c_upsampled"
    assert media.model_key == "veo_3_1_upsampler_1080p"
    nov_2025 = {"jobId": shapes.VIDEO_JOBID, "operations": [{"mediaGenerationId": shapes.VIDEO_ID}]}
    assert Job.from_api(nov_2025).media[0].kind == "video"


def test_filtered_media_reports_reasons_and_error() -> None:
    entry = json.loads(json.dumps(shapes.VIDEO_MEDIA))
    entry["mediaMetadata"]["visibility"] = "FILTERED"
    entry["mediaMetadata"]["mediaStatus"] = {
        "mediaGenerationStatus": "MEDIA_GENERATION_STATUS_FAILED",
        "error": {"code": 400, "message": "unsafe"},
    }
    entry["failureReasons"] = ["FINISH_REASON_INPUT_VIDEO_EDIT"]
    media = Media.from_api(entry)
    assert media.filtered
    assert media.failure_reasons == ("FINISH_REASON_INPUT_VIDEO_EDIT",)
    assert media.error == "unsafe"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"media": []}, "jobid"),
        ({"jobId": shapes.VIDEO_JOBID, "media": [{"video": {}}]}, "mediaGenerationId"),
        (
            {
                "jobId": shapes.IMAGE_JOBID,
                "media": [
                    shapes.image_media()
                    | {
                        "image": {
                            "generatedImage": {
                                "mediaGenerationId": shapes.IMAGE_ID,
                                "encodedImage": "@@not base64@@",
                            }
                        }
                    }
                ],
            },
            "base64",
        ),
    ],
)
def test_unreadable_job_bodies_raise_value_error(body: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Job.from_api(body)


def test_assets_read_the_nested_media_generation_id() -> None:
    image = Asset.from_api(shapes.IMAGE_UPLOAD_200)
    assert image.media_generation_id == shapes.IMAGE_ID
    assert (image.kind, image.width, image.height) == ("image", 1024, 1024)
    assert image.file_name == "upload.webp"
    video = Asset.from_api(shapes.VIDEO_UPLOAD_200)
    assert (video.kind, video.duration_seconds, video.width) == ("video", 11.94, 1280)
    old = Asset.from_api({"mediaGenerationId": {"mediaGenerationId": shapes.IMAGE_ID}, "width": 0})
    assert old.width == 0
    with pytest.raises(ValueError, match="mediaGenerationId"):
        Asset.from_api({"width": 1})


def test_sync_payload_results_decode_their_bytes() -> None:
    upscaled = UpscaledImage.from_api(
        {"encodedImage": shapes.b64(shapes.JPEG), "captcha": shapes.CAPTCHA}
    )
    assert (upscaled.data, upscaled.mime_type) == (shapes.JPEG, "image/jpeg")
    assert Gif.from_api({"encodedGif": shapes.b64(shapes.GIF)}).data == shapes.GIF
    joined = ConcatenatedVideo.from_api(
        {
            "jobId": shapes.VIDEO_JOBID,
            "status": "MEDIA_GENERATION_STATUS_SUCCESSFUL",
            "inputsCount": 3,
            "encodedVideo": shapes.b64(shapes.MP4),
        }
    )
    assert (joined.data, joined.inputs_count, joined.jobid) == (shapes.MP4, 3, shapes.VIDEO_JOBID)
    for cls in (UpscaledImage, Gif, ConcatenatedVideo):
        with pytest.raises(ValueError):
            cls.from_api({})


def test_account_keeps_whitelisted_fields_only() -> None:
    account = Account.from_api(shapes.ACCOUNT_FULL)
    assert account.email == shapes.EMAIL
    assert (account.health, account.healthy, account.credits) == ("OK", True, 18760)
    assert (account.paygate_tier, account.tier) == ("PAYGATE_TIER_TWO", "ultra_100")
    assert account.project_title == "Nov 11 - 02:56"
    assert account.next_refresh == "2026-06-02T06:00:00Z"
    (model,) = account.models
    assert (model.key, model.credit_cost, model.generation_seconds) == ("veo_3_1_t2v", 100, 240.0)
    dumped = json.dumps(account.to_dict()) + repr(account)
    for secret in shapes.ACCOUNT_SECRETS:
        assert secret not in dumped


def test_account_list_and_unhealthy_accounts() -> None:
    accounts = parse_account_list(shapes.ACCOUNTS_LIST)
    assert [a.email for a in accounts] == [shapes.EMAIL, "other@gmail.com"]
    assert accounts[0].healthy and accounts[0].session_expires == "2026-06-02T12:00:00Z"
    assert not accounts[1].healthy and accounts[1].error == "cookies rejected"
    assert parse_account_list({}) == ()


def test_captcha_providers_are_masked_even_if_sent_whole() -> None:
    providers = CaptchaProviders.from_api(
        {"CapSolver": "abc12…", "AntiCaptcha": "FULL-KEY-0123456789"}
    )
    assert providers.keys == {"CapSolver": "abc12…", "AntiCaptcha": "FULL-…"}
    assert providers.configured == ("CapSolver", "AntiCaptcha")
    free = CaptchaProviders.from_api({"freeCaptchaCredits": 100})
    assert (free.keys, free.free_captcha_credits) == ({}, 100)


def test_captcha_stats_and_anonymised_replies() -> None:
    stats = CaptchaStats.from_api(shapes.CAPTCHA_STATS)
    assert (stats.date, stats.total) == ("2026-02-03", 42)
    assert stats.success_rate_by_provider == {"CapSolver": 73.2, "AntiCaptcha": 80.5}
    (row,) = stats.rows
    assert (row.provider, row.status_code, row.captcha_duration_ms) == ("AntiCaptcha", 200, 8500)
    bare = CaptchaStats.from_api({"total": 0, "data": []})
    assert bare.summary == {} and bare.success_rate_by_provider == {}


def test_jobs_stats_sections() -> None:
    stats = JobsStats.from_api(shapes.JOBS_STATS)
    assert stats.emails == ("jo***@gmail.com", "an***@gmail.com")
    load = stats.videos.summary["jo***@gmail.com"]
    assert (load.executing, load.completed, load.score) == (1, 5, 6.0)
    assert stats.videos.executing[shapes.VIDEO_JOBID].elapsed == "01:23"
    assert stats.images.history[shapes.IMAGE_JOBID].http_status == 200
    assert stats.combined.summary == {}


def test_voices_and_characters() -> None:
    created = Voice.from_api(shapes.VOICE_CREATED)
    assert (created.voice, created.is_system, created.base_voice) == (
        shapes.VOICE_REF,
        False,
        "Achernar",
    )
    voices = parse_voice_list(shapes.VOICES_LIST)
    assert [v.voice for v in voices] == ["Achernar", shapes.VOICE_REF]
    assert voices[0].is_system and voices[0].sample_url is not None

    character = Character.from_api(shapes.CHARACTER_CREATED)
    assert character.voice is not None and character.voice.source == "user"
    assert [i.media_id for i in character.images] == ["i-1", "i-2"]
    live, system, orphan = parse_character_list(shapes.CHARACTERS_LIST)
    assert live.voice is not None and live.voice.base_voice == "Achernar"
    assert system.voice is not None and (system.voice.voice, system.voice.source) == (
        "Umbriel",
        "system",
    )
    assert orphan.voice is not None and orphan.voice.deleted


def test_deletions() -> None:
    voice = Deletion.from_api(
        {"deleted": True, "workflowId": "w", "voice": shapes.VOICE_REF}, ref="x"
    )
    assert (voice.ref, voice.identifier, voice.deleted) == (shapes.VOICE_REF, "w", True)
    account = Deletion.from_api({"message": "Google Flow account a@b.c deleted"}, ref="a@b.c")
    assert (account.ref, account.message) == ("a@b.c", "Google Flow account a@b.c deleted")


ROUND_TRIP = [
    (Job, shapes.VIDEO_SYNC_200),
    (Job, shapes.VIDEO_ASYNC_201),
    (Job, shapes.JOB_FAILED),
    (Job, {"jobId": shapes.IMAGE_JOBID, "media": [shapes.image_media(inline=shapes.PNG)]}),
    (Asset, shapes.VIDEO_UPLOAD_200),
    (Account, shapes.ACCOUNT_FULL),
    (CaptchaStats, shapes.CAPTCHA_STATS),
    (JobsStats, shapes.JOBS_STATS),
    (Character, shapes.CHARACTERS_LIST["characters"][0]),
    (Voice, shapes.VOICE_CREATED),
    (UpscaledImage, {"encodedImage": shapes.b64(shapes.JPEG), "captcha": shapes.CAPTCHA}),
]


@pytest.mark.parametrize(("cls", "body"), ROUND_TRIP, ids=lambda v: getattr(v, "__name__", ""))
def test_to_dict_is_json_and_from_dict_restores_the_same_value(
    cls: Any, body: dict[str, Any]
) -> None:
    value = cls.from_api(body)
    restored = cls.from_dict(json.loads(json.dumps(value.to_dict())))
    assert restored == value
    assert type(restored) is cls


def test_models_are_frozen_and_hashable() -> None:
    job = Job.from_api(shapes.VIDEO_SYNC_200)
    with pytest.raises(AttributeError):
        job.status = "failed"  # type: ignore[misc]
    assert hash(job) == hash(Job.from_dict(job.to_dict()))


def test_repr_does_not_dump_inline_bytes() -> None:
    big = b"\x89PNG\r\n\x1a\n" + b"A" * 100_000
    job = Job.from_api({"jobId": shapes.IMAGE_JOBID, "media": [shapes.image_media(inline=big)]})
    assert len(repr(job)) < 2000


@pytest.mark.parametrize(
    ("data", "mime"),
    [
        (shapes.PNG, "image/png"),
        (shapes.JPEG, "image/jpeg"),
        (shapes.GIF, "image/gif"),
        (shapes.MP4, "video/mp4"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"plain", None),
    ],
)
def test_sniff_mime_type(data: bytes, mime: str | None) -> None:
    assert sniff_mime_type(data) == mime
