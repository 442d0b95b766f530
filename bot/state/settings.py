"""Per-guild bot settings and remembered questions, in the bot's own tables of the kiji database.

The tables live in the same SQLite file as the index (aiosqlite, its own connection) and are
versioned in ``bot_schema`` under the component ``"settings"`` (:mod:`bot.state.schema`); with
``KIJI_STATE_DB=postgresql://…`` they live in PostgreSQL (:mod:`bot.state.pg_settings`), behind
the same :class:`SettingsStore`.
Settings are cached in memory so a command can decide how to ``defer()`` without waiting on the
database. :meth:`SettingsStore.follow` keeps the cache in step with changes other processes make:
on PostgreSQL every change is announced (``NOTIFY``) and each host reloads when it hears one; on
SQLite each process reloads every minute.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Literal, Protocol, Self

import aiosqlite

from bot.state import schema
from bot.state.pg import is_postgres
from index.errors import DatabaseError

log = logging.getLogger(__name__)

Visibility = Literal["public", "ephemeral"]
SQLITE_REFRESH = 60.0  # seconds between reloads of the settings from a SQLite file


@dataclass(frozen=True)
class GuildSettings:
    guild_id: int
    moderator_role_id: int | None = None
    visibility: Visibility = "public"
    answer_channels: frozenset[int] = field(default_factory=frozenset)

    @property
    def ephemeral(self) -> bool:
        return self.visibility == "ephemeral"


class SettingsClosedError(DatabaseError):
    """The settings store was used after :meth:`SettingsStore.close`."""


# A guild's row: (guild_id, moderator_role_id, visibility); an answer channel: (guild_id, channel_id).
GuildRow = tuple[int, int | None, Visibility]


class SettingsRows(Protocol):
    """The SQL side of :class:`SettingsStore`: SQLite (:class:`SqliteSettingsRows`) or
    PostgreSQL (:class:`bot.state.pg_settings.PgSettingsRows`)."""

    async def load(self) -> tuple[list[GuildRow], list[tuple[int, int]]]: ...

    async def save(self, row: GuildRow, add: int | None, remove: int | None) -> None: ...

    async def remember(self, kind: str, text: str, now: datetime) -> int: ...

    async def recall(self, kind: str, ask_id: int) -> str | None: ...

    async def forget_before(self, when: datetime) -> int: ...

    async def follow(self, on_change: Callable[[], Awaitable[None]]) -> None:
        """Call ``on_change`` whenever the rows may have been changed by another process, until
        cancelled."""
        ...

    async def close(self) -> None: ...


class SettingsStore:
    """Guild settings (cached) and the ``asked`` table behind persistent buttons."""

    def __init__(self, rows: SettingsRows) -> None:
        self.rows = rows
        self._cache: dict[int, GuildSettings] = {}
        # this process's changes, done and in flight: a reload that overlapped one is done again
        self._updates = self._writing = 0
        self._follower: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, location: str | Path) -> SettingsStore:
        """Open the settings at ``location`` (the kiji database file, or a ``postgresql://`` URL:
        ``KIJI_STATE_DB``), creating or migrating their tables."""
        if isinstance(location, str) and is_postgres(location):
            from bot.state.pg_settings import PgSettingsRows

            rows: SettingsRows = await PgSettingsRows.open(location)
        else:
            rows = await SqliteSettingsRows.open(location)
        store = cls(rows)
        try:
            await store._load_all()
        except BaseException:
            await rows.close()
            raise
        return store

    async def close(self) -> None:
        """Stop following, close the connection; closing twice is safe."""
        follower, self._follower = self._follower, None
        if follower is not None:
            follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await follower
        await self.rows.close()

    async def follow(self) -> None:
        """Keep the cached settings in step with ``/kiji config`` on other hosts and processes,
        in a background task until :meth:`close` (see the module)."""
        if self._follower is None:
            self._follower = asyncio.get_running_loop().create_task(
                self._follow(), name="kiji-settings-follow"
            )

    async def _follow(self) -> None:
        while True:
            try:
                await self.rows.follow(self.reload)
                return
            except Exception:  # never ends the bot: log, then follow again
                log.exception("following the guild settings failed; trying again")
                await asyncio.sleep(5)

    async def reload(self) -> None:
        """Read every guild's settings again (what another process changed)."""
        for _ in range(20):
            before = self._updates
            if not self._writing:
                guilds, channels = await self.rows.load()
                if not self._writing and self._updates == before:  # no change of ours overlapped
                    self._fill(guilds, channels)
                    return
            await asyncio.sleep(0.05)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _load_all(self) -> None:
        self._fill(*await self.rows.load())

    def _fill(self, guilds: list[GuildRow], channel_rows: list[tuple[int, int]]) -> None:
        cache = {g: GuildSettings(g, role_id, visibility) for g, role_id, visibility in guilds}
        channels: dict[int, set[int]] = {}
        for guild_id, channel_id in channel_rows:
            channels.setdefault(guild_id, set()).add(channel_id)
        for guild_id, ids in channels.items():
            base = cache.get(guild_id, GuildSettings(guild_id))
            cache[guild_id] = replace(base, answer_channels=frozenset(ids))
        self._cache = cache

    # ------------------------------------------------------------------ guild settings
    def get(self, guild_id: int | None) -> GuildSettings:
        """A guild's settings from memory (defaults for an unknown guild or a DM); no I/O."""
        if guild_id is None:
            return GuildSettings(0)
        return self._cache.get(guild_id) or GuildSettings(guild_id)

    async def update(
        self,
        guild_id: int,
        *,
        visibility: Visibility | None = None,
        moderator_role_id: int | None = None,
        clear_moderator_role: bool = False,
        add_channel: int | None = None,
        remove_channel: int | None = None,
    ) -> GuildSettings:
        """Change some of a guild's settings in one transaction and return the new settings."""
        cur = self.get(guild_id)
        new = cur
        if visibility is not None:
            new = replace(new, visibility=visibility)
        if clear_moderator_role:
            new = replace(new, moderator_role_id=None)
        elif moderator_role_id is not None:
            new = replace(new, moderator_role_id=moderator_role_id)
        channels = set(new.answer_channels)
        if add_channel is not None:
            channels.add(add_channel)
        if remove_channel is not None:
            channels.discard(remove_channel)
        new = replace(new, answer_channels=frozenset(channels))
        self._writing += 1
        try:
            await self.rows.save(
                (guild_id, new.moderator_role_id, new.visibility), add_channel, remove_channel
            )
            self._cache[guild_id] = new
        finally:
            self._writing -= 1
            self._updates += 1
        return new

    # ------------------------------------------------------------------ asked questions
    async def remember(self, kind: str, text: str, *, now: datetime) -> int:
        """A short id for ``text`` (the same id for the same text), for a button's ``custom_id``."""
        return await self.rows.remember(kind, text, now)

    async def recall(self, kind: str, ask_id: int) -> str | None:
        """The text remembered under ``ask_id``, or None if it is unknown (or of another kind)."""
        return await self.rows.recall(kind, ask_id)

    async def forget_before(self, when: datetime) -> int:
        """Delete questions remembered before ``when``; their buttons then say so. Returns count."""
        return await self.rows.forget_before(when)


class SqliteSettingsRows(schema.Component[aiosqlite.Connection]):
    """The settings' SQL on the kiji database file (aiosqlite, a connection of its own).

    Concurrent answers share this connection, so each method runs under a lock and reads with
    ``execute_fetchall`` (the statement finished in the same call): a statement left open
    between two awaits holds a read snapshot, and another task's write on this connection then
    fails at once with "database is locked" (SQLITE_BUSY_SNAPSHOT, no busy wait) as soon as
    another connection (feedback votes, the index writer) has committed meanwhile.
    """

    closed_error = SettingsClosedError

    def __init__(self, conn: aiosqlite.Connection) -> None:
        super().__init__(conn)
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: str | Path) -> SqliteSettingsRows:
        conn = await schema.connect(path, schema.SETTINGS)
        try:
            # WAL + NORMAL: a commit does not wait for fsync (a power cut may lose the last
            # remembered question, never corrupt the file); keeps /ask's followup fast.
            await conn.execute("PRAGMA synchronous = NORMAL")
        except BaseException:
            await conn.close()
            raise
        return cls(conn)

    async def load(self) -> tuple[list[GuildRow], list[tuple[int, int]]]:
        sql = "SELECT guild_id, moderator_role_id, visibility FROM guild_settings"
        async with self._lock:
            conn = self.conn
            guilds = [(g, r, v) for g, r, v in await conn.execute_fetchall(sql)]
            sql = "SELECT guild_id, channel_id FROM answer_channels"
            channels = [(g, c) for g, c in await conn.execute_fetchall(sql)]
        return guilds, channels

    async def save(self, row: GuildRow, add: int | None, remove: int | None) -> None:
        async with self._lock:
            conn = self.conn
            await conn.execute("BEGIN IMMEDIATE")
            try:
                await conn.execute(
                    "INSERT INTO guild_settings(guild_id, moderator_role_id, visibility) "
                    "VALUES (?, ?, ?) ON CONFLICT(guild_id) DO UPDATE SET "
                    "moderator_role_id = excluded.moderator_role_id, "
                    "visibility = excluded.visibility",
                    row,
                )
                if add is not None:
                    await conn.execute(
                        "INSERT OR IGNORE INTO answer_channels(guild_id, channel_id) VALUES (?, ?)",
                        (row[0], add),
                    )
                if remove is not None:
                    await conn.execute(
                        "DELETE FROM answer_channels WHERE guild_id = ? AND channel_id = ?",
                        (row[0], remove),
                    )
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            await conn.execute("COMMIT")

    async def remember(self, kind: str, text: str, now: datetime) -> int:
        select = "SELECT id FROM asked WHERE kind = ? AND text = ?"
        async with self._lock:
            conn = self.conn
            rows = list(await conn.execute_fetchall(select, (kind, text)))
            if not rows:  # write only for a new question
                await conn.execute(
                    "INSERT INTO asked(kind, text, created_at) VALUES (?, ?, ?) "
                    "ON CONFLICT(kind, text) DO NOTHING",
                    (kind, text, now.isoformat()),
                )
                rows = list(await conn.execute_fetchall(select, (kind, text)))
        return int(rows[0][0])

    async def recall(self, kind: str, ask_id: int) -> str | None:
        sql = "SELECT text FROM asked WHERE id = ? AND kind = ?"
        async with self._lock:
            rows = list(await self.conn.execute_fetchall(sql, (ask_id, kind)))
        return rows[0][0] if rows else None

    async def forget_before(self, when: datetime) -> int:
        async with self._lock:
            cur = await self.conn.execute(
                "DELETE FROM asked WHERE created_at < ?", (when.isoformat(),)
            )
            return cur.rowcount

    async def follow(self, on_change: Callable[[], Awaitable[None]]) -> None:
        # Other processes on this file (shards) announce nothing: look again every minute.
        while True:
            await asyncio.sleep(SQLITE_REFRESH)
            await on_change()
