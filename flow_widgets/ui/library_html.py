"""Pure, escaped HTML and text for the Voices and Characters managers' boards.

Why apart from :mod:`flow_widgets.ui.panel_html`: the library tables have their own shape — a
sample player per voice, the presets folded away under a ``<details>`` — and nothing else uses
them. Same rules: every string escaped, accounts already masked by the caller, and a sample
``src`` kept only when it is ``http(s)`` or relative.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from flow_widgets.ui.html import table_html
from flow_widgets.ui.text import one_line, table_text

__all__ = ["VoiceRow", "characters_html", "characters_text", "voices_html", "voices_text"]

_MUTED = "color:#6b7280"


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _audio(src: str | None) -> str:
    """A sample player for an http(s) or relative ``src`` (anything else is dropped)."""
    if not src:
        return ""
    scheme, colon, _ = src.partition(":")
    if colon and "/" not in scheme and scheme.lower() not in ("http", "https"):
        return ""
    return f'<audio src="{_e(src)}" controls preload="none" style="height:28px"></audio>'


def voices_html(system: Sequence[VoiceRow], user: Sequence[VoiceRow]) -> str:
    """User voices first (name, base preset, dialog, account, sample), then the presets."""
    cell = "padding:2px 8px;text-align:left;vertical-align:middle;border-bottom:1px solid #e5e7eb"

    def row(item: VoiceRow) -> str:
        tds = "".join(f'<td style="{cell}">{_e(v)}</td>' for v in item.cells)
        return f'<tr>{tds}<td style="{cell}">{_audio(item.sample)}</td></tr>'

    def rows(items: Sequence[VoiceRow]) -> str:
        return "".join(row(item) for item in items)

    head = "".join(
        f'<th style="{cell}">{h}</th>' for h in ("voice", "based on", "dialog", "account", "sample")
    )
    table = '<table style="border-collapse:collapse;font:13px/1.45 system-ui">'
    mine = (
        f"{table}<thead><tr>{head}</tr></thead><tbody>{rows(user)}</tbody></table>"
        if user
        else f'<div style="{_MUTED}">No voices of your own yet; create one below.</div>'
    )
    presets = (
        f"<details><summary>{len(system)} system voices</summary>{table}<tbody>{rows(system)}"
        "</tbody></table></details>"
        if system
        else ""
    )
    return mine + presets


def voices_text(system: Sequence[VoiceRow], user: Sequence[VoiceRow]) -> str:
    """The voices as plain text."""
    heads = ["voice", "based on", "dialog", "account"]
    mine = table_text(heads, [list(v.cells) for v in user]) if user else "No voices of your own."
    return f"{mine}\n{len(system)} system voices"


@dataclass(frozen=True)
class VoiceRow:
    """One voice as the manager lists it (account already masked)."""

    name: str
    base: str = ""
    dialog: str = ""
    account: str = ""
    sample: str | None = None

    @property
    def cells(self) -> tuple[str, str, str, str]:
        return (self.name, self.base, one_line(self.dialog, 60), self.account)


def characters_html(rows: Sequence[tuple[str, ...]]) -> str:
    """The characters table (name, images, voice, account, created)."""
    if not rows:
        return f'<div style="{_MUTED}">No characters yet; create one below.</div>'
    return table_html(["character", "images", "voice", "account", "created"], rows)


def characters_text(rows: Sequence[tuple[str, ...]]) -> str:
    """The characters as plain text."""
    if not rows:
        return "No characters yet."
    return table_text(["character", "images", "voice", "account", "created"], rows)
