"""A job's request written back as the magic cell that asks for it again ("copy as cell").

Why a module of its own, at the bottom of the package: both the magics' card toolbar and the
Studio offer "copy as cell", and the Studio (``ui``) must not import the magics -- imports only
point down a layer. The text is pure: an API body in, a ``%%flow_video`` / ``%%flow_image``
cell out.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from typing import Any

__all__ = ["cell_for"]

_VIDEO_OPTIONS = (
    ("model", "--model"),
    ("aspectRatio", "--aspect"),
    ("duration", "--duration"),
    ("resolution", "--resolution"),
    ("count", "--count"),
    ("seed", "--seed"),
    ("startImage", "--start"),
    ("endImage", "--end"),
    ("email", "--email"),
)
_IMAGE_OPTIONS = (
    ("model", "--model"),
    ("aspectRatio", "--aspect"),
    ("count", "--count"),
    ("seed", "--seed"),
    ("email", "--email"),
)
_SLOTS = (
    ("referenceImage_", "--ref"),
    ("reference_", "--ref"),
    ("character_", "--character"),
    ("referenceAudio_", "--voice"),
)


def cell_for(kind: str, payload: Mapping[str, Any], *, seed: int | None = None) -> str:
    """A runnable magic cell that asks for the same thing as ``payload`` (an API body).

    ``seed`` (the take's actual seed) is pinned when the request left it random, so the cell
    reproduces this take. The prompt is sent as written (``--no-interp`` when it has braces).

    >>> print(cell_for("video", {"prompt": "a fox", "model": "veo-3.1-lite", "count": 1}, seed=7))
    %%flow_video --model veo-3.1-lite --count 1 --seed 7
    a fox
    """
    video = kind != "image"
    parts = ["%%flow_video" if video else "%%flow_image"]
    for key, option in _VIDEO_OPTIONS if video else _IMAGE_OPTIONS:
        value = payload.get(key)
        if key == "seed" and value is None:
            value = seed
        if value is not None and value != "":
            parts += [option, shlex.quote(str(value))]
    for prefix, option in _SLOTS:
        slots = sorted(
            (int(k[len(prefix) :]), v)
            for k, v in payload.items()
            if k.startswith(prefix) and k[len(prefix) :].isdigit() and v
        )
        for _, value in slots:
            parts += [option, shlex.quote(str(value))]
    if payload.get("referenceVideo_1"):
        parts += ["--video", shlex.quote(str(payload["referenceVideo_1"]))]
        start, end = payload.get("startFrameIndex_1"), payload.get("endFrameIndex_1")
        if start is not None and end is not None:
            parts += ["--frames", f"{start}:{end}"]
    prompt = str(payload.get("prompt", ""))
    if "{" in prompt or "}" in prompt:
        parts.append("--no-interp")
    return " ".join(parts) + "\n" + prompt
