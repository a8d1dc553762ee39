"""The magics' one doorway into the runtime's :class:`~flow_widgets.runtime.session.FlowSession`.

Why a module of its own: the magics validate requests themselves (to show a dry run and to turn
mistakes into one-line usage errors), then hand them to the session; the small translations in
between — a request object into the session's keyword form, "will this re-attach?", which
account a listing is for, how an upload becomes a media id — live here, so the magic flows read
as plain steps and the session's surface is used in one place.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from IPython.core.error import UsageError

from flow_widgets.api.catalog import TIER_NAMES
from flow_widgets.api.ids import account_of, parse_media_id
from flow_widgets.errors import FlowError, ValidationError

__all__ = [
    "REATTACHED",
    "account_emails",
    "api",
    "check_budget",
    "close_session",
    "default_email",
    "display_bundle",
    "download_missing",
    "estimate",
    "extend",
    "get",
    "kind_of",
    "list_characters",
    "payload_of",
    "placeholder_owner",
    "submit",
    "upload",
    "upscale",
]

log = logging.getLogger("flow_widgets.magics")

REATTACHED = (
    "Re-attached to the take this cell already bought: nothing was sent and no credits were "
    "spent. Add --new for another take."
)
_UPLOAD_TIMEOUT_S = 300.0


def get(magics: Any = None) -> Any:
    """The process-wide session, created on first use (with ``FlowMagics.media_folder``)."""
    from flow_widgets.runtime.session import current_session, session

    folder = getattr(magics, "media_folder", None)
    current = current_session()
    same_folder = folder is None or (
        current is not None and Path(folder).resolve() == Path(current.settings.media_dir).resolve()
    )
    if current is not None and same_folder:
        return current
    options: dict[str, Any] = {"announce": _quiet_announce}
    if folder:
        options["media_dir"] = folder
    return session(**options)


def _quiet_announce(text: str) -> None:
    """``%load_ext`` already said which backend answers; the runtime's notice goes to the log."""
    log.info("%s", text.strip())


def close_session() -> None:
    """Close the session, stop the engine thread and the embedded simulator (``%unload_ext``);
    unfinished jobs stay in the ledger for the next session."""
    from flow_widgets.runtime.session import shutdown

    shutdown()


def kind_of(request: Any) -> str:
    """The runtime's name for the kind of work a request is (``video``, ``image_upscale``…)."""
    from flow_widgets.runtime.work import KIND_REQUESTS

    for kind, cls in KIND_REQUESTS.items():
        if type(request) is cls:
            return kind
    raise TypeError(f"{type(request).__name__} is not submitted through the session")


def _with_default_email(session: Any, request: Any) -> Any:
    """The request as the session will send it (its default account filled in)."""
    email = session.settings.email
    if email and getattr(request, "email", "") is None:
        return dataclasses.replace(request, email=email)
    return request


def estimate(session: Any, request: Any) -> tuple[int, str | None]:
    """``(credits, plan name)``: what ``request`` would cost on its account's plan."""
    from flow_widgets.runtime.routing import route_work
    from flow_widgets.runtime.work import Work

    work = route_work(
        session.tracker, Work(kind_of(request), _with_default_email(session, request))
    )
    request, tier = work.request, session.tracker.tier_of(work.account)  # the account it will use
    if tier is not None:
        request.validate_for_tier(tier)
    plan = TIER_NAMES.get(tier) if tier is not None else None
    return session.tracker.estimate(request, tier), plan


def will_reattach(session: Any, request: Any) -> bool:
    """True when submitting ``request`` (without ``new``) re-attaches to an earlier purchase."""
    request = _with_default_email(session, request)
    return session.ledger.find_reusable(request.fingerprint()) is not None


def check_budget(session: Any, requests: Iterable[Any], *, new: bool) -> None:
    """Refuse (``BudgetExceededError``) when the *new* purchases among ``requests`` together
    exceed the budget; re-attached takes cost nothing."""
    total = 0
    for request in requests:
        if new or not will_reattach(session, request):
            total += estimate(session, request)[0]
    session.tracker.check_budget(total)


def submit(session: Any, request: Any, *, new: bool) -> tuple[Any, str | None]:
    """Hand ``request`` to the session; returns the job handle and a note for the card."""
    request = _with_default_email(session, request)
    reattach = not new and will_reattach(session, request)
    kind = kind_of(request)
    fields = {f.name: getattr(request, f.name) for f in dataclasses.fields(request)}
    if kind == "video":
        handle = session.video(fields.pop("prompt"), new=new, **fields)
    elif kind == "image":
        handle = session.image(fields.pop("prompt"), new=new, **fields)
    elif kind == "extend":
        source = fields.pop("media_generation_id")
        handle = session.extend(source, fields.pop("prompt"), new=new, **fields)
    elif kind in ("upscale", "image_upscale"):
        handle = session.upscale(fields.pop("media_generation_id"), new=new, **fields)
    elif kind == "gif":
        handle = session.gif(fields["media_generation_id"], new=new)
    elif kind == "concatenate":
        handle = session.concatenate(fields["clips"], new=new)
    else:  # pragma: no cover - kind_of only returns the kinds above for magic requests
        raise TypeError(kind)
    return handle, (REATTACHED if reattach else None)


def upload(session: Any, path: Path, email: str | None) -> str:
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


def api(session: Any) -> Any:
    """The session's async API client (runs on the engine loop)."""
    return session.client


def call(session: Any, coro: Any, timeout: float = 120.0) -> Any:
    """Run one API call on the engine and return its result."""
    return session.engine.run(coro, timeout)


def account_emails(session: Any, email: str | None) -> list[str]:
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


def default_email(session: Any, email: str | None) -> str:
    """The one account an action is for (``--email``, ``USEAPI_EMAIL``, else the first)."""
    return account_emails(session, email)[0]


def list_characters(session: Any, email: str | None) -> list[Any]:
    """The characters of the account(s) in question (for ``--character NAME`` and listings)."""
    found: list[Any] = []
    for account in account_emails(session, email):
        found.extend(session.characters(account))
    return found


def placeholder_owner(session: Any, raw: list[str], email: str | None) -> tuple[str, str]:
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


def extend(session: Any, media_id: str, prompt: str, model: str) -> Any:
    """Extend a finished video with the same prompt (the toolbar's *extend*)."""
    return session.extend(media_id, prompt or "continue the scene", model=model, new=True)


def upscale(session: Any, media_id: str) -> Any:
    """Upscale a finished video (1080p, free) or image (2k) (the toolbar's *upscale*)."""
    return session.upscale(media_id)


def download_missing(session: Any, handle: Any) -> str:
    """Save any of ``handle``'s files that are not on disk yet; says where they are."""
    missing = [m for m in handle.media if m.path is None or not Path(m.path).exists()]
    if missing:
        session.resume()
        return f"Fetching {len(missing)} missing file(s) again; the card updates when saved."
    folder = Path(handle.media[0].path).parent if handle.media else session.settings.media_dir
    names = ", ".join(Path(m.path).name for m in handle.media)
    return f"All files are saved in {folder.name}/: {names}."


def payload_of(session: Any, handle: Any) -> dict[str, Any]:
    """The API body a job was bought with (from the handle, else from the ledger)."""
    payload = dict(getattr(handle, "request", None) or {})
    if not payload and handle.submission_id:
        submission = session.ledger.get(handle.submission_id)
        if submission is not None:
            payload = dict(submission.payload)
    return payload


def display_bundle(bundle: dict[str, str]) -> None:
    """Show a plain mimebundle as the cell's output."""
    from IPython.display import display

    display(bundle, raw=True)  # type: ignore[no-untyped-call]
