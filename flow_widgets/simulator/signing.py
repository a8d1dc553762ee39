"""Signed, expiring media URLs, the way Google's CDN hands them out.

Media never comes from the API origin: a job record carries URLs on a separate media origin,
each signed with HMAC-SHA256 over the path, an ``Expires`` time on the simulated clock and a
``KeyName``. The media origin checks all three, so a client must refresh URLs by re-reading the
job once they expire -- exactly what it has to do against the real API (about 6 hours there).

"Expire every URL now" is a key rotation: the signer moves to a new key name and refuses
signatures made under older ones, which is how a CDN invalidates links it already gave out.
The secret is derived from the seed, so a seeded simulator hands out the same URLs every run.

Example:
    >>> signer = UrlSigner(secret=b"k", origin="http://127.0.0.1:9", ttl=60.0)
    >>> url = signer.sign("video", "abc", now=1000.0)
    >>> url.split("?")[0]
    'http://127.0.0.1:9/video/abc'
    >>> signer.check("video", "abc", signer.query_of(url), now=1030.0)
    'ok'
    >>> signer.check("video", "abc", signer.query_of(url), now=1061.0)
    'expired'
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Literal
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

__all__ = ["SignatureCheck", "UrlSigner"]

SignatureCheck = Literal["ok", "expired", "invalid"]
_KEY_PREFIX = "flow-sim-key-"
_CACHE_LIMIT = 50_000


class UrlSigner:
    """Mints and checks ``?Expires=…&KeyName=…&Signature=…`` URLs for the media origin."""

    def __init__(self, *, secret: bytes, origin: str, ttl: float) -> None:
        self._secret = secret
        self.origin = origin.rstrip("/")
        self.ttl = ttl
        self._generation = 1
        self._step = max(1, int(min(60.0, ttl / 100)))
        self._cache: dict[tuple[str, str, int, int], str] = {}

    def __repr__(self) -> str:
        return f"UrlSigner(origin={self.origin!r}, ttl={self.ttl:g}, key={self.key_name!r})"

    @property
    def key_name(self) -> str:
        """The key new URLs are signed with."""
        return f"{_KEY_PREFIX}{self._generation}"

    def rotate(self) -> None:
        """Invalidate every URL handed out so far; URLs signed from now on work."""
        self._generation += 1

    def _digest(self, category: str, name: str, expires: int, key_name: str) -> str:
        message = f"{category}/{name}\n{expires}\n{key_name}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()[:40]

    def sign(self, category: str, name: str, *, now: float) -> str:
        """A URL for ``/<category>/<name>`` valid for about ``ttl`` seconds from ``now``.

        ``Expires`` is rounded down to a step of at most a minute (a hundredth of ``ttl``), so
        re-reading a job within that step gives the same, cached URL: job-status reads are the
        simulator's hot path and would otherwise spend most of their time signing.
        """
        expires = int(now + self.ttl) // self._step * self._step
        key = (category, name, expires, self._generation)
        url = self._cache.get(key)
        if url is None:
            query = urlencode(
                {
                    "Expires": expires,
                    "KeyName": self.key_name,
                    "Signature": self._digest(category, name, expires, self.key_name),
                }
            )
            url = f"{self.origin}/{category}/{quote(name, safe='')}?{query}"
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[key] = url
        return url

    @staticmethod
    def query_of(url: str) -> dict[str, str]:
        """The query parameters of ``url`` as a dict (a test and debugging helper)."""
        return dict(parse_qsl(urlsplit(url).query))

    def check(
        self, category: str, name: str, query: Mapping[str, str], *, now: float
    ) -> SignatureCheck:
        """``"ok"``, ``"expired"`` (past ``Expires`` or an old key) or ``"invalid"``."""
        expires_text = query.get("Expires", "")
        key_name = query.get("KeyName", "")
        signature = query.get("Signature", "")
        if not expires_text.isdigit() or not key_name.startswith(_KEY_PREFIX):
            return "invalid"
        expected = self._digest(category, name, int(expires_text), key_name)
        if not hmac.compare_digest(expected, signature):
            return "invalid"
        generation = key_name.removeprefix(_KEY_PREFIX)
        if not generation.isdigit() or int(generation) > self._generation:
            return "invalid"
        if int(generation) < self._generation or now >= int(expires_text):
            return "expired"
        return "ok"
