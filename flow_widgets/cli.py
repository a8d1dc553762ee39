"""The ``flow-widgets`` command. For now one subcommand: ``flow-widgets simulator``.

argparse, no framework: the command must start fast and pull in nothing the package does not
already need.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

__all__ = ["main"]


def build_parser() -> argparse.ArgumentParser:
    from flow_widgets.simulator.command import add_arguments

    parser = argparse.ArgumentParser(
        prog="flow-widgets", description="Google Flow inside Jupyter: helper commands."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    add_arguments(
        commands.add_parser(
            "simulator",
            help="serve the offline Google Flow simulator on 127.0.0.1",
            description="A local, offline twin of useapi.net's Google Flow API.",
        )
    )
    from flow_widgets.gateway.command import add_arguments as add_gateway

    add_gateway(commands.add_parser("gateway", help="the classroom gateway (PostgreSQL)"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``flow-widgets`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "simulator":
        from flow_widgets.simulator.command import run

        return run(args, parser)
    if args.command == "gateway":
        from flow_widgets.gateway.command import run as run_gateway

        return run_gateway(args, parser)
    parser.error(f"unknown command {args.command!r}")  # pragma: no cover - argparse refuses first
    return 2
