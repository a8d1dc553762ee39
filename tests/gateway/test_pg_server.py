"""The throwaway server really is a PostgreSQL server, and each test gets its own database."""

from __future__ import annotations

import psycopg


def test_each_test_gets_an_empty_database_on_a_real_server(pg_url: str) -> None:
    with psycopg.connect(pg_url) as conn:
        version = conn.execute("SHOW server_version_num").fetchone()
        assert version is not None and int(version[0]) >= 130000
        tables = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()
        assert tables == (0,)
