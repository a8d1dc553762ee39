"""The Voices and Characters managers: list, listen, create, delete (with confirmation).

Why: voices and characters are what make a series of clips feel like one story — the same face,
the same voice — and they live on the Google account, not in the notebook. These panels show
them (system and user voices with playable samples; characters with their images' count and
voice), create new ones through the session (validated before anything is sent: preset names,
the 120-character dialog, 1–2 images of one account), and delete with a second, explicit
confirmation. Both write through the session's shared
:class:`~flow_widgets.ui.library_index.LibraryIndex`, so an open Studio offers a new character
or voice at once.

Example:
    >>> import flow_widgets as fw          # doctest: +SKIP
    >>> fw.Voices(); fw.Characters()       # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import ipywidgets as widgets

from flow_widgets.api.catalog import VOICE_PRESETS
from flow_widgets.api.ids import account_of, mask_email
from flow_widgets.ui import _session
from flow_widgets.ui._board import Board, BoardOptions, Bundle
from flow_widgets.ui._handlers import StatusLine, guarded
from flow_widgets.ui._panel import Panel
from flow_widgets.ui.library_html import (
    VoiceRow,
    characters_html,
    characters_text,
    voices_html,
    voices_text,
)
from flow_widgets.ui.library_index import LibraryIndex, character_label, voice_label
from flow_widgets.ui.studio_inputs import MediaChoices, MediaHooks, MediaInput

if TYPE_CHECKING:  # pragma: no cover
    from flow_widgets.api.client import AsyncFlowClient
    from flow_widgets.api.models import Deletion
    from flow_widgets.runtime.jobs import JobHandle
    from flow_widgets.runtime.session import FlowSession

__all__ = ["Characters", "ConfirmDelete", "Voices"]

_NONE = ""


class ConfirmDelete:
    """A picker and a delete button that asks once more before anything is deleted."""

    def __init__(self, noun: str, status: StatusLine, delete: Callable[[str, str], None]) -> None:
        self._noun = noun
        self._status = status
        self._delete = delete
        self._armed: str | None = None
        self.picker = widgets.Dropdown(
            description=f"delete {noun}", options=[("(pick one)", _NONE)], value=_NONE,
            style={"description_width": "110px"}, layout={"width": "440px"},
        )  # fmt: skip
        self.button = widgets.Button(description="delete…", icon="trash")
        self.cancel = widgets.Button(description="keep it", layout={"display": "none"})
        self.widget = widgets.HBox([self.picker, self.button, self.cancel])
        self.button.on_click(guarded(status, f"Delete {noun}")(self._clicked))
        self.cancel.on_click(lambda _b: self._disarm())
        self.picker.observe(lambda _c: self._disarm(), names=["value"])

    def set_choices(self, choices: dict[str, str]) -> None:
        options = [("(pick one)", _NONE), *choices.items()]
        if list(self.picker.options) != options:
            keep = self.picker.value if self.picker.value in choices.values() else _NONE
            with self.picker.hold_sync():
                self.picker.options = options
                self.picker.value = keep

    def _clicked(self, _button: object = None) -> None:
        ref = self.picker.value
        if not ref:
            self._status.error(f"Pick the {self._noun} to delete first.")
            return
        label = self.picker.label
        if self._armed != ref:
            self._armed = ref
            self.button.description = f"yes, delete {label}"
            self.button.button_style = "danger"
            self.cancel.layout.display = None
            self._status.show(
                f"Delete {self._noun} {label!r}? This cannot be undone; press again to confirm.",
                "warning",
            )
            return
        self._disarm()
        self._delete(ref, label)

    def _disarm(self) -> None:
        self._armed = None
        self.button.description = "delete…"
        self.button.button_style = ""
        self.cancel.layout.display = "none"


class _Library(Panel):
    """What both managers share: the session, its library index, the board and deleting."""

    noun = "item"

    def __init__(self, session: FlowSession | None, board_options: BoardOptions | None) -> None:
        self.session = _session.resolve(session)
        super().__init__(scrub=_session.scrubber(self.session))
        self.library = LibraryIndex.for_session(self.session)
        self.account = widgets.Dropdown(description="account", options=[])
        self.refresh_button = widgets.Button(description="refresh", icon="refresh")
        self.deleter = ConfirmDelete(self.noun, self.status, self._delete)
        self.board = Board(self._bundle, name=f"{self.noun}s", **(board_options or {}))
        self.boards = [self.board]
        self.refresh_button.on_click(guarded(self.status, "Refresh")(lambda _b: self.refresh()))
        self.on_close(self.library.subscribe(lambda _index: self._library_changed()))

    def refresh(self) -> None:
        """Read the account's voices and characters again (in the background)."""
        self.status.show("Reading the library…")
        self.library.refresh()

    def _library_changed(self) -> None:
        if self.library.error:
            self.status.error(self.library.error)
        elif self.status.text == "Reading the library…":
            self.status.show("Library read.", "ok")
        self._sync()
        self.board.refresh()

    def _sync(self) -> None:
        emails = self.library.emails()
        options = [(mask_email(email), email) for email in emails]
        value = self.account.value if self.account.value in emails else next(iter(emails), None)
        self.set_options(self.account, options, value)

    def _bundle(self) -> Bundle:
        raise NotImplementedError

    def _delete(self, ref: str, label: str) -> None:
        async def delete(client: AsyncFlowClient) -> Deletion:
            resource = client.voices if self.noun == "voice" else client.characters
            return await resource.delete(ref)

        def done(_result: Deletion | None, error: BaseException | None) -> None:
            if error is not None:
                self.status.error(f"Deleting {label!r} failed: {error}")
                return
            self.library.remove(ref)
            self.status.show(f"Deleted {self.noun} {label!r}.", "ok")

        self.status.show(f"Deleting {label!r}…")
        _session.run_in_background(self.session, delete, done)

    def _created(self, handle: JobHandle, what: str) -> None:
        """Follow a creation job; when it is done, the index (and every Studio) learns of it."""

        def follow(job: JobHandle) -> None:
            if not job.done:
                return
            if job.ok:
                self.status.show(f"Created {what}.", "ok")
            else:
                self.status.error(f"Creating {what} failed: {job.error or job.status}")
            self.library.refresh()

        handle.on_change(follow)
        follow(handle)

    def summary(self) -> tuple[str, str]:
        data, _ = self._bundle()
        return data["text/html"], data["text/plain"]


class Voices(_Library):
    """System and user voices with playable samples; create a voice; delete one.

    Args:
        session: the session (default: the kernel's ``flow_widgets.session()``).
        board_options: passed to the board (tests inject a publisher).
    """

    title = "flow_widgets voices"
    noun = "voice"

    def __init__(
        self, session: FlowSession | None = None, *, board_options: BoardOptions | None = None
    ) -> None:
        super().__init__(session, board_options)
        self.preset = widgets.Dropdown(description="preset", options=list(VOICE_PRESETS))
        self.name = widgets.Text(description="name", placeholder="Narrator")
        self.dialog = widgets.Textarea(
            description="dialog", placeholder="A line to speak (120 characters at most)"
        )
        self.performance = widgets.Text(
            description="performance", placeholder="warm, unhurried, slight smile"
        )
        self.create_button = widgets.Button(
            description="create voice", icon="plus", button_style="primary"
        )
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.account, self.refresh_button]),
                widgets.HBox([self.preset, self.name]),
                self.dialog,
                self.performance,
                self.create_button,
                self.deleter.widget,
                self.status,
            ]
        )
        self.create_button.on_click(guarded(self.status, "Create voice")(self._create))
        self._sync()
        if not self.library.loaded:
            self.refresh()

    def _sync(self) -> None:
        super()._sync()
        self.deleter.set_choices({voice_label(v): v.voice for v in self.library.voices})

    def _rows(self) -> tuple[list[VoiceRow], list[VoiceRow]]:
        user = [
            VoiceRow(
                voice_label(v),
                v.base_voice or "",
                v.dialog or "",
                mask_email(account_of(v.voice) or "") if account_of(v.voice) else "",
                v.audio_url or v.sample_url,
            )
            for v in self.library.voices
        ]
        system = [VoiceRow(v.voice, "system preset", sample=v.sample_url)
                  for v in self.library.system_voices]  # fmt: skip
        return system, user

    def _bundle(self) -> Bundle:
        system, user = self._rows()
        data = {"text/html": voices_html(system, user), "text/plain": voices_text(system, user)}
        return data, {}

    def _create(self, _button: object = None) -> None:
        handle = self.session.voice(
            email=self.account.value or None,
            voice=self.preset.value,
            display_name=self.name.value.strip(),
            dialog=self.dialog.value.strip(),
            voice_performance=self.performance.value.strip(),
        )
        self.status.show(f"Creating voice {self.name.value.strip()!r}…")
        self._created(handle, f"voice {self.name.value.strip()!r}")


class Characters(_Library):
    """The account's characters; create one from 1–2 images and an optional voice; delete one.

    Args:
        session: the session (default: the kernel's ``flow_widgets.session()``).
        board_options: passed to the board (tests inject a publisher).
    """

    title = "flow_widgets characters"
    noun = "character"

    def __init__(
        self, session: FlowSession | None = None, *, board_options: BoardOptions | None = None
    ) -> None:
        super().__init__(session, board_options)
        self.choices = MediaChoices()
        for job in self.session.jobs():
            for media in job.media if job.ok else ():
                if media.media_id and "-image:" in media.media_id:
                    self.choices.add(f"{job.kind} · {(job.prompt or '')[:30]}", media.media_id)
        hooks: MediaHooks = {
            "uploader": lambda data, name: _session.upload_bytes(
                self.session, data, name, email=self.account.value or None
            ),
            "on_change": lambda: None,
            "report": self.status.error,
        }
        self.name = widgets.Text(description="name", placeholder="Captain Mira")
        self.image_1 = MediaInput("image 1", "image", self.choices, **hooks)
        self.image_2 = MediaInput("image 2", "image", self.choices, **hooks)
        self.voice = widgets.Dropdown(description="voice", options=[("(none)", _NONE)])
        self.notes = widgets.Textarea(description="notes", placeholder="personality (optional)")
        self.create_button = widgets.Button(
            description="create character", icon="plus", button_style="primary"
        )
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.account, self.refresh_button]),
                self.name,
                self.image_1.widget,
                self.image_2.widget,
                widgets.HBox([self.voice]),
                self.notes,
                self.create_button,
                self.deleter.widget,
                self.status,
            ]
        )
        self.create_button.on_click(guarded(self.status, "Create character")(self._create))
        self._sync()
        if not self.library.loaded:
            self.refresh()

    def _sync(self) -> None:
        super()._sync()
        self.deleter.set_choices(self.library.character_choices())
        voices = [("(none)", _NONE), *self.library.voice_choices().items()]
        self.set_options(
            self.voice,
            voices,
            self.voice.value if self.voice.value in dict(voices).values() else _NONE,
        )

    def _rows(self) -> list[tuple[str, ...]]:
        rows: list[tuple[str, ...]] = []
        for c in self.library.characters:
            voice = ""
            if c.voice is not None:
                voice = c.voice.display_name or c.voice.voice or ""
                voice += " (deleted)" if c.voice.deleted else ""
            owner = account_of(c.character)
            rows.append(
                (
                    character_label(c),
                    str(len(c.images) or ""),
                    voice,
                    mask_email(owner) if owner else "",
                    (c.create_time or "")[:10],
                )
            )
        return rows

    def _bundle(self) -> Bundle:
        rows = self._rows()
        return {"text/html": characters_html(rows), "text/plain": characters_text(rows)}, {}

    def _create(self, _button: object = None) -> None:
        images = [i for i in (self.image_1.value, self.image_2.value) if i]
        pending = self.image_1.pending + self.image_2.pending
        if pending:
            self.status.error(f"Wait for the upload of {', '.join(pending)} to finish.")
            return
        name = self.name.value.strip()
        handle = self.session.character(
            name,
            images,
            voice=self.voice.value or None,
            personality_notes=self.notes.value.strip() or None,
        )
        self.status.show(f"Creating character {name!r}…")
        self._created(handle, f"character {name!r}")
