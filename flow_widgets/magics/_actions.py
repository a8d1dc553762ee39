"""The buttons under a card, and "copy as cell": what each action does.

The toolbar widget (:class:`~flow_widgets.ui.toolbar.ActionBar`) only calls functions; this
module decides which actions a card offers in each state and what they do:

* while any job on the card runs: **cancel** (stop watching; the remote job still runs and may
  still be charged — the card says so);
* once the first job is done: **new take** (the same request again, a new seed), **extend**
  (Veo videos: continue the scene), **upscale** (videos to 1080p, images to 2k), **download**
  (save any file that is missing), **copy as cell** (a runnable ``%%flow_video`` /
  ``%%flow_image`` cell for this take, shown under the card to copy).

New jobs started here appear on the same card (the same plain output), so they survive saving.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Mapping
from typing import Any

from flow_widgets.magics import _session

__all__ = ["actions_for", "attach_toolbar", "cell_for"]

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


def _first_seed(handle: Any) -> int | None:
    for media in getattr(handle, "media", []) or []:
        if getattr(media, "seed", None) is not None:
            return int(media.seed)
    return None


def _first_media_id(handle: Any) -> str | None:
    for media in getattr(handle, "media", []) or []:
        if getattr(media, "media_id", None):
            return str(media.media_id)
    return None


def actions_for(
    session: Any, card: Any, *, kind: str, recipe: Callable[..., Any] | None
) -> dict[str, Callable[[], None]]:
    """The actions a card offers right now (see the module docstring)."""
    handles = card.handles
    first = handles[0]
    actions: dict[str, Callable[[], None]] = {}
    running = [h for h in handles if not h.done]
    if running:

        def cancel() -> None:
            for handle in running:
                handle.cancel()

        actions["cancel"] = cancel
    if not first.done:
        return actions
    if recipe is not None:
        actions["new take"] = lambda: card.add_followup(recipe(), kind=kind, note="new take")
    media_id = _first_media_id(first)
    if first.status == "completed" and media_id:
        model = str(first.model or "")
        if kind == "video" and model.startswith("veo"):
            actions["extend"] = lambda: card.add_followup(
                _session.extend(session, media_id, str(first.prompt or ""), model),
                kind="extend",
                note="extended",
            )
        actions["upscale"] = lambda: card.add_followup(
            _session.upscale(session, media_id), kind="upscale", note="upscaled"
        )
        actions["download"] = lambda: card.set_note(_session.download_missing(session, first))
    payload = _session.payload_of(session, first)
    if payload:
        actions["copy as cell"] = lambda: card.add_snippet(
            "A runnable cell for this take (copy it into a new cell):",
            cell_for(kind, payload, seed=_first_seed(first)),
        )
    return actions


def _then(action: Callable[[], None], after: Callable[[], None]) -> Callable[[], None]:
    def run() -> None:
        try:
            action()
        finally:
            after()

    return run


def attach_toolbar(session: Any, card: Any, *, kind: str, recipe: Callable[..., Any] | None) -> Any:
    """Display an action bar under ``card`` that follows the card's jobs."""
    from IPython.display import display

    from flow_widgets.ui.toolbar import ActionBar

    bar = ActionBar({}, on_error=lambda name, exc: card.set_note(f"{name} did not work: {exc}"))
    followed: set[int] = set()

    def update(_handle: Any = None) -> None:
        for handle in card.handles:
            if id(handle) not in followed:
                followed.add(id(handle))
                handle.on_change(update)
        actions = actions_for(session, card, kind=kind, recipe=recipe)
        bar.set_actions({name: _then(action, update) for name, action in actions.items()})

    update()
    display(bar)  # type: ignore[no-untyped-call]
    return bar
