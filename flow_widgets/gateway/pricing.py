"""What the gateway charges a request against the allowances and the class budget.

Why the gateway's own table: the charge must be known before the request waits in line (the
credits are reserved then), whichever account later runs it. The defaults are the most a
request of each route can cost on the vendor's price list at the time of writing; a teacher
changes them with ``--price ROUTE=CREDITS``. A failed job gives its charge back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["DEFAULT_PRICES", "GENERATION_ROUTES", "cost_of"]

DEFAULT_PRICES: Mapping[str, int] = {
    "videos": 100,
    "videos/extend": 100,
    "videos/upscale": 50,
    "videos/gif": 0,
    "videos/concatenate": 0,
    "images": 0,
    "images/upscale": 0,
}
GENERATION_ROUTES = frozenset(DEFAULT_PRICES)


def cost_of(route: str, body: Mapping[str, Any], prices: Mapping[str, int]) -> int:
    """Credits for one request: the route's price times the number of outputs asked for."""
    count = body.get("count", 1)
    count = count if isinstance(count, int) and not isinstance(count, bool) and count > 0 else 1
    return int(prices.get(route, DEFAULT_PRICES.get(route, 0))) * count
