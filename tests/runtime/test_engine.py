"""The engine thread: results cross threads, work goes on while the caller is busy, no deadlocks."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterator

import pytest

from flow_widgets.runtime.engine import (
    Engine,
    EngineClosedError,
    EngineThreadError,
    in_engine_thread,
)


@pytest.fixture
def engine() -> Iterator[Engine]:
    eng = Engine()
    yield eng
    eng.shutdown()


async def _add(a: int, b: int) -> int:
    await asyncio.sleep(0)
    return a + b


async def _boom() -> None:
    await asyncio.sleep(0)
    raise ValueError("boom")


def test_run_returns_the_result_computed_on_the_engine_thread(engine: Engine) -> None:
    async def where() -> str:
        return threading.current_thread().name

    assert engine.run(_add(2, 3)) == 5
    assert engine.run(where()) == "flow-engine"
    assert engine.thread.daemon
    assert not in_engine_thread()


def test_run_reraises_the_coroutines_exception(engine: Engine) -> None:
    with pytest.raises(ValueError, match="boom"):
        engine.run(_boom())


def test_work_continues_while_the_calling_thread_sleeps_and_computes(engine: Engine) -> None:
    ticks: list[float] = []

    async def ticker() -> None:
        while True:
            ticks.append(time.monotonic())
            await asyncio.sleep(0.01)

    future = engine.submit(ticker())
    time.sleep(0.2)  # a cell doing time.sleep
    after_sleep = len(ticks)
    deadline = time.monotonic() + 0.2
    total = 0
    while time.monotonic() < deadline:  # a cell doing pure-Python number crunching
        total += sum(range(1000))
    future.cancel()
    assert after_sleep >= 5
    assert len(ticks) > after_sleep
    assert total > 0


def test_a_blocking_call_from_the_engine_thread_raises_instead_of_deadlocking(
    engine: Engine,
) -> None:
    async def nested() -> str:
        try:
            engine.run(_add(1, 1))
        except EngineThreadError as exc:
            return str(exc)
        return "no error"

    message = engine.run(nested(), timeout=5)
    assert "await" in message
    assert "deadlock" in message


def test_run_with_a_timeout_cancels_the_work(engine: Engine) -> None:
    cancelled = threading.Event()

    async def slow() -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    with pytest.raises(TimeoutError, match=r"0\.05"):
        engine.run(slow(), timeout=0.05)
    assert cancelled.wait(2)


def test_call_soon_runs_on_the_engine_thread(engine: Engine) -> None:
    seen: list[str] = []
    done = threading.Event()

    def record(tag: str) -> None:
        seen.append(f"{tag}:{threading.current_thread().name}")
        done.set()

    engine.call_soon(record, "x")
    assert done.wait(2)
    assert seen == ["x:flow-engine"]


def test_spawned_task_failures_are_logged(engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="flow_widgets.engine")
    spawned = engine.spawn(_boom(), name="poller-test")
    assert not isinstance(spawned, asyncio.Task)  # from another thread we get a Future
    task = spawned.result(2)
    deadline = time.monotonic() + 2
    while not task.done() and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.05)
    messages = [r.getMessage() for r in caplog.records]
    assert any("poller-test" in m and "boom" in m for m in messages)


def test_spawn_on_the_engine_thread_returns_the_task(engine: Engine) -> None:
    async def inside() -> int:
        task = engine.spawn(_add(20, 22))
        assert isinstance(task, asyncio.Task)
        return await task

    assert engine.run(inside()) == 42


def test_shutdown_cancels_tasks_runs_closers_and_stops_the_thread() -> None:
    eng = Engine()
    cancelled = threading.Event()
    closed: list[str] = []

    async def forever() -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    async def close_client() -> None:
        closed.append("client")

    eng.spawn(forever()).result(2)  # type: ignore[union-attr]
    eng.add_closer(close_client)
    eng.shutdown(timeout=2)
    assert cancelled.is_set()
    assert closed == ["client"]
    assert not eng.thread.is_alive()
    assert not eng.is_running
    eng.shutdown()  # idempotent
    with pytest.raises(EngineClosedError, match="shut down"):
        eng.submit(_add(1, 2))


def test_get_returns_one_engine_per_process_and_a_fresh_one_after_shutdown() -> None:
    first = Engine.get()
    assert Engine.get() is first
    assert Engine.current() is first
    first.shutdown()
    assert Engine.current() is None
    second = Engine.get()
    try:
        assert second is not first
        assert second.run(_add(1, 2)) == 3
    finally:
        second.shutdown()
