"""The one way in: ``FlowSession.submit``/``quote``, and an endpoint's facts on its class alone.

Runs against the simulator over loopback HTTP (``sim``/``flow``/``control`` fixtures); POSTs are
counted at the simulator. Time budget: about 10 s.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pytest
from session_support import SimControl, open_session

from flow_widgets.api.ids import make_media_id
from flow_widgets.api.requests import (
    CharacterRequest,
    ConcatenateRequest,
    ExtendRequest,
    FlowRequest,
    GifRequest,
    ImageRequest,
    ImageUpscaleRequest,
    VideoRequest,
    VideoUpscaleRequest,
    VoiceRequest,
)
from flow_widgets.errors import BudgetExceededError
from flow_widgets.runtime.jobs import JobHandle
from flow_widgets.runtime.session import FlowSession
from flow_widgets.simulator.server import RunningSimulator

EMAIL = "ultra.demo@gmail.com"


@dataclass(frozen=True)
class LoopVideo(VideoRequest):
    """A request class only this test knows: a new kind of job over ``POST /videos``.

    It declares nothing but its kind; the runtime must find every other fact on the class
    (reply, safety, task, slot group, owner fields), so no module outside this test changes.
    """

    kind: ClassVar[str | None] = "test_loop_video"


def test_quote_gives_price_plan_reattach_and_budget_verdict(
    flow: FlowSession, control: SimControl
) -> None:
    request = VideoRequest("a quoted fox", model="veo-3.1-lite", email=EMAIL)
    quote = flow.quote([request])
    (line,) = quote.lines
    assert line.account == EMAIL and line.reattach is False
    assert line.credits == quote.to_spend == quote.credits > 0
    assert quote.ok
    flow.budget = line.credits - 1
    refused = flow.quote([request])
    assert not refused.ok
    with pytest.raises(BudgetExceededError):
        refused.check()
    with pytest.raises(BudgetExceededError):
        flow.submit(request)
    assert control.count("POST /videos") == 0
    flow.budget = None
    job = flow.submit(request).wait(60)
    flow.budget = 0  # a re-attach costs nothing, so even no budget left covers it
    again = flow.quote([request])
    assert again.lines[0].reattach and again.to_spend == 0 and again.ok
    assert again.credits == line.credits  # the dry run still shows what the take cost
    assert flow.submit(request) is job
    assert control.count("POST /videos") == 1


def test_every_builder_builds_one_request_and_goes_through_submit(
    flow: FlowSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[FlowRequest] = []

    def record(request: FlowRequest, *, new: bool = False) -> Any:
        sent.append(request)
        return None

    monkeypatch.setattr(flow, "submit", record)
    video = make_media_id(1, EMAIL, "video", "abc")
    image = make_media_id(1, EMAIL, "image", "def")
    flow.video("a fox")
    flow.image("a fox")
    flow.extend(video, "more fox")
    flow.upscale(video)
    flow.upscale(image)
    flow.gif(video)
    flow.concatenate([video, make_media_id(1, EMAIL, "video", "ghi")])
    flow.voice(
        email=EMAIL,
        voice="Puck",
        display_name="Narrator",
        dialog="Hello there.",
        voice_performance="calm",
    )
    flow.character("Fox", [image])
    assert [type(r) for r in sent] == [
        VideoRequest,
        ImageRequest,
        ExtendRequest,
        VideoUpscaleRequest,
        ImageUpscaleRequest,
        GifRequest,
        ConcatenateRequest,
        VoiceRequest,
        CharacterRequest,
    ]
    assert isinstance(sent[1], ImageRequest) and sent[1].count == 1  # the builder's default


def test_a_new_request_class_goes_end_to_end_without_touching_other_modules(
    sim: RunningSimulator, tmp_path: Path, control: SimControl
) -> None:
    assert FlowRequest.for_kind("test_loop_video") is LoopVideo
    first = open_session(sim, tmp_path)
    try:
        job: JobHandle = first.submit(LoopVideo("a looping fox", model="veo-3.1-lite"))
        job.wait(60)
        assert job.kind == "test_loop_video" and job.status == "completed"
        assert job.media and job.media[0].path is not None and job.media[0].path.exists()
        batch = first.batch(["loop one", "loop two"], kind="test_loop_video", model="veo-3.1-lite")
        batch.wait(60)
        assert [h.status for h in batch.jobs] == ["completed", "completed"]
        assert all(h.kind == "test_loop_video" for h in batch.jobs)
    finally:
        first.close()
    second = open_session(sim, tmp_path)  # the ledger row is rebuilt into the same class
    try:
        again = second.submit(LoopVideo("a looping fox", model="veo-3.1-lite"))
        again.wait(30)
        assert again.submission_id == job.submission_id and again.status == "completed"
    finally:
        second.close()
    assert control.count("POST /videos") == 3  # one take and two batch rows, nothing twice
