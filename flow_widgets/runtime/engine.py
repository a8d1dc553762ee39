"""The engine: one private asyncio loop on a daemon thread, shared by everything in the process.

Why a thread of our own: on ipykernel 7 asyncio tasks scheduled on the kernel's loop stall once a
cell finishes, and a cell that runs ``time.sleep(60)`` or heavy numpy blocks that loop anyway.
Polling, downloads and ledger updates therefore run on a loop the user's code never touches. Sync
callers block on a :class:`concurrent.futures.Future`; async callers await the same work. No
``nest_asyncio``: waiting synchronously *from the engine thread itself* would deadlock, so it
raises :class:`EngineThreadError` with a pointer to the ``await`` form instead.

There is one engine per process (:meth:`Engine.get`). It is started lazily, survives for the life
of the interpreter, is shut down at exit (``atexit``) or by ``%unload_ext``, and a new one is
started on the next :meth:`Engine.get` after a shutdown or a ``fork``.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import logging
import os
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from flow_widgets.errors import EngineClosedError, EngineThreadError

__all__ = ["Engine", "EngineClosedError", "EngineThreadError", "in_engine_thread"]

T = TypeVar("T")

log = logging.getLogger("flow_widgets.engine")

THREAD_NAME = "flow-engine"
_SHUTDOWN_GRACE_S = 5.0


def in_engine_thread() -> bool:
    """True when the caller runs on the engine's loop thread."""
    return threading.current_thread().name == THREAD_NAME and isinstance(
        threading.current_thread(), _EngineThread
    )


class _EngineThread(threading.Thread):
    """The daemon thread that owns the loop (a subclass so it can be recognised reliably)."""


class Engine:
    """A private asyncio loop on a daemon thread, with thread-safe ways in.

    Attributes:
        loop: the engine's event loop. Touch it only through the methods below or from code
            already running on it.
    """

    _instance: Engine | None = None
    _instance_lock = threading.Lock()
    _atexit_registered = False

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._pid = os.getpid()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closers: list[Callable[[], Awaitable[None]]] = []
        self._closed = False
        self._state_lock = threading.Lock()
        ready = threading.Event()
        self._thread = _EngineThread(
            target=self._run_loop, args=(ready,), name=THREAD_NAME, daemon=True
        )
        self._thread.start()
        ready.wait()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "running"
        return f"<Engine {state} tasks={len(self._tasks)}>"

    # -- the process-wide instance -------------------------------------------------------------

    @classmethod
    def get(cls) -> Engine:
        """The process-wide engine, started on first use (and again after shutdown or fork)."""
        engine = cls._instance
        if engine is not None and engine.is_running and engine._pid == os.getpid():
            return engine
        with cls._instance_lock:
            engine = cls._instance
            if engine is None or not engine.is_running or engine._pid != os.getpid():
                engine = cls()
                cls._instance = engine
                if not cls._atexit_registered:
                    atexit.register(cls._shutdown_at_exit)
                    cls._atexit_registered = True
            return engine

    @classmethod
    def current(cls) -> Engine | None:
        """The process-wide engine if one is running, without starting one."""
        engine = cls._instance
        if engine is not None and engine.is_running and engine._pid == os.getpid():
            return engine
        return None

    @classmethod
    def _shutdown_at_exit(cls) -> None:
        engine = cls.current()
        if engine is not None:
            engine.shutdown()

    # -- state ---------------------------------------------------------------------------------

    @property
    def is_running(self) -> bool:
        """True until :meth:`shutdown` has been called (and the thread is alive)."""
        return not self._closed and self._thread.is_alive()

    @property
    def thread(self) -> threading.Thread:
        """The engine's daemon thread."""
        return self._thread

    def _run_loop(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(ready.set)
        try:
            self.loop.run_forever()
        finally:
            with contextlib.suppress(Exception):
                self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()

    def _check_open(self) -> None:
        if self._closed:
            raise EngineClosedError(
                "The flow_widgets engine has been shut down; call Engine.get() for a new one."
            )

    # -- ways in -------------------------------------------------------------------------------

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Schedule ``coro`` on the engine loop from any thread; returns a thread-safe Future.

        Cancelling the returned Future cancels the task on the engine loop.
        """
        if self._closed:
            coro.close()
            self._check_open()
        return asyncio.run_coroutine_threadsafe(self._tracked(coro), self.loop)

    async def _tracked(self, coro: Coroutine[Any, Any, T]) -> T:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await coro

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run ``coro`` on the engine loop and block the calling thread until it finishes.

        Raises:
            EngineThreadError: when called from the engine thread (it would wait for itself).
            TimeoutError: when ``timeout`` seconds pass first; the work is cancelled.
        """
        if in_engine_thread():
            coro.close()
            raise EngineThreadError(
                "A blocking flow_widgets call was made from the engine thread, where it would "
                "deadlock; use the async form (await the job or the coroutine) instead."
            )
        future = self.submit(coro)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TimeoutError(f"The engine call did not finish within {timeout} s.") from None
        except BaseException:
            # KeyboardInterrupt in a cell: stop the work we were waiting for, then re-raise.
            future.cancel()
            raise

    def call_soon(self, fn: Callable[..., object], *args: object) -> None:
        """Call ``fn(*args)`` on the engine loop as soon as possible (thread-safe)."""
        self._check_open()
        self.loop.call_soon_threadsafe(fn, *args)

    def spawn(
        self, coro: Coroutine[Any, Any, T], *, name: str | None = None
    ) -> asyncio.Task[T] | concurrent.futures.Future[asyncio.Task[T]]:
        """Start a background task that nobody awaits; its exceptions are logged, not lost.

        On the engine thread this returns the :class:`asyncio.Task` itself. From another thread
        the task is created on the loop and a Future resolving to it is returned.
        """
        if self._closed:
            coro.close()
            self._check_open()
        if in_engine_thread():
            return self._spawn_here(coro, name)
        result: concurrent.futures.Future[asyncio.Task[T]] = concurrent.futures.Future()

        def create() -> None:
            try:
                result.set_result(self._spawn_here(coro, name))
            except BaseException as exc:  # noqa: BLE001 - handed to the caller's Future
                coro.close()
                result.set_exception(exc)

        self.loop.call_soon_threadsafe(create)
        return result

    def _spawn_here(self, coro: Coroutine[Any, Any, T], name: str | None) -> asyncio.Task[T]:
        task = self.loop.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._background_done)
        return task

    def _background_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            log.error(
                "Background task %r failed: %s",
                task.get_name(),
                exc,
                exc_info=(type(exc), exc, exc.__traceback__),
            )

    def add_closer(self, closer: Callable[[], Awaitable[None]]) -> None:
        """Register an async cleanup (closing an httpx client) to run on :meth:`shutdown`."""
        with self._state_lock:
            self._closers.append(closer)

    def remove_closer(self, closer: Callable[[], Awaitable[None]]) -> None:
        """Forget a cleanup registered with :meth:`add_closer` (it was run by its owner)."""
        with self._state_lock, contextlib.suppress(ValueError):
            self._closers.remove(closer)

    # -- shutdown ------------------------------------------------------------------------------

    def shutdown(self, timeout: float = _SHUTDOWN_GRACE_S) -> None:
        """Cancel every task, run the registered closers, stop the loop and join the thread.

        Safe to call more than once and from any thread but the engine's own.
        """
        with self._state_lock:
            if self._closed:
                return
            self._closed = True
            closers = list(reversed(self._closers))
            self._closers.clear()
        if in_engine_thread():
            raise EngineThreadError(
                "Engine.shutdown() was called from the engine thread; call it from another thread."
            )
        if self._thread.is_alive():
            future = asyncio.run_coroutine_threadsafe(self._wind_down(closers), self.loop)
            with contextlib.suppress(Exception):
                future.result(timeout)
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout)
        with Engine._instance_lock:
            if Engine._instance is self:
                Engine._instance = None

    async def _wind_down(self, closers: list[Callable[[], Awaitable[None]]]) -> None:
        me = asyncio.current_task()
        tasks = [t for t in asyncio.all_tasks(self.loop) if t is not me]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        for closer in closers:
            try:
                await closer()
            except Exception as exc:  # noqa: BLE001 - one failing closer must not stop the rest
                log.warning("Closing %r failed during engine shutdown: %s", closer, exc)
