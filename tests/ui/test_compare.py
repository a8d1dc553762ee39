"""fw.show: takes side by side, titled by their prompts with the differing words marked."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from flow_widgets.errors import ValidationError
from flow_widgets.runtime.jobs import JobHandle, MediaFile
from flow_widgets.ui import presenter
from flow_widgets.ui.compare import prompt_diff, show
from flow_widgets.ui.panel_html import Take
from flow_widgets.ui.view import MediaView


@pytest.fixture(autouse=True)
def _presenter_off() -> Iterator[None]:
    presenter._STATE["on"] = False
    yield
    presenter._STATE["on"] = False


def finished(tmp_path: Path, name: str, prompt: str, *, kind: str = "video") -> JobHandle:
    folder = tmp_path / "flow_media"
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.{'mp4' if kind == 'video' else 'png'}"
    path.write_bytes(b"\0" * 16)
    handle = JobHandle(kind=kind, model="veo-3.1-lite", prompt=prompt)
    handle.apply(status="completed", media=(MediaFile(index=0, kind=kind, path=path, seed=3),))
    return handle


def marked(html: str) -> list[str]:
    return re.findall(r'<mark class="fw-diff"[^>]*>([^<]*)</mark>', html)


def test_the_words_that_differ_are_marked_in_each_title(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    a = finished(tmp_path, "a", "a dog running")
    b = finished(tmp_path, "b", "a golden dog running at dusk, pan left")
    html = show(a, b).html()
    assert marked(html) == ["golden", "at", "dusk,", "pan", "left"]
    assert html.count("<figure") == 2
    assert 'src="flow_media/a.mp4"' in html and 'src="flow_media/b.mp4"' in html
    assert "veo-3.1-lite · seed 3" in html


def test_same_prompt_marks_nothing_and_a_changed_word_both_ways() -> None:
    same = prompt_diff(["a red ball", "a red ball"])
    assert not any(changed for words in same for _, changed in words)
    swapped = prompt_diff(["a red ball at noon", "a red ball at night"])
    assert [[w for w, c in words if c] for words in swapped] == [["noon"], ["night"]]


def test_the_grid_fits_its_container_unless_columns_are_fixed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    a, b = finished(tmp_path, "a", "x"), finished(tmp_path, "b", "y")
    fitted = show(a, b).html()
    # Two columns of at least 360 px fit the ~830 px output of a 1280 px JupyterLab window.
    assert "repeat(auto-fit,minmax(min(100%,360px),1fr))" in fitted
    assert "repeat(3,minmax(0,1fr))" in show(a, b, columns=3).html()
    # The layout is also inline: an untrusted saved notebook drops <style> blocks.
    without_styles = re.sub(r"<style>.*?</style>", "", fitted)
    assert 'class="fw-compare"' in without_styles
    assert "display:grid" in without_styles and "minmax(min(100%,360px),1fr)" in without_styles


def test_videos_sync_where_scripts_run_and_images_need_no_script(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    a, b = finished(tmp_path, "a", "x"), finished(tmp_path, "b", "y")
    html = show(a, b).html()
    assert "<script>" in html and "Play together" in html
    element = re.search(r'class="fw-compare" id="([^"]+)"', html)
    assert element and f'getElementById("{element.group(1)}")' in html
    # Only the first video speaks; two soundtracks at once are noise in a classroom.
    assert html.count(" muted") == 1
    assert "<script>" not in show(a, b, sync=False).html()
    stills = [finished(tmp_path, f"s{i}", "x", kind="image") for i in range(3)]
    still_html = show(*stills).html()
    assert "<script>" not in still_html and still_html.count("<img") == 3


def test_every_string_is_escaped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    evil = "</script><script>alert(1)</script> & <b>"
    a = finished(tmp_path, "a", evil)
    b = finished(tmp_path, "b", "a calm sea")
    html = show(a, b, labels=["<i>one</i>", "two"]).html()
    assert "<script>alert" not in html and "<b>" not in html and "<i>one" not in html
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;i&gt;one&lt;/i&gt;" in html


def test_accepts_paths_takes_batches_and_lists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    a = finished(tmp_path, "a", "a fox")
    clip = tmp_path / "flow_media" / "video-a-red-fox-3f2a9c1b07-0.mp4"
    clip.write_bytes(b"\0")
    take = Take(key="k", media=MediaView(kind="image", src="flow_media/x.png"), prompt="p")

    class Batch:
        def __init__(self) -> None:
            self.jobs = [a]

    comparison = show(str(clip), take, Batch(), [a])
    assert [t.prompt for t in comparison.takes] == ["a red fox", "p", "a fox", "a fox"]
    assert "1. " in comparison.text() and "a red fox" in comparison.text()
    bundle = comparison._repr_mimebundle_()
    assert set(bundle) == {"text/html", "text/plain"}


def test_a_job_still_running_shows_a_plain_placeholder() -> None:
    running = JobHandle(kind="video", model="veo-3.1-lite", prompt="a fox")
    running.apply(status="running")
    html = show(running).html()
    assert "run this cell again when it is done" in html and "<video" not in html


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: show(42), "takes"),
        (lambda: show("missing.mp4"), "takes"),
        (lambda: show("notes.txt"), "takes"),
        (lambda: show(columns=0), "columns"),
    ],
)
def test_bad_input_is_one_sentence(call: object, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        call()  # type: ignore[operator]
    assert caught.value.field == field
    assert str(caught.value).count(". ") <= 1


def test_labels_must_match_the_takes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    a = finished(tmp_path, "a", "x")
    with pytest.raises(ValidationError, match="one label per take"):
        show(a, labels=["one", "two"])


def test_in_presenter_mode_the_cards_above_hide_the_compared_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    a, b = finished(tmp_path, "a", "x"), finished(tmp_path, "b", "y")
    assert ".fw-card figure:has(" not in show(a, b).html()
    presenter._STATE["on"] = True
    html = show(a, b).html()
    assert '.fw-card figure:has(video[src="flow_media/a.mp4"],' in html
    assert 'video[src*="/flow_media/b.mp4?"])' in html


def test_presenter_css_makes_card_text_projector_size() -> None:
    sizes = [int(size) for size in re.findall(r"font-size:(\d+)px", presenter.PRESENTER_CSS)]
    assert sizes and min(sizes) >= 18
    assert ".fw-card figcaption{display:none" in presenter.PRESENTER_CSS


def test_a_gallery_offers_its_starred_takes_first() -> None:
    plain = Take(key="a", media=MediaView(kind="image", src="flow_media/a.png"), prompt="a")
    starred = Take(
        key="b", media=MediaView(kind="image", src="flow_media/b.png"), prompt="b", starred=True
    )

    class Gallery:
        def __init__(self, takes: list[Take]) -> None:
            self._takes = takes

        def takes(self) -> list[Take]:
            return self._takes

    assert [t.key for t in show(Gallery([plain, starred])).takes] == ["b"]
    assert [t.key for t in show(Gallery([plain])).takes] == ["a"]
