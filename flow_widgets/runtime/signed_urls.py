"""Keep the signatures of signed media URLs out of log records.

Why: httpx logs every request at INFO as ``HTTP Request: GET <full URL> "HTTP/1.1 200 OK"``. A
media URL carries ``Expires``/``Signature`` (or ``X-Goog-Signature``…) query parameters that work
as a credential for the file until they expire, so a notebook that turns logging on -- and then
pastes its log into an issue -- would hand them out. :class:`SignedUrlFilter`, installed on the
``httpx`` logger by :func:`install`, rewrites such URLs to scheme, host and path (``…?…``) before
any handler formats the record. URLs without a signature are left alone.
"""

from __future__ import annotations

import logging
import re
from typing import Any

__all__ = ["SignedUrlFilter", "install", "without_signature"]

_SIGNED_QUERY = re.compile(
    r"(?i)(?:^|[?&])(?:signature|x-goog-signature|x-amz-signature|expires|keyname|sig)="
)
_URL = re.compile(r"(https?://[^\s\"'<>?]+)\?([^\s\"'<>]*)")


def without_signature(text: str) -> str:
    """``text`` with the query of every signed URL in it replaced by ``…``.

    >>> without_signature("GET https://cdn.example/v/1.mp4?Expires=9&Signature=ab ok")
    'GET https://cdn.example/v/1.mp4?… ok'
    >>> without_signature("GET https://api.example/jobs?options=history")
    'GET https://api.example/jobs?options=history'
    """

    def shorten(match: re.Match[str]) -> str:
        if _SIGNED_QUERY.search("?" + match.group(2)):
            return f"{match.group(1)}?…"
        return match.group(0)

    return _URL.sub(shorten, text)


class SignedUrlFilter(logging.Filter):
    """Masks signed URLs in a record's message and arguments (never drops a record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = without_signature(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_masked(arg) for arg in record.args)
        return True


def _masked(value: Any) -> Any:
    if isinstance(value, (str, bytes, int, float)) or value is None:
        return without_signature(value) if isinstance(value, str) else value
    text = str(value)  # httpx.URL and friends
    masked = without_signature(text)
    return value if masked == text else masked


def install(logger_name: str = "httpx") -> None:
    """Attach one :class:`SignedUrlFilter` to ``logger_name`` (calling it again does nothing)."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, SignedUrlFilter) for f in logger.filters):
        logger.addFilter(SignedUrlFilter())
