"""What each media mode costs: saved bytes per video, embed encode time, companion remux time.

Why these numbers (DESIGN decisions 3 and 11): ``files`` must keep a notebook small enough to
commit and open on nbviewer even with a poster on every card, carried twice (in the card, and
as an image output of its own that sanitizing renderers keep): 16 KB per video, everything
counted (measured: about 11 KB); ``embed`` must stay near 1 MB of MP4 per 8 s clip (about
1.3 MB of base64 in the notebook) and encode fast enough that a card is not late (under 1 s
per 8 s clip at 480p); the VS Code companion only copies the video and re-encodes the sound,
so it should be cheap.

Saved bytes come from real ``%%flow_video`` cells run per mode in a real kernel against the
simulator (its clips are 640×360); the timings use an 8 s 854×480 H.264/AAC clip of moving
gradients made here (harder to compress than flat colour).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from tests.benchmarks import Result, median_seconds

VIDEOS = 3
TARGET_FILES_BYTES = 16 * 1024
TARGET_EMBED_BYTES = 1.4 * 1024 * 1024  # ~1 MB of MP4 per 8 s clip, as base64, plus the card
TARGET_SERVE_BYTES = 16 * 1024
TARGET_POSTER_BYTES = 8 * 1024


def _saved_bytes_per_video(mode: str, folder: Path) -> float:
    from tests.media.support import run_notebook

    cells = [f'%config FlowMagics.media = "{mode}"'] + [
        f"%%flow_video -m veo-3.1-lite --wait\nclip {i} of the {mode} mode: a fox in snow"
        for i in range(VIDEOS)
    ]
    nb = run_notebook(folder, cells)
    video_cells = [c for c in nb.cells if c.source.startswith("%%flow_video")]
    return sum(len(json.dumps(c, indent=1).encode()) for c in video_cells) / len(video_cells)


def run() -> list[Result]:
    from flow_widgets.runtime.companions import make_companion
    from flow_widgets.runtime.posters import poster_jpeg
    from flow_widgets.runtime.previews import video_preview
    from tests.media.support import make_clip

    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="flow-bench-media-") as tmp:
        root = Path(tmp)
        clip = make_clip(root / "clip.mp4", width=854, height=480, seconds=8)
        preview = video_preview(clip)
        results.append(
            Result(
                "media: embed encode of an 8 s 480p clip (H.264 + MP3)",
                median_seconds(lambda: video_preview(clip), repeat=3),
                "s",
                1.0,
            )
        )
        results.append(
            Result("media: embedded MP4 per 8 s clip", len(preview) / 1024, "KB", 1024.0)
        )
        results.append(
            Result(
                "media: VS Code companion remux of an 8 s clip",
                median_seconds(lambda: make_companion(clip, root / "vscode" / "clip.mp4")),
                "s",
                0.5,
            )
        )
        poster = poster_jpeg(clip) or b""
        results.append(
            Result("media: poster JPEG", len(poster) / 1024, "KB", TARGET_POSTER_BYTES / 1024)
        )
        for mode, target in (
            ("files", TARGET_FILES_BYTES),
            ("serve", TARGET_SERVE_BYTES),
            ("embed", TARGET_EMBED_BYTES),
        ):
            folder = root / mode
            folder.mkdir()
            per_video = _saved_bytes_per_video(mode, folder)
            results.append(
                Result(
                    f"notebook: saved bytes per video, {mode} mode",
                    per_video / 1024,
                    "KB",
                    target / 1024,
                )
            )
    return results
