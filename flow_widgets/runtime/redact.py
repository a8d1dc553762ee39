"""Scrub secrets out of data before it is persisted.

Why a separate step: the ledger stores request payloads and raw job records, and those can echo
what they were given (an account record carries cookies and an access token; an error text can
quote a header). Rather than trusting every caller, whatever reaches disk passes through a
:class:`Redactor` first: values under credential-like keys are replaced, and every known secret
string (the API token, in its raw and URL-encoded forms) is cut out of every string.

Pure functions over JSON-like data; no I/O.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterable, Mapping
from typing import Any

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
        secrets: exact strings to cut out wherever they appear (short strings are ignored, so a
            blank token cannot wipe every value).

    Example:
        >>> Redactor(["user:1-abcdef"]).scrub({"error": "bad user:1-abcdef", "cookies": [1]})
        {'error': 'bad [redacted]', 'cookies': '[redacted]'}
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        forms: set[str] = set()
        for secret in secrets:
            if secret and len(secret) >= _MIN_SECRET_LENGTH:
                forms.update(
                    {secret, urllib.parse.quote(secret, safe=""), urllib.parse.quote(secret)}
                )
        # Longest first, so a form that contains another is removed whole.
        self._forms = sorted(forms, key=len, reverse=True)

    def __repr__(self) -> str:
        return f"Redactor(<{len(self._forms)} secret forms>)"

    def scrub_text(self, text: str) -> str:
        """``text`` with every secret cut out and lone surrogates made storable."""
        for form in self._forms:
            if form in text:
                text = text.replace(form, REDACTED)
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
