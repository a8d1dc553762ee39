"""The teacher's side of a classroom gateway: read the class, pause it, raise an allowance.

Why its own small client: these endpoints are the gateway's, not useapi.net's (they exist only
in front of a class), and they take the teacher's token, which the students' client never holds.
Every refusal comes back as :class:`~flow_widgets.errors.APIStatusError` carrying the gateway's
own plain sentence; the token never appears in a message.

Example:
    >>> from flow_widgets.api.classroom import ClassroomClient          # doctest: +SKIP
    >>> teacher = ClassroomClient("http://127.0.0.1:8790/v1/google-flow", token)  # doctest: +SKIP
    >>> teacher.overview()["spent"]                                      # doctest: +SKIP
"""

from __future__ import annotations

import os
from typing import Any, TypedDict, cast

import httpx

from flow_widgets.api._base import USER_AGENT
from flow_widgets.errors import APIConnectionError, APIStatusError, ConfigError

__all__ = ["ENV_GATEWAY", "ClassOverview", "ClassResult", "ClassroomClient"]


class StudentRow(TypedDict, total=False):
    """One student in ``GET class``: their spend against their allowance and their jobs."""

    name: str
    spent: int
    allowance: int
    queued: int
    running: int
    done: int
    failed: int
    revoked: bool


class QueueRow(TypedDict, total=False):
    """One waiting request in the class's line."""

    position: int
    student: str
    route: str
    waitedSeconds: float


class RunningRow(TypedDict, total=False):
    """One job running for the class, with the account it runs on."""

    student: str
    route: str
    account: str | None
    status: str
    runningSeconds: float


class AccountRow(TypedDict, total=False):
    """One account's slots in use."""

    email: str
    running: int
    cap: int


class ClassOverview(TypedDict, total=False):
    """What ``GET class`` answers (every key may be missing from an older gateway)."""

    budget: int
    spent: int
    paused: bool
    students: list[StudentRow]
    queue: list[QueueRow]
    running: list[RunningRow]
    accounts: list[AccountRow]


class ClassResult(TypedDict, total=False):
    """One finished job in ``GET class/results``; ``job`` is the API's job record."""

    jobid: str
    student: str
    route: str
    request: dict[str, object]
    credits: int | None
    created: str
    job: dict[str, Any]


#: Where the teacher's kernel finds the gateway when no URL is given.
ENV_GATEWAY = "FLOW_GATEWAY_URL"
_DEFAULT_GATEWAY = "http://127.0.0.1:8790/v1/google-flow"


class ClassroomClient:
    """The gateway's class endpoints, with the teacher's token (kept out of ``repr``)."""

    def __init__(
        self, base_url: str | None = None, token: str | None = None, *, timeout: float = 15.0
    ) -> None:
        self.base_url = (base_url or os.environ.get(ENV_GATEWAY) or _DEFAULT_GATEWAY).rstrip("/")
        token = (token or os.environ.get("USEAPI_TOKEN", "")).strip()
        if not token:
            raise ConfigError(
                "The class panel needs the teacher's useapi.net token (the one the gateway "
                "runs with): set USEAPI_TOKEN or pass token=."
            )
        self._token = token
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=timeout,
            headers={"Authorization": f"Bearer {token}", "User-Agent": USER_AGENT},
        )

    def __repr__(self) -> str:
        return f"ClassroomClient({self.base_url!r})"

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        try:
            answer = self._http.request(method, path, json=body)
        except httpx.TransportError as exc:
            raise APIConnectionError(
                f"The class gateway at {self.base_url} did not answer ({type(exc).__name__}); "
                "is `flow-widgets gateway serve` running there?"
            ) from None
        try:
            payload = answer.json()
        except ValueError:
            payload = None
        if answer.status_code >= 400:
            said = payload.get("error") if isinstance(payload, dict) else None
            sentence = str(said or f"The class gateway answered HTTP {answer.status_code}.")
            raise APIStatusError(
                sentence.replace(self._token, "***"), status_code=answer.status_code
            )
        return payload

    def overview(self) -> ClassOverview:
        """Budget, spent, paused, students (spend, allowance, jobs), queue, running, accounts."""
        value = self._call("GET", "/class")
        return cast(ClassOverview, value) if isinstance(value, dict) else {}

    def pause(self) -> None:
        """New requests are refused; queued and running ones go on."""
        self._call("POST", "/class/pause")

    def resume(self) -> None:
        self._call("POST", "/class/resume")

    def set_allowance(self, student: str, credits: int) -> None:
        """Set a student's allowance (never below what they already spent)."""
        self._call("POST", "/class/allowance", {"student": student, "credits": credits})

    def results(self) -> list[ClassResult]:
        """Finished jobs, oldest first: ``jobid``, ``student``, ``route``, ``request``,
        ``credits``, ``created`` and ``job`` (the record with its media)."""
        value = self._call("GET", "/class/results")
        found = value.get("results") if isinstance(value, dict) else None
        return [cast(ClassResult, r) for r in found or [] if isinstance(r, dict)]
