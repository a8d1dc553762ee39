"""The Studio: a point-and-click form for every kind of generation, with a live cost preview.

Why: people who tweak prompts interactively, and classrooms, want a form rather than magics —
but the same session, the same rules and the same results. The Studio reads its controls into a
:class:`~flow_widgets.ui.studio_form.StudioForm`, asks :mod:`flow_widgets.ui.studio_form` what
to offer (only the models, durations, aspect ratios, resolutions and reference slots valid for
the chosen model *and* the account's plan) and what it would cost, and keeps **Generate**
disabled, with the reason shown, whenever the request is invalid or over budget. Results are
live cards on a plain output under the form (:mod:`flow_widgets.ui.studio_results`).

The preview follows the credit tracker: when a job elsewhere spends credits, or the budget
changes, the Studio's numbers change too (throttled; from the engine thread only traits move).

Example:
    >>> import flow_widgets as fw          # doctest: +SKIP
    >>> fw.Studio()                        # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import html
import random
import threading
import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

import ipywidgets as widgets

from flow_widgets.api.catalog import TIER_NAMES, TIERS
from flow_widgets.api.ids import mask_email
from flow_widgets.errors import ValidationError
from flow_widgets.runtime.jobs import JobHandle
from flow_widgets.runtime.routing import Route, cheapest
from flow_widgets.ui import _session
from flow_widgets.ui._board import BoardOptions
from flow_widgets.ui._handlers import Change, guarded
from flow_widgets.ui._panel import Panel
from flow_widgets.ui._throttle import Throttle
from flow_widgets.ui.form_group import form_group, hide_empty
from flow_widgets.ui.library_index import LibraryIndex
from flow_widgets.ui.studio_controls import StudioControls
from flow_widgets.ui.studio_form import (
    KIND_LABELS,
    StudioForm,
    build_request,
    options_for,
)
from flow_widgets.ui.studio_inputs import MediaChoices
from flow_widgets.ui.studio_preview import Preview, preview
from flow_widgets.ui.studio_results import Result, StudioResults
from flow_widgets.ui.studio_takes import StudioTakes
from flow_widgets.ui.studio_thumbs import SentRef, ThumbStrip, sent_references
from flow_widgets.ui.text import one_line
from flow_widgets.ui.words import in_form_words, is_hint

if TYPE_CHECKING:  # pragma: no cover
    from flow_widgets.api.catalog import Tier
    from flow_widgets.runtime.session import FlowSession

__all__ = ["Studio"]

_MAX_SEED = 2**31 - 1


def _take_of(intent: str) -> int | None:
    """The take number a press carried (``"take:3"`` -> 3)."""
    kind, _, number = intent.partition(":")
    return int(number) if kind == "take" and number.isdigit() else None


def _generate_label(shown: Preview) -> str:
    """``Generate · 10 credits``: the button says what a press costs (the preview's price)."""
    if shown.credits is None:
        return "Generate"
    return "Generate · free" if shown.credits == 0 else f"Generate · {shown.credits:,} credits"


class Studio(StudioControls, Panel):
    """A form for text-to-video, first/last frame, ingredients, Omni edit, extend, upscale and
    images, sharing the kernel's session with the magics.

    Args:
        session: the session to use (default: the kernel's ``flow_widgets.session()``).
        kind: the form to open first (``"text"``, ``"image"`` …).
        board_options: passed to the results board (tests inject a publisher).
        name: the key of this Studio's takes where the frontend sends no cell id (each
            *Generate* is a take of the cell the Studio was made in; see
            :mod:`flow_widgets.ui.studio_takes`).
    """

    title = "flow_widgets Studio"

    def __init__(
        self,
        session: FlowSession | None = None,
        *,
        kind: str = "text",
        board_options: BoardOptions | None = None,
        name: str | None = None,
    ) -> None:
        from flow_widgets.ui._widgets_version import require_ipywidgets_8

        require_ipywidgets_8("The Studio (fw.Studio())")
        self.session = _session.resolve(session)
        super().__init__(scrub=_session.scrubber(self.session))
        # One sync at a time; a sync's own trait changes echo back on its thread and are
        # ignored, while a sync asked for from another thread waits its turn.
        self._sync_lock = threading.RLock()
        self._sync_thread: int | None = None
        self._preview: Preview | None = None
        self.choices = MediaChoices()
        self._offered: set[int] = set()
        self._watched: set[int] = set()
        self._tracked = Throttle(self.sync, min_interval=0.5)
        self.library = LibraryIndex.for_session(self.session)
        self._scope = f"studio:{uuid.uuid4().hex}"  # takes of this Studio are its own intents
        # Each tab keeps its own inputs: what one tab holds is never sent from another.
        self._tab = kind
        self._tabs: dict[str, StudioForm] = {}
        self._shown_form: StudioForm | None = None
        self._loading = False
        self._build_controls(
            kind,
            on_change=guarded(self.status, "Updating the form")(self._changed),
            report=self.status.error,
            uploader=self._upload,
            on_generate=guarded(self.status, "Generate")(self._generate),
            on_new_seed=guarded(self.status, "Random seed")(self._new_seed),
        )
        self.thumbs = ThumbStrip(
            thumbnail=self.choices.thumbnail,
            name_of=self._name_of,
            on_remove=guarded(self.status, "Remove reference")(self._remove_reference),
        )
        self.results = StudioResults(
            on_vary=guarded(self.status, "Vary")(self._vary),
            on_edit=guarded(self.status, "Edit")(self._edit),
            on_extend=guarded(self.status, "Extend")(self._extend),
            on_upscale=guarded(self.status, "Upscale")(self._upscale),
            report=self.status.error,
            board_options=board_options,
            takes=StudioTakes(self.session, name=name),
        )
        self.boards = [self.results.board]
        # The form in labelled groups, in the order one fills it in (Tab follows it): what to
        # make, with which settings, from which inputs; then what it costs and Generate.
        self.what = form_group("what", [self.kind, self.prompt_group])
        self.settings = form_group(
            "settings",
            [
                widgets.HBox([self.account, self.model]),
                widgets.HBox([self.duration, self.aspect, self.resolution]),
                widgets.HBox(
                    [self.count, self.seed, self.random_seed, self.unlock_seed, self.upscale_to]
                ),
            ],
        )
        self.inputs = form_group(
            "inputs",
            [
                self.start.widget,
                self.end.widget,
                self.video.widget,
                self.window,
                self.source.widget,
                self.references_box,
                self.characters_box,
                self.voices_box,
                self.thumbs.widget,
            ],
        )
        self.groups = (self.what, self.settings, self.inputs)
        self.widget = widgets.VBox(
            [
                widgets.HTML(f"<b>{html.escape(self.title)}</b>"),
                *self.groups,
                self.footer,
                self.status,
                self.results.widget,
            ]
        )
        self.widget.add_class("fw-studio")
        self.kind.observe(self._switch_tab, names=["value"])
        self.unlock_seed.on_click(guarded(self.status, "Unlock seed")(self._unlock_seed))
        self.on_close(self.session.tracker.subscribe(self._tracked))
        self.on_close(self.library.subscribe(lambda _i: self._tracked()))
        self.on_close(self.results.close)
        self.on_close(self._tracked.close)
        if not self.library.loaded:
            self.library.refresh()
        self._offer_next_take()
        self.sync()

    def _upload(self, data: bytes, name: str) -> JobHandle:
        return _session.upload_bytes(self.session, data, name, email=self.account.value or None)

    def _tier(self) -> Tier | None:
        """The plan the form is priced and checked for: the chosen account's; with "any
        account", the plan of the account the request will be routed to (the cheapest eligible
        one, :mod:`flow_widgets.runtime.routing`), else the richest plan linked."""
        tracker = self.session.tracker
        if self.account.value:
            return tracker.tier_of(self.account.value)
        route = self._route()
        if route is not None and route.tier is not None:
            return route.tier
        tiers = [a.tier for a in tracker.accounts() if a.tier in TIERS]
        return tracker.tier_of(None) or (max(tiers, key=TIERS.index) if tiers else None)

    def _route(self) -> Route | None:
        """Where the form's request would go with "any account" (``None``: not decided)."""
        if self.account.value:
            return None
        try:
            request = build_request(self.form())
        except ValidationError:
            return None
        return cheapest(self.session.tracker, request)

    @property
    def current_preview(self) -> Preview | None:
        """The last preview shown (what *Generate* would send, and why it may not)."""
        return self._preview

    # -- keeping the form consistent -----------------------------------------------------------

    def _changed(self) -> None:
        self.sync()

    @contextlib.contextmanager
    def _quiet(self) -> Iterator[bool]:
        """Hold the form for one thread; yields False when this thread already holds it."""
        me = threading.get_ident()
        if self._sync_thread == me:
            yield False
            return
        with self._sync_lock:
            self._sync_thread = me
            try:
                yield True
            finally:
                self._sync_thread = None

    def sync(self) -> None:
        """Re-offer the valid choices, show or hide fields, and update the cost preview."""
        with self._quiet() as first:
            if not first:
                return
            self._sync_accounts()
            self._sync_library()
            self._sync_session_media()
            form = self.form()
            options = options_for(form, self._tier())
            self._apply_options(form, options)
            shown = self.form()
            self._show_fields(shown)
            Panel.hide(self.unlock_seed, shown.seed is None or not shown.uses("seed"))
            self._update_preview(shown)
            self.thumbs.show(sent_references(shown))
            for group in self.groups:
                hide_empty(group)  # a tab with no inputs shows no empty "inputs" heading
            if shown.kind == self._tab:
                self._shown_form = shown

    def _switch_tab(self, change: Change) -> None:
        """Keep the tab being left as it was, and show the tab chosen as it was left (a tab
        never visited starts empty but for the prompt, which stays in view)."""
        old, new = change["old"], change["new"]
        if self._shown_form is not None and self._shown_form.kind == old:
            self._tabs[old] = self._shown_form
        self._tab = new
        if self._loading:
            return  # load() is putting a whole form in place
        saved = self._tabs.get(new)
        if saved is None:
            carried = self._shown_form.prompt if self._shown_form is not None else ""
            saved = StudioForm(kind=new, prompt=carried)
        self.load(replace(saved, email=self.account.value or None))

    def _sync_accounts(self) -> None:
        accounts = self.session.tracker.accounts()
        options = [("any account", "")] + [
            (f"{mask_email(a.email)} · {TIER_NAMES.get(a.tier, 'plan?') if a.tier else 'plan?'}",
             a.email)
            for a in accounts
        ]  # fmt: skip
        current = self.account.value if self.account.value in dict(options).values() else ""
        self.set_options(self.account, options, current)

    def _sync_session_media(self) -> None:
        """Offer the files of every finished job of the session (magics, batches, other
        panels) as inputs, not only the Studio's own takes."""
        for job in self.session.jobs():
            if id(job) in self._offered:
                continue
            if job.status != "completed":
                if not job.done and id(job) not in self._watched:
                    self._watched.add(id(job))
                    self.on_close(job.on_change(self._tracked))
                continue
            self._offered.add(id(job))
            take = next((r.number for r in self.results.results if r.handle is job), None)
            prompt = one_line(str(job.prompt or ""), 30)
            for media in job.media:
                if media.media_id:
                    name = f"#{take} {media.kind} {media.index + 1}" if take else media.kind
                    self.choices.add(f"{name} · {prompt}", media.media_id, path=media.path)

    def _sync_library(self) -> None:
        self.characters.set_choices(self.library.character_choices())
        self.voices.set_choices(self.library.voice_choices())

    def _update_preview(self, form: StudioForm) -> None:
        snapshot = self.session.tracker.snapshot()
        balances = [a.credits for a in snapshot.accounts if a.credits is not None]
        payer = form.email or getattr(self._route(), "email", None)
        if payer:
            chosen = [a for a in snapshot.accounts if a.email == payer]
            balances = [a.credits for a in chosen if a.credits is not None]
        shown = preview(
            form,
            tier=self._tier(),
            balance=max(balances) if balances else None,
            remaining_budget=snapshot.remaining_budget,
            budget=snapshot.budget,
            catalog=self.session.tracker.catalog,
        )
        waiting = [
            *self.start.pending, *self.end.pending, *self.video.pending, *self.source.pending,
            *self.references.pending,
        ]  # fmt: skip
        if waiting and shown.ok:
            shown = replace(shown, problem=f"Waiting for the upload of {', '.join(waiting)}.")
        self._preview = shown
        cost = html.escape(shown.summary())
        reason = ""
        if shown.problem:
            problem = html.escape(in_form_words(shown.problem))
            colour = "#6b7280" if is_hint(shown.problem) else "#d0342c"  # red only for errors
            tone = "queued" if is_hint(shown.problem) else "failed"  # its dark-theme shade
            reason = (
                f'<div class="fw-studio-reason fw-text-{tone}" style="color:{colour}">'
                f"{problem}</div>"
            )
        # The words first, then the button: each is its own message to the browser, so in this
        # order an enabled Generate never sits beside the reason it was disabled for.
        self.preview_line.value = (
            f'<div style="font:13px/1.4 system-ui;padding-left:8px"><div>{cost}</div>{reason}</div>'
        )
        with self.generate.hold_sync():
            self.generate.description = _generate_label(shown)
            self.generate.disabled = not shown.ok
            self.generate.tooltip = shown.problem or "Generate (Ctrl+Enter in the prompt)"

    # -- actions -------------------------------------------------------------------------------

    def _generate(self, source: object = None) -> Result | None:
        """Buy the take the Studio offers (or, for a repeated press, the one it offered then).

        The press carries the take number the person saw ("take:3", see
        :mod:`flow_widgets.ui.press`); the take is bought as take N of this request in this
        Studio (``FlowSession.submit(…, take=, scope=)``), so a second press of the same
        intent gets the same job back and buys nothing.
        """
        self.sync()
        shown = self._preview
        if shown is None or not shown.ok or shown.request is None:
            problem = in_form_words(shown.problem if shown and shown.problem else "")
            problem = problem or "The form is not ready."
            self.status.show(problem, "info") if is_hint(problem) else self.status.error(problem)
            return None
        form = self.form()
        take = _take_of(getattr(source, "pressed_intent", "")) or self._next_take()
        self.generate.disabled = True
        try:
            handle = self.session.submit(shown.request, take=take, scope=self._scope)
        finally:
            self.sync()
        earlier = self.results.holding(handle)
        if earlier is not None:
            self.status.show(
                f"Take #{earlier.number} was already started by that press; nothing more was "
                "bought.",
                "info",
            )
            return earlier
        result = self.results.add(handle, form, shown.request)
        self._offer_next_take()
        self._tracked()  # follow the new take, so its files are offered as inputs when done
        self.status.show(f"Started take #{result.number}: {one_line(form.prompt, 60)}", "ok")
        return result

    def _next_take(self) -> int:
        return len(self.results.results) + 1

    def _offer_next_take(self) -> None:
        """Put the take number the next press would buy on both controls that buy."""
        intent = f"take:{self._next_take()}"
        self.generate.intent = intent
        self.prompt.intent = intent

    def _new_seed(self, _button: object = None) -> None:
        self.seed.value = str(random.randint(0, _MAX_SEED))

    def load(self, form: StudioForm) -> None:
        """Put ``form`` into the controls (what *edit* does)."""
        with self._quiet():
            loading, self._loading = self._loading, True
            try:
                self.kind.value = form.kind
            finally:
                self._loading = loading
            self.prompt.value = form.prompt
            self.count.value = form.count
            self.seed.value = "" if form.seed is None else str(form.seed)
            self.account.value = form.email if form.email in self._emails() else ""
            self.start.set(form.start_image)
            self.end.set(form.end_image)
            self.video.set(form.reference_video)
            self.source.set(form.source)
            self.references.set(form.reference_images)
            self.characters.set(form.characters)
            self.voices.set(form.voices)
            if form.start_frame is not None and form.end_frame is not None:
                self.window.value = (form.start_frame, form.end_frame)
            options = options_for(form, self._tier())
            self._apply_options(form, options)
        self.sync()

    def _name_of(self, ref: str) -> str | None:
        """A character's name, or the label of an offered media (for a tile with no picture)."""
        names = {value: label for label, value in self.library.character_choices().items()}
        return names.get(ref) or self.choices.label_of(ref)

    def _remove_reference(self, shown: SentRef) -> None:
        """Take exactly ``shown`` out of what the tab will send (the same slot, if it still
        holds that reference; else the first slot that does)."""
        form = self.form()
        if shown.field in ("reference_images", "characters"):
            values = list(getattr(form, shown.field))
            if shown.index < len(values) and values[shown.index] == shown.ref:
                del values[shown.index]
            elif shown.ref in values:
                values.remove(shown.ref)
            else:
                return
            picks = self.references if shown.field == "reference_images" else self.characters
            picks.set(tuple(values))
        else:
            control = {
                "start_image": self.start, "end_image": self.end,
                "reference_video": self.video, "source": self.source,
            }[shown.field]  # fmt: skip
            if control.value != shown.ref:
                return
            control.set(None)
        self.sync()
        self.status.show(f"Removed {shown.label}; it will not be sent.", "info")

    def _emails(self) -> list[str]:
        return [a.email for a in self.session.tracker.accounts()]

    def _vary(self, result: Result) -> None:
        """The same settings with a new seed — left to the API, so no seed stays fixed in the
        form for later takes."""
        self.load(replace(result.form, seed=None))
        self._generate()

    def _unlock_seed(self, _button: object = None) -> None:
        self.seed.value = ""
        self.status.show("Seed unlocked: every take gets a new one.", "info")

    def _edit(self, result: Result) -> None:
        self.load(result.form)
        self.status.show(f"Loaded take #{result.number} into the form.", "info")

    def _extend(self, result: Result) -> None:
        media_id = _session.first_media_id(result.handle, "video")
        self.load(StudioForm(kind="extend", model=result.handle.model, source=media_id))
        self.status.show(f"Describe what happens next in take #{result.number}.", "info")

    def _upscale(self, result: Result) -> None:
        media_id = _session.first_media_id(result.handle)
        self.load(StudioForm(kind="upscale", source=media_id))
        self.status.show(f"Pick the resolution for take #{result.number}, then Generate.", "info")

    # -- fallback ------------------------------------------------------------------------------

    def summary(self) -> tuple[str, str]:
        form = self.form()
        facts = [KIND_LABELS[form.kind]]
        if form.model:
            facts.append(form.model)
        if self._preview is not None:
            facts.append(self._preview.summary())
        facts.append(f"{len(self.results.results)} takes")
        line = " · ".join(facts)
        prompt = one_line(form.prompt, 200)
        body = f"<div>{html.escape(line)}</div>" + (
            f'<div dir="auto" style="color:#374151">{html.escape(prompt)}</div>' if prompt else ""
        )
        return body, f"{line}\n{prompt}".rstrip()
