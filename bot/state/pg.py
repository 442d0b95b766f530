"""The bot's state on PostgreSQL: connecting with psycopg 3 and migrating the tables there.

Chosen by a ``postgresql://`` URL in ``KIJI_STATE_DB`` (:func:`is_postgres`). Each component keeps
its version in its row of ``bot_schema(component, version)``, as in SQLite; all of a component's
pending steps run in one transaction that also records the version (PostgreSQL's DDL is
transactional), behind an advisory lock so that hosts starting together migrate once.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg.conninfo import conninfo_to_dict

from index.config import POSTGRES_SCHEMES, url_scheme
from index.errors import DatabaseError, SchemaTooNew
from index.store.migrations import statements

# pg_advisory_xact_lock key of the bot's migrations: 'kiji' in ASCII.
MIGRATION_LOCK = 0x6B696A69


def is_postgres(location: object) -> bool:
    """True for a ``postgresql://`` (or ``postgres://``) URL."""
    return isinstance(location, str) and url_scheme(location) in POSTGRES_SCHEMES


def describe(url: str) -> str:
    """``user@host:port/db`` of a URL, without its password (for error messages and logs)."""
    try:
        info = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "an invalid postgresql:// URL"
    host = info.get("host") or "localhost"
    return f"{info.get('user') or ''}@{host}:{info.get('port') or 5432}/{info.get('dbname') or ''}"


@dataclass(frozen=True)
class PgMigrations:
    """A component's steps (scripts): step ``i`` (from 0) moves it from version ``i`` to ``i + 1``."""

    component: str
    steps: tuple[str, ...]
    too_new: str


async def connect(url: str, component: PgMigrations) -> psycopg.AsyncConnection:
    """Open an autocommit connection to ``url`` and create or migrate ``component``'s tables.

    Raises DatabaseError when PostgreSQL cannot be reached, SchemaTooNew for newer tables.
    """
    try:
        conn = await psycopg.AsyncConnection.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise DatabaseError(
            f"cannot connect to PostgreSQL at {describe(url)} (KIJI_STATE_DB): {first}"
        ) from None
    try:
        await conn.execute("SET TIME ZONE 'UTC'")  # timestamps come back in UTC, as from SQLite
        await migrate(conn, component)
    except BaseException:
        await conn.close()
        raise
    return conn


async def migrate(conn: psycopg.AsyncConnection, component: PgMigrations) -> int:
    """Apply the pending steps in one transaction and return the version found before."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS bot_schema "
            "(component text PRIMARY KEY, version integer NOT NULL)"
        )
        cur = await conn.execute(
            "SELECT version FROM bot_schema WHERE component = %s", (component.component,)
        )
        row = await cur.fetchone()
        found = int(row[0]) if row else 0
        latest = len(component.steps)
        if found > latest:
            raise SchemaTooNew(component.too_new.format(found=found, latest=latest))
        for step in component.steps[found:]:
            for statement in statements(step):
                await conn.execute(statement.encode())  # bytes: our own DDL, not user text
        if found < latest:
            await conn.execute(
                "INSERT INTO bot_schema (component, version) VALUES (%s, %s) "
                "ON CONFLICT (component) DO UPDATE SET version = excluded.version",
                (component.component, latest),
            )
    return found
