"""``flow-widgets gateway …``: the teacher's commands against a real database."""

from __future__ import annotations

import psycopg
import pytest

from flow_widgets.cli import main
from flow_widgets.gateway.store import hash_token


def test_add_student_prints_a_token_stored_only_as_its_hash(
    pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["gateway", "--ledger-url", pg_url, "add-student", "ana", "--allowance", "300"]) == 0
    )
    token = capsys.readouterr().out.strip()
    assert token.startswith("fwst-") and len(token) > 30
    with psycopg.connect(pg_url) as conn:
        rows = conn.execute("SELECT name, token_sha256, allowance FROM students").fetchall()
        dump = str(conn.execute("SELECT * FROM students").fetchall())
    assert rows == [("ana", hash_token(token), 300)]
    assert token not in dump
    # Re-issuing replaces the token and keeps the allowance; revoking refuses it.
    assert main(["gateway", "--ledger-url", pg_url, "add-student", "ana"]) == 0
    assert capsys.readouterr().out.strip() != token
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT allowance FROM students").fetchone() == (300,)
    assert main(["gateway", "--ledger-url", pg_url, "revoke-student", "ana"]) == 0
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT revoked FROM students").fetchone() == (True,)


def test_bad_input_is_one_plain_sentence(
    pg_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("USEAPI_TOKEN", raising=False)
    monkeypatch.delenv("FLOW_LEDGER_URL", raising=False)
    cases = [
        (["gateway", "add-student", "ana"], "must be a postgresql:// URL"),
        (["gateway", "--ledger-url", pg_url, "revoke-student", "zoe"], "no student called 'zoe'"),
        (
            ["gateway", "--ledger-url", pg_url, "serve", "--account", "a@gmail.com:2"],
            "USEAPI_TOKEN",
        ),
    ]
    for argv, words in cases:
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 2
        assert words in capsys.readouterr().err
    monkeypatch.setenv("USEAPI_TOKEN", "user:1-x")
    with pytest.raises(SystemExit):
        main(["gateway", "--ledger-url", pg_url, "serve", "--account", "a@gmail.com"])
    assert "write it as NAME:NUMBER" in capsys.readouterr().err
    monkeypatch.delenv("JUPYTERHUB_API_URL", raising=False)
    serve = ["gateway", "--ledger-url", pg_url, "serve", "--account", "a@gmail.com:2"]
    for extra, words in [
        (["--hub"], "--hub needs the Hub's API URL"),
        (["--hub-allowance", "300"], "--hub-allowance needs --hub"),
        (["--max-attempts", "0"], "--max-attempts must be 1 or more"),
    ]:
        with pytest.raises(SystemExit):
            main([*serve, *extra])
        assert words in capsys.readouterr().err, extra


def test_pause_allowance_and_spend(pg_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.gateway.harness import bearer, gateway_thread, setup_class, simulator

    (ana,) = setup_class(pg_url, 1, allowance=100, budget=1000)
    gw = ["gateway", "--ledger-url", pg_url]
    with simulator() as sim, gateway_thread(pg_url, sim) as base:
        import httpx

        def post() -> httpx.Response:
            return httpx.post(f"{base}/videos", json={"prompt": "x"}, headers=bearer(ana))

        assert main([*gw, "pause"]) == 0
        answer = post()
        assert answer.status_code == 423 and "paused" in answer.json()["error"]
        assert main([*gw, "resume"]) == 0
        assert post().status_code == 201
        assert post().status_code == 402  # allowance 100 = one video
        assert main([*gw, "allowance", "s0", "200"]) == 0
        assert post().status_code == 201
    capsys.readouterr()
    assert main([*gw, "spend"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "class: 200 of 1000 credits spent",
        "s0: 200 of 200",
    ]
    with pytest.raises(SystemExit):
        main([*gw, "allowance", "s0", "100"])
    assert "already spent 200 credits" in capsys.readouterr().err
