"""Digest schedules and the digest log (the exactly-once record) on PostgreSQL, via psycopg 3.

The same interface as :class:`bot.state.digest.DigestStore`, for hosts that share one database
(``KIJI_STATE_DB=postgresql://…``). The claim is one row unique per (guild, channel, day): of
hosts racing with ``INSERT … ON CONFLICT DO UPDATE … WHERE``, PostgreSQL lets exactly one win.
One connection per process, shared by its coroutines behind an ``asyncio.Lock``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import date, datetime, time
from typing import Any, Literal, LiteralString

import psycopg

from bot.state.digest import (
    CANCELLED,
    DigestStoreClosed,
    LogEntry,
    LogState,
    Schedule,
    Trigger,
)
from bot.state.pg import PgMigrations, connect
from bot.state.schema import Component

DIGEST = PgMigrations(
    "digest",
    (
        """
        CREATE TABLE IF NOT EXISTS digest_schedules (
            guild_id bigint PRIMARY KEY,
            channel_id bigint NOT NULL,
            at_time time NOT NULL,
            tz text NOT NULL,
            categories text[],
            same_day boolean NOT NULL DEFAULT false,
            enabled boolean NOT NULL DEFAULT true,
            next_run_day date NOT NULL,
            updated_at timestamptz NOT NULL
        );
        CREATE TABLE IF NOT EXISTS digest_log (
            guild_id bigint NOT NULL,
            channel_id bigint NOT NULL,
            day date NOT NULL,
            state text NOT NULL CHECK (state IN
                ('posting', 'posted', 'retry', 'failed', 'missed', 'uncertain')),
            trigger text NOT NULL,
            attempts integer NOT NULL DEFAULT 0,
            message_ids bigint[] NOT NULL DEFAULT '{}',
            claimed_at timestamptz,
            posted_at timestamptz,
            next_attempt_at timestamptz,
            last_error text,
            updated_at timestamptz NOT NULL,
            PRIMARY KEY (guild_id, channel_id, day)
        );
        CREATE INDEX IF NOT EXISTS digest_log_state ON digest_log (state, guild_id);
        """,
    ),
    "schema_pg_digest_too_new",
)

_LOG_COLS = (
    "guild_id, channel_id, day, state, trigger, attempts, message_ids, claimed_at, posted_at, "
    "next_attempt_at, last_error"
)
_SCHEDULE_COLS = "guild_id, channel_id, at_time, tz, categories, same_day, enabled, next_run_day"


def _entry(row: Sequence[Any]) -> LogEntry:
    guild_id, channel_id, day, state, trigger, attempts, ids, claimed, posted, retry, error = row
    return LogEntry(
        guild_id,
        channel_id,
        day,
        state,
        trigger,
        attempts,
        tuple(ids),
        claimed,
        posted,
        retry,
        error,
    )


def _schedule(row: Sequence[Any]) -> Schedule:
    at: time = row[2]
    cats = tuple(row[4]) if row[4] is not None else None
    return Schedule(row[0], row[1], at.replace(tzinfo=None), row[3], cats, *row[5:])


class PgDigestStore(Component[psycopg.AsyncConnection]):
    """Schedules and the digest log in PostgreSQL. Open with ``await PgDigestStore.open(url)``."""

    closed_error = DigestStoreClosed

    def __init__(self, conn: psycopg.AsyncConnection) -> None:
        super().__init__(conn)
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, url: str) -> PgDigestStore:
        """Connect, create or migrate the digest tables; raises SchemaTooNew for newer ones."""
        return cls(await connect(url, DIGEST))

    async def _write(self, statements: Sequence[tuple[LiteralString, Sequence[Any]]]) -> list[int]:
        """Run statements in one transaction; returns each one's rowcount."""
        async with self._lock, self.conn.transaction():
            counts = []
            for sql, params in statements:
                cur = await self.conn.execute(sql, params)
                counts.append(cur.rowcount)
            return counts

    async def _read(self, sql: LiteralString, params: Sequence[Any] = ()) -> list[Sequence[Any]]:
        async with self._lock:
            cur = await self.conn.execute(sql, params)
            return list(await cur.fetchall())

    # ------------------------------------------------------------------ schedules
    async def save_schedule(self, s: Schedule, now: datetime) -> None:
        cats = list(s.categories) if s.categories is not None else None
        await self._write(
            [
                (
                    f"INSERT INTO digest_schedules ({_SCHEDULE_COLS}, updated_at) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (guild_id) DO UPDATE "
                    "SET channel_id = excluded.channel_id, at_time = excluded.at_time, "
                    "tz = excluded.tz, categories = excluded.categories, "
                    "same_day = excluded.same_day, enabled = excluded.enabled, "
                    "next_run_day = excluded.next_run_day, updated_at = excluded.updated_at",
                    (
                        s.guild_id,
                        s.channel_id,
                        s.at.replace(second=0, microsecond=0, tzinfo=None),
                        s.tz,
                        cats,
                        s.same_day,
                        s.enabled,
                        s.next_run_day,
                        now,
                    ),
                )
            ]
        )

    async def get_schedule(self, guild_id: int) -> Schedule | None:
        rows = await self._read(
            f"SELECT {_SCHEDULE_COLS} FROM digest_schedules WHERE guild_id = %s", (guild_id,)
        )
        return _schedule(rows[0]) if rows else None

    async def enabled_schedules(self) -> list[Schedule]:
        rows = await self._read(
            f"SELECT {_SCHEDULE_COLS} FROM digest_schedules WHERE enabled ORDER BY guild_id"
        )
        return [_schedule(r) for r in rows]

    async def disable(self, guild_id: int, now: datetime) -> bool:
        """Disable a schedule and cancel its pending retries; False if none was enabled."""
        changed, _ = await self._write(
            [
                (
                    "UPDATE digest_schedules SET enabled = false, updated_at = %s "
                    "WHERE guild_id = %s AND enabled",
                    (now, guild_id),
                ),
                (
                    "UPDATE digest_log SET state = 'failed', next_attempt_at = NULL, "
                    "last_error = %s, updated_at = %s WHERE guild_id = %s AND state = 'retry'",
                    (CANCELLED, now, guild_id),
                ),
            ]
        )
        return changed > 0

    async def advance(
        self,
        s: Schedule,
        digest_day: date,
        state: Literal["posting", "missed"],
        now: datetime,
        error: str | None = None,
    ) -> tuple[bool, bool]:
        """Handle the occurrence ``s.next_run_day`` in one transaction (see DigestStore.advance).

        Returns (cursor moved, row inserted).
        """
        with_claim = state == "posting"
        async with self._lock, self.conn.transaction():
            cur = await self.conn.execute(
                "UPDATE digest_schedules SET next_run_day = next_run_day + 1 "
                "WHERE guild_id = %s AND next_run_day = %s AND enabled",
                (s.guild_id, s.next_run_day),
            )
            if cur.rowcount != 1:
                return False, False
            cur = await self.conn.execute(
                "INSERT INTO digest_log (guild_id, channel_id, day, state, trigger, attempts, "
                "claimed_at, last_error, updated_at) "
                "VALUES (%s, %s, %s, %s, 'scheduled', %s, %s, %s, %s) "
                "ON CONFLICT (guild_id, channel_id, day) DO NOTHING",
                (
                    s.guild_id,
                    s.channel_id,
                    digest_day,
                    state,
                    int(with_claim),
                    now if with_claim else None,
                    error,
                    now,
                ),
            )
            return True, cur.rowcount == 1

    # ------------------------------------------------------------------ the log
    async def entry(self, guild_id: int, channel_id: int, day: date) -> LogEntry | None:
        rows = await self._read(
            f"SELECT {_LOG_COLS} FROM digest_log "
            "WHERE guild_id = %s AND channel_id = %s AND day = %s",
            (guild_id, channel_id, day),
        )
        return _entry(rows[0]) if rows else None

    async def entries(
        self, guild_id: int, states: Sequence[LogState], limit: int = 10
    ) -> list[LogEntry]:
        """A guild's log rows in ``states``, newest day first."""
        rows = await self._read(
            f"SELECT {_LOG_COLS} FROM digest_log WHERE guild_id = %s AND state = ANY(%s) "
            "ORDER BY day DESC, channel_id LIMIT %s",
            (guild_id, list(states), limit),
        )
        return [_entry(r) for r in rows]

    async def entries_in_state(self, state: LogState) -> list[LogEntry]:
        """Every row in ``state`` (all guilds), oldest day first."""
        rows = await self._read(
            f"SELECT {_LOG_COLS} FROM digest_log WHERE state = %s "
            "ORDER BY day, guild_id, channel_id",
            (state,),
        )
        return [_entry(r) for r in rows]

    async def claim(
        self,
        guild_id: int,
        channel_id: int,
        day: date,
        now: datetime,
        *,
        trigger: Trigger,
        from_states: Sequence[LogState],
    ) -> bool:
        """Mark (guild, channel, day) 'posting' if it has no row or is in ``from_states``.

        One statement; of concurrent callers on any host, exactly one wins (a loser waits for
        the winner's row, then its ``WHERE`` sees 'posting'). Returns True if claimed.
        """
        (count,) = await self._write(
            [
                (
                    "INSERT INTO digest_log (guild_id, channel_id, day, state, trigger, attempts, "
                    "claimed_at, updated_at) VALUES (%s, %s, %s, 'posting', %s, 1, %s, %s) "
                    "ON CONFLICT (guild_id, channel_id, day) DO UPDATE SET state = 'posting', "
                    "trigger = excluded.trigger, attempts = digest_log.attempts + 1, "
                    "claimed_at = excluded.claimed_at, next_attempt_at = NULL, "
                    "updated_at = excluded.updated_at "
                    "WHERE digest_log.state = ANY(%s)",
                    (guild_id, channel_id, day, trigger, now, now, list(from_states)),
                )
            ]
        )
        return count == 1

    async def finish(
        self,
        guild_id: int,
        channel_id: int,
        day: date,
        state: LogState,
        now: datetime,
        *,
        message_ids: Sequence[int] | None = None,
        error: str | None = None,
        next_attempt_at: datetime | None = None,
        expect: LogState | None = "posting",
    ) -> bool:
        """Move a claimed row to ``state``: only if it is still in ``expect`` (None: any state)."""
        (count,) = await self._write(
            [
                (
                    "UPDATE digest_log SET state = %s, updated_at = %s, last_error = %s, "
                    "next_attempt_at = %s, message_ids = coalesce(%s, message_ids), "
                    "posted_at = CASE WHEN %s = 'posted' THEN %s ELSE posted_at END "
                    "WHERE guild_id = %s AND channel_id = %s AND day = %s "
                    "AND (%s::text IS NULL OR state = %s)",
                    (
                        state,
                        now,
                        error,
                        next_attempt_at,
                        list(message_ids) if message_ids is not None else None,
                        state,
                        now,
                        guild_id,
                        channel_id,
                        day,
                        expect,
                        expect,
                    ),
                )
            ]
        )
        return count == 1
