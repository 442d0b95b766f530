"""Where a command's index is: ``--db`` / ``KIJI_DB`` as a SQLite file or a ``postgresql://``
URL, ``KIJI_DB_READ`` for the commands that only read, the commands that still need a file, and
the errors of a PostgreSQL server."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path

from index.config import CoreSettings, index_db_location, read_db_location

# Commands that need the index to be a SQLite file (refused with ``pg_not_yet`` on a URL).
PG_NOT_YET: frozenset[str] = frozenset()  # none left: every command works on PostgreSQL
# Commands that only read the index: they read ``$KIJI_DB_READ`` (a replica) when it is set and
# no ``--db`` names one database for everything. ``kiji chat`` answers from it too, and records
# its votes in ``$KIJI_DB``; ``kiji run`` reads its settings itself (bot/config.py).
READ_COMMANDS = frozenset({"search", "ask", "eval", "digest"})


def resolve_db(args: argparse.Namespace) -> Path | str:
    """``--db`` (a file path or a ``postgresql://`` URL: :func:`index_db_location` refuses other
    URLs), else ``$KIJI_DB`` or the default; raises UnsupportedDatabase."""
    db = getattr(args, "db", None)
    return index_db_location(str(db)) if db else CoreSettings.from_env().db_path


def resolve_read_db(args: argparse.Namespace, env: Mapping[str, str]) -> Path | str | None:
    """Where the reads of a command go when not to its database: ``$KIJI_DB_READ``, unless
    ``--db`` was given (call before resolving it); raises UnsupportedDatabase."""
    return None if getattr(args, "db", None) else read_db_location(env)


def is_pg_error(e: BaseException) -> bool:
    """A psycopg error (a PostgreSQL index; psycopg is imported only when one is used)."""
    return type(e).__module__.split(".")[0] == "psycopg"
