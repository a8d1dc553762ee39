"""Where the client's token and base URL come from, and the wrapper that hides the token.

Precedence is the house rule: an explicit argument wins, then the environment (``USEAPI_TOKEN``,
``FLOW_API_BASE``), then the default base URL. There is no default token: a missing one is a
:class:`~flow_widgets.errors.ConfigError` that lists every way to provide it. Reading ``.env``
files, keyrings and ``getpass`` prompts is the notebook session's job, not this module's.

The token is held in a :class:`Secret` from the moment it is read, so that no ``repr``, log
line, traceback (even one that prints local variables) or pickle can show it, and it reaches the
wire only through :class:`BearerAuth`, inside httpx.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Mapping
from typing import NoReturn
from urllib.parse import quote, urlsplit

import httpx

from flow_widgets.errors import ConfigError

__all__ = [
    "BASE_URL_ENV",
    "DEFAULT_BASE_URL",
    "TOKEN_ENV",
    "BearerAuth",
    "Secret",
    "resolve_base_url",
    "resolve_token",
]

TOKEN_ENV = "USEAPI_TOKEN"
BASE_URL_ENV = "FLOW_API_BASE"
DEFAULT_BASE_URL = "https://api.useapi.net/v1/google-flow"

_MISSING_TOKEN = (
    "No API token was found. Pass FlowClient(token=...), set the USEAPI_TOKEN environment "
    "variable, put USEAPI_TOKEN=... in a .env file next to the notebook, or run %flow login "
    "in a notebook; the token looks like user:<number>-<letters> and comes from useapi.net."
)


class Secret:
    """A string that never shows itself: ``repr``/``str`` print ``Secret('***')``.

    Call :meth:`reveal` at the one place the value is really needed (the auth header).
    Pickling is refused, so a token cannot end up in a file by accident.

    Example:
        >>> Secret("user:1-abc")
        Secret('***')
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The secret value itself."""
        return self._value

    def scrub(self, text: str) -> str:
        """``text`` with every form of the secret (plain, URL-quoted, its key part) masked."""
        for form in self._forms():
            text = text.replace(form, "***")
        return text

    def _forms(self) -> list[str]:
        forms = {self._value, quote(self._value, safe=""), quote(self._value)}
        tail = self._value.rsplit("-", 1)[-1]
        if len(tail) >= 8:
            forms.add(tail)
        return sorted((f for f in forms if f), key=len, reverse=True)

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash((Secret, self._value))

    def __reduce__(self) -> NoReturn:
        raise TypeError("an API token cannot be pickled; keep it in the environment instead")


class BearerAuth(httpx.Auth):
    """Adds ``Authorization: Bearer <token>`` inside httpx, so the header never sits in our
    own frames or objects."""

    def __init__(self, secret: Secret) -> None:
        self._secret = secret

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._secret.reveal()}"
        yield request

    def __repr__(self) -> str:
        return "BearerAuth(***)"


def resolve_token(token: str | Secret | None, environ: Mapping[str, str] | None = None) -> Secret:
    """The API token from the argument, else ``USEAPI_TOKEN``; a missing one is a ConfigError."""
    if isinstance(token, Secret):
        return token
    env = os.environ if environ is None else environ
    value = token if token is not None else env.get(TOKEN_ENV)
    if value is None or not value.strip():
        raise ConfigError(_MISSING_TOKEN)
    value = value.strip()
    if any(c.isspace() for c in value):
        raise ConfigError(
            "The API token contains spaces or line breaks; copy it again from useapi.net "
            "without surrounding text."
        )
    return Secret(value)


def resolve_base_url(base_url: str | None, environ: Mapping[str, str] | None = None) -> str:
    """The API base URL from the argument, else ``FLOW_API_BASE``, else the public API."""
    env = os.environ if environ is None else environ
    value = base_url if base_url is not None else env.get(BASE_URL_ENV) or DEFAULT_BASE_URL
    value = value.strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            f"base_url {value!r} is not an http(s) URL; use something like {DEFAULT_BASE_URL} "
            "or http://127.0.0.1:8787 for the simulator."
        )
    if parts.query or parts.fragment:
        raise ConfigError(f"base_url {value!r} must not carry a query or fragment; remove them.")
    return value
