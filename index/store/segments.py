"""Segments of the postings and their merging: a size-tiered policy that keeps queries fast.

Each write batch appends one small segment per term it touches. :func:`compact` folds small
segments into level-2 segments and those into the main segment (0); :func:`merge_segments` does
the rewriting in chunks of terms, each its own short transaction, so readers and writers keep
going and a query reads the same postings before, during and after a merge.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import pairwise

import numpy as np

from index.store import doctable
from index.store.store import IndexStore

FOLDED_BASE = 1 << 40  # segment numbers from here on are folded (level-2) segments
FOLD_AFTER = 8  # small segments are folded into one level-2 segment past this many
MAIN_AFTER = 8  # level-2 segments merged into the main segment past this many


def segment_levels(store: IndexStore) -> tuple[int, int]:
    """(small segments, folded segments) currently in the postings."""
    small = store.meta_int("small_segs")
    folded = store.meta_int("folded_segs")
    return small, folded


def compact(store: IndexStore) -> str | None:
    """Keep the number of segments a query reads small, cheaply (a size-tiered policy).

    Past FOLD_AFTER small segments they are folded into one level-2 segment (rewriting only the
    small ones); past MAIN_AFTER level-2 segments everything goes into the main segment.
    Returns what was done, or None.
    """
    small, folded = segment_levels(store)
    if folded > MAIN_AFTER:
        merge_segments(store)
        return "main"
    if small > FOLD_AFTER:
        merge_segments(store, fold=True)
        return "fold"
    return None


def merge_segments(
    store: IndexStore, *, full: bool = False, fold: bool = False, chunk_terms: int = 4000
) -> int:
    """Merge segments; results are identical before, during and after (queries read them all).

    - default: every segment goes into the main segment 0 (appending: main keeps its prefix);
    - ``fold``: only the small segments, into one new level-2 segment (main untouched);
    - ``full``: everything into main, purging deleted passages (tombstones) as well.

    Works in chunks of terms, each its own short transaction, so writers and readers keep going.
    Returns the number of terms rewritten.
    """
    conn = store.conn
    dead = store.tombstones() if full else np.zeros(0, dtype=np.int64)
    dead.sort()
    if full:  # every term, every row
        which, where = "seg >= 0", "seg >= 0"
    elif fold:  # terms with small segments; only those rows
        which = where = f"seg > 0 AND seg < {FOLDED_BASE}"
    else:  # terms with any segment besides main; all their rows, main included
        which, where = "seg > 0", "seg >= 0"
    tids = [
        r[0] for r in conn.execute(f"SELECT DISTINCT tid FROM postings WHERE {which} ORDER BY tid")
    ]
    target = FOLDED_BASE + store.meta_int("next_folded", 0) if fold else 0
    for i in range(0, len(tids), chunk_terms):
        chunk = tids[i : i + chunk_terms]
        with store.transaction():
            marks = ",".join("?" * len(chunk))
            rows = conn.execute(
                f"SELECT tid, seg, ids, tfs FROM postings WHERE tid IN ({marks}) AND {where} "
                "ORDER BY tid, seg",
                chunk,
            ).fetchall()
            grouped: dict[int, list[tuple[bytes, bytes]]] = defaultdict(list)
            for tid, _seg, ids, tfs in rows:
                grouped[tid].append((ids, tfs))
            out = []
            for tid, parts in grouped.items():
                merged = _merge_parts(parts, dead)
                if merged is not None:
                    out.append((tid, *merged))
            conn.executemany(f"DELETE FROM postings WHERE tid IN ({marks}) AND {where}", [chunk])
            conn.executemany(
                f"INSERT INTO postings (tid, seg, ids, tfs) VALUES (?, {target}, ?, ?)",
                out,
            )
            meta: dict[str, object] = {"generation": store.meta_int("generation") + 1}
            if full:  # main blobs may shrink: searchers must drop every cached main segment
                meta["merge_gen"] = store.meta_int("merge_gen") + 1
            store.set_meta(meta)
    with store.transaction():
        if fold:
            store.set_meta(
                {
                    "small_segs": 0,
                    "folded_segs": store.meta_int("folded_segs") + 1,
                    "next_folded": store.meta_int("next_folded") + 1,
                }
            )
        else:
            store.set_meta({"small_segs": 0, "folded_segs": 0})
    if full:
        with store.transaction():
            doctable.rebuild(conn)  # one chunk per 100k passages, deleted ones left out
            conn.executemany("DELETE FROM tombstones WHERE pid = ?", [(int(p),) for p in dead])
            conn.execute(
                "DELETE FROM terms WHERE df <= 0 AND tid NOT IN (SELECT tid FROM postings)"
            )
    return len(tids)


def _first(ids: bytes) -> int:
    return int.from_bytes(ids[:4], "little", signed=True)


def _last(ids: bytes) -> int:
    return int.from_bytes(ids[-4:], "little", signed=True)


def _merge_parts(parts: list[tuple[bytes, bytes]], dead: np.ndarray) -> tuple[bytes, bytes] | None:
    """One term's segments as one (ids, tfs) pair, ids ascending; None if nothing is left.

    Passage ids only grow, so each segment covers a range of ids that no other segment overlaps
    (main the oldest). Ordered by their first id, the blobs then just concatenate; the numpy
    path is for purging deletions, and for any overlap (never written, but cheap to check).
    """
    parts = [p for p in parts if p[0]]
    if not parts:
        return None
    if not len(dead):
        parts.sort(key=lambda p: _first(p[0]))
        if all(_last(a[0]) < _first(b[0]) for a, b in pairwise(parts)):
            return b"".join(p[0] for p in parts), b"".join(p[1] for p in parts)
    ids = np.concatenate([np.frombuffer(p[0], dtype="<i4") for p in parts])
    tfs = np.concatenate([np.frombuffer(p[1], dtype="<u2") for p in parts])
    if len(dead):
        keep = ~np.isin(ids, dead, assume_unique=False)
        ids, tfs = ids[keep], tfs[keep]
    order = np.argsort(ids, kind="stable")
    ids, tfs = ids[order], tfs[order]
    if not len(ids):
        return None
    return ids.astype("<i4").tobytes(), tfs.astype("<u2").tobytes()
