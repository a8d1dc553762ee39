"""The read-only ``%flow`` subcommands: voices, characters, jobs, job, resume, credits,
accounts, captcha, config.

Each answers with one escaped table (``text/html`` and an aligned ``text/plain``) or with job
cards. Account emails are masked in every table, as on the cards: notebooks get shared. Account
data is whitelisted before it reaches this module (no cookies, no session tokens), and nothing
here ever prints the API token — ``%flow config`` says only where it came from.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from IPython.core.error import UsageError

from flow_widgets.api.catalog import TIER_NAMES
from flow_widgets.api.ids import mask_email
from flow_widgets.errors import ValidationError
from flow_widgets.magics import _session
from flow_widgets.magics._cells import show_card, usage_errors, user_ns
from flow_widgets.runtime.notebooks import of_this_notebook
from flow_widgets.ui.html import table_html
from flow_widgets.ui.text import one_line, table_text
from flow_widgets.ui.view import mask_jobid

if TYPE_CHECKING:  # pragma: no cover
    from flow_widgets.magics import FlowMagics
    from flow_widgets.runtime.session import FlowSession

__all__ = ["run_listing", "show_table"]


def show_table(
    headers: Sequence[str], rows: Sequence[Sequence[object]], *, caption: str | None = None
) -> None:
    """Display one table as HTML with a plain-text twin."""
    _session.display_bundle(
        {
            "text/plain": table_text(headers, rows, caption=caption),
            "text/html": table_html(headers, rows, caption=caption),
        }
    )


def _mask(email: str | None) -> str:
    return mask_email(email) if email and "*" not in email else (email or "")


def _voices(session: FlowSession, args: argparse.Namespace) -> None:
    rows: dict[str, list[object]] = {}
    accounts = _session.account_emails(session, args.email)
    for email in accounts:
        listed = session.voices(email, source=args.source)
        for v in listed:
            owner = "" if v.source == "system" else _mask(email)
            base = getattr(v, "base_voice", None) or ""
            rows.setdefault(v.voice, [v.voice, v.source, v.display_name, base, owner])
    show_table(
        ["voice", "source", "name", "base", "account"],
        list(rows.values()),
        caption=f"Voices of {', '.join(_mask(e) for e in accounts)}",
    )


def _characters(session: FlowSession, args: argparse.Namespace) -> None:
    rows = []
    for c in _session.list_characters(session, args.email):
        voice = getattr(c, "voice", None)
        voice_name = getattr(voice, "display_name", None) or getattr(voice, "voice", None) or ""
        rows.append([c.display_name, c.character, voice_name])
    show_table(["name", "ref", "voice"], rows, caption=f"{len(rows)} characters")


def _when(stamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(stamp))


def _jobs(session: FlowSession, args: argparse.Namespace) -> None:
    rows = []
    everywhere = bool(getattr(args, "all", False))
    submissions = session.ledger.list(
        limit=None if not everywhere else args.limit, states=args.state or None, model=args.model
    )
    if not everywhere:  # this notebook's jobs (see flow_widgets.runtime.notebooks)
        submissions = of_this_notebook(session.ledger, submissions)[: args.limit]
    for s in submissions:
        credits = s.credits if s.credits is not None else s.estimate
        prompt = s.payload.get("prompt") or s.payload.get("displayName") or ""
        rows.append(
            [
                _when(s.created),
                s.kind,
                s.model or "",
                s.state,
                credits,
                mask_jobid(s.jobid) or s.submission_id,
                one_line(str(prompt), 60),
            ]
        )
    show_table(
        ["when", "kind", "model", "state", "credits", "job", "prompt"],
        rows,
        caption=f"{len(rows)} most recent submissions "
        + ("(every notebook)" if everywhere else "of this notebook (--all for every notebook)"),
    )


def _job(magics: FlowMagics, session: FlowSession, args: argparse.Namespace) -> None:
    wanted = args.id.strip()
    known = [h for h in session.jobs() if wanted == mask_jobid(h.jobid)]
    if known:
        handle = known[0]
    else:
        if session.ledger.by_jobid(wanted) is None and session.ledger.get(wanted) is None:
            # a masked jobid, as the cards and tables show it
            matches = [s for s in session.ledger.list(limit=None) if mask_jobid(s.jobid) == wanted]
            wanted = matches[0].submission_id if matches else wanted
        try:
            handle = session.job(wanted)
        except ValidationError:
            raise UsageError(
                f"%flow job: no job {args.id.strip()!r} in the ledger; %flow jobs lists them."
            ) from None
    show_card(magics, [(handle, None)], kind=handle.kind or "video", recipe=None)
    if args.out:
        user_ns(magics)[args.out] = handle


def _resume(magics: FlowMagics, session: FlowSession) -> None:
    handles = session.resume()
    if not handles:
        print("Nothing to resume: every job in the ledger has finished.")  # noqa: T201
        return
    for handle in handles:
        show_card(magics, [(handle, "resumed")], kind=handle.kind or "video", recipe=None)


def _show_accounts(session: FlowSession, caption: str) -> None:
    rows = [
        [_mask(a.email), a.health or "", TIER_NAMES.get(a.tier, "") if a.tier else "", a.credits]
        for a in session.credits.accounts
    ]
    show_table(["account", "health", "plan", "credits"], rows, caption=caption)


def _credits(session: FlowSession) -> None:
    _show_accounts(session, "Accounts")
    snap = session.credits
    spend = [[model, credits] for model, credits in sorted(snap.spent_by_model.items())]
    budget = (
        "no budget"
        if snap.budget is None
        else f"budget {snap.budget:,}, {snap.remaining_budget or 0:,} left"
    )
    show_table(
        ["model", "credits"],
        spend,
        caption=f"This session: {snap.spent:,} credits committed ({snap.charged:,} charged), "
        f"{budget}",
    )


def _accounts(session: FlowSession) -> None:
    session.refresh_accounts()
    _show_accounts(session, "Linked accounts")


def _captcha(session: FlowSession, args: argparse.Namespace) -> None:
    captcha = session.client.captcha
    if args.what == "providers":
        providers = _session.call(session, captcha.get_providers())
        data = providers.to_dict()
        rows = [[k, v] for k, v in sorted(data.items())]
        show_table(["setting", "value"], rows, caption="Captcha providers (keys masked)")
        return
    stats = _session.call(session, captcha.stats())
    data = stats.to_dict()
    summary = {k: v for k, v in data.items() if not isinstance(v, (list, dict))}
    show_table(["statistic", "value"], sorted(summary.items()), caption="Captcha statistics")


def _config(magics: FlowMagics) -> None:
    from flow_widgets.magics import backend_banner
    from flow_widgets.runtime.session import current_session

    names = sorted(magics.class_traits(config=True))
    rows: list[list[object]] = [[f"FlowMagics.{n}", repr(getattr(magics, n))] for n in names]
    from flow_widgets.runtime.media_mode import media_choice

    rows.append(["media mode", media_choice().describe()])
    current = current_session()
    caption = backend_banner()
    if current is not None:
        settings = current.settings
        caption = (
            "flow_widgets: this session talks to a simulator; no credits are spent."
            if current.simulated
            else "flow_widgets: this session talks to the real API; generations spend credits."
        )
        rows += [
            ["token", f"set ({settings.token_source})" if settings.token else "none (simulator)"],
            ["media folder", str(settings.media_dir)],
            ["data folder", str(settings.data_dir)],
            ["default account", _mask(settings.email) or "(load-balanced)"],
        ]
    show_table(["setting", "value"], rows, caption=caption)


def run_listing(magics: FlowMagics, name: str, args: argparse.Namespace) -> None:
    """Run one read-only subcommand."""
    if name == "config":
        _config(magics)
        return
    with usage_errors():
        session = _session.get(magics)
        if name == "voices":
            _voices(session, args)
        elif name == "characters":
            _characters(session, args)
        elif name == "jobs":
            _jobs(session, args)
        elif name == "job":
            _job(magics, session, args)
        elif name == "resume":
            _resume(magics, session)
        elif name == "credits":
            _credits(session)
        elif name == "accounts":
            _accounts(session)
        elif name == "captcha":
            _captcha(session, args)
        else:  # pragma: no cover - the parser only lets known names through
            raise UsageError(f"%flow {name} is not implemented")
