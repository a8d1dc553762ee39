"""One self-contained HTML page of results, for sharing: ``%flow export`` and ``fw.export``.

Why one writer: a page mailed to a class, put on a course site or opened inside JupyterLab has
none of the files next to it, so relative links break (the old gallery export showed broken
images inside JupyterLab). Every result is embedded instead, with the same compact previews as
the ``embed`` mode (:mod:`flow_widgets.runtime.previews`: H.264 ≤ 480p with MP3 sound, images
as JPEG), and shown with what made it: the prompt, the settings, the model and the credits.
The page has no script and loads nothing from the network, so it plays from ``file://`` in any
folder, in JupyterLab's HTML viewer (which runs no script) and behind a classroom firewall.

The gallery's export, a class gallery and starred takes all come through :func:`write_page`.
A page stops embedding past :data:`PAGE_CAP` bytes and links the remaining files relatively
(from the page's folder), saying so under each.
"""

from __future__ import annotations

import base64
import html
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote

from flow_widgets.runtime.atomic_files import write_bytes_atomic
from flow_widgets.ui.view import relative_src

if TYPE_CHECKING:  # pragma: no cover
    from flow_widgets.runtime.jobs import JobHandle
    from flow_widgets.ui.panel_html import Take

__all__ = [
    "PAGE_CAP",
    "ExportItem",
    "export",
    "items_from_jobs",
    "items_from_takes",
    "page_html",
    "write_page",
]

#: Most bytes of embedded media on one page (about 60 clips of 8 s); past it, files are linked.
PAGE_CAP = 80 * 1024 * 1024
#: Request fields never shown (the prompt has its own place; the account is private).
_HIDDEN_SETTINGS = frozenset({"prompt", "email", "account"})
_MUTED = "color:#6b7280"


@dataclass(frozen=True)
class ExportItem:
    """One result on the page.

    Attributes:
        path: the file on disk (``None``: only the facts are shown).
        kind: ``video``, ``image``, ``gif`` or ``audio``.
        prompt: the final prompt.
        model: the model id.
        credits: what it cost (``None`` when not known).
        settings: the request's other fields (aspect, duration, seed …), shown as given.
        title: a heading (``★`` for a starred take, a label in a comparison).
    """

    path: Path | None
    kind: str = "video"
    prompt: str = ""
    model: str | None = None
    credits: int | None = None
    settings: Mapping[str, object] = field(default_factory=dict)
    title: str = ""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def items_from_jobs(jobs: Iterable[JobHandle], picks: set[str] | None = None) -> list[ExportItem]:
    """One item per saved file of each job, oldest job first (read through documented fields);
    jobs whose submission is in ``picks`` (starred as their cell's pick) first, marked ★."""
    items: list[ExportItem] = []
    chosen = picks or set()

    def order(handle: JobHandle) -> tuple[bool, float]:
        picked = getattr(handle, "submission_id", None) in chosen
        return (not picked, getattr(handle, "created", 0) or 0)

    for handle in sorted(jobs, key=order):
        request = dict(getattr(handle, "request", None) or {})
        credits = getattr(handle, "credits", None)
        for media in getattr(handle, "media", None) or ():
            path = getattr(media, "path", None)
            if path is None:
                continue
            settings = {k: v for k, v in request.items() if k not in _HIDDEN_SETTINGS}
            seed = getattr(media, "seed", None)
            if seed is not None:
                settings["seed"] = seed
            items.append(
                ExportItem(
                    path=Path(path),
                    kind=str(getattr(media, "kind", "video")),
                    prompt=str(getattr(handle, "prompt", None) or request.get("prompt") or ""),
                    model=getattr(handle, "model", None),
                    credits=int(credits) if isinstance(credits, int) else None,
                    settings=settings,
                    title="★ pick" if getattr(handle, "submission_id", None) in chosen else "",
                )
            )
    return items


def items_from_takes(takes: Iterable[Take], base: str | os.PathLike[str]) -> list[ExportItem]:
    """Items for gallery takes (``Take``), whose media links are relative to ``base``."""
    items: list[ExportItem] = []
    for take in takes:
        media = take.media
        link = media.link or media.src
        path = None if not link or ":" in link.split("/")[0] else Path(base) / unquote(link)
        settings = {"seed": take.seed} if take.seed is not None else {}
        items.append(
            ExportItem(
                path=path,
                kind=media.kind,
                prompt=take.prompt,
                model=take.model,
                settings=settings,
                title=("★ " if take.starred else "") + (media.file_name or ""),
            )
        )
    return items


def _player(item: ExportItem, page_folder: Path, budget: list[int]) -> str:
    from flow_widgets.runtime.posters import poster_data_url
    from flow_widgets.runtime.previews import preview_data_url

    if item.path is None or not item.path.exists():
        return f'<p style="{_MUTED}">(the file is not on this computer)</p>'
    link = relative_src(item.path, page_folder)
    if item.kind == "gif":  # a JPEG would lose the animation: the GIF itself goes in
        url: str | None = (
            "data:image/gif;base64," + base64.b64encode(item.path.read_bytes()).decode()
        )
    else:
        url = preview_data_url(item.path, item.kind)
    note = ""
    if url is None or len(url) > budget[0]:
        note = (
            f'<p style="{_MUTED}">Not embedded (the page is full); the file is linked and must '
            "stay next to this page.</p>"
            if url is not None
            else ""
        )
        url = link
    else:
        budget[0] -= len(url)
    if item.kind == "video":
        poster = poster_data_url(item.path)
        poster_attr = f' poster="{_e(poster)}"' if poster else ""
        body = (
            f'<video src="{_e(url)}" controls preload="metadata"{poster_attr}'
            ' style="width:100%;border-radius:4px;background:#000"></video>'
        )
    elif item.kind == "audio":
        body = f'<audio src="{_e(url)}" controls preload="metadata"></audio>'
    else:
        alt = item.prompt[:120] or item.path.name
        body = f'<img src="{_e(url)}" alt="{_e(alt)}" style="width:100%;border-radius:4px">'
    return body + note


def _facts(item: ExportItem) -> str:
    cost = (
        "free"
        if item.credits == 0
        else f"{item.credits} credits"
        if item.credits
        else "cost unknown"
    )
    head = " · ".join(_e(p) for p in (item.model or "unknown model", cost))
    rows = "".join(
        f'<tr><th style="text-align:left;padding-right:8px;font-weight:500">{_e(k)}</th>'
        f"<td>{_e(v)}</td></tr>"
        for k, v in sorted(item.settings.items(), key=lambda kv: str(kv[0]))
        if isinstance(v, (str, int, float, bool))
    )
    table = f'<table style="font-size:12px;{_MUTED}">{rows}</table>' if rows else ""
    return f'<div style="{_MUTED}">{head}</div>{table}'


def page_html(
    items: Sequence[ExportItem], *, title: str, page_folder: Path, generated: str = ""
) -> str:
    """The whole page, every string escaped and every player self-contained (no script)."""
    budget = [PAGE_CAP]
    cards = []
    for item in items:
        heading = f'<div style="font-weight:600">{_e(item.title)}</div>' if item.title else ""
        prompt = (
            f'<p dir="auto" style="white-space:pre-wrap;margin:4px 0">{_e(item.prompt)}</p>'
            if item.prompt
            else ""
        )
        name = (
            f'<div style="{_MUTED};font-size:12px">full file (when kept next to this page): '
            f'<a href="{_e(relative_src(item.path, page_folder))}">{_e(item.path.name)}</a></div>'
            if item.path
            else ""
        )
        cards.append(
            '<figure class="fw-result" style="margin:0;width:380px;border:1px solid #d0d4da;'
            'border-radius:6px;padding:8px">'
            f"{heading}{_player(item, page_folder, budget)}{prompt}{_facts(item)}{name}</figure>"
        )
    known = [i.credits for i in items if i.credits is not None]
    total = f"{len(items)} results · {sum(known)} credits" + (
        "" if len(known) == len(items) else " (some costs unknown)"
    )
    note = f" · {_e(generated)}" if generated else ""
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{_e(title)}</title></head>"
        '<body style="font:14px/1.5 system-ui,sans-serif;margin:16px">'
        f'<h1 style="font-size:20px">{_e(title)}</h1>'
        f'<p style="{_MUTED}">{_e(total)}{note}</p>'
        f'<div style="display:flex;flex-wrap:wrap;gap:12px">{"".join(cards)}</div>'
        "</body></html>\n"
    )


def write_page(
    path: str | os.PathLike[str], items: Sequence[ExportItem], *, title: str | None = None
) -> Path:
    """Write ``items`` as one self-contained page at ``path`` (``.html`` added when missing).

    Raises:
        ValidationError: there is nothing to write (one plain sentence).
    """
    from flow_widgets.errors import ValidationError

    if not items:
        raise ValidationError(
            "export has no results to write: generate something first, or pass jobs= or "
            "select takes in the gallery.",
            field="results",
        )
    target = Path(path).expanduser()
    if target.suffix.lower() not in (".html", ".htm"):
        target = target.with_suffix(".html")
    target.parent.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y-%m-%d %H:%M")
    page = page_html(
        items,
        title=title or f"{len(items)} results",
        page_folder=target.resolve().parent,
        generated=f"exported {stamp}",
    )
    write_bytes_atomic(page.encode("utf-8"), target)
    return target


def export(
    path: str | os.PathLike[str],
    jobs: Iterable[JobHandle] | None = None,
    *,
    title: str | None = None,
) -> Path:
    """Write this notebook's results (default: every job of the current session) as one page.

    Example:
        >>> import flow_widgets as fw                     # doctest: +SKIP
        >>> fw.export("class-results.html")               # doctest: +SKIP
    """
    from flow_widgets.runtime.session import current_session
    from flow_widgets.runtime.take_store import cell_picks

    current = current_session()
    if jobs is None:
        jobs = current.jobs() if current is not None else []
    picks = cell_picks(current.ledger if current is not None else None)
    return write_page(path, items_from_jobs(jobs, picks), title=title)
