"""Which backend a purchase was made on: the base URL and the useapi.net user of the token.

Why: a result bought on one backend must never stand in for a purchase on another (DESIGN
decision 9). Before the ledger recorded it, a cell run on the simulator and re-run with a real
token re-attached to the synthetic clip -- zero real POSTs, shown as done. The identity is the
API's base URL plus the user the token belongs to (useapi.net tokens start ``user:<id>-``), so a
new token of the same subscription still re-attaches, while the token itself is never stored:
a token without that prefix is represented by a short one-way hash.
"""

from __future__ import annotations

import hashlib
import re

from flow_widgets.api._config import Secret

__all__ = ["backend_identity", "token_user"]

_USER = re.compile(r"^(user:\d+)-")


def token_user(token: str | Secret | None) -> str | None:
    """``user:<id>`` of a useapi.net token, else a one-way stand-in (``None`` without a token)."""
    if token is None:
        return None
    text = token.reveal() if isinstance(token, Secret) else str(token)
    if not text:
        return None
    match = _USER.match(text)
    if match:
        return match.group(1)
    return "token-sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def backend_identity(base_url: str, token: str | Secret | None) -> str:
    """``<base url> as <user>``: what the ledger records with every purchase."""
    return f"{base_url.rstrip('/')} as {token_user(token) or 'anonymous'}"
