"""The engine loop stays responsive while a finished clip is converted for the media mode.

A real session downloads a real clip from the simulator in ``embed`` mode; a listener on the
job draws the card's view exactly as a card does (on the engine thread, at every change), and a
ticker task on the engine loop records its longest gap between two 5 ms sleeps. Converting the
clip inline while the card is drawn stalls the loop for the whole encode; converted on the
worker pool it does not. The bound is behavioural (half the encode time of the same clip,
measured here), not a fixed number of milliseconds.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from flow_widgets.runtime import media_mode
from flow_widgets.runtime.engine import Engine
from flow_widgets.runtime.previews import preview_data_url, video_preview
from flow_widgets.runtime.session import FlowSession
from flow_widgets.runtime.settings import Settings
from flow_widgets.simulator import start_background
from flow_widgets.ui import media_modes
from flow_widgets.ui.view import CardView, MediaView, card_view_from_job
from tests.media.support import make_clip


@pytest.fixture
def embed_mode() -> Iterator[None]:
    media_mode.set_media_mode("embed")
    media_modes.forget_embedded()
    yield
    media_mode.reset_media_mode()
    media_modes.forget_embedded()


async def _ticker(stop: threading.Event, gaps: list[float]) -> None:
    last = time.perf_counter()
    while not stop.is_set():
        await asyncio.sleep(0.005)
        now = time.perf_counter()
        gaps.append(now - last)
        last = now


@pytest.mark.timeout(180)
def test_engine_loop_answers_while_a_finished_clip_is_embedded(
    tmp_path: Path, embed_mode: None
) -> None:
    views: list[CardView] = []
    gaps: list[float] = []
    stop = threading.Event()
    with start_background(time_scale=0.01, seed=5) as sim:
        settings = Settings(
            token=sim.token,
            base_url=sim.base_url,
            media_dir=tmp_path / "media",
            data_dir=tmp_path / "data",
        )
        session = FlowSession(settings, simulator=sim)
        try:
            ticking = Engine.get().submit(_ticker(stop, gaps))
            job = session.video("a fox in snow at dusk", model="veo-3.1-lite")
            job.on_change(lambda handle: views.append(card_view_from_job(handle)))
            job.wait(120)
            stop.set()
            ticking.result(10)
        finally:
            stop.set()
            session.close()

    finished = [v for v in views if v.phase == "completed"]
    assert finished, [v.phase for v in views]
    first = finished[0].media[0]  # the finished result, preview and poster in one update
    assert first.src.startswith("data:video/mp4;base64,") and first.link
    assert first.poster and first.poster.startswith("data:image/jpeg;base64,")

    clip = next((tmp_path / "media").glob("*.mp4"))
    started = time.perf_counter()
    video_preview(clip)  # the same encode, uncached, off the loop: what an inline one would cost
    encode_s = time.perf_counter() - started
    longest = max(gaps)
    assert longest < encode_s / 2, (
        f"the engine loop stalled {longest:.3f} s while a {encode_s:.3f} s encode ran"
    )


@pytest.mark.timeout(120)
def test_card_drawn_on_the_engine_thread_never_encodes(tmp_path: Path, embed_mode: None) -> None:
    """Nothing made yet (the mode changed after the job finished): the card shows the plain
    file at once, the preview is made on the pool, and the next drawing embeds it."""
    clip = make_clip(tmp_path / "late.mp4", width=854, height=480, seconds=4)
    view = MediaView(kind="video", src="flow_media/late.mp4")

    async def draw() -> MediaView:
        return media_modes.present(view, clip)

    engine = Engine.get()
    now = engine.run(draw(), timeout=30)
    assert now.src == "flow_media/late.mp4" and now.poster is None
    deadline = time.monotonic() + 60
    while preview_data_url(clip, "video", make=False) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    later = engine.run(draw(), timeout=30)
    assert later.src.startswith("data:video/mp4;base64,") and later.link == view.src
    assert later.poster and later.poster.startswith("data:image/jpeg;base64,")
