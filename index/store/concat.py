"""Postings rows of many terms concatenated per term at once (merges, appends into main).

Passage ids only grow, so the rows of one term in different segments cover ranges of ids that
do not overlap: ordered by their first id, a term's blobs just concatenate. Done row by row in
Python this cost more than the database's own work in a merge (one call and a few slices per
term, 10^5-10^6 terms a merge); here the order, the checks and the cuts are array operations
over a whole chunk, and the blobs are joined and cut by iterators written in C.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import islice
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # the store calls the writer; the writer only names the store
    from index.store.store import Conn, IndexStore


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


APPEND_SHARE = 0.25  # a write goes straight into main at this share of main's bytes (see below)
APPEND_TERMS = 4000  # terms whose main rows one statement reads


def appends_to_main(meta: Mapping[str, str], new_bytes: int) -> bool:
    """Whether a write of ``new_bytes`` of passage ids goes straight into the main segment.

    True when no other segment exists and the write holds at least APPEND_SHARE of main's
    bytes (the second and later batches of a bulk load into a new index): settle() would merge
    such a segment into main right away, so writing it into main costs the same rewrite of
    main's rows without inserting, reading back and deleting the segment's rows. Main then
    grows geometrically while this holds, so it is rewritten a few times at most; past it,
    writes make small segments and the size-tiered merges of index.store.segments take over.
    """
    main = int(meta.get("main_bytes", -1))
    return (
        main > 0
        and meta.get("seg_bytes") == "{}"
        and int(meta.get("small_segs", 0)) == 0
        and int(meta.get("folded_segs", 0)) == 0
        and new_bytes >= APPEND_SHARE * main
    )


def append_main(
    store: IndexStore, conn: Conn, rows: Iterable[tuple[int, int, bytes, bytes]], new_from: int
) -> None:
    """Write a new segment's ``rows`` ``(tid, 0, ids, tfs)`` (ascending tids, passage ids above
    every stored one) into the main segment: appended to a term's main row where it has one,
    inserted where not. Terms from ``new_from`` on are new: no main row is looked up for them."""
    rows = iter(rows)
    while part := list(islice(rows, APPEND_TERMS)):
        old = [r[0] for r in part if r[0] < new_from]
        have = []
        if old:
            marks = ",".join("?" * len(old))
            have = conn.execute(
                f"SELECT tid, ids, tfs FROM postings WHERE seg = 0 AND tid IN ({marks})", old
            ).fetchall()
        found = {r[0] for r in have}
        if found:
            both = [*have, *((r[0], r[2], r[3]) for r in part if r[0] in found)]
            tids, ids, tfs, left = concat_rows(both)
            if left:  # overlapping ids: never written (ids only grow), refused rather than mixed
                raise ValueError(f"postings of terms {left[:5]} overlap the main segment's")
            store.rewrite_postings(conn, 0, zip(ids, tfs, tids, strict=True))
        store.insert_rows(
            conn, "postings", ("tid", "seg", "ids", "tfs"), [r for r in part if r[0] not in found]
        )
