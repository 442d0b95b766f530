"""Running the store's shared SQL on PostgreSQL: a connection adapter with ``execute`` and
``executemany`` like :mod:`sqlite3`'s.

The shared statements are written with ``?`` placeholders and portable SQL; :func:`to_pg` turns
``?`` into ``%s`` (escaping any ``%``), a list ``IN (?, …)`` into one array parameter, and
rewrites the few functions whose names differ (:data:`REWRITES`). Each statement is translated
once (cached).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict

from index.errors import DatabaseError

# SQLite spelling -> PostgreSQL spelling, for the functions the shared SQL needs that differ.
REWRITES: tuple[tuple[str, str], ...] = (
    ("instr(", "strpos("),  # (haystack, needle) in both
    ("group_concat(DISTINCT v.source)", "string_agg(DISTINCT v.source, ',')"),
    ("BEGIN IMMEDIATE", "BEGIN"),  # writers are serialised by an advisory lock instead
)


# ``IN (?, ?, …)`` as the shared SQL spells a list: one array parameter on PostgreSQL instead
# (``= ANY(%s)``), so the statement's text no longer depends on the list's length: psycopg parses
# it once and the server plans it once (4,000 placeholders cost 20 ms to parse and to plan).
_IN_LIST = re.compile(r"(?<!NOT )IN \((\?(?:, ?\?)*)\)")


@lru_cache(maxsize=1024)
def to_pg(sql: str, with_params: bool = True) -> tuple[str, tuple[tuple[int, int], ...]]:
    """``sql`` (SQLite dialect, ``?`` placeholders) as PostgreSQL runs it, and the lists it
    takes as arrays: (index of the first parameter, count) each (see :func:`pack`)."""
    for old, new in REWRITES:
        sql = sql.replace(old, new)
    if not with_params:
        return sql, ()
    parts: list[str] = []
    lists: list[tuple[int, int]] = []
    seen = last = 0
    for m in _IN_LIST.finditer(sql):
        before = sql[last : m.start()]
        seen += before.count("?")
        n = m.group(1).count("?")
        parts += [_marks(before), "= ANY(%s)"]
        lists.append((seen, n))
        seen += n
        last = m.end()
    parts.append(_marks(sql[last:]))
    return "".join(parts), tuple(lists)


def _marks(sql: str) -> str:
    return sql.replace("%", "%%").replace("?", "%s")


def pack(parameters: Sequence[Any], lists: tuple[tuple[int, int], ...]) -> Sequence[Any]:
    """The parameters with each list of :func:`to_pg` as one (array) parameter."""
    if not lists:
        return parameters
    out: list[Any] = []
    i = 0
    for start, n in lists:
        out += parameters[i:start]
        out.append(int_array(parameters[start : start + n]))
        i = start + n
    out += parameters[i:]
    return out


def describe(url: str) -> str:
    """``user@host:port/db`` of a URL, without its password (for error messages and logs)."""
    try:
        info = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "postgresql://?"  # not a URL libpq reads; its error says why, in the message
    host = info.get("host") or "localhost"
    return f"{info.get('user') or ''}@{host}:{info.get('port') or 5432}/{info.get('dbname') or ''}"


def connect(url: str, *, what: str = "KIJI_DB") -> psycopg.Connection:
    """An autocommit connection to ``url``; DatabaseError (without the password) when it fails."""
    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.Error as e:
        raise connect_error(url, what, e) from None


def connect_error(url: str, what: str, error: psycopg.Error) -> DatabaseError:
    """The error to raise when ``url`` (given as the setting ``what``) cannot be reached: where
    (without the password) and the first line of the server's or libpq's answer (as it says it)."""
    text = str(error).strip()
    first = text.splitlines()[0] if text else type(error).__name__
    return DatabaseError.keyed("pg_connect_failed", where=describe(url), setting=what, error=first)


def int_array(values: Sequence[Any]) -> Any:
    """A list as an array parameter: integers as the literal ``{1,2,…}`` (an untyped string the
    server reads as the array it needs: 20x faster than psycopg's per-element dumping), anything
    else as a list."""
    if values and type(values[0]) is int:
        return "{" + ",".join(map(str, values)) + "}"
    return list(values)


class PgConn:
    """A psycopg connection that takes the store's shared SQL (see :func:`to_pg`).

    ``pending`` is a ``BEGIN`` not sent yet (a snapshot that has read nothing so far): the next
    statement takes it along in the same round trip (:meth:`run`, in pipeline mode), so a
    query's read transaction costs no round trip of its own.
    """

    def __init__(self, raw: psycopg.Connection) -> None:
        self.raw = raw
        self.pending: bytes | None = None

    def run(self, query: bytes, params: Any = None, *, binary: bool = False) -> psycopg.Cursor:
        """Execute ``query`` (PostgreSQL's own SQL), after the pending ``BEGIN`` if there is one:
        both sent at once, their results read at once."""
        begin, self.pending = self.pending, None
        if begin is None:
            return self.raw.execute(query, params, binary=binary)
        with self.raw.pipeline():
            self.raw.execute(begin)
            cur = self.raw.execute(query, params, binary=binary)
        return cur  # the pipeline's end has read every result

    def flush(self) -> None:
        """Send the pending ``BEGIN`` now (before the connection is used by other means)."""
        begin, self.pending = self.pending, None
        if begin is not None:
            self.raw.execute(begin)

    def execute(self, sql: str, parameters: Any = (), /) -> psycopg.Cursor:
        if parameters:
            query, lists = to_pg(sql)
            return self.run(query.encode(), pack(parameters, lists))  # bytes: our SQL
        return self.run(to_pg(sql, False)[0].encode())

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> psycopg.Cursor:
        self.flush()
        query, lists = to_pg(sql)
        cur = self.raw.cursor()
        cur.executemany(query.encode(), (pack(p, lists) for p in parameters))
        return cur

    def close(self) -> None:
        self.raw.close()
