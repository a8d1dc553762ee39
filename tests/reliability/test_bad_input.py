"""Bad input never reaches the network, and what the client accepts, the server accepts (R-28).

Two halves. The validation matrix sends every impossible combination from the model
documentation through the session (``flow.video``/``flow.image``, what people type) and checks
each is refused on the caller's thread with one sentence naming the field -- and that the
simulator saw no POST at all. The agreement property generates requests with hypothesis, well
inside and well outside the rules: whatever the client accepts must survive its own payload
round trip, and a sample of them is really sent to the simulator, which must accept every one.
(The payload round trip alone is property-tested in ``tests/api``; the new claim here is the
agreement with the server over real HTTP. Rules that need account knowledge -- who owns a
referenced image -- are the server's alone, so generated references are the account's own.)
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flow_widgets.api.catalog import IMAGE_ASPECTS, IMAGE_MODELS, VIDEO_ASPECTS, VIDEO_MODELS
from flow_widgets.api.client import FlowClient, call_for
from flow_widgets.api.requests import ImageRequest, VideoRequest
from flow_widgets.api.requests._evidence import strict_rules
from flow_widgets.errors import APIStatusError, ValidationError
from flow_widgets.simulator.config import AccountSpec
from flow_widgets.simulator.server import RunningSimulator
from tests.reliability.harness import IMAGE_ROUTE, VIDEO_ROUTE, CheapMedia, SimControl

ME = "matrix@example.com"
ACCOUNTS = (AccountSpec(ME, "ultra_200", 10_000_000),)
HTTP_SAMPLE = 30


def _png(shade: int) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (32, 18), (shade, 90, 160)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def matrix_sim(make_sim: Any) -> RunningSimulator:
    sim: RunningSimulator = make_sim(
        accounts=ACCOUNTS, max_concurrent_videos=10_000, max_concurrent_images=10_000
    )
    return sim


@pytest.fixture
def client(matrix_sim: RunningSimulator) -> Iterator[FlowClient]:
    with FlowClient(token=matrix_sim.token, base_url=matrix_sim.base_url) as api:
        yield api


@pytest.fixture
def images(client: FlowClient) -> list[str]:
    """Three images uploaded to the account, so generated requests may refer to real media."""
    return [
        client.assets.upload(_png(shade), content_type="image/png", email=ME).media_generation_id
        for shade in (20, 120, 220)
    ]


def matrix(img: list[str]) -> list[tuple[str, dict[str, Any], str]]:
    """(kind, options, the field the refusal must name) -- from the model documentation."""
    many = (img[0], img[1], img[2], img[0])
    return [
        ("video", {"model": "veo-3.1-quality", "duration": 4}, "duration"),
        ("video", {"model": "veo-3.1-fast", "duration": 5}, "duration"),
        ("video", {"model": "omni-flash", "aspect_ratio": "1:1"}, "aspectRatio"),
        ("video", {"model": "veo-3.1-fast", "end_image": img[1]}, "endImage"),
        ("video", {"model": "veo-3.1-fast", "reference_images": many}, "referenceImage_4"),
        ("video", {"model": "veo-3.1-fast", "count": 0}, "count"),
        ("video", {"model": "veo-3.1-fast", "count": 5}, "count"),
        ("video", {"model": "sora-2"}, "model"),
        ("video", {"model": "veo-3.1-fast", "seed": -1}, "seed"),
        ("video", {"model": "veo-3.1-fast", "resolution": "8k"}, "resolution"),
        ("video", {"model": "veo-3.1-fast", "start_image": "../../etc/passwd"}, "startImage"),
        ("video", {"model": "veo-3.1-fast", "reply_url": "file:///etc/passwd"}, "replyUrl"),
        (
            "video",
            {"model": "veo-3.1-fast", "reply_url": "https://a.example/" + "x" * 1100},
            "replyUrl",
        ),
        ("video", {"model": "veo-3.1-fast", "prompt": "   "}, "prompt"),
        ("video", {"model": "veo-3.1-fast", "prompt": "p" * 100_000}, "prompt"),
        ("video", {"model": "veo-3.1-fast", "prompt": "a lone \ud800 surrogate"}, "prompt"),
        ("video", {"model": "veo-3.1-fast", "colour": "red"}, "colour"),
        ("image", {"model": "nano-banana-pro", "count": 5}, "count"),
        ("image", {"model": "nano-banana-pro", "aspect_ratio": "2:1"}, "aspectRatio"),
        ("image", {"model": "dall-e"}, "model"),
        ("image", {"model": "nano-banana-pro", "references": (img[0],) * 11}, "reference_11"),
    ]


def test_the_validation_matrix_never_reaches_the_network(
    matrix_sim: RunningSimulator, images: list[str], make_session: Any, figures: Any
) -> None:
    control = SimControl(matrix_sim)
    # strict: the matrix mixes vendor rules with open sets (unknown model ids), which a default
    # session sends with a warning (spec §7.1); strict must refuse every case before the network.
    flow = make_session(matrix_sim, strict=True)
    mark = control.mark()
    problems: list[str] = []
    cases = matrix(images)
    for kind, options, field in cases:
        options = dict(options)
        prompt = options.pop("prompt", f"matrix case {field}")
        submit = flow.video if kind == "video" else flow.image
        try:
            submit(prompt, **options)
        except ValidationError as error:
            text = str(error)
            if error.field != field or field not in text:
                problems.append(f"{field}: named {error.field!r}: {text}")
            elif "\n" in text or not text.rstrip().endswith(".") or len(text) > 300:
                problems.append(f"{field}: not one plain sentence: {text!r}")
        else:
            problems.append(f"{field}: accepted {options}")
    posts = control.ledger(mark).posts(VIDEO_ROUTE, IMAGE_ROUTE)
    figures.record(
        "R-28 validation matrix",
        f"{len(cases)} impossible requests from the model docs",
        posts=len(posts),
        refused=len(cases) - sum(1 for p in problems if "accepted" in p),
        badly_worded=len(problems),
    )
    control.close()
    assert problems == []
    assert posts == []


# -- the agreement property ---------------------------------------------------------------------

TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=1,
    max_size=80,
)


def video_options(img: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    pick = st.sampled_from(img)
    return st.fixed_dictionaries(
        {
            "prompt": TEXT,
            "model": st.sampled_from([*VIDEO_MODELS, "veo-2"]),
            "email": st.just(ME),
        },
        optional={
            "aspect_ratio": st.sampled_from([*VIDEO_ASPECTS, "16:9", "square"]),
            "duration": st.integers(2, 16),
            "resolution": st.sampled_from(["720p", "360p", "1080p", "4K"]),
            "count": st.integers(0, 5),
            "seed": st.integers(-2, 2**40),
            "start_image": pick,
            "end_image": pick,
            "reference_images": st.lists(pick, max_size=8).map(tuple),
        },
    )


def image_options(img: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "prompt": TEXT,
            "model": st.sampled_from([*IMAGE_MODELS, "imagen-4", "dall-e"]),
            "email": st.just(ME),
        },
        optional={
            "aspect_ratio": st.sampled_from([*IMAGE_ASPECTS, "2:1"]),
            "count": st.integers(0, 5),
            "seed": st.integers(-2, 2**40),
            "references": st.lists(st.sampled_from(img), max_size=11).map(tuple),
        },
    )


def test_every_request_the_client_accepts_the_simulator_accepts(
    client: FlowClient,
    images: list[str],
    matrix_sim: RunningSimulator,
    figures: Any,
    cheap_media: CheapMedia,
) -> None:
    tally = {"drawn": 0, "refused": 0, "sent": 0, "server_refused": 0}
    refusals: list[str] = []

    def check(kind: str, options: dict[str, Any]) -> None:
        tally["drawn"] += 1
        cls = VideoRequest if kind == "video" else ImageRequest
        try:
            # strict: what the client accepts without a warning (spec §7.1) the server accepts;
            # open-set members the client sends with a warning are the server's to refuse.
            with strict_rules(True):
                request = cls(**options)
                request.validate_for_tier("ultra_200")
        except ValidationError as error:
            tally["refused"] += 1
            assert error.field and error.field in str(error)
            return
        assert cls.from_payload(request.to_payload()) == request
        if tally["sent"] >= HTTP_SAMPLE:
            return
        tally["sent"] += 1
        try:
            client.run(call_for(request))
        except APIStatusError as error:
            tally["server_refused"] += 1
            refusals.append(f"{kind} {options}: HTTP {error.status_code} {error}")

    @settings(
        max_examples=160,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(
        st.one_of(
            video_options(images).map(lambda o: ("video", o)),
            image_options(images).map(lambda o: ("image", o)),
        )
    )
    def agree(case: tuple[str, dict[str, Any]]) -> None:
        check(*case)

    agree()
    figures.record(
        "R-28 client accepts ⇒ server accepts",
        "hypothesis: 160 requests in and out of the rules; a sample over HTTP",
        posts=tally["sent"],
        refused_by_client=tally["refused"],
        refused_by_server=tally["server_refused"],
        drawn=tally["drawn"],
    )
    assert refusals == []
    assert tally["sent"] >= HTTP_SAMPLE // 2, "the sample must really reach the server"
    assert tally["refused"] > 0, "the strategy must also draw requests that break the rules"
