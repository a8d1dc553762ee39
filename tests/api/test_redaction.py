"""A canary token must never surface: not in repr/str, logs, error texts, bodies or tracebacks.

Follows the openai "secret canary" pattern: the token is planted where a careless client would
leak it (server error bodies that echo it, transport exceptions that quote it, job echoes), and
every artifact is scanned for it in all its forms, for both twins.
"""

from __future__ import annotations

import logging
import pickle
import traceback
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import test_client_shapes as shapes
from test_client_harness import TOKEN, Twin, reply

from flow_widgets import errors
from flow_widgets.api._config import Secret
from flow_widgets.api.client import AsyncFlowClient, FlowClient

TWINS = ["sync", "async"]
FORMS = (TOKEN, quote(TOKEN, safe=""), TOKEN.rsplit("-", 1)[1])


def assert_clean(text: str) -> None:
    for form in FORMS:
        assert form not in text, f"the token leaked as {form!r}"


def rendered(exc: BaseException) -> str:
    """The traceback as plain and verbose (every frame's locals) renderers show it.

    The verbose rendering starts at the first flow_widgets frame: the test's own frames hold the
    canary on purpose (it is the data they feed in).
    """
    plain = "".join(traceback.format_exception(exc))
    tb = exc.__traceback__
    while tb is not None and "flow_widgets" not in tb.tb_frame.f_code.co_filename:
        tb = tb.tb_next
    assert tb is not None, "the error did not come from flow_widgets"
    verbose = traceback.TracebackException(type(exc), exc, tb, capture_locals=True).format()
    return plain + "".join(verbose) + repr(exc) + repr(getattr(exc, "body", None))


def test_secret_and_clients_never_show_the_token() -> None:
    secret = Secret(TOKEN)
    assert_clean(repr(secret) + str(secret) + f"{secret}")
    assert secret.reveal() == TOKEN
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(secret)
    transport = httpx.MockTransport(lambda r: reply())
    for client in (FlowClient(TOKEN, transport=transport), AsyncFlowClient(TOKEN)):
        assert_clean(repr(client) + str(client) + repr(vars(client)))
        assert "token=***" in repr(client)


def test_scrub_covers_plain_quoted_and_key_forms() -> None:
    text = f"a {TOKEN} b {quote(TOKEN, safe='')} c {FORMS[2]} d"
    scrubbed = Secret(TOKEN).scrub(text)
    assert_clean(scrubbed)
    assert scrubbed.count("***") == 3


ECHOES: list[Any] = [
    reply(400, {"error": f"Invalid header: Bearer {TOKEN}"}),
    reply(401, {"error": {"message": f"token {quote(TOKEN, safe='')} refused"}}),
    reply(500, f"<pre>Authorization: Bearer {TOKEN}</pre>"),
    httpx.ConnectError(f"proxy refused Bearer {TOKEN}"),
    httpx.ReadTimeout(f"timed out sending Authorization: Bearer {TOKEN}"),
    reply(201, f"<html>{TOKEN}</html>"),
]


@pytest.mark.parametrize("kind", TWINS)
@pytest.mark.parametrize("echo", ECHOES, ids=["400", "401", "500", "connect", "timeout", "201"])
def test_errors_built_from_echoing_servers_or_exceptions_are_scrubbed(
    kind: str, echo: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    twin = Twin(kind, [echo], max_retries=1)
    with pytest.raises(errors.FlowError) as caught:
        twin(lambda c: c.videos.create("a fox"))
    error = caught.value
    assert_clean(str(error))
    assert_clean(rendered(error))
    assert error.__cause__ is None
    assert error.__suppress_context__ or error.__context__ is None
    assert_clean(_log_text(caplog))


@pytest.mark.parametrize("kind", TWINS)
def test_a_successful_reply_echoing_the_token_is_scrubbed_before_parsing(kind: str) -> None:
    body = dict(shapes.VIDEO_ASYNC_201, request={"prompt": f"leak {TOKEN}"})
    job = Twin(kind, [reply(201, body)])(lambda c: c.videos.create("a fox"))
    assert_clean(repr(job) + repr(job.to_dict()))


@pytest.mark.parametrize("kind", TWINS)
def test_debug_logs_of_a_whole_session_never_hold_the_token(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    script = [
        httpx.ConnectError("refused"),
        reply(429, {"error": "throttled"}, **{"Retry-After": "1"}),
        reply(201, shapes.VIDEO_ASYNC_201),
        reply(200, shapes.JOB_COMPLETED),
        reply(401, {"error": "Unauthorized"}),
    ]
    twin = Twin(kind, script)
    twin(lambda c: c.videos.create("a fox"))
    twin(lambda c: c.jobs.wait(shapes.VIDEO_JOBID))
    with pytest.raises(errors.AuthenticationError):
        twin(lambda c: c.accounts.list())
    text = _log_text(caplog)
    assert "POST /videos" in text and "retry 2" in text  # the session was really logged
    assert_clean(text)


def _log_text(caplog: pytest.LogCaptureFixture) -> str:
    parts = []
    for record in caplog.records:
        parts.append(record.getMessage())
        parts.append(repr(record.args))
        if record.exc_info:
            parts.append("".join(traceback.format_exception(*record.exc_info)))
    return "\n".join(parts)


def test_the_token_goes_only_in_the_authorization_header() -> None:
    twin = Twin("sync", [reply(201, shapes.VIDEO_ASYNC_201)])
    twin(lambda c: c.videos.create("a fox"))
    request = twin.requests[0]
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    others = {k: v for k, v in request.headers.items() if k != "authorization"}
    assert_clean(str(request.url) + repr(others) + twin.bodies[0].decode())
    assert_clean(repr(request.headers))  # httpx masks it as [secure]
