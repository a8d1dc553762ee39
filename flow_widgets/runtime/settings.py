"""Where the session's settings come from: arguments, the environment, a ``.env`` file, Colab's
secrets, the OS keychain, defaults.

Why a module of its own: the token must be found where users already keep it (``USEAPI_TOKEN``
in the environment, a ``.env`` file next to the notebook, Colab's Secrets panel, the OS keychain,
or ``%flow login`` — never a magic argument), and it must never leak through a ``repr``, a log
line or a traceback. :class:`Settings` keeps the token out of its ``repr`` and shows only where
it came from. Paths are resolved once, here, so every part of the runtime agrees on the data
folder (ledger) and the media folder (downloads).

Each source is read by the library its ecosystem uses: ``.env`` by python-dotenv (quotes,
escapes, multiline values, ``${VAR}``), Colab's secrets by ``google.colab.userdata``, the
keychain by keyring (an optional extra: ``pip install "flow-widgets[keyring]"``), the per-user
data folder by platformdirs.

Precedence for each value: explicit argument (or ``%flow login``), then the process environment,
then ``.env`` in the working folder, then — for the token only — Colab's secrets and the OS
keychain, then the default. No token at all means the embedded simulator.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from flow_widgets.errors import ConfigError

log = logging.getLogger("flow_widgets.settings")

__all__ = [
    "DEFAULT_BASE_URL",
    "ENV_BASE_URL",
    "ENV_DATA_DIR",
    "ENV_EMAIL",
    "ENV_MEDIA_DIR",
    "ENV_SIM_TIME_SCALE",
    "ENV_TOKEN",
    "KEYRING_SERVICE",
    "Settings",
    "colab_secret",
    "keychain_token",
    "read_dotenv",
    "simulator_time_scale",
    "user_data_dir",
]

DEFAULT_BASE_URL = "https://api.useapi.net/v1/google-flow"
ENV_TOKEN = "USEAPI_TOKEN"
ENV_EMAIL = "USEAPI_EMAIL"
ENV_BASE_URL = "FLOW_API_BASE"
ENV_DATA_DIR = "FLOW_WIDGETS_HOME"
ENV_MEDIA_DIR = "FLOW_MEDIA_DIR"
ENV_SIM_TIME_SCALE = "FLOW_SIM_TIME_SCALE"
_KNOWN_KEYS = (ENV_TOKEN, ENV_EMAIL, ENV_BASE_URL, ENV_DATA_DIR, ENV_MEDIA_DIR, ENV_SIM_TIME_SCALE)
_DOTENV_MAX_BYTES = 64 * 1024
LEDGER_FILE = "ledger.sqlite3"
#: The keychain entry holding the token: ``keyring set flow-widgets USEAPI_TOKEN``.
KEYRING_SERVICE = "flow-widgets"
SOURCE_COLAB = "Colab secrets"
SOURCE_KEYCHAIN = "OS keychain"


def read_dotenv(path: Path) -> dict[str, str]:
    """The flow_widgets keys found in a ``.env`` file, or ``{}``.

    python-dotenv reads it the way other tools do: comments, ``export KEY=value``, single or
    double quotes, escapes and multiline values in double quotes, and ``${VAR}`` taken from keys
    earlier in the file or from the environment. Only the keys this package reads are returned;
    nothing is put into ``os.environ``. Undecodable bytes are replaced rather than fatal, and a
    file larger than 64 KiB is not a ``.env`` file.
    """
    from dotenv import dotenv_values

    try:
        if not path.is_file() or path.stat().st_size > _DOTENV_MAX_BYTES:
            return {}
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}
    values = dotenv_values(stream=io.StringIO(text), interpolate=True)
    return {key: value for key, value in values.items() if key in _KNOWN_KEYS and value}


def colab_secret(name: str = ENV_TOKEN) -> str | None:
    """``name`` from Colab's Secrets panel when running in Colab, else ``None``.

    ``google.colab`` exists only inside Colab, so it is looked up before being imported. A secret
    that is missing, or that this notebook was not granted access to, is no token rather than
    an error: the embedded simulator answers and the banner says how to set one.
    """
    import importlib.util

    try:
        if importlib.util.find_spec("google.colab") is None:
            return None
        from google.colab import userdata  # type: ignore[import-not-found,unused-ignore]

        value = userdata.get(name)
    except Exception as exc:  # noqa: BLE001 - not found / no access / not a Colab kernel
        log.debug("no %s in Colab secrets (%s)", name, type(exc).__name__)
        return None
    return str(value) if value else None


def keychain_token() -> str | None:
    """The token stored in the OS keychain under :data:`KEYRING_SERVICE`, else ``None``.

    keyring is optional (``pip install "flow-widgets[keyring]"``); without it, or without a
    usable keychain backend (a server with no Secret Service), there is simply no token here.
    """
    try:
        import keyring

        value = keyring.get_password(KEYRING_SERVICE, ENV_TOKEN)
    except Exception as exc:  # noqa: BLE001 - not installed / no backend / locked keychain
        log.debug("no token in the OS keychain (%s)", type(exc).__name__)
        return None
    return value or None


def user_data_dir(env: Mapping[str, str] | None = None) -> Path:
    """The per-user folder for the ledger and caches on this platform, from platformdirs.

    ``~/.local/share/flow_widgets`` (or ``$XDG_DATA_HOME/flow_widgets``) on Linux,
    ``~/Library/Application Support/flow_widgets`` on macOS, ``%LOCALAPPDATA%\\flow_widgets``
    on Windows. ``FLOW_WIDGETS_HOME`` overrides it in :meth:`Settings.resolve`. ``env`` is
    accepted for earlier callers and not read: platformdirs reads the process environment.
    """
    import platformdirs

    del env
    return platformdirs.user_data_path("flow_widgets", appauthor=False)


@dataclass(frozen=True)
class Settings:
    """Resolved settings for one session. The token never appears in ``repr`` or ``str``.

    Attributes:
        token: the useapi.net API token, or ``None`` for the embedded simulator.
        token_source: where the token came from (``"argument"``, ``"%flow login"``,
            ``"environment"``, ``".env file"``, ``"Colab secrets"``, ``"OS keychain"``), or
            ``None``.
        base_url: the API's base URL (ignored when the simulator is used).
        email: the default Google account for requests (``None``: load balancing).
        media_dir: where downloaded media go (relative paths resolve against the working folder).
        data_dir: where the ledger lives.
    """

    token: str | None = field(default=None, repr=False)
    token_source: str | None = None
    base_url: str = DEFAULT_BASE_URL
    email: str | None = None
    media_dir: Path = Path("flow_media")
    data_dir: Path = field(default_factory=user_data_dir)

    def __post_init__(self) -> None:
        if self.token is not None and (not self.token.strip() or _has_space(self.token)):
            raise ConfigError(
                f"{ENV_TOKEN} is blank or contains spaces or line breaks; copy the token again "
                "from your useapi.net account page."
            )
        if not self.base_url.startswith(("https://", "http://")):
            raise ConfigError(
                f"{ENV_BASE_URL} must start with https:// (got {self.base_url[:60]!r}); "
                f"leave it unset to use {DEFAULT_BASE_URL}."
            )

    def __repr__(self) -> str:
        token = f"set ({self.token_source})" if self.token is not None else "none (simulator)"
        return (
            f"Settings(token={token}, base_url={self.base_url!r}, email={self.email!r}, "
            f"media_dir={str(self.media_dir)!r}, data_dir={str(self.data_dir)!r})"
        )

    __str__ = __repr__

    @property
    def simulated(self) -> bool:
        """True when no token is configured: the session runs on the embedded simulator."""
        return self.token is None

    @property
    def ledger_path(self) -> Path:
        """The ledger's database file."""
        return self.data_dir / LEDGER_FILE

    @classmethod
    def resolve(
        cls,
        *,
        token: str | None = None,
        base_url: str | None = None,
        email: str | None = None,
        media_dir: str | os.PathLike[str] | None = None,
        data_dir: str | os.PathLike[str] | None = None,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        token_source: str = "argument",
    ) -> Settings:
        """Settings from arguments, the environment, ``.env`` in ``cwd``, then (token only)
        Colab's secrets and the OS keychain, then defaults.

        ``token_source`` names where an explicit ``token`` came from (``"%flow login"``)."""
        environ = os.environ if env is None else env
        folder = Path.cwd() if cwd is None else Path(cwd)
        dotenv = read_dotenv(folder / ".env")

        def pick(
            argument: str | os.PathLike[str] | None, key: str
        ) -> tuple[str | None, str | None]:
            if argument is not None:
                return os.fspath(argument), "argument"
            if environ.get(key):
                return environ[key], "environment"
            if dotenv.get(key):
                return dotenv[key], ".env file"
            return None, None

        found_token, found_source = pick(token, ENV_TOKEN)
        if found_source == "argument":
            found_source = token_source
        elif not found_token:
            for source, lookup in ((SOURCE_COLAB, colab_secret), (SOURCE_KEYCHAIN, keychain_token)):
                found_token = lookup()
                if found_token:
                    found_source = source
                    break
        found_base, _ = pick(base_url, ENV_BASE_URL)
        found_email, _ = pick(email, ENV_EMAIL)
        found_media, _ = pick(media_dir, ENV_MEDIA_DIR)
        found_data, _ = pick(data_dir, ENV_DATA_DIR)
        media = Path(found_media).expanduser() if found_media else Path("flow_media")
        if not media.is_absolute():
            media = folder / media
        return cls(
            token=found_token.strip() if found_token else None,
            token_source=found_source if found_token else None,
            base_url=(found_base or DEFAULT_BASE_URL).rstrip("/"),
            email=found_email or None,
            media_dir=media,
            data_dir=Path(found_data).expanduser() if found_data else user_data_dir(),
        )


def simulator_time_scale(
    env: Mapping[str, str] | None = None, cwd: str | os.PathLike[str] | None = None
) -> float | None:
    """How fast the embedded simulator's clock runs, from ``FLOW_SIM_TIME_SCALE``, or ``None``.

    Wall seconds per API second (``0.03`` makes a 100 s Veo clip take 3 s); the environment
    wins over ``.env`` in ``cwd``. Executed notebooks and CI set it lower to finish sooner; a
    class can set it higher so jobs take a visible moment.

    >>> simulator_time_scale({"FLOW_SIM_TIME_SCALE": "0.01"})
    0.01
    """
    environ = os.environ if env is None else env
    text = environ.get(ENV_SIM_TIME_SCALE) or read_dotenv(
        (Path.cwd() if cwd is None else Path(cwd)) / ".env"
    ).get(ENV_SIM_TIME_SCALE)
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0.0 < value <= 10.0:
        raise ConfigError(
            f"{ENV_SIM_TIME_SCALE} must be a number above 0 and at most 10, such as 0.03 (got "
            f"{text[:20]!r}); unset it for the default speed."
        )
    return value


def _has_space(text: str) -> bool:
    return any(ch.isspace() for ch in text.strip())
