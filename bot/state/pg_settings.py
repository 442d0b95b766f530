"""The settings' SQL on PostgreSQL (psycopg 3): guild settings, answer channels, asked questions.

The rows behind :class:`bot.state.settings.SettingsStore` when ``KIJI_STATE_DB`` is a
``postgresql://`` URL, so that every bot host reads the same ``/kiji config``. Each host caches
the settings; a change is announced on the channel :data:`CHANNEL` (``pg_notify`` in the change's
transaction, so it is heard once committed) and every host that follows it (``LISTEN`` on a
connection of its own) reloads them at once, and again after reconnecting, when it may have
missed some.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

import psycopg

from bot.state.pg import PgMigrations, connect, describe
from bot.state.schema import Component
from bot.state.settings import GuildRow, SettingsClosedError

log = logging.getLogger(__name__)

CHANNEL = "kiji_settings"  # NOTIFY channel of a guild's settings change (payload: its id)
RECONNECT_EVERY = 5.0  # seconds between tries to listen again after a lost connection

SETTINGS = PgMigrations(
    "settings",
    (
        """
        CREATE TABLE IF NOT EXISTS guild_settings (
            guild_id bigint PRIMARY KEY,
            moderator_role_id bigint,
            visibility text NOT NULL DEFAULT 'public' CHECK (visibility IN ('public', 'ephemeral'))
        );
        CREATE TABLE IF NOT EXISTS answer_channels (
            guild_id bigint NOT NULL,
            channel_id bigint NOT NULL,
            PRIMARY KEY (guild_id, channel_id)
        );
        CREATE TABLE IF NOT EXISTS asked (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            kind text NOT NULL,
            text text NOT NULL,
            created_at timestamptz NOT NULL,
            UNIQUE (kind, text)
        );
        """,
    ),
    "schema_pg_settings_too_new",
)


class PgSettingsRows(Component[psycopg.AsyncConnection]):
    """Settings rows in PostgreSQL; one autocommit connection per process, shared by the
    answers in flight: a lock keeps another task's statement out of ``save``'s transaction
    (it would commit or roll back with it)."""

    closed_error = SettingsClosedError

    def __init__(self, conn: psycopg.AsyncConnection, url: str = "") -> None:
        super().__init__(conn)
        self.url = url
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, url: str) -> PgSettingsRows:
        return cls(await connect(url, SETTINGS), url)

    async def load(self) -> tuple[list[GuildRow], list[tuple[int, int]]]:
        cur = await self.conn.execute(
            "SELECT guild_id, moderator_role_id, visibility FROM guild_settings"
        )
        guilds = [(g, r, v) for g, r, v in await cur.fetchall()]
        cur = await self.conn.execute("SELECT guild_id, channel_id FROM answer_channels")
        return guilds, [(g, c) for g, c in await cur.fetchall()]

    async def save(self, row: GuildRow, add: int | None, remove: int | None) -> None:
        async with self._lock, self.conn.transaction():
            conn = self.conn
            await conn.execute(
                "INSERT INTO guild_settings (guild_id, moderator_role_id, visibility) "
                "VALUES (%s, %s, %s) ON CONFLICT (guild_id) DO UPDATE SET "
                "moderator_role_id = excluded.moderator_role_id, visibility = excluded.visibility",
                row,
            )
            if add is not None:
                await conn.execute(
                    "INSERT INTO answer_channels (guild_id, channel_id) VALUES (%s, %s) "
                    "ON CONFLICT DO NOTHING",
                    (row[0], add),
                )
            if remove is not None:
                await conn.execute(
                    "DELETE FROM answer_channels WHERE guild_id = %s AND channel_id = %s",
                    (row[0], remove),
                )
            await conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, str(row[0])))

    async def remember(self, kind: str, text: str, now: datetime) -> int:
        # The insert's id, or that of the row already there. When another host inserted it
        # concurrently, this statement's snapshot predates that row: read it again after.
        async with self._lock:
            cur = await self.conn.execute(
                "WITH new AS (INSERT INTO asked (kind, text, created_at) VALUES (%s, %s, %s) "
                "ON CONFLICT (kind, text) DO NOTHING RETURNING id) "
                "SELECT id FROM new UNION ALL SELECT id FROM asked WHERE kind = %s AND text = %s",
                (kind, text, now, kind, text),
            )
            row = await cur.fetchone()
            if row is None:
                cur = await self.conn.execute(
                    "SELECT id FROM asked WHERE kind = %s AND text = %s", (kind, text)
                )
                row = await cur.fetchone()
        assert row is not None
        return int(row[0])

    async def recall(self, kind: str, ask_id: int) -> str | None:
        cur = await self.conn.execute(
            "SELECT text FROM asked WHERE id = %s AND kind = %s", (ask_id, kind)
        )
        row = await cur.fetchone()
        return row[0] if row else None

    async def forget_before(self, when: datetime) -> int:
        async with self._lock:
            cur = await self.conn.execute("DELETE FROM asked WHERE created_at < %s", (when,))
            return cur.rowcount

    async def follow(self, on_change: Callable[[], Awaitable[None]]) -> None:
        """``LISTEN`` on a connection of its own and call ``on_change`` for every change any
        host makes, and after each (re)connection; a lost connection is opened again every
        :data:`RECONNECT_EVERY` seconds. Runs until cancelled."""
        while True:
            try:
                # libpq keepalives: a listener whose server vanished without closing the
                # connection notices within about a minute
                conn = await psycopg.AsyncConnection.connect(
                    self.url,
                    autocommit=True,
                    connect_timeout=10,
                    keepalives=1,
                    keepalives_idle=30,
                    keepalives_interval=10,
                    keepalives_count=3,
                )
                async with conn:
                    await conn.execute("LISTEN kiji_settings")  # CHANNEL
                    await on_change()  # what changed while nobody listened
                    async for _ in conn.notifies():
                        await on_change()
            except psycopg.Error as e:
                log.warning("guild settings: listening at %s failed: %s", describe(self.url), e)
            await asyncio.sleep(RECONNECT_EVERY)
