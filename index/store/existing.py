"""The stored articles a write batch can collide with (same id, URL or title), looked up once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from index.store.prepare import ID, TITLE_NORM, URL_NORM, PreparedBatch


class Existing:
    """The stored articles a batch can collide with, looked up once per batch by its keys
    (ids, normalised URLs, normalised titles) and kept exact as the batch inserts and deletes.

    Only keys of the batch are ever asked about, and every stored row holding such a key was
    loaded, so the answers equal per-article SELECTs.
    """

    def __init__(self, conn, batches: Sequence[PreparedBatch]) -> None:
        ids, urls, titles = set(), set(), set()
        for b in batches:
            for r in b.rows:
                ids.add(r[ID])
                titles.add(r[TITLE_NORM])
                if r[URL_NORM]:
                    urls.add(r[URL_NORM])
        self.by_id: dict[str, tuple] = {}  # id → (rowid, hash, added_at, url)
        self.dups: Counter[tuple[str, str]] = Counter()  # (url_norm, hash) of real articles
        self.titles: Counter[str] = Counter()
        self.stubs: dict[str, set[int]] = {}  # title_norm → stub rowids
        self.keys: dict[int, tuple] = {}  # rowid → (id, url_norm, hash, title_norm, is_stub)
        select = (
            "SELECT rowid, id, content_hash, added_at, url, url_norm, title_norm, is_stub "
            "FROM articles WHERE {} IN ({})"
        )
        for column, values in (("id", ids), ("url_norm", urls), ("title_norm", titles)):
            values_list = list(values)
            for i in range(0, len(values_list), 500):
                part = values_list[i : i + 500]
                for row in conn.execute(select.format(column, ",".join("?" * len(part))), part):
                    if row[0] not in self.keys:
                        self.add(*row)

    def add(self, rowid, id_, hash_, added_at, url, url_norm, title_norm, is_stub) -> None:
        self.keys[rowid] = (id_, url_norm, hash_, title_norm, is_stub)
        self.by_id[id_] = (rowid, hash_, added_at, url)
        self.titles[title_norm] += 1
        if is_stub:
            self.stubs.setdefault(title_norm, set()).add(rowid)
        elif url_norm:
            self.dups[(url_norm, hash_)] += 1

    def remove(self, rowid: int) -> None:
        id_, url_norm, hash_, title_norm, is_stub = self.keys.pop(rowid)
        del self.by_id[id_]
        self.titles[title_norm] -= 1
        if is_stub:
            self.stubs[title_norm].discard(rowid)
        elif url_norm:
            self.dups[(url_norm, hash_)] -= 1


def new_term_dfs(
    new_tids: np.ndarray, counted: np.ndarray, counts: np.ndarray, removed: Counter[int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The df of each of a write's new terms (``new_tids``, ascending), which are inserted with
    it (no UPDATE for them), and the terms that existed before whose df changes (ascending)
    with the change: from the ``counts`` of passages the write adds per term id (``counted``,
    distinct) and the counts of passages it ``removed`` per term id (negative). Matched as
    arrays, not term by term (a bulk load changes the df of millions of terms)."""

    def split(tids: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        at = np.searchsorted(new_tids, tids)
        hit = at < len(new_tids)
        hit[hit] = new_tids[at[hit]] == tids[hit]
        np.add.at(new_df, at[hit], n[hit])
        return tids[~hit], n[~hit]

    new_df = np.zeros(len(new_tids), dtype=np.int64)
    old_t, old_n = split(np.asarray(counted, dtype=np.int64), np.asarray(counts, dtype=np.int64))
    if removed:
        r_t, r_n = split(
            np.fromiter(removed.keys(), dtype=np.int64, count=len(removed)),
            np.fromiter(removed.values(), dtype=np.int64, count=len(removed)),
        )
        old_t, inverse = np.unique(np.r_[old_t, r_t], return_inverse=True)
        old_n = np.bincount(inverse, weights=np.r_[old_n, r_n]).round().astype(np.int64)
    else:
        order = np.argsort(old_t, kind="stable")  # updates that walk the b-tree forwards
        old_t, old_n = old_t[order], old_n[order]
    keep = old_n != 0
    return new_df, old_t[keep], old_n[keep]
