"""Where the session's settings come from: arguments, the environment, a ``.env`` file, defaults.

Why a module of its own: the token must be found the way users expect (``USEAPI_TOKEN`` in the
environment, or a ``.env`` file next to the notebook, never a magic argument), and it must never
leak through a ``repr``, a log line or a traceback. :class:`Settings` keeps the token out of its
``repr`` and shows only where it came from. Paths are resolved once, here, so every part of the
runtime agrees on the data folder (ledger) and the media folder (downloads).

Precedence for each value: explicit argument, then the process environment, then ``.env`` in the
working folder, then the default. No token at all means the embedded simulator.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from flow_widgets.errors import ConfigError

__all__ = [
    "DEFAULT_BASE_URL",
    "ENV_BASE_URL",
    "ENV_DATA_DIR",
    "ENV_EMAIL",
    "ENV_MEDIA_DIR",
    "ENV_SIM_TIME_SCALE",
    "ENV_TOKEN",
    "Settings",
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


def read_dotenv(path: Path) -> dict[str, str]:
    """The flow_widgets keys found in a ``.env`` file (``KEY=value`` lines), or ``{}``.

    Understands comments, blank lines, ``export KEY=value`` and single or double quotes. Only the
    keys this package reads are returned; nothing is put into ``os.environ``.
    """
    try:
        if not path.is_file() or path.stat().st_size > _DOTENV_MAX_BYTES:
            return {}
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}
    found: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :].lstrip()
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or key not in _KNOWN_KEYS:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        found[key] = value
    return found


def user_data_dir(env: Mapping[str, str] | None = None) -> Path:
    """The per-user folder for the ledger and caches on this platform."""
    env = os.environ if env is None else env
    home = Path(env.get("HOME") or Path.home())
    if sys.platform == "win32":
        base = Path(env.get("LOCALAPPDATA") or home / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = home / "Library" / "Application Support"
    else:
        base = Path(env.get("XDG_DATA_HOME") or home / ".local" / "share")
    return base / "flow_widgets"


@dataclass(frozen=True)
class Settings:
    """Resolved settings for one session. The token never appears in ``repr`` or ``str``.

    Attributes:
        token: the useapi.net API token, or ``None`` for the embedded simulator.
        token_source: where the token came from (``"argument"``, ``"environment"``,
            ``".env file"``), or ``None``.
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
    ) -> Settings:
        """Settings from arguments, the environment, ``.env`` in ``cwd``, then defaults."""
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

        found_token, token_source = pick(token, ENV_TOKEN)
        found_base, _ = pick(base_url, ENV_BASE_URL)
        found_email, _ = pick(email, ENV_EMAIL)
        found_media, _ = pick(media_dir, ENV_MEDIA_DIR)
        found_data, _ = pick(data_dir, ENV_DATA_DIR)
        media = Path(found_media).expanduser() if found_media else Path("flow_media")
        if not media.is_absolute():
            media = folder / media
        return cls(
            token=found_token.strip() if found_token else None,
            token_source=token_source if found_token else None,
            base_url=(found_base or DEFAULT_BASE_URL).rstrip("/"),
            email=found_email or None,
            media_dir=media,
            data_dir=Path(found_data).expanduser() if found_data else user_data_dir(environ),
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
