"""The SQL of backups and checks (:mod:`index.ops.ops`): copying a live file, reading a file's
integrity and version, and the counts and postings ``kiji check`` compares. Read-only except
:func:`copy_snapshot`, which writes only its target file."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.store import pair_dfs
from index.store.schema import SCHEMA_VERSION, schema_problems
from index.store.sqlite_store import SqliteStore
from index.store.store import Conn

KIJI_TABLES = frozenset({"articles", "passages", "terms", "postings"})


def copy_snapshot(
    src: SqliteStore,
    target: Path,
    *,
    pages_per_step: int,
    step: Callable[[int, int, int], object],
) -> str:
    """Copy ``src`` to ``target`` with SQLite's online backup API, a few pages at a time, and
    return ``PRAGMA quick_check`` of the copy (``"ok"`` when sound). Raises sqlite3 errors."""
    conn = sqlite3.connect(target)
    try:
        # Hold one read transaction on the source for the whole copy: every step then reads
        # the same snapshot, so commits by other connections (WAL: never blocked by this)
        # no longer make SQLite restart the copy from page 1, which under a steady writer
        # meant never finishing. The WAL grows until the copy ends.
        with src.snapshot() as source:
            source.execute("SELECT count(*) FROM sqlite_master").fetchone()  # starts it
            source.backup(conn, pages=pages_per_step, progress=step)
        conn.execute("PRAGMA journal_mode = DELETE")
        return conn.execute("PRAGMA quick_check").fetchone()[0]
    finally:
        conn.close()


@dataclass(frozen=True)
class FileFacts:
    """What a read-only look at a database file found."""

    integrity: str  # PRAGMA integrity_check: "ok" when sound
    version: int  # PRAGMA user_version
    tables: frozenset[str]

    @property
    def is_kiji(self) -> bool:
        return self.tables >= KIJI_TABLES


def file_facts(path: Path) -> FileFacts:
    """Integrity, version and tables of a file nobody writes; raises sqlite3.DatabaseError."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        result = conn.execute("PRAGMA integrity_check").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = frozenset(
            r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        )
    finally:
        conn.close()
    return FileFacts(result, version, tables)


def readonly_facts(conn: sqlite3.Connection) -> dict[str, object]:
    """Schema version, schema problems and (when the schema is this kiji's) article and passage
    counts, through a connection opened ``mode=ro``; raises sqlite3.Error."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    facts: dict[str, object] = {"schema_version": version, "problems": []}
    if version == SCHEMA_VERSION:
        facts["problems"] = schema_problems(conn)
    if not facts["problems"]:
        facts["articles"] = conn.execute(
            "SELECT count(*) FROM articles WHERE is_stub = 0"
        ).fetchone()[0]
        facts["passages"] = conn.execute("SELECT count(*) FROM passages").fetchone()[0]
    return facts


@dataclass(frozen=True)
class PassageTotals:
    """Sums over the passages table, to compare with what ``meta`` says."""

    count: int
    length: int
    signal_lengths: dict[str, int]  # fusion signal name -> total length (index.ranking.fusion)


def passage_totals(conn: Conn) -> PassageTotals:
    n_docs, total = conn.execute("SELECT count(*), coalesce(sum(dl), 0) FROM passages").fetchone()
    signals = {
        name: conn.execute(f"SELECT coalesce(sum(dl_{name}), 0) FROM passages").fetchone()[0]
        for name in ("bigram", "pair")
    }
    return PassageTotals(n_docs, total, signals)


def passage_ids(conn: Conn) -> tuple[set[int], set[int]]:
    """The live passage ids and the tombstoned ones."""
    live = {r[0] for r in conn.execute("SELECT pid FROM passages")}
    dead = {r[0] for r in conn.execute("SELECT pid FROM tombstones")}
    return live, dead


def all_postings_ids(conn: Conn) -> Iterator[tuple[int, int, bytes]]:
    """(term id, segment, packed int32 passage ids) of every postings row, every segment."""
    yield from conn.execute("SELECT tid, seg, ids FROM postings")


def all_signal_vectors(conn: Conn) -> Iterator[tuple[int, bytes]]:
    """(passage id, packed int32 term ids) of every passage's fusion signal vector."""
    yield from conn.execute("SELECT pid, tids FROM signal_docs")


def all_terms(conn: Conn) -> Iterator[tuple[int, str, int]]:
    """(term id, term, document frequency) of the whole dictionary: every ``terms`` row, and
    each word pair in use (:mod:`index.store.pair_dfs`)."""
    yield from conn.execute("SELECT tid, term, df FROM terms")
    dfs = pair_dfs.read_all(conn)
    for b in np.flatnonzero(dfs).tolist():
        yield pair_dfs.PAIR_BASE + b, pair_dfs.term_of(b), int(dfs[b])


def term_name(tid: int) -> str:
    """A term id as a check reports it: a word pair's term, any other id as ``#tid``."""
    if pair_dfs.is_pair(np.array([tid])).all():
        return pair_dfs.term_of(tid - pair_dfs.PAIR_BASE)
    return f"#{tid}"


def passage_text(conn: Conn, pid: int) -> tuple[str, str | None, str]:
    """The title of a passage's article, the passage's heading and its text."""
    return conn.execute(
        "SELECT a.title, p.heading, substr(a.body, p.start + 1, p.end - p.start) FROM passages p "
        "JOIN articles a ON a.rowid = p.article_rowid WHERE p.pid = ?",
        (pid,),
    ).fetchone()
