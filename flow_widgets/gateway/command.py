"""``flow-widgets gateway …``: run the classroom gateway and manage its students.

The teacher's useapi.net token is read from ``USEAPI_TOKEN`` only (a flag would show it in
every process list); the database from ``--ledger-url`` or ``FLOW_LEDGER_URL``. A new
student's token is printed once and stored only as a hash.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

__all__ = ["add_arguments", "run"]

ENV_LEDGER = "FLOW_LEDGER_URL"
ENV_TOKEN = "USEAPI_TOKEN"
DEFAULT_UPSTREAM = "https://api.useapi.net/v1/google-flow"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ledger-url", help=f"postgresql://… (default: ${ENV_LEDGER})")
    sub = parser.add_subparsers(dest="gateway_command", metavar="ACTION", required=True)
    serve = sub.add_parser("serve", help="serve the gateway (HTTP) in the foreground")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8790)
    serve.add_argument("--upstream", default=DEFAULT_UPSTREAM, help="the API base URL")
    serve.add_argument(
        "--account",
        action="append",
        default=[],
        metavar="EMAIL:CAP",
        help="a Google account of the subscription and how many jobs it runs at once",
    )
    serve.add_argument(
        "--price", action="append", default=[], metavar="ROUTE=CREDITS", help="charge per output"
    )
    serve.add_argument(
        "--replace-after",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="place again (same Idempotency-Key) a request left unanswered this long",
    )
    sub.add_parser("migrate", help="create or update the gateway's tables")
    add = sub.add_parser("add-student", help="issue a student's token (printed once)")
    add.add_argument("name")
    add.add_argument("--allowance", type=int, default=1000, help="credits the student may spend")
    revoke = sub.add_parser("revoke-student", help="refuse a student's token from now on")
    revoke.add_argument("name")
    budget = sub.add_parser("budget", help="set the class budget in credits")
    budget.add_argument("credits", type=int)


def _pairs(
    values: list[str], sep: str, flag: str, parser: argparse.ArgumentParser
) -> dict[str, int]:
    out: dict[str, int] = {}
    for value in values:
        key, _, number = value.rpartition(sep)
        if not key or not number.isdigit():
            parser.error(
                f"{flag} {value!r}: write it as NAME{sep}NUMBER, such as a@gmail.com{sep}4."
            )
        out[key] = int(number)
    return out


def run(args: Any, parser: argparse.ArgumentParser) -> int:
    ledger = args.ledger_url or os.environ.get(ENV_LEDGER, "")
    if not ledger.startswith(("postgresql://", "postgres://")):
        parser.error(f"--ledger-url (or {ENV_LEDGER}) must be a postgresql:// URL.")
    action = args.gateway_command
    if action == "serve":
        return _serve(args, ledger, parser)
    import psycopg

    from flow_widgets.gateway import schema, store

    with psycopg.connect(ledger, autocommit=True) as conn:
        schema.migrate(conn)
        if action == "add-student":
            if args.allowance < 0:
                parser.error("--allowance must be zero or more.")
            print(store.add_student(conn, args.name, args.allowance))
        elif action == "revoke-student":
            if not store.revoke_student(conn, args.name):
                parser.error(f"there is no student called {args.name!r}.")
        elif action == "budget":
            try:
                store.set_budget(conn, args.credits)
            except ValueError as err:
                parser.error(str(err))
    return 0


def _serve(args: Any, ledger: str, parser: argparse.ArgumentParser) -> int:
    token = os.environ.get(ENV_TOKEN, "").strip()
    if not token:
        parser.error(f"set the teacher's useapi.net token in {ENV_TOKEN} before serving.")
    accounts = _pairs(args.account, ":", "--account", parser)
    if not accounts or min(accounts.values()) < 1:
        parser.error("give at least one --account EMAIL:CAP with a cap of 1 or more.")
    import uvicorn

    from flow_widgets.gateway.app import GatewayConfig, create_app
    from flow_widgets.gateway.pricing import DEFAULT_PRICES

    prices = {**DEFAULT_PRICES, **_pairs(args.price, "=", "--price", parser)}
    config = GatewayConfig(
        ledger_url=ledger,
        upstream=args.upstream,
        teacher_token=token,
        accounts=accounts,
        prices=prices,
        replace_after=args.replace_after,
    )
    print(f"flow-widgets gateway on http://{args.host}:{args.port}/v1/google-flow", file=sys.stderr)
    uvicorn.run(create_app(config), host=args.host, port=args.port, access_log=False)
    return 0
