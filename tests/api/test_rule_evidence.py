"""Spec §7.1 through the client and the in-process simulator: vendor rules refuse before
sending, reported rules warn in one line and send, ``strict=True`` refuses them, and open sets
(model ids, voice presets, captcha providers, aspect ratios, id kinds) pass through.

Requests are counted at the transport, so "refused before sending" means zero requests reached
the simulator, not merely that an error came back.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import anyio
import httpx
import pytest

from flow_widgets.api.client import AsyncFlowClient
from flow_widgets.api.ids import encode_email
from flow_widgets.api.requests import (
    CaptchaStatsQuery,
    ConcatClip,
    ConcatenateRequest,
    ExtendRequest,
    ImageRequest,
    VideoRequest,
)
from flow_widgets.api.requests._evidence import RULES, RuleWarning, strict_rules
from flow_widgets.errors import BadRequestError, ValidationError
from flow_widgets.simulator.app import create_app

EMAIL = "ultra.demo@gmail.com"
HEX = encode_email(EMAIL)


class Counting(httpx.AsyncBaseTransport):
    """The simulator's ASGI app, counting the POSTs that reach it."""

    def __init__(self) -> None:
        self.inner = httpx.ASGITransport(app=create_app(seed=5))
        self.posts: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            self.posts.append(request.url.path)
        return await self.inner.handle_async_request(request)


def _run(use: Callable[[AsyncFlowClient], Any], *, strict: bool = False) -> tuple[Any, Counting]:
    transport = Counting()

    async def main() -> Any:
        async with AsyncFlowClient(
            "user:1-x",
            base_url="http://sim.test/v1/google-flow",
            transport=transport,
            strict=strict,
        ) as client:
            return await use(client)

    return anyio.run(main), transport


def test_every_rule_names_its_evidence_and_a_dated_source() -> None:
    for rule in RULES.values():
        assert rule.evidence in ("vendor", "reported")
        assert rule.source.strip()
    assert {r.evidence for r in RULES.values()} == {"vendor", "reported"}


def test_a_vendor_rule_refuses_before_anything_is_sent() -> None:
    # [D:videos]: omni-flash takes landscape or portrait only.
    with pytest.raises(ValidationError) as refusal:
        _run(lambda c: c.videos.create("a fox", model="omni-flash", aspect_ratio="1:1"))
    assert refusal.value.field == "aspectRatio"


def test_a_vendor_rule_sends_nothing() -> None:
    transport = Counting()

    async def main() -> None:
        async with AsyncFlowClient(
            "user:1-x", base_url="http://sim.test/v1/google-flow", transport=transport
        ) as client:
            with pytest.raises(ValidationError):
                await client.videos.create("a fox", model="omni-flash", aspect_ratio="1:1")

    anyio.run(main)
    assert transport.posts == []


def test_a_reported_rule_warns_in_one_line_and_sends() -> None:
    # The Veo "a voice needs a face" rule has no source: it warns, and the request goes out.
    with pytest.warns(RuleWarning) as caught:
        job, transport = _run(
            lambda c: c.videos.create("a narrator speaks", voices=("Charon",), email=EMAIL)
        )
    assert job.jobid
    assert transport.posts == ["/v1/google-flow/videos"]
    lines = [str(w.message) for w in caught]
    assert len(lines) == 1 and "\n" not in lines[0]
    assert "voice-needs-face-veo" in lines[0] and "sent anyway" in lines[0]


def test_strict_refuses_a_reported_rule_before_sending() -> None:
    transport = Counting()

    async def main() -> None:
        async with AsyncFlowClient(
            "user:1-x", base_url="http://sim.test/v1/google-flow", transport=transport, strict=True
        ) as client:
            await client.videos.create("a narrator speaks", voices=("Charon",), email=EMAIL)

    with pytest.raises(ValidationError) as refusal:
        anyio.run(main)
    assert "voice-needs-face-veo" in str(refusal.value) and "strict" in str(refusal.value)
    assert transport.posts == []


def test_the_default_is_not_strict_and_the_context_overrides_nothing_outside_it() -> None:
    long_prompt = "a fox " * 2000  # 12,000 characters: our own limit, not the API's
    request = VideoRequest(long_prompt)
    assert [w.rule.name for w in request.rule_warnings] == ["prompt-length"]
    assert request.to_payload()["prompt"] == long_prompt
    with strict_rules(), pytest.raises(ValidationError):
        VideoRequest(long_prompt)
    assert VideoRequest(long_prompt).rule_warnings  # back to warning after the block


def test_c5_omni_narration_with_a_system_voice_and_no_face_is_accepted_silently() -> None:
    # omni-flash/prompts.json (vendor): model omni-flash, 10 s, referenceAudio_1 Charon, no face.
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuleWarning)
        job, transport = _run(
            lambda c: c.videos.create(
                "a calm narrator describes the sea",
                model="omni-flash",
                duration=10,
                voices=("Charon",),
                email=EMAIL,
            )
        )
    assert job.jobid and len(transport.posts) == 1


OPEN_SETS: list[tuple[str, dict[str, Any], str]] = [
    ("known-video-model", {"model": "omni-flash-1.3"}, "model"),
    ("known-aspect-ratio", {"aspect_ratio": "21:9"}, "aspectRatio"),
    ("known-voice-preset", {"model": "omni-flash", "voices": ("Zubenelgenubi2",)}, "voice"),
    ("known-captcha-provider", {"captcha_order": ("NewSolver",)}, "captcha"),
    (
        "known-id-kind",
        {"model": "omni-flash", "reference_images": (f"user:1-email:{HEX}-sticker:abc",)},
        "id",
    ),
]


@pytest.mark.parametrize(("rule", "options", "_what"), OPEN_SETS, ids=[r for r, _, _ in OPEN_SETS])
def test_unknown_members_of_open_sets_are_sent_with_a_warning(
    rule: str, options: dict[str, Any], _what: str
) -> None:
    from flow_widgets.api.requests import Captcha

    kwargs = dict(options)
    if "captcha_order" in kwargs:
        kwargs["captcha"] = Captcha(order=kwargs.pop("captcha_order"))
    # The simulator plays the server, which knows its own sets: a free 400.
    with pytest.warns(RuleWarning, match=rule), pytest.raises(BadRequestError) as answer:
        _run(lambda c: c.videos.create("a fox", email=EMAIL, **kwargs))
    assert "not" in str(answer.value)
    # ...and it was sent: the refusal came from the server, not from the client.
    with pytest.warns(RuleWarning):
        transport = Counting()

        async def main() -> None:
            async with AsyncFlowClient(
                "user:1-x", base_url="http://sim.test/v1/google-flow", transport=transport
            ) as client:
                with pytest.raises(BadRequestError):
                    await client.videos.create("a fox", email=EMAIL, **kwargs)

        anyio.run(main)
    assert transport.posts == ["/v1/google-flow/videos"]
    with strict_rules(), pytest.raises(ValidationError):
        if "captcha" in kwargs:
            Captcha(order=options["captcha_order"])
        else:
            VideoRequest("a fox", email=EMAIL, **kwargs)


def test_strict_refuses_a_warning_raised_before_the_request_was_built() -> None:
    from flow_widgets.api.requests import Captcha

    captcha = Captcha(order=("NewSolver",))  # built outside any strict context: a warning
    assert [w.rule.name for w in captcha.rule_warnings] == ["known-captcha-provider"]
    with pytest.raises(ValidationError, match="strict"):
        _run(lambda c: c.videos.create("a fox", email=EMAIL, captcha=captcha), strict=True)


@pytest.mark.parametrize(
    ("build", "rule"),
    [
        (
            lambda: ImageRequest("a cat", model="dall-e-3", count=1),
            "known-image-model",
        ),
        (
            lambda: ImageRequest("a cat", aspect_ratio="21:9", count=1),
            "known-aspect-ratio",
        ),
        (
            lambda: ExtendRequest(f"user:1-email:{HEX}-video:v", "more", model="veo-4"),
            "known-video-model",
        ),
        (lambda: ImageRequest("a cat", aspect_ratio="auto", count=1), "image-auto-needs-reference"),
        (
            lambda: VideoRequest(
                "restyle", model="omni-flash-1.2", reference_video=f"user:1-email:{HEX}-video:v"
            ),
            "omni-1.2-edit",
        ),
        (lambda: VideoRequest("x", reply_url="ftp://example.com/hook"), "reply-url-format"),
        (
            lambda: ConcatenateRequest(
                (ConcatClip(VIDEO_ID, 4, 4, clip_seconds=8), ConcatClip(VIDEO_ID))
            ),
            "trim-leaves-nothing",
        ),
        (lambda: CaptchaStatsQuery(provider="capsolver"), "known-captcha-provider"),
    ],
    ids=[
        "image-model",
        "image-aspect",
        "extend-model",
        "image-auto",
        "omni-1.2-edit",
        "reply-url",
        "trims",
        "stats-provider",
    ],
)
def test_other_endpoints_pass_open_sets_through(build: Callable[[], Any], rule: str) -> None:
    request = build()
    assert [w.rule.name for w in request.rule_warnings] == [rule]
    with strict_rules(), pytest.raises(ValidationError):
        build()


def test_a_plan_guess_is_a_note_not_a_refusal() -> None:
    # C17: both Ultra plans report PAYGATE_TIER_TWO, so the client cannot always tell them apart.
    from flow_widgets.api.requests._evidence import collecting

    with collecting() as found:
        VideoRequest("a fox", model="veo-3.1-lite-low-priority").validate_for_tier("ultra_100")
    assert [w.rule.name for w in found] == ["model-plan-ultra-200"]


def test_the_sync_client_is_strict_too() -> None:
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(201, json={"jobid": "j1", "status": "created"})

    from flow_widgets.api.client import FlowClient

    with (
        FlowClient(
            "user:1-x",
            base_url="http://api.test",
            transport=httpx.MockTransport(answer),
            strict=True,
        ) as client,
        pytest.raises(ValidationError, match="strict"),
    ):
        client.videos.create("a fox", model="omni-flash-1.3")
    assert sent == []  # nothing reached the wire


VIDEO_ID = f"user:1-email:{HEX}-video:v"
IMAGE_ID = f"user:1-email:{HEX}-image:i"


@pytest.mark.parametrize(
    ("build", "rule"),
    [
        (lambda: VideoRequest("x", model="omni-flash", aspect_ratio="1:1"), "model-aspect-ratio"),
        (lambda: VideoRequest("x", duration=10), "model-durations"),
        (lambda: VideoRequest("x", end_image=IMAGE_ID), "end-image-needs-start"),
        (
            lambda: VideoRequest("x", model="omni-flash", reference_video=VIDEO_ID, duration=8),
            "v2v-no-duration",
        ),
        (lambda: VideoRequest("x", duration=4).validate_for_tier("pro"), "veo-short-needs-ultra"),
        (lambda: VideoRequest("x", resolution="360p"), "veo-no-360p"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_a_vendor_refusal_names_its_rule_and_source(build: Callable[[], Any], rule: str) -> None:
    with pytest.raises(ValidationError) as refusal:
        build()
    assert refusal.value.rule == rule
    assert RULES[rule].evidence == "vendor" and RULES[rule].source.startswith(("[", "C"))


def test_every_named_rule_is_used_and_every_use_is_registered() -> None:
    import re
    from pathlib import Path

    import flow_widgets

    root = Path(flow_widgets.__file__).parent
    used = {
        name
        for path in root.rglob("*.py")
        for name in re.findall(
            r'(?:breach|refuse)\(\s*"([a-z0-9.\-]+)"', path.read_text(encoding="utf-8")
        )
    }
    assert used == set(RULES)
