"""The bot's own state: its tables in the kiji database, and all of the bot's SQL.

Owns per-guild settings and answer channels, the questions remembered behind persistent
buttons (``settings``), and digest schedules with the exactly-once digest log (``digest``).
The tables live in the same SQLite file as the index, on connections of their own (aiosqlite);
with ``KIJI_STATE_DB=postgresql://…`` they live in PostgreSQL instead (``pg_settings``,
``pg_digest``: the same interfaces, picked by ``SettingsStore.open`` and :func:`open_digest_store`);
each component's version is a row of ``bot_schema``, migrated by the core's one helper
(:mod:`index.store.migrations`, see ``schema``). Answer feedback is not here: its tables are
the core's (``index.store.feedback_store``), shared with ``kiji chat``. May import ``index``;
nothing in ``index`` imports it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from bot.state.digest import DigestStore, LogEntry, LogState, Schedule, Trigger
from bot.state.pg import is_postgres
from bot.state.settings import GuildSettings, SettingsStore, Visibility

if TYPE_CHECKING:
    from bot.state.pg_digest import PgDigestStore

    DigestBackend = DigestStore | PgDigestStore


async def open_digest_store(location: str | Path) -> DigestBackend:
    """The digest schedules and log at ``location``: PostgreSQL for a ``postgresql://`` URL,
    else the SQLite file (the kiji database)."""
    if isinstance(location, str) and is_postgres(location):
        from bot.state.pg_digest import PgDigestStore

        return await PgDigestStore.open(location)
    return await DigestStore.open(location)


__all__ = [
    "DigestBackend",
    "DigestStore",
    "GuildSettings",
    "LogEntry",
    "LogState",
    "Schedule",
    "SettingsStore",
    "Trigger",
    "Visibility",
    "is_postgres",
    "open_digest_store",
]
