"""Plain-text card fallbacks and the view helpers they share with the HTML card."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from flow_widgets.ui.text import card_text, media_text, one_line, table_text
from flow_widgets.ui.view import (
    CardView,
    MediaView,
    card_view_from_job,
    media_view_from_file,
    phase_of,
    relative_src,
)


def test_one_line_removes_terminal_escapes_and_bidi_overrides() -> None:
    text = one_line("red\x1b]0;title\x07 fox\u202e reversed\n\nnext")
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "\n" not in text
    assert text.startswith("red")


def test_card_text_for_each_phase() -> None:
    base = {"kind": "video", "prompt": "a fox", "model": "veo-3.1-fast", "credits": 20}
    running = card_text(CardView(phase="running", elapsed_s=65, expected_s=100, **base))  # type: ignore[arg-type]
    assert running.startswith("[flow video] running · 1:05 of about 1:40")
    failed = card_text(CardView(phase="failed", error="refused", charged=False, **base))  # type: ignore[arg-type]
    assert "failed: refused" in failed and "0 credits (not charged)" in failed
    assert "try again" in failed
    detached = card_text(CardView(phase="detached", **base))  # type: ignore[arg-type]
    assert "still runs on the server" in detached
    unknown = card_text(CardView(phase="unknown", **base))  # type: ignore[arg-type]
    assert "nothing was resent" in unknown


def test_card_text_lists_files_and_note() -> None:
    media = (MediaView(kind="video", src="x.mp4", file_name="x.mp4", seed=3, duration_s=8),)
    text = card_text(
        CardView(kind="video", prompt="p", phase="completed", media=media, note="re-attached")
    )
    lines = text.splitlines()
    assert lines[1] == "  video · x.mp4 · seed 3 · 8 s"
    assert lines[-1] == "  re-attached"


def test_media_text_falls_back_to_src_and_shows_size() -> None:
    text = media_text(MediaView(kind="image", src="https://h/x", width=10, height=20, size_bytes=5))
    assert text == "image · https://h/x · 10x20 · 5 B"
    assert media_text(MediaView(kind="video", src="")) == "video · (saving…)"


@pytest.mark.parametrize(
    ("status", "phase"),
    [
        ("created", "queued"),
        ("submitting", "queued"),
        ("started", "running"),
        ("COMPLETED", "completed"),
        ("rejected", "failed"),
        ("cancelled", "detached"),
        ("lost", "unknown"),
        ("weird", "unknown"),
        (None, "unknown"),
    ],
)
def test_phase_of(status: str | None, phase: str) -> None:
    assert phase_of(status) == phase


def test_relative_src_quotes_each_segment(tmp_path: Path) -> None:
    target = tmp_path / "flow_media" / "a fox#1?.mp4"
    assert relative_src(target, tmp_path) == "flow_media/a%20fox%231%3F.mp4"
    assert relative_src(tmp_path / "x.png", tmp_path / "sub") == "../x.png"


@dataclass
class FakeMedia:
    path: Path | None
    kind: str = "video"
    url: str | None = None
    seed: int | None = 5
    media_id: str | None = "mid"
    poster: Path | None = None


@dataclass
class FakeJob:
    status: str = "completed"
    prompt: str = "a fox"
    model: str | None = "veo-3.1-fast"
    jobid: str | None = "j1-v"
    submission_id: str = "sid"
    account: str | None = "john.doe@gmail.com"
    credits: int | None = 20
    charged: bool | None = True
    expected_seconds: float | None = 100.0
    created: dt.datetime = field(
        default_factory=lambda: dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    )
    media: list[FakeMedia] = field(default_factory=list)
    error: str | None = None


def test_card_view_from_job_masks_the_account_and_links_files_relatively(tmp_path: Path) -> None:
    clip = tmp_path / "flow_media" / "fox.mp4"
    clip.parent.mkdir()
    clip.write_bytes(b"x" * 1234)
    poster = clip.with_suffix(".jpg")
    poster.write_bytes(b"jpg")
    job = FakeJob(
        media=[FakeMedia(path=clip, poster=poster), FakeMedia(path=None, url="https://u")]
    )
    now = dt.datetime(2026, 1, 1, 0, 1, 30, tzinfo=dt.timezone.utc).timestamp()
    view = card_view_from_job(job, base=tmp_path, now=now)
    assert view.account == "jo***@gmail.com"
    assert view.phase == "completed" and view.elapsed_s == 90
    first, second = view.media
    assert first.src == "flow_media/fox.mp4" and first.size_bytes == 1234
    assert first.poster == "flow_media/fox.jpg"
    assert second.src == "" and second.file_name == ""  # signed URLs never reach a notebook
    assert view.provenance() == {
        "job_id": "j1-v",  # not a real jobid, so nothing to mask
        "model": "veo-3.1-fast",
        "credits": 20,
        "status": "completed",
    }


def test_provenance_reports_zero_credits_when_not_charged() -> None:
    view = CardView(kind="video", prompt="p", phase="failed", credits=20, charged=False)
    assert view.provenance()["credits"] == 0
    assert view.finished and not CardView(kind="v", prompt="", phase="running").finished


def test_media_view_from_file_reads_optional_numbers_leniently(tmp_path: Path) -> None:
    media = FakeMedia(path=None, url="https://u", seed=None)
    media.duration = "8.0"  # type: ignore[attr-defined]
    media.width = "bad"  # type: ignore[attr-defined]
    view = media_view_from_file(media, base=tmp_path)
    assert view.duration_s == 8.0 and view.width is None and view.seed is None


def test_table_text_aligns_and_flattens_cells() -> None:
    text = table_text(["id", "prompt"], [["a", "line\nbreak"], ["bbbb", "x" * 100]], caption="jobs")
    lines = text.splitlines()
    assert lines[0] == "jobs"
    assert lines[1] == "id    prompt"
    assert lines[2] == "a     line break"
    assert lines[3].endswith("…") and len(lines[3]) == 6 + 60


def test_mask_jobid_masks_the_email_inside() -> None:
    from flow_widgets.ui.view import mask_jobid

    raw = "j1731859234567v-u12345-email:ultra.demo@gmail.com-bot:google-flow"
    assert mask_jobid(raw) == "j1731859234567v-u12345-email:ul***@gmail.com-bot:google-flow"
    assert mask_jobid(mask_jobid(raw)) == mask_jobid(raw)
    assert mask_jobid("sid-1") == "sid-1" and mask_jobid(None) is None
    view = CardView(kind="video", prompt="p", phase="running", jobid=raw)
    assert "ultra.demo" not in str(view.provenance())
