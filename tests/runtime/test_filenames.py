"""Media file names: readable, safe against hostile prompts and jobids, stable, private."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flow_widgets.runtime.filenames import (
    MAX_NAME_LENGTH,
    extension_for,
    media_filename,
    slugify,
)

SAFE_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*-[0-9a-f]{10}-[0-9]+\.[a-z0-9]{1,8}$")
WINDOWS_DEVICES = (
    {"con", "prn", "aux", "nul"} | {f"com{i}" for i in range(10)} | {f"lpt{i}" for i in range(10)}
)
JOBID = "j1731859234567v-u12345-email:jo.smith@gmail.com-bot:google-flow"


def _assert_safe(path: Path, folder: Path) -> None:
    name = path.name
    assert path.parent == folder
    assert SAFE_NAME.match(name), name
    assert len(name.encode()) <= MAX_NAME_LENGTH
    assert name.split(".")[0].lower() not in WINDOWS_DEVICES
    assert (folder / name).resolve().parent == folder.resolve()


def test_a_name_reads_as_kind_prompt_hash_and_index(tmp_path: Path) -> None:
    path = media_filename("video", "A red fox in snow", JOBID, 1, "mp4", tmp_path)
    assert path.parent == tmp_path
    assert re.fullmatch(r"video-a-red-fox-in-snow-[0-9a-f]{10}-1\.mp4", path.name)


def test_the_same_job_and_index_always_give_the_same_name(tmp_path: Path) -> None:
    first = media_filename("image", "cat", JOBID, 0, ".PNG", tmp_path)
    assert first == media_filename("image", "cat", JOBID, 0, "png", tmp_path)
    assert first.name.endswith("-0.png")
    others = {
        media_filename("image", "cat", JOBID, 1, "png", tmp_path),
        media_filename("image", "cat", JOBID + "x", 0, "png", tmp_path),
        media_filename("video", "cat", JOBID, 0, "png", tmp_path),
    }
    assert first not in others and len(others) == 3


def test_the_account_email_never_appears_in_a_name(tmp_path: Path) -> None:
    path = media_filename("video", "mail jo.smith@gmail.com a fox", JOBID, 0, "mp4", tmp_path)
    assert "jo" not in path.name.split("-")[1:3]
    assert "gmail" not in path.name and "smith" not in path.name
    assert path.name.startswith("video-mail-a-fox-")


@pytest.mark.parametrize(
    ("prompt", "expected_slug"),
    [
        ("../../etc/passwd", "etc-passwd"),
        ("..\\..\\windows\\system32", "windows-system32"),
        ("/absolute/path", "absolute-path"),
        ('a:b*c?d"e<f>g|h', "a-b-c-d-e-f-g-h"),
        ("nul\x00byte", "nul-byte"),
        ("evil\u202etxt.exe", "eviltxt-exe"),  # the bidi override is dropped
        ("zero\u200bwidth", "zerowidth"),
        ("CON", "con-x"),
        ("com1", "com1-x"),
        ("trailing dots...   ", "trailing-dots"),
        ("Crème brûlée", "creme-brulee"),
        ("e\u0301tude", "etude"),  # NFD input folds like NFC
        ("\u00e9tude", "etude"),
        ("🦊 fox 🦊", "fox"),
    ],
)
def test_hostile_prompts_become_plain_slugs(
    prompt: str, expected_slug: str, tmp_path: Path
) -> None:
    assert slugify(prompt) == expected_slug
    _assert_safe(media_filename("video", prompt, JOBID, 0, "mp4", tmp_path), tmp_path)


def test_prompts_without_latin_letters_fall_back_to_the_kind(tmp_path: Path) -> None:
    path = media_filename("video", "雪の中の赤いキツネ", JOBID, 0, "mp4", tmp_path)
    assert re.fullmatch(r"video-[0-9a-f]{10}-0\.mp4", path.name)
    assert media_filename("image", None, JOBID, 0, "png", tmp_path).name.startswith("image-")


def test_long_prompts_are_cut_on_a_word_boundary(tmp_path: Path) -> None:
    prompt = "a very long prompt about a fox " * 10  # 300 characters
    path = media_filename("video", prompt, JOBID, 3, "mp4", tmp_path)
    _assert_safe(path, tmp_path)
    slug = slugify(prompt)
    assert len(slug) <= 48 and prompt.replace(" ", "-").startswith(slug)
    assert slugify("x" * 300) == "x" * 48


def test_hostile_kind_and_extension_are_neutralised(tmp_path: Path) -> None:
    path = media_filename("../../nul", "fox", JOBID, 0, "../sh\x00", tmp_path)
    assert path.name.startswith("nul-x-fox-") and path.name.endswith("-0.sh")
    assert media_filename("", "fox", JOBID, 0, "", tmp_path).name.endswith(".bin")
    assert media_filename("", "fox", JOBID, 0, "", tmp_path).name.startswith("media-fox-")
    assert media_filename("video", "fox", JOBID, 0, "m" * 20, tmp_path).suffix == ".mmmmmmmm"


def test_bad_index_or_empty_jobid_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="index must be between 0 and 9999"):
        media_filename("video", "fox", JOBID, -1, "mp4", tmp_path)
    with pytest.raises(ValueError, match="index must be between"):
        media_filename("video", "fox", JOBID, 10_000, "mp4", tmp_path)
    with pytest.raises(ValueError, match="jobid must not be empty"):
        media_filename("video", "fox", "", 0, "mp4", tmp_path)


@settings(max_examples=300, deadline=None)
@given(
    kind=st.text(max_size=40),
    prompt=st.one_of(st.none(), st.text(max_size=400)),
    jobid=st.text(min_size=1, max_size=300),
    index=st.integers(min_value=0, max_value=9999),
    ext=st.text(max_size=20),
)
def test_every_input_gives_a_safe_name_inside_the_folder(
    kind: str, prompt: str | None, jobid: str, index: int, ext: str
) -> None:
    folder = Path("flow_media")
    path = media_filename(kind, prompt, jobid, index, ext, folder)
    _assert_safe(path, folder)
    assert path.name.endswith(f"-{index}.{path.name.rsplit('.', 1)[1]}")
    assert "@" not in path.name


def test_writing_hostile_names_touches_nothing_outside_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "sandbox" / "flow_media"
    folder.mkdir(parents=True)
    bystander = tmp_path / "sandbox" / "notes.txt"
    bystander.write_text("keep me")
    prompts = ["../notes.txt", "../../x", "/etc/hostname", "CON", "a\x00b", "\u202eexe.txt"]
    for n, prompt in enumerate(prompts):
        media_filename("video", prompt, f"../{prompt}", n, "mp4", folder).write_bytes(b"data")
    outside = sorted(p for p in (tmp_path / "sandbox").rglob("*") if folder not in p.parents)
    assert outside == [folder, bystander]
    assert bystander.read_text() == "keep me"
    assert len(list(folder.iterdir())) == len(prompts)


@pytest.mark.parametrize(
    ("content_type", "ext"),
    [
        ("video/mp4", "mp4"),
        ("image/jpeg", "jpg"),
        ("IMAGE/PNG", "png"),
        ("image/gif; charset=binary", "gif"),
        ("image/webp", "webp"),
        ("application/octet-stream", "bin"),
        (None, "bin"),
        ("", "bin"),
    ],
)
def test_extension_for_maps_media_types(content_type: str | None, ext: str) -> None:
    assert extension_for(content_type) == ext
