"""The poster output under a video card: a placeholder, then the JPEG; hidden where trusted.

Real clips, real posters and a real :class:`LiveCard`; only IPython's display call is replaced
by a recorder (no frontend here: the browser test of this output is in
``test_poster_lab_browser.py``).
"""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from PIL import Image

from flow_widgets.runtime.jobs import JobHandle, MediaFile
from flow_widgets.runtime.media_mode import VSCODE_NAME
from flow_widgets.runtime.posters import poster_data_url
from flow_widgets.ui.cards import LiveCard
from flow_widgets.ui.poster_output import poster_bundle, poster_output_wanted
from tests.media.support import make_clip

Sent = tuple[dict[str, str], dict[str, Any], str, bool]


def _clip(folder: Path, name: str, width: int) -> Path:
    clip = make_clip(folder / name, width=width, height=180, seconds=1.5, audio=False)
    assert poster_data_url(clip) is not None  # made now, as the engine does before the card
    return clip


def _card(
    tmp_path: Path, sent: list[Sent], *, poster_output: bool = True
) -> tuple[LiveCard, JobHandle]:
    handle = JobHandle(kind="video", model="veo-3.1-lite", prompt="a fox", expected_seconds=60)
    handle.apply(status="running", jobid="j1v-u7-email:john.doe@gmail.com-bot:google-flow")
    card = LiveCard(
        handle,
        base=tmp_path,
        publisher=lambda *args: sent.append(args),
        scheduler=lambda delay, callback: None,
        poster_output=poster_output,
    ).show()
    return card, handle


def _hidden_tails(html: str) -> list[str]:
    return re.findall(r'img\[src\$="([A-Za-z0-9+/=]+)"\]', html)


def test_a_placeholder_first_then_the_poster_which_the_card_hides(tmp_path: Path) -> None:
    sent: list[Sent] = []
    live, handle = _card(tmp_path, sent)
    (card, _, card_id, _), (slot, _, slot_id, update) = sent
    assert slot_id == f"{card_id}-poster" and update is False
    assert set(slot) == {"text/html", "text/plain"} and "fw-poster-slot" in slot["text/html"]
    assert ".jp-OutputArea-child:has(.fw-poster-slot)" in card["text/html"]

    clip = _clip(tmp_path, "fox.mp4", 320)
    handle.apply(status="completed", media=(MediaFile(index=0, kind="video", path=clip),))
    card, _, _, _ = [s for s in sent if s[2] == card_id][-1]
    poster, metadata, _, update = [s for s in sent if s[2] == slot_id][-1]
    assert update is True and "john.doe" not in str(metadata)  # the account stays masked
    assert metadata == {
        "flow_widgets": {"poster_of": "j1v-u7-email:jo***@gmail.com-bot:google-flow"}
    }
    assert set(poster) == {"image/jpeg", "text/plain"}
    url = poster_data_url(clip)
    assert url == "data:image/jpeg;base64," + poster["image/jpeg"]  # the card's own still
    tails = _hidden_tails(card["text/html"])
    assert len(tails) == 1 and poster["image/jpeg"].endswith(tails[0]) and len(tails[0]) >= 32

    count = len(sent)
    live.set_note("seen")  # the card changes, the poster does not: not sent again
    assert len(sent) == count + 1 and sent[-1][2] == card_id


def test_several_videos_share_one_strip_of_their_posters(tmp_path: Path) -> None:
    sent: list[Sent] = []
    _, handle = _card(tmp_path, sent)
    clips = [_clip(tmp_path, "a.mp4", 320), _clip(tmp_path, "b.mp4", 240)]
    media = tuple(MediaFile(index=i, kind="video", path=c) for i, c in enumerate(clips))
    handle.apply(status="completed", media=media)
    poster = sent[-1][0]
    strip = Image.open(io.BytesIO(base64.b64decode(poster["image/jpeg"])))
    assert strip.format == "JPEG" and strip.width > 2 * 200  # two posters side by side
    assert "2 videos" in poster["text/plain"]
    card_html = [s for s in sent if not s[2].endswith("-poster")][-1][0]["text/html"]
    assert poster["image/jpeg"].endswith(_hidden_tails(card_html)[0])


def test_without_the_poster_output_nothing_else_is_sent(tmp_path: Path) -> None:
    sent: list[Sent] = []
    _card(tmp_path, sent, poster_output=False)
    assert len(sent) == 1 and "fw-poster" not in sent[0][0]["text/html"]
    assert poster_bundle([])[0]["text/plain"] == ""


def test_vs_code_colab_and_a_terminal_get_no_poster_output(monkeypatch: Any) -> None:
    import flow_widgets.runtime.media_mode as media_mode

    kernel = SimpleNamespace(kernel=object())  # a kernel's shell has a kernel; a terminal's not
    monkeypatch.setattr(media_mode, "_colab_present", lambda: False)
    assert poster_output_wanted({}, kernel) is True
    assert poster_output_wanted({}, SimpleNamespace()) is False
    assert poster_output_wanted({VSCODE_NAME: "/x/a.ipynb"}, kernel) is False
    # Colab cannot be installed here: a stand-in for its presence is the only fake.
    monkeypatch.setattr(media_mode, "_colab_present", lambda: True)
    assert poster_output_wanted({}, kernel) is False
