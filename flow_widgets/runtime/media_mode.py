"""Which media mode this kernel uses, and why: ``files``, ``embed``, ``serve`` or ``auto``.

Why a setting of its own: the frontends that open a notebook reach different things (DESIGN
decisions 3 and 11). JupyterLab, Notebook 7 and Voilà resolve a relative ``src`` next to the
notebook; VS Code does too but cannot play AAC sound; Colab cannot load files from the
runtime's disk at all. The user can say which mode they want; ``auto`` (the default) picks by
the frontend the kernel is talking to:

* VS Code — recognised by the ``__vsc_ipynb_file__`` name VS Code puts in the kernel's
  namespace. Environment variables are *not* used: a ``jupyter lab`` started from VS Code's
  terminal inherits them too. Files, plus a companion of each clip with MP3 sound as the ``src``.
* Colab — recognised by ``google.colab`` being importable (or already imported). Embedded
  previews while they fit the cap, so a reopened notebook still plays; served beyond it.
* anywhere else — files.

Where the choice comes from, first match wins: ``%config FlowMagics.media`` or
``fw.session(media=…)`` (whichever was set last), then ``FLOW_MEDIA_MODE``, then ``auto``.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import threading
from dataclasses import dataclass
from typing import Any

from flow_widgets.errors import ValidationError

__all__ = [
    "ENV_VAR",
    "MODES",
    "MediaChoice",
    "detect_frontend",
    "media_choice",
    "reset_media_mode",
    "set_media_mode",
]

MODES = ("auto", "files", "embed", "serve")
ENV_VAR = "FLOW_MEDIA_MODE"
#: The name VS Code's Jupyter extension defines in the kernel's namespace (the notebook's path).
VSCODE_NAME = "__vsc_ipynb_file__"

_lock = threading.Lock()
_explicit: tuple[str, str] | None = None


@dataclass(frozen=True)
class MediaChoice:
    """The mode in force: what the user asked for, what the frontend is, and the effect.

    Attributes:
        asked: the setting as given (``auto`` included).
        source: where the setting came from (``%config FlowMagics.media``, ``FLOW_MEDIA_MODE``,
            ``fw.session(media=…)`` or ``default``).
        frontend: ``vscode``, ``colab`` or ``jupyter`` (anything else).
        mode: what ``auto`` resolved to for this frontend (the asked mode otherwise):
            ``files``, ``embed``, ``serve``, ``vscode`` (files + MP3 companions) or ``colab``
            (embed under the cap, serve beyond).
    """

    asked: str
    source: str
    frontend: str
    mode: str

    def describe(self) -> str:
        """One sentence for ``%flow config``: the mode and why."""
        what = {
            "files": "files (a relative link to flow_media/; the card also carries a poster)",
            "embed": "embed (a compact H.264/MP3 preview inside the output, under the caps)",
            "serve": "serve (a loopback server in the kernel; posters stay in the notebook)",
            "vscode": "files + a copy of each clip with MP3 sound, which VS Code can play",
            "colab": "embed while under the caps (plays after reopening), serve beyond them",
        }[self.mode]
        if self.asked != "auto":
            return f"{what}, as set by {self.source}."
        seen = {
            "vscode": f"the kernel's namespace has {VSCODE_NAME}, so this is VS Code",
            "colab": "google.colab is importable, so this is Colab",
            "jupyter": "neither VS Code nor Colab was detected (JupyterLab, Notebook 7, Voilà …)",
        }[self.frontend]
        return f"{what}: auto ({self.source}) and {seen}."


def _check(mode: object, source: str) -> str:
    text = str(mode).strip().lower()
    if text not in MODES:
        raise ValidationError(
            f"{source} must be one of {', '.join(MODES)}; {mode!r} is not a media mode.",
            field="media",
        )
    return text


def set_media_mode(mode: str | None, source: str = "fw.session(media=…)") -> None:
    """Set the mode for this kernel (``None`` goes back to ``FLOW_MEDIA_MODE`` / ``auto``).

    Raises:
        ValidationError: ``mode`` is not one of :data:`MODES` (one plain sentence).
    """
    global _explicit
    value = None if mode is None else (_check(mode, source), source)
    with _lock:
        _explicit = value


def reset_media_mode() -> None:
    """Forget an explicit setting (tests; ``%unload_ext``)."""
    set_media_mode(None)


def _user_namespace() -> dict[str, Any]:
    ipython_module = sys.modules.get("IPython")
    if ipython_module is None:
        return {}
    shell = ipython_module.get_ipython()
    namespace = getattr(shell, "user_ns", None)
    return namespace if isinstance(namespace, dict) else {}


def _colab_present() -> bool:
    if "google.colab" in sys.modules:
        return True
    try:
        return importlib.util.find_spec("google.colab") is not None
    except (ImportError, ValueError):
        return False


def detect_frontend(namespace: dict[str, Any] | None = None) -> str:
    """``vscode``, ``colab`` or ``jupyter``, from the kernel itself (never the environment)."""
    names = _user_namespace() if namespace is None else namespace
    if VSCODE_NAME in names:
        return "vscode"
    if _colab_present():
        return "colab"
    return "jupyter"


def media_choice(env: dict[str, str] | None = None) -> MediaChoice:
    """The mode in force now (cheap: called for every card drawn; never raises).

    A wrong ``FLOW_MEDIA_MODE`` falls back to ``auto``, and :meth:`MediaChoice.describe` says so.
    """
    with _lock:
        explicit = _explicit
    environ = os.environ if env is None else env
    if explicit is not None:
        asked, source = explicit
    elif environ.get(ENV_VAR, "").strip():
        try:
            asked, source = _check(environ[ENV_VAR], ENV_VAR), ENV_VAR
        except ValidationError:  # a card must still show: say so in %flow config instead
            asked, source = "auto", f"{ENV_VAR}={environ[ENV_VAR].strip()!r} is not a mode"
    else:
        asked, source = "auto", "default"
    frontend = detect_frontend()
    mode = asked
    if asked == "auto":
        mode = {"vscode": "vscode", "colab": "colab"}.get(frontend, "files")
    return MediaChoice(asked=asked, source=source, frontend=frontend, mode=mode)
