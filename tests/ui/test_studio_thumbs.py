"""The Studio shows every reference the tab in view will send, each with a remove button; the
POST body the simulator receives carries exactly the references shown (read at the simulator)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from io import BytesIO

import ipywidgets as widgets
import pytest

from flow_widgets.runtime.session import FlowSession
from flow_widgets.simulator.server import RunningSimulator
from flow_widgets.ui.studio import Studio
from flow_widgets.ui.studio_form import StudioForm
from flow_widgets.ui.studio_thumbs import THUMB_SIDE, SentRef, ThumbStrip, sent_references
from tests.ui.panel_support import PRO, Recorder, eventually


@pytest.fixture
def studio(flow: FlowSession, board: Recorder) -> Iterator[Studio]:
    panel = Studio(flow, board_options={"publisher": board})
    panel.results.board.show()
    try:
        yield panel
    finally:
        panel.close()


def _png(colour: str) -> bytes:
    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (320, 180), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def _upload_references(studio: Studio, *names: str) -> None:
    now = datetime.now(timezone.utc)
    studio.references.uploads.widget.value = tuple(
        {"name": f"{name}.png", "type": "image/png", "size": 1, "last_modified": now,
         "content": memoryview(_png(name))}
        for name in names
    )  # fmt: skip
    eventually(lambda: len(studio.references.value) == len(names), 10, "the uploads' media ids")
    # The last upload's answer reaches the form on the engine thread; its strip follows.
    eventually(lambda: len(studio.thumbs.shown) == len(names), 10, "the strip to show them")


def _buttons(studio: Studio) -> list[str]:
    return [b.description for b in studio.thumbs.buttons]


def _faces(studio: Studio) -> list[widgets.Widget]:
    return [tile.children[0] for tile in studio.thumbs.tiles.children]


def _posted(sim: RunningSimulator, before: set[str]) -> dict[str, object]:
    """The body of the one generation the simulator accepted since ``before``."""
    eventually(lambda: any(j.jobid not in before for j in sim.app_state.jobs), 10, "the POST")
    new = [job for job in sim.app_state.jobs if job.jobid not in before]
    assert len(new) == 1, [job.jobid for job in new]
    return dict(new[0].request)


def _references_in(body: dict[str, object]) -> list[object]:
    return [v for k, v in sorted(body.items()) if k.startswith("referenceImage")]


def test_two_references_show_two_thumbnails_and_remove_takes_exactly_one_out_of_the_post(
    sim: RunningSimulator, studio: Studio
) -> None:
    studio.account.value = PRO
    studio.kind.value = "ingredients"
    studio.prompt.value = "a fox and a lantern"
    assert studio.thumbs.widget.layout.display == "none"  # nothing will be sent: no strip
    _upload_references(studio, "red", "blue")
    first, second = studio.references.value

    assert _buttons(studio) == ["remove reference 1", "remove reference 2"]
    faces = _faces(studio)
    assert all(isinstance(f, widgets.Image) for f in faces)  # the uploads' own pictures
    assert all(0 < len(f.value) <= 4096 for f in faces)  # a small thumbnail, not the upload
    assert studio.thumbs.widget.layout.display is None
    assert not studio.generate.disabled

    studio.thumbs.buttons[0].click()  # "remove reference 1"
    assert studio.references.value == (second,)
    assert _buttons(studio) == ["remove reference 1"]
    assert [r.ref for r in studio.thumbs.shown] == [second]

    before = {job.jobid for job in sim.app_state.jobs}
    result = studio._generate()
    assert result is not None
    assert _references_in(_posted(sim, before)) == [second]  # only what is shown is sent
    result.handle.wait(60)

    studio.thumbs.buttons[0].click()  # the last one: the tab cannot be sent any more
    assert not studio.references.value and not studio.thumbs.buttons
    assert studio.generate.disabled and studio.generate.description == "Generate"
    assert "reference" in studio.preview_line.value
    assert first not in str(studio.form())


def test_thumbnails_are_per_tab(studio: Studio) -> None:
    studio.account.value = PRO
    studio.kind.value = "ingredients"
    studio.prompt.value = "a boat at dawn"
    _upload_references(studio, "green", "white")
    assert _buttons(studio) == ["remove reference 1", "remove reference 2"]

    studio.kind.value = "frames"  # the ingredients are not this tab's: not shown, not sent
    assert _buttons(studio) == []
    studio.start.pasted.value = "<b>frame</b>"  # a pasted id is shown as typed, escaped
    assert _buttons(studio) == ["remove first frame"]
    (face,) = _faces(studio)
    assert isinstance(face, widgets.HTML)  # no local picture: a neutral tile with a short id
    assert "</b>" not in face.value and "&lt;/b&gt;" in face.value

    studio.kind.value = "ingredients"
    assert _buttons(studio) == ["remove reference 1", "remove reference 2"]
    studio.kind.value = "frames"
    assert _buttons(studio) == ["remove first frame"]
    studio.thumbs.buttons[0].click()
    assert studio.start.value is None and studio.generate.disabled
    studio.kind.value = "ingredients"
    assert len(studio.references.value) == 2  # removing on one tab leaves the other alone


@pytest.mark.parametrize(("made_on", "used_on"), [("image", "upscale"), ("text", "extend")])
def test_a_downloaded_result_shows_its_own_file_as_the_thumbnail(
    studio: Studio, made_on: str, used_on: str
) -> None:
    studio.account.value = PRO
    studio.kind.value = made_on
    studio.prompt.value = "a teapot"
    made = studio._generate()
    assert made is not None
    made.handle.wait(60)
    media = made.handle.media[0]
    assert media.path is not None and media.media_id
    studio.sync()
    studio.kind.value = used_on  # an image's own pixels, or a video's first frame
    studio.source.set(media.media_id)
    assert _buttons(studio) == ["remove source"]
    (face,) = _faces(studio)
    assert isinstance(face, widgets.Image) and 0 < len(face.value) <= 4096


def test_every_label_on_a_tile_is_escaped() -> None:
    strip = ThumbStrip(
        thumbnail=lambda _ref: None,
        name_of=lambda _ref: '<img src=x onerror="alert(1)">',
        on_remove=lambda _ref: None,
    )
    strip.show([SentRef("characters", 0, "c1", "character <1>")])
    face, caption, remove = strip.tiles.children[0].children
    assert "<img" not in face.value and "&lt;img" in face.value
    assert "character &lt;1&gt;" in caption.value
    assert remove.description == "remove character <1>"  # a button's text is not HTML
    assert f"{THUMB_SIDE}px" in face.value


def test_removing_the_last_frame_keeps_the_first(studio: Studio) -> None:
    studio.account.value = PRO
    studio.kind.value = "frames"
    studio.prompt.value = "from dawn to dusk"
    studio.start.pasted.value = "frame-a"
    studio.end.pasted.value = "frame-b"
    assert _buttons(studio) == ["remove first frame", "remove last frame"]
    studio.thumbs.buttons[1].click()
    assert (studio.start.value, studio.end.value) == ("frame-a", None)
    assert _buttons(studio) == ["remove first frame"]
    assert studio.status.tone == "info" and "last frame" in studio.status.text


def test_a_tile_gets_its_picture_once_the_file_is_known() -> None:
    pictures: dict[str, bytes] = {}
    strip = ThumbStrip(
        thumbnail=pictures.get, name_of=lambda _ref: None, on_remove=lambda _ref: None
    )
    shown = [SentRef("source", 0, "clip-1", "source")]
    strip.show(shown)
    assert isinstance(strip.tiles.children[0].children[0], widgets.HTML)
    pictures["clip-1"] = b"\xff\xd8 a small jpeg"
    strip.show(shown)
    assert isinstance(strip.tiles.children[0].children[0], widgets.Image)


def test_only_the_fields_the_tab_sends_are_shown() -> None:
    form = StudioForm(
        kind="image",
        prompt="a cup",
        reference_images=("r1", "r2"),
        characters=("c1",),
        start_image="left-over",  # a field the Image tab does not send
        source="left-over",
    )
    shown = sent_references(form)
    assert [(s.label, s.ref) for s in shown] == [
        ("reference 1", "r1"), ("reference 2", "r2"), ("character 1", "c1"),
    ]  # fmt: skip
    edit = StudioForm(kind="edit", reference_video="v1", start_image="left-over")
    assert [s.label for s in sent_references(edit)] == ["video"]
    extend = StudioForm(kind="extend", source="v2", reference_images=("left-over",))
    assert [s.label for s in sent_references(extend)] == ["source"]
