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
from index.search import kernels
from index.search.topk import Weights

LOW_MASK = 0xFFFF  # see lookup_terms


class PostingsCache:
    """An LRU of common terms' decoded postings, by term: their :class:`Weights` (passage ids
    and counts, and the weights once some query computed them all), with the data version
    they were read at; bounded in bytes (:meth:`trim` after each query, as computing a term's
    weights grows it).

    The bytes are counted as items come and go; :meth:`trim` measures again only the items a
    query took (:meth:`get`, :meth:`put`) since the last trim, the only ones that can have
    grown (summing every item's size after every query cost 0.07 ms at 457k passages)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.used = 0
        self.items: OrderedDict[str, tuple[Weights, int | None]] = OrderedDict()
        self._sizes: dict[str, int] = {}  # each item's bytes when last measured
        self._taken: set[str] = set()

    def get(self, term: str) -> tuple[Weights, int | None] | None:
        item = self.items.get(term)
        if item is not None:
            self.items.move_to_end(term)
            self._taken.add(term)
        return item

    def put(self, term: str, weights: Weights, version: int | None) -> None:
        if weights.nbytes > self.max_bytes // 4:
            return
        self._drop(term)
        self.items[term] = (weights, version)
        self._sizes[term] = weights.nbytes
        self.used += weights.nbytes
        self._taken.add(term)
        self.trim()

    def trim(self) -> None:
        """Measure the items taken since the last trim again and drop the least recently used
        terms beyond the bound."""
        for term in self._taken:
            item = self.items.get(term)
            if item is not None:
                size = item[0].nbytes
                self.used += size - self._sizes[term]
                self._sizes[term] = size
        self._taken.clear()
        while self.used > self.max_bytes and self.items:
            self._drop(next(iter(self.items)))

    def _drop(self, term: str) -> None:
        if self.items.pop(term, None) is not None:
            self.used -= self._sizes.pop(term)

    def clear(self) -> None:
        self.items.clear()
        self._sizes.clear()
        self._taken.clear()
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
) -> list[np.ndarray]:
    """Each fusion signal's BM25 over the candidate passages ``cand`` only (one array per signal).

    ``terms`` are the query's signal terms as (term, tid, df), by term (``IndexStore.signal_terms``:
    those in at most ``df_cap`` of the ``n_docs`` passages), ``found`` the candidates' signal
    vectors (``IndexStore.signal_vectors``: (pid, term ids, counts)). Every entry of the vectors
    is looked up among the query's term ids at once (one binary search over them all); only the
    hits are traced back to their candidate and summed, term by term in the order of
    ``terms``. ``lengths[pid]`` holds a passage's length in each signal.
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
    qt = np.asarray(tids, dtype="<i4")  # the stored ids' type: no conversion of the entries
    if kernels.COMPILED:  # the same sums in one pass of C, straight from the rows read
        scores = kernels.signal_scores(
            found, cand, qt, weight, signal, lengths[cand], np.asarray(avgdl, dtype=np.float64),
            params.k1, params.b,
        )  # fmt: skip
        return list(scores)
    pids, tids_b, tfs_b = zip(*found, strict=True)
    entries = np.frombuffer(b"".join(tids_b), dtype="<i4")
    tfs = np.frombuffer(b"".join(tfs_b), dtype="<u2")
    # the vector (row of ``found``) of each entry ends at ``ends``; the candidate of each row
    ends = np.cumsum(np.fromiter(map(len, tids_b), dtype=np.intp, count=len(found)) // 4)
    index = {pid: i for i, pid in enumerate(cand.tolist())}
    of_row = np.fromiter((index.get(p, -1) for p in pids), dtype=np.intp, count=len(found))
    hit, term = lookup_terms(qt, entries)
    order = np.argsort(term, kind="stable")  # term by term: sums independent of the layout
    hit, term = hit[order], term[order]
    at = of_row[np.searchsorted(ends, hit, side="right")]
    keep = at >= 0  # (a vector of a passage that is not a candidate: none are read)
    scores = fusion.candidate_scores(
        at[keep], term[keep], tfs[hit][keep], weight, signal, lengths[cand], avgdl, params.k1,
        params.b, n,
    )  # fmt: skip
    return list(scores)


def lookup_terms(qt: np.ndarray, entries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(positions in ``entries`` that hold one of the term ids ``qt``, which one each).

    A query's few dozen terms are told apart by the low 16 bits of their ids (a table of 64K
    slots: one gather per entry, 4x cheaper than a binary search); when two of them share those
    bits, by a binary search."""
    low = qt & LOW_MASK
    if len(np.unique(low)) == len(qt):
        table = np.full(LOW_MASK + 1, -1, dtype=np.int16)
        table[low] = np.arange(len(qt), dtype=np.int16)
        slot = table[entries & LOW_MASK]
        maybe = np.flatnonzero(slot >= 0)
        term = slot[maybe].astype(np.intp)
        sure = qt[term] == entries[maybe]
        return maybe[sure], term[sure]
    by_tid = np.argsort(qt, kind="stable")
    qt_sorted = qt[by_tid]
    pos = np.searchsorted(qt_sorted, entries)
    np.minimum(pos, len(qt_sorted) - 1, out=pos)
    hit = np.flatnonzero(qt_sorted[pos] == entries)
    return hit, by_tid[pos[hit]]
