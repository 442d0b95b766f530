"""IndexStore: the SQLite file that holds articles, passages, the term dictionary and postings.

Reads happen on the store's own connection; every write goes through :meth:`IndexStore.transaction`
(``BEGIN IMMEDIATE`` … ``COMMIT``), so a crash leaves the last committed state. The file is in WAL
mode: readers in other connections or processes keep a consistent snapshot while a writer works.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Literal

import numpy as np

from index.analysis.tokenizer import JapaneseTokenizer
from index.errors import DatabaseError
from index.models import Article, ArticleLink, IngestReport, StoredArticle, normalize_title
from index.store import dblock, doctable
from index.store.schema import SCHEMA_VERSION, migrate
from index.store.writer import BatchWriter, ingest_articles

log = logging.getLogger(__name__)

SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 10_000


def parse_dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class IndexStore:
    """One connection to a kiji database. Not shareable across threads: open one per thread."""

    def __init__(self, conn: sqlite3.Connection, path: Path | None = None) -> None:
        self.conn = conn
        self.path = path
        self._closed = False
        self._lock_key: str | None = None  # this process's shared use of the file (dblock)

    # ------------------------------------------------------------------ opening and closing
    @classmethod
    def open(
        cls, path: str | Path, *, create: bool = True, readonly: bool = False, lock: bool = True
    ) -> IndexStore:
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
                raise DatabaseError(f"no database at {path} (run `kiji ingest` to create one)")
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
            conn.execute("PRAGMA cache_size = -16000")  # 16 MB: serving RSS stays under 300 MB
            conn.execute("PRAGMA temp_store = MEMORY")
            if readonly:
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                if version != SCHEMA_VERSION:
                    raise DatabaseError(
                        f"{path} has schema version {version}, expected {SCHEMA_VERSION}; "
                        "open it once read-write to migrate"
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
                raise DatabaseError(
                    f"{path} is not a SQLite database (wrong header); "
                    "point --db / KIJI_DB at a kiji database or restore a backup"
                ) from e
            raise DatabaseError(
                f"{path} could not be opened as a kiji database ({e}); "
                "run `kiji check` or restore a backup with `kiji restore`"
            ) from e
        store = cls(conn, path)
        store._lock_key = lock_key
        return store

    def close(self) -> None:
        """Close the connection; closing twice is safe."""
        if not self._closed:
            self._closed = True
            self.conn.close()
            dblock.release_shared(self._lock_key)

    def __enter__(self) -> IndexStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: ``BEGIN IMMEDIATE``, then ``COMMIT``, or ``ROLLBACK`` on error."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    @contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: every read inside sees the same committed state."""
        if self.conn.in_transaction:
            yield self.conn
            return
        self.conn.execute("BEGIN")
        try:
            yield self.conn
        finally:
            self.conn.execute("COMMIT")

    # ------------------------------------------------------------------ meta
    def meta(self) -> dict[str, str]:
        return dict(self.conn.execute("SELECT key, value FROM meta").fetchall())

    def meta_int(self, key: str, default: int = 0) -> int:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return int(row[0]) if row else default

    def set_meta(self, items: dict[str, object]) -> None:
        self.conn.executemany(
            "INSERT INTO meta(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [(k, str(v)) for k, v in items.items()],
        )

    def checkpoint(self, mode: Literal["PASSIVE", "TRUNCATE"] = "PASSIVE") -> None:
        """Copy the WAL back into the file: PASSIVE without waiting on readers, TRUNCATE also
        empties the WAL (after a bulk write)."""
        self.conn.execute(f"PRAGMA wal_checkpoint({mode})")

    def data_version(self) -> int:
        """Changes whenever anyone commits: another connection (``PRAGMA data_version``) or this
        one (``total_changes``). Cheap; readers call it per query to refresh their caches."""
        other = self.conn.execute("PRAGMA data_version").fetchone()[0]
        return (other << 32) ^ self.conn.total_changes

    # ------------------------------------------------------------------ postings (read side)
    def lookup_terms(self, terms: Sequence[str]) -> list[tuple[int, str, int]]:
        """(tid, term, df) of the given terms that are in the dictionary."""
        if not terms:
            return []
        marks = ",".join("?" * len(terms))
        return self.conn.execute(
            f"SELECT tid, term, df FROM terms WHERE term IN ({marks})", list(terms)
        ).fetchall()

    def postings(self, tid: int, min_seg: int = 0) -> list[tuple[int, bytes, bytes]]:
        """(seg, ids, tfs) rows of one term, main segment first."""
        return self.conn.execute(
            "SELECT seg, ids, tfs FROM postings WHERE tid = ? AND seg >= ? ORDER BY seg",
            (tid, min_seg),
        ).fetchall()

    def postings_by_term(
        self, terms: Sequence[str], max_df: float
    ) -> list[tuple[str, int, bytes, bytes]]:
        """(term, df, ids, tfs) of every segment of the given terms in at most ``max_df``
        passages, in one statement (the fusion signals' look-up)."""
        if not terms:
            return []
        marks = ",".join("?" * len(terms))
        return self.conn.execute(
            "SELECT t.term, t.df, p.ids, p.tfs FROM terms t JOIN postings p ON p.tid = t.tid "
            f"WHERE t.term IN ({marks}) AND t.df > 0 AND t.df <= ?",
            [*terms, max_df],
        ).fetchall()

    def mean_raw_idf(self, n_docs: int) -> float | None:
        """Mean of ln((N − df + 0.5) / (df + 0.5)) over every term in use, summed by SQLite in
        one pass (no Python object per term: 1.7M terms took 1.2 s and 30 MB as an array);
        None where SQLite was built without its math functions (then use :meth:`all_dfs`)."""
        try:
            count, total = self.conn.execute(
                "SELECT count(*), sum(ln((? - df + 0.5) / (df + 0.5))) FROM terms WHERE df > 0",
                (n_docs,),
            ).fetchone()
        except sqlite3.OperationalError:  # no such function: ln
            return None
        return float(total) / count if count else 0.0

    def all_dfs(self) -> np.ndarray:
        """Document frequency of every term in use (for BM25Okapi's mean idf)."""
        rows = self.conn.execute("SELECT df FROM terms WHERE df > 0").fetchall()
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def load_docs(self, after_pid: int = 0) -> tuple[np.ndarray, ...]:
        """Arrays (pid, dl, published_ts, is_stub, article_rowid, signal lengths) of passages
        with pid > after_pid."""
        return doctable.load(self.conn, after_pid)

    def tombstones(self) -> np.ndarray:
        rows = self.conn.execute("SELECT pid FROM tombstones").fetchall()
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def passage_rows(self, pids: Sequence[int]) -> dict[int, tuple]:
        """pid → (heading, start, end, text, article fields …) for building hits."""
        if not pids:
            return {}
        marks = ",".join("?" * len(pids))
        rows = self.conn.execute(
            "SELECT p.pid, p.heading, p.start, p.end, substr(a.body, p.start + 1, p.end - p.start), "
            "a.id, a.title, a.url, a.published_at, a.category, a.is_stub "
            f"FROM passages p JOIN articles a ON a.rowid = p.article_rowid WHERE p.pid IN ({marks})",
            list(pids),
        ).fetchall()
        return {r[0]: r[1:] for r in rows}

    # ------------------------------------------------------------------ articles (read side)
    _ARTICLE_COLS = (
        "rowid, id, title, url, published_at, category, source, is_stub, body, meta, "
        "(SELECT count(*) FROM passages p WHERE p.article_rowid = articles.rowid)"
    )

    def _article(self, row: tuple) -> StoredArticle:
        meta = json.loads(row[9] or "{}")
        return StoredArticle(
            rowid=row[0],
            id=row[1],
            title=row[2],
            url=row[3],
            published_at=parse_dt(row[4]),
            category=row[5],
            source=row[6],
            is_stub=bool(row[7]),
            body=row[8],
            headings=tuple(meta.get("headings", ())),
            references=tuple(meta.get("references", ())),
            related=tuple(ArticleLink(*x) for x in meta.get("related", ())),
            latest=tuple(ArticleLink(*x) for x in meta.get("latest", ())),
            passage_count=row[10],
        )

    def get_article(self, article_id: str) -> StoredArticle | None:
        row = self.conn.execute(
            f"SELECT {self._ARTICLE_COLS} FROM articles WHERE id = ?", (article_id,)
        ).fetchone()
        return self._article(row) if row else None

    def article_versions(self) -> dict[str, tuple[str, str]]:
        """id -> (content hash, URL) of every article that is not a stub (what ingest skips)."""
        return {
            r[0]: (r[1], r[2])
            for r in self.conn.execute(
                "SELECT id, content_hash, url FROM articles WHERE is_stub = 0"
            )
        }

    def find_article_id_by_url(self, url_norm: str) -> str | None:
        row = self.conn.execute(
            "SELECT id FROM articles WHERE url_norm = ? ORDER BY is_stub LIMIT 1", (url_norm,)
        ).fetchone()
        return row[0] if row else None

    def find_by_titles(self, titles: Iterable[str]) -> dict[str, StoredArticle]:
        """Articles whose title matches (normalised) one of ``titles``; real ones before stubs."""
        wanted = {normalize_title(t): t for t in titles}
        if not wanted:
            return {}
        marks = ",".join("?" * len(wanted))
        rows = self.conn.execute(
            f"SELECT {self._ARTICLE_COLS}, title_norm FROM articles WHERE title_norm IN ({marks}) "
            "ORDER BY is_stub DESC, rowid",
            list(wanted),
        ).fetchall()
        found: dict[str, StoredArticle] = {}
        for row in rows:  # real articles come last and overwrite stubs
            found[wanted[row[-1]]] = self._article(row[:-1])
        return found

    def articles_published_between(
        self, start: datetime, end: datetime, *, include_stubs: bool = False
    ) -> list[StoredArticle]:
        """Articles with start <= published_at < end, oldest first."""
        rows = self.conn.execute(
            f"SELECT {self._ARTICLE_COLS} FROM articles WHERE published_ts >= ? AND published_ts < ? "
            f"{'' if include_stubs else 'AND is_stub = 0'} ORDER BY published_ts, id",
            (start.timestamp(), end.timestamp()),
        ).fetchall()
        return [self._article(r) for r in rows]

    def search_titles(self, text: str, limit: int = 25) -> list[tuple[str, str]]:
        """(id, title) of real articles whose title contains ``text``, newest first (autocomplete)."""
        key = normalize_title(text)
        rows = self.conn.execute(
            "SELECT id, title FROM articles WHERE is_stub = 0 AND instr(title_norm, ?) > 0 "
            "ORDER BY published_ts DESC, id LIMIT ?",
            (key, limit),
        ).fetchall()
        return [(r[0], r[1]) for r in rows]

    def latest_articles(self, limit: int = 10) -> list[StoredArticle]:
        rows = self.conn.execute(
            f"SELECT {self._ARTICLE_COLS} FROM articles WHERE is_stub = 0 "
            "ORDER BY published_ts DESC, id LIMIT ?",
            (limit,),
        ).fetchall()
        return [self._article(r) for r in rows]

    def passages_of(self, article_id: str) -> list[tuple[int, str | None, int, int, str]]:
        """(pid, heading, start, end, text) of an article's passages in reading order."""
        return self.conn.execute(
            "SELECT p.pid, p.heading, p.start, p.end, substr(a.body, p.start + 1, p.end - p.start) "
            "FROM passages p JOIN articles a ON a.rowid = p.article_rowid WHERE a.id = ? "
            "ORDER BY p.ordinal",
            (article_id,),
        ).fetchall()

    def add_articles(
        self, articles: Iterable[Article], tokenizer: JapaneseTokenizer, *, batch_size: int = 500
    ) -> IngestReport:
        """Ingest ``articles`` (deduplicated by id, and by normalised URL + content hash).

        Returns an :class:`~index.models.IngestReport`. Each batch is one transaction.
        """
        return ingest_articles(self, tokenizer, articles, batch_size=batch_size)

    def delete_article(self, article_id: str, tokenizer: JapaneseTokenizer) -> bool:
        """Delete an article and its passages; False if there is no such article."""
        return BatchWriter(self, tokenizer).delete(article_id)

    # ------------------------------------------------------------------ statistics
    def stats(self) -> dict[str, int | float]:
        c = self.conn
        articles, stubs = c.execute(
            "SELECT count(*) - ifnull(sum(is_stub), 0), ifnull(sum(is_stub), 0) FROM articles"
        ).fetchone()
        page_size = c.execute("PRAGMA page_size").fetchone()[0]
        page_count = c.execute("PRAGMA page_count").fetchone()[0]
        size = 0
        if self.path is not None:
            for suffix in ("", "-wal"):
                p = Path(str(self.path) + suffix)
                if p.exists():
                    size += p.stat().st_size
        return {
            "articles": articles,
            "stubs": stubs,
            "passages": self.meta_int("n_docs"),
            "terms": c.execute("SELECT count(*) FROM terms WHERE df > 0").fetchone()[0],
            "segments": c.execute("SELECT count(DISTINCT seg) FROM postings").fetchone()[0],
            "tombstones": c.execute("SELECT count(*) FROM tombstones").fetchone()[0],
            "size_bytes": size or page_size * page_count,
            "schema_version": c.execute("PRAGMA user_version").fetchone()[0],
        }
