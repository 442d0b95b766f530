"""The word pairs' document frequencies as one dense array (schema 5).

The hashed word pairs of :mod:`index.ranking.fusion` are a fixed set of
:data:`~index.ranking.fusion.PAIR_BUCKETS` terms, most of which a large index uses. As rows of
``terms`` they were most of every write's document-frequency updates: a bulk load's batch
changed the df of about a million of them, one row update each (3 s a batch on PostgreSQL, a
third of what an ingest writes). They live here instead: bucket ``b`` has the fixed term id
``PAIR_BASE + b`` (no ``terms`` row, nothing to look up or create) and its df is entry ``b`` of
an int32 array stored in rows of :data:`CHUNK` buckets (``pair_dfs(chunk, dfs)``, 1 KB each,
small enough that neither backend compresses or moves them out of the row): a write reads the
chunks it changes, adds, and writes them back in the same transaction, so the counts stay
exact and change together with everything else the write does.

The term ids stay below 2^31 (the signal vectors store them as int32, :mod:`index.store.vectors`);
the ``terms`` table's own ids count up from 1 and never come near ``PAIR_BASE``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from index.ranking.fusion import PAIR, PAIR_BUCKETS

if TYPE_CHECKING:  # the store's connection type, named only
    from index.store.store import Conn

PAIR_BASE = (1 << 31) - PAIR_BUCKETS  # term id of bucket 0
CHUNK = 256  # buckets per row (int32: 1 KB)
N_CHUNKS = PAIR_BUCKETS // CHUNK
DDL = "CREATE TABLE pair_dfs (chunk INTEGER PRIMARY KEY, dfs BLOB NOT NULL)"
COLUMNS = ("chunk", "dfs")
_UPSERT = (
    "INSERT INTO pair_dfs(chunk, dfs) VALUES (?, ?) "
    "ON CONFLICT(chunk) DO UPDATE SET dfs = excluded.dfs"
)


def bucket_of(term: str) -> int | None:
    """The bucket of a word pair term (:func:`index.ranking.fusion.pair_term`), or None."""
    if len(term) == 6 and term[0] == PAIR:
        try:
            b = int(term[1:], 16)
        except ValueError:
            return None
        if 0 <= b < PAIR_BUCKETS and term[1:] == f"{b:05x}":
            return b
    return None


def term_of(bucket: int) -> str:
    return f"{PAIR}{bucket:05x}"


def is_pair(tids: np.ndarray) -> np.ndarray:
    """Which of ``tids`` are word pairs' term ids."""
    return (tids >= PAIR_BASE) & (tids < PAIR_BASE + PAIR_BUCKETS)


def rows_of(dfs: np.ndarray, chunks: Iterable[int]) -> list[tuple[int, bytes]]:
    """The ``pair_dfs`` rows of ``chunks`` of the full array ``dfs``."""
    out = dfs.astype("<i4", copy=False)
    return [(c, out[c * CHUNK : (c + 1) * CHUNK].tobytes()) for c in chunks]


def read(conn: Conn, chunks: Sequence[int]) -> dict[int, np.ndarray]:
    """The df arrays (int64) of the stored ``chunks`` (a chunk never written holds zeros)."""
    found: dict[int, np.ndarray] = {}
    for i in range(0, len(chunks), 500):
        part = list(chunks[i : i + 500])
        marks = ",".join("?" * len(part))
        for chunk, blob in conn.execute(
            f"SELECT chunk, dfs FROM pair_dfs WHERE chunk IN ({marks})", part
        ):
            found[int(chunk)] = np.frombuffer(blob, dtype="<i4").astype(np.int64)
    return found


def read_all(conn: Conn) -> np.ndarray:
    """Every bucket's df (int64, :data:`~index.ranking.fusion.PAIR_BUCKETS` of them)."""
    dfs = np.zeros(PAIR_BUCKETS, dtype=np.int64)
    for chunk, blob in conn.execute("SELECT chunk, dfs FROM pair_dfs"):
        c = int(chunk)
        dfs[c * CHUNK : (c + 1) * CHUNK] = np.frombuffer(blob, dtype="<i4")
    return dfs


def add(conn: Conn, tids: np.ndarray, deltas: np.ndarray) -> None:
    """Add ``deltas[i]`` to the df of the word pair ``tids[i]``. Only the chunks that change
    are read and written (a feed item's few hundred pairs: as many 1 KB rows)."""
    if not len(tids):
        return
    buckets = np.asarray(tids, dtype=np.int64) - PAIR_BASE
    if buckets.min() < 0 or buckets.max() >= PAIR_BUCKETS:
        raise ValueError("not word pair term ids")
    chunks = np.unique(buckets // CHUNK)
    if 2 * len(chunks) > N_CHUNKS:  # a bulk write changes most: read them all at once
        block = read_all(conn).reshape(N_CHUNKS, CHUNK)[chunks]
    else:
        block = np.zeros((len(chunks), CHUNK), dtype=np.int64)
        for c, arr in read(conn, chunks.tolist()).items():
            block[np.searchsorted(chunks, c)] = arr
    at = (np.searchsorted(chunks, buckets // CHUNK), buckets % CHUNK)
    np.add.at(block, at, np.asarray(deltas, dtype=np.int64))
    if block.min() < 0:
        raise ValueError("a word pair's document frequency would fall below 0")
    out = block.astype("<i4")
    conn.executemany(_UPSERT, [(c, out[i].tobytes()) for i, c in enumerate(chunks.tolist())])


def signal_rows(conn: Conn, by_bucket: dict[int, str], max_df: float) -> list[tuple[str, int, int]]:
    """(term, tid, df) of the word pair terms ``by_bucket`` (:func:`split_terms`) in at least
    one and at most ``max_df`` passages (:meth:`index.store.store.IndexStore.signal_terms`)."""
    if not by_bucket:
        return []
    chunks = read(conn, sorted({b // CHUNK for b in by_bucket}))
    return from_chunks(by_bucket, chunks, max_df)


def from_chunks(
    by_bucket: dict[int, str], chunks: dict[int, np.ndarray], max_df: float
) -> list[tuple[str, int, int]]:
    """(term, tid, df) of the pair terms ``by_bucket`` with 0 < df <= ``max_df``, their dfs read
    from ``chunks``."""
    out = []
    for b, term in by_bucket.items():
        arr = chunks.get(b // CHUNK)
        df = int(arr[b % CHUNK]) if arr is not None else 0
        if 0 < df <= max_df:
            out.append((term, PAIR_BASE + b, df))
    return out


def split_terms(terms: Sequence[str]) -> tuple[list[str], dict[int, str]]:
    """``terms`` as (those with a ``terms`` row, the word pairs by bucket)."""
    rest: list[str] = []
    pairs: dict[int, str] = {}
    for t in terms:
        b = bucket_of(t)
        if b is None:
            rest.append(t)
        else:
            pairs[b] = t
    return rest, pairs


def mean_raw_idf(conn: Conn, n_docs: int, count: int, total: float | None) -> float:
    """The vocabulary's mean raw BM25 idf, from the ``count`` of ``terms`` rows in use and the
    ``total`` of their raw idf, and the word pairs in use."""
    used = read_all(conn)
    used = used[used > 0].astype(np.float64)
    count += len(used)
    total = float(total or 0.0) + float(np.log((n_docs - used + 0.5) / (used + 0.5)).sum())
    return total / count if count else 0.0


def from_terms(rows: Iterable[tuple[int, str, int]]) -> tuple[np.ndarray, np.ndarray]:
    """From ``terms`` rows (tid, term, df) of an index before schema 5: every bucket's df and
    a map old term id → new one (``-1`` where it does not change), for the migration."""
    dfs = np.zeros(PAIR_BUCKETS, dtype=np.int64)
    old: list[int] = []
    new: list[int] = []
    for tid, term, df in rows:
        b = bucket_of(term)
        if b is not None:
            dfs[b] += int(df)
            old.append(int(tid))
            new.append(PAIR_BASE + b)
    top = max(old, default=0)
    remap = np.full(top + 1, -1, dtype=np.int64)
    remap[np.asarray(old, dtype=np.int64)] = np.asarray(new, dtype=np.int64)
    return dfs, remap
