"""Settings: where the token and folders come from, and that the token never shows."""

from __future__ import annotations

from pathlib import Path

import pytest

from flow_widgets.errors import ConfigError
from flow_widgets.runtime.settings import (
    DEFAULT_BASE_URL,
    Settings,
    read_dotenv,
    user_data_dir,
)

CANARY = "user:4242-FLOWCANARYa1b2c3d4"


def test_no_token_anywhere_means_the_simulator(tmp_path: Path) -> None:
    settings = Settings.resolve(env={}, cwd=tmp_path)
    assert settings.simulated
    assert settings.token is None and settings.token_source is None
    assert settings.base_url == DEFAULT_BASE_URL
    assert settings.media_dir == tmp_path / "flow_media"
    assert "simulator" in repr(settings)


def test_argument_beats_environment_beats_dotenv(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "# my keys\nexport USEAPI_TOKEN='user:1-fromdotenv'\nUSEAPI_EMAIL=a@b.com # default\n"
        "UNRELATED=ignored\n"
    )
    from_file = Settings.resolve(env={}, cwd=tmp_path)
    assert from_file.token == "user:1-fromdotenv"
    assert from_file.token_source == ".env file"
    assert from_file.email == "a@b.com"

    from_env = Settings.resolve(env={"USEAPI_TOKEN": "user:2-fromenv"}, cwd=tmp_path)
    assert (from_env.token, from_env.token_source) == ("user:2-fromenv", "environment")

    from_arg = Settings.resolve(
        token="user:3-fromarg", env={"USEAPI_TOKEN": "user:2-fromenv"}, cwd=tmp_path
    )
    assert (from_arg.token, from_arg.token_source) == ("user:3-fromarg", "argument")


def test_folders_come_from_the_environment_or_per_user_defaults(tmp_path: Path) -> None:
    env = {
        "FLOW_WIDGETS_HOME": str(tmp_path / "home"),
        "FLOW_MEDIA_DIR": "out/media",
        "FLOW_API_BASE": "http://127.0.0.1:9999/v1/google-flow/",
    }
    settings = Settings.resolve(env=env, cwd=tmp_path)
    assert settings.data_dir == tmp_path / "home"
    assert settings.ledger_path == tmp_path / "home" / "ledger.sqlite3"
    assert settings.media_dir == tmp_path / "out" / "media"
    assert settings.base_url == "http://127.0.0.1:9999/v1/google-flow"
    linux_default = user_data_dir({"HOME": "/home/ann"})
    assert linux_default.name == "flow_widgets"


def test_the_token_never_appears_in_repr_or_str(tmp_path: Path) -> None:
    settings = Settings.resolve(token=CANARY, env={}, cwd=tmp_path)
    for text in (repr(settings), str(settings), f"{settings}"):
        assert CANARY not in text
        assert CANARY[-8:] not in text
        assert "set (argument)" in text


@pytest.mark.parametrize("bad", ["user:1 abc", "user:1-abc\nEVIL=1", "   "])
def test_a_malformed_token_is_refused_without_echoing_it(bad: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="USEAPI_TOKEN") as info:
        Settings(token=bad)
    assert bad.strip() not in str(info.value) or not bad.strip()


def test_a_base_url_without_http_is_refused() -> None:
    with pytest.raises(ConfigError, match="FLOW_API_BASE must start with https://"):
        Settings(base_url="api.useapi.net")


def test_dotenv_reader_tolerates_missing_or_odd_files(tmp_path: Path) -> None:
    assert read_dotenv(tmp_path / "absent.env") == {}
    odd = tmp_path / ".env"
    odd.write_bytes(b'\xff\xfeUSEAPI_TOKEN\nUSEAPI_EMAIL="x@y.z"\n=novalue\n')
    assert read_dotenv(odd) == {"USEAPI_EMAIL": "x@y.z"}
