"""IndexStore: the interface of a kiji index (articles, passages, the term dictionary and
postings), and everything of it that is the same SQL on every backend.

Two implementations: :class:`~index.store.sqlite_store.SqliteStore` (one SQLite file, the default)
and :class:`~index.store.pg.store.PgIndexStore` (a ``postgresql://`` URL). :meth:`IndexStore.open`
picks one by the location it is given. Statements shared by both are written with ``?``
placeholders and portable SQL (the PostgreSQL connection translates the placeholders and the two
functions that differ, :mod:`index.store.pg.conn`); what differs in kind — opening, transactions,
snapshots, change detection, ids, bulk loads, sizes — is a method each backend implements.
Reads happen on the store's own connection; every write goes through :meth:`transaction`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol

import numpy as np

from index.analysis.tokenizer import JapaneseTokenizer
from index.config import is_postgres_url
from index.messages import Msg
from index.models import Article, ArticleLink, IngestReport, StoredArticle, normalize_title
from index.store import doctable, pair_dfs, vectors
from index.store.writer import BatchWriter, ingest_articles

log = logging.getLogger(__name__)

SQLITE_HEADER = b"SQLite format 3\x00"


def parse_dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class Conn(Protocol):
    """What the shared SQL needs of a connection (:mod:`sqlite3`'s, or the PostgreSQL adapter)."""

    def execute(self, sql: str, parameters: Any = (), /) -> Any: ...

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> Any: ...


@dataclass(frozen=True)
class QueryPostings:
    """What one query reads of the index (:meth:`IndexStore.query_postings`), from one state."""

    version: int  # data_version() of that state
    terms: list[tuple[int, str, int]]  # (tid, term, df) of the query terms in the dictionary
    postings: dict[int, list[tuple[int, bytes, bytes]]]  # tid -> (seg, ids, tfs), main first
    signals: list[tuple[str, int, int]]  # (term, tid, df) of the signal terms, by term


class IndexStore:
    """One connection to a kiji index. Not shareable across threads: open one per thread."""

    backend: ClassVar[str] = ""  # "sqlite" or "postgresql"

    def __init__(self, conn: Conn, path: Path | None = None) -> None:
        self.conn = conn
        self.path = path  # the SQLite file (None on PostgreSQL)
        self._closed = False

    # ------------------------------------------------------------------ opening and closing
    @classmethod
    def open(
        cls, path: str | Path, *, create: bool = True, readonly: bool = False, lock: bool = True
    ) -> IndexStore:
        """Open (and create or migrate) the index at ``path``: a SQLite file, or a
        ``postgresql://`` URL. Raises :class:`~index.errors.DatabaseError` with an explanation
        when it cannot, :class:`~index.errors.SchemaTooNew` for a newer schema."""
        if is_postgres_url(path):
            from index.store.pg.store import PgIndexStore  # psycopg only when asked for

            return PgIndexStore.connect(str(path), create=create, readonly=readonly)
        from index.store.sqlite_store import SqliteStore

        return SqliteStore.open_file(path, create=create, readonly=readonly, lock=lock)

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> IndexStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- what each backend does its own way ------------------------------------------------
    def transaction(self) -> AbstractContextManager[Any]:
        """A write transaction (one writer at a time): commit, or roll back on error."""
        raise NotImplementedError

    def snapshot(self) -> AbstractContextManager[Any]:
        """A read transaction: every read inside sees the same committed state."""
        raise NotImplementedError

    def checkpoint(self, mode: Literal["PASSIVE", "TRUNCATE"] = "PASSIVE") -> None:
        """Hand written pages back to the main storage (SQLite's WAL; nothing elsewhere)."""

    def data_version(self) -> int:
        """A number that changes whenever the index changes; cheap (readers call it per query)."""
        raise NotImplementedError

    def tune_for_writes(self) -> None:
        """Settings for a writing connection (called once by a writer)."""

    def tune_for_reads(self) -> None:
        """Settings for a connection that serves searches (called by a searcher): less memory
        where the searcher's own cache does the work. No effect on one tuned for writes."""

    def analyze(self) -> None:
        """Refresh the planner's statistics after a bulk load (PostgreSQL; SQLite plans the
        index's statements by their keys and needs none)."""

    def next_id(self, conn: Conn, table: str, column: str) -> int:
        """The next article row id or passage id: never one handed out before."""
        raise NotImplementedError

    def insert_rows(
        self, conn: Conn, table: str, columns: Sequence[str], rows: Iterable[Sequence[object]]
    ) -> None:
        """Insert many rows in the current transaction (``executemany``; ``COPY`` on PostgreSQL)."""
        raise NotImplementedError

    def rewrite_postings(
        self, conn: Conn, seg: int, rows: Iterable[tuple[bytes, bytes, int]]
    ) -> None:
        """Replace the (ids, tfs) of the row of segment ``seg`` of each term, for each
        ``(ids, tfs, tid)`` (merges, and writes appended to main)."""
        conn.executemany(
            f"UPDATE postings SET ids = ?, tfs = ? WHERE tid = ? AND seg = {seg}", rows
        )

    def add_dfs(self, conn: Conn, tids: np.ndarray, deltas: np.ndarray) -> None:
        """Add ``deltas[i]`` to the document frequency of term ``tids[i]``, for each i (distinct
        ids): a word pair's in :mod:`index.store.pair_dfs`, any other's in its ``terms`` row."""
        tids, deltas = np.asarray(tids, dtype=np.int64), np.asarray(deltas, dtype=np.int64)
        pairs = pair_dfs.is_pair(tids)
        if pairs.any():
            pair_dfs.add(conn, tids[pairs], deltas[pairs])
            tids, deltas = tids[~pairs], deltas[~pairs]
        if len(tids):
            self.add_term_dfs(conn, tids, deltas)

    def add_term_dfs(self, conn: Conn, tids: np.ndarray, deltas: np.ndarray) -> None:
        """:meth:`add_dfs` of terms that have a ``terms`` row."""
        rows = zip(deltas.tolist(), tids.tolist(), strict=True)
        conn.executemany("UPDATE terms SET df = df + ? WHERE tid = ?", rows)

    def set_high_water(self, conn: Conn, table: str, value: int) -> None:
        """Make :meth:`next_id` of ``table`` at least ``value + 1`` (an index copied in)."""
        raise NotImplementedError

    def select_chunks(self, sql: str, size: int) -> Iterator[list[tuple]]:
        """The rows of a (large) query in lists of ``size``, inside the current snapshot."""
        cur = self.conn.execute(sql)
        while rows := cur.fetchmany(size):
            yield rows

    def has_table(self, name: str) -> bool:
        raise NotImplementedError

    def schema_problems(self) -> list[Msg]:
        """How the kiji tables differ from this kiji's schema (empty when they match)."""
        raise NotImplementedError

    def size_bytes(self) -> int:
        raise NotImplementedError

    def schema_version(self) -> int:
        raise NotImplementedError

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

    # ------------------------------------------------------------------ postings (read side)
    def lookup_terms(self, terms: Sequence[str]) -> list[tuple[int, str, int]]:
        """(tid, term, df) of the given terms that are in the dictionary (a word pair: in use,
        :mod:`index.store.pair_dfs`)."""
        if not terms:
            return []
        rest, pairs = pair_dfs.split_terms(terms)
        pair_rows = pair_dfs.signal_rows(self.conn, pairs, 1 << 62)
        sql = f"SELECT tid, term, df FROM terms WHERE term IN ({','.join('?' * len(rest))})"
        found = self.conn.execute(sql, rest).fetchall() if rest else []
        return [(tid, term, df) for term, tid, df in pair_rows] + found

    def postings(self, tid: int, min_seg: int = 0) -> list[tuple[int, bytes, bytes]]:
        """(seg, ids, tfs) rows of one term, main segment first."""
        return self.conn.execute(
            "SELECT seg, ids, tfs FROM postings WHERE tid = ? AND seg >= ? ORDER BY seg",
            (tid, min_seg),
        ).fetchall()

    def signal_terms(self, terms: Sequence[str], max_df: float) -> list[tuple[str, int, int]]:
        """(term, tid, df) of the given fusion signal terms in at most ``max_df`` passages: the
        word pairs' from :mod:`index.store.pair_dfs`, the others' in one statement."""
        if not terms:
            return []
        rest, pairs = pair_dfs.split_terms(terms)
        found = pair_dfs.signal_rows(self.conn, pairs, max_df)
        if rest:
            marks = ",".join("?" * len(rest))
            found += self.conn.execute(
                f"SELECT term, tid, df FROM terms WHERE term IN ({marks}) AND df > 0 AND df <= ?",
                [*rest, max_df],
            ).fetchall()
        return found

    def signal_vectors(self, pids: Sequence[int]) -> list[tuple[int, bytes, bytes]]:
        """(pid, term ids, counts) of the fusion signals of each passage of ``pids`` that has
        them (:mod:`index.store.vectors`), in one statement."""
        return vectors.read(self.conn, pids)

    def query_postings(
        self,
        terms: Sequence[str],
        *,
        skip: Collection[str] = (),
        signals: Sequence[str] = (),
        signal_max_df: float = 0.0,
    ) -> QueryPostings:
        """Everything a query reads for its terms, at once: :meth:`data_version`, the
        (tid, term, df) of ``terms`` (:meth:`lookup_terms`), the :meth:`postings` of each with
        df > 0 that is not in ``skip`` (the caller has them cached), and the fusion ``signals``
        terms (:meth:`signal_terms` with ``signal_max_df``, by term). Call it inside
        :meth:`snapshot`.

        Here one statement after the other (in process, each costs microseconds); PostgreSQL
        answers in one statement, one round trip to the server."""
        version = self.data_version()  # first: it starts SQLite's read transaction
        found = self.lookup_terms(terms)
        wanted = [tid for tid, term, df in found if df > 0 and term not in skip]
        postings: dict[int, list[tuple[int, bytes, bytes]]] = {tid: [] for tid in wanted}
        if wanted:  # one statement for all the terms (one per term cost ~20 µs each)
            marks = ",".join("?" * len(wanted))
            for tid, seg, ids, tfs in self.conn.execute(
                f"SELECT tid, seg, ids, tfs FROM postings WHERE tid IN ({marks}) ORDER BY tid, seg",
                wanted,
            ):
                postings[tid].append((seg, ids, tfs))
        rows = self.signal_terms(signals, signal_max_df) if signals else []
        return QueryPostings(version, found, postings, sorted(rows))

    def mean_raw_idf(self, n_docs: int) -> float | None:
        """Mean of ln((N − df + 0.5) / (df + 0.5)) over every term in use, summed by the database
        in one pass (no Python object per term: 1.7M terms took 1.2 s and 30 MB as an array);
        None where it has no ``ln`` (then use :meth:`all_dfs`)."""
        count, total = self.conn.execute(
            "SELECT count(*), sum(ln((? - df + 0.5) / (df + 0.5))) FROM terms WHERE df > 0",
            (n_docs,),
        ).fetchone()
        return pair_dfs.mean_raw_idf(self.conn, n_docs, count, total)

    def all_dfs(self) -> np.ndarray:
        """Document frequency of every term in use (for BM25Okapi's mean idf)."""
        rows = self.conn.execute("SELECT df FROM terms WHERE df > 0").fetchall()
        dfs = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        pairs = pair_dfs.read_all(self.conn)
        return np.r_[dfs, pairs[pairs > 0]]

    def load_docs(self, after_pid: int = 0) -> tuple[np.ndarray, ...]:
        """Arrays (pid, dl, published_ts, is_stub, article_rowid, signal lengths) of passages
        with pid > after_pid."""
        return doctable.load(self.conn, after_pid)

    def tombstones(self) -> np.ndarray:
        rows = self.conn.execute("SELECT pid FROM tombstones").fetchall()
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def passage_rows(self, pids: Sequence[int]) -> dict[int, tuple]:
        """pid → (heading, start, end, text, article fields …) for building hits."""
        return self._passages_with(
            pids,
            "p.heading, p.start, p.end, substr(a.body, p.start + 1, p.end - p.start), "
            "a.id, a.title, a.url, a.published_at, a.category, a.is_stub",
        )

    def passage_articles(self, pids: Sequence[int]) -> dict[int, tuple[str, str, str, str | None]]:
        """pid → (article id, title, url, published_at): a passage's article without reading
        the body its text is cut from."""
        return self._passages_with(pids, "a.id, a.title, a.url, a.published_at")

    def _passages_with(self, pids: Sequence[int], cols: str) -> dict[int, tuple]:
        if not pids:
            return {}
        marks = ",".join("?" * len(pids))
        rows = self.conn.execute(
            f"SELECT p.pid, {cols} FROM passages p JOIN articles a ON a.rowid = p.article_rowid "
            f"WHERE p.pid IN ({marks})",
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
            "SELECT count(*) - coalesce(sum(is_stub), 0), coalesce(sum(is_stub), 0) FROM articles"
        ).fetchone()
        return {
            "articles": articles,
            "stubs": stubs,
            "passages": self.meta_int("n_docs"),
            "terms": c.execute("SELECT count(*) FROM terms WHERE df > 0").fetchone()[0]
            + int(np.count_nonzero(pair_dfs.read_all(c))),
            "segments": c.execute("SELECT count(DISTINCT seg) FROM postings").fetchone()[0],
            "tombstones": c.execute("SELECT count(*) FROM tombstones").fetchone()[0],
            "size_bytes": self.size_bytes(),
            "schema_version": self.schema_version(),
        }
