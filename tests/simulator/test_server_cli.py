"""The three ways to run the simulator: background thread, ``python -m``, ``flow-widgets``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import httpx
import pytest

from flow_widgets import cli
from flow_widgets.simulator import DEMO_TOKEN, start_background
from flow_widgets.simulator.command import add_arguments, factory_kwargs


def test_background_server_serves_two_loopback_origins_and_stops() -> None:
    with start_background(seed=2) as sim:
        assert sim.base_url.startswith("http://127.0.0.1:") and sim.base_url.endswith(
            "/v1/google-flow"
        )
        assert sim.media_base_url.startswith("http://127.0.0.1:")
        assert sim.media_base_url.split(":")[-1] != sim.base_url.split(":")[2].split("/")[0]
        assert sim.token == DEMO_TOKEN
        assert httpx.get(sim.base_url + "/accounts", headers=sim.headers).status_code == 200
        assert sim.app_state.config.seed == 2
        thread = sim._thread
    assert not thread.is_alive()
    with pytest.raises(httpx.ConnectError):
        httpx.get(sim.base_url + "/accounts", headers=sim.headers, timeout=2)


def test_bad_settings_fail_fast_without_leaking_ports() -> None:
    with pytest.raises(ValueError, match="time_scale"):
        start_background(time_scale=0)
    with start_background() as sim:
        port = int(sim.base_url.split(":")[2].split("/")[0])
        with pytest.raises(OSError):
            start_background(port=port)


def test_factory_kwargs_from_command_line_options() -> None:
    import argparse

    parser = add_arguments(argparse.ArgumentParser())
    args = parser.parse_args(
        [
            "--seed",
            "4",
            "--account",
            "a@b.co:ultra_100:50",
            "--token",
            "user:1-x",
            "--test-controls",
        ]
    )
    kwargs = factory_kwargs(args)
    assert kwargs["seed"] == 4 and kwargs["test_controls"] is True and kwargs["token"] == "user:1-x"
    assert [(a.email, a.tier, a.credits) for a in kwargs["accounts"]] == [
        ("a@b.co", "ultra_100", 50)
    ]


def test_cli_reports_bad_options_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as leaving:
        cli.main(["simulator", "--port", "0", "--account", "a@b.co:gold"])
    assert leaving.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "tier" in err[0]
    with pytest.raises(SystemExit):
        cli.main([])


def _serve(*options: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "flow_widgets.simulator", "--port", "0", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def _interrupt(process: subprocess.Popen[str]) -> tuple[int, str]:
    """Ctrl-C the server; its exit status and everything it printed afterwards."""
    process.send_signal(signal.SIGINT)
    try:
        out, err = process.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate(timeout=5)
    return process.returncode, out + err


def test_python_dash_m_prints_the_url_and_token_and_serves_until_interrupted() -> None:
    with _serve("--seed", "3", "--test-controls") as process:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(3)]
        try:
            base_url = lines[0].split()[-1]
            token = lines[2].split()[2]
            assert base_url.startswith("http://127.0.0.1:") and token == DEMO_TOKEN
            response = httpx.get(
                base_url + "/accounts", headers={"Authorization": f"Bearer {token}"}
            )
            assert response.status_code == 200
            assert httpx.get(base_url + "/_sim/clock").status_code == 200
        finally:
            status, _ = _interrupt(process)
    assert status == 0


def test_a_configured_token_is_never_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOW_SIMULATOR_TOKEN", "user:9-TOPSECRET")
    with _serve() as process:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(4)]
        _, rest = _interrupt(process)
    printed = "".join(lines) + rest
    assert "TOPSECRET" not in printed and "the one you configured" in printed
