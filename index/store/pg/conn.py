"""Running the store's shared SQL on PostgreSQL: a connection adapter with ``execute`` and
``executemany`` like :mod:`sqlite3`'s.

The shared statements are written with ``?`` placeholders and portable SQL; :func:`to_pg` turns
``?`` into ``%s`` (escaping any ``%``) and rewrites the few functions whose names differ
(:data:`REWRITES`). Each statement is translated once (cached).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict

from index.errors import DatabaseError

# SQLite spelling -> PostgreSQL spelling, for the functions the shared SQL needs that differ.
REWRITES: tuple[tuple[str, str], ...] = (
    ("instr(", "strpos("),  # (haystack, needle) in both
    ("group_concat(DISTINCT v.source)", "string_agg(DISTINCT v.source, ',')"),
    ("BEGIN IMMEDIATE", "BEGIN"),  # writers are serialised by an advisory lock instead
)


@lru_cache(maxsize=512)
def to_pg(sql: str, with_params: bool = True) -> str:
    """``sql`` (SQLite dialect, ``?`` placeholders) as PostgreSQL runs it."""
    for old, new in REWRITES:
        sql = sql.replace(old, new)
    if with_params:
        sql = sql.replace("%", "%%").replace("?", "%s")
    return sql


def describe(url: str) -> str:
    """``user@host:port/db`` of a URL, without its password (for error messages and logs)."""
    try:
        info = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "an invalid postgresql:// URL"
    host = info.get("host") or "localhost"
    return f"{info.get('user') or ''}@{host}:{info.get('port') or 5432}/{info.get('dbname') or ''}"


def connect(url: str, *, what: str = "KIJI_DB") -> psycopg.Connection:
    """An autocommit connection to ``url``; DatabaseError (without the password) when it fails."""
    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.Error as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise DatabaseError(
            f"cannot connect to PostgreSQL at {describe(url)} ({what}): {first}"
        ) from None


class PgConn:
    """A psycopg connection that takes the store's shared SQL (see :func:`to_pg`)."""

    def __init__(self, raw: psycopg.Connection) -> None:
        self.raw = raw

    def execute(self, sql: str, parameters: Any = (), /) -> psycopg.Cursor:
        if parameters:
            return self.raw.execute(to_pg(sql).encode(), parameters)  # bytes: our own SQL
        return self.raw.execute(to_pg(sql, False).encode())

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> psycopg.Cursor:
        cur = self.raw.cursor()
        cur.executemany(to_pg(sql).encode(), parameters)
        return cur

    def close(self) -> None:
        self.raw.close()
