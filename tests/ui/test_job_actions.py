"""One rule for the follow-ups a job allows (the card's toolbar and the Studio both ask it)."""

from __future__ import annotations

import pytest

from flow_widgets.api.ids import make_media_id
from flow_widgets.api.requests import ExtendRequest, ImageRequest, VideoRequest
from flow_widgets.runtime.jobs import JobHandle, MediaFile
from flow_widgets.ui.job_actions import actions_for

EMAIL = "jo@example.com"
VIDEO = make_media_id(1, EMAIL, "video", "clip1")
IMAGE = make_media_id(1, EMAIL, "image", "pic1")


def _handle(status: str, media_id: str | None = VIDEO) -> JobHandle:
    handle = JobHandle(kind="video", model="veo-3.1-fast", prompt="a fox")
    media = (MediaFile(index=0, kind="video", media_id=media_id),) if media_id else ()
    handle.apply(status=status, media=media)
    return handle


def test_a_running_job_can_only_be_stopped() -> None:
    assert actions_for(_handle("running"), VideoRequest(prompt="a fox")) == ("stop watching",)


@pytest.mark.parametrize("status", ["failed", "rejected", "cancelled", "lost"])
def test_a_job_that_did_not_complete_allows_nothing(status: str) -> None:
    assert actions_for(_handle(status), VideoRequest(prompt="a fox")) == ()


def test_a_completed_job_without_media_allows_nothing() -> None:
    assert actions_for(_handle("completed", media_id=None), VideoRequest(prompt="a fox")) == ()


def test_extend_follows_the_catalog_not_the_model_name() -> None:
    done = _handle("completed")
    assert actions_for(done, VideoRequest(prompt="a fox", model="veo-3.1-fast")) == (
        "extend",
        "upscale",
    )
    # Omni Flash makes videos the catalog says cannot be extended.
    assert actions_for(done, VideoRequest(prompt="a fox", model="omni-flash-1.2")) == ("upscale",)
    assert actions_for(done, ImageRequest(prompt="a fox")) == ("upscale",)
    assert actions_for(done, None) == ("upscale",)  # the request is not known: nothing to extend


def test_an_extension_can_be_extended_again() -> None:
    extension = ExtendRequest(media_generation_id=VIDEO, prompt="then it runs")
    assert actions_for(_handle("completed"), extension) == ("extend", "upscale")


def test_an_upscale_is_not_upscaled_again() -> None:
    done = _handle("completed", media_id=IMAGE)
    assert actions_for(done, ImageRequest(prompt="a fox"), upscaled=True) == ()
