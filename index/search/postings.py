"""What the searcher keeps and reads besides the word postings: a byte-bounded LRU of decoded
postings (:class:`PostingsCache`) and the fusion signals' scores over a query's candidates
(:func:`signal_scores`)."""

from __future__ import annotations

import math
from collections import Counter, OrderedDict
from collections.abc import Sequence

import numpy as np

from index.ranking import fusion
from index.ranking.bm25 import BM25Params
from index.store import vectors


class PostingsCache:
    """An LRU of decoded postings (a term's passage ids and weights, all segments together,
    with the data version they were read at), by term, bounded in bytes."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.used = 0
        self.items: OrderedDict[str, tuple[np.ndarray, np.ndarray, int | None]] = OrderedDict()

    def get(self, term: str) -> tuple[np.ndarray, np.ndarray, int | None] | None:
        item = self.items.get(term)
        if item is not None:
            self.items.move_to_end(term)
        return item

    def put(self, term: str, ids: np.ndarray, tfs: np.ndarray, version: int | None) -> None:
        size = ids.nbytes + tfs.nbytes
        if size > self.max_bytes // 4:
            return
        old = self.items.pop(term, None)
        if old is not None:
            self.used -= old[0].nbytes + old[1].nbytes
        self.items[term] = (ids, tfs, version)
        self.used += size
        while self.used > self.max_bytes and self.items:
            _, (a, b, _v) = self.items.popitem(last=False)
            self.used -= a.nbytes + b.nbytes

    def clear(self) -> None:
        self.items.clear()
        self.used = 0


def signal_scores(
    terms: Sequence[tuple[str, int, int]],
    found: Sequence[tuple[int, bytes, bytes]],
    cand: np.ndarray,
    bigrams: Sequence[str],
    pairs: Sequence[str],
    *,
    n_docs: int,
    lengths: np.ndarray,
    avgdl: Sequence[float],
    params: BM25Params,
    slot: np.ndarray,
) -> list[np.ndarray]:
    """Each fusion signal's BM25 over the candidate passages ``cand`` only (one array per signal).

    ``terms`` are the query's signal terms as (term, tid, df), by term (``IndexStore.signal_terms``:
    those in at most ``df_cap`` of the ``n_docs`` passages), ``found`` the candidates' signal
    vectors (``IndexStore.signal_vectors``). Every entry of the vectors is looked up among the
    query's term ids at once (a binary search), and the candidates through the dense ``slot``
    array (passage id → −1, restored on return); the hits are summed term by term, in the
    order of ``terms``. ``lengths[pid]`` holds a passage's length in each signal.
    """
    qcount = Counter(bigrams)
    qcount.update(pairs)
    n = len(cand)
    if not qcount or not n or not terms or not found:
        return list(np.zeros((fusion.N_SIGNALS, n), dtype=np.float64))
    names, tids, dfs = zip(*terms, strict=True)
    weight = np.array(  # query count · idf of each term
        [
            qcount[t] * max(math.log((n_docs - df + 0.5) / (df + 0.5)), 0.0)
            for t, df in zip(names, dfs, strict=True)
        ],
        dtype=np.float64,
    )
    signal = np.fromiter((t[0] != fusion.BIGRAM for t in names), dtype=np.intp, count=len(names))
    qt = np.asarray(tids, dtype=np.int64)
    by_tid = np.argsort(qt, kind="stable")
    qt_sorted = qt[by_tid]
    pids, etids, etfs = vectors.unpack(found)
    pos = np.searchsorted(qt_sorted, etids)
    pos[pos >= len(qt_sorted)] = 0
    hit = np.flatnonzero(qt_sorted[pos] == etids)
    term = by_tid[pos[hit]]
    order = np.argsort(term, kind="stable")  # term by term: sums independent of the layout
    hit, term = hit[order], term[order]
    slot[cand] = np.arange(n, dtype=np.int32)
    try:
        at = slot[pids[hit]]
    finally:
        slot[cand] = -1
    keep = at >= 0  # (a vector of a passage that is not a candidate: none are read)
    scores = fusion.candidate_scores(
        at[keep], term[keep], etfs[hit][keep], weight, signal, lengths[cand], avgdl, params.k1,
        params.b, n,
    )  # fmt: skip
    return list(scores)
