"""A throwaway PostgreSQL database per test, on the server every machine of this project runs
(127.0.0.1:5432, trust auth, user postgres; ``KIJI_TEST_PG`` names another). When the server
cannot be reached the test FAILS with a message saying so: CI must not pass by skipping."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import psycopg
import pytest
from psycopg import sql

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def admin_url() -> str:
    return os.environ.get("KIJI_TEST_PG") or ADMIN_URL


def _admin() -> psycopg.Connection:
    url = admin_url()
    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as e:
        pytest.fail(
            f"PostgreSQL is not reachable at {url} ({str(e).strip().splitlines()[0]}). "
            "The PostgreSQL tests fail rather than skip: start the server "
            "(`pg_ctlcluster 15 main start`) or set KIJI_TEST_PG to a server's URL.",
            pytrace=False,
        )


@contextmanager
def pg_database() -> Iterator[str]:
    """Create a uniquely named database, yield its URL, then drop it (with its connections)."""
    name = f"kiji_test_{uuid.uuid4().hex[:16]}"
    with _admin() as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urlsplit(admin_url())._replace(path=f"/{name}").geturl()
    finally:
        with _admin() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
