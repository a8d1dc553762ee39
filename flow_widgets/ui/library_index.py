"""The account's voices and characters, read once and shared by every panel of the session.

Why shared: the Studio offers characters and voices in its pickers and the Voices & Characters
manager creates and deletes them; when a character is made in the manager, the Studio must offer
it at once without anyone pressing refresh. So both hold the same :class:`LibraryIndex` (one per
session) and subscribe to it. Lists are read on the engine thread and listeners are called
there; they must only set traits.

The 30 system voice presets need no request (they are in the catalog); user voices and
characters are listed per account (``GET /voices?email=``, ``GET /characters?email=``).
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from flow_widgets.api.catalog import VOICE_PRESETS
from flow_widgets.ui import _session

if TYPE_CHECKING:  # pragma: no cover
    from flow_widgets.api.client import AsyncFlowClient
    from flow_widgets.api.models import Character, Voice
    from flow_widgets.runtime.session import FlowSession

__all__ = ["LibraryIndex", "character_label", "voice_label"]

log = logging.getLogger("flow_widgets.ui")

Listener = Callable[["LibraryIndex"], None]

_INDEXES: weakref.WeakKeyDictionary[FlowSession, LibraryIndex] = weakref.WeakKeyDictionary()
_INDEXES_LOCK = threading.Lock()


def voice_label(voice: Voice) -> str:
    """How a voice is named in pickers: its display name (user voices) or preset name."""
    if getattr(voice, "source", None) == "system" or voice.voice in VOICE_PRESETS:
        return str(voice.voice)
    name = getattr(voice, "display_name", None) or voice.voice[-8:]
    base = getattr(voice, "base_voice", None)
    return f"{name} (on {base})" if base else str(name)


def character_label(character: Character) -> str:
    """How a character is named in pickers: its display name, else the end of its ref."""
    return str(getattr(character, "display_name", None) or character.character[-12:])


def _unique(labels: Sequence[tuple[str, str]]) -> dict[str, str]:
    """``label -> ref`` with repeated labels numbered (``Ann``, ``Ann (2)``)."""
    out: dict[str, str] = {}
    for label, ref in labels:
        name, n = label, 2
        while name in out:
            name, n = f"{label} ({n})", n + 1
        out[name] = ref
    return out


class LibraryIndex:
    """Voices and characters of the session's accounts, with change notifications.

    Use :meth:`for_session` to get the session's shared index.
    """

    def __init__(self, session: FlowSession) -> None:
        self._session = session
        self._lock = threading.Lock()
        self._voices: dict[str, Voice] = {}
        self._system: dict[str, Voice] = {}
        self._characters: dict[str, Character] = {}
        self._listeners: list[Listener] = []
        self.loading = False
        self.error: str | None = None
        self.loaded = False

    @classmethod
    def for_session(cls, session: FlowSession) -> LibraryIndex:
        """The one index of ``session`` (made on first use)."""
        with _INDEXES_LOCK:
            index = _INDEXES.get(session)
            if index is None:
                index = cls(session)
                _INDEXES[session] = index
            return index

    def __repr__(self) -> str:
        return f"<LibraryIndex voices={len(self._voices)} characters={len(self._characters)}>"

    # -- reading -------------------------------------------------------------------------------

    @property
    def voices(self) -> list[Voice]:
        """User voices known so far (system presets are in :meth:`voice_choices`)."""
        with self._lock:
            return list(self._voices.values())

    @property
    def system_voices(self) -> list[Voice]:
        """The presets as the API lists them (with their never-expiring samples), once read."""
        with self._lock:
            return list(self._system.values())

    @property
    def characters(self) -> list[Character]:
        with self._lock:
            return list(self._characters.values())

    def voice_choices(self) -> dict[str, str]:
        """``label -> voice`` for pickers: user voices first, then the 30 presets."""
        with self._lock:
            user = [(voice_label(v), v.voice) for v in self._voices.values()]
        return _unique([*user, *((p, p) for p in VOICE_PRESETS)])

    def character_choices(self) -> dict[str, str]:
        """``label -> character ref`` for pickers."""
        with self._lock:
            chars = [(character_label(c), c.character) for c in self._characters.values()]
        return _unique(chars)

    def emails(self) -> list[str]:
        """The accounts whose lists are read (known to the tracker, or the default one)."""
        emails = [a.email for a in self._session.tracker.accounts()]
        default = getattr(getattr(self._session, "settings", None), "email", None)
        if not emails and default:
            emails = [default]
        return emails

    # -- changing ------------------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(index)`` after every change (on the thread that made it)."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def refresh(self) -> None:
        """Read the user voices and characters of every account again (in the background)."""
        emails = self.emails()
        if not emails:
            self.error = "No account is known yet; refresh the credits panel or add an account."
            self._changed()
            return
        with self._lock:
            self.loading = True

        async def read(client: AsyncFlowClient) -> tuple[list[Voice], list[Character]]:
            voices: list[Voice] = []
            characters: list[Character] = []
            for email in emails:
                voices.extend(await client.voices.list(email))
                characters.extend(await client.characters.list(email))
            return voices, characters

        def done(
            result: tuple[list[Voice], list[Character]] | None, error: BaseException | None
        ) -> None:
            with self._lock:
                self.loading = False
                if result is not None and error is None:
                    voices, characters = result
                    self._system = {v.voice: v for v in voices if v.is_system}
                    self._voices = {v.voice: v for v in voices if not v.is_system}
                    self._characters = {c.character: c for c in characters}
                    self.loaded = True
                    self.error = None
                else:
                    self.error = f"Reading the voices and characters failed: {error}"
            if error is not None:
                log.info("%s", self.error)
            self._changed()

        _session.run_in_background(self._session, read, done)

    def remove(self, ref: str) -> None:
        """Forget a deleted voice or character."""
        with self._lock:
            self._voices.pop(ref, None)
            self._characters.pop(ref, None)
        self._changed()

    def _changed(self) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(self)
            except Exception:  # one broken panel must not stop the others
                log.exception("A library listener failed")
