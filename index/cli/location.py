"""Where a command's index is: ``--db`` / ``KIJI_DB`` as a SQLite file or a ``postgresql://``
URL, the commands that still need a file, and the errors of a PostgreSQL server."""

from __future__ import annotations

import argparse
from pathlib import Path

from index.config import CoreSettings, index_db_location

# Commands that need the index to be a SQLite file (refused with ``pg_not_yet`` on a URL).
PG_NOT_YET = frozenset({"run"})


def resolve_db(args: argparse.Namespace) -> Path | str:
    """``--db`` (a file path or a ``postgresql://`` URL: :func:`index_db_location` refuses other
    URLs), else ``$KIJI_DB`` or the default; raises UnsupportedDatabase."""
    db = getattr(args, "db", None)
    return index_db_location(str(db)) if db else CoreSettings.from_env().db_path


def is_pg_error(e: BaseException) -> bool:
    """A psycopg error (a PostgreSQL index; psycopg is imported only when one is used)."""
    return type(e).__module__.split(".")[0] == "psycopg"
