"""Job handles: consistent reads from any thread, observers, one outcome rule for both waits."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest

from flow_widgets.errors import JobFailedError, JobTimeoutError
from flow_widgets.runtime.engine import Engine, EngineThreadError
from flow_widgets.runtime.jobs import JobHandle, JobState, MediaFile


class FakeController:
    """Records what the handle asks for; refresh marks the job completed."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.stopped: list[JobHandle] = []
        self.refreshed: list[JobHandle] = []

    async def refresh_job(self, handle: JobHandle) -> None:
        self.refreshed.append(handle)
        handle.apply(status="completed")

    async def cancel_job(self, handle: JobHandle) -> None:
        self.stopped.append(handle)
        handle.apply(status="cancelled")

    def run_sync(self, coro: Coroutine[Any, Any, None], timeout: float | None) -> None:
        self.engine.run(coro, timeout)


@pytest.fixture
def engine() -> Iterator[Engine]:
    eng = Engine()
    yield eng
    eng.shutdown()


def make_handle(engine: Engine | None = None, **state: Any) -> JobHandle:
    return JobHandle(
        kind="video",
        model="veo-3.1-fast",
        prompt="a red fox in snow",
        expected_seconds=10.0,
        controller=FakeController(engine) if engine else None,
        state=JobState(**state),
    )


def later(engine: Engine, handle: JobHandle, delay: float, **changes: Any) -> None:
    """Apply ``changes`` on the engine thread after ``delay`` seconds, like the poller does."""

    async def apply() -> None:
        await asyncio.sleep(delay)
        handle.apply(**changes)

    engine.submit(apply())


def wait_in_mode(mode: str, handle: JobHandle, **kwargs: Any) -> JobHandle:
    """The same wait, through the sync form or through ``await`` on a user event loop."""
    if mode == "sync":
        return handle.wait(**kwargs)
    if kwargs:
        return asyncio.run(handle.wait_async(**kwargs))

    async def awaited() -> JobHandle:
        return await handle

    return asyncio.run(awaited())


MODES = ["sync", "async"]


@pytest.mark.parametrize("mode", MODES)
def test_wait_returns_the_handle_once_completed(mode: str, engine: Engine) -> None:
    handle = make_handle(engine, status="running", started=time.time())
    media = (MediaFile(0, "video", media_id="m0", path=Path("flow_media/fox.mp4")),)
    later(engine, handle, 0.05, status="completed", media=media, credits=10, charged=True)
    assert wait_in_mode(mode, handle) is handle
    assert handle.ok and handle.done
    assert handle.media[0].path == Path("flow_media/fox.mp4")
    assert handle.credits == 10 and handle.charged is True
    assert handle.progress == 1.0


@pytest.mark.parametrize("mode", MODES)
def test_a_failed_job_raises_with_the_plain_reason(mode: str, engine: Engine) -> None:
    handle = make_handle(engine, status="running")
    later(engine, handle, 0.02, status="failed", error="Google refused the prompt.", charged=False)
    with pytest.raises(JobFailedError, match="failed: Google refused the prompt") as info:
        wait_in_mode(mode, handle)
    assert info.value.job is handle
    assert wait_in_mode(mode, handle, raise_on_failure=False) is handle


@pytest.mark.parametrize("mode", MODES)
def test_waiting_past_the_timeout_raises_and_the_job_keeps_going(mode: str, engine: Engine) -> None:
    handle = make_handle(engine, status="running")
    with pytest.raises(JobTimeoutError, match="still running") as info:
        wait_in_mode(mode, handle, timeout=0.05)
    assert info.value.waited >= 0.04
    assert not handle.done
    assert wait_in_mode(mode, handle, timeout=0.01, raise_on_failure=False) is handle
    later(engine, handle, 0.01, status="completed")
    assert wait_in_mode(mode, handle, timeout=5).ok


@pytest.mark.parametrize("mode", MODES)
def test_a_job_past_its_polling_deadline_raises_timeout(mode: str, engine: Engine) -> None:
    handle = make_handle(engine, status="running")
    later(engine, handle, 0.01, status="timed_out")
    with pytest.raises(JobTimeoutError, match=r"flow\.resume\(\)"):
        wait_in_mode(mode, handle)


def test_sync_wait_on_the_engine_thread_raises_but_await_works(engine: Engine) -> None:
    handle = make_handle(engine, status="running")

    async def sync_wait_inside() -> str:
        try:
            handle.wait(timeout=1)
        except EngineThreadError as exc:
            return str(exc)
        return "no error"

    assert "await" in engine.run(sync_wait_inside(), timeout=5)

    async def await_inside() -> str:
        later(engine, handle, 0.01, status="completed")
        done = await handle
        return done.status

    assert engine.run(await_inside(), timeout=5) == "completed"


def test_observers_run_on_the_engine_thread_and_can_unsubscribe(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    handle = make_handle(engine, status="accepted")
    seen: list[tuple[str, str]] = []
    got_two = threading.Event()

    def broken(_: JobHandle) -> None:
        raise RuntimeError("observer bug")

    def record(h: JobHandle) -> None:
        seen.append((h.status, threading.current_thread().name))
        if len(seen) == 2:
            got_two.set()

    handle.on_change(broken)
    unsubscribe = handle.on_change(record)
    later(engine, handle, 0, status="running")
    later(engine, handle, 0.02, status="downloading")
    assert got_two.wait(2)
    unsubscribe()
    later(engine, handle, 0, status="completed")
    handle.wait(timeout=2)
    assert seen == [("running", "flow-engine"), ("downloading", "flow-engine")]
    assert any("observer" in r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR)


def test_a_finished_job_keeps_its_status_unless_reopened() -> None:
    handle = make_handle(status="running")
    handle.apply(status="cancelled")
    handle.apply(status="running", note="late poll answer")
    assert handle.status == "cancelled"
    assert handle.state.note == "late poll answer"
    handle.apply(status="running", reopen=True)
    assert handle.status == "running" and not handle.done
    assert handle.state.finished is None


def test_progress_grows_with_elapsed_time_and_stays_below_one_while_running() -> None:
    now = time.time()
    assert make_handle(status="submitting").progress == 0.0
    halfway = make_handle(status="running", started=now - 5)
    assert 0.45 <= halfway.progress <= 0.6
    overdue = make_handle(status="running", started=now - 100)
    assert overdue.progress == 0.95
    assert make_handle(status="completed").progress == 1.0


def test_credits_show_the_estimate_until_the_charge_is_known() -> None:
    handle = make_handle(status="running", estimated_credits=20)
    assert handle.credits == 20 and handle.charged is None
    handle.apply(credits=10, charged=True)
    assert handle.credits == 10


def test_reads_from_other_threads_always_see_a_consistent_state() -> None:
    handle = make_handle(status="running")
    media = (MediaFile(0, "video", path=Path("a.mp4")),)
    stop = threading.Event()
    broken: list[JobState] = []

    def reader() -> None:
        while not stop.is_set():
            state = handle.state
            if (state.status == "completed") != (len(state.media) == 1):
                broken.append(state)

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    for _ in range(2000):
        handle.apply(status="completed", media=media)
        handle.apply(status="running", media=(), reopen=True)
    stop.set()
    for t in threads:
        t.join()
    assert broken == []


def test_cancel_stops_watching_and_refresh_rereads(engine: Engine) -> None:
    handle = make_handle(engine, status="running")
    controller = handle._controller
    assert isinstance(controller, FakeController)
    handle.cancel()
    assert handle.status == "cancelled"
    assert controller.stopped == [handle]
    other = make_handle(engine, status="running")
    other.refresh()
    assert other.status == "completed"
    with pytest.raises(RuntimeError, match="detached"):
        make_handle(status="running").refresh()


def test_repr_and_dict_never_show_signed_url_parameters() -> None:
    url = "https://media.example/v/abc.mp4?Expires=1&Signature=SECRETSIG"
    handle = make_handle(status="completed", media=(MediaFile(0, "video", url=url),))
    assert "SECRETSIG" not in repr(handle)
    assert "SECRETSIG" not in repr(handle.media[0])
    assert "SECRETSIG" not in str(handle.to_dict())
    assert handle.to_dict()["media"][0]["url"] == "https://media.example/v/abc.mp4?…"
