"""Segments of the postings and their merging: a size-tiered policy that keeps queries fast.

Each write batch appends one small segment per term it touches. :func:`compact` folds small
segments into level-2 segments and those into the main segment (0) while a long ingest runs;
:func:`settle`, run by the writing process after an ingest, a feed poll or a delete, brings the
index back near its fully merged shape. :func:`merge_segments` does the rewriting in chunks of
terms of bounded size, each its own short transaction, so readers and writers keep going and a
query reads the same postings before, during and after a merge; a crash between two chunks
loses nothing (every chunk moves its terms' postings whole).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping
from itertools import pairwise, repeat
from typing import TYPE_CHECKING

import numpy as np

from index.store import doctable
from index.store.concat import concat_rows

if TYPE_CHECKING:  # the store calls the writer; the writer only names the store
    from index.store.store import IndexStore

FOLDED_BASE = 1 << 40  # segment numbers from here on are folded (level-2) segments
FOLD_AFTER = 8  # small segments are folded into one level-2 segment past this many
MAIN_AFTER = 8  # level-2 segments merged into the main segment past this many
MAIN_SHARE = 0.02  # settle() merges into main once the other segments hold this share of it
SETTLE_SMALL = 4  # settle() folds small segments into one level-2 segment at this many
MAX_FOLDED = 4  # settle() folds the level-2 segments (and small ones) into one at this many
CHUNK_BYTES = 8 << 20  # passage-id bytes a merge transaction rewrites at most (one term may exceed)
SMALL = f"seg > 0 AND seg < {FOLDED_BASE}"
OTHERS = f"seg > 0 AND seg < {1 << 62}"  # bounded both ways: SQLite then reads the seg index
SEG_BYTES = "seg_bytes"  # meta: JSON {segment: bytes of passage ids} of every segment but main


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


def segment_bytes(store: IndexStore) -> tuple[int, dict[int, int]]:
    """(bytes of passage ids in the main segment, the same per other segment).

    Both are kept in meta by whoever writes postings, in the same transaction (``main_bytes``,
    and :data:`SEG_BYTES` for the others), so planning reads two meta rows: summing the
    postings' lengths took 0.4-1 s per call on PostgreSQL at 170k passages."""
    main = store.meta_int("main_bytes", -1)
    if main < 0:  # a database from before this count: measured once (a scan of the main rows)
        with store.transaction() as conn:
            main = conn.execute(
                "SELECT coalesce(sum(length(ids)), 0) FROM postings WHERE seg = 0"
            ).fetchone()[0]
            store.set_meta({"main_bytes": main})
    others = kept_bytes(_meta_value(store, SEG_BYTES))
    if others is None:  # likewise: measured once
        with store.transaction() as conn:
            others = dict(
                conn.execute(
                    "SELECT seg, sum(length(ids)) FROM postings WHERE seg > 0 GROUP BY seg"
                ).fetchall()
            )
            store.set_meta({SEG_BYTES: _dump(others)})
    return main, others


def kept_bytes(value: str | None) -> dict[int, int] | None:
    """The :data:`SEG_BYTES` meta value as {segment: bytes}; None when it is not kept yet."""
    if value is None:
        return None
    return {int(seg): int(n) for seg, n in json.loads(value).items()}


def shifted_bytes(value: str | None, changes: Mapping[int, int]) -> str | None:
    """The :data:`SEG_BYTES` meta value after adding ``changes`` (bytes per segment besides
    main; a segment left with none is gone); None when it is not kept (measured when needed)."""
    sizes = kept_bytes(value)
    if sizes is None:
        return None
    for seg, n in changes.items():
        if seg != 0:
            sizes[seg] = sizes.get(seg, 0) + n
    return _dump({seg: n for seg, n in sizes.items() if n > 0})


def kept_bytes_differ(
    meta: Mapping[str, str], actual: Mapping[int, int]
) -> list[tuple[int, int, int]]:
    """(segment, kept, actual) of each byte count in ``meta`` that differs from ``actual`` (bytes
    of passage ids per segment, summed from the postings: ``kiji check``); counts not kept yet
    are not compared."""
    differ = []
    if "main_bytes" in meta and int(meta["main_bytes"]) != actual.get(0, 0):
        differ.append((0, int(meta["main_bytes"]), actual.get(0, 0)))
    kept = kept_bytes(meta.get(SEG_BYTES))
    if kept is not None:
        others = {seg: n for seg, n in actual.items() if seg != 0 and n}
        for seg in sorted(kept.keys() | others.keys()):
            if kept.get(seg, 0) != others.get(seg, 0):
                differ.append((seg, kept.get(seg, 0), others.get(seg, 0)))
    return differ


def _dump(sizes: Mapping[int, int]) -> str:
    return json.dumps({str(seg): int(sizes[seg]) for seg in sorted(sizes)})


def _meta_value(store: IndexStore, key: str) -> str | None:
    row = store.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def plan(store: IndexStore) -> str | None:
    """What :func:`settle` does next: "main" (merge everything into the main segment) once the
    other segments hold MAIN_SHARE of its bytes; "fold-all" (the level-2 and small segments into
    one level-2 segment) at MAX_FOLDED level-2 segments; "fold" (the small ones into one) at
    SETTLE_SMALL of them; else None. A query thus reads main and fewer than 8 small segments
    (holding at most 2 % of the postings), and each passage is rewritten a few times (small →
    level 2, level-2 folds while they are small, main) instead of once per write."""
    main, others = segment_bytes(store)
    if not others:
        return None
    if sum(others.values()) > MAIN_SHARE * main:
        return "main"
    small = sum(1 for s in others if s < FOLDED_BASE)
    if len(others) - small >= MAX_FOLDED:
        return "fold-all"
    if small >= SETTLE_SMALL:
        return "fold"
    return None


def settle(
    store: IndexStore,
    *,
    chunk_bytes: int = CHUNK_BYTES,
    on_step: Callable[[], None] | None = None,
) -> list[str]:
    """Compact after a write until the index is near its merged shape; returns the steps done.

    The writing process calls it after an ingest, a feed poll or a delete, so nobody has to run
    ``kiji optimize``: a query then reads the main segment and at most a few small ones. Every
    step is a series of short transactions (``chunk_bytes`` of postings each; ``on_step`` is
    called after each), so readers never wait, and a crash in the middle loses nothing: the
    next call carries on. Merging everything into main costs about one rewrite of main; it is
    done only once the other segments hold MAIN_SHARE of main's bytes, so its cost spreads over
    the writes that made them.
    """
    done: list[str] = []
    while len(done) < 3 and (step := plan(store)) is not None:
        if step == "main":
            merge_segments(store, chunk_bytes=chunk_bytes, on_step=on_step)
        else:
            merge_segments(
                store, fold=True, fold_all=step == "fold-all", chunk_bytes=chunk_bytes,
                on_step=on_step,
            )  # fmt: skip
        done.append(step)
    store.checkpoint("PASSIVE")  # the WAL back into the file, after the write (BatchWriter)
    return done


def merge_segments(
    store: IndexStore,
    *,
    full: bool = False,
    fold: bool = False,
    fold_all: bool = False,
    chunk_bytes: int = CHUNK_BYTES,
    on_step: Callable[[], None] | None = None,
) -> int:
    """Merge segments; results are identical before, during and after (queries read them all).

    - default: every segment goes into the main segment 0 (appending: main keeps its prefix);
    - ``fold``: only the small segments (``fold_all``: and the level-2 ones), into one new
      level-2 segment (main untouched);
    - ``full``: everything into main, purging deleted passages (tombstones) as well.

    Works in chunks of terms holding about ``chunk_bytes`` of passage ids, each its own short
    transaction, so writers and readers keep going. Returns the number of terms rewritten.
    """
    conn = store.conn
    dead = store.tombstones() if full else np.zeros(0, dtype=np.int64)
    dead.sort()
    if full:  # every term, every row
        which, where = "seg >= 0", "seg >= 0"
    elif fold:  # terms with small (or any non-main) segments; only those rows
        which = where = OTHERS if fold_all else SMALL
    else:  # terms with any segment besides main; all their rows, main included
        which, where = OTHERS, "seg >= 0"
    if fold:  # a number of its own, taken first: an interrupted fold never collides with the next
        with store.transaction():
            number = store.meta_int("next_folded", 0)
            store.set_meta({"next_folded": number + 1})
        target = FOLDED_BASE + number
    else:
        target = 0
    tids = sorted({r[0] for r in conn.execute(f"SELECT tid FROM postings WHERE {which}")})
    done = 0
    while done < len(tids):
        with store.transaction():
            done += _merge_chunk(store, tids[done : done + 4000], where, target, dead, chunk_bytes)
        if on_step is not None:
            on_step()
    with store.transaction():
        if fold:
            folded = 0 if fold_all else store.meta_int("folded_segs")
            store.set_meta({"small_segs": 0, "folded_segs": folded + 1})
        else:
            store.set_meta({"small_segs": 0, "folded_segs": 0})
    if full:
        with store.transaction():
            doctable.rebuild(conn)  # one chunk per 100k passages, deleted ones left out
            conn.executemany("DELETE FROM tombstones WHERE pid = ?", [(int(p),) for p in dead])
            conn.execute(
                "DELETE FROM terms WHERE df <= 0 AND tid NOT IN (SELECT tid FROM postings)"
            )
            # the packed per-passage arrays were rewritten and terms dropped: readers reload
            # them, writers forget the term ids they remember
            store.set_meta({"merge_gen": store.meta_int("merge_gen") + 1})
    return len(tids)


def _merge_chunk(
    store: IndexStore, tids: list[int], where: str, target: int, dead: np.ndarray, most: int
) -> int:
    """One transaction's work: the rows of ``where`` of the first of ``tids`` (those holding
    about ``most`` bytes of passage ids, at least one term) rewritten as one row per term in
    segment ``target``; the segments' byte counts kept exact. Returns how many terms it took.

    A term with a single such row (most terms: rare ones appear in one batch) only changes its
    segment number, in one UPDATE for the whole chunk: its postings are not read into Python.
    """
    conn = store.conn
    heads = conn.execute(
        f"SELECT tid, seg, length(ids) FROM postings WHERE tid IN ({','.join('?' * len(tids))}) "
        f"AND {where}",
        tids,
    ).fetchall()
    # Per-term sizes and row counts as arrays (10^5 rows a chunk: Python loops cost seconds).
    head = np.array(heads, dtype=np.int64).reshape(-1, 3)
    at = np.searchsorted(np.array(tids, dtype=np.int64), head[:, 0])
    size = np.bincount(at, weights=head[:, 2], minlength=len(tids))
    take = max(1, int(np.searchsorted(np.cumsum(size), most, side="right")))
    chunk = tids[:take]
    head = head[at < take]
    at = at[at < take]
    rows_of = np.bincount(at, minlength=take)
    single = rows_of[at] == 1
    if len(dead):  # every row may hold deleted passages: all are read and rewritten
        moved, merged = [], [t for t, n in zip(chunk, rows_of.tolist(), strict=True) if n]
        alone = head[:0]
    else:
        alone = head[single & (head[:, 1] != target)]
        moved = alone[:, 0].tolist()
        merged = [t for t, n in zip(chunk, rows_of.tolist(), strict=True) if n > 1]
    main_delta = 0
    others: Counter[int] = Counter()  # bytes gained per segment besides main (SEG_BYTES)
    if moved:
        if target == 0:
            main_delta += int(alone[:, 2].sum())
        segs, where_seg = np.unique(alone[:, 1], return_inverse=True)
        for seg, n in zip(
            segs.tolist(), np.bincount(where_seg, weights=alone[:, 2]).tolist(), strict=True
        ):
            others[seg] -= int(n)
        others[target] += int(alone[:, 2].sum())
        conn.execute(
            f"UPDATE postings SET seg = {target} WHERE tid IN ({','.join('?' * len(moved))}) "
            f"AND {where}",
            moved,
        )
    if merged:
        marks = ",".join("?" * len(merged))
        rows = conn.execute(
            f"SELECT tid, seg, ids, tfs FROM postings WHERE tid IN ({marks}) AND {where} "
            "ORDER BY tid, seg",
            merged,
        ).fetchall()
        has_target: set[int] = set()
        for tid, seg, ids, _tfs in rows:
            if seg == target:
                has_target.add(tid)
            if seg == 0:
                main_delta -= len(ids)
            others[seg] -= len(ids)
        done: list[tuple[int, bytes, bytes]] = []
        left = merged
        if not len(dead):  # the usual case: every term's rows concatenated at once
            tid_out, ids_out, tfs_out, left = concat_rows([(r[0], r[2], r[3]) for r in rows])
            done = list(zip(tid_out, ids_out, tfs_out, strict=True))
        if left:  # deletions to purge (or overlapping rows): term by term
            grouped: dict[int, list[tuple[bytes, bytes]]] = defaultdict(list)
            wanted = set(left)
            for tid, _seg, ids, tfs in rows:
                if tid in wanted:
                    grouped[tid].append((ids, tfs))
            for tid, parts in grouped.items():
                one = _merge_parts(parts, dead)
                if one is not None:
                    done.append((tid, *one))
        kept = {r[0] for r in done}
        gone = [(t,) for t in merged if t not in kept]
        rewrite = [(r[1], r[2], r[0]) for r in done if r[0] in has_target]
        insert = [(r[0], target, r[1], r[2]) for r in done if r[0] not in has_target]
        # The target's own row (main's, usually the longest) is rewritten in place: no index
        # entries deleted and inserted again for it, only for the other segments' rows.
        conn.execute(
            f"DELETE FROM postings WHERE tid IN ({marks}) AND {where} AND seg != {target}", merged
        )
        conn.executemany(f"DELETE FROM postings WHERE tid = ? AND seg = {target}", gone)
        store.rewrite_postings(conn, target, rewrite)
        store.insert_rows(conn, "postings", ("tid", "seg", "ids", "tfs"), insert)
        written = sum(len(r[1]) for r in done)
        others[target] += written
        if target == 0:
            main_delta += written
    meta: dict[str, object] = {"generation": store.meta_int("generation") + 1}
    main = store.meta_int("main_bytes", -1)
    if target == 0 and main >= 0:
        meta["main_bytes"] = main + main_delta
    sizes = shifted_bytes(_meta_value(store, SEG_BYTES), others)
    if sizes is not None:
        meta[SEG_BYTES] = sizes
    if len(dead):  # main blobs may shrink: searchers must drop every cached main segment
        meta["merge_gen"] = store.meta_int("merge_gen") + 1
    store.set_meta(meta)
    return take


def segment_rows(
    tids: np.ndarray, pids: np.ndarray, tfs: np.ndarray, seg: int
) -> tuple[Iterator[tuple], np.ndarray, np.ndarray]:
    """One new segment from postings triples (any order): its rows ``(tid, seg, ids, tfs)`` (made
    as they are inserted), and each row's term id and posting count (the frequencies it adds),
    as int64 arrays in the rows' order (ascending term ids)."""
    if not len(tids):
        return iter(()), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    order = _by_term(tids, pids)
    tids = tids[order]
    ids = pids[order].astype("<i4").tobytes()
    counts = tfs[order].astype("<u2").tobytes()
    cut = np.flatnonzero(np.diff(tids)) + 1
    starts = np.concatenate(([0], cut)).astype(np.int64)
    ends = np.concatenate((cut, [len(tids)])).astype(np.int64)
    firsts = tids[starts].astype(np.int64)
    # Rows made by iterators written in C (bytes slices, no Python frame per row): a list of
    # 10^6 tuples (or memoryviews, which the cyclic GC tracks) cost 3x more than the slicing,
    # and a generator expression's frame per row as much again as the slicing.
    rows = zip(
        firsts.tolist(),
        repeat(seg),
        map(ids.__getitem__, map(slice, (4 * starts).tolist(), (4 * ends).tolist())),
        map(counts.__getitem__, map(slice, (2 * starts).tolist(), (2 * ends).tolist())),
    )
    return rows, firsts, ends - starts


def _by_term(tids: np.ndarray, pids: np.ndarray) -> np.ndarray:
    """The order that sorts postings by term, then passage id."""
    n = len(tids)
    if (pids[1:] >= pids[:-1]).all():  # in pid order already (the writer's usual case)
        shift = max(n.bit_length(), 1)
        if int(tids.max()) < 1 << (62 - shift) and int(tids.min()) >= 0:
            # one sort of unique int64 keys (term, position): 3x faster than a stable argsort
            key = (tids.astype(np.int64) << shift) | np.arange(n, dtype=np.int64)
            key.sort()
            return key & ((1 << shift) - 1)
        return np.argsort(tids, kind="stable")
    return np.lexsort((pids, tids))


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
    if len(parts) == 2 and not len(dead):  # the usual case (main and one other): no sorting
        a, b = parts
        if _last(b[0]) < _first(a[0]):
            a, b = b, a
        if _last(a[0]) < _first(b[0]):
            return b"".join((a[0], b[0])), b"".join((a[1], b[1]))
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
