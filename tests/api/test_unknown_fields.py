"""Unknown fields in responses are kept, not dropped and not guessed at (spec §7.1).

Every result model carries the keys it does not read in ``extra``, exactly as sent, and keeps
them through ``to_dict()``/``from_dict()`` (the ledger stores results that way). Account
replies carry a Google login, so their extras never keep the cookie containers and hide any
value under a credential-like name. The end-to-end test runs the real client against the
in-process simulator, behind a small rewriting transport that adds fields the simulator does
not send (a mock only of the API's future, which the simulator cannot give).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from flow_widgets.api.client import FlowClient
from flow_widgets.api.models import (
    Account,
    AccountModel,
    AccountSummary,
    Asset,
    Character,
    Job,
    Media,
    Voice,
)
from flow_widgets.simulator.app import create_app

MEDIA_ID = "user:1-email:616263-video:AbC"
NEW = {"newField": {"nested": [1, "two"]}, "watermark": "synthid"}


def _media_entry() -> dict[str, Any]:
    return {"mediaGenerationId": MEDIA_ID, "videoUrl": "https://x.test/v.mp4", **NEW}


CASES: list[tuple[str, Callable[[], Any]]] = [
    ("job", lambda: Job.from_api({"jobid": "j-1", "status": "completed", **NEW})),
    ("media", lambda: Media.from_api(_media_entry())),
    (
        "legacy operation",
        lambda: Media.from_api({"operation": {}, "mediaGenerationId": MEDIA_ID, **NEW}),
    ),
    ("voice", lambda: Voice.from_api({"voice": "user:v-1", **NEW})),
    ("character", lambda: Character.from_api({"character": "user:c-1", **NEW})),
    (
        "asset",
        lambda: Asset.from_api({"mediaGenerationId": {"mediaGenerationId": MEDIA_ID}, **NEW}),
    ),
    ("account", lambda: Account.from_api({"health": "OK", **NEW}, email="a@example.org")),
    ("account summary", lambda: AccountSummary.from_api("a@example.org", {**NEW})),
    ("account model", lambda: AccountModel.from_api({"key": "veo_9", **NEW})),
]


@pytest.mark.parametrize(("name", "parse"), CASES, ids=[c[0] for c in CASES])
def test_unknown_keys_survive_parse_to_dict_and_from_dict(
    name: str, parse: Callable[[], Any]
) -> None:
    model = parse()
    assert dict(model.extra) == NEW
    stored = json.loads(json.dumps(model.to_dict()))
    again = type(model).from_dict(stored)
    assert again == model
    assert dict(again.extra) == NEW


def test_known_keys_are_not_repeated_in_extra() -> None:
    job = Job.from_api(
        {"jobid": "j-1", "status": "completed", "response": {"media": [_media_entry()]}}
    )
    assert dict(job.extra) == {}
    assert dict(job.media[0].extra) == NEW


def test_an_old_ledger_row_without_extra_still_reads() -> None:
    job = Job.from_api({"jobid": "j-1", "status": "completed"})
    row = job.to_dict()
    del row["extra"]
    assert Job.from_dict(row) == job


def test_account_extras_never_keep_credentials() -> None:
    body = {
        "health": "OK",
        "cookies": "SID=secret-cookie",
        "sessionData": {"access_token": "ya29.session"},
        "access_token": "ya29.top",
        "refresh_token": "1//refresh",
        "profile": {"name": "Ann", "authHeader": "Bearer abc", "ids": ["ya29.in-a-list"]},
        "note": "eyJhbGciOi.jwt",
    }
    account = Account.from_api(body, email="a@example.org")
    text = json.dumps(account.to_dict())
    for secret in ("secret-cookie", "ya29.", "1//refresh", "Bearer abc", "eyJhbGciOi"):
        assert secret not in text
    assert set(account.extra) == {"refresh_token", "profile", "note"}
    assert account.extra["profile"]["name"] == "Ann"


class _Rewriting(httpx.BaseTransport):
    """The simulator, with unknown fields added to the account replies."""

    def __init__(self) -> None:
        self.inner = httpx.ASGITransport(app=create_app(seed=3))

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        import anyio

        async def call() -> httpx.Response:
            response = await self.inner.handle_async_request(request)
            await response.aread()
            return response

        response = anyio.run(call)
        if request.method != "GET" or not request.url.path.endswith(("/accounts", ".com")):
            return response
        body = response.json()
        if request.url.path.endswith("/accounts"):
            body.update({"total": 1, "meta": {"page": 1}})
            for entry in body.values():
                if isinstance(entry, dict):
                    entry["region"] = "eu"
        else:
            body["region"] = "eu"
        return httpx.Response(response.status_code, json=body, headers={"x-rewritten": "1"})


def test_an_unknown_key_in_get_accounts_does_not_fail_the_read() -> None:
    with FlowClient(
        "user:1-x", base_url="http://sim.test/v1/google-flow", transport=_Rewriting()
    ) as client:
        accounts = client.accounts.list()
        assert accounts, "the simulator has accounts"
        assert all(a.extra["region"] == "eu" for a in accounts)
        assert all("@" in a.email for a in accounts)
        account = client.accounts.get(accounts[0].email)
        assert account.extra["region"] == "eu"
        assert "cookies" not in json.dumps(account.to_dict())


def test_a_jobs_unknown_fields_survive_the_ledger(tmp_path: Any) -> None:
    from flow_widgets.runtime.ledger import Ledger

    job = Job.from_api(
        {"jobid": "j-1", "status": "created", "region": "eu", "sessionToken": "tok-123456"}
    )
    with Ledger(tmp_path / "ledger.sqlite3") as ledger:
        sid = ledger.begin_submission(
            kind="video",
            endpoint="/videos",
            payload={"prompt": "a fox"},
            fingerprint="fp-1",
            model="veo-3.1-lite",
            estimate=20,
            account=None,
        )
        ledger.mark_accepted(sid, job.jobid, None, job.to_dict())
        stored = ledger.get(sid)
    assert stored is not None and stored.job is not None
    again = Job.from_dict(stored.job)
    assert again.extra["region"] == "eu"
    assert "tok-123456" not in json.dumps(stored.job)  # the ledger's redactor still applies
