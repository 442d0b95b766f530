"""The bot's own state: its tables in the kiji database, and all of the bot's SQL.

Owns per-guild settings and answer channels, the questions remembered behind persistent
buttons (``settings``), and digest schedules with the exactly-once digest log (``digest``).
The tables live in the same SQLite file as the index, on connections of their own (aiosqlite);
each component's version is a row of ``bot_schema``, migrated by the core's one helper
(:mod:`index.store.migrations`, see ``schema``). Answer feedback is not here: its tables are
the core's (``index.store.feedback_store``), shared with ``kiji chat``. May import ``index``;
nothing in ``index`` imports it.
"""

from bot.state.digest import DigestStore, LogEntry, LogState, Schedule, Trigger
from bot.state.settings import GuildSettings, SettingsStore, Visibility

__all__ = [
    "DigestStore",
    "GuildSettings",
    "LogEntry",
    "LogState",
    "Schedule",
    "SettingsStore",
    "Trigger",
    "Visibility",
]
