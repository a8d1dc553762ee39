"""Hostile files and hostile names: uploads that must be refused, names that must stay inside.

R-29: every hostile asset (too large, empty, a text file called ``.png``, a symlink to
``/dev/zero``, a FIFO, a directory, a 20000×20000 decompression bomb, an emoji/RTL name) is
refused before anything is sent -- or, for the harmless ones, uploaded correctly -- promptly and
without reading a huge file into memory. The uploads run in a child process against the
simulator, so a read that never ends (``/dev/zero``, a FIFO with no writer) shows up as a case
that did not finish in time, and dies with the child instead of spinning in the test process.

R-32: prompts and job ids that look like paths, devices or traversal never put a file outside the
media folder, never overwrite an unrelated file, and never carry an email into a file name.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import subprocess
import sys
import textwrap
import unicodedata
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flow_widgets.simulator.server import RunningSimulator
from tests.reliability.harness import IMAGE_ROUTE, CheapMedia, SimControl, files_under, wait_all

pytestmark = pytest.mark.skipif(os.name != "posix", reason="FIFOs and /dev/zero")

UPLOAD_ROUTE = "POST /assets/{email}"
ME = "ultra.demo@gmail.com"

CHILD = textwrap.dedent(
    """
    import json, resource, sys, time
    from pathlib import Path
    from flow_widgets.runtime.session import FlowSession
    from flow_widgets.runtime.settings import Settings

    base_url, token, home, cases = sys.argv[1], sys.argv[2], Path(sys.argv[3]), sys.argv[4:]
    settings = Settings(token=token, base_url=base_url, data_dir=home, media_dir=home / "media")
    flow = FlowSession(settings, time_scale=0.002, auto_resume=False, announce=lambda t: None)
    for case in cases:
        name, path = case.split("=", 1)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.monotonic()
        try:
            handle = flow.upload(path, email="ultra.demo@gmail.com")
            handle.wait(4, raise_on_failure=False)
            status, error = handle.status, handle.error
        except Exception as exc:  # refused on the caller's thread: fine, if it says why
            status, error = "refused_at_once", f"{type(exc).__name__}: {exc}"
        grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
        print(json.dumps({"case": name, "status": status, "error": error,
                          "seconds": round(time.monotonic() - started, 2),
                          "rss_growth_mb": round(grown / 1024, 1)}), flush=True)
    print("DONE", flush=True)
    """
)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def bomb_png(side: int = 20_000) -> bytes:
    """A valid 1-bit PNG of ``side``×``side`` pixels that compresses to a few hundred KB."""
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    row = b"\x00" + b"\x00" * ((side + 7) // 8)
    packer = zlib.compressobj(9)
    body = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", body)
        + _png_chunk(b"IEND", b"")
    )


def small_png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (24, 24), (200, 40, 90)).save(buffer, "PNG")
    return buffer.getvalue()


def hostile_files(folder: Path) -> dict[str, tuple[Path, str]]:
    """case -> (path, expected outcome: "refused", "uploaded", or "either": refused in one plain
    sentence or uploaded as what its bytes are -- never a server error)."""
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, tuple[Path, str]] = {}

    def add(case: str, name: str, expect: str) -> Path:
        path = folder / name
        files[case] = (path, expect)
        return path

    big = add("oversize mp4 (120 MB, sparse)", "huge.mp4", "refused")
    with big.open("wb") as handle:
        handle.write(b"\x00\x00\x00\x18ftypmp42")
        handle.truncate(120 * 2**20)
    add("empty file", "empty.png", "refused").write_bytes(b"")
    add("text named .png", "notes.png", "refused").write_text("just some notes, not an image\n")
    add("png named .jpg", "really-a-png.jpg", "either").write_bytes(small_png())
    add("decompression bomb 20000²", "bomb.png", "either").write_bytes(bomb_png())
    add("emoji + RTL name", "🦊 fox \u202egnp.png", "uploaded").write_bytes(small_png())
    os.symlink("/dev/zero", add("symlink to /dev/zero", "zero.png", "refused"))
    os.mkfifo(add("FIFO", "pipe.png", "refused"))
    add("directory", "folder.png", "refused").mkdir()
    return files


@pytest.fixture
def upload_outcomes(
    sim: RunningSimulator, tmp_path: Path
) -> Iterator[tuple[dict[str, dict[str, Any]], dict[str, tuple[Path, str]], SimControl]]:
    files = hostile_files(tmp_path / "hostile")
    control = SimControl(sim)
    args = [f"{case}={path}" for case, (path, _) in files.items()]
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, sim.base_url, sim.token, str(tmp_path / "child"), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    outcomes: dict[str, dict[str, Any]] = {}
    try:
        assert child.stdout is not None
        for line in child.stdout:
            if line.strip() == "DONE":
                break
            row = json.loads(line)
            outcomes[row["case"]] = row
    finally:
        child.kill()  # a read that never ends would otherwise keep the child alive
        child.communicate(timeout=10)
    yield outcomes, files, control
    control.close()


def test_hostile_uploads_are_refused_before_sending_or_read_correctly(
    upload_outcomes: Any, sim: RunningSimulator, figures: Any
) -> None:
    outcomes, files, control = upload_outcomes
    uploads = control.ledger().on(UPLOAD_ROUTE)
    wrong: dict[str, str] = {}
    for case, (_path, expect) in files.items():
        row = outcomes.get(case, {"status": "never answered", "error": None})
        status, error = row["status"], row["error"] or ""
        refused = status in ("rejected", "refused_at_once")
        if status == "completed" and expect != "refused":
            continue
        plain = bool(error) and "\n" not in error and "HTTP 5" not in error
        if refused and expect != "uploaded" and plain:
            continue
        wrong[case] = f"{case}: expected {expect}, got {status}: {error[:120]}"
    uploaded = [c for c in files if outcomes.get(c, {}).get("status") == "completed"]
    hung = [c for c, r in outcomes.items() if r["status"] in ("queued", "submitting")]
    figures.record(
        "R-29 hostile asset files",
        f"{len(files)} files: oversize, empty, wrong type, /dev/zero, FIFO, dir, bomb, unicode",
        posts=len(uploads),
        uploaded=len(uploaded),
        hung=len(hung) + (len(files) - len(outcomes)),
        max_rss_growth_mb=max((r["rss_growth_mb"] for r in outcomes.values()), default=0),
        wrong=len(wrong),
    )
    must_not_send = {
        hashlib.sha256(path.read_bytes()).hexdigest()
        for path, expect in files.values()
        if expect == "refused" and path.is_file() and not path.is_symlink()
    }
    assert not [r for r in uploads if r["body_sha256"] in must_not_send], "a refused file was sent"
    assert all(r["rss_growth_mb"] < 64 for r in outcomes.values())
    sent_types = {
        item.upload.content_type
        for item in sim.app_state.media.items(lambda item: item.upload is not None)
    }
    assert "image/jpeg" not in sent_types, "a PNG named .jpg must never be sent as a JPEG"
    renamed = outcomes["png named .jpg"]
    if renamed["status"] != "completed":
        assert "image/png" in renamed["error"] and "jpeg" in renamed["error"]
    assert not wrong, list(wrong.values())


# -- names that must stay inside ----------------------------------------------------------

HOSTILE_PROMPTS = [
    "../../../../etc/passwd",
    "/etc/hostname",
    "..\\..\\windows\\system32\\drivers",
    'a:b*c?d"e<f>g|h',
    "CON",
    "NUL.txt",
    "COM1",
    "trailing dots and spaces. . .  ",
    "tab\tand\nnewline and \x1b[31m escape",
    unicodedata.normalize("NFD", "café crème brûlée"),
    "ann.person@example.com sends her regards",
    "名" * 150,
    "🦊" * 120,
    "x" * 300,
]


def test_prompts_that_look_like_paths_never_leave_the_media_folder(
    sim: RunningSimulator,
    control: SimControl,
    make_session: Any,
    tmp_path: Path,
    figures: Any,
    cheap_media: CheapMedia,
) -> None:
    sandbox = tmp_path / "sandbox"
    media = sandbox / "project" / "flow_media"
    (sandbox / "project").mkdir(parents=True)
    (sandbox / "project" / "notebook.ipynb").write_text("{}")
    (sandbox / "passwd").write_text("not yours\n")
    before = files_under(sandbox)
    flow = make_session(sim, media_dir=media)
    handles = [flow.image(prompt, model="nano-banana-pro") for prompt in HOSTILE_PROMPTS]
    wait_all(handles, 60)
    after = files_under(sandbox)
    outside = {
        name: size
        for name, size in after.items()
        if not name.startswith("project/flow_media/") and before.get(name) != size
    }
    saved = [path for h in handles for path in h.paths]
    names = [p.name for p in saved]
    too_long = [n for n in names if len(n.encode()) > 255]
    escaped = [p for p in saved if not p.resolve().is_relative_to(media.resolve())]
    with_email = [n for n in names if "@" in n or "example.com" in n]
    unsafe_chars = [n for n in names if any(c in n for c in '\\/:*?"<>|\0\t\n\x1b')]
    figures.record(
        "R-32 path-like prompts",
        f"{len(HOSTILE_PROMPTS)} prompts: traversal, devices, reserved, NFD, email, 300 bytes",
        posts=len(control.ledger().on(IMAGE_ROUTE)),
        files=len(saved),
        outside_media=len(outside) + len(escaped),
        unsafe_names=len(too_long) + len(with_email) + len(unsafe_chars),
    )
    assert [h.status for h in handles] == ["completed"] * len(HOSTILE_PROMPTS)
    assert outside == {} and escaped == []
    assert too_long == [] and with_email == [] and unsafe_chars == []
    assert all(n.rstrip(".").upper().split(".")[0] not in ("CON", "NUL", "COM1") for n in names)
    assert len(set(names)) == len(names), "two prompts must not share (and overwrite) one file"
