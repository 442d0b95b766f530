"""Persistence of digest schedules and the digest log (the exactly-once record), via aiosqlite.

The tables live in the kiji database file next to the index. Their version is kept in the shared
``bot_schema(component, version)`` table under component ``"digest"`` (:mod:`bot.state.schema`).

All SQL of the scheduler is here; :mod:`bot.scheduler` holds the rules. Every write is one
``BEGIN IMMEDIATE`` transaction behind an ``asyncio.Lock`` (one connection is shared by every
coroutine of the process; other processes are serialised by SQLite's own lock).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Literal

import aiosqlite

from bot.state import schema
from index.messages import Msg

log = logging.getLogger(__name__)

LogState = Literal["posting", "posted", "retry", "failed", "missed", "uncertain"]
Trigger = Literal["scheduled", "manual"]

# last_error of the retries a disabled schedule cancels (a catalogue message, read with
# index.messages.stored_text like every error the digest log keeps)
CANCELLED = Msg("digest_err_cancelled").dumps()


class DigestStoreClosed(RuntimeError):
    """The digest store was used after :meth:`DigestStore.close`."""


@dataclass(frozen=True)
class Schedule:
    guild_id: int
    channel_id: int
    at: time
    tz: str
    categories: tuple[str, ...] | None
    same_day: bool  # True: the run on day D posts D's digest; False (default): D − 1's
    enabled: bool
    next_run_day: date  # local date (in tz) of the next occurrence not yet handled


@dataclass(frozen=True)
class LogEntry:
    """One (guild, channel, day) row of the digest log."""

    guild_id: int
    channel_id: int
    day: date
    state: LogState
    trigger: Trigger
    attempts: int
    message_ids: tuple[int, ...]
    claimed_at: datetime | None
    posted_at: datetime | None
    next_attempt_at: datetime | None
    last_error: str | None  # Msg.dumps() (older rows: English text); see stored_text


def _ts(dt: datetime | None) -> str | None:
    return dt.astimezone(UTC).isoformat() if dt is not None else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


_LOG_COLS = (
    "guild_id, channel_id, day, state, trigger, attempts, message_ids, claimed_at, posted_at, "
    "next_attempt_at, last_error"
)
_SCHEDULE_COLS = "guild_id, channel_id, at_time, tz, categories, same_day, enabled, next_run_day"


def _entry(row: Sequence) -> LogEntry:
    return LogEntry(
        guild_id=row[0],
        channel_id=row[1],
        day=date.fromisoformat(row[2]),
        state=row[3],
        trigger=row[4],
        attempts=row[5],
        message_ids=tuple(json.loads(row[6] or "[]")),
        claimed_at=_dt(row[7]),
        posted_at=_dt(row[8]),
        next_attempt_at=_dt(row[9]),
        last_error=row[10],
    )


def _schedule(row: Sequence) -> Schedule:
    cats = json.loads(row[4]) if row[4] is not None else None
    return Schedule(
        guild_id=row[0],
        channel_id=row[1],
        at=time.fromisoformat(row[2]),
        tz=row[3],
        categories=tuple(cats) if cats is not None else None,
        same_day=bool(row[5]),
        enabled=bool(row[6]),
        next_run_day=date.fromisoformat(row[7]),
    )


class DigestStore(schema.Component[aiosqlite.Connection]):
    """Schedules and the digest log in one SQLite file. Open with ``await DigestStore.open(path)``."""

    closed_error = DigestStoreClosed

    def __init__(self, conn: aiosqlite.Connection) -> None:
        super().__init__(conn)
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: str | Path) -> DigestStore:
        """Connect, create or migrate the digest tables; raises SchemaTooNew for a newer file."""
        return cls(await schema.connect(path, schema.DIGEST))

    async def _write(self, statements: Sequence[tuple[str, Sequence]]) -> list[int]:
        """Run statements in one transaction; returns each one's rowcount."""
        async with self._lock:
            conn = self.conn
            await conn.execute("BEGIN IMMEDIATE")
            try:
                counts = []
                for sql, params in statements:
                    cur = await conn.execute(sql, params)
                    counts.append(cur.rowcount)
                await conn.execute("COMMIT")
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            return counts

    async def _read(self, sql: str, params: Sequence = ()) -> list[Sequence]:
        async with self._lock:
            cur = await self.conn.execute(sql, params)
            return list(await cur.fetchall())

    # ------------------------------------------------------------------ schedules
    async def save_schedule(self, s: Schedule, now: datetime) -> None:
        cats = (
            json.dumps(list(s.categories), ensure_ascii=False) if s.categories is not None else None
        )
        await self._write(
            [
                (
                    f"INSERT INTO digest_schedules ({_SCHEDULE_COLS}, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(guild_id) DO UPDATE SET "
                    "channel_id = excluded.channel_id, at_time = excluded.at_time, "
                    "tz = excluded.tz, categories = excluded.categories, "
                    "same_day = excluded.same_day, enabled = excluded.enabled, "
                    "next_run_day = excluded.next_run_day, updated_at = excluded.updated_at",
                    (
                        s.guild_id,
                        s.channel_id,
                        s.at.strftime("%H:%M"),
                        s.tz,
                        cats,
                        int(s.same_day),
                        int(s.enabled),
                        s.next_run_day.isoformat(),
                        _ts(now),
                    ),
                )
            ]
        )

    async def get_schedule(self, guild_id: int) -> Schedule | None:
        rows = await self._read(
            f"SELECT {_SCHEDULE_COLS} FROM digest_schedules WHERE guild_id = ?", (guild_id,)
        )
        return _schedule(rows[0]) if rows else None

    async def enabled_schedules(self) -> list[Schedule]:
        rows = await self._read(
            f"SELECT {_SCHEDULE_COLS} FROM digest_schedules WHERE enabled = 1 ORDER BY guild_id"
        )
        return [_schedule(r) for r in rows]

    async def disable(self, guild_id: int, now: datetime) -> bool:
        """Disable a schedule and cancel its pending retries; False if none was enabled."""
        changed, _ = await self._write(
            [
                (
                    "UPDATE digest_schedules SET enabled = 0, updated_at = ? "
                    "WHERE guild_id = ? AND enabled = 1",
                    (_ts(now), guild_id),
                ),
                (
                    "UPDATE digest_log SET state = 'failed', next_attempt_at = NULL, "
                    "last_error = ?, updated_at = ? WHERE guild_id = ? AND state = 'retry'",
                    (CANCELLED, _ts(now), guild_id),
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
        """Handle the occurrence ``s.next_run_day`` in one transaction.

        Moves the cursor to the next day, only if it is still where ``s`` saw it (so two ticks
        never both handle one occurrence), and then inserts the log row for (guild, channel,
        ``digest_day``) in ``state`` unless one exists. Returns (cursor moved, row inserted).
        """
        with_claim = state == "posting"
        moved, inserted = await self._write(
            [
                (
                    "UPDATE digest_schedules SET next_run_day = date(next_run_day, '+1 day') "
                    "WHERE guild_id = ? AND next_run_day = ? AND enabled = 1",
                    (s.guild_id, s.next_run_day.isoformat()),
                ),
                (
                    "INSERT INTO digest_log (guild_id, channel_id, day, state, trigger, attempts, "
                    "claimed_at, last_error, updated_at) "
                    "SELECT ?, ?, ?, ?, 'scheduled', ?, ?, ?, ? WHERE changes() = 1 "
                    "ON CONFLICT(guild_id, channel_id, day) DO NOTHING",
                    (
                        s.guild_id,
                        s.channel_id,
                        digest_day.isoformat(),
                        state,
                        int(with_claim),
                        _ts(now) if with_claim else None,
                        error,
                        _ts(now),
                    ),
                ),
            ]
        )
        return moved == 1, inserted == 1

    # ------------------------------------------------------------------ the log
    async def entry(self, guild_id: int, channel_id: int, day: date) -> LogEntry | None:
        rows = await self._read(
            f"SELECT {_LOG_COLS} FROM digest_log WHERE guild_id = ? AND channel_id = ? AND day = ?",
            (guild_id, channel_id, day.isoformat()),
        )
        return _entry(rows[0]) if rows else None

    async def entries(
        self, guild_id: int, states: Sequence[LogState], limit: int = 10
    ) -> list[LogEntry]:
        """A guild's log rows in ``states``, newest day first."""
        marks = ",".join("?" * len(states))
        rows = await self._read(
            f"SELECT {_LOG_COLS} FROM digest_log WHERE guild_id = ? AND state IN ({marks}) "
            "ORDER BY day DESC, channel_id LIMIT ?",
            (guild_id, *states, limit),
        )
        return [_entry(r) for r in rows]

    async def entries_in_state(self, state: LogState) -> list[LogEntry]:
        """Every row in ``state`` (all guilds), oldest day first."""
        rows = await self._read(
            f"SELECT {_LOG_COLS} FROM digest_log WHERE state = ? "
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

        One transaction; exactly one concurrent caller wins. Returns True if claimed.
        """
        marks = ",".join("?" * len(from_states)) or "NULL"
        (count,) = await self._write(
            [
                (
                    "INSERT INTO digest_log (guild_id, channel_id, day, state, trigger, attempts, "
                    "claimed_at, updated_at) VALUES (?, ?, ?, 'posting', ?, 1, ?, ?) "
                    "ON CONFLICT(guild_id, channel_id, day) DO UPDATE SET state = 'posting', "
                    "trigger = excluded.trigger, attempts = digest_log.attempts + 1, "
                    "claimed_at = excluded.claimed_at, next_attempt_at = NULL, "
                    "updated_at = excluded.updated_at "
                    f"WHERE digest_log.state IN ({marks})",
                    (
                        guild_id,
                        channel_id,
                        day.isoformat(),
                        trigger,
                        _ts(now),
                        _ts(now),
                        *from_states,
                    ),
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
        sets = ["state = ?", "updated_at = ?", "last_error = ?", "next_attempt_at = ?"]
        params: list = [state, _ts(now), error, _ts(next_attempt_at)]
        if message_ids is not None:
            sets.append("message_ids = ?")
            params.append(json.dumps(list(message_ids)))
        if state == "posted":
            sets.append("posted_at = ?")
            params.append(_ts(now))
        where = "guild_id = ? AND channel_id = ? AND day = ?"
        keys: list = [guild_id, channel_id, day.isoformat()]
        if expect is not None:
            where += " AND state = ?"
            keys.append(expect)
        (count,) = await self._write(
            [(f"UPDATE digest_log SET {', '.join(sets)} WHERE {where}", (*params, *keys))]
        )
        return count == 1
