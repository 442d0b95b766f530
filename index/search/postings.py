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
    rows: Sequence[tuple[str, int, bytes, bytes]],
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

    ``rows`` are the signal terms' postings (``IndexStore.postings_by_term``: those in at most
    ``df_cap`` of the ``n_docs`` passages), read with the query's word postings in one call;
    they are looked up among the candidates at once through the dense ``slot``
    array (passage id → −1, restored on return), so the cost grows with the postings read, not
    with the number of terms. ``lengths[pid]`` holds a passage's length in each signal.
    """
    qcount = Counter(bigrams)
    qcount.update(pairs)
    if not qcount or not len(cand) or not rows:
        return list(np.zeros((fusion.N_SIGNALS, len(cand)), dtype=np.float64))
    terms, dfs, ids_b, tfs_b = zip(*rows, strict=True)
    # the rows end to end: one copy and one array each, not two arrays per row
    ids = np.frombuffer(b"".join(ids_b), dtype="<i4")
    tfs = np.frombuffer(b"".join(tfs_b), dtype="<u2")
    row_len = np.fromiter(map(len, tfs_b), dtype=np.intp, count=len(rows)) // 2
    weight = np.array(  # query count · idf of each row's term
        [
            qcount[t] * max(math.log((n_docs - df + 0.5) / (df + 0.5)), 0.0)
            for t, df in zip(terms, dfs, strict=True)
        ],
        dtype=np.float64,
    )
    signal = np.fromiter((t[0] != fusion.BIGRAM for t in terms), dtype=np.intp, count=len(rows))
    slot[cand] = np.arange(len(cand), dtype=np.int32)
    try:
        scores = fusion.candidate_scores(
            cand, ids, tfs, row_len, weight, signal, lengths[cand], avgdl, params.k1,
            params.b, slot,
        )  # fmt: skip
    finally:
        slot[cand] = -1
    return list(scores)
