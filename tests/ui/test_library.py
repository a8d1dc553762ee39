"""Voices and characters: listed with samples, created, deleted after confirmation, and offered
by an open Studio at once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from flow_widgets.runtime.session import FlowSession
from flow_widgets.ui.library import Characters, Voices
from flow_widgets.ui.studio import Studio
from tests.ui.panel_support import PRO, Recorder, eventually


@pytest.fixture
def voices(flow: FlowSession, board: Recorder) -> Iterator[Voices]:
    panel = Voices(flow, board_options={"publisher": board})
    panel.board.show()
    eventually(lambda: panel.library.loaded, 10, "the library to load")
    try:
        yield panel
    finally:
        panel.close()


@pytest.fixture
def studio(flow: FlowSession) -> Iterator[Studio]:
    panel = Studio(flow, board_options={"publisher": Recorder()})
    try:
        yield panel
    finally:
        panel.close()


def test_system_voices_are_listed_with_playable_samples(voices: Voices, board: Recorder) -> None:
    eventually(lambda: "30 system voices" in board.last_html, 10, "the presets on the board")
    assert board.last_html.count("<audio") >= 30


def test_create_a_voice_and_the_studio_offers_it_at_once(
    voices: Voices, studio: Studio, board: Recorder
) -> None:
    voices.account.value = PRO
    voices.preset.value = "Umbriel"
    voices.name.value = "Narrator <b>"
    voices.dialog.value = "Once upon a time, in a notebook far away."
    voices.performance.value = "warm and slow"
    voices.create_button.click()
    eventually(lambda: voices.status.tone == "ok", 20, "the voice to be created")
    assert voices.status.text == "Created voice 'Narrator <b>'."
    eventually(lambda: "Narrator &lt;b&gt;" in board.last_html, 10, "the new voice on the board")
    assert "pr***@gmail.com" in board.last_html and PRO not in board.last_html
    eventually(
        lambda: "Narrator <b> (on Umbriel)" in studio.voices.widget.allowed_tags,
        10,
        "the Studio to offer the new voice",
    )


def test_bad_voice_input_is_refused_in_one_sentence_before_sending(voices: Voices) -> None:
    voices.account.value = PRO
    voices.name.value = "Long"
    voices.dialog.value = "x" * 121
    voices.performance.value = "calm"
    voices.create_button.click()
    assert voices.status.tone == "error"
    assert "dialog is 121 characters long; shorten it to 120 or fewer." in voices.status.text


def test_delete_asks_for_confirmation_first(
    flow: FlowSession, voices: Voices, board: Recorder
) -> None:
    flow.voice(
        email=PRO, voice="Kore", display_name="Temp", dialog="Hello.", voice_performance="flat"
    ).wait(30)
    voices.refresh()

    def temp() -> list[str]:
        return [v.voice for v in voices.library.voices if v.display_name == "Temp"]

    eventually(lambda: len(temp()) == 1, 10, "the voice in the library")
    deleter = voices.deleter
    deleter.picker.value = temp()[0]
    deleter.button.click()
    assert voices.status.tone == "warning" and "press again to confirm" in voices.status.text
    assert deleter.button.description == "yes, delete Temp (on Kore)"
    assert len(temp()) == 1  # nothing deleted yet
    deleter.cancel.click()
    assert deleter.button.description == "delete…"
    deleter.button.click()
    deleter.button.click()
    eventually(lambda: temp() == [], 10, "the voice to be deleted")
    assert voices.status.text.startswith("Deleted voice")
    eventually(lambda: "Temp" not in board.last_html, 10, "the board to follow")


def test_create_a_character_from_an_image_and_delete_it(flow: FlowSession, studio: Studio) -> None:
    face = flow.image("a friendly robot portrait", email=PRO, new=True).wait(60)
    board = Recorder()
    panel = Characters(flow, board_options={"publisher": board})
    panel.board.show()
    try:
        eventually(lambda: panel.library.loaded, 10, "the library to load")
        panel.account.value = PRO
        panel.name.value = "Robo"
        panel.create_button.click()
        assert panel.status.tone == "error" and "imageReference_1 is required" in panel.status.text
        panel.image_1.set(face.media[0].media_id)
        panel.voice.value = "Puck"
        panel.create_button.click()
        eventually(lambda: panel.status.tone == "ok", 20, "the character to be created")
        eventually(lambda: "Robo" in board.last_html, 10, "the character on the board")
        eventually(
            lambda: "Robo" in studio.characters.widget.allowed_tags, 10, "the Studio to offer it"
        )
        [robo] = [c.character for c in panel.library.characters if c.display_name == "Robo"]
        panel.deleter.picker.value = robo
        panel.deleter.button.click()
        panel.deleter.button.click()
        eventually(
            lambda: all(c.character != robo for c in panel.library.characters), 10, "deleted"
        )
        eventually(
            lambda: "Robo" not in studio.characters.widget.allowed_tags, 10, "the Studio to drop it"
        )
    finally:
        panel.close()
