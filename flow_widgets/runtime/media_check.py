"""Is a downloaded file the media it claims to be? Signatures, and PyAV for video.

Why: a media host (or a captive portal, or a proxy in between) can answer ``200`` with an HTML
error page. Saved as ``.mp4`` and marked ``completed``, that page was a paid clip lost for good:
every re-run re-attached to the junk. So a download is committed only when its first bytes are
a known signature of its kind and, for video, PyAV finds a video stream in the container.
No network here; reads at most the file's head and (for video) its container header.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["media_problem"]

_IMAGE = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
)
_AUDIO = (b"ID3", b"OggS", b"fLaC", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2", b"\xff\xf1", b"\xff\xf9")


def _looks_like(head: bytes, kind: str) -> bool:
    iso_media = head[4:8] == b"ftyp"
    if kind == "video":
        return iso_media or head.startswith(b"\x1a\x45\xdf\xa3")  # MP4/MOV, WebM/Matroska
    if kind == "gif":
        return head.startswith((b"GIF87a", b"GIF89a")) or iso_media
    if kind == "image":
        riff_webp = head.startswith(b"RIFF") and head[8:12] == b"WEBP"
        return riff_webp or any(head.startswith(sig) for sig, _ in _IMAGE)
    if kind == "audio":
        riff_wave = head.startswith(b"RIFF") and head[8:12] == b"WAVE"
        return riff_wave or iso_media or head.startswith(_AUDIO)
    return True


def _describe(head: bytes) -> str:
    text = head.lstrip()[:15].lower()
    if text.startswith((b"<!doctype", b"<html", b"<?xml", b"<")):
        return "it is an HTML/XML page"
    if text.startswith((b"{", b"[")):
        return "it is JSON text"
    if not head:
        return "it is empty"
    return f"it starts with bytes {head[:8].hex(' ')}"


def media_problem(path: Path, kind: str) -> str | None:
    """Why ``path`` is not a ``kind`` file (``video``, ``image``, ``gif``, ``audio``), or
    ``None`` when it is (other kinds are not checked)."""
    with path.open("rb") as handle:
        head = handle.read(64)
    if not _looks_like(head, kind):
        return f"{_describe(head)}, not {'an' if kind[0] in 'aeiou' else 'a'} {kind} file"
    if kind != "video":
        return None
    try:
        import av
    except ImportError:  # pragma: no cover - PyAV is a core dependency; the signature stands
        return None
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                return "the container holds no video stream"
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        return f"the video container cannot be read ({exc})"
    return None
