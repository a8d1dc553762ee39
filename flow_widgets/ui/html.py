"""Pure HTML builders for job cards, media tags and galleries — every value escaped.

Why pure functions: the same markup is shown live, saved into the notebook and re-read with no
kernel, so it has to be a deterministic function of a :class:`~flow_widgets.ui.view.CardView`
that tests can snapshot. Nothing here touches IPython, the network or the disk.

Rules the builders keep:

* every interpolated string goes through :func:`html.escape` (prompts, server text, file names,
  account names), and prompts carry ``dir="auto"`` so right-to-left text stays readable;
* media ``src`` is relative (or ``http(s)``/``data:`` media); anything else is dropped;
* a running card moves by itself: a CSS animation whose duration is the expected time, started
  at the elapsed offset with a negative ``animation-delay``, and a CSS counter clock — so the
  kernel sends nothing between state changes. Where ``<style>`` is stripped (untrusted
  notebooks), the static text that was true at the last update is shown instead;
* long prompts are cut for display (the full text stays in the notebook cell).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import replace

from flow_widgets.ui.family import STATUS_COLOURS, chip, file_name, status_chip
from flow_widgets.ui.view import CardView, MediaView

__all__ = [
    "EMBED_OUTPUT_CAP",
    "PLAYER_MAX_HEIGHT",
    "PROMPT_DISPLAY_CHARS",
    "SERVED_SCRIPT",
    "card_html",
    "fitted_width",
    "format_bytes",
    "format_clock",
    "gallery_html",
    "grid_html",
    "image_tag",
    "media_facts",
    "media_figure",
    "snippet_html",
    "table_html",
    "video_tag",
    "within_output_cap",
]

PROMPT_DISPLAY_CHARS = 600
#: Most bytes of embedded previews in one output (one card and its follow-ups' gallery).
EMBED_OUTPUT_CAP = 8 * 1024 * 1024

# Status colours are also text colours (here and in the Jobs table): each has a contrast of at
# least 4.5:1 on white and on JupyterLab's striped table rows (#f3f4f6), WCAG 2.1 AA.
_COLOURS = STATUS_COLOURS  # one palette for the whole family (flow_widgets.ui.family)
_ICONS = {
    "queued": "◷",
    "running": "●",
    "completed": "✓",
    "failed": "✗",
    "detached": "⏸",
    "unknown": "?",
}
_CARD_STYLE = (
    "border:1px solid #d0d4da;border-left:4px solid {colour};border-radius:6px;"
    "padding:6px 10px;margin:4px 0;font:13px/1.45 system-ui,sans-serif;max-width:760px;"
    "width:fit-content;box-sizing:border-box"  # as wide as what it shows, not a wide frame
)
_MUTED = "color:var(--jp-content-font-color2,#4b5563)"  # readable in light and dark

# Shared by every running card; identical text, so browsers parse it once per page.
_RUNNING_CSS = (
    "<style>@property --fw-m{syntax:'<integer>';inherits:false;initial-value:0}"
    "@property --fw-s{syntax:'<integer>';inherits:false;initial-value:0}"
    "@keyframes fw-fill{from{width:0}to{width:100%}}"
    "@keyframes fw-pulse{from{opacity:1}to{opacity:.35}}"
    "@keyframes fw-m{from{--fw-m:0}to{--fw-m:600}}"
    "@keyframes fw-s{from{--fw-s:0}to{--fw-s:60}}"
    ".fw-clock{font-size:0;counter-reset:fwm var(--fw-m) fws var(--fw-s);"
    "animation:fw-m 36000s steps(600,end) forwards,fw-s 60s steps(60,end) infinite}"
    ".fw-clock::after{font-size:13px;content:counter(fwm) ':' counter(fws,decimal-leading-zero)}"
    "</style>"
)


def _e(value: object) -> str:
    """Escape any value for text or a double-quoted attribute."""
    return html.escape(str(value), quote=True)


def format_clock(seconds: float) -> str:
    """``m:ss`` for a number of seconds.

    >>> format_clock(0), format_clock(65.4), format_clock(3725)
    ('0:00', '1:05', '62:05')
    """
    whole = max(0, int(seconds))
    return f"{whole // 60}:{whole % 60:02d}"


def format_bytes(size: int) -> str:
    """A short human size.

    >>> format_bytes(900), format_bytes(2_500_000)
    ('900 B', '2.4 MB')
    """
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def _safe_src(src: str) -> str | None:
    """Keep relative URLs and http(s)/data-media URLs; refuse script-capable schemes."""
    lowered = src.strip().lower()
    if not lowered:
        return None
    scheme, colon, _ = lowered.partition(":")
    if not colon or "/" in scheme or "?" in scheme or "#" in scheme:
        return src  # relative: no scheme before the first colon
    if scheme in ("http", "https"):
        return src
    if scheme == "data" and lowered.startswith(("data:image/", "data:video/", "data:audio/")):
        return src
    return None


#: The tallest a player is drawn (CSS px): a portrait clip is narrowed instead of towering.
PLAYER_MAX_HEIGHT = 400


def fitted_width(media: MediaView, width: int) -> int:
    """The player's width for ``media`` in a slot ``width`` wide: never wider than the file
    itself, and narrow enough that a portrait clip stays under :data:`PLAYER_MAX_HEIGHT`.

    >>> fitted_width(MediaView(kind="video", src="", width=720, height=1280), 360)
    225
    >>> fitted_width(MediaView(kind="image", src="", width=200, height=100), 360)
    200
    >>> fitted_width(MediaView(kind="video", src=""), 360)
    360
    """
    if not media.width or not media.height:
        return width
    by_height = int(PLAYER_MAX_HEIGHT * media.width / media.height)
    return max(96, min(width, media.width, by_height))


def video_tag(media: MediaView, *, width: int = 360, name: str | None = None) -> str:
    """An inline ``<video controls preload="metadata">`` with a relative ``src`` and poster,
    named for screen readers by ``name`` (the prompt), else its label or kind."""
    src = _safe_src(media.src)
    if src is None:
        return f'<span style="{_MUTED}">(video not available)</span>'
    poster = _safe_src(media.poster or "")
    poster_attr = f' poster="{_e(poster)}"' if poster else ""
    label = name or media.label or f"{media.kind} {media.file_name}".strip()
    width = fitted_width(media, width)
    return (
        f'<video src="{_e(src)}" controls preload="metadata"{poster_attr}{_served(media)}'
        f' aria-label="{_e(label)}"'
        f' width="{width}" style="max-width:100%;border-radius:4px;background:#000"></video>'
    )


def _served(media: MediaView) -> str:
    """The attributes :data:`SERVED_SCRIPT` reads to reach the kernel's media server."""
    if media.serve_port is None or not media.serve_path:
        return ""
    return f' data-fw-port="{int(media.serve_port)}" data-fw-path="{_e(media.serve_path)}"'


#: Run in the output frame: where Colab's kernel proxy exists, point every served player at it.
#: Elsewhere (and where scripts are stripped) the loopback URL or the poster stays.
SERVED_SCRIPT = (
    "<script>(function(){var g=window.google,k=g&&g.colab&&g.colab.kernel;"
    "if(!k||!k.proxyPort)return;"
    "document.querySelectorAll('[data-fw-port]:not([data-fw-done])').forEach(function(m){"
    "m.setAttribute('data-fw-done','1');"
    "k.proxyPort(Number(m.getAttribute('data-fw-port')),{cache:true}).then(function(base){"
    "m.src=String(base).replace(/\\/+$/,'')+m.getAttribute('data-fw-path');});});})();"
    "</script>"
)


def image_tag(media: MediaView, *, width: int = 360, name: str | None = None) -> str:
    """An inline ``<img>`` with a relative ``src``, its alt text ``name`` (the prompt), else its
    label, file name or kind."""
    src = _safe_src(media.src)
    if src is None:
        return f'<span style="{_MUTED}">(image not available)</span>'
    alt = name or media.label or media.file_name or media.kind
    width = fitted_width(media, width)
    return (
        f'<img src="{_e(src)}" alt="{_e(alt)}" loading="lazy"{_served(media)} width="{width}"'
        f' style="max-width:100%;height:auto;border-radius:4px">'
    )


def _audio_tag(media: MediaView) -> str:
    src = _safe_src(media.src)
    if src is None:
        return f'<span style="{_MUTED}">(audio not available)</span>'
    return f'<audio src="{_e(src)}" controls preload="none"></audio>'


def media_facts(media: MediaView, *, times: str = "×") -> list[str]:
    """The caption facts of a file, in order: seed, duration, size in pixels, size on disk.

    >>> media_facts(MediaView(kind="video", src="", seed=3, duration_s=8.0, size_bytes=2048))
    ['seed 3', '8 s', '2.0 KB']
    """
    facts: list[str] = []
    if media.seed is not None:
        facts.append(f"seed {media.seed}")
    if media.duration_s is not None:
        facts.append(f"{media.duration_s:g} s")
    if media.width and media.height:
        facts.append(f"{media.width}{times}{media.height}")
    if media.size_bytes is not None:
        facts.append(format_bytes(media.size_bytes))
    return facts


def _caption(media: MediaView) -> str:
    text = " · ".join(_e(f) for f in media_facts(media))
    if media.file_name:  # one line, ellipsized; the whole name in its tooltip and its name
        src = _safe_src(media.link or media.src)
        name = file_name(media.file_name, href=src)
        text = f"{text} · {name}" if text else name
    if media.note:
        text = f"{text} · {_e(media.note)}" if text else _e(media.note)
    return text


def within_output_cap(items: Sequence[MediaView], cap: int | None = None) -> list[MediaView]:
    """``items`` with embedded previews past ``cap`` bytes swapped back for their file link.

    One output carrying several embedded clips must stay well under a frontend's message limit
    (about 10 MB in Jupyter; Colab's runtime has crashed on large base64 videos).
    """
    limit = EMBED_OUTPUT_CAP if cap is None else cap
    used = 0
    kept: list[MediaView] = []
    for media in items:
        if media.src.startswith("data:") and media.link:
            used += len(media.src)
            if used > limit:
                media = replace(
                    media, src=media.link, link=None, note="not embedded: the output's cap"
                )
        kept.append(media)
    return kept


def media_figure(media: MediaView, *, width: int = 360, name: str | None = None) -> str:
    """One media element with its caption (seed, duration, size, file name) and label;
    ``name`` (the prompt) is what screen readers call it."""
    if media.kind == "video":
        body = video_tag(media, width=width, name=name)
    elif media.kind == "audio":
        body = _audio_tag(media)
    else:
        body = image_tag(media, width=width, name=name)
    label = f'<div style="font-weight:600">{_e(media.label)}</div>' if media.label else ""
    caption = _caption(media)
    figcaption = (
        f'<figcaption style="{_MUTED};font-size:12px">{caption}</figcaption>' if caption else ""
    )
    return f'<figure style="margin:0;max-width:{width}px">{label}{body}{figcaption}</figure>'


def gallery_html(items: Sequence[MediaView], *, width: int = 300, name: str | None = None) -> str:
    """A wrapping row of media figures (a labelled grid when the items carry labels)."""
    shown = within_output_cap(items)
    figures = "".join(
        media_figure(m, width=width, name=_numbered(name, i, len(shown)))
        for i, m in enumerate(shown, 1)
    )
    script = SERVED_SCRIPT if any(m.serve_port is not None for m in items) else ""
    return (
        f'<div style="display:flex;flex-wrap:wrap;gap:8px;margin-top:6px">{figures}</div>{script}'
    )


def _numbered(name: str | None, index: int, total: int) -> str | None:
    if name is None or total < 2:
        return name
    return f"{name} ({index} of {total})"


def grid_html(
    rows: Sequence[str],
    columns: Sequence[str],
    cells: Sequence[Sequence[MediaView | None]],
    *,
    width: int = 240,
) -> str:
    """A comparison table: one row per model, one column per seed (``--compare``/``--seeds``).

    Args:
        rows: row headings (models).
        columns: column headings (seeds).
        cells: ``cells[r][c]`` is the media for that pair, or ``None`` while it is pending.
    """
    pending = f'<span style="{_MUTED}">pending</span>'
    head = "".join(f'<th style="padding:2px 6px">{_e(c)}</th>' for c in columns)
    body: list[str] = []
    for row_label, row in zip(rows, cells, strict=True):
        tds = "".join(
            '<td style="padding:2px;vertical-align:top">'
            + (media_figure(m, width=width) if m is not None else pending)
            + "</td>"
            for m in row
        )
        heading = f'<th style="padding:2px 6px;text-align:left">{_e(row_label)}</th>'
        body.append(f"<tr>{heading}{tds}</tr>")
    return (
        '<table style="border-collapse:collapse;margin-top:6px">'
        f"<thead><tr><th></th>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def _prompt_html(prompt: str) -> str:
    shown = prompt[:PROMPT_DISPLAY_CHARS]
    more = len(prompt) - len(shown)
    tail = f' <span style="{_MUTED}">… ({more:,} more characters)</span>' if more > 0 else ""
    return (
        '<div dir="auto" style="white-space:pre-wrap;overflow-wrap:anywhere;margin:2px 0">'
        f"{_e(shown)}{tail}</div>"
    )


def _header(view: CardView) -> str:
    """The compact header: kind, status chip, then chips for model, account and cost."""
    parts = [f'<span class="fw-title" style="font-weight:600">{_e(view.kind)}</span>']
    parts.append(status_chip(view.phase))
    if view.model:
        parts.append(chip(view.model, label="model"))
    if view.account:
        parts.append(f"<bdi>{chip(view.account, label='account')}</bdi>")
    if view.credits is not None:
        if view.phase == "failed" and view.charged is False:
            parts.append(chip("0 credits", label="cost"))
        else:
            cost = "free" if view.credits == 0 else f"{view.credits} credits"
            parts.append(chip(cost, label="cost"))
    return (
        '<div class="fw-head" style="display:flex;flex-wrap:wrap;align-items:center;gap:6px">'
        f"{''.join(parts)}</div>"
    )


def _progress(view: CardView) -> str:
    elapsed = max(0.0, view.elapsed_s)
    expected = view.expected_s
    clock = (
        f'<span class="fw-clock" style="animation-delay:-{elapsed:.0f}s,-{elapsed:.0f}s">'
        f"{format_clock(elapsed)}</span>"
    )
    if view.phase == "queued":
        return f"<div>{_ICONS['queued']} queued · waiting for the server · {clock}</div>"
    expect = f" of about {format_clock(expected)}" if expected else ""
    slow = (
        f' <span style="{_MUTED}">(slower than usual)</span>'
        if expected and elapsed > 1.5 * expected
        else ""
    )
    line = f"<div>{_ICONS['running']} running · {clock}{expect}{slow}</div>"
    if not expected:
        return line
    # Fill over the expected time, starting at the elapsed offset; then pulse until done.
    remaining = max(0.0, expected - elapsed)
    bar = (
        '<div style="height:4px;background:#e5e7eb;border-radius:2px;margin-top:3px;'
        'overflow:hidden"><div style="height:100%;background:#2a7ae2;'
        f"width:{min(100.0, 100 * elapsed / expected):.0f}%;"
        f"animation:fw-fill {expected:.0f}s linear -{elapsed:.0f}s forwards,"
        f'fw-pulse 1.2s ease-in-out {remaining:.0f}s infinite alternate"></div></div>'
    )
    return line + bar


def _failure(view: CardView) -> str:
    reason = view.error or "the job failed without a reason from the server"
    if view.charged is True:
        amount = f"{view.credits} credits" if view.credits else "Credits"
        credits = f"{amount} were charged."
    elif view.charged is False:
        credits = "No credits were charged."
    else:
        credits = "Whether credits were charged is not known yet; %flow credits shows the balance."
    return (
        f'<div class="fw-text-failed" style="color:#d0342c"><b>{_ICONS["failed"]} failed:</b> '
        f'<span dir="auto">{_e(reason)}</span></div>'
        f'<div style="{_MUTED}">{_e(credits)} Try again: re-run the cell with '
        "<code>--new</code> (a rephrased prompt or another seed often passes).</div>"
    )


def _detached(view: CardView) -> str:
    if view.phase == "unknown":
        text = (
            "The outcome is not known yet (the server did not answer in time). Nothing is "
            "resent; %flow resume checks the server again."
        )
    else:
        text = (
            "Stopped watching. The job still runs on the server and may still be charged; "
            "%flow resume re-attaches to it."
        )
    return (
        f'<div class="fw-text-{view.phase}" style="color:#8a5a00">'
        f"{_ICONS[view.phase]} {_e(text)}</div>"
    )


def _completed(view: CardView) -> str:
    done = f"<div>{_ICONS['completed']} done in {format_clock(view.elapsed_s)}</div>"
    if not view.media:
        return done + f'<div style="{_MUTED}">(no media files)</div>'
    width = 360 if len(view.media) <= 2 else 240
    return done + gallery_html(view.media, width=width, name=_media_name(view))


def _media_name(view: CardView) -> str:
    """What a screen reader calls the card's media: its prompt (never the file name)."""
    prompt = " ".join(view.prompt.split())
    if len(prompt) > 150:
        prompt = prompt[:149] + "…"
    return prompt or view.kind


def card_html(view: CardView) -> str:
    """The whole job card for one moment: header, prompt, status, and the result or failure."""
    colour = _COLOURS[view.phase]
    parts = [_header(view), _prompt_html(view.prompt)]
    if view.phase in ("queued", "running"):
        parts.insert(0, _RUNNING_CSS)
        status = _progress(view)
    elif view.phase == "completed":
        status = _completed(view)
    elif view.phase == "failed":
        status = _failure(view)
    else:
        status = _detached(view)
    # queued -> running -> done, and failures, are announced politely to screen readers
    parts.append(f'<div role="status" aria-live="polite">{status}</div>')
    if view.note:
        parts.append(f'<div style="{_MUTED};font-style:italic">{_e(view.note)}</div>')
    style = _CARD_STYLE.format(colour=colour)
    return f'<div class="fw-card fw-{view.phase}" style="{style}">{"".join(parts)}</div>'


def snippet_html(title: str, code: str) -> str:
    """A titled, escaped code block (copy-as-cell shows the runnable cell this way)."""
    return (
        f'<div style="{_MUTED};margin-top:4px">{_e(title)}</div>'
        '<pre style="margin:2px 0;padding:6px;background:#f6f8fa;border-radius:4px;'
        f'white-space:pre-wrap;overflow-wrap:anywhere">{_e(code)}</pre>'
    )


def table_html(
    headers: Sequence[str], rows: Sequence[Sequence[object]], *, caption: str | None = None
) -> str:
    """A plain, escaped table (for ``%flow jobs``, ``voices``, ``accounts`` …)."""
    cell = "padding:2px 8px;text-align:left;vertical-align:top;border-bottom:1px solid #e5e7eb"
    head = "".join(f'<th style="{cell}">{_e(h)}</th>' for h in headers)
    number = cell.replace("text-align:left", "text-align:right;font-variant-numeric:tabular-nums")

    def td(v: object) -> str:
        if isinstance(v, int) and not isinstance(v, bool):  # counts: 1,234, right-aligned
            return f'<td style="{number}">{v:,}</td>'
        return f'<td style="{cell}">{_e("" if v is None else v)}</td>'

    body = "".join("<tr>" + "".join(td(v) for v in row) + "</tr>" for row in rows)
    title = f'<caption style="text-align:left;{_MUTED}">{_e(caption)}</caption>' if caption else ""
    return (
        '<table style="border-collapse:collapse;font:13px/1.45 system-ui,sans-serif">'
        f"{title}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )
