"""Pure, escaped HTML and text for the panels' boards and static fallbacks.

Why pure: what a panel shows is written into the notebook as ordinary output — the jobs table,
the credits summary, the takes grid, a compare view — and read back later by GitHub, nbviewer or
a JupyterLab with no kernel. So, like :mod:`flow_widgets.ui.html` (whose builders these reuse),
each is a deterministic function of frozen values: every string escaped, media ``src`` relative,
no script, no CDN. The before/after compare works with no script at all: the top image sits in a
box whose width the live slider sets and which a person can also drag (CSS ``resize``).
"""

from __future__ import annotations

import html
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

from flow_widgets.runtime.credit_snapshot import CreditSnapshot
from flow_widgets.ui.family import chip, family_style, file_name, status_chip
from flow_widgets.ui.html import media_figure, table_html, within_output_cap
from flow_widgets.ui.job_rows import JobRow
from flow_widgets.ui.text import one_line, table_text
from flow_widgets.ui.view import MediaView

__all__ = [
    "LIVE_NOTE",
    "Take",
    "compare_html",
    "credits_html",
    "credits_text",
    "export_page",
    "format_age",
    "jobs_html",
    "jobs_text",
    "panel_frame",
    "takes_html",
    "takes_text",
]

LIVE_NOTE = "A live flow_widgets panel; run this cell with a kernel to use its controls."
_MUTED = "color:var(--jp-content-font-color2,#4b5563)"  # readable in light and dark
_FRAME = (
    "border:1px solid #d0d4da;border-radius:6px;padding:6px 10px;margin:4px 0;"
    "font:13px/1.45 system-ui,sans-serif;max-width:960px"
)


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def panel_frame(title: str, body: str, *, note: str | None = None) -> str:
    """A titled box around ``body`` (already-escaped HTML), with an optional muted note."""
    foot = f'<div style="{_MUTED};font-size:12px;margin-top:4px">{_e(note)}</div>' if note else ""
    return (
        f'{family_style()}<div class="fw-panel" style="{_FRAME}"><div class="fw-head">'
        f'<span class="fw-title" style="font-weight:600">{_e(title)}</span></div>{body}{foot}</div>'
    )


def format_age(seconds: float) -> str:
    """A short age: ``12 s``, ``3 min``, ``5 h``, ``2 d``.

    >>> format_age(12.4), format_age(200), format_age(7300), format_age(200000)
    ('12 s', '3 min', '2 h', '2 d')
    """
    whole = max(0, int(seconds))
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min"
    if whole < 86400:
        return f"{whole // 3600} h"
    return f"{whole // 86400} d"


def _credits_cell(row: JobRow) -> str:
    if row.credits is None:
        return ""
    if row.charged is False:
        return "0 (not charged)"
    return "free" if row.credits == 0 else str(row.credits)


def _thumb(media: MediaView | None, name: str = "") -> str:
    """A row's small preview, named ``name`` (the prompt), else its kind — never its file name."""
    if media is None or not media.src:
        return ""
    # A row never carries an embedded preview (50 rows would be 50 MB): the file link.
    src = _e(media.link if media.src.startswith("data:") and media.link else media.src)
    name = _e(one_line(name, 120) or media.kind)
    if media.kind == "video":
        poster = f' poster="{_e(media.poster)}"' if media.poster else ""
        return (
            f'<video src="{src}" preload="metadata" muted width="72"{poster} aria-label="{name}" '
            'style="border-radius:3px;background:#000;vertical-align:middle;display:block"></video>'
        )
    return (
        f'<img src="{src}" alt="{name}" loading="lazy" width="72" '
        'style="border-radius:3px;vertical-align:middle;display:block">'
    )


def _file_action(row: JobRow) -> str:
    """The row's action reachable by keyboard in any viewer: its file, as a download link."""
    media = row.thumbnail
    if media is None or not media.src:
        return ""
    href = media.link if media.src.startswith("data:") and media.link else media.src
    if not href or href.startswith("data:"):
        return ""
    return file_name(media.file_name or media.kind, href=href)


_ONE_LINE = "max-width:36ch;overflow:hidden;text-overflow:ellipsis;white-space:nowrap"


def jobs_html(rows: Sequence[JobRow], *, now: float | None = None, limit: int = 200) -> str:
    """The jobs list: one compact row per job — thumbnail, status chip, kind, model, account and
    credit chips, age, prompt (escaped, on one line, whole in its tooltip), and its file."""
    at = time.time() if now is None else now
    if not rows:
        return f'<div style="{_MUTED}">No jobs match.</div>'
    cell = "padding:3px 8px;text-align:left;vertical-align:middle;border-bottom:1px solid #d0d4da"
    heads = ("preview", "status", "job", "age", "prompt", "file")
    head = "".join(f'<th scope="col" style="{cell}">{_e(h)}</th>' for h in heads)
    body: list[str] = []
    for row in rows[:limit]:
        status = status_chip(row.phase)
        if row.error and row.phase == "failed":
            status += f'<div style="{_MUTED};font-size:12px">{_e(one_line(row.error, 120))}</div>'
        facts = [chip(row.kind, label="kind")]
        if row.model:
            facts.append(chip(row.model, label="model"))
        if row.account:
            facts.append(chip(row.account, label="account"))
        credits = _credits_cell(row)
        if credits:
            facts.append(chip(f"{credits} credits" if credits.isdigit() else credits, label="cost"))
        prompt = one_line(row.prompt, 80)
        body.append(
            f'<tr class="fw-job fw-{_e(row.phase)}" data-key="{_e(row.key)}">'
            f'<td style="{cell}">{_thumb(row.thumbnail, row.prompt)}</td>'
            f'<td style="{cell}">{status}</td>'
            f'<td style="{cell};min-width:220px"><span style="display:inline-flex;'
            'flex-wrap:wrap;gap:4px">'
            f"{''.join(facts)}</span></td>"
            f'<td style="{cell};white-space:nowrap">{_e(format_age(at - row.created))}</td>'
            f'<td style="{cell}"><div class="fw-job-prompt" dir="auto" title="{_e(row.prompt)}"'
            f' style="{_ONE_LINE}">{_e(prompt)}</div></td>'
            f'<td style="{cell}">{_file_action(row)}</td></tr>'
        )
    more = len(rows) - min(len(rows), limit)
    tail = f'<div style="{_MUTED}">… and {more} more</div>' if more > 0 else ""
    return (
        '<table class="fw-jobs" style="border-collapse:collapse;'
        'font:13px/1.45 system-ui,sans-serif"><caption style="text-align:left;font-weight:600;'
        f'padding:2px 8px">Jobs</caption><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>{tail}"
    )


def jobs_text(rows: Sequence[JobRow], *, now: float | None = None, limit: int = 200) -> str:
    """The jobs table as aligned plain text."""
    at = time.time() if now is None else now
    if not rows:
        return "No jobs match."
    lines = [
        [
            r.phase,
            r.kind,
            r.model or "",
            r.account or "",
            _credits_cell(r),
            format_age(at - r.created),
            one_line(r.prompt, 50),
        ]
        for r in rows[:limit]
    ]
    heads = ["status", "kind", "model", "account", "credits", "age", "prompt"]
    return table_text(heads, lines)


def _bar(used: int, total: int) -> str:
    share = 0.0 if total <= 0 else min(1.0, used / total)
    colour = "#1e7b43" if share < 0.75 else "#8a5a00" if share < 0.95 else "#d0342c"
    return (
        '<div class="fw-budget-bar" style="height:8px;background:#e5e7eb;border-radius:4px;'
        f'overflow:hidden;max-width:360px"><div style="height:100%;width:{100 * share:.0f}%;'
        f'background:{colour}"></div></div>'
    )


def credits_html(snapshot: CreditSnapshot, *, warnings: Sequence[str] = ()) -> str:
    """Accounts (health, plan, credits), spend by model, captcha credits, the budget bar."""
    from flow_widgets.api.catalog import TIER_NAMES
    from flow_widgets.api.ids import mask_email

    parts: list[str] = []
    for warning in warnings:
        parts.append(f'<div class="fw-warning" style="color:#8a5a00">⚠ {_e(warning)}</div>')
    rows = [
        (
            mask_email(a.email),
            a.health or "not checked",
            TIER_NAMES.get(a.tier, a.tier) if a.tier else "unknown",
            "" if a.credits is None else f"{a.credits:,}",
            f"{snapshot.spent_by_account.get(a.email, 0):,}",
        )
        for a in snapshot.accounts
    ]
    if rows:
        parts.append(table_html(["account", "health", "plan", "credits left", "spent"], rows))
    else:
        parts.append(f'<div style="{_MUTED}">No accounts known yet; press refresh.</div>')
    if snapshot.spent_by_model:
        spent = sorted(snapshot.spent_by_model.items(), key=lambda kv: -kv[1])
        parts.append(
            table_html(["model", "credits this session"], [(m, f"{c:,}") for m, c in spent])
        )
    facts = [f"spent this session: {snapshot.spent:,}"]
    if snapshot.pending:
        facts.append(f"of which pending: {snapshot.pending:,}")
    if snapshot.captcha_credits is not None:
        facts.append(f"captcha credits: {snapshot.captcha_credits:,}")
    chips = "".join(chip(fact) for fact in facts)  # the totals, first, as the family's chips
    parts.insert(len(warnings), f'<div class="fw-head" style="display:flex;gap:6px">{chips}</div>')
    if snapshot.budget is not None:
        left = snapshot.remaining_budget if snapshot.remaining_budget is not None else 0
        parts.append(
            f"<div>budget: {snapshot.spent:,} of {snapshot.budget:,} used · {left:,} left</div>"
            + _bar(snapshot.spent, snapshot.budget)
        )
    else:
        parts.append(f'<div style="{_MUTED}">no budget set (flow.budget = 300 sets one)</div>')
    return f'<div class="fw-credits">{"".join(parts)}</div>'


def credits_text(snapshot: CreditSnapshot, *, warnings: Sequence[str] = ()) -> str:
    """The credits summary as plain lines."""
    from flow_widgets.api.ids import mask_email

    lines = [f"warning: {one_line(w, 200)}" for w in warnings]
    for a in snapshot.accounts:
        credits = "?" if a.credits is None else f"{a.credits:,}"
        lines.append(
            f"{mask_email(a.email)} · {a.health or 'not checked'} · {a.tier or 'unknown plan'} · "
            f"{credits} credits left"
        )
    for model, spent in sorted(snapshot.spent_by_model.items()):
        lines.append(f"spent on {model}: {spent:,}")
    budget = "no budget" if snapshot.budget is None else f"budget {snapshot.budget:,}"
    lines.append(f"spent this session: {snapshot.spent:,} · {budget}")
    return "\n".join(lines)


@dataclass(frozen=True)
class Take:
    """One result in a gallery: a media file with what made it.

    Attributes:
        key: unique within the gallery (``<submission>:<index>`` or the file name).
        media: the file (relative ``src``).
        model, seed, prompt: the caption.
        starred: marked as a favourite.
        cell: the notebook cell that made it (its key in the takes store), when known.
        created: epoch seconds it was made (a job's start, a file's modification time).
    """

    key: str
    media: MediaView
    model: str | None = None
    seed: int | None = None
    prompt: str = ""
    starred: bool = False
    cell: str | None = None
    created: float | None = None

    @property
    def caption(self) -> str:
        """``★ nano-banana-pro · seed 3 · a lighthouse at…``."""
        parts = [p for p in (self.model, f"seed {self.seed}" if self.seed is not None else "") if p]
        parts.append(one_line(self.prompt, 60) if self.prompt else self.media.file_name)
        return ("★ " if self.starred else "") + " · ".join(p for p in parts if p)


def _take_figure(take: Take, width: int) -> str:
    from dataclasses import replace

    labelled = replace(take.media, label=take.caption)
    border = "2px solid #e0a800" if take.starred else "1px solid transparent"
    return (
        f'<div class="fw-take" data-key="{_e(take.key)}" style="border:{border};'
        f'border-radius:6px;padding:3px">{media_figure(labelled, width=width)}</div>'
    )


def takes_html(takes: Sequence[Take], *, width: int = 240) -> str:
    """A wrapping grid of takes with captions (starred ones framed in gold)."""
    if not takes:
        return f'<div style="{_MUTED}">No takes to show.</div>'
    capped = within_output_cap([t.media for t in takes])  # embedded previews stay under a cap
    figures = "".join(
        _take_figure(replace(t, media=m), width) for t, m in zip(takes, capped, strict=True)
    )
    return f'<div style="display:flex;flex-wrap:wrap;gap:8px;margin-top:6px">{figures}</div>'


def takes_text(takes: Sequence[Take]) -> str:
    """One line per take."""
    return "\n".join(f"{t.caption} · {t.media.file_name or t.media.src}" for t in takes)


def compare_html(a: Take, b: Take, *, position: int = 50, width: int = 480) -> str:
    """Two takes compared: an offline before/after slider for images, side by side otherwise.

    For two images, ``b`` fills the frame and ``a`` is shown in a box ``position`` percent wide
    on top of it; the box can also be dragged wider or narrower by its corner (CSS ``resize``),
    so the comparison works with no kernel and no script.
    """
    pos = max(0, min(100, int(position)))
    captions = (
        f'<div style="display:flex;justify-content:space-between;{_MUTED};font-size:12px;'
        f'max-width:{width}px"><span>◀ A: {_e(a.caption)}</span>'
        f"<span>B: {_e(b.caption)} ▶</span></div>"
    )
    if a.media.kind != "image" or b.media.kind != "image":
        pair = "".join(f"<div>{media_figure(t.media, width=width // 2)}</div>" for t in (a, b))
        return f'<div style="display:flex;gap:8px">{pair}</div>{captions}'
    return (
        f'<div class="fw-compare" style="position:relative;width:{width}px;max-width:100%;'
        'line-height:0;user-select:none">'
        f'<img src="{_e(b.media.src)}" alt="B" style="width:{width}px;display:block">'
        f'<div class="fw-compare-a" style="position:absolute;top:0;left:0;bottom:0;width:{pos}%;'
        "overflow:hidden;resize:horizontal;min-width:6px;max-width:100%;"
        'border-right:2px solid #fff;box-shadow:1px 0 3px rgba(0,0,0,.6)">'
        f'<img src="{_e(a.media.src)}" alt="A" style="width:{width}px;max-width:none;'
        'display:block"></div></div>' + captions
    )


def export_page(title: str, takes: Sequence[Take], *, generated: str = "") -> str:
    """A small, self-contained HTML page of ``takes`` with relative media links (no script)."""
    figures = "".join(
        f'<figure style="margin:0">{media_figure(t.media, width=360)}'
        f'<figcaption style="font-size:13px;max-width:360px">{_e(t.caption)}'
        + (
            f'<details><summary>prompt</summary><p dir="auto">{_e(t.prompt)}</p></details>'
            if t.prompt
            else ""
        )
        + "</figcaption></figure>"
        for t in takes
    )
    note = f'<p style="{_MUTED}">{_e(generated)}</p>' if generated else ""
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{_e(title)}</title></head>"
        '<body style="font:14px/1.5 system-ui,sans-serif;margin:16px">'
        f'<h1 style="font-size:20px">{_e(title)}</h1>{note}'
        f'<div style="display:flex;flex-wrap:wrap;gap:12px">{figures}</div></body></html>\n'
    )
