"""Numbered schema steps per component, each recorded in the transaction that applies it.

The one migration helper of a kiji database, for every set of tables in the file: the index
(:mod:`index.store.schema`, version in ``PRAGMA user_version``), the feedback tables
(:mod:`index.store.feedback_store`, a ``meta`` key) and the bot's own tables (:mod:`bot.state`,
rows of ``bot_schema(component, version)``). Where each component keeps its version is part of
the file format and does not move. Knows no table of its own; works on a :mod:`sqlite3`
connection in autocommit mode (``isolation_level=None``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from index.errors import SchemaTooNew

# A step is a script (statements separated by ``;``, none inside a literal) or a function.
Step = str | Callable[[sqlite3.Connection], None]


class VersionSlot(Protocol):
    """Where a component's version is kept."""

    def read(self, conn: sqlite3.Connection) -> int: ...

    def write(self, conn: sqlite3.Connection, version: int) -> None: ...


@dataclass(frozen=True)
class UserVersion:
    """``PRAGMA user_version``: the index's version."""

    def read(self, conn: sqlite3.Connection) -> int:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])

    def write(self, conn: sqlite3.Connection, version: int) -> None:
        conn.execute(f"PRAGMA user_version = {int(version)}")


@dataclass(frozen=True)
class MetaKey:
    """A key of the index's ``meta`` table (which must exist)."""

    key: str

    def read(self, conn: sqlite3.Connection) -> int:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (self.key,)).fetchone()
        return int(row[0]) if row else 0

    def write(self, conn: sqlite3.Connection, version: int) -> None:
        conn.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (self.key, str(version)),
        )


@dataclass(frozen=True)
class ComponentRow:
    """A row of ``bot_schema(component, version)``, shared by the bot's components; each one
    only ever touches its own row."""

    component: str

    def read(self, conn: sqlite3.Connection) -> int:
        if not conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'bot_schema'"
        ).fetchone():
            return 0
        row = conn.execute(
            "SELECT version FROM bot_schema WHERE component = ?", (self.component,)
        ).fetchone()
        return int(row[0] or 0) if row else 0

    def write(self, conn: sqlite3.Connection, version: int) -> None:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS bot_schema (component TEXT PRIMARY KEY, version INTEGER)"
        )
        conn.execute(
            "INSERT INTO bot_schema(component, version) VALUES (?, ?) "
            "ON CONFLICT(component) DO UPDATE SET version = excluded.version",
            (self.component, version),
        )


@dataclass(frozen=True)
class Migrations:
    """A component's steps: step ``i`` (from 0) moves it from version ``i`` to ``i + 1``.

    :param too_new: the catalogue key (:mod:`index.messages`) of the message for a file newer
        than this code, with the fields ``found`` and ``latest``.
    """

    steps: tuple[Step, ...]
    slot: VersionSlot
    too_new: str

    @property
    def latest(self) -> int:
        return len(self.steps)


def migrate(conn: sqlite3.Connection, migrations: Migrations) -> int:
    """Apply the pending steps in order and return the version found before.

    Each step runs in its own ``BEGIN IMMEDIATE`` transaction that also records the new version,
    so a crash leaves the old or the new schema; a step another process has applied meanwhile is
    skipped. Raises :class:`SchemaTooNew` when the file is newer than ``migrations``.
    """
    found = migrations.slot.read(conn)
    if found > migrations.latest:
        raise SchemaTooNew.keyed(migrations.too_new, found=found, latest=migrations.latest)
    for version in range(found, migrations.latest):
        conn.execute("BEGIN IMMEDIATE")
        try:
            if migrations.slot.read(conn) <= version:
                step = migrations.steps[version]
                if callable(step):
                    step(conn)
                else:
                    for statement in statements(step):
                        conn.execute(statement)
                migrations.slot.write(conn, version + 1)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return found


def statements(script: str) -> list[str]:
    """Split a migration script into statements (no semicolons inside our DDL literals)."""
    lines = [ln for ln in script.splitlines() if not ln.strip().startswith("--")]
    return [stmt.strip() for stmt in "\n".join(lines).split(";") if stmt.strip()]
