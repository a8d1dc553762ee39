"""The teacher's class view as escaped HTML and plain text, from the gateway's ``GET class``.

Why apart from the panel: the same picture is the live board, the saved notebook's output and
``%flow class``'s printout, and a pure function of one snapshot is what the tests read. Student
names and prompts are the students' own words: every string is escaped. Accounts are masked
(a notebook gets shared), as on the credits panel.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

from flow_widgets.api.classroom import ClassOverview, ClassResult
from flow_widgets.api.ids import mask_email
from flow_widgets.ui.html import table_html
from flow_widgets.ui.panel_html import format_age
from flow_widgets.ui.text import table_text

__all__ = ["class_html", "class_text"]

_MUTED = "color:#6b7280"


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _budget_line(view: ClassOverview) -> str:
    budget, spent = int(view.get("budget", 0)), int(view.get("spent", 0))
    state = "paused: new requests are refused" if view.get("paused") else "open"
    return (
        f"class budget: {spent:,} of {budget:,} credits spent · {budget - spent:,} left · {state}"
    )


def _student_rows(view: ClassOverview) -> list[tuple[object, ...]]:
    return [
        (
            s.get("name", ""),
            f"{int(s.get('spent', 0)):,} of {int(s.get('allowance', 0)):,}",
            int(s.get("queued", 0)),
            int(s.get("running", 0)),
            int(s.get("done", 0)),
            int(s.get("failed", 0)),
            "revoked" if s.get("revoked") else "",
        )
        for s in view.get("students", [])
    ]


def _queue_rows(view: ClassOverview) -> list[tuple[object, ...]]:
    return [
        (
            int(q.get("position", 0)),
            q.get("student", ""),
            q.get("route", ""),
            format_age(float(q.get("waitedSeconds", 0))),
        )
        for q in view.get("queue", [])
    ]


def _running_rows(view: ClassOverview) -> list[tuple[object, ...]]:
    return [
        (
            r.get("student", ""),
            r.get("route", ""),
            mask_email(str(r.get("account") or "")) if r.get("account") else "",
            r.get("status", ""),
            format_age(float(r.get("runningSeconds", 0))),
        )
        for r in view.get("running", [])
    ]


def _account_rows(view: ClassOverview) -> list[tuple[object, ...]]:
    return [
        (
            mask_email(str(a.get("email", ""))),
            f"{int(a.get('running', 0))} of {int(a.get('cap', 0))}",
        )
        for a in view.get("accounts", [])
    ]


_STUDENTS = ("student", "spent of allowance", "queued", "running", "done", "failed", "")
_QUEUE = ("place", "student", "route", "waiting")
_RUNNING = ("student", "route", "account", "status", "running for")
_ACCOUNTS = ("account", "slots in use")


def class_html(view: ClassOverview, *, results: Sequence[ClassResult] = ()) -> str:
    """The budget line, the students, the line, the running jobs, the accounts' slots and
    (when given) the finished results."""
    parts = [f"<div>{_e(_budget_line(view))}</div>"]
    parts.append(table_html(_STUDENTS, _student_rows(view), caption="students"))
    queue = _queue_rows(view)
    parts.append(
        table_html(_QUEUE, queue, caption="the line")
        if queue
        else f'<div style="{_MUTED}">Nobody is waiting.</div>'
    )
    running = _running_rows(view)
    parts.append(
        table_html(_RUNNING, running, caption="running")
        if running
        else f'<div style="{_MUTED}">Nothing is running.</div>'
    )
    parts.append(table_html(_ACCOUNTS, _account_rows(view), caption="accounts"))
    if results:
        rows = [
            (r.get("student", ""), r.get("route", ""), _prompt(r), int(r.get("credits") or 0))
            for r in results
        ]
        caption = f"results ({len(rows)}; export them as one page for the review)"
        parts.append(table_html(("student", "route", "prompt", "credits"), rows, caption=caption))
    return "".join(parts)


def _prompt(result: ClassResult) -> str:
    request = result.get("request")
    prompt = request.get("prompt", "") if isinstance(request, Mapping) else ""
    text = " ".join(str(prompt).split())
    return text if len(text) <= 80 else text[:79] + "…"


def class_text(view: ClassOverview, *, results: Sequence[ClassResult] = ()) -> str:
    """The same picture as plain lines (``%flow class`` and kernel-less viewers)."""
    blocks = [_budget_line(view), table_text(list(_STUDENTS), _student_rows(view))]
    queue = _queue_rows(view)
    blocks.append(
        "the line:\n" + table_text(list(_QUEUE), queue) if queue else "Nobody is waiting."
    )
    running = _running_rows(view)
    blocks.append(
        "running:\n" + table_text(list(_RUNNING), running) if running else "Nothing is running."
    )
    blocks.append(table_text(list(_ACCOUNTS), _account_rows(view)))
    if results:
        blocks.append(f"{len(results)} results ready for the review.")
    return "\n".join(blocks)
