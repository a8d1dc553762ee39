"""The pure HTML builders: every state of a card, media tags, grids, and hostile strings."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flow_widgets.ui.html import (
    PROMPT_DISPLAY_CHARS,
    card_html,
    format_bytes,
    format_clock,
    gallery_html,
    grid_html,
    image_tag,
    media_figure,
    table_html,
    video_tag,
)
from flow_widgets.ui.view import CardView, MediaView

HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "</script><script>alert(1)</script>",
    '" onmouseover="alert(1)',
    "'><svg onload=alert(1)>",
    "\u202eevil\u202c שלום עליכם مرحبا",
    "{{braces}} & ampersands <b>bold</b>",
]


class _Collector(HTMLParser):
    """Records every tag and attribute an HTML string really produces."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(markup: str) -> _Collector:
    collector = _Collector()
    collector.feed(markup)
    collector.close()
    return collector


ALLOWED_TAGS = {
    "div", "b", "span", "bdi", "code", "style", "video", "img", "audio", "figure",
    "figcaption", "table", "thead", "tbody", "tr", "th", "td", "a", "caption", "pre",
}  # fmt: skip


def assert_inert(markup: str) -> None:
    """No script, no event handler attribute, only tags the builders are meant to emit."""
    collected = parse(markup)
    for tag, attrs in collected.tags:
        assert tag in ALLOWED_TAGS, tag
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            if name in ("src", "href", "poster") and value:
                assert _scheme(value) in ("", "http", "https", "data"), (tag, value)


def _scheme(url: str) -> str:
    """The scheme a browser reads in ``url`` ("" for a relative URL): it drops leading C0
    controls and spaces and every tab and newline, and a scheme is a letter followed by
    letters, digits, "+", "-" or "." before the first colon (so "?:" or "a/b:c" is relative)."""
    cleaned = re.sub(r"[\t\n\r]", "", url).lstrip("".join(map(chr, range(0x21))))
    found = re.match(r"([a-zA-Z][a-zA-Z0-9+.-]*):", cleaned)
    return found.group(1).lower() if found else ""


def video(**kw: object) -> MediaView:
    base: dict[str, object] = {"kind": "video", "src": "flow_media/clip.mp4"}
    base["file_name"] = "clip.mp4"
    base.update(kw)
    return MediaView(**base)  # type: ignore[arg-type]


def card(**kw: object) -> CardView:
    base: dict[str, object] = {
        "kind": "video",
        "prompt": "a red fox in snow",
        "phase": "running",
        "model": "veo-3.1-fast",
        "account": "jo***@gmail.com",
        "credits": 20,
        "elapsed_s": 30.0,
        "expected_s": 100.0,
    }
    base.update(kw)
    return CardView(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize("hostile", HOSTILE)
@pytest.mark.parametrize("phase", ["queued", "running", "completed", "failed", "detached"])
def test_hostile_text_never_becomes_markup(hostile: str, phase: str) -> None:
    view = card(
        prompt=hostile,
        phase=phase,
        model=hostile,
        account=hostile,
        error=hostile,
        note=hostile,
        media=(video(file_name=hostile, label=hostile, src=hostile),),
    )
    markup = card_html(view)
    assert_inert(markup)
    # The text survives as text: the parser reads back exactly what was escaped.
    assert hostile in "".join(parse(markup).text)


def test_prompt_is_marked_bidi_auto_so_rtl_text_stays_readable() -> None:
    markup = card_html(card(prompt="مرحبا بالعالم"))
    prompt_divs = [a for t, a in parse(markup).tags if t == "div" and a.get("dir") == "auto"]
    assert prompt_divs, "the prompt container must carry dir=auto"


def test_a_100k_prompt_is_cut_for_display_and_says_how_much_is_hidden() -> None:
    prompt = "word " * 20_000
    markup = card_html(card(prompt=prompt))
    assert len(markup) < 5_000
    hidden = len(prompt) - PROMPT_DISPLAY_CHARS
    assert f"{hidden:,} more characters" in markup


def test_running_card_animates_from_the_elapsed_offset_over_the_expected_time() -> None:
    markup = card_html(card(elapsed_s=42.0, expected_s=100.0))
    assert "animation:fw-fill 100s linear -42s forwards" in markup
    assert "fw-pulse 1.2s ease-in-out 58s infinite" in markup
    assert "width:42%" in markup  # the static fallback where <style> is stripped
    assert 'class="fw-clock" style="animation-delay:-42s,-42s">0:42<' in markup
    assert "of about 1:40" in markup
    assert "<style>" in markup and "@keyframes fw-fill" in markup


def test_running_card_without_expected_time_has_a_clock_but_no_bar() -> None:
    markup = card_html(card(expected_s=None))
    assert "fw-clock" in markup
    assert "fw-fill " not in markup.split("</style>", 1)[1]


def test_slow_jobs_say_so() -> None:
    assert "slower than usual" in card_html(card(elapsed_s=200.0, expected_s=100.0))
    assert "slower than usual" not in card_html(card(elapsed_s=120.0, expected_s=100.0))


def test_queued_card_says_it_waits_for_the_server() -> None:
    markup = card_html(card(phase="queued", elapsed_s=3.0))
    assert "queued" in markup and "waiting for the server" in markup


def test_completed_video_card_has_relative_video_with_controls_and_caption() -> None:
    view = card(
        phase="completed",
        elapsed_s=95,
        media=(video(seed=7, duration_s=8.0, size_bytes=3_100_000, poster="flow_media/clip.jpg"),),
    )
    markup = card_html(view)
    tags = parse(markup).tags
    (vid,) = [a for t, a in tags if t == "video"]
    assert vid["src"] == "flow_media/clip.mp4"
    assert vid["poster"] == "flow_media/clip.jpg"
    assert vid["preload"] == "metadata"
    assert "controls" in vid and "autoplay" not in vid
    assert "seed 7" in markup and "8 s" in markup and "3.0 MB" in markup and "clip.mp4" in markup
    assert "<style>" not in markup  # finished cards carry no animation CSS
    assert "✓ done in 1:35" in markup


def test_completed_image_card_shows_images() -> None:
    images = tuple(
        MediaView(kind="image", src=f"flow_media/i{n}.png", file_name=f"i{n}.png", seed=n)
        for n in range(3)
    )
    markup = card_html(card(kind="image", phase="completed", media=images, credits=0))
    srcs = [a["src"] for t, a in parse(markup).tags if t == "img"]
    assert srcs == ["flow_media/i0.png", "flow_media/i1.png", "flow_media/i2.png"]
    assert "free" in markup


def test_completed_without_media_says_so() -> None:
    assert "no media files" in card_html(card(phase="completed", media=()))


@pytest.mark.parametrize(
    ("charged", "expected"),
    [
        (False, "No credits were charged."),
        (True, "20 credits were charged."),
        (None, "Whether credits were charged is not known yet"),
    ],
)
def test_failed_card_is_red_with_reason_charge_and_try_again(
    charged: bool | None, expected: str
) -> None:
    markup = card_html(card(phase="failed", error="the prompt was refused", charged=charged))
    assert "#d0342c" in markup
    assert "failed:" in markup and "the prompt was refused" in markup
    assert expected in markup
    assert "Try again" in markup and "--new" in markup


def test_failed_and_not_charged_header_shows_zero_credits() -> None:
    markup = card_html(card(phase="failed", charged=False, error="x"))
    assert "0 credits" in markup and "20 credits" not in markup


def test_detached_card_says_the_remote_job_still_runs() -> None:
    markup = card_html(card(phase="detached"))
    assert "still runs on the server and may still be charged" in markup


def test_unknown_card_says_nothing_was_resent() -> None:
    assert "Nothing is resent" in card_html(card(phase="unknown"))


@pytest.mark.parametrize(
    "src",
    ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "vbscript:x", "data:text/html,<script>"],
)
def test_script_capable_urls_are_dropped(src: str) -> None:
    for tag in (video_tag(video(src=src)), image_tag(MediaView(kind="image", src=src))):
        assert "not available" in tag
        assert "src=" not in tag


@pytest.mark.parametrize(
    "src",
    [
        "flow_media/a%20b.mp4",
        "../up/x.png",
        "https://example.org/v.mp4",
        "data:image/png;base64,AAAA",
    ],
)
def test_relative_http_and_media_data_urls_are_kept(src: str) -> None:
    assert f'src="{src}"' in image_tag(MediaView(kind="image", src=src))


def test_media_figure_labels_and_audio() -> None:
    fig = media_figure(MediaView(kind="audio", src="v.wav", label="Achernar"))
    assert "<audio" in fig and "Achernar" in fig


def test_gallery_wraps_every_item() -> None:
    items = [video(src=f"v{n}.mp4", file_name=f"v{n}.mp4") for n in range(4)]
    assert gallery_html(items).count("<video") == 4


def test_grid_has_row_and_column_headings_and_pending_cells() -> None:
    done = MediaView(kind="image", src="a.png", file_name="a.png")
    markup = grid_html(
        ["nano-banana-2", "<b>pro</b>"], ["seed 1", "seed 2"], [[done, None], [None, done]]
    )
    collected = parse(markup)
    headings = [t for t, _ in collected.tags if t == "th"]
    assert len(headings) == 5  # corner + 2 columns + 2 rows
    assert markup.count("pending") == 2
    assert "&lt;b&gt;pro&lt;/b&gt;" in markup
    assert_inert(markup)


def test_format_helpers() -> None:
    assert format_clock(-3) == "0:00"
    assert format_clock(600) == "10:00"
    assert format_bytes(1024) == "1.0 KB"
    assert format_bytes(5 * 1024**4) == "5120.0 GB"


@settings(max_examples=150, deadline=None)
@given(
    prompt=st.text(max_size=300),
    error=st.text(max_size=100),
    name=st.text(max_size=50),
    phase=st.sampled_from(["queued", "running", "completed", "failed", "detached", "unknown"]),
)
def test_any_text_renders_inert(prompt: str, error: str, name: str, phase: str) -> None:
    view = card(
        prompt=prompt,
        phase=phase,
        error=error,
        note=name,
        media=(video(file_name=name, label=name, src=name),),
    )
    markup = card_html(view)
    assert_inert(markup)
    assert not re.search(r"<script", markup, re.IGNORECASE)


def test_file_names_are_download_links_to_the_same_relative_file() -> None:
    fig = media_figure(video(file_name="fox.mp4", src="flow_media/fox.mp4"))
    (link,) = [a for t, a in parse(fig).tags if t == "a"]
    assert link == {"href": "flow_media/fox.mp4", "download": None}  # the file's own name
    unsafe = media_figure(video(file_name="x.mp4", src="javascript:alert(1)"))
    assert "<a " not in unsafe


def test_table_html_escapes_every_cell() -> None:
    markup = table_html(["name", "<th>"], [["<b>x</b>", None], [1, "ok"]], caption="<i>c</i>")
    assert_inert(markup)
    assert markup.count("<tr>") == 3
    assert "&lt;b&gt;x&lt;/b&gt;" in markup and "&lt;i&gt;c&lt;/i&gt;" in markup
