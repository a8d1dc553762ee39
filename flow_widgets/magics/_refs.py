"""Turn what a user types after ``--start``, ``--ref``, ``--video``, ``--character``, ``--voice``
into the ids the API wants.

An IMAGE or VIDEO argument may be:

* a mediaGenerationId (``user:1-email:…-image:…``) — used as is;
* a variable holding a previous result — a job handle (its first file, or ``clip[1]`` for the
  second), a media file, a parsed ``Media``/``Asset``, or a string holding any of these;
* a local file — uploaded once; the session caches uploads by content hash, so the same file
  is never sent twice.

A character is a character ref, a variable holding one, or a display name looked up in the
account's characters. A voice is one of the 30 presets (any case), a voice ref, or a variable.
Anything else is a :class:`ValidationError` that names the option and what it accepts.

Nothing here talks HTTP itself: uploading and listing characters are injected callables.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from flow_widgets.api.catalog import canonical_voice_preset
from flow_widgets.api.ids import (
    MediaKind,
    make_media_id,
    parse_character_ref,
    parse_media_id,
    parse_voice_ref,
)
from flow_widgets.errors import ValidationError
from flow_widgets.magics._interp import resolve

if TYPE_CHECKING:
    from flow_widgets.api.models import Character

__all__ = ["RefResolver"]

_HEAD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?=$|[.\[])")


def _media_id_of(value: object) -> str | None:
    """The media id carried by a result object, if any (first file of a job)."""
    media_id = getattr(value, "media_id", None)
    if isinstance(media_id, str):
        return media_id
    files = getattr(value, "media", None)
    if isinstance(files, (list, tuple)) and files:
        return _media_id_of(files[0])
    return None


class RefResolver:
    """Resolves magic arguments against the user's namespace, the disk and the account.

    Args:
        namespace: the user's variables (``shell.user_ns``).
        upload: ``upload(path) -> media id``; called at most once per distinct file per cell.
        list_characters: returns the account's characters (objects with ``display_name`` and
            ``character``), called only when a character is given by name.
        cwd: the folder relative paths are read from (default: the current folder).
        placeholder_owner: ``(user, email)``; when given, local files are *not* uploaded but
            stand in as placeholder media ids on that account (``placeholders`` maps them back
            to paths). Magics resolve this way first, so a request is validated — and a dry run
            shown — before anything is sent.
    """

    def __init__(
        self,
        namespace: Mapping[str, object],
        *,
        upload: Callable[[Path], str],
        list_characters: Callable[[], Iterable[Character]] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        placeholder_owner: tuple[str, str] | None = None,
    ) -> None:
        self._ns = namespace
        self._upload = upload
        self._list_characters = list_characters
        self._cwd = Path(cwd) if cwd is not None else Path.cwd()
        self._uploaded: dict[Path, str] = {}
        self.uploads: list[Path] = []
        self._owner = placeholder_owner
        self.placeholders: dict[str, Path] = {}

    def _variable(self, text: str) -> tuple[bool, object]:
        """``(True, value)`` when ``text`` names a variable (``clip``, ``clip[1]``, ``a.b``).

        Raises:
            ValidationError: the name exists but the attribute or index does not.
        """
        head = _HEAD.match(text)
        if head is None or head.group(0) not in self._ns:
            return False, None
        return True, resolve(text, self._ns)

    def media(self, text: str, *, option: str, kind: str = "image") -> str:
        """A media id for an IMAGE/VIDEO argument (uploading a local file if needed)."""
        text = text.strip()
        if parse_media_id(text) is not None:
            return text
        path = (self._cwd / Path(text).expanduser()).resolve()
        try:
            is_var, value = self._variable(text)
        except ValidationError:
            if not path.is_file():
                raise
            is_var, value = False, None
        if is_var:
            media_id = _media_id_of(value)
            if media_id is not None:
                return media_id
            if isinstance(value, (str, os.PathLike)):
                return self.media(os.fspath(value), option=option, kind=kind)
            raise ValidationError(
                f"{option} {text}: that variable holds {type(value).__name__}, not a {kind} "
                "result; pass a job, a media id or a file path.",
                field=option,
            )
        if path.is_file():
            if path not in self._uploaded:
                self._uploaded[path] = self._stand_in(path, kind) or self._upload(path)
                self.uploads.append(path)
            return self._uploaded[path]
        raise ValidationError(
            f"{option} {text!r} is not a file, a media id or a variable; check the path "
            "or the variable name.",
            field=option,
        )

    def _stand_in(self, path: Path, kind: str) -> str | None:
        if self._owner is None:
            return None
        user, email = self._owner
        media_kind: MediaKind = "video" if kind == "video" else "image"
        placeholder = make_media_id(user, email, media_kind, f"upload-{len(self.placeholders) + 1}")
        self.placeholders[placeholder] = path
        return placeholder

    def character(self, text: str) -> str:
        """A character ref for ``--character`` (a ref, a variable, or a display name)."""
        text = text.strip()
        if parse_character_ref(text) is not None:
            return text
        is_var, value = self._variable(text)
        if is_var:
            ref = getattr(value, "character", value)
            if isinstance(ref, str) and parse_character_ref(ref) is not None:
                return ref
        if self._list_characters is not None:
            wanted = text.casefold()
            for character in self._list_characters():
                if str(getattr(character, "display_name", "")).casefold() == wanted:
                    return str(character.character)
        raise ValidationError(
            f"--character {text!r} is not a character ref, a variable holding one, or the name "
            "of one of your characters; %flow characters lists them.",
            field="--character",
        )

    def voice(self, text: str) -> str:
        """A voice for ``--voice``: a preset name (canonical spelling) or a voice ref."""
        text = text.strip()
        preset = canonical_voice_preset(text)
        if preset is not None:
            return preset
        if parse_voice_ref(text) is not None:
            return text
        is_var, value = self._variable(text)
        if is_var:
            ref = getattr(value, "voice", value)
            if isinstance(ref, str) and (
                parse_voice_ref(ref) is not None or canonical_voice_preset(ref) is not None
            ):
                return canonical_voice_preset(ref) or ref
        raise ValidationError(
            f"--voice {text!r} is not one of the 30 voice presets (Achernar, Kore, Puck, …), a "
            "voice ref, or a variable holding one; %flow voices lists them.",
            field="--voice",
        )
