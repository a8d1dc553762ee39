"""``%flow SUBCOMMAND``: dispatch, and the subcommands that start jobs or change the session.

The read-only subcommands (lists and tables) live in :mod:`flow_widgets.magics._listings`.
Every subcommand parses its own options (``%flow NAME --help``), and every refusal before
anything is sent is one ``UsageError`` line, exactly as for the cell magics.

``%flow login`` reads the token with ``getpass`` (hidden input) and never accepts it as an
argument: a token typed into a cell would be saved with the notebook.
"""

from __future__ import annotations

import argparse
import getpass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError

from flow_widgets.magics import _listings, _session
from flow_widgets.magics._args import SUBCOMMANDS, parse, split_subcommand, subcommand_parser
from flow_widgets.magics._build import (
    concat_request,
    extend_request,
    gif_request,
    upscale_request,
)
from flow_widgets.magics._cells import (
    check_out_name,
    quote_or_dry_run,
    resolvers,
    rule_notes,
    show_card,
    usage_errors,
    user_ns,
    wait_for,
)
from flow_widgets.magics._interp import interpolate
from flow_widgets.ui.view import mask_jobid

if TYPE_CHECKING:  # pragma: no cover
    from flow_widgets.api.requests import FlowRequest
    from flow_widgets.magics import FlowMagics
    from flow_widgets.magics._refs import RefResolver
    from flow_widgets.runtime.jobs import JobHandle
    from flow_widgets.runtime.session import FlowSession

__all__ = ["run_subcommand", "usage"]


def usage() -> str:
    """The short usage ``%flow`` alone prints."""
    width = max(len(name) for name in SUBCOMMANDS)
    lines = [f"  {name.ljust(width)}  {summary}" for name, (summary, _) in SUBCOMMANDS.items()]
    return "\n".join(
        [
            "Usage: %flow SUBCOMMAND [options]   (%flow SUBCOMMAND --help for its options)",
            *lines,
            "Cells: %%flow_video [options] / %%flow_image [options], the body is the prompt.",
        ]
    )


def _say(text: str) -> None:
    print(text)  # noqa: T201 - subcommands answer in one plain line


def _sources(args: argparse.Namespace) -> list[str]:
    if hasattr(args, "sources"):
        return list(args.sources)
    return [args.source] if getattr(args, "source", None) else []


def _generate(magics: FlowMagics, name: str, args: argparse.Namespace) -> None:
    """extend / upscale / gif / concat: build, estimate, dry-run or submit, show a card."""
    check_out_name(args.out)
    prompt = ""
    if name == "extend":
        prompt = " ".join(args.prompt).strip()
        if not args.no_interp and magics.interpolate:
            with usage_errors():
                prompt = interpolate(prompt, user_ns(magics))
    with usage_errors(), rule_notes(magics):
        session = _session.get(magics)
        dry, real = resolvers(magics, session, args, _sources(args))

        def build(refs: RefResolver) -> FlowRequest:
            if name == "extend":
                return extend_request(args, prompt, refs)
            if name == "upscale":
                return upscale_request(args, refs)
            if name == "gif":
                return gif_request(args, refs)
            return concat_request(args, refs)

        request = build(dry)
        new = args.new or not magics.reuse
        shown = prompt or f"({name} has no prompt)"
        quote = quote_or_dry_run(
            session, shown, [("", request)], dry, dry_run=args.dry_run, new=new
        )
        if quote is None:
            return
        if dry.placeholders:  # the uploads' real ids decide whether it re-attaches
            request = build(real())
            quote = session.quote([request], new=new)
        handle = session.submit(request, new=new)
        note = _session.reattach_note(quote.lines[0])
    kind = {"concat": "concatenate"}.get(name, name)

    def recipe(take: int) -> JobHandle:
        return session.submit(request, take=take)  # take #N: bought once however often pressed

    card = show_card(
        magics, [(handle, note)], kind=kind, recipe=recipe if name == "extend" else None
    )
    if args.out:
        user_ns(magics)[args.out] = handle
    wait_for(magics, [card], wait=args.wait)


def _upload(magics: FlowMagics, args: argparse.Namespace) -> None:
    check_out_name(args.out)
    path = Path(args.path).expanduser()
    if not path.is_file():
        raise UsageError(f"%flow upload: {args.path!r} is not a file; check the path.")
    with usage_errors():
        session = _session.get(magics)
        media_id = _session.upload(session, path, args.email)
    if args.out:
        user_ns(magics)[args.out] = media_id
    _say(f"Uploaded {path.name}: {media_id}")


def _delete(session: FlowSession, what: str, ref: str) -> None:
    """``%flow voice delete REF`` / ``%flow character delete REF``."""
    resource = getattr(session.client, f"{what}s")
    result = _session.call(session, resource.delete(ref))
    _say(f"Deleted {what} {getattr(result, 'ref', None) or ref}.")


def _voice(magics: FlowMagics, args: argparse.Namespace) -> None:
    check_out_name(args.out)
    with usage_errors():
        session = _session.get(magics)
        if args.action == "delete":
            _delete(session, "voice", args.name)
            return
        missing = [o for o in ("base", "dialog", "performance") if not getattr(args, o)]
        if missing:
            raise UsageError(
                f"%flow voice create needs --{missing[0]}; for example: %flow voice create "
                '"Narrator" --base Achernar --dialog "Hello there" --performance "warm, calm".'
            )
        handle = session.voice(
            voice=args.base,
            display_name=args.name,
            dialog=args.dialog,
            voice_performance=args.performance,
            email=_session.default_email(session, args.email),
        )
        handle.wait(magics.timeout)
    voice = handle.result
    if args.out:
        user_ns(magics)[args.out] = voice
    _say(f"Created voice {args.name!r}: {getattr(voice, 'voice', voice)}")


def _character(magics: FlowMagics, args: argparse.Namespace) -> None:
    check_out_name(args.out)
    with usage_errors():
        session = _session.get(magics)
        if args.action == "delete":
            _delete(session, "character", args.name)
            return
        if not 1 <= len(args.image) <= 2:
            raise UsageError(
                "%flow character create needs one or two --image IMAGE (a file, a media id or "
                "a variable holding an image result)."
            )
        _, real = resolvers(magics, session, args, list(args.image))
        refs = real()
        images = [refs.media(i, option="--image") for i in args.image]
        options: dict[str, Any] = {}
        if args.voice:
            options["voice"] = refs.voice(args.voice)
        if args.notes:
            options["personality_notes"] = args.notes
        handle = session.character(args.name, images, **options)
        handle.wait(magics.timeout)
    character = handle.result
    if args.out:
        user_ns(magics)[args.out] = character
    _say(f"Created character {args.name!r}: {getattr(character, 'character', character)}")


def _cancel(magics: FlowMagics, args: argparse.Namespace) -> None:
    session = _session.get(magics)
    wanted = args.id.strip()
    from flow_widgets.magics._cells import card_handles

    known = {id(h): h for h in [*session.jobs(), *card_handles()]}
    running = [h for h in known.values() if not h.done]
    chosen = [
        h for h in running if wanted in ("all", h.jobid, mask_jobid(h.jobid), h.submission_id)
    ]
    if not chosen:
        raise UsageError(f"%flow stop: no running job matches {wanted!r}; %flow jobs lists them.")
    for handle in chosen:
        handle.cancel()
    _say(
        f"Stopped watching {len(chosen)} job(s). They keep running on the server and are "
        "charged; %flow resume re-attaches to them."
    )


def _export(args: argparse.Namespace) -> None:
    """Write the results of this kernel's cards and session as one page (no session started)."""
    from flow_widgets.magics._cells import card_handles
    from flow_widgets.runtime.session import current_session
    from flow_widgets.ui.export import export

    current = current_session()
    handles = [*card_handles(), *(current.jobs() if current is not None else [])]
    unique = list({id(h): h for h in handles}.values())
    with usage_errors():
        written = export(args.path, unique, title=args.title)
    _say(f"Wrote {written} ({written.stat().st_size:,} bytes): it plays anywhere, no files needed.")


def _budget(magics: FlowMagics, args: argparse.Namespace) -> None:
    session = _session.get(magics)
    if args.amount is not None:
        text = args.amount.strip().lower()
        if text in ("off", "none"):
            session.budget = None
        elif text.isdigit():
            session.budget = int(text)
        else:
            raise UsageError(
                f"%flow budget takes a whole number of credits or 'off', not {args.amount!r}."
            )
    snapshot = session.credits
    if snapshot.budget is None:
        _say(f"No session budget; {snapshot.spent} credits committed so far.")
    else:
        _say(
            f"Session budget: {snapshot.budget} credits; {snapshot.spent} committed, "
            f"{snapshot.remaining_budget} left."
        )


def _login(magics: FlowMagics) -> None:
    from flow_widgets.runtime.session import session as make_session

    try:
        token = getpass.getpass("useapi.net API token (hidden; not saved): ").strip()
    except (EOFError, RuntimeError) as exc:  # ipykernel: StdinNotImplementedError (RuntimeError)
        raise UsageError(
            "%flow login needs an interactive frontend to ask for the token; in headless runs "
            "set USEAPI_TOKEN in the environment or a .env file instead."
        ) from exc
    if not token:
        raise UsageError("%flow login: no token entered; nothing changed.")
    folder = getattr(magics, "media_folder", None)
    with usage_errors():
        options: dict[str, Any] = {"token": token, "token_source": "%flow login"}
        if folder:
            options["media_dir"] = folder
        make_session(**options)
    del token
    _say("Token accepted for this kernel (kept in memory only). The real API is now used.")


def _doctor(magics: FlowMagics, args: argparse.Namespace) -> None:
    """``%flow doctor``: the drift report for the session's API (or its simulator)."""
    from flow_widgets.doctor import check

    with usage_errors():
        flow = _session.get(magics)
    where = flow.simulator if flow.simulator is not None else flow.settings

    def confirm(question: str) -> bool:
        return bool(args.yes) or input(question).strip().lower() in ("y", "yes")

    report = check(base_url=where.base_url, token=where.token, images=args.images, ask=confirm)
    _say(report.render())


def run_subcommand(magics: FlowMagics, line: str) -> object:
    """Run ``%flow …`` (see :data:`~flow_widgets.magics._args.SUBCOMMANDS`)."""
    if not line.strip():
        _say(usage())
        return None
    name, rest = split_subcommand(line)
    if name == "login" and rest:
        raise UsageError(
            "%flow login takes no arguments: never type the token into a cell; run %flow login "
            "alone for a hidden prompt, or set USEAPI_TOKEN."
        )
    args = parse(subcommand_parser(name), rest)
    if args is None:
        return None
    if name in ("extend", "upscale", "gif", "concat"):
        _generate(magics, name, args)
    elif name == "upload":
        _upload(magics, args)
    elif name == "voice":
        _voice(magics, args)
    elif name == "character":
        _character(magics, args)
    elif name in ("stop", "cancel"):
        _cancel(magics, args)
    elif name == "budget":
        _budget(magics, args)
    elif name == "export":
        _export(args)
    elif name == "login":
        _login(magics)
    elif name == "doctor":
        _doctor(magics, args)
    elif name == "class":
        from flow_widgets.ui.class_panel import Class

        with usage_errors():
            return Class(args.gateway)
    elif name in ("compare", "present"):
        from flow_widgets.ui.presenter import run_magic

        with usage_errors():
            run_magic(name, args, user_ns(magics))
    elif name == "takes":
        from flow_widgets.magics._takes import run_takes

        _say(run_takes(_session.get(magics), user_ns(magics), args.cell, cells=args.cells))
    elif name == "help":
        _say(usage())
    else:
        _listings.run_listing(magics, name, args)
    return None
