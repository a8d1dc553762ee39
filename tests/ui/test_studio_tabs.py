"""The Studio sends only what the tab in view shows: each tab keeps its own inputs, and a seed
is fixed only when the form shows it fixed (with a button to undo it)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from flow_widgets.api.ids import make_media_id
from flow_widgets.runtime.session import FlowSession
from flow_widgets.ui.studio import Studio
from tests.ui.panel_support import PRO, Recorder, eventually

REF = make_media_id(1, PRO, "image", "pic1")


@pytest.fixture
def studio(flow: FlowSession, board: Recorder) -> Iterator[Studio]:
    panel = Studio(flow, board_options={"publisher": board})
    panel.results.board.show()
    try:
        yield panel
    finally:
        panel.close()


def test_a_reference_on_one_tab_is_never_sent_from_another(studio: Studio) -> None:
    studio.account.value = PRO
    studio.kind.value = "ingredients"
    studio.references.set((REF,))
    studio.prompt.value = "a fox in a red scarf"
    assert studio.form().reference_images == (REF,)

    studio.kind.value = "image"  # a tab never visited: empty but for the prompt in view
    assert studio.references.value == () and studio.prompt.value == "a fox in a red scarf"
    result = studio._generate()
    assert result is not None
    body = dict(result.handle.request)
    assert not [k for k in body if k.startswith(("referenceImage", "reference_"))], body
    assert body["prompt"] == "a fox in a red scarf"
    result.handle.wait(60)

    studio.kind.value = "ingredients"  # the tab comes back as it was left
    assert studio.references.value == (REF,)
    studio.kind.value = "image"
    assert studio.references.value == ()


def test_vary_leaves_no_seed_behind_and_a_fixed_seed_shows_with_its_undo(studio: Studio) -> None:
    studio.account.value = PRO
    studio.kind.value = "image"
    studio.prompt.value = "a lamp on a desk"
    first = studio._generate()
    assert first is not None
    first.handle.wait(60)
    eventually(lambda: "vary" in studio.results.bar.actions, 5, "the vary action")
    studio.results.bar.click("vary")
    assert len(studio.results.results) == 2
    assert studio.seed.value == "" and studio.unlock_seed.layout.display == "none"
    varied = studio.results.results[-1].handle
    assert "seed" not in varied.request  # the API picks a new one

    studio.seed.value = "42"
    assert studio.unlock_seed.layout.display is None  # visible: the seed is fixed
    studio.unlock_seed.click()
    assert studio.seed.value == "" and studio.unlock_seed.layout.display == "none"


def test_a_tab_switch_never_shows_generate_enabled_beside_a_reason_it_is_not(
    studio: Studio,
) -> None:
    """What the browser sees is every message in order: the preview line, then the button.
    Switching back to a tab left empty must not price the tab being left for a moment (that
    showed Generate enabled beside "prompt is empty", which a browser test caught)."""
    studio.account.value = PRO
    studio.kind.value = "text"  # left with an empty prompt
    studio.kind.value = "frames"
    studio.prompt.value = "the frame comes alive"  # invalid here: no first frame
    assert studio.generate.disabled

    seen: list[tuple[str, object]] = []
    studio.preview_line.observe(lambda c: seen.append(("preview", c["new"])), names=["value"])
    studio.generate.observe(  # the button's state, as synced to the browser
        lambda c: seen.append(("enabled", not c["new"][0]["actions"][0]["disabled"])),
        names=["groups"],
    )
    studio.kind.value = "text"

    enabled = False
    for what, value in seen:
        if what == "enabled":
            enabled = bool(value)
        elif enabled:  # a preview line shown while the button is enabled
            assert "credits" in str(value), seen
    assert studio.prompt.value == "" and studio.generate.disabled
    assert ("enabled", True) not in seen, seen
