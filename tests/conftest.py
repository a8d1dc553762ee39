"""Shared fixtures: every test runs with a clean environment and its own home folder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

_ENV_PREFIXES = ("USEAPI_", "FLOW_")

# Bind the name ``tests`` to this folder now: IPython 7 puts its own ``IPython/extensions`` on
# sys.path, whose ``tests`` package would otherwise win ``from tests.magics... import``.
import tests  # noqa: E402, F401

# No test, and no kernel or process a test starts, may find a token in the developer's real OS
# keychain (it would switch a simulator test to the real API): keyring's null backend for all.
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"


@pytest.fixture(autouse=True)
def isolated_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    """Clear USEAPI_*/FLOW_* variables and point the data folder at a fresh temporary one."""
    import os

    for name in list(os.environ):
        if name.startswith(_ENV_PREFIXES):
            monkeypatch.delenv(name)
    home = tmp_path_factory.mktemp("flow_home")
    monkeypatch.setenv("FLOW_WIDGETS_HOME", str(home))
    yield home


@pytest.fixture
def anyio_backend() -> str:
    """Async tests run on asyncio (the engine's loop is asyncio)."""
    return "asyncio"
