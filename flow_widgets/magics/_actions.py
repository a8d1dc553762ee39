"""The buttons under a card, and "copy as cell": what each action does.

The toolbar widget (:class:`~flow_widgets.ui.toolbar.ActionBar`) only calls functions; this
module decides which actions a card offers in each state and what they do. Every job on the
card has its own row of buttons (``#1``, ``#2``…) acting on *that* job — its media, its seed:

* while the job runs: **stop watching** (the remote job still runs and is charged — the button
  says what it does);
* once it is done: **extend** (Veo videos: continue the scene), **upscale** (videos to 1080p,
  images to 2k), **download** (save any file that is missing), **copy as cell** (a runnable
  ``%%flow_video`` / ``%%flow_image`` cell for this take, seed included: on the clipboard
  where the browser allows, and shown under the card);
* once the original is done, the first row leads with **new take #N** — N is the take the card
  would add. It is bought as take N of the cell's request (:mod:`flow_widgets.runtime.takes`),
  so pressing it twice buys take N once; the next press offers N+1. On ``%%flow_video`` and
  ``%%flow_image`` cards **vary #N** follows it: the same prompt and flags with a new seed
  derived from the request and N (:func:`~flow_widgets.runtime.takes.vary_seed`), so it too is
  bought once however often, and in however many kernels, take N is asked for. Both show
  their cost on the button.

New jobs started here appear on the same card (the same plain output), so they survive saving.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING

from flow_widgets.cell_text import cell_for
from flow_widgets.magics import _session
from flow_widgets.runtime.jobs import JobHandle
from flow_widgets.ui._session import first_media_id
from flow_widgets.ui.job_actions import (
    EXTEND,
    STOP,
    UPSCALE,
    VARY,
    VARY_TIP,
    actions_for,
    can_vary,
)
from flow_widgets.ui.press import Press

if TYPE_CHECKING:  # pragma: no cover
    from flow_widgets.runtime.session import FlowSession
    from flow_widgets.ui.cards import LiveCard
    from flow_widgets.ui.toolbar import ActionBar

#: What a button runs: a plain callable, or a :class:`Press` that also says what it copies.
Action = Callable[[], object] | Press
#: Take #N of the cell's request (the *new take* button); cards that offer *vary* also call it
#: with ``vary=True`` (take N with a new seed, see :func:`flow_widgets.runtime.takes.take_request`).
Recipe = Callable[..., JobHandle]

__all__ = ["attach_toolbar", "card_rows", "cell_for"]


def _first_seed(handle: JobHandle) -> int | None:
    return next((int(m.seed) for m in handle.media if m.seed is not None), None)


STOP_TIP = "Stop following this job here; it keeps running on the server and is charged."
TAKE_NOTE = "take #{}"
VARY_NOTE = "take #{} · new seed {}"

# What a follow-up's copy-as-cell can say as a magic cell (extensions and upscales cannot).
_CELL_KINDS = ("video", "image")


def take_number(card: LiveCard) -> int:
    """How many takes of the cell's request the card shows (the original plus new takes)."""
    numbers = [card.take_numbers.get(id(h), 0) for h in card.handles]
    return int(max([1, *numbers]))


def _row_for(
    session: FlowSession, card: LiveCard, handle: JobHandle, *, kind: str, entry_kind: str
) -> dict[str, Action]:
    """The buttons that act on one job of the card (its own media, its own seed)."""
    actions: dict[str, Action] = {}
    if not handle.done:
        actions[STOP] = Press(STOP, handle.cancel, tooltip=STOP_TIP)
        return actions
    media_id = first_media_id(handle)
    if handle.status == "completed" and media_id:
        model = str(handle.model or "")
        request = _session.request_of(session, handle)
        allowed = actions_for(handle, request, upscaled=entry_kind == "upscale")
        if kind == "video" and EXTEND in allowed:
            actions[EXTEND] = lambda: _followup(
                card,
                _session.extend(session, media_id, str(handle.prompt or ""), model),
                kind="extend",
                note="extended",
            )
        if UPSCALE in allowed:
            actions[UPSCALE] = lambda: _followup(
                card, session.upscale(media_id), kind="upscale", note="upscaled"
            )
        actions["download"] = lambda: card.set_note(
            _session.download_missing(session, handle), index=card.handles.index(handle)
        )
    payload = _session.payload_of(session, handle)
    if payload and entry_kind in _CELL_KINDS:
        cell = cell_for(entry_kind, payload, seed=_first_seed(handle))
        actions["copy as cell"] = Press(
            "copy as cell",
            lambda: card.add_snippet(_snippet_title(card, handle), cell),
            copy=cell,
            tooltip="A runnable cell for this take, seed included",
        )
    return actions


def _snippet_title(card: LiveCard, handle: JobHandle) -> str:
    if len(card.handles) == 1:
        return "A runnable cell for this take (copy it into a new cell):"
    return f"A runnable cell for #{card.handles.index(handle) + 1} (copy it into a new cell):"


def _followup(card: LiveCard, handle: JobHandle, *, kind: str, note: str) -> None:
    """Show ``handle`` on the card unless it is already there (a repeated intent)."""
    if any(h is handle for h in card.handles):
        return
    card.add_followup(handle, kind=kind, note=note)


def card_rows(
    session: FlowSession, card: LiveCard, *, kind: str, recipe: Recipe | None
) -> list[tuple[str, dict[str, Action]]]:
    """The rows of actions a card offers right now: one row per job on the card, each acting
    on that job; *new take #N* (N = the take the card would add) leads the first row."""
    handles = card.handles
    kinds = card.kinds
    rows: list[tuple[str, dict[str, Action]]] = []
    for index, handle in enumerate(handles):
        title = f"#{index + 1}" if len(handles) > 1 else ""
        rows.append((title, _row_for(session, card, handle, kind=kind, entry_kind=kinds[index])))
    if recipe is not None and handles[0].done:
        number = take_number(card) + 1
        label = f"new take #{number}"

        def new_take() -> None:
            handle = recipe(number)
            if any(h is handle for h in card.handles):
                return  # this take was already asked for: the same purchase
            card.take_numbers[id(handle)] = number
            card.add_followup(handle, kind=kind, note=TAKE_NOTE.format(number))

        cost = _cost_words(getattr(handles[0], "credits", None))  # as the first take cost
        lead: dict[str, Action] = {
            label: Press(
                label, new_take, intent=f"take:{number}", tooltip="Another take", cost=cost
            )
        }
        if kind in _CELL_KINDS and can_vary(_session.request_of(session, handles[0])):
            vary_label = f"{VARY} #{number}"
            lead[vary_label] = Press(
                vary_label,
                lambda: _vary(card, recipe, number, kind=kind),
                intent=f"vary:{number}",
                tooltip=VARY_TIP,
                cost=cost,
            )
        rows[0] = (rows[0][0], {**lead, **rows[0][1]})
    return rows


def _vary(card: LiveCard, recipe: Recipe, number: int, *, kind: str) -> None:
    """Buy take ``number`` as a vary (a new seed) and show it on the card, once."""
    handle = recipe(number, vary=True)
    if any(h is handle for h in card.handles):
        return  # this vary was already asked for: the same purchase
    card.take_numbers[id(handle)] = number
    seed = handle.request.get("seed")
    note = VARY_NOTE.format(number, seed) if seed is not None else TAKE_NOTE.format(number)
    card.add_followup(handle, kind=kind, note=note)


def _cost_words(credits: int | None) -> str:
    """What a new take costs, for its button (``""`` when not known)."""
    if credits is None:
        return ""
    return "free" if credits == 0 else f"{credits} credits"


def attach_toolbar(
    session: FlowSession,
    card: LiveCard,
    *,
    kind: str,
    recipe: Recipe | None,
    extra: Callable[[], dict[str, Action]] | None = None,
) -> ActionBar:
    """Display an action bar under ``card`` that follows the card's jobs (``extra``: a last
    row, *takes*, of the cell's take actions)."""
    from IPython.display import display

    from flow_widgets.ui.toolbar import ActionBar

    bar = ActionBar(on_error=lambda name, exc: card.set_note(f"{name} did not work: {exc}"))
    followed: set[int] = set()

    def update(_handle: JobHandle | None = None) -> None:
        for handle in card.handles:
            if id(handle) not in followed:
                followed.add(id(handle))
                handle.on_change(update)
        rows = card_rows(session, card, kind=kind, recipe=recipe)
        more = extra() if extra is not None else {}
        if more:
            rows.append(("takes", more))
        bar.set_rows(
            [
                (title, {name: _then(action, update) for name, action in actions.items()})
                for title, actions in rows
            ]
        )

    update()
    display(bar)  # type: ignore[no-untyped-call]
    return bar


def _then(action: Action, after: Callable[[], None]) -> Action:
    run = action.run if isinstance(action, Press) else action

    def then() -> None:
        try:
            run()
        finally:
            after()

    if isinstance(action, Press):
        return dataclasses.replace(action, run=then)
    return then
