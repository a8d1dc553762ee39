"""Fixtures of the gateway tests: one real PostgreSQL server per session, a fresh database per
test (``CREATE DATABASE`` from the empty template takes a few milliseconds)."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator

import pytest

psycopg = pytest.importorskip("psycopg")

from tests.gateway.pg_server import PgServer, find_bin_dir, start_pg  # noqa: E402

_names = itertools.count(1)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    if find_bin_dir() is None and not os.environ.get("CI"):
        pytest.skip("PostgreSQL is not installed here (apt-get install -y postgresql)")
    server = start_pg()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(pg_server: PgServer) -> str:
    """The URL of a new, empty database on the session's server."""
    name = f"fw_test_{next(_names)}"
    with psycopg.connect(pg_server.url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return pg_server.url.rsplit("/", 1)[0] + "/" + name
