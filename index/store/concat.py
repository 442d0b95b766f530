"""Postings rows of many terms concatenated per term at once (merges, appends into main).

Passage ids only grow, so the rows of one term in different segments cover ranges of ids that
do not overlap: ordered by their first id, a term's blobs just concatenate. Done row by row in
Python this cost more than the database's own work in a merge (one call and a few slices per
term, 10^5-10^6 terms a merge); here the order, the checks and the cuts are array operations
over a whole chunk, and the blobs are joined and cut by iterators written in C.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def concat_rows(
    rows: Sequence[tuple[int, bytes, bytes]],
) -> tuple[list[int], list[bytes], list[bytes], list[int]]:
    """``rows`` as ``(tid, ids, tfs)`` in any order, several per term, each ``ids`` ascending.

    Returns ``(tids, ids, tfs, left)``: one merged pair of blobs per term (ids ascending, terms
    ascending), and the terms whose rows overlap (never written by kiji, but checked), which
    the caller merges another way. A term whose rows are all empty is in none of them.
    """
    if not rows:
        return [], [], [], []
    tid_t, ids_t, tfs_t = zip(*rows, strict=True)
    n = len(rows)
    tid = np.fromiter(tid_t, dtype=np.int64, count=n)
    size = np.fromiter(map(len, ids_t), dtype=np.int64, count=n) // 4
    full = np.flatnonzero(size > 0)
    all_ids = np.frombuffer(b"".join(ids_t), dtype="<i4")
    ends = np.cumsum(size)
    first = all_ids[(ends - size)[full]]
    last = all_ids[ends[full] - 1]
    tid = tid[full]
    order = np.lexsort((first, tid))
    tid, first, last, size = tid[order], first[order], last[order], size[full][order]
    same = tid[1:] == tid[:-1]
    overlap = same & (last[:-1] >= first[1:])
    left: list[int] = []
    keep_rows = full[order]
    if overlap.any():
        bad = np.unique(tid[1:][overlap])
        left = bad.tolist()
        good = ~np.isin(tid, bad)
        tid, size, keep_rows = tid[good], size[good], keep_rows[good]
        same = tid[1:] == tid[:-1]
    if not len(tid):
        return [], [], [], left
    picked = keep_rows.tolist()
    ids = b"".join(map(ids_t.__getitem__, picked))
    tfs = b"".join(map(tfs_t.__getitem__, picked))
    cut = np.flatnonzero(~same) + 1
    starts = np.concatenate(([0], cut)).astype(np.int64)
    bounds = np.concatenate(([0], np.cumsum(size)))
    lo = bounds[starts]
    hi = bounds[np.concatenate((cut, [len(tid)])).astype(np.int64)]
    out_ids = list(map(ids.__getitem__, map(slice, (4 * lo).tolist(), (4 * hi).tolist())))
    out_tfs = list(map(tfs.__getitem__, map(slice, (2 * lo).tolist(), (2 * hi).tolist())))
    return tid[starts].tolist(), out_ids, out_tfs, left
