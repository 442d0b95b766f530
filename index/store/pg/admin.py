"""What ``kiji backup``, ``restore`` and ``doctor`` ask a PostgreSQL server: its version, kiji's
tables and their row counts, the privileges kiji needs, and emptying a failed restore's target.

Read-only except :func:`drop_tables`. The bot's state tables are named here
(:data:`STATE_TABLES`) because the core never imports the bot; a test compares them with the
tables ``bot/state`` creates.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from index.messages import Msg
from index.store.pg.schema import read_version, schema_problems
from index.store.schema import expected_columns

# The bot's tables when KIJI_STATE_DB is this database (bot/state/pg_settings.py, pg_digest.py).
STATE_TABLES = (
    "bot_schema",
    "guild_settings",
    "answer_channels",
    "asked",
    "digest_schedules",
    "digest_log",
)


# The answer-feedback tables come with the index on PostgreSQL (index.store.pg.schema).
FEEDBACK_TABLES = ("feedback_answers", "feedback_votes")


def index_tables() -> tuple[str, ...]:
    """The index's tables, as this kiji creates them on PostgreSQL."""
    return (*expected_columns(), *FEEDBACK_TABLES)


def tool_connection(url: str) -> tuple[str, dict[str, str]]:
    """How to point ``pg_dump`` / ``pg_restore`` at ``url``: a connection string without the
    password (other users can read a command line) and the environment with ``PGPASSWORD``."""
    info = {k: str(v) for k, v in conninfo_to_dict(url).items() if v is not None}
    env = dict(os.environ)
    password = info.pop("password", None)
    if password:
        env["PGPASSWORD"] = password
    return make_conninfo(**info), env


@dataclass
class ServerFacts:
    """What :func:`server_facts` found (``kiji doctor``)."""

    version_num: int  # server_version_num, e.g. 150020
    version: str  # server_version, e.g. "15.20 (Debian 15.20-0+deb12u1)"
    user: str
    database: str
    schema_version: int | None  # the index's, 0 when there is none, None when not readable
    tables: list[str]  # kiji's tables present (index and bot state)
    can_create: bool  # CREATE on the database's current schema (the first ingest needs it)
    not_writable: list[str] = field(
        default_factory=list
    )  # kiji tables without INSERT/UPDATE/DELETE
    problems: list[Msg] = field(default_factory=list)  # the index's tables vs this kiji's
    counts: dict[str, int] = field(default_factory=dict)  # articles, passages


def kiji_tables(raw: psycopg.Connection) -> list[str]:
    """kiji's tables (index, then bot state) that exist in the current schema."""
    present = set(all_tables(raw))
    return [t for t in (*index_tables(), *STATE_TABLES) if t in present]


def all_tables(raw: psycopg.Connection) -> list[str]:
    """Every table of the current schema, by name (from the catalogue: information_schema
    shows only the tables the user has some privilege on)."""
    rows = raw.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') ORDER BY c.relname"
    ).fetchall()
    return [r[0] for r in rows]


def row_counts(raw: psycopg.Connection, tables: Iterable[str]) -> dict[str, int]:
    """Exact row counts of ``tables``."""
    counts = {}
    for table in tables:
        query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
        row = raw.execute(query).fetchone()
        counts[table] = int(row[0]) if row else 0
    return counts


def index_counts(raw: psycopg.Connection) -> dict[str, int]:
    """Articles (stubs not counted, as ``kiji check`` and ``kiji stats`` count them) and
    passages of the index."""
    row = raw.execute(
        "SELECT (SELECT count(*) FROM articles WHERE is_stub = 0), (SELECT count(*) FROM passages)"
    ).fetchone()
    assert row is not None
    return {"articles": int(row[0]), "passages": int(row[1])}


def server_facts(raw: psycopg.Connection) -> ServerFacts:
    """Version, kiji's tables, privileges and counts, without writing anything. The schema is
    looked at only when kiji's tables can all be read and written (the doctor says which not)."""
    row = raw.execute(
        "SELECT current_setting('server_version_num')::int, current_setting('server_version'), "
        "current_user, current_database(), "
        "coalesce(has_schema_privilege(current_schema(), 'CREATE'), false)"
    ).fetchone()
    assert row is not None
    tables = kiji_tables(raw)
    facts = ServerFacts(
        version_num=int(row[0]),
        version=str(row[1]),
        user=str(row[2]),
        database=str(row[3]),
        schema_version=None,
        tables=tables,
        can_create=bool(row[4]),
    )
    for table in tables:  # one privilege at a time: with a list, any one of them is enough
        held = raw.execute(
            "SELECT has_table_privilege(%s, 'SELECT') AND has_table_privilege(%s, 'INSERT') "
            "AND has_table_privilege(%s, 'UPDATE') AND has_table_privilege(%s, 'DELETE')",
            (table,) * 4,
        ).fetchone()
        if not (held and held[0]):
            facts.not_writable.append(table)
    if facts.not_writable:
        return facts
    facts.schema_version = read_version(raw)
    if facts.schema_version:
        facts.problems = schema_problems(raw)
        if not facts.problems:
            facts.counts = index_counts(raw)
    return facts


def drop_tables(raw: psycopg.Connection, tables: Iterable[str]) -> None:
    """Drop ``tables`` (what a failed restore put into an empty database), in one transaction."""
    with raw.transaction():
        for table in tables:
            raw.execute(sql.SQL("DROP TABLE IF EXISTS {} CASCADE").format(sql.Identifier(table)))


def major(version_num: int) -> int:
    """The major version of ``server_version_num`` (150020 → 15)."""
    return version_num // 10000
