"""The per-passage arrays a searcher keeps in memory, stored packed so they load in milliseconds.

Each write batch appends one ``doc_chunks`` row holding its new passages' ids, lengths,
publication times, stub flags and article row ids as little-endian arrays. A searcher reads the
chunks after the last passage id it knows with ``np.frombuffer``, instead of one SQL row per
passage (0.9 s at 450k passages). Deleted passages stay listed until a full merge rewrites the
chunks; the tombstones table masks them meanwhile.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from index.ranking.fusion import SIGNALS

if TYPE_CHECKING:  # the store reads the chunks; they only name its connection type
    from index.store.store import Conn

DDL = """
CREATE TABLE IF NOT EXISTS doc_chunks (
    first_pid INTEGER PRIMARY KEY,
    last_pid INTEGER NOT NULL,
    pids BLOB NOT NULL,
    dls BLOB NOT NULL,
    ts BLOB NOT NULL,
    stubs BLOB NOT NULL,
    arts BLOB NOT NULL
)
"""
# Schema 3: each passage's length in every fusion signal (index.ranking.fusion.SIGNALS), int32 pairs.
SIGNAL_DDL = "ALTER TABLE doc_chunks ADD COLUMN sdls BLOB"
N_SIGNALS = len(SIGNALS)
CHUNK_ROWS = 100_000


def append_chunk(
    conn: Conn,
    pids: Sequence[int],
    dls: Sequence[int],
    ts: Sequence[float],
    stubs: Sequence[bool],
    arts: Sequence[int],
    sdls: Sequence[Sequence[int]] | np.ndarray,
) -> None:
    """Record new passages (ids ascending) in the current transaction; ``sdls`` holds each
    passage's signal lengths (one row of N_SIGNALS per passage)."""
    if not len(pids):
        return
    conn.execute(
        "INSERT INTO doc_chunks (first_pid, last_pid, pids, dls, ts, stubs, arts, sdls) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            int(pids[0]),
            int(pids[-1]),
            np.asarray(pids, dtype="<i8").tobytes(),
            np.asarray(dls, dtype="<i4").tobytes(),
            np.asarray(ts, dtype="<f8").tobytes(),
            np.asarray(stubs, dtype="u1").tobytes(),
            np.asarray(arts, dtype="<i8").tobytes(),
            np.asarray(sdls, dtype="<i4").reshape(len(pids), N_SIGNALS).tobytes(),
        ),
    )


def rebuild(conn: Conn) -> None:
    """Rewrite every chunk from the passages table (migration, full merge); in a transaction."""
    conn.execute("DELETE FROM doc_chunks")
    cur = conn.execute(
        "SELECT p.pid, p.dl, coalesce(a.published_ts, 'nan'), a.is_stub, p.article_rowid, "
        "p.dl_bigram, p.dl_pair "
        "FROM passages p JOIN articles a ON a.rowid = p.article_rowid ORDER BY p.pid"
    )
    while rows := cur.fetchmany(CHUNK_ROWS):
        cols = list(zip(*rows, strict=True))
        sdls = np.column_stack([np.asarray(cols[5]), np.asarray(cols[6])])
        append_chunk(conn, cols[0], cols[1], [float(x) for x in cols[2]], cols[3], cols[4], sdls)


def load(conn: Conn, after_pid: int) -> tuple[np.ndarray, ...]:
    """(pid, dl, published_ts, is_stub, article_rowid, signal lengths (n, N_SIGNALS)) of
    passages with pid > after_pid, ascending (signal lengths 0 in chunks written before schema
    3); lengths as int32, as they are stored."""
    parts = conn.execute(
        "SELECT pids, dls, ts, stubs, arts, sdls FROM doc_chunks WHERE last_pid > ? "
        "ORDER BY first_pid",
        (after_pid,),
    ).fetchall()
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        sig = np.zeros((0, N_SIGNALS), dtype=np.int64)
        return empty, empty, np.zeros(0), np.zeros(0, dtype=bool), empty, sig
    pid = np.concatenate([np.frombuffer(p[0], dtype="<i8") for p in parts])
    dl = np.concatenate([np.frombuffer(p[1], dtype="<i4") for p in parts])
    ts = np.concatenate([np.frombuffer(p[2], dtype="<f8") for p in parts])
    stub = np.concatenate([np.frombuffer(p[3], dtype="u1") for p in parts]).astype(bool)
    art = np.concatenate([np.frombuffer(p[4], dtype="<i8") for p in parts])
    sig = np.concatenate(
        [
            np.frombuffer(p[5], dtype="<i4").reshape(-1, N_SIGNALS)
            if p[5] is not None
            else np.zeros((len(p[0]) // 8, N_SIGNALS), dtype="<i4")
            for p in parts
        ]
    )
    keep = pid > after_pid
    if keep.all():  # every chunk read lies past after_pid (a searcher's first load): no copies
        return pid, dl, ts, stub, art, sig
    return pid[keep], dl[keep], ts[keep], stub[keep], art[keep], sig[keep]
