"""Scrub secrets out of data before it is persisted.

Why a separate step: the ledger stores request payloads and raw job records, and those can echo
what they were given (an account record carries cookies and an access token; an error text can
quote a header). Rather than trusting every caller, whatever reaches disk passes through a
:class:`Redactor` first: values under credential-like keys are replaced, and every known secret
(the API token, as a :class:`~flow_widgets.api._config.Secret`, which knows its own raw,
URL-encoded and short forms) is masked in every string.

Pure functions over JSON-like data; no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from flow_widgets.api._config import Secret

__all__ = ["REDACTED", "SECRET_KEYS", "Redactor", "is_secret_key"]

REDACTED = "[redacted]"

SECRET_KEYS = frozenset(
    {
        "authorization",
        "token",
        "apitoken",
        "apikey",
        "accesstoken",
        "refreshtoken",
        "idtoken",
        "captchatoken",
        "cookie",
        "cookies",
        "accountcookies",
        "sessioncookies",
        "sessiondata",
        "password",
        "secret",
    }
)
"""Keys (compared without case, ``_`` or ``-``) whose values are never stored."""

_KEY_NOISE = re.compile(r"[\s_\-]")
_MIN_SECRET_LENGTH = 6


def is_secret_key(key: str) -> bool:
    """True when a mapping key names a credential (``Authorization``, ``access_token`` …)."""
    return _KEY_NOISE.sub("", key).lower() in SECRET_KEYS


class Redactor:
    """Removes credentials from JSON-like values and text.

    Args:
        secrets: values to mask wherever they appear (strings are wrapped in
            :class:`~flow_widgets.api._config.Secret`; short ones are ignored, so a blank
            token cannot wipe every value).

    Example:
        >>> Redactor(["user:1-abcdef"]).scrub({"error": "bad user:1-abcdef", "cookies": [1]})
        {'error': 'bad ***', 'cookies': '[redacted]'}
    """

    def __init__(self, secrets: Iterable[str | Secret] = ()) -> None:
        wrapped = (s if isinstance(s, Secret) else Secret(s) for s in secrets)
        self._secrets = [s for s in wrapped if len(s.reveal()) >= _MIN_SECRET_LENGTH]

    def __repr__(self) -> str:
        return f"Redactor(<{len(self._secrets)} secrets>)"

    def scrub_text(self, text: str) -> str:
        """``text`` with every secret masked and lone surrogates made storable."""
        for secret in self._secrets:
            text = secret.scrub(text)
        return text.encode("utf-8", "replace").decode("utf-8")

    def scrub(self, value: Any) -> Any:
        """A copy of a JSON-like value with credential keys and secret strings removed."""
        if isinstance(value, str):
            return self.scrub_text(value)
        if isinstance(value, Mapping):
            return {
                str(key): REDACTED if is_secret_key(str(key)) else self.scrub(item)
                for key, item in value.items()
            }
        if isinstance(value, (list, tuple)):
            return [self.scrub(item) for item in value]
        return value
