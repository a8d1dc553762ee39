"""Resolving IMAGE/VIDEO/character/voice arguments, and deciding when a magic blocks."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from flow_widgets.api.ids import make_character_ref, make_media_id, make_voice_ref, parse_media_id
from flow_widgets.errors import ValidationError
from flow_widgets.magics._mode import has_live_frontend, should_block
from flow_widgets.magics._refs import RefResolver

IMG = make_media_id(1, "a@b.org", "image", "img1")
VID = make_media_id(1, "a@b.org", "video", "vid1")
CHAR = make_character_ref(1, "a@b.org", "ent1", 2)
VOICE = make_voice_ref(1, "a@b.org", "wf1", "mid1")


class Uploads:
    def __init__(self) -> None:
        self.sent: list[Path] = []

    def __call__(self, path: Path) -> str:
        self.sent.append(path)
        return make_media_id(1, "a@b.org", "image", f"up{len(self.sent)}")


def resolver(
    tmp_path: Path, ns: dict[str, object] | None = None, **kw: object
) -> tuple[RefResolver, Uploads]:
    uploads = Uploads()
    return RefResolver(ns or {}, upload=uploads, cwd=tmp_path, **kw), uploads  # type: ignore[arg-type]


def test_media_ids_pass_through(tmp_path: Path) -> None:
    r, uploads = resolver(tmp_path)
    assert r.media(IMG, option="--ref") == IMG
    assert uploads.sent == []


def test_local_files_are_uploaded_once(tmp_path: Path) -> None:
    (tmp_path / "fox.png").write_bytes(b"png")
    r, uploads = resolver(tmp_path)
    first = r.media("fox.png", option="--ref")
    again = r.media(str(tmp_path / "fox.png"), option="--start")
    assert first == again and len(uploads.sent) == 1


def test_variables_holding_results(tmp_path: Path) -> None:
    job = SimpleNamespace(media=[SimpleNamespace(media_id=VID), SimpleNamespace(media_id=IMG)])
    ns = {"clip": job, "file": SimpleNamespace(media_id=IMG), "idtext": IMG, "takes": [job]}
    r, _ = resolver(tmp_path, ns)
    assert r.media("clip", option="--video", kind="video") == VID
    assert r.media("clip.media[1]", option="--ref") == IMG
    assert r.media("takes[0]", option="--video") == VID
    assert r.media("file", option="--ref") == IMG
    assert r.media("idtext", option="--ref") == IMG


def test_a_file_wins_over_a_variable_with_the_same_stem(tmp_path: Path) -> None:
    (tmp_path / "fox.png").write_bytes(b"png")
    r, uploads = resolver(tmp_path, {"fox": 3})
    r.media("fox.png", option="--ref")
    assert len(uploads.sent) == 1


def test_unusable_arguments_are_named(tmp_path: Path) -> None:
    r, _ = resolver(tmp_path, {"n": 3})
    with pytest.raises(ValidationError, match=r"--start 'missing.png' is not a file"):
        r.media("missing.png", option="--start")
    with pytest.raises(ValidationError, match="that variable holds int"):
        r.media("n", option="--ref")


def test_placeholders_stand_in_for_uploads(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(b"a")
    (tmp_path / "b.mp4").write_bytes(b"b")
    r, uploads = resolver(tmp_path, placeholder_owner=("7", "me@x.org"))
    image = r.media("a.png", option="--ref")
    video = r.media("b.mp4", option="--video", kind="video")
    assert uploads.sent == []
    parsed_image, parsed_video = parse_media_id(image), parse_media_id(video)
    assert parsed_image is not None and parsed_image.email == "me@x.org"
    assert parsed_video is not None and parsed_video.kind == "video"
    assert r.placeholders == {
        image: (tmp_path / "a.png").resolve(),
        video: (tmp_path / "b.mp4").resolve(),
    }


def test_characters_by_ref_variable_or_name(tmp_path: Path) -> None:
    listed = [SimpleNamespace(display_name="Carol", character=CHAR)]
    calls: list[int] = []

    def list_characters() -> list[SimpleNamespace]:
        calls.append(1)
        return listed

    r = RefResolver(
        {"hero": SimpleNamespace(character=CHAR)}, upload=Uploads(), list_characters=list_characters
    )
    assert r.character(CHAR) == CHAR and r.character("hero") == CHAR and calls == []
    assert r.character("carol") == CHAR and calls == [1]
    with pytest.raises(ValidationError, match="%flow characters lists them"):
        r.character("Bob")


def test_voices_by_preset_ref_or_variable(tmp_path: Path) -> None:
    r, _ = resolver(tmp_path, {"narrator": SimpleNamespace(voice=VOICE), "v": "kore"})
    assert r.voice("achernar") == "Achernar"
    assert r.voice(VOICE) == VOICE
    assert r.voice("narrator") == VOICE
    assert r.voice("v") == "Kore"
    with pytest.raises(ValidationError, match="30 voice presets"):
        r.voice("Robot")


class Kernel:
    def __init__(self, allow_stdin: bool) -> None:
        self._allow_stdin = allow_stdin


@pytest.mark.parametrize(
    ("kernel", "wait", "configured", "env", "expected"),
    [
        (None, False, None, {}, True),  # terminal / plain shell
        (Kernel(True), False, None, {}, False),  # JupyterLab, VS Code, Colab
        (Kernel(False), False, None, {}, True),  # nbclient, nbconvert, papermill
        (Kernel(True), True, None, {}, True),  # --wait
        (Kernel(False), False, False, {}, False),  # %config FlowMagics.block = False
        (Kernel(True), False, None, {"FLOW_WIDGETS_BLOCK": "1"}, True),
        (Kernel(False), False, None, {"FLOW_WIDGETS_BLOCK": "off"}, False),
        (Kernel(True), False, None, {"FLOW_WIDGETS_BLOCK": "maybe"}, False),
    ],
)
def test_should_block(
    kernel: Kernel | None, wait: bool, configured: bool | None, env: dict[str, str], expected: bool
) -> None:
    shell = SimpleNamespace(kernel=kernel)
    assert should_block(shell, wait=wait, configured=configured, env=env) is expected


def test_has_live_frontend() -> None:
    assert has_live_frontend(SimpleNamespace(kernel=Kernel(True)))
    assert not has_live_frontend(SimpleNamespace())
