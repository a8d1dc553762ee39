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
    serve.add_argument(
        "--max-attempts",
        type=int,
        default=6,
        metavar="N",
        help="upstream POSTs of one request before a failing service ends it (credits back)",
    )
    serve.add_argument(
        "--give-up-after",
        type=float,
        default=900.0,
        metavar="SECONDS",
        help="time after a request's first upstream POST beyond which it is not sent again",
    )
    serve.add_argument(
        "--hub-api-url",
        default=None,
        metavar="URL",
        help="as a JupyterHub service: Hub users are students (default: $JUPYTERHUB_API_URL "
        "when --hub is given)",
    )
    serve.add_argument(
        "--hub",
        action="store_true",
        help="run as a JupyterHub service: Hub users are students ($JUPYTERHUB_API_URL), "
        "paths under $JUPYTERHUB_SERVICE_PREFIX",
    )
    serve.add_argument(
        "--hub-allowance",
        type=int,
        default=None,
        metavar="CREDITS",
        help="enrol a Hub user not added yet with this allowance (default: only added students)",
    )
    serve.add_argument(
        "--max-open",
        type=int,
        default=20,
        metavar="N",
        help="requests one student may have waiting or running at once",
    )
    sub.add_parser("migrate", help="create or update the gateway's tables")
    add = sub.add_parser("add-student", help="issue a student's token (printed once)")
    add.add_argument("name")
    add.add_argument(
        "--allowance",
        type=int,
        help="credits the student may spend (new students: 1000; a re-issue keeps the old one)",
    )
    revoke = sub.add_parser("revoke-student", help="refuse a student's token from now on")
    revoke.add_argument("name")
    budget = sub.add_parser("budget", help="set the class budget in credits")
    budget.add_argument("credits", type=int)
    allowance = sub.add_parser("allowance", help="change a student's allowance in credits")
    allowance.add_argument("name")
    allowance.add_argument("credits", type=int)
    sub.add_parser("pause", help="refuse new requests (queued and running ones go on)")
    sub.add_parser("resume", help="take new requests again")
    sub.add_parser("spend", help="print each student's spend against their allowance")


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
            if args.allowance is not None and args.allowance < 0:
                parser.error("--allowance must be zero or more.")
            print(store.add_student(conn, args.name, args.allowance))
        elif action == "revoke-student":
            if not store.revoke_student(conn, args.name):
                parser.error(f"there is no student called {args.name!r}.")
        elif action in ("budget", "allowance"):
            if args.credits < 0:
                parser.error("credits must be zero or more.")
            try:
                if action == "budget":
                    store.set_budget(conn, args.credits)
                else:
                    store.set_allowance(conn, args.name, args.credits)
            except ValueError as err:
                parser.error(str(err))
        elif action in ("pause", "resume"):
            store.set_paused(conn, action == "pause")
        elif action == "spend":
            row = conn.execute("SELECT spent, budget, paused FROM class_budget").fetchone()
            assert row is not None  # the migration inserts the class row
            paused = " (paused)" if row[2] else ""
            print(f"class: {row[0]} of {row[1]} credits spent{paused}")
            for name, spent, allowed, revoked in store.spending(conn):
                print(f"{name}: {spent} of {allowed}" + (" (revoked)" if revoked else ""))
    return 0


def _serve(args: Any, ledger: str, parser: argparse.ArgumentParser) -> int:
    token = os.environ.get(ENV_TOKEN, "").strip()
    if not token:
        parser.error(f"set the teacher's useapi.net token in {ENV_TOKEN} before serving.")
    accounts = _pairs(args.account, ":", "--account", parser)
    if not accounts or min(accounts.values()) < 1:
        parser.error("give at least one --account EMAIL:CAP with a cap of 1 or more.")
    if args.max_open < 1:
        parser.error("--max-open must be 1 or more.")
    if args.max_attempts < 1:
        parser.error("--max-attempts must be 1 or more.")
    hub_api = args.hub_api_url or (os.environ.get("JUPYTERHUB_API_URL") if args.hub else None)
    if args.hub and not hub_api:
        parser.error("--hub needs the Hub's API URL: --hub-api-url URL or $JUPYTERHUB_API_URL.")
    if args.hub_allowance is not None and (args.hub_allowance < 0 or not hub_api):
        parser.error("--hub-allowance needs --hub (or --hub-api-url) and zero or more credits.")
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
        max_open=args.max_open,
        max_attempts=args.max_attempts,
        give_up_after=args.give_up_after,
        hub_api_url=hub_api,
        hub_allowance=args.hub_allowance,
        path_prefix=os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "") if args.hub else "",
    )
    print(f"flow-widgets gateway on http://{args.host}:{args.port}/v1/google-flow", file=sys.stderr)
    uvicorn.run(create_app(config), host=args.host, port=args.port, access_log=False)
    return 0
