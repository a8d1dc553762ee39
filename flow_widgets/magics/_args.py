"""Argument parsers for ``%%flow_video``, ``%%flow_image`` and every ``%flow`` subcommand.

Why a module of its own: the option tables are the magics' user interface, and keeping them as
data in one place lets ``%flow help``, ``--help`` and the docstrings show the same text the
parser enforces. Parsing is quote-aware (``shlex``, never
``line.split(" ")``), and every mistake becomes one plain :class:`UsageError` line: IPython
prints those without a traceback and nothing has been sent yet.

Defaults are ``None`` on purpose: the magic fills the gaps from ``%config FlowMagics.<trait>``.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from IPython.core.error import UsageError
from IPython.core.magic_arguments import MagicArgumentParser

__all__ = [
    "SUBCOMMANDS",
    "Frames",
    "image_parser",
    "parse",
    "parse_frames",
    "parse_int_list",
    "parse_name_list",
    "split_subcommand",
    "subcommand_parser",
    "video_parser",
]


@dataclass(frozen=True)
class Frames:
    """A trim window on the API's 24 fps timeline (``--frames START:END``)."""

    start: int
    end: int


def parse_frames(text: str) -> Frames:
    """Read ``START:END`` frame indices (for ``--frames``).

    >>> parse_frames("0:120")
    Frames(start=0, end=120)
    """
    start, colon, end = text.partition(":")
    if not colon or not start.strip().isdigit() or not end.strip().isdigit():
        raise argparse.ArgumentTypeError(
            f"--frames takes START:END frame numbers (24 per second), like 0:120, not {text!r}"
        )
    return Frames(int(start), int(end))


def parse_int_list(text: str) -> list[int]:
    """Read ``1,2,3`` (for ``--seeds``).

    >>> parse_int_list("1, 2,3")
    [1, 2, 3]
    """
    items = [part.strip() for part in text.split(",") if part.strip()]
    if not items or not all(item.isdigit() for item in items):
        raise argparse.ArgumentTypeError(
            f"--seeds takes whole numbers separated by commas, like 1,2,3, not {text!r}"
        )
    return [int(item) for item in items]


def parse_name_list(text: str) -> list[str]:
    """Read ``a,b,c`` (for ``--compare`` and ``--captcha-order``).

    >>> parse_name_list("nano-banana-2, nano-banana-pro")
    ['nano-banana-2', 'nano-banana-pro']
    """
    items = [part.strip() for part in text.split(",") if part.strip()]
    if not items:
        raise argparse.ArgumentTypeError("expected names separated by commas, like a,b")
    return items


def parse_extra(text: str) -> tuple[str, object]:
    """Read ``key=value`` (for ``--extra``): the value as JSON when it reads as JSON (numbers,
    true/false, lists), else as text.

    >>> parse_extra("motionStrength=0.5")
    ('motionStrength', 0.5)
    >>> parse_extra("style=film noir")
    ('style', 'film noir')
    """
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(
            f"--extra takes key=value, like seedLock=true, not {text!r}"
        )
    try:
        parsed: object = json.loads(value)
    except ValueError:
        parsed = value
    return key.strip(), parsed


def extra_of(args: argparse.Namespace) -> dict[str, object] | None:
    """The ``--extra`` pairs of a parsed line as one dict (``None`` when there are none)."""
    pairs = getattr(args, "extra", None) or []
    return dict(pairs) or None


def _positive_int(text: str) -> int:
    if not text.strip().lstrip("+").isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}")
    return int(text)


def _parser(prog: str, description: str) -> MagicArgumentParser:
    """An argparse parser that raises UsageError instead of exiting (IPython's subclass)."""
    parser: MagicArgumentParser = MagicArgumentParser(  # type: ignore[no-untyped-call]
        prog=prog, description=description
    )
    return parser


def _add_run_options(parser: MagicArgumentParser) -> None:
    """Options every generating magic shares: binding, waiting, reuse, dry runs, captcha."""
    parser.add_argument("--email", help="the Google account to use (default: load-balanced)")
    parser.add_argument("--out", metavar="NAME", help="bind the job handle to this variable")
    parser.add_argument("--wait", action="store_true", help="block until the job is done")
    parser.add_argument(
        "--new", action="store_true", help="always buy a new take (never re-attach)"
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="show the final prompt, the request and the cost; send nothing",
    )
    parser.add_argument(
        "--captcha-token", metavar="TOKEN", help="your own reCAPTCHA token (one attempt)"
    )
    parser.add_argument(
        "--captcha-retry", type=_positive_int, metavar="N", help="captcha solve attempts, 1-10"
    )
    parser.add_argument(
        "--captcha-order",
        type=parse_name_list,
        metavar="A,B",
        help="captcha providers to try, in order",
    )
    parser.add_argument(
        "--extra",
        type=parse_extra,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a field the API gained after this release, sent as given (repeat)",
    )


def _add_prompt_options(parser: MagicArgumentParser) -> None:
    parser.add_argument(
        "--no-interp", action="store_true", help="send {braces} in the prompt as written"
    )


def _add_ceiling(parser: MagicArgumentParser) -> None:
    """``--max-credits``: where a model newer than the catalog makes the price unknown."""
    parser.add_argument(
        "--max-credits",
        type=_positive_int,
        metavar="N",
        help="the most credits to spend when the model's price is unknown (needed under a budget)",
    )


def video_parser() -> MagicArgumentParser:
    """The ``%%flow_video`` options: every field of POST /videos."""
    parser = _parser("%%flow_video", "Generate videos; the cell body is the prompt.")
    parser.add_argument("-m", "--model", help="veo-3.1-fast, veo-3.1-lite, omni-flash, …")
    parser.add_argument("--aspect", help="landscape, portrait, 1:1, 4:3 or 3:4")
    parser.add_argument("--duration", type=_positive_int, help="seconds: 4, 6, 8 or 10")
    parser.add_argument("-n", "--count", type=_positive_int, help="variations, 1-4")
    parser.add_argument("--seed", type=_positive_int, help="seed for reproducible takes")
    parser.add_argument("--resolution", help="720p or 360p (omni-flash)")
    _add_ceiling(parser)
    parser.add_argument("--start", metavar="IMAGE", help="first frame (path, media id, variable)")
    parser.add_argument("--end", metavar="IMAGE", help="last frame (needs --start)")
    parser.add_argument(
        "--ref", action="append", metavar="IMAGE", default=[], help="reference image (repeat)"
    )
    parser.add_argument(
        "--character",
        action="append",
        metavar="NAME_OR_REF",
        default=[],
        help="character by name or ref (repeat)",
    )
    parser.add_argument(
        "--voice",
        action="append",
        metavar="PRESET_OR_REF",
        default=[],
        help="voice preset or voice ref (repeat)",
    )
    parser.add_argument("--video", metavar="VIDEO", help="source video to edit (omni-flash)")
    parser.add_argument(
        "--frames", type=parse_frames, metavar="START:END", help="trim window of --video"
    )
    _add_prompt_options(parser)
    _add_run_options(parser)
    return parser


def image_parser() -> MagicArgumentParser:
    """The ``%%flow_image`` options: every field of POST /images, plus comparison grids."""
    parser = _parser("%%flow_image", "Generate images; the cell body is the prompt.")
    parser.add_argument("-m", "--model", help="nano-banana-2-lite, nano-banana-2, nano-banana-pro")
    parser.add_argument("--aspect", help="16:9, 4:3, 1:1, 3:4, 9:16 or auto")
    parser.add_argument("-n", "--count", type=_positive_int, help="images per request, 1-4")
    parser.add_argument("--seed", type=_positive_int, help="seed for reproducible images")
    parser.add_argument(
        "--ref", action="append", metavar="IMAGE", default=[], help="reference image (up to 10)"
    )
    parser.add_argument(
        "--character", action="append", metavar="NAME_OR_REF", default=[], help="character"
    )
    parser.add_argument(
        "--compare",
        type=parse_name_list,
        metavar="MODEL,MODEL",
        help="send the prompt to each model; show a labelled grid",
    )
    parser.add_argument(
        "--seeds", type=parse_int_list, metavar="1,2,3", help="one request per seed, in a grid"
    )
    _add_prompt_options(parser)
    _add_run_options(parser)
    return parser


def _extend(p: MagicArgumentParser) -> None:
    p.add_argument("source", metavar="VIDEO", help="a video result, variable or media id")
    p.add_argument("prompt", nargs="+", help="what happens next")
    p.add_argument("-m", "--model")
    p.add_argument("-n", "--count", type=_positive_int)
    p.add_argument("--seed", type=_positive_int)
    _add_ceiling(p)
    _add_prompt_options(p)
    _add_run_options(p)


def _upscale(p: MagicArgumentParser) -> None:
    p.add_argument("source", metavar="MEDIA", help="a video or image result, variable or id")
    p.add_argument("--resolution", help="videos: 720p (Omni 360p), 1080p or 4K; images: 2k or 4k")
    _add_run_options(p)


def _gif(p: MagicArgumentParser) -> None:
    p.add_argument("source", metavar="VIDEO")
    _add_run_options(p)


def _concat(p: MagicArgumentParser) -> None:
    p.add_argument("sources", nargs="+", metavar="VIDEO", help="2-10 clips, in order")
    p.add_argument(
        "--trim",
        action="append",
        default=[],
        metavar="N:START:END",
        help="trim clip N (1-based) by START/END seconds (repeat)",
    )
    _add_run_options(p)


def _upload(p: MagicArgumentParser) -> None:
    p.add_argument("path", help="a local image (png, jpeg, webp) or mp4")
    p.add_argument("--email")
    p.add_argument("--out", metavar="NAME")


def _listing(p: MagicArgumentParser) -> None:
    p.add_argument("--email")


def _voices(p: MagicArgumentParser) -> None:
    p.add_argument("--email")
    p.add_argument("--source", choices=["system", "user"])


def _voice(p: MagicArgumentParser) -> None:
    p.add_argument("action", choices=["create", "delete"])
    p.add_argument("name", metavar="NAME_OR_REF", help="display name (create) or ref (delete)")
    p.add_argument("--base", metavar="PRESET", help="one of the 30 presets (create)")
    p.add_argument("--dialog", help="spoken preview text, up to 120 characters (create)")
    p.add_argument("--performance", help="delivery style, up to 120 characters (create)")
    p.add_argument("--email")
    p.add_argument("--out", metavar="NAME")


def _character(p: MagicArgumentParser) -> None:
    p.add_argument("action", choices=["create", "delete"])
    p.add_argument("name", metavar="NAME_OR_REF", help="display name (create) or ref (delete)")
    p.add_argument("--image", action="append", default=[], metavar="IMAGE", help="1-2 images")
    p.add_argument("--voice", metavar="PRESET_OR_REF")
    p.add_argument("--notes", help="personality notes")
    p.add_argument("--out", metavar="NAME")


def _jobs(p: MagicArgumentParser) -> None:
    p.add_argument("--limit", type=_positive_int, default=20)
    p.add_argument("--state", action="append", default=[], help="filter by state (repeat)")
    p.add_argument("-m", "--model")
    p.add_argument("--all", action="store_true", help="every notebook's jobs, not only this one's")


def _job(p: MagicArgumentParser) -> None:
    p.add_argument("id", help="a jobid or submission id")
    p.add_argument("--out", metavar="NAME")


def _cancel(p: MagicArgumentParser) -> None:
    p.add_argument("id", help="a jobid, submission id, or 'all'")


def _budget(p: MagicArgumentParser) -> None:
    p.add_argument("amount", nargs="?", help="credits for this session, or 'off'")


def _export(p: MagicArgumentParser) -> None:
    p.add_argument("path", help="the page to write, e.g. results.html")
    p.add_argument("--title", default=None, help="the page's heading")


def _class(p: MagicArgumentParser) -> None:
    p.add_argument(
        "--gateway", default=None, help="the class gateway's URL (default: $FLOW_GATEWAY_URL)"
    )


def _captcha(p: MagicArgumentParser) -> None:
    p.add_argument("what", choices=["providers", "stats"])


def _doctor(p: MagicArgumentParser) -> None:
    p.add_argument(
        "--images", action="store_true", help="also generate one image (one captcha solve)"
    )
    p.add_argument("--yes", action="store_true", help="do not ask before --images")


def _nothing(p: MagicArgumentParser) -> None:
    del p


def _compare(p: MagicArgumentParser) -> None:
    p.add_argument("takes", nargs="+", help="--out names of jobs, or media file paths")
    p.add_argument("--columns", type=int, help="a fixed number of columns")
    p.add_argument("--labels", type=parse_name_list, help="one heading per take: a,b")
    p.add_argument("--no-sync", action="store_true", help="let each video play on its own")


def _takes(p: MagicArgumentParser) -> None:
    p.add_argument("cell", nargs="?", help="the cell's --out name or id (default: the last run)")
    p.add_argument("--cells", action="store_true", help="list this notebook's cells with takes")


def _present(p: MagicArgumentParser) -> None:
    p.add_argument("state", nargs="?", choices=["on", "off"], default="on")


# name -> (one-line summary, option builder). Order is the order %flow help shows.
SUBCOMMANDS: dict[str, tuple[str, Callable[[MagicArgumentParser], None]]] = {
    "extend": ("continue a Veo video by about 8 s", _extend),
    "upscale": ("upscale a video (720p/1080p/4K) or an image (2k/4k)", _upscale),
    "gif": ("an animated GIF preview of a video", _gif),
    "concat": ("join 2-10 clips into one MP4", _concat),
    "upload": ("upload a local image or mp4 (cached by content hash)", _upload),
    "voices": ("list system and custom voices", _voices),
    "voice": ("voice create NAME --base PRESET --dialog … | voice delete REF", _voice),
    "characters": ("list characters", _listing),
    "character": ("character create NAME --image IMG | character delete REF", _character),
    "jobs": ("recent submissions from the ledger", _jobs),
    "job": ("show one job's card (re-attaches if it still runs)", _job),
    "resume": ("re-attach to every unfinished job", _nothing),
    "stop": ("stop watching a job (it runs on, and is charged, on the server)", _cancel),
    "cancel": ("the same as stop: only the watching stops", _cancel),
    "credits": ("balance and session spend by model", _nothing),
    "accounts": ("linked accounts: health, tier, credits", _nothing),
    "budget": ("cap this session's spend: budget N | budget off", _budget),
    "login": ("enter the API token (hidden prompt; never an argument)", _nothing),
    "captcha": ("captcha providers | captcha stats", _captcha),
    "config": ("the active configuration (no secrets)", _nothing),
    "export": ("this notebook's results as one self-contained HTML page", _export),
    "class": ("the teacher's view of a class on a classroom gateway", _class),
    "doctor": ("report how the live API drifted from this version (free calls)", _doctor),
    "compare": ("takes side by side, prompt diff, synced playback", _compare),
    "takes": ("a cell's takes, what changed in each, and its starred pick", _takes),
    "present": ("presenter mode: large text, trimmed cards (present off)", _present),
    "help": ("this list", _nothing),
}


def subcommand_parser(name: str) -> MagicArgumentParser:
    """The parser for ``%flow NAME``."""
    summary, build = SUBCOMMANDS[name]
    parser = _parser(f"%flow {name}", summary)
    build(parser)
    return parser


#: The shape of a useapi.net token (``user:<number>-<letters>``). Media ids and refs start the
#: same way but carry more ``:``-separated parts, so they never match a whole word.
_TOKEN_WORD = re.compile(r"(?<![\w:-])user:\d+-[A-Za-z0-9]+(?![\w:-])")


def refuse_token_in(line: str, prog: str) -> None:
    """Refuse a magic line that holds something shaped like the API token, without echoing it.

    Anything typed into a cell is saved with the notebook and kept in IPython's history, so the
    token is never taken as an argument; argparse's own refusal would print the word back.

    Raises:
        UsageError: the line carries a token-shaped word.
    """
    if _TOKEN_WORD.search(line):
        raise UsageError(
            f"{prog} takes no API token: never type it into a cell (it is saved with the "
            "notebook); run %flow login alone for a hidden prompt, or set USEAPI_TOKEN."
        )


def split_subcommand(line: str) -> tuple[str, str]:
    """Split ``%flow`` arguments into the subcommand and the rest of the line.

    Raises:
        UsageError: the subcommand is unknown (the message lists the known ones).
    """
    refuse_token_in(line, "%flow")
    stripped = line.strip()
    name, _, rest = stripped.partition(" ")
    if name not in SUBCOMMANDS:
        known = ", ".join(SUBCOMMANDS)
        raise UsageError(f"%flow has no subcommand {name!r}; use one of: {known}.")
    return name, rest.strip()


def parse(parser: MagicArgumentParser, line: str) -> argparse.Namespace | None:
    """Parse ``line``; ``None`` means ``--help`` was asked for and the help was printed.

    Raises:
        UsageError: one plain line for unknown options, bad values or unbalanced quotes.
    """
    refuse_token_in(line, parser.prog)
    try:
        argv: Sequence[str] = shlex.split(line, posix=True)
    except ValueError as exc:
        raise UsageError(f"{parser.prog}: {exc} (check the quotes in the options)") from None
    if "-h" in argv or "--help" in argv:
        print(parser.format_help())  # noqa: T201 - the help is the output the user asked for
        return None
    try:
        return parser.parse_args(list(argv))
    except UsageError as exc:
        raise UsageError(f"{parser.prog}: {exc}") from None
