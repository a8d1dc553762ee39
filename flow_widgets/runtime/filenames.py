"""Readable, safe and stable names for downloaded media files.

Why it matters: a file name is built from text we do not control (the user's prompt, the server's
jobid), it lands next to the notebook, it is shown in HTML and it must be found again after a
kernel restart so an interrupted download can resume. So a name is:

* **readable** — ``video-a-red-fox-in-snow-3f2a9c1b07-0.mp4``: kind, a slug of the prompt, a short
  hash of the jobid, the media index;
* **safe** — ASCII letters, digits and ``-`` only: no separators, ``..``, control or bidi
  characters, no Windows device names, no trailing dots, at most :data:`MAX_NAME_LENGTH` bytes;
* **private** — the jobid (which embeds the account email) is only hashed, and email-like text
  is dropped from the prompt;
* **stable and unique** — the same job and index always give the same name; different jobs
  differ by their hash.

Pure functions; no I/O.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from pathlib import Path

__all__ = ["MAX_NAME_LENGTH", "extension_for", "media_filename", "slugify"]

MAX_NAME_LENGTH = 120
"""Longest file name produced, in bytes (well under the usual 255, leaving room for ``.part``)."""

_SLUG_LENGTH = 48
_KIND_LENGTH = 16
_EXT_LENGTH = 8
_HASH_LENGTH = 10
_MAX_INDEX = 10_000
_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)*")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_WINDOWS_RESERVED = frozenset(
    {"con", "prn", "aux", "nul"} | {f"{port}{n}" for port in ("com", "lpt") for n in range(10)}
)
_EXTENSIONS = {
    "video/mp4": "mp4",
    "video/quicktime": "mov",
    "video/webm": "webm",
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/jpg": "jpg",
    "image/webp": "webp",
    "image/gif": "gif",
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/mpeg": "mp3",
}


def slugify(text: str, max_length: int = _SLUG_LENGTH) -> str:
    """A lowercase ASCII ``a-z0-9-`` slug of ``text``, cut on a word boundary; may be empty.

    Accents are folded (``crème`` → ``creme``), everything else that is not a letter or digit
    becomes a separator, email addresses are dropped, and Windows device names get a ``-x``
    suffix.

    Example:
        >>> slugify("A Red Fox, in Snow!  ../../etc")
        'a-red-fox-in-snow-etc'
    """
    text = _EMAIL.sub(" ", text)
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = _NOT_SLUG.sub("-", folded.lower()).strip("-")
    if len(slug) > max_length:
        cut = slug[: max_length + 1]
        slug = cut.rsplit("-", 1)[0] if "-" in cut[1:] else cut[:max_length]
        slug = slug.strip("-")
    if slug in _WINDOWS_RESERVED:
        slug += "-x"
    return slug


def extension_for(content_type: str | None, default: str = "bin") -> str:
    """The file extension for a media ``Content-Type`` (``"video/mp4"`` → ``"mp4"``).

    Example:
        >>> extension_for("image/jpeg; charset=binary")
        'jpg'
    """
    if not content_type:
        return default
    return _EXTENSIONS.get(content_type.split(";", 1)[0].strip().lower(), default)


def media_filename(
    kind: str,
    prompt: str | None,
    jobid: str,
    index: int,
    ext: str,
    folder: str | os.PathLike[str],
) -> Path:
    """The path inside ``folder`` where media ``index`` of job ``jobid`` is saved.

    Args:
        kind: what was generated (``"video"``, ``"image"``, ``"gif"`` …); slugged.
        prompt: the prompt, for a readable name; may be empty or ``None``.
        jobid: the server's job id (or the submission id for results without one); only a short
            hash of it appears in the name.
        index: the position in the job's ``media[]`` (0-based).
        ext: the extension, with or without the dot (``"mp4"``); anything odd becomes ``bin``.
        folder: the media folder.

    Raises:
        ValueError: ``index`` is out of range or ``jobid`` is empty.

    Example:
        >>> media_filename("video", "A red fox", "j1-u1-email:jo@x-bot", 0, "mp4", "flow_media")
        PosixPath('flow_media/video-a-red-fox-8afc2877a3-0.mp4')
    """
    if not 0 <= index < _MAX_INDEX:
        raise ValueError(f"index must be between 0 and {_MAX_INDEX - 1}, not {index}.")
    if not jobid:
        raise ValueError("jobid must not be empty; pass the submission id when there is no job.")
    kind_part = slugify(kind, _KIND_LENGTH) or "media"
    ext_part = _NOT_SLUG.sub("", ext.lower().lstrip("."))[:_EXT_LENGTH] or "bin"
    digest = hashlib.sha256(jobid.encode("utf-8", "surrogatepass")).hexdigest()[:_HASH_LENGTH]
    tail = f"-{digest}-{index}.{ext_part}"
    room = MAX_NAME_LENGTH - len(kind_part) - len(tail) - 1
    prompt_part = slugify(prompt or "", min(_SLUG_LENGTH, room))
    stem = f"{kind_part}-{prompt_part}" if prompt_part else kind_part
    return Path(folder) / f"{stem}{tail}"
