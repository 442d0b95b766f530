"""PgIndexStore: :class:`~index.store.store.IndexStore` on PostgreSQL.

- a query's reads run in one ``REPEATABLE READ, READ ONLY`` transaction (:meth:`snapshot`), so
  its statistics, document frequencies and postings come from the same committed state;
- writers take a transaction-scoped advisory lock (:data:`WRITE_LOCK`) first: one writer at a
  time, as SQLite's ``BEGIN IMMEDIATE`` gives, so ids and segment numbers stay dense and exact;
- bulk inserts (articles, passages, terms, postings) are ``COPY … FROM STDIN``;
- :meth:`data_version` is the index's ``generation`` and ``merge_gen`` (every committed batch,
  delete and merge step bumps one of them);
- :meth:`query_postings` reads all a query needs in one statement (:data:`QUERY_POSTINGS`): a
  round trip to the server costs more than the reads themselves.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import ClassVar, cast

import numpy as np
import psycopg
from psycopg import sql

from index.messages import Msg
from index.store import pair_dfs
from index.store.pg import schema
from index.store.pg.conn import PgConn, connect, describe, int_array
from index.store.store import Conn, IndexStore, QueryPostings

COPY_ROWS = 20_000  # rows formatted and sent to COPY at a time

# COPY's text format: a backslash, newline, carriage return or tab inside a value is escaped
_COPY_ESCAPES = (("\\", "\\\\"), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t"))


def _escape(text: str) -> str:
    """A text value as COPY's text format writes it (str.replace four times: 10x quicker
    than str.translate on an article's body)."""
    if _needs_escape(text):
        for c, esc in _COPY_ESCAPES:
            text = text.replace(c, esc)
    return text


def copy_line(row: Sequence[object]) -> str | None:
    """One row of ``COPY … FROM STDIN`` text (None when a value is of a type it does not
    write: the caller lets psycopg adapt that row). Written here rather than by psycopg's
    ``write_row``, which cost 2 µs a row in Python."""
    out: list[str] = []
    for v in row:
        t = type(v)
        if t is int:
            out.append(str(v))
        elif t is str:
            out.append(_escape(cast(str, v)))
        elif v is None:
            out.append("\\N")
        elif t is bytes:
            out.append("\\\\x" + cast(bytes, v).hex())
        elif t is float:
            out.append(repr(v))
        else:
            return None
    return "\t".join(out) + "\n"


def copy_text(rows: Sequence[Sequence[object]]) -> str | None:
    """``rows`` as ``COPY … FROM STDIN`` text, column by column (a batch writes 10^6 rows of
    terms: formatting each value through :func:`copy_line` cost 4 µs a row, a column at a
    time under 1); None when a column holds a type :func:`copy_line` does not write."""
    if not rows:
        return ""
    columns: list[Sequence[str]] = []
    for col in zip(*rows, strict=True):
        kinds = set(map(type, col))
        nulls = type(None) in kinds
        kinds.discard(type(None))
        if len(kinds) > 1:
            return None
        kind = kinds.pop() if kinds else None
        if kind is int or kind is float:
            text = list(map(str if kind is int else repr, col))  # None gives "None": below
        elif kind is str:
            if nulls:
                text = [_escape(v) if v is not None else "" for v in col]
            else:  # one look at the whole column: most hold nothing to escape
                text = list(map(_escape, col)) if _needs_escape("".join(col)) else col
        elif kind is bytes:
            text = ["\\\\x" + v.hex() if v is not None else "" for v in col]
        elif kind is not None:
            return None
        else:
            text = ["\\N"] * len(col)
        if nulls and kind is not None:
            text = ["\\N" if v is None else t for v, t in zip(col, text, strict=True)]
        columns.append(text)
    return "\n".join(map("\t".join, zip(*columns, strict=True))) + "\n"


def _needs_escape(v: str) -> bool:
    return "\\" in v or "\n" in v or "\r" in v or "\t" in v


WRITE_LOCK = 0x6B696A77  # pg_advisory_xact_lock key of the index's writers
SNAPSHOT_BEGIN = b"BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"
_IDLE = psycopg.pq.TransactionStatus.IDLE

# A query's reads in one statement, one row kind per part: 0 the data version (generation and
# merge_gen), 1 each query term with each of its postings segments (none for a term in
# %(skip)s or with df 0), 2 each fusion signal term in at most %(max_df)s passages (their
# vectors are read once the words have picked the candidates) but the word pairs, 3 the chunks
# of the word pairs' dfs that hold the query's (index.store.pair_dfs, filtered in Python).
# Each list is unnested and joined to the indexes term by term: written as
# ``term = ANY(…)`` with a join, the planner took a parallel scan of all the terms while the
# statistics were those of before a bulk load (120 ms instead of 0.2). Unordered: sorting in
# the server would copy the postings; Python orders them.
QUERY_POSTINGS = b"""
SELECT 0, NULL::text, (SELECT value FROM meta WHERE key = 'generation')::bigint,
       (SELECT value FROM meta WHERE key = 'merge_gen')::bigint, NULL::bigint, NULL::bytea,
       NULL::bytea
UNION ALL
SELECT 1, t.term, t.tid, t.df, p.seg, p.ids, p.tfs
  FROM unnest(%(terms)s::text[]) AS q(term)
  JOIN terms t ON t.term = q.term
  LEFT JOIN LATERAL (
       SELECT seg, ids, tfs FROM postings
        WHERE tid = t.tid AND t.df > 0 AND t.term <> ALL(%(skip)s::text[])
  ) p ON true
UNION ALL
SELECT 2, t.term, t.tid, t.df, NULL::bigint, NULL::bytea, NULL::bytea
  FROM unnest(%(signals)s::text[]) AS q(term)
  JOIN terms t ON t.term = q.term
 WHERE t.df > 0 AND t.df <= %(max_df)s
UNION ALL
SELECT 3, NULL::text, c.chunk, NULL::bigint, NULL::bigint, c.dfs, NULL::bytea
  FROM pair_dfs c
 WHERE c.chunk = ANY(%(pair_chunks)s::bigint[])
"""


def _version(generation: object, merge_gen: object) -> int:
    """:meth:`PgIndexStore.data_version` of the meta values (None: not set yet)."""
    return (int(generation or 0) << 24) ^ int(merge_gen or 0)  # type: ignore[call-overload]


class PgIndexStore(IndexStore):
    """One connection to a kiji index in a PostgreSQL database (one per thread)."""

    backend: ClassVar[str] = "postgresql"

    def __init__(self, conn: PgConn, url: str) -> None:
        super().__init__(conn)
        self.pg = conn
        self.url = url

    @classmethod
    def connect(cls, url: str, *, create: bool = True, readonly: bool = False) -> PgIndexStore:
        """Connect to the database of ``url`` and create the index's tables there if ``create``
        (and not ``readonly``). Raises DatabaseError / SchemaTooNew."""
        raw = connect(url)
        try:
            # Every statement of the index reads a few rows by key. With the statistics of before
            # a bulk load (53k postings rows estimated per term at 170k passages), the planner
            # went parallel for a query's one statement: 10-17 ms starting workers for 0.3 ms
            # of work. No parallel plans on the index's connections.
            raw.execute("SET max_parallel_workers_per_gather = 0")
            schema.migrate(raw, create=create and not readonly, readonly=readonly)
        except BaseException:
            raw.close()
            raise
        return cls(PgConn(raw), url)

    def __repr__(self) -> str:
        return f"PgIndexStore({describe(self.url)})"

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.pg.close()

    @contextmanager
    def transaction(self) -> Iterator[PgConn]:
        raw = self.pg.raw
        self.pg.flush()
        raw.execute("BEGIN")
        try:
            raw.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
            yield self.pg
        except BaseException:
            raw.execute("ROLLBACK")
            raise
        raw.execute("COMMIT")

    @contextmanager
    def snapshot(self) -> Iterator[PgConn]:
        """A ``REPEATABLE READ, READ ONLY`` transaction, begun with its first statement (one round
        trip for both: :class:`PgConn`); nothing is sent for a snapshot that reads nothing."""
        pg = self.pg
        if pg.pending is not None or pg.raw.info.transaction_status != _IDLE:
            yield pg
            return
        pg.pending = SNAPSHOT_BEGIN
        try:
            yield pg
        finally:
            if pg.pending is not None:  # nothing was read: no transaction was begun
                pg.pending = None
            else:
                pg.raw.execute(b"COMMIT")

    def analyze(self) -> None:
        # Not run, the tables kept the statistics of before a bulk load until autovacuum came
        # by: settle()'s planning then scanned the postings (0.4-1 s a call at 170k passages).
        self.pg.flush()
        self.pg.raw.execute(
            "ANALYZE articles, passages, terms, postings, signal_docs, pair_dfs, tombstones, meta"
        )

    def data_version(self) -> int:
        rows = self.conn.execute(
            "SELECT key, value FROM meta WHERE key IN ('generation', 'merge_gen')"
        ).fetchall()
        values = dict(rows)
        return _version(values.get("generation"), values.get("merge_gen"))

    def query_postings(
        self,
        terms: Sequence[str],
        *,
        skip: Collection[str] = (),
        signals: Sequence[str] = (),
        signal_max_df: float = 0.0,
    ) -> QueryPostings:
        """:meth:`IndexStore.query_postings` in one statement (:data:`QUERY_POSTINGS`); the
        postings in the order the SQLite store gives them (segments in order; signal terms by
        term). Binary results: the packed postings arrive as they are stored."""
        rest, pairs = pair_dfs.split_terms(signals)
        params = {
            "terms": list(terms),
            "skip": list(skip),
            "signals": rest,
            "max_df": float(signal_max_df),
            "pair_chunks": sorted({b // pair_dfs.CHUNK for b in pairs}),
        }
        rows = self.pg.run(QUERY_POSTINGS, params, binary=True).fetchall()
        version = 0
        found: dict[int, tuple[int, str, int]] = {}
        segs: dict[int, list[tuple[int, bytes, bytes]]] = {}
        sig: list[tuple[str, int, int]] = []
        chunks: dict[int, np.ndarray] = {}
        for kind, term, tid, df, seg, ids, tfs in rows:
            if kind == 0:
                version = _version(tid, df)
            elif kind == 1:
                found[tid] = (tid, term, df)
                if seg is not None:
                    segs.setdefault(tid, []).append((seg, ids, tfs))
            elif kind == 2:
                sig.append((term, tid, df))
            else:  # a chunk of the word pairs' dfs (index.store.pair_dfs)
                chunks[tid] = np.frombuffer(ids, dtype="<i4")
        if pairs:
            sig += pair_dfs.from_chunks(pairs, chunks, signal_max_df)
        postings = {
            tid: sorted(segs.get(tid, ()), key=lambda r: r[0])
            for tid, term, df in found.values()
            if df > 0 and term not in skip
        }
        return QueryPostings(
            version, sorted(found.values(), key=lambda r: r[1]), postings, sorted(sig)
        )

    def mean_raw_idf(self, n_docs: int) -> float | None:
        count, total = self.conn.execute(  # float8 arithmetic (numeric's ln is 10x slower)
            "SELECT count(*), sum(ln((?::float8 - df + 0.5) / (df + 0.5))) FROM terms WHERE df > 0",
            (n_docs,),
        ).fetchone()
        return pair_dfs.mean_raw_idf(self.conn, n_docs, count, total)

    def next_id(self, conn: Conn, table: str, column: str) -> int:
        # ids never reused (tombstoned passage ids stay in old segments): the highest ever
        # handed out is kept in meta (seq_<table>), as sqlite_sequence does for AUTOINCREMENT
        top = conn.execute(f"SELECT coalesce(max({column}), 0) FROM {table}").fetchone()[0]
        return max(int(top), self._high_water(conn, table)) + 1

    def _high_water(self, conn: Conn, table: str) -> int:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (f"seq_{table}",)).fetchone()
        return int(row[0]) if row else 0

    def insert_rows(
        self, conn: Conn, table: str, columns: Sequence[str], rows: Iterable[Sequence[object]]
    ) -> None:
        copy_sql = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(c.strip('"')) for c in columns)
        )
        self.pg.flush()
        top = None
        track = table in ("articles", "passages")  # their highest id is remembered
        rows = rows if isinstance(rows, list) else list(rows)
        with self.pg.raw.cursor() as cur, cur.copy(copy_sql) as copy:
            for at in range(0, len(rows), COPY_ROWS):
                chunk = rows[at : at + COPY_ROWS]
                text = copy_text(chunk)
                if text is not None:
                    copy.write(text)
                else:  # a value of another type: its rows through psycopg's own adaptation
                    for row in chunk:
                        line = copy_line(row)
                        if line is None:
                            copy.write_row(row)
                        else:
                            copy.write(line)
                if track:  # ids are ints (or numpy's)
                    high = max(int(cast(int, r[0])) for r in chunk)
                    top = high if top is None else max(top, high)
        if top is not None:
            self.set_high_water(conn, table, int(top))  # type: ignore[call-overload]

    def rewrite_postings(
        self, conn: Conn, seg: int, rows: Iterable[tuple[bytes, bytes, int]]
    ) -> None:
        rows = list(rows)
        if rows:  # one statement (executemany sent one UPDATE per term: 10^5 in a merge)
            ids, tfs, tids = zip(*rows, strict=True)
            conn.execute(
                "UPDATE postings p SET ids = d.ids, tfs = d.tfs FROM unnest(?::bigint[], "
                "?::bytea[], ?::bytea[]) AS d(tid, ids, tfs) WHERE p.tid = d.tid AND p.seg = ?",
                (int_array(list(tids)), list(ids), list(tfs), seg),
            )

    def add_term_dfs(self, conn: Conn, tids: np.ndarray, deltas: np.ndarray) -> None:
        if len(tids):  # one statement (executemany sent 10^5 UPDATEs for a batch)
            conn.execute(
                "UPDATE terms t SET df = t.df + d.delta FROM unnest(?::bigint[], ?::bigint[]) "
                "AS d(delta, tid) WHERE t.tid = d.tid",
                (int_array(deltas.tolist()), int_array(tids.tolist())),
            )

    def set_high_water(self, conn: Conn, table: str, value: int) -> None:
        if table == "feedback_answers":  # an identity column: its sequence
            if value > 0:
                conn.execute(
                    "SELECT setval(pg_get_serial_sequence('feedback_answers', 'id'), ?)", (value,)
                )
            return
        self.set_meta({f"seq_{table}": max(value, self._high_water(conn, table))})

    def select_chunks(self, sql: str, size: int) -> Iterator[list[tuple]]:
        self.pg.flush()  # a server-side cursor lives in a transaction: begin it first
        with self.pg.raw.cursor(name="kiji_select") as cur:  # server side: not all in memory
            cur.execute(sql.encode())
            while rows := cur.fetchmany(size):
                yield rows

    def has_table(self, name: str) -> bool:
        row = self.conn.execute("SELECT to_regclass(?)", (name,)).fetchone()
        return row is not None and row[0] is not None

    def schema_problems(self) -> list[Msg]:
        self.pg.flush()
        return schema.schema_problems(self.pg.raw)

    def size_bytes(self) -> int:
        return int(self.conn.execute("SELECT pg_database_size(current_database())").fetchone()[0])

    def schema_version(self) -> int:
        return self.meta_int(schema.VERSION_KEY)
