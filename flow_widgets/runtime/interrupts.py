"""What an interrupt during a wait says: one sentence, no traceback through the package.

Why: pressing *Interrupt* (or Ctrl+C) while ``job.wait()`` or ``%%flow_video --wait`` blocks
only stops the waiting — the job was bought and runs on, and is charged, on the server. A
``KeyboardInterrupt`` traceback through the runtime's internals says none of that, and makes a
normal act look like a crash. :class:`StoppedWaiting` is still a ``KeyboardInterrupt`` (so *Run
All* stops there, and code catching interrupts still does), but IPython shows it as the one line
of :meth:`StoppedWaiting._render_traceback_`.
"""

from __future__ import annotations

__all__ = ["STOPPED_WAITING", "StoppedWaiting"]

STOPPED_WAITING = (
    "Stopped waiting. The job keeps running on the server and is charged; re-run the cell to "
    "see it."
)


class StoppedWaiting(KeyboardInterrupt):
    """An interrupt that arrived while waiting for a job (the job itself goes on).

    >>> print(*StoppedWaiting()._render_traceback_())
    Stopped waiting. The job keeps running on the server and is charged; re-run the cell to see it.
    """

    def __init__(self, message: str = STOPPED_WAITING) -> None:
        super().__init__(message)

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else STOPPED_WAITING

    def _render_traceback_(self) -> list[str]:
        """What IPython prints instead of a traceback (its hook for custom exceptions)."""
        return [str(self)]
