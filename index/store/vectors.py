"""The fusion signals' per-passage vectors (schema 4): each passage's signal terms and counts.

The extra signals of :mod:`index.ranking.fusion` are only ever scored over a query's
candidates (the word BM25's best 100 passages), so they are stored the way such a re-ranking
reads them: one ``signal_docs`` row per passage holding the term ids of its character bigrams
and word pairs (int32, ascending) and their counts (uint16), like a search engine's stored term
vectors. A query reads its candidates' rows by primary key (100 rows, ~1.5 KB each) instead of
the signal terms' inverted postings: at 457k passages those were ~4 MB a query, most of a
fused query's time, and 93 % of the postings rows an ingest wrote and a merge rewrote. The
character bigrams keep their ``terms`` row for the document frequency (their idf, and the
``df_cap`` that leaves the common ones out), the word pairs their entry of a dense array
(:mod:`index.store.pair_dfs`, schema 5), exact as every other statistic of the index.

A deleted passage's row goes with it (nothing for a merge to clean up).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from index.ranking.fusion import BIGRAM, PAIR, PAIR_BUCKETS
from index.store import counting, pair_dfs

if TYPE_CHECKING:  # the store reads and writes the rows; they only name its connection type
    from index.store.store import Conn

log = logging.getLogger(__name__)

DDL = "CREATE TABLE IF NOT EXISTS signal_docs (pid INTEGER PRIMARY KEY, tids BLOB NOT NULL, tfs BLOB NOT NULL)"
COLUMNS = ("pid", "tids", "tfs")
# SQL condition: the term of ``t`` is a fusion signal term (its reserved first character)
IS_SIGNAL = f"substr(t.term, 1, 1) IN ('{BIGRAM}', '{PAIR}')"
INVERT_BYTES = 512 << 20  # memory the migration's inversion uses at most per pass (about)


def rows(pids: np.ndarray, tids: np.ndarray, tfs: np.ndarray) -> list[tuple[int, bytes, bytes]]:
    """The ``signal_docs`` rows of (passage, term, count) triples in any order: one row per
    passage, its term ids ascending."""
    if not len(pids):
        return []
    grouped = counting.vector_rows(pids, tids, tfs)  # the usual case: a write's own order
    if grouped is not None:
        return grouped
    order = np.lexsort((tids, pids))
    p = np.asarray(pids)[order]
    t = np.asarray(tids)[order].astype("<i4").tobytes()
    f = np.minimum(np.asarray(tfs)[order], 65535).astype("<u2").tobytes()
    starts = np.flatnonzero(np.r_[True, p[1:] != p[:-1]])
    ends = np.r_[starts[1:], len(p)]
    return [
        (int(p[s]), t[4 * s : 4 * e], f[2 * s : 2 * e])
        for s, e in zip(starts.tolist(), ends.tolist(), strict=True)
    ]


def of_parts(
    parts: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]],
) -> tuple[list[tuple[int, bytes, bytes]], np.ndarray, np.ndarray]:
    """(the rows, the term ids used, in how many passages each) of a write's signal terms,
    given as (term ids, passage ids, counts) arrays."""
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return [], empty, empty
    tids, pids, tfs = (np.concatenate([p[i] for p in parts]) for i in range(3))
    return rows(pids, tids, tfs), *distinct_counts(tids)


def distinct_counts(tids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct term ids (ascending) and how often each occurs: ``np.unique`` with its
    counts, by counting where the ids are dense enough (a write's millions of entries over a
    few million ids: one linear pass instead of a sort, a tenth of the time)."""
    tids = np.asarray(tids, dtype=np.int64)
    pairs = pair_dfs.is_pair(tids)
    if pairs.any():  # the word pairs' fixed ids, counted apart (index.store.pair_dfs)
        used, n_used = distinct_counts(tids[~pairs])
        if pairs.sum() < PAIR_BUCKETS // 16:  # a few articles: fewer than a count per bucket
            buckets, counts = np.unique(tids[pairs] - pair_dfs.PAIR_BASE, return_counts=True)
        else:
            counts = np.bincount(tids[pairs] - pair_dfs.PAIR_BASE, minlength=PAIR_BUCKETS)
            buckets = np.flatnonzero(counts)
            counts = counts[buckets]
        used, n_used = np.r_[used, buckets + pair_dfs.PAIR_BASE], np.r_[n_used, counts]
        if len(used) > len(buckets) and used[len(used) - len(buckets) - 1] > pair_dfs.PAIR_BASE:
            order = np.argsort(used, kind="stable")  # ids above the pairs' (not the terms')
            used, n_used = used[order], n_used[order]
        return used, n_used
    if len(tids) and int(tids.min()) >= 0 and int(tids.max()) < 4 * len(tids) + 1024:
        counts = np.bincount(tids)
        used = np.flatnonzero(counts)
        return used.astype(np.int64, copy=False), counts[used].astype(np.int64, copy=False)
    used, n_used = np.unique(tids, return_counts=True)
    return used.astype(np.int64, copy=False), n_used.astype(np.int64, copy=False)


def unpack(found: Sequence[tuple[int, bytes, bytes]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(passage id of each entry, term ids, counts) of ``signal_docs`` rows, end to end."""
    if not found:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.astype(np.int32), empty.astype(np.uint16)
    pids, tids_b, tfs_b = zip(*found, strict=True)
    tids = np.frombuffer(b"".join(tids_b), dtype="<i4")
    tfs = np.frombuffer(b"".join(tfs_b), dtype="<u2")
    sizes = np.fromiter(map(len, tfs_b), dtype=np.intp, count=len(found)) // 2
    return np.repeat(np.asarray(pids, dtype=np.int64), sizes), tids, tfs


def read(conn: Conn, pids: Sequence[int]) -> list[tuple[int, bytes, bytes]]:
    """The ``signal_docs`` rows of ``pids`` (those that have one), in one statement."""
    if not len(pids):
        return []
    marks = ",".join("?" * len(pids))
    return conn.execute(
        f"SELECT pid, tids, tfs FROM signal_docs WHERE pid IN ({marks})", [int(p) for p in pids]
    ).fetchall()


def delete(conn: Conn, pids: Sequence[int]) -> None:
    if len(pids):
        conn.executemany("DELETE FROM signal_docs WHERE pid = ?", [(int(p),) for p in pids])


SIGNAL_POSTINGS = (
    f"SELECT p.tid, p.ids, p.tfs FROM postings p JOIN terms t ON t.tid = p.tid WHERE {IS_SIGNAL}"
)


def invert_postings(
    conn: Conn,
    insert: Callable[[list[tuple[int, bytes, bytes]]], object],
    scan: Callable[[str], Iterable[tuple[int, bytes, bytes]]] | None = None,
) -> int:
    """Move the fusion signal terms' inverted postings (schemas 3 and before) into per-passage
    rows, in passes over ranges of passage ids of bounded memory, then delete them; returns the
    number of rows written. ``insert(rows)`` writes ``signal_docs`` rows (the store's bulk
    insert); ``scan(sql)``, if given, runs a query row by row (PostgreSQL: a server-side cursor). Postings of deleted passages are left out; the postings byte counts kept in meta
    are dropped (measured again when needed: :func:`index.store.segments.segment_bytes`)."""
    total = conn.execute(
        f"SELECT coalesce(sum(length(p.ids)), 0) FROM postings p JOIN terms t ON t.tid = p.tid "
        f"WHERE {IS_SIGNAL}"
    ).fetchone()[0]
    live = np.array(
        [r[0] for r in conn.execute("SELECT pid FROM passages ORDER BY pid").fetchall()],
        dtype=np.int64,
    )
    written = 0
    if total and len(live):
        # ~40 bytes of memory an entry at the peak of a pass (the entries, their order, the rows)
        passes = max(1, -(-int(total) // 4 * 40 // INVERT_BYTES))
        bounds = [int(live[0])] + [
            int(live[min(len(live) - 1, len(live) * i // passes)]) for i in range(1, passes)
        ] + [int(live[-1]) + 1]  # fmt: skip
        alive = np.zeros(int(live[-1]) + 1, dtype=bool)
        alive[live] = True
        for lo, hi in itertools.pairwise(bounds):
            if hi <= lo:
                continue
            p_parts, t_parts, f_parts = [], [], []
            # row by row, never all the postings in memory: SQLite's cursor steps through
            # them; PostgreSQL's caller passes a server-side cursor as ``scan``
            rows_in = scan(SIGNAL_POSTINGS) if scan is not None else conn.execute(SIGNAL_POSTINGS)
            for tid, ids_b, tfs_b in rows_in:
                ids = np.frombuffer(ids_b, dtype="<i4")
                a, b = np.searchsorted(ids, [lo, hi])
                if b > a:  # copies: a view would keep the whole blob alive
                    p_parts.append(ids[a:b].copy())
                    t_parts.append(np.full(b - a, tid, dtype=np.int32))
                    f_parts.append(np.frombuffer(tfs_b, dtype="<u2")[a:b].copy())
            if not p_parts:
                continue
            p, t, f = (np.concatenate(parts) for parts in (p_parts, t_parts, f_parts))
            del p_parts, t_parts, f_parts
            keep = alive[p]  # ids of deleted passages stay in old postings: left out
            if not keep.all():
                p, t, f = p[keep], t[keep], f[keep]
            out = rows(p, t, f)
            del p, t, f, keep
            insert(out)
            written += len(out)
    conn.execute(f"DELETE FROM postings WHERE tid IN (SELECT t.tid FROM terms t WHERE {IS_SIGNAL})")
    conn.execute("DELETE FROM meta WHERE key IN ('main_bytes', 'seg_bytes')")
    log.info("fusion postings moved into %d per-passage rows", written)
    return written


def move_pairs_out(conn: Conn, chunk: int = 2000) -> int:
    """Schema 4 -> 5: the word pairs leave the ``terms`` table for :mod:`index.store.pair_dfs`.
    Their dfs become the dense array, their ids the fixed ``PAIR_BASE + bucket`` in every
    passage's signal vector (rewritten a chunk of passages at a time, ids ascending again), and
    ``merge_gen`` moves on (writers and readers forget the ids they remember). Returns the
    number of passage vectors rewritten."""
    found = conn.execute(
        "SELECT tid, term, df FROM terms WHERE substr(term, 1, 1) = ?", (PAIR,)
    ).fetchall()
    dfs, remap = pair_dfs.from_terms(found)
    done = last = 0
    while found:
        part = conn.execute(
            "SELECT pid, tids, tfs FROM signal_docs WHERE pid > ? ORDER BY pid LIMIT ?",
            (last, chunk),
        ).fetchall()
        if not part:
            break
        last = int(part[-1][0])
        pids, tids, tfs = unpack(part)
        new = tids.astype(np.int64)
        inside = np.flatnonzero(new < len(remap))
        mapped = remap[new[inside]]
        new[inside[mapped >= 0]] = mapped[mapped >= 0]
        out = rows(pids, new, tfs.astype(np.int64))
        conn.executemany(
            "UPDATE signal_docs SET tids = ?, tfs = ? WHERE pid = ?", [(t, f, p) for p, t, f in out]
        )
        done += len(out)
    conn.execute("DELETE FROM terms WHERE substr(term, 1, 1) = ?", (PAIR,))
    conn.executemany(
        "INSERT INTO pair_dfs(chunk, dfs) VALUES (?, ?)",
        pair_dfs.rows_of(dfs, np.flatnonzero(dfs.reshape(-1, pair_dfs.CHUNK).any(axis=1)).tolist()),
    )
    if found:
        row = conn.execute("SELECT value FROM meta WHERE key = 'merge_gen'").fetchone()
        conn.execute(
            "INSERT INTO meta(key, value) VALUES ('merge_gen', ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (str(int(row[0] if row else 0) + 1),),
        )
    log.info("word pairs' dfs moved out of the terms table; %d passage vectors rewritten", done)
    return done
