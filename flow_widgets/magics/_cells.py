"""What ``%%flow_video`` and ``%%flow_image`` do, step by step.

1. parse the options (``UsageError`` on anything wrong);
2. take the cell body as the prompt and interpolate ``{name}`` unless ``--no-interp``;
3. build and validate the request with local files as stand-ins — nothing is uploaded yet;
4. estimate the cost and check the plan and the budget; ``--dry-run`` stops here and shows it;
5. upload local files (cached by content hash), submit — or re-attach to the take this exact
   request already bought, unless ``--new`` — and show one live card per submission;
6. bind ``--out``; block and raise on failure when headless or ``--wait``.

Every :class:`~flow_widgets.errors.FlowError` raised before anything is sent becomes one
``UsageError`` line. A job that fails *after* submission raises its own error when blocking.
"""

from __future__ import annotations

import argparse
import keyword
import uuid
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError
from IPython.core.magic_arguments import MagicArgumentParser

from flow_widgets.api.requests import FlowRequest
from flow_widgets.api.requests._evidence import collecting, strict_rules
from flow_widgets.errors import (
    BudgetExceededError,
    ConfigError,
    UnknownPriceError,
    ValidationError,
)
from flow_widgets.magics import _session
from flow_widgets.magics._actions import attach_toolbar
from flow_widgets.magics._args import image_parser, parse, video_parser
from flow_widgets.magics._build import (
    Defaults,
    GridCell,
    dry_run_bundle,
    image_requests,
    video_request,
)
from flow_widgets.magics._interp import interpolate
from flow_widgets.magics._mode import should_block
from flow_widgets.magics._refs import RefResolver
from flow_widgets.magics._takes import CellTakes, cell_takes_for
from flow_widgets.runtime.takes import take_request
from flow_widgets.ui.cards import LiveCard
from flow_widgets.ui.poster_output import poster_output_wanted
from flow_widgets.ui.words import in_flag_words

if TYPE_CHECKING:  # pragma: no cover
    from flow_widgets.api.models import Character
    from flow_widgets.magics import FlowMagics
    from flow_widgets.runtime.jobs import JobHandle
    from flow_widgets.runtime.quote import Quote
    from flow_widgets.runtime.session import FlowSession

__all__ = [
    "begin",
    "card_handles",
    "close_all_cards",
    "quote_or_dry_run",
    "run_image",
    "run_video",
    "show_card",
    "usage_errors",
    "wait_for",
]

_CARDS: weakref.WeakSet[LiveCard] = weakref.WeakSet()
_LIVE: list[LiveCard] = []


@contextmanager
def usage_errors() -> Iterator[None]:
    """Turn errors raised before anything is sent into one plain ``UsageError`` line."""
    try:
        yield
    except (ValidationError, BudgetExceededError, ConfigError) as exc:
        raise UsageError(in_flag_words(str(exc))) from None  # the flags' words, API's in ()


def user_ns(magics: FlowMagics) -> dict[str, Any]:
    """The user's variables: the magics run only inside a shell."""
    if magics.shell is None:  # pragma: no cover - IPython registers magics with their shell
        raise UsageError("The flow magics need an IPython shell.")
    return magics.shell.user_ns  # type: ignore[no-any-return]


@contextmanager
def rule_notes(magics: FlowMagics) -> Iterator[None]:
    """Build the cell's requests with ``%config FlowMagics.strict``; then print each
    reported-rule warning (spec §7.1) as one quiet line in the cell output."""
    with strict_rules(bool(getattr(magics, "strict", False))), collecting() as found:
        yield
    for warning in found:
        print(warning.line())  # noqa: T201 - the cell's own output is where it belongs


def defaults_of(magics: FlowMagics) -> Defaults:
    """The ``%config FlowMagics`` defaults as one value."""
    return Defaults(
        model=magics.model,
        aspect=magics.aspect,
        duration=magics.duration,
        count=magics.count,
        image_model=magics.image_model,
        image_aspect=magics.image_aspect,
        image_count=magics.image_count,
    )


def prompt_of(magics: FlowMagics, cell: str, args: argparse.Namespace, magic: str) -> str:
    """The cell body as the final prompt (interpolated unless turned off)."""
    text = cell.strip("\n").strip()
    if not text:
        raise UsageError(
            f"{magic}: the cell body is the prompt; write what to generate under the {magic} line."
        )
    if args.no_interp or not magics.interpolate:
        return text
    with usage_errors():
        return interpolate(text, user_ns(magics))


def check_out_name(name: str | None) -> None:
    """``--out`` must be a plain identifier (it becomes a variable)."""
    if name is not None and (not name.isidentifier() or keyword.iskeyword(name)):
        raise UsageError(f"--out {name!r} is not a valid variable name; use letters, digits, _.")


def resolvers(
    magics: FlowMagics, session: FlowSession, args: argparse.Namespace, raw: list[str]
) -> tuple[RefResolver, Callable[[], RefResolver]]:
    """A stand-in resolver (nothing uploaded) and a factory for the real one."""
    ns = user_ns(magics)
    email = getattr(args, "email", None)

    def list_characters() -> list[Character]:
        return _session.list_characters(session, email)

    owner = _session.placeholder_owner(session, raw, email)
    dry = RefResolver(
        ns, upload=_no_upload, list_characters=list_characters, placeholder_owner=owner
    )

    def real() -> RefResolver:
        return RefResolver(
            ns,
            upload=lambda path: _session.upload(session, path, email),
            list_characters=list_characters,
        )

    return dry, real


def _no_upload(path: Path) -> str:  # pragma: no cover - placeholders replace every upload
    raise AssertionError(f"stand-in resolver tried to upload {path}")


def _raw_refs(args: argparse.Namespace) -> list[str]:
    values = [getattr(args, name, None) for name in ("start", "end", "video")]
    values += list(getattr(args, "ref", [])) + list(getattr(args, "character", []))
    values += list(getattr(args, "voice", []))
    return [v for v in values if v]


def show_card(
    magics: FlowMagics,
    entries: list[tuple[JobHandle, str | None]],
    *,
    kind: str,
    recipe: Callable[..., JobHandle] | None,
    columns: int = 1,
    takes: CellTakes | None = None,
) -> LiveCard:
    """Display one live card for ``(handle, note)`` entries (a grid when ``columns`` > 1), and
    its toolbar when someone can click it; ``takes``: the cell's takes strip and star row."""
    (first, note), rest = entries[0], entries[1:]
    # Video cards are followed by their poster, which sanitizing renderers show (nbviewer).
    posters = kind != "image" and poster_output_wanted()
    card = LiveCard(first, kind=kind, note=note, columns=columns, poster_output=posters)
    if takes is not None:
        card.strip = takes.strip
        takes.on_star = lambda: card.refresh(force=True)
    for handle, extra in rest:
        card.add_followup(handle, kind=kind, note=extra)
    card.show()
    _CARDS.add(card)
    _LIVE.append(card)
    if len(_LIVE) > 200:  # keep strong references only for recent cards
        del _LIVE[:-200]
    want_toolbar = magics.toolbar
    if want_toolbar is None:
        want_toolbar = not should_block(magics.shell, configured=magics.block)
    if want_toolbar:
        session = _session.get(magics)
        takes_row = (lambda: takes.actions(session)) if takes is not None else None
        card.toolbar = attach_toolbar(session, card, kind=kind, recipe=recipe, extra=takes_row)
    return card


def card_handles() -> list[JobHandle]:
    """Every job shown on a card this kernel still follows (newest last)."""
    return [handle for card in _LIVE for handle in card.handles]


def close_all_cards() -> None:
    """Stop every card following its jobs (``%unload_ext``)."""
    for card in list(_CARDS):
        card.close()
    _LIVE.clear()


def wait_for(magics: FlowMagics, cards: list[LiveCard], *, wait: bool) -> None:
    """Block until the cards' jobs finish when headless or asked to; a failure raises.

    Each card is published once more from this (the cell's) thread before returning: a job's
    waiters wake before its observers run, and updates sent from the engine thread may reach
    the frontend after the cell's "idle" — which a headless runner (nbclient) ignores.
    """
    if not should_block(magics.shell, wait=wait or magics.wait, configured=magics.block):
        return
    try:
        for card in cards:
            for handle in card.handles:
                handle.wait(magics.timeout)  # JobFailedError / JobTimeoutError stop a pipeline
    finally:
        for card in cards:
            card.refresh(force=True)


def begin(
    magics: FlowMagics, parser: MagicArgumentParser, line: str, cell: str, magic: str
) -> tuple[argparse.Namespace, str] | None:
    """Parse a cell magic's options and take its prompt; ``None`` after ``--help``."""
    args = parse(parser, line)
    if args is None:
        return None
    check_out_name(args.out)
    return args, prompt_of(magics, cell, args, magic)


def quote_or_dry_run(
    session: FlowSession,
    prompt: str,
    labelled: list[tuple[str, FlowRequest]],
    dry: RefResolver,
    *,
    dry_run: bool,
    new: bool,
) -> Quote | None:
    """Show the dry run (and return ``None``), or the session's quote once the budget is known
    to cover the new purchases (``BudgetExceededError`` otherwise)."""
    quote = session.quote([request for _, request in labelled], new=new)
    if dry_run:
        credits = quote.credits
        if not all(_price_known(session, request) for _, request in labelled):
            credits = -1
        _session.display_bundle(
            dry_run_bundle(
                prompt, labelled, credits, placeholders=dry.placeholders, plan=quote.plan
            )
        )
        return None
    quote.check()
    return quote


def _price_known(session: FlowSession, request: FlowRequest) -> bool:
    """False for a model newer than the catalog with no account price and no ``max_credits``."""
    try:
        request.estimate_credits("pro", session.tracker.catalog)
    except UnknownPriceError:
        return False
    return True


def run_video(magics: FlowMagics, line: str, cell: str) -> None:
    """``%%flow_video``: one request, one card."""
    started = begin(magics, video_parser(), line, cell, "%%flow_video")
    if started is None:
        return
    args, prompt = started
    new = args.new or not magics.reuse
    with usage_errors(), rule_notes(magics):
        session = _session.get(magics)
        dry, real = resolvers(magics, session, args, _raw_refs(args))
        request: FlowRequest = video_request(args, prompt, dry, defaults_of(magics))
        quote = quote_or_dry_run(
            session, prompt, [("", request)], dry, dry_run=args.dry_run, new=new
        )
        if quote is None:
            return
        if dry.placeholders:  # the uploads' real ids decide whether it re-attaches
            request = video_request(args, prompt, real(), defaults_of(magics))
            quote = session.quote([request], new=new)
        handle = session.submit(request, new=new)
        note = _session.reattach_note(quote.lines[0])
    takes = _record(magics, session, handle, request, "%%flow_video", line, prompt, args.out)

    def recipe(take: int, vary: bool = False) -> JobHandle:
        wanted, number = take_request(request, take, vary=vary)  # vary: a new seed
        bought = session.submit(wanted, take=number)
        if takes is not None:
            _record(magics, session, bought, wanted, "%%flow_video", line, prompt, None, takes)
        return bought

    card = show_card(magics, [(handle, note)], kind="video", recipe=recipe, takes=takes)
    if args.out:
        user_ns(magics)[args.out] = handle
    wait_for(magics, [card], wait=args.wait)


def run_image(magics: FlowMagics, line: str, cell: str) -> None:
    """``%%flow_image``: one request and card, or a labelled grid for ``--compare``/``--seeds``."""
    started = begin(magics, image_parser(), line, cell, "%%flow_image")
    if started is None:
        return
    args, prompt = started
    new = args.new or not magics.reuse
    with usage_errors(), rule_notes(magics):
        session = _session.get(magics)
        dry, real = resolvers(magics, session, args, _raw_refs(args))
        cells: list[GridCell] = image_requests(args, prompt, dry, defaults_of(magics))
        labelled: list[tuple[str, FlowRequest]] = [
            (_label(c, len(cells)), c.request) for c in cells
        ]
        quote = quote_or_dry_run(session, prompt, labelled, dry, dry_run=args.dry_run, new=new)
        if quote is None:
            return
        if dry.placeholders:  # the uploads' real ids decide whether they re-attach
            cells = image_requests(args, prompt, real(), defaults_of(magics))
            quote = session.quote([c.request for c in cells], new=new)
        submitted = [
            (c, session.submit(c.request, new=new), _session.reattach_note(line))
            for c, line in zip(cells, quote.lines, strict=True)
        ]
    entries = [
        (handle, " · ".join(p for p in (_label(c, len(cells)), note) if p) or None)
        for c, handle, note in submitted
    ]
    handles = [handle for handle, _ in entries]
    single = cells[0].request if len(cells) == 1 else None

    takes = None
    if single is not None:
        takes = _record(magics, session, handles[0], single, "%%flow_image", line, prompt, args.out)
    else:  # each image of the grid is a take, so starring the best one keeps it
        takes = _record_grid(magics, session, cells, handles, line, prompt, args.out)

    def recipe(take: int, vary: bool = False) -> JobHandle:
        assert single is not None  # a grid's card offers no new take (see below)
        wanted, number = take_request(single, take, vary=vary)  # vary: a new seed
        bought = session.submit(wanted, take=number)
        if takes is not None:
            _record(magics, session, bought, wanted, "%%flow_image", line, prompt, None, takes)
        return bought

    # A grid's card offers no *new take*/*vary*: which of its requests would it repeat? Its
    # next takes come from editing or re-running the cell with --new, as the grid was made.
    columns = 1 if len(cells) == 1 else (len(args.seeds) if args.seeds else len(cells))
    offer = recipe if single is not None else None
    card = show_card(magics, entries, kind="image", recipe=offer, columns=columns, takes=takes)
    if args.out:
        user_ns(magics)[args.out] = handles[0] if len(handles) == 1 else handles
    wait_for(magics, [card], wait=args.wait)


def _label(cell: GridCell, total: int) -> str:
    return f"{cell.row} · {cell.column}" if total > 1 else ""


def _grid_labels(cells: list[GridCell]) -> list[str]:
    """Each grid cell's label in the words that differ across the grid ("seed 7", a model)."""
    many_rows = len({c.row for c in cells}) > 1
    many_columns = len({c.column for c in cells}) > 1
    return [
        " · ".join(p for p, shown in ((c.row, many_rows), (c.column, many_columns)) if shown)
        for c in cells
    ]


def _record_grid(
    magics: FlowMagics,
    session: FlowSession,
    cells: list[GridCell],
    handles: list[JobHandle],
    line: str,
    prompt: str,
    out: str | None,
) -> CellTakes | None:
    """Record every image of a grid as a take of the cell, labelled, sharing one run (a re-run
    that re-attached keeps the takes it had: nothing new is recorded)."""
    takes = cell_takes_for(
        magics.shell, session, magic="%%flow_image", flags=line, prompt=prompt, out=out
    )
    if takes is None:
        return None
    run = f"run:{uuid.uuid4().hex}"
    for cell, handle, label in zip(cells, handles, _grid_labels(cells), strict=True):
        seed = cell.request.seed
        takes.add(
            handle,
            fingerprint=str(cell.request.fingerprint()),
            magic="%%flow_image",
            flags=line,
            prompt=prompt,
            seed=seed if isinstance(seed, int) else None,
            cost=None,
            label=label,
            run=run,
        )
    return takes


def _record(
    magics: FlowMagics,
    session: FlowSession,
    handle: JobHandle,
    request: FlowRequest,
    magic: str,
    line: str,
    prompt: str,
    out: str | None,
    takes: CellTakes | None = None,
) -> CellTakes | None:
    """Record ``handle`` as a take of the cell running now (or of ``takes``' cell)."""
    if takes is None:
        takes = cell_takes_for(
            magics.shell, session, magic=magic, flags=line, prompt=prompt, out=out
        )
    if takes is not None:
        seed = getattr(request, "seed", None)
        takes.add(
            handle,
            fingerprint=str(request.fingerprint()),
            magic=magic,
            flags=line,
            prompt=prompt,
            seed=seed if isinstance(seed, int) else None,
            cost=None,
        )
    return takes
