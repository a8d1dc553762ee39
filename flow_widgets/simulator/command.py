"""The command line of the simulator (``python -m flow_widgets.simulator`` and
``flow-widgets simulator``): one argparse parser, shared by both entry points."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from typing import Any

from flow_widgets.simulator.config import parse_account_spec

__all__ = ["TOKEN_VARIABLE", "add_arguments", "factory_kwargs", "main"]

#: Environment variable holding the one token the simulator should accept.
TOKEN_VARIABLE = "FLOW_SIMULATOR_TOKEN"


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the simulator's options to ``parser``."""
    parser.add_argument(
        "--port",
        type=int,
        default=8787,
        help="API port on 127.0.0.1 (default 8787; 0 picks a free one)",
    )
    parser.add_argument(
        "--media-port", type=int, default=0, help="media origin port (default: a free one)"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed for ids, seeds and random outcomes (default 0)"
    )
    parser.add_argument(
        "--time-scale",
        type=float,
        default=0.03,
        help="share of the real API's time that work takes (default 0.03: Veo Fast in ~3 s)",
    )
    parser.add_argument(
        "--account",
        action="append",
        metavar="EMAIL[:TIER[:CREDITS]]",
        help="a Google account to start with (repeatable; tiers free, plus, pro, ultra_100, "
        "ultra_200). Default: one Ultra $200 account with 25,000 credits and one Pro with 1,000",
    )
    parser.add_argument(
        "--token",
        default=os.environ.get(TOKEN_VARIABLE) or None,
        help=f"accept only this API token (default: ${TOKEN_VARIABLE}, else any non-empty "
        "token). Prefer the variable: a token on the command line shows in process lists",
    )
    parser.add_argument(
        "--max-concurrent-videos",
        type=int,
        default=4,
        help="executing video jobs per account before 429 (default 4)",
    )
    parser.add_argument(
        "--max-concurrent-images",
        type=int,
        default=8,
        help="executing image jobs per account before 429 (default 8)",
    )
    parser.add_argument(
        "--captcha-reject-rate",
        type=float,
        default=0.0,
        help="share of captcha attempts Google rejects (default 0)",
    )
    parser.add_argument(
        "--captcha-outage-rate",
        type=float,
        default=0.0,
        help="share of captcha attempts whose provider fails (default 0)",
    )
    parser.add_argument(
        "--job-failure-rate",
        type=float,
        default=0.0,
        help="share of jobs that fail, uncharged (default 0)",
    )
    parser.add_argument(
        "--test-controls",
        action="store_true",
        help="enable the /_sim/ control API (faults, clock, ledger)",
    )
    return parser


def factory_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """``create_app`` keyword arguments from parsed options."""
    kwargs: dict[str, Any] = {
        "seed": args.seed,
        "time_scale": args.time_scale,
        "test_controls": args.test_controls,
        "max_concurrent_videos": args.max_concurrent_videos,
        "max_concurrent_images": args.max_concurrent_images,
        "captcha_reject_rate": args.captcha_reject_rate,
        "captcha_outage_rate": args.captcha_outage_rate,
        "job_failure_rate": args.job_failure_rate,
    }
    if args.token:
        kwargs["token"] = args.token
    if args.account:
        kwargs["accounts"] = [parse_account_spec(text) for text in args.account]
    return kwargs


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Serve with ``args`` until interrupted; bad settings end with one line and status 2."""
    from flow_widgets.simulator.server import serve

    try:
        kwargs = factory_kwargs(args)
        serve(port=args.port, media_port=args.media_port, **kwargs)
    except (ValueError, OSError, RuntimeError) as exc:
        parser.exit(2, f"flow-widgets simulator: {exc}\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m flow_widgets.simulator``."""
    parser = add_arguments(
        argparse.ArgumentParser(
            prog="python -m flow_widgets.simulator",
            description="A local, offline twin of useapi.net's Google Flow API.",
        )
    )
    return run(parser.parse_args(argv), parser)
