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

from collections.abc import Callable
from typing import Any

from flow_widgets.cell_text import cell_for
from flow_widgets.magics import _session

__all__ = ["actions_for", "attach_toolbar", "cell_for"]


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
        request = _session.request_of(session, first)
        if kind == "video" and request is not None and "extend" in request.follow_ups():
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
