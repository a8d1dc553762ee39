"""JupyterHub's users as students: the gateway as a Hub service maps a Hub token to a name.

Why: on a JupyterHub every student's kernel already holds a Hub API token for its own user
(``JUPYTERHUB_API_TOKEN``), so the teacher need not hand out gateway tokens at all. A token the
gateway does not know is shown to the Hub (``GET {hub_api}/user``, the Hub's documented way for
a service to identify a token's owner); the user's ``name`` is the student's name. The answer
is cached for ``cache_s`` seconds per token (by its hash: the token itself is never kept), so a
class polling does not poll the Hub; whether that student is revoked is read from the database
on every request all the same.
"""

from __future__ import annotations

import hashlib
import logging
import time

import httpx

__all__ = ["HubUsers"]

log = logging.getLogger(__name__)


class HubUsers:
    """Who a Hub token belongs to (``None``: not a Hub user's token, or the Hub said no)."""

    def __init__(self, api_url: str, *, cache_s: float = 60.0, timeout: float = 5.0) -> None:
        self.api_url = api_url.rstrip("/")
        self.cache_s = cache_s
        self._http = httpx.AsyncClient(timeout=timeout)
        self._known: dict[str, tuple[str | None, float]] = {}
        self.asked = 0  # how often the Hub was asked (the tests read it)

    async def name_for(self, token: str) -> str | None:
        key = hashlib.sha256(token.encode()).hexdigest()
        now = time.monotonic()
        cached = self._known.get(key)
        if cached is not None and cached[1] > now:
            return cached[0]
        self.asked += 1
        try:
            answer = await self._http.get(
                f"{self.api_url}/user", headers={"Authorization": f"Bearer {token}"}
            )
        except httpx.TransportError:
            log.warning("gateway: the Hub did not answer; a Hub user's request is refused")
            return None  # not cached: the next request asks again
        name = None
        if answer.status_code == 200:
            try:
                model = answer.json()
            except ValueError:
                model = None
            if isinstance(model, dict) and model.get("kind", "user") == "user":
                value = model.get("name")
                name = value if isinstance(value, str) and value else None
        if len(self._known) > 10_000:
            self._known.clear()
        self._known[key] = (name, now + self.cache_s)
        return name

    async def aclose(self) -> None:
        await self._http.aclose()
