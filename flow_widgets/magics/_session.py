"""The magics' one doorway into the runtime's :class:`~flow_widgets.runtime.session.FlowSession`.

Why a module of its own: the magics validate requests themselves (to show a dry run and to turn
mistakes into one-line usage errors), then hand them to the session; the small translations in
between — a request object into the session's keyword form, "will this re-attach?", which
account a listing is for, how an upload becomes a media id — live here, so the magic flows read
as plain steps and the session's surface is used in one place.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from IPython.core.error import UsageError

from flow_widgets.api.ids import account_of, parse_media_id
from flow_widgets.api.requests import FlowRequest
from flow_widgets.errors import FlowError, ValidationError

if TYPE_CHECKING:  # pragma: no cover
    from flow_widgets.api.models import Character
    from flow_widgets.magics import FlowMagics
    from flow_widgets.runtime.jobs import JobHandle
    from flow_widgets.runtime.quote import QuoteLine
    from flow_widgets.runtime.session import FlowSession

T = TypeVar("T")

__all__ = [
    "REATTACHED",
    "account_emails",
    "close_session",
    "default_email",
    "display_bundle",
    "download_missing",
    "extend",
    "get",
    "list_characters",
    "payload_of",
    "placeholder_owner",
    "reattach_note",
    "request_of",
    "upload",
]

log = logging.getLogger("flow_widgets.magics")

REATTACHED = (
    "Re-attached to the take this cell already bought: nothing was sent and no credits were "
    "spent. Add --new for another take."
)
_UPLOAD_TIMEOUT_S = 300.0


def get(magics: FlowMagics | None = None) -> FlowSession:
    """The process-wide session, created on first use (with ``FlowMagics.media_folder``)."""
    from flow_widgets.runtime.session import current_session, session

    folder = getattr(magics, "media_folder", None)
    current = current_session()
    same_folder = folder is None or (
        current is not None and Path(folder).resolve() == Path(current.settings.media_dir).resolve()
    )
    if current is not None and same_folder:
        return current
    if folder:
        return session(announce=_quiet_announce, media_dir=folder)
    return session(announce=_quiet_announce)


def _quiet_announce(text: str) -> None:
    """``%load_ext`` already said which backend answers; the runtime's notice goes to the log."""
    log.info("%s", text.strip())


def close_session() -> None:
    """Close the session, stop the engine thread and the embedded simulator (``%unload_ext``);
    unfinished jobs stay in the ledger for the next session."""
    from flow_widgets.runtime.session import shutdown

    shutdown()


def reattach_note(line: QuoteLine) -> str | None:
    """The card's note for a request the quote says re-attaches (nothing sent or spent)."""
    return REATTACHED if line.reattach else None


def upload(session: FlowSession, path: Path, email: str | None) -> str:
    """Upload a local file (once per content; the ledger caches it) and return its media id."""
    handle = session.upload(path, email=email)
    try:
        handle.wait(_UPLOAD_TIMEOUT_S)
    except FlowError as exc:
        raise ValidationError(f"{path.name} could not be uploaded: {exc}", field="upload") from None
    media_id = handle.media_id
    if not media_id:
        raise ValidationError(f"{path.name} was uploaded but no media id came back.")
    return str(media_id)


def call(session: FlowSession, call: Awaitable[T], timeout: float = 120.0) -> T:
    """Run one API call on the engine and return its result."""

    async def run() -> T:
        return await call

    return session.engine.run(run(), timeout)


def account_emails(session: FlowSession, email: str | None) -> list[str]:
    """The accounts a listing covers: ``--email``, else ``USEAPI_EMAIL``, else every linked one
    (healthy first)."""
    if email:
        return [email]
    if session.settings.email:
        return [str(session.settings.email)]
    accounts = session.credits.accounts
    if not accounts:
        session.refresh_accounts()
        accounts = session.credits.accounts
    if not accounts:
        raise UsageError("No Google account is linked yet; add one, or pass --email.")
    return [str(a.email) for a in sorted(accounts, key=lambda a: not a.healthy)]


def default_email(session: FlowSession, email: str | None) -> str:
    """The one account an action is for (``--email``, ``USEAPI_EMAIL``, else the first)."""
    return account_emails(session, email)[0]


def list_characters(session: FlowSession, email: str | None) -> list[Character]:
    """The characters of the account(s) in question (for ``--character NAME`` and listings)."""
    found: list[Character] = []
    for account in account_emails(session, email):
        found.extend(session.characters(account))
    return found


def placeholder_owner(session: FlowSession, raw: list[str], email: str | None) -> tuple[str, str]:
    """The account stand-in uploads pretend to belong to (the one the request will use)."""
    for value in raw:
        parsed = parse_media_id(value)
        if parsed is not None:
            return parsed.user, parsed.email
        owner = account_of(value)
        if owner and "*" not in owner:
            return "0", owner
    chosen = email or session.settings.email
    return "0", chosen or "uploads@example.invalid"


def extend(session: FlowSession, media_id: str, prompt: str, model: str) -> JobHandle:
    """Extend a finished video with the same prompt (the toolbar's *extend*)."""
    return session.extend(media_id, prompt or "continue the scene", model=model, new=True)


def download_missing(session: FlowSession, handle: JobHandle) -> str:
    """Save any of ``handle``'s files that are not on disk yet; says where they are."""
    missing = [m for m in handle.media if m.path is None or not Path(m.path).exists()]
    if missing:
        session.resume()
        return f"Fetching {len(missing)} missing file(s) again; the card updates when saved."
    saved = [Path(m.path) for m in handle.media if m.path is not None]  # all of them, here
    folder = saved[0].parent if saved else Path(session.settings.media_dir)
    names = ", ".join(path.name for path in saved)
    return f"All files are saved in {folder.name}/: {names}."


def payload_of(session: FlowSession, handle: JobHandle) -> dict[str, object]:
    """The API body a job was bought with (from the handle, else from the ledger)."""
    payload = dict(getattr(handle, "request", None) or {})
    if not payload and handle.submission_id:
        submission = session.ledger.get(handle.submission_id)
        if submission is not None:
            payload = dict(submission.payload)
    return payload


def request_of(session: FlowSession, handle: JobHandle) -> FlowRequest | None:
    """The request a job was bought with, rebuilt (``None`` when it no longer validates)."""
    cls = FlowRequest.for_kind(handle.kind)
    if cls is None:
        return None
    payload = {k: v for k, v in payload_of(session, handle).items() if k != "replyRef"}
    try:
        return cls.from_payload(payload)
    except (ValidationError, TypeError, ValueError):
        return None


def display_bundle(bundle: dict[str, str]) -> None:
    """Show a plain mimebundle as the cell's output."""
    from IPython.display import display

    display(bundle, raw=True)  # type: ignore[no-untyped-call]
