"""The SQLite schema of a kiji database and its forward migrations (``PRAGMA user_version``)."""

from __future__ import annotations

import sqlite3

from index.errors import DatabaseError
from index.messages import Msg
from index.store import doctable, migrations, pair_dfs, vectors


def _v2_doc_chunks(conn: sqlite3.Connection) -> None:
    """1 -> 2: packed per-passage arrays, filled from the passages already indexed (by the next
    step, which adds the columns :func:`doctable.rebuild` reads)."""
    conn.execute(doctable.DDL)


def _v3_fusion_signals(conn: sqlite3.Connection) -> None:
    """2 -> 3: per-passage lengths of the fusion signals (index.ranking.fusion). The signal postings of
    passages indexed before are missing: ``signals_missing_below`` marks them until
    ``kiji optimize`` backfills them (queries rank by plain BM25 meanwhile)."""

    def columns(table: str) -> set[str]:
        return {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}

    have = columns("passages")
    for name in ("dl_bigram", "dl_pair"):
        if name not in have:
            conn.execute(f"ALTER TABLE passages ADD COLUMN {name} INTEGER NOT NULL DEFAULT 0")
    if "sdls" not in columns("doc_chunks"):
        conn.execute(doctable.SIGNAL_DDL)
    if conn.execute("SELECT count(*) FROM doc_chunks").fetchone()[0] == 0:
        doctable.rebuild(conn)  # coming from schema 1 (or an empty database: a no-op)
    top = conn.execute("SELECT max(pid) FROM passages").fetchone()[0]
    seq = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'passages'").fetchone()
    below = max(top or 0, seq[0] if seq else 0) + 1
    if top is not None:
        conn.execute(
            "INSERT INTO meta(key, value) VALUES ('signals_missing_below', ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (str(below),),
        )


def _v4_signal_vectors(conn: sqlite3.Connection) -> None:
    """3 -> 4: the fusion signals' postings become per-passage rows (:mod:`index.store.vectors`)."""
    conn.execute(vectors.DDL)
    vectors.invert_postings(
        conn, lambda rows: conn.executemany("INSERT INTO signal_docs VALUES (?, ?, ?)", rows)
    )


def _v5_pair_dfs(conn: sqlite3.Connection) -> None:
    """4 -> 5: the word pairs' dfs as one dense array (:mod:`index.store.pair_dfs`)."""
    conn.execute(pair_dfs.DDL)
    vectors.move_pairs_out(conn)


# Each step moves the file from version i to i + 1 (applied by index.store.migrations, in the
# transaction that records the new user_version).
MIGRATIONS: tuple[migrations.Step, ...] = (
    # 0 -> 1: articles, passages, the term dictionary and packed postings segments.
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE articles (
        rowid INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        url TEXT NOT NULL DEFAULT '',
        url_norm TEXT,
        title TEXT NOT NULL,
        title_norm TEXT NOT NULL,
        published_at TEXT,
        published_ts REAL,
        category TEXT,
        source TEXT,
        is_stub INTEGER NOT NULL DEFAULT 0,
        body TEXT NOT NULL,
        meta TEXT NOT NULL DEFAULT '{}',
        content_hash TEXT NOT NULL,
        added_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX articles_url_norm ON articles(url_norm);
    CREATE INDEX articles_published ON articles(published_ts);
    CREATE INDEX articles_title_norm ON articles(title_norm);
    CREATE TABLE passages (
        pid INTEGER PRIMARY KEY AUTOINCREMENT,
        article_rowid INTEGER NOT NULL REFERENCES articles(rowid),
        ordinal INTEGER NOT NULL,
        heading TEXT,
        start INTEGER NOT NULL,
        end INTEGER NOT NULL,
        dl INTEGER NOT NULL
    );
    CREATE INDEX passages_article ON passages(article_rowid);
    CREATE TABLE terms (tid INTEGER PRIMARY KEY, term TEXT NOT NULL UNIQUE, df INTEGER NOT NULL);
    -- One row per (term, segment): int32 passage ids (ascending) and uint16 term counts, packed.
    -- Segment 0 is the merged main segment; each ingest batch appends a small segment.
    CREATE TABLE postings (
        tid INTEGER NOT NULL,
        seg INTEGER NOT NULL,
        ids BLOB NOT NULL,
        tfs BLOB NOT NULL,
        PRIMARY KEY (tid, seg)
    );
    CREATE INDEX postings_seg ON postings(seg);
    -- Passages deleted since the last full compaction; their ids may still sit in postings.
    CREATE TABLE tombstones (pid INTEGER PRIMARY KEY);
    CREATE TABLE feeds (
        url TEXT PRIMARY KEY, title TEXT, etag TEXT, last_modified TEXT, added_at TEXT NOT NULL,
        last_polled_at TEXT, last_success_at TEXT, last_error TEXT,
        error_count INTEGER NOT NULL DEFAULT 0, next_poll_at TEXT,
        items_ingested INTEGER NOT NULL DEFAULT 0, guild_id INTEGER
    );
    CREATE TABLE feed_items (
        feed_url TEXT NOT NULL, guid TEXT NOT NULL, url_norm TEXT, content_hash TEXT,
        article_id TEXT, seen_at TEXT NOT NULL, PRIMARY KEY (feed_url, guid)
    );
    """,
    _v2_doc_chunks,
    _v3_fusion_signals,
    _v4_signal_vectors,
    _v5_pair_dfs,
)

SCHEMA_VERSION = len(MIGRATIONS)

INDEX = migrations.Migrations(
    MIGRATIONS,
    migrations.UserVersion(),
    "schema_index_too_new",
)


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the database to :data:`SCHEMA_VERSION`; returns the version found before."""
    try:
        conn.execute("PRAGMA user_version").fetchone()
    except sqlite3.DatabaseError as e:
        raise DatabaseError.keyed("db_unreadable_sqlite", error=e) from e
    return migrations.migrate(conn, INDEX)


def _columns(conn: sqlite3.Connection) -> dict[str, list[tuple[str, str, int, int]]]:
    """Each table's columns as (name, declared type, not null, primary key position)."""
    tables = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    return {
        t: [(r[1], r[2].upper(), r[3], r[5]) for r in conn.execute(f'PRAGMA table_info("{t}")')]
        for t in tables
    }


_EXPECTED: dict[str, list[tuple[str, str, int, int]]] | None = None


def expected_columns() -> dict[str, list[tuple[str, str, int, int]]]:
    """The tables and columns of a database built by this kiji (migrated in memory once)."""
    global _EXPECTED
    if _EXPECTED is None:
        conn = sqlite3.connect(":memory:", isolation_level=None)
        try:
            migrate(conn)
            _EXPECTED = _columns(conn)
        finally:
            conn.close()
    return _EXPECTED


def schema_problems(conn: sqlite3.Connection) -> list[Msg]:
    """How the kiji tables of ``conn`` differ from this kiji's schema (empty when they match).

    Tables kiji does not define (the bot's settings and digest tables) are not compared here.
    """
    found = _columns(conn)
    problems = []
    for table, columns in expected_columns().items():
        have = found.get(table)
        if have is None:
            problems.append(Msg("schema_table_missing", {"table": table}))
        elif have != columns:
            names = ", ".join(c[0] for c in have)
            want = ", ".join(c[0] for c in columns)
            if names == want:
                problems.append(Msg("schema_table_types", {"table": table}))
            else:
                params = {"table": table, "names": names, "want": want}
                problems.append(Msg("schema_table_columns", params))
    return problems
