"""The bot's state on PostgreSQL: connecting with psycopg 3 and migrating the tables there.

Chosen by a ``postgresql://`` URL in ``KIJI_STATE_DB`` (:func:`is_postgres`). Each component keeps
its version in its row of ``bot_schema(component, version)``, as in SQLite; all of a component's
pending steps run in one transaction that also records the version (PostgreSQL's DDL is
transactional), behind an advisory lock so that hosts starting together migrate once.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from index.config import is_postgres_url
from index.errors import SchemaTooNew
from index.store.migrations import statements
from index.store.pg.conn import connect_error, describe

# pg_advisory_xact_lock key of the bot's migrations: 'kiji' in ASCII.
MIGRATION_LOCK = 0x6B696A69


is_postgres = is_postgres_url  # True for a ``postgresql://`` (or ``postgres://``) URL

__all__ = ["PgMigrations", "connect", "describe", "is_postgres", "migrate"]


@dataclass(frozen=True)
class PgMigrations:
    """A component's steps (scripts): step ``i`` (from 0) moves it from version ``i`` to ``i + 1``."""

    component: str
    steps: tuple[str, ...]
    too_new: str  # the catalogue key of SchemaTooNew's message (fields ``found``, ``latest``)


async def connect(url: str, component: PgMigrations) -> psycopg.AsyncConnection:
    """Open an autocommit connection to ``url`` and create or migrate ``component``'s tables.

    Raises DatabaseError when PostgreSQL cannot be reached, SchemaTooNew for newer tables.
    """
    try:
        conn = await psycopg.AsyncConnection.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as e:
        raise connect_error(url, "KIJI_STATE_DB", e) from None
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
            raise SchemaTooNew.keyed(component.too_new, found=found, latest=latest)
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
