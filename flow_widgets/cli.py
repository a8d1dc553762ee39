"""The ``flow-widgets`` command: ``demo``, ``simulator``, ``doctor``, ``--version``, one parser.

argparse, no framework: the command must start fast and pull in nothing the package does not
already need. Each subcommand lives in its own module with two functions,
``add_arguments(parser)`` and ``run(args, parser) -> int``; :data:`COMMANDS` names them, and the
module is imported only to build its options or to run it. A new subcommand is one more
:class:`Command` line.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Sequence
from dataclasses import dataclass

from flow_widgets._version import __version__

__all__ = ["COMMANDS", "Command", "build_parser", "main"]


@dataclass(frozen=True)
class Command:
    """One ``flow-widgets NAME`` subcommand, implemented by ``module``."""

    name: str
    help: str
    description: str
    module: str


COMMANDS: tuple[Command, ...] = (
    Command(
        "demo",
        "copy the example notebooks into a folder and open JupyterLab there",
        "Copy the example notebooks into FOLDER and open the quickstart in JupyterLab if it is "
        "installed. No useapi.net token needed: the built-in simulator answers.",
        "flow_widgets.demo",
    ),
    Command(
        "simulator",
        "serve the offline Google Flow simulator on 127.0.0.1",
        "A local, offline twin of useapi.net's Google Flow API.",
        "flow_widgets.simulator.command",
    ),
    Command(
        "doctor",
        "measure how far the live API drifted from this version (free calls only)",
        "Checks the API's answers against the parser and the catalog.",
        "flow_widgets.doctor",
    ),
    Command(
        "gateway",
        "the classroom gateway: students generate on the teacher's subscription (PostgreSQL)",
        "Serve the classroom gateway and manage its students, budget and allowances.",
        "flow_widgets.gateway.command",
    ),
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="flow-widgets", description="Google Flow inside Jupyter: helper commands."
    )
    parser.add_argument("--version", action="version", version=f"flow-widgets {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        sub = commands.add_parser(command.name, help=command.help, description=command.description)
        importlib.import_module(command.module).add_arguments(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``flow-widgets`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    for command in COMMANDS:
        if command.name == args.command:
            run = importlib.import_module(command.module).run
            return int(run(args, parser))
    parser.error(f"unknown command {args.command!r}")  # pragma: no cover - argparse refuses first
    return 2
