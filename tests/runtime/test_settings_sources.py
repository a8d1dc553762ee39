"""Where users keep the token: ``.env`` (python-dotenv), Colab's secrets, the OS keychain.

Two stand-ins, because the real things cannot run here: Colab's ``google.colab.userdata`` exists
only inside a Colab runtime, so a small module with the same ``get`` (and the same "not found"
error) is put into ``sys.modules``; and the machine has no keychain daemon, so keyring gets an
in-memory backend written below (keyring's own API, ``keyring.set_keyring``). Every test
process uses keyring's null backend otherwise (tests/conftest.py).
"""

from __future__ import annotations

import importlib.machinery
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import keyring
import platformdirs
import pytest
from keyring.backend import KeyringBackend
from keyring.backends.null import Keyring as NullKeyring

from flow_widgets.runtime.settings import KEYRING_SERVICE, Settings, read_dotenv, user_data_dir

CANARY = "user:4242-FLOWCANARYkeychain9"


class MemoryKeyring(KeyringBackend):
    """A keychain that lives in a dict (stand-in for macOS Keychain / Secret Service)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.items.pop((service, username), None)


@pytest.fixture
def keychain() -> Iterator[MemoryKeyring]:
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    try:
        yield memory
    finally:
        keyring.set_keyring(NullKeyring())


class SecretNotFoundError(Exception):
    """What ``google.colab.userdata.get`` raises for a secret that is not there."""


@pytest.fixture
def colab(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Stand-in for ``google.colab.userdata`` (only Colab has the real one)."""
    secrets: dict[str, str] = {}

    def get(key: str) -> str:
        if key not in secrets:
            raise SecretNotFoundError(key)
        return secrets[key]

    modules = {}
    for name in ("google", "google.colab", "google.colab.userdata"):
        module = types.ModuleType(name)
        module.__spec__ = importlib.machinery.ModuleSpec(name, None, is_package=True)
        modules[name] = module
    modules["google.colab.userdata"].get = get  # type: ignore[attr-defined]
    modules["google.colab"].userdata = modules["google.colab.userdata"]  # type: ignore[attr-defined]
    modules["google"].colab = modules["google.colab"]  # type: ignore[attr-defined]
    for name, module in modules.items():
        monkeypatch.setitem(sys.modules, name, module)
    return secrets


def test_dotenv_multiline_escapes_and_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHARED_DRIVE", "/mnt/class")
    (tmp_path / ".env").write_text(
        "# course settings\n"
        'USEAPI_EMAIL="teacher@school.edu"\n'
        "ROOT=${SHARED_DRIVE}/flow\n"
        'FLOW_MEDIA_DIR="${ROOT}/media"\n'
        'FLOW_WIDGETS_HOME="line one\nline two"\n'
        "export USEAPI_TOKEN=user:7-abc  # the class account\n"
    )
    found = read_dotenv(tmp_path / ".env")
    assert found["FLOW_MEDIA_DIR"] == "/mnt/class/flow/media"
    assert found["FLOW_WIDGETS_HOME"] == "line one\nline two"
    assert found["USEAPI_TOKEN"] == "user:7-abc"
    assert found["USEAPI_EMAIL"] == "teacher@school.edu"
    assert "ROOT" not in found
    settings = Settings.resolve(env={}, cwd=tmp_path)
    assert settings.media_dir == Path("/mnt/class/flow/media")
    assert settings.token_source == ".env file"


def test_dotenv_double_quoted_escapes(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text('USEAPI_EMAIL="a\\"b@c.d"\nFLOW_API_BASE="http://x\\ty"\n')
    found = read_dotenv(tmp_path / ".env")
    assert found["USEAPI_EMAIL"] == 'a"b@c.d'
    assert found["FLOW_API_BASE"] == "http://x\ty"


def test_the_keychain_gives_the_token_when_nothing_else_does(
    tmp_path: Path, keychain: MemoryKeyring
) -> None:
    keychain.set_password(KEYRING_SERVICE, "USEAPI_TOKEN", CANARY)
    settings = Settings.resolve(env={}, cwd=tmp_path)
    assert (settings.token, settings.token_source) == (CANARY, "OS keychain")
    assert CANARY not in repr(settings) and "set (OS keychain)" in repr(settings)
    from_env = Settings.resolve(env={"USEAPI_TOKEN": "user:2-env"}, cwd=tmp_path)
    assert from_env.token_source == "environment"


def test_without_keyring_installed_there_is_no_keychain_token(
    tmp_path: Path, keychain: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    keychain.set_password(KEYRING_SERVICE, "USEAPI_TOKEN", CANARY)
    monkeypatch.setitem(sys.modules, "keyring", None)  # as if the extra were not installed
    assert Settings.resolve(env={}, cwd=tmp_path).simulated


def test_colab_secrets_come_after_dotenv_and_before_the_keychain(
    tmp_path: Path, colab: dict[str, str], keychain: MemoryKeyring
) -> None:
    keychain.set_password(KEYRING_SERVICE, "USEAPI_TOKEN", "user:3-keychain")
    assert Settings.resolve(env={}, cwd=tmp_path).token_source == "OS keychain"
    colab["USEAPI_TOKEN"] = CANARY
    settings = Settings.resolve(env={}, cwd=tmp_path)
    assert (settings.token, settings.token_source) == (CANARY, "Colab secrets")
    (tmp_path / ".env").write_text("USEAPI_TOKEN=user:1-dotenv\n")
    assert Settings.resolve(env={}, cwd=tmp_path).token_source == ".env file"


def test_a_colab_secret_that_is_missing_means_the_simulator(
    tmp_path: Path, colab: dict[str, str]
) -> None:
    assert Settings.resolve(env={}, cwd=tmp_path).simulated


def test_the_data_folder_comes_from_platformdirs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert user_data_dir() == platformdirs.user_data_path("flow_widgets", appauthor=False)
    if sys.platform.startswith("linux"):
        monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
        assert user_data_dir() == tmp_path / "xdg" / "flow_widgets"
        monkeypatch.delenv("FLOW_WIDGETS_HOME")
        assert Settings.resolve(env={}, cwd=tmp_path).data_dir == tmp_path / "xdg" / "flow_widgets"


def test_flow_config_names_the_keychain_and_never_the_token(
    tmp_path: Path, keychain: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    from IPython.core.displaypub import CapturingDisplayPublisher
    from IPython.core.interactiveshell import InteractiveShell

    from flow_widgets.runtime.session import current_session

    assert current_session() is None, "%flow config reports the settings a session would use"
    keychain.set_password(KEYRING_SERVICE, "USEAPI_TOKEN", CANARY)
    monkeypatch.chdir(tmp_path)
    ip = InteractiveShell.instance()
    pub = CapturingDisplayPublisher()
    monkeypatch.setattr(ip, "display_pub", pub)
    ip.run_line_magic("load_ext", "flow_widgets")
    try:
        ip.run_cell("%flow config", store_history=False)
    finally:
        ip.run_line_magic("unload_ext", "flow_widgets")
    shown = repr(pub.outputs)
    assert "token from OS keychain" in shown
    assert CANARY not in shown and CANARY[-8:] not in shown
