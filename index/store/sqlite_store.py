"""SqliteStore: the index in one SQLite file (the default backend of :class:`IndexStore`).

Reads happen on the store's own connection; every write goes through :meth:`SqliteStore.transaction`
(``BEGIN IMMEDIATE`` … ``COMMIT``), so a crash leaves the last committed state. The file is in WAL
mode: readers in other connections or processes keep a consistent snapshot while a writer works.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Literal, cast

from index.errors import DatabaseError
from index.messages import Msg
from index.store import dblock
from index.store.schema import SCHEMA_VERSION, migrate, schema_problems
from index.store.store import IndexStore

BUSY_TIMEOUT_MS = 10_000
WAL_PAGES = 16_000  # pages the WAL may hold before a commit copies them back (64 MB of 4 KiB)
PAGE_CACHE_KB = 16_000  # SQLite's page cache per connection, unless it only searches:
# A searching connection reads each postings blob once per query (the searcher keeps the common
# terms' postings decoded, the OS keeps the file's pages): 16 MB of page cache were 16 MB of a
# serving process's private memory, for no measurable speed.
SEARCH_PAGE_CACHE_KB = 4_000


class SqliteStore(IndexStore):
    """One connection to a kiji database file. Not shareable across threads: open one per thread."""

    backend = "sqlite"

    def __init__(self, conn: sqlite3.Connection, path: Path | None = None) -> None:
        super().__init__(conn, path)
        self._lock_key: str | None = None  # this process's shared use of the file (dblock)
        self._writes = False  # tuned for writes: keeps the larger page cache

    @property
    def sqlite(self) -> sqlite3.Connection:
        """The connection, typed as what it is (backups, schema checks)."""
        return cast(sqlite3.Connection, self.conn)

    # ------------------------------------------------------------------ opening and closing
    @classmethod
    def open_file(
        cls, path: str | Path, *, create: bool = True, readonly: bool = False, lock: bool = True
    ) -> SqliteStore:
        """Open (and create or migrate) the database at ``path``.

        While it is open, this process holds a shared lock on ``<path>.lock``
        (:mod:`index.store.dblock`), so ``kiji restore`` refuses to replace the file under it; ``lock``
        is False only for a file no other process can know about (a restore's candidate copy).

        Raises :class:`DatabaseError` with an explanation for a file that is not a kiji
        database, is truncated or corrupted, and :class:`SchemaTooNew` for a newer schema.
        """
        path = Path(path).expanduser()
        # The header is checked by SQLite, never by reading the file here: closing any other
        # descriptor of the file drops this process's POSIX locks on it, and another process's
        # writer may then take itself for the last connection and checkpoint and delete the WAL
        # under our readers (sqlite.org/howtocorrupt.html §2.2).
        if not path.exists():
            if not create or readonly:
                raise DatabaseError.keyed("db_missing", path=path)
            path.parent.mkdir(parents=True, exist_ok=True)
        lock_key = dblock.acquire_shared(path) if lock else None
        conn: sqlite3.Connection | None = None
        try:
            if readonly:
                conn = sqlite3.connect(
                    f"file:{path}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
                )
            else:
                conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if not readonly:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute(f"PRAGMA cache_size = -{PAGE_CACHE_KB}")
            conn.execute("PRAGMA temp_store = MEMORY")
            if readonly:
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                if version != SCHEMA_VERSION:
                    expected = SCHEMA_VERSION
                    raise DatabaseError.keyed(
                        "db_schema_other", path=path, version=version, expected=expected
                    )
            else:
                migrate(conn)
        except BaseException as e:
            if conn is not None:
                conn.close()
            dblock.release_shared(lock_key)
            if not isinstance(e, sqlite3.DatabaseError):
                raise
            if "file is not a database" in str(e):
                raise DatabaseError.keyed("db_not_sqlite", path=path) from e
            raise DatabaseError.keyed("db_not_opened", path=path, error=e) from e
        store = cls(conn, path)
        store._lock_key = lock_key
        return store

    def close(self) -> None:
        """Close the connection; closing twice is safe."""
        if not self._closed:
            self._closed = True
            self.sqlite.close()
            dblock.release_shared(self._lock_key)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: ``BEGIN IMMEDIATE``, then ``COMMIT``, or ``ROLLBACK`` on error."""
        conn = self.sqlite
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: every read inside sees the same committed state."""
        conn = self.sqlite
        if conn.in_transaction:
            yield conn
            return
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")

    def checkpoint(self, mode: Literal["PASSIVE", "TRUNCATE"] = "PASSIVE") -> None:
        """Copy the WAL back into the file: PASSIVE without waiting on readers, TRUNCATE also
        empties the WAL (after a bulk write)."""
        self.conn.execute(f"PRAGMA wal_checkpoint({mode})")

    def data_version(self) -> int:
        """Changes whenever anyone commits: another connection (``PRAGMA data_version``) or this
        one (``total_changes``). Cheap; readers call it per query to refresh their caches."""
        other = self.conn.execute("PRAGMA data_version").fetchone()[0]
        return (other << 32) ^ self.sqlite.total_changes

    def tune_for_writes(self) -> None:
        # One article's commit dirties ~2,000 pages spread over the postings and terms b-trees;
        # copying them back into the file at that commit (SQLite's default: past 1,000 pages)
        # doubled the write. settle() copies them back after the write instead; this bound
        # keeps the WAL small where nobody settles (between the batches of a bulk ingest).
        self.conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_PAGES}")
        self.conn.execute(f"PRAGMA cache_size = -{PAGE_CACHE_KB}")
        self._writes = True

    def tune_for_reads(self) -> None:
        if not self._writes:
            self.conn.execute(f"PRAGMA cache_size = -{SEARCH_PAGE_CACHE_KB}")

    def mean_raw_idf(self, n_docs: int) -> float | None:
        """Mean of ln((N − df + 0.5) / (df + 0.5)) over every term in use, summed by SQLite in
        one pass (no Python object per term: 1.7M terms took 1.2 s and 30 MB as an array);
        None where SQLite was built without its math functions (then use :meth:`all_dfs`)."""
        try:
            return super().mean_raw_idf(n_docs)
        except sqlite3.OperationalError:  # no such function: ln
            return None

    def next_id(self, conn, table: str, column: str) -> int:
        # AUTOINCREMENT never reuses an id (tombstoned passage ids stay in old segments), so
        # explicit ids continue after the highest ever handed out.
        seq = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = ?", (table,)).fetchone()
        top = conn.execute(f"SELECT max({column}) FROM {table}").fetchone()[0]
        return max(seq[0] if seq else 0, top or 0) + 1

    def insert_rows(
        self, conn, table: str, columns: Sequence[str], rows: Iterable[Sequence[object]]
    ) -> None:
        marks = ", ".join("?" * len(columns))
        conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)

    def set_high_water(self, conn, table: str, value: int) -> None:
        if conn.execute("SELECT 1 FROM sqlite_sequence WHERE name = ?", (table,)).fetchone():
            conn.execute(
                "UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = ?", (value, table)
            )
        else:
            conn.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (table, value))

    def has_table(self, name: str) -> bool:
        row = self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
        ).fetchone()
        return row is not None

    def schema_problems(self) -> list[Msg]:
        return schema_problems(self.sqlite)

    def size_bytes(self) -> int:
        size = 0
        if self.path is not None:
            for suffix in ("", "-wal"):
                p = Path(str(self.path) + suffix)
                if p.exists():
                    size += p.stat().st_size
        if size:
            return size
        page_size = self.conn.execute("PRAGMA page_size").fetchone()[0]
        return page_size * self.conn.execute("PRAGMA page_count").fetchone()[0]

    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]
