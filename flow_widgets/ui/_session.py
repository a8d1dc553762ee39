"""The few things panels ask of the kernel's session, in one place.

Why: every panel shares the kernel's one :class:`~flow_widgets.runtime.session.FlowSession`
(one tracker, one ledger, one engine), so a job started from the Studio shows up in the magics'
cards, the dashboard and the credits panel alike. Panels never build clients or loops of their
own; they go through these functions, which use the session's public methods (the same ones a
person types) and, for the library lists the session does not wrap, its API client on the
engine loop. Network calls never block a widget callback: they run on the engine and report
back through a callback on the engine thread, where panels only set traits.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from typing import TYPE_CHECKING, TypeVar

from flow_widgets.api.requests import FlowRequest

if TYPE_CHECKING:  # pragma: no cover
    from flow_widgets.api.client import AsyncFlowClient
    from flow_widgets.runtime.jobs import JobHandle
    from flow_widgets.runtime.session import FlowSession

T = TypeVar("T")

__all__ = [
    "first_media_id",
    "request_options",
    "resolve",
    "run_in_background",
    "scrubber",
    "upload_bytes",
]

# Fields a panel never passes on: the prompt and source go positionally, the rest are the
# session's business (captcha solving, webhooks).
_NOT_OPTIONS = frozenset({"prompt", "media_generation_id", "captcha", "reply_url", "reply_ref"})


def resolve(session: FlowSession | None = None) -> FlowSession:
    """``session`` itself, or the kernel's process-wide one (started on first use)."""
    if session is not None:
        return session
    from flow_widgets.runtime.session import session as process_session

    return process_session()


def scrubber(session: FlowSession) -> Callable[[str], str] | None:
    """A function that masks the session's API token (every form of it) in a text, if any."""
    token = getattr(getattr(session, "settings", None), "token", None)
    if not token:
        return None
    from flow_widgets.api._config import Secret

    return Secret(str(token)).scrub


def request_options(request: FlowRequest) -> dict[str, object]:
    """The request's fields as keyword arguments for the session (unset ones left out)."""
    options: dict[str, object] = {}
    for spec in dataclasses.fields(request):  # type: ignore[arg-type]
        value = getattr(request, spec.name)
        if spec.name in _NOT_OPTIONS or value is None or value == ():
            continue
        options[spec.name] = value
    return options


def upload_bytes(
    session: FlowSession, data: bytes, filename: str, *, email: str | None = None
) -> JobHandle:
    """Upload a file's bytes (from a ``FileUpload`` widget); returns the upload's job handle."""
    buffer = io.BytesIO(bytes(data))
    buffer.name = filename
    return session.upload(buffer, email=email)


def first_media_id(handle: JobHandle, kind: str | None = None) -> str | None:
    """The media id of the first file of ``handle`` (of ``kind``, when given)."""
    for media in getattr(handle, "media", None) or ():
        media_id = getattr(media, "media_id", None)
        if media_id and (kind is None or f"-{kind}:" in media_id):
            return str(media_id)
    return None


def run_in_background(
    session: FlowSession,
    make: Callable[[AsyncFlowClient], Coroutine[object, object, T]],
    done: Callable[[T | None, BaseException | None], None],
) -> Future[T]:
    """Run ``make(client)`` on the engine with the session's API client; ``done(result, error)``
    is called on the engine thread when it finishes (it must only set traits)."""
    future: Future[T] = session.engine.submit(make(session.runner.client))

    def finished(f: Future[T]) -> None:
        if f.cancelled():
            done(None, RuntimeError("the request was cancelled"))
            return
        error = f.exception()
        done(None if error is not None else f.result(), error)

    future.add_done_callback(finished)
    return future
