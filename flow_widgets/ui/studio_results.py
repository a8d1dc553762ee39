"""The Studio's results: live cards on a plain board, and one action bar for the chosen take.

Why this shape: each result is the same :class:`~flow_widgets.ui.cards.LiveCard` the magics
show (same HTML, same throttling, same follow-ups), but instead of a display of its own — a
button callback cannot create new outputs in the cell — every card is drawn on the Studio's one
results :class:`~flow_widgets.ui._board.Board`, newest first, which was created when the Studio
was shown. The board is plain HTML, so the results survive saving with no widget state.

Actions act on the take picked in the results dropdown (the newest by default): *vary* (same
settings, new seed), *edit* (load the take back into the form), *extend* and *upscale* (load
the form with this take as the source, so the cost preview and the budget check apply),
*copy as cell* (a runnable ``%%flow_video``/``%%flow_image`` cell under the card),
*stop watching* (the job keeps running on the server) and the star (☆ #N: this take is the
cell's pick).

Every result is a take of the Studio's cell (:mod:`flow_widgets.ui.studio_takes`): the newest
card carries the cell's takes strip — the same plain HTML the magic cards show, with earlier
Studios' and magic runs' takes of that cell — so the saved board shows it with no kernel.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import ipywidgets as widgets

from flow_widgets.api.requests import (
    ExtendRequest,
    FlowRequest,
    ImageRequest,
    ImageUpscaleRequest,
    VideoRequest,
    VideoUpscaleRequest,
)
from flow_widgets.cell_text import cell_for
from flow_widgets.runtime.jobs import JobHandle
from flow_widgets.ui import _session
from flow_widgets.ui._board import Board, BoardOptions, Bundle
from flow_widgets.ui._throttle import Throttle
from flow_widgets.ui.cards import LiveCard
from flow_widgets.ui.job_actions import EXTEND, STOP, UPSCALE, actions_for
from flow_widgets.ui.studio_form import StudioForm
from flow_widgets.ui.studio_takes import StudioTakes
from flow_widgets.ui.text import one_line
from flow_widgets.ui.toolbar import ActionBar

__all__ = ["Result", "StudioResults", "cell_for_request", "cell_for_take"]

_CARD_KINDS = {"text": "video", "frames": "video", "ingredients": "video", "edit": "video"}


_METHODS = {
    VideoRequest: "video",
    ImageRequest: "image",
    ExtendRequest: "extend",
    VideoUpscaleRequest: "upscale",
    ImageUpscaleRequest: "upscale",
}


def cell_for_request(request: FlowRequest, *, seed: int | None = None) -> str:
    """A runnable Python cell that asks the session for the same take as ``request``.

    ``seed`` (the take's actual seed) is pinned when the request left it random, so running
    the cell again reproduces this take rather than rolling a new one.

    >>> print(cell_for_request(VideoRequest("a fox", model="veo-3.1-lite"), seed=7))
    import flow_widgets as fw
    flow = fw.session()
    take = flow.video('a fox', model='veo-3.1-lite', count=1, seed=7)
    take
    """
    method = _METHODS[type(request)]
    args = [
        repr(getattr(request, name))
        for name in ("media_generation_id", "prompt")
        if isinstance(getattr(request, name, None), str)
    ]
    options = _session.request_options(request)
    if seed is not None and "seed" in {f.name for f in dataclasses.fields(request)}:  # type: ignore[arg-type]
        options.setdefault("seed", seed)
    args += [f"{key}={value!r}" for key, value in options.items()]
    return (
        "import flow_widgets as fw\nflow = fw.session()\n"
        f"take = flow.{method}({', '.join(args)})\ntake"
    )


# Body fields the ``%%flow_video``/``%%flow_image`` options can say (see ``cell_for``); a body
# with any other field (a reply URL, a captcha…) falls back to the Python form, which can.
_MAGIC_FIELDS = frozenset(
    {"prompt", "model", "aspectRatio", "duration", "resolution", "count", "seed", "startImage",
     "endImage", "email", "referenceVideo_1", "startFrameIndex_1", "endFrameIndex_1", "async"}
)  # fmt: skip
_MAGIC_SLOTS = ("referenceImage_", "reference_", "character_", "referenceAudio_")


def _magic_can_say(payload: Iterable[str]) -> bool:
    return all(key in _MAGIC_FIELDS or key.startswith(_MAGIC_SLOTS) for key in payload)


def cell_for_take(request: FlowRequest, *, seed: int | None = None) -> str:
    """A runnable cell for the take ``request`` made: a ``%%flow_video``/``%%flow_image``
    magic cell when the magics can express it, else the Python form of
    :func:`cell_for_request` (extend, upscale).

    >>> print(cell_for_take(VideoRequest("a fox", model="veo-3.1-lite"), seed=7))
    %%flow_video --model veo-3.1-lite --count 1 --seed 7
    a fox
    """
    if isinstance(request, (VideoRequest, ImageRequest)):
        payload = request.to_payload()
        if _magic_can_say(payload):
            kind = "image" if isinstance(request, ImageRequest) else "video"
            return cell_for(kind, payload, seed=seed)
    return cell_for_request(request, seed=seed)


@dataclass
class Result:
    """One take started from the Studio: its handle, its card and the form that made it."""

    number: int
    handle: JobHandle
    card: LiveCard
    form: StudioForm
    request: FlowRequest | None = None

    @property
    def label(self) -> str:
        prompt = one_line(self.form.prompt or "", 40)
        return f"#{self.number} {self.card_kind} · {self.handle.status} · {prompt}".rstrip(" ·")

    @property
    def card_kind(self) -> str:
        return _CARD_KINDS.get(self.form.kind, self.form.kind)


class StudioResults:
    """The results board, the take picker and its action bar.

    Args:
        on_vary, on_edit, on_extend, on_upscale: what the form does for each action.
        report: shows an error in plain words on the Studio.
        board_options: passed to the :class:`Board` (tests inject a publisher and clock).
        takes: where each result is recorded as a take of the Studio's cell.
    """

    def __init__(
        self,
        *,
        on_vary: Callable[[Result], None],
        on_edit: Callable[[Result], None],
        on_extend: Callable[[Result], None],
        on_upscale: Callable[[Result], None],
        report: Callable[[str], None],
        board_options: BoardOptions | None = None,
        takes: StudioTakes | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self.takes = takes
        self.results: list[Result] = []
        self._handlers = {
            "vary": on_vary,
            "edit": on_edit,
            "extend": on_extend,
            "upscale": on_upscale,
        }
        self._report = report
        self.board = Board(self.bundle, name="studio-results", **(board_options or {}))
        self.picker = widgets.Dropdown(options=[], description="take", layout={"width": "420px"})
        self.bar = ActionBar({}, on_error=lambda name, exc: report(f"{name} failed: {exc}"))
        self.widget = widgets.HBox([self.picker, self.bar])
        self.widget.layout.display = "none"
        self.picker.observe(lambda _c: self._refresh_actions(), names=["value"])
        self._controls = Throttle(self._refresh_controls, min_interval=0.5)

    # -- adding --------------------------------------------------------------------------------

    def add(
        self, handle: JobHandle, form: StudioForm, request: FlowRequest | None = None
    ) -> Result:
        """Show a new take (newest first) and pick it."""
        with self._lock:
            number = len(self.results) + 1
        card = LiveCard(
            handle,
            kind=_CARD_KINDS.get(form.kind, form.kind),
            publisher=lambda *_args: self.board.refresh(),
        )
        result = Result(number, handle, card, form, request)
        with self._lock:
            earlier = list(self.results)
            self.results.append(result)
        self._record_take(result, earlier)
        card.show()
        handle.on_change(self._controls)
        self._refresh_controls()
        self.picker.value = number
        self.board.refresh_now()
        return result

    def _record_take(self, result: Result, earlier: list[Result]) -> None:
        """Record ``result`` as a take of the Studio's cell; the newest card carries the strip."""
        if self.takes is None:
            return
        cell = self.takes.record(
            result.handle, result.request, kind=result.card_kind, prompt=result.form.prompt
        )
        if cell is None:
            return
        for older in earlier:
            older.card.strip = None
        handle = result.handle
        result.card.strip = lambda: cell.strip(current=handle.submission_id)
        cell.on_star = self._starred

    def _starred(self) -> None:
        self.board.refresh_now()
        self._refresh_actions()

    def holding(self, handle: JobHandle) -> Result | None:
        """The take already showing ``handle`` (a repeated press got the same job back)."""
        with self._lock:
            return next((r for r in self.results if r.handle is handle), None)

    def chosen(self) -> Result | None:
        """The take the action bar acts on."""
        with self._lock:
            for result in self.results:
                if result.number == self.picker.value:
                    return result
        return None

    # -- rendering -----------------------------------------------------------------------------

    def bundle(self) -> Bundle:
        """Every card, newest first, as one plain output."""
        with self._lock:
            results = list(reversed(self.results))
        if not results:
            empty = (  # the theme's muted text: readable in light and dark
                '<div style="color:var(--jp-content-font-color2,#4b5563);font:13px system-ui">'
                "Results appear here.</div>"
            )
            return {"text/html": empty, "text/plain": "(no results yet)"}, {}
        bundles = [r.card.bundle() for r in results]
        data = {
            "text/html": "".join(b[0]["text/html"] for b in bundles),
            "text/plain": "\n".join(b[0]["text/plain"] for b in bundles),
        }
        return data, {"flow_widgets": {"studio": [b[1]["flow_widgets"] for b in bundles]}}

    def _cell_numbers(self) -> dict[str, int]:
        """Submission id -> its take number in the cell (the strip's and the star's #)."""
        cell = self.takes.cell if self.takes is not None else None
        if cell is None:
            return {}
        try:
            return {r.submission_id: r.number for r in cell.records()}
        except (sqlite3.Error, OSError):  # the picker still lists the Studio's own takes
            return {}

    def _label(self, result: Result, numbers: dict[str, int]) -> str:
        """The picker's label; "= cell take #3" when the cell counts it otherwise (takes of
        an earlier run of the Studio's cell, or of another kernel, came first)."""
        number = numbers.get(str(result.handle.submission_id))
        if number is None or number == result.number:
            return result.label
        return f"{result.label} · = cell take #{number}"

    def _refresh_controls(self) -> None:
        numbers = self._cell_numbers()
        with self._lock:
            options = [(self._label(r, numbers), r.number) for r in reversed(self.results)]
        if not options:
            return
        with self.picker.hold_sync():
            if list(self.picker.options) != options:
                value = self.picker.value
                self.picker.options = options
                self.picker.value = value if value in dict(options).values() else options[0][1]
        self.widget.layout.display = None
        self._refresh_actions()

    def _refresh_actions(self) -> None:
        result = self.chosen()
        if result is None:
            self.bar.set_actions({})
            return
        self.bar.set_actions(self._actions_for(result))

    def _actions_for(self, result: Result) -> dict[str, Callable[[], object]]:
        handle = result.handle
        upscaled = result.form.kind == "upscale"
        allowed = actions_for(handle, result.request, upscaled=upscaled)
        actions: dict[str, Callable[[], object]] = {}
        if STOP in allowed:
            actions[STOP] = handle.cancel
        if not upscaled:
            actions["vary"] = lambda: self._handlers["vary"](result)
        actions["edit"] = lambda: self._handlers["edit"](result)
        if EXTEND in allowed:
            actions[EXTEND] = lambda: self._handlers["extend"](result)
        if UPSCALE in allowed:
            actions[UPSCALE] = lambda: self._handlers["upscale"](result)
        if result.request is not None:
            actions["copy as cell"] = lambda: self._copy_as_cell(result)
        actions.update(self._star_action(result))
        return actions

    def _star_action(self, result: Result) -> dict[str, Callable[[], object]]:
        """☆ #N (star this take as the cell's pick) or ★ #N (unstar), once it is recorded."""
        try:
            found = self.takes.number_of(result.handle) if self.takes is not None else None
        except (sqlite3.Error, OSError):  # the bar still offers the job's own actions
            return {}
        cell = self.takes.cell if self.takes is not None else None
        if found is None or cell is None:
            return {}
        number, starred = found
        if starred:
            return {f"★ #{number} (unstar)": lambda: cell.star(None)}
        return {f"☆ #{number}": lambda: cell.star(number)}

    def _copy_as_cell(self, result: Result) -> None:
        if result.request is None:
            return
        seed = next((m.seed for m in result.handle.media if m.seed is not None), None)
        result.card.add_snippet(
            "A runnable cell for this take (copy it into a new cell):",
            cell_for_take(result.request, seed=seed),
        )

    def close(self) -> None:
        self._controls.close()
        self.board.close()
        with self._lock:
            results = list(self.results)
        for result in results:
            result.card.close()
