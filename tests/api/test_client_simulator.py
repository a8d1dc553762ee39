"""The clients against the real simulator: real HTTP on loopback (sync twin) or in-process ASGI
(async twin). The client's sleeps push the simulator's clock forward instead of waiting.

These check the contract between the two halves built from the same spec: shapes parse, ids
route, errors map, and the fault switches produce exactly the outcomes the retry policy expects
(a dropped reply is an unknown outcome, sent once, and the job shows up in ``GET /jobs``).
"""

from __future__ import annotations

import asyncio
import inspect
import io
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from flow_widgets import errors
from flow_widgets.api.client import AsyncFlowClient, FlowClient
from flow_widgets.simulator.app import create_app
from flow_widgets.simulator.clock import SystemClock
from flow_widgets.simulator.server import start_background

EMAIL = "ultra.demo@gmail.com"


class Harness:
    """One twin wired to a fresh simulator; ``run(use)`` returns ``use(client)``'s result."""

    def __init__(self, kind: str, faults: list[dict[str, Any]]) -> None:
        self.clock = SystemClock()  # real time (synchronous endpoints finish by themselves)
        self.sleeps: list[float] = []
        self._server = None
        options: dict[str, Any] = {"sleep": self._sleep, "max_retries": 3}
        if kind == "sync":
            self._server = start_background(seed=3, clock=self.clock, faults=faults)
            self.client: Any = FlowClient(
                self._server.token, base_url=self._server.base_url, **options
            )
        else:
            app = create_app(seed=3, clock=self.clock, faults=faults)
            options["sleep"] = self._asleep
            # In-process, the app cannot drop a connection: a crash is the 500 a proxy sends.
            self.client = AsyncFlowClient(
                "user:1-anything",
                base_url="http://sim.test/v1/google-flow",
                transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                **options,
            )

    def _sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.clock.advance(seconds)

    async def _asleep(self, seconds: float) -> None:
        self._sleep(seconds)

    def run(self, use: Callable[[Any], Any]) -> Any:
        result = use(self.client)
        return asyncio.run(_awaited(result)) if inspect.isawaitable(result) else result

    def close(self) -> None:
        self.run(lambda c: c.close())
        if self._server is not None:
            self._server.stop()


async def _awaited(awaitable: Any) -> Any:
    return await awaitable


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 90, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(params=["sync", "async"])
def sim(request: pytest.FixtureRequest) -> Iterator[Callable[..., Harness]]:
    made: list[Harness] = []

    def make(*faults: dict[str, Any]) -> Harness:
        harness = Harness(request.param, list(faults))
        made.append(harness)
        return harness

    yield make
    for harness in made:
        harness.close()


def test_a_video_is_created_waited_on_and_listed(sim: Callable[..., Harness]) -> None:
    h = sim()
    job = h.run(lambda c: c.videos.create("a red fox trots through snow", email=EMAIL))
    assert job.status == "created" and job.account_email == EMAIL
    done = h.run(lambda c: c.jobs.wait(job, timeout=3600))
    assert done.status == "completed"
    (video,) = done.media
    assert video.kind == "video" and video.url and video.account_email == EMAIL
    assert done.remaining_credits is not None and done.remaining_credits < 25000
    history = h.run(lambda c: c.jobs.stats("history"))
    assert job.jobid in history.videos.history


def test_images_uploads_characters_and_voices(sim: Callable[..., Harness]) -> None:
    h = sim()
    images = h.run(lambda c: c.images.create("a lighthouse at dusk", count=2, email=EMAIL))
    assert images.status == "completed" and len(images.media) == 2
    assert all(m.kind == "image" and (m.url or m.data) for m in images.media)
    asset = h.run(lambda c: c.assets.upload(_png(), email=EMAIL))
    assert asset.kind == "image" and asset.media_generation_id.startswith("user:")
    voice = h.run(
        lambda c: c.voices.create(EMAIL, "Achernar", "Narrator", "Hello there.", "Warm, calm")
    )
    character = h.run(
        lambda c: c.characters.create("Carol", [asset.media_generation_id], voice=voice.voice)
    )
    assert character.voice is not None and character.voice.voice == voice.voice
    listed = h.run(lambda c: c.characters.list(EMAIL))
    assert character.character in [c.character for c in listed]
    fetched = h.run(lambda c: c.characters.get(character.character))
    assert fetched.display_name == "Carol"
    assert h.run(lambda c: c.characters.delete(character.character)).deleted
    users = h.run(lambda c: c.voices.list(EMAIL, source="user"))
    assert [v.voice for v in users] == [voice.voice]
    assert h.run(lambda c: c.voices.delete(voice.voice)).deleted


def test_server_errors_map_to_the_tree(sim: Callable[..., Harness]) -> None:
    h = sim()
    with pytest.raises(errors.NotFoundError):
        h.run(lambda c: c.accounts.get("nobody@example.com"))
    with pytest.raises(errors.NotFoundError):
        h.run(lambda c: c.jobs.get("j1731859234567v-u12345-email:x@y.z-bot:google-flow"))


def test_a_throttled_submit_is_retried_after_the_servers_wait(sim: Callable[..., Harness]) -> None:
    throttled = {
        "route": "POST /videos",
        "action": "status",
        "status": 429,
        "reason": "PUBLIC_ERROR_USER_REQUESTS_THROTTLED",
        "retryAfter": "3",
        "times": 1,
    }
    h = sim(throttled)
    job = h.run(lambda c: c.videos.create("a fox", email=EMAIL))
    assert job.status == "created"
    assert h.sleeps == [3.0]


@pytest.mark.parametrize("action", ["drop", "malformed"])
def test_a_lost_reply_is_an_unknown_outcome_and_the_job_can_be_found(
    sim: Callable[..., Harness], action: str
) -> None:
    h = sim({"route": "POST /videos", "action": action, "times": 1})
    with pytest.raises(errors.UnknownOutcomeError):
        h.run(lambda c: c.videos.create("a fox in the fog", email=EMAIL))
    running = h.run(lambda c: c.jobs.stats("executing"))
    assert len(running.videos.executing) == 1  # charged once, sent once: nothing resent
