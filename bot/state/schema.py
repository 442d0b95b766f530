"""The bot's tables, their migrations, and opening a connection to them.

Each component keeps its version in its own row of ``bot_schema(component, version)``; the steps
are applied by :func:`index.store.migrations.migrate` on a short-lived :mod:`sqlite3` connection
before the component's aiosqlite connection opens.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import ClassVar, Generic, Protocol, Self, TypeVar

import aiosqlite

from index.errors import NewsIndexError
from index.store import migrations

BUSY_TIMEOUT_MS = 10_000

SETTINGS = migrations.Migrations(
    (
        """
        CREATE TABLE IF NOT EXISTS guild_settings (
            guild_id INTEGER PRIMARY KEY,
            moderator_role_id INTEGER,
            visibility TEXT NOT NULL DEFAULT 'public' CHECK (visibility IN ('public', 'ephemeral'))
        );
        CREATE TABLE IF NOT EXISTS answer_channels (
            guild_id INTEGER NOT NULL,
            channel_id INTEGER NOT NULL,
            PRIMARY KEY (guild_id, channel_id)
        );
        CREATE TABLE IF NOT EXISTS asked (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL,
            text TEXT NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE (kind, text)
        );
        """,
    ),
    migrations.ComponentRow("settings"),
    "schema_settings_too_new",
)

DIGEST = migrations.Migrations(
    (
        """
        CREATE TABLE IF NOT EXISTS digest_schedules (
            guild_id INTEGER PRIMARY KEY,
            channel_id INTEGER NOT NULL,
            at_time TEXT NOT NULL,            -- HH:MM in tz
            tz TEXT NOT NULL,                 -- IANA name
            categories TEXT,                  -- JSON list, NULL = all
            same_day INTEGER NOT NULL DEFAULT 0,
            enabled INTEGER NOT NULL DEFAULT 1,
            next_run_day TEXT NOT NULL,       -- local date of the next occurrence to handle
            updated_at TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS digest_log (
            guild_id INTEGER NOT NULL,
            channel_id INTEGER NOT NULL,
            day TEXT NOT NULL,                -- the digest's day (YYYY-MM-DD)
            state TEXT NOT NULL CHECK (state IN
                ('posting', 'posted', 'retry', 'failed', 'missed', 'uncertain')),
            trigger TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            message_ids TEXT NOT NULL DEFAULT '[]',
            claimed_at TEXT,
            posted_at TEXT,
            next_attempt_at TEXT,
            last_error TEXT,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (guild_id, channel_id, day)
        );
        CREATE INDEX IF NOT EXISTS digest_log_state ON digest_log(state, guild_id);
        """,
    ),
    migrations.ComponentRow("digest"),
    "schema_digest_too_new",
)


def _migrate(path: Path, component: migrations.Migrations) -> Path:
    path = path.expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")  # persistent: every later connection is WAL
        migrations.migrate(conn, component)
    finally:
        conn.close()
    return path


async def connect(path: str | Path, component: migrations.Migrations) -> aiosqlite.Connection:
    """Create or migrate ``component``'s tables in the database at ``path`` and open an
    autocommit aiosqlite connection to it (WAL); raises SchemaTooNew for a newer file."""
    path = await asyncio.to_thread(_migrate, Path(path), component)
    conn = await aiosqlite.connect(path, isolation_level=None)
    try:
        await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    except BaseException:
        await conn.close()
        raise
    return conn


class _Closable(Protocol):
    async def close(self) -> None: ...


ConnT = TypeVar("ConnT", bound=_Closable)


class Component(Generic[ConnT]):
    """A component's connection (aiosqlite, or psycopg for PostgreSQL): ``conn`` raises
    ``closed_error`` after :meth:`close`, and closing twice is safe."""

    closed_error: ClassVar[type[Exception]] = RuntimeError

    def __init__(self, conn: ConnT) -> None:
        self._conn: ConnT | None = conn

    @property
    def conn(self) -> ConnT:
        if self._conn is None:
            if issubclass(self.closed_error, NewsIndexError):  # a member may meet it at shutdown
                raise self.closed_error.keyed("shutting_down")
            raise self.closed_error(f"the {type(self).__name__} is closed")
        return self._conn

    async def close(self) -> None:
        """Close the connection; closing twice is safe."""
        conn, self._conn = self._conn, None
        if conn is not None:
            await conn.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
