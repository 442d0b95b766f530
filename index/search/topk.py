"""Selecting a query's top passages from the dense score array: the threshold taken from the
rarest terms' passages, the filters (dates, stubs, excluded articles), and the deterministic
order (score descending, then passage id). Pure functions over numpy arrays: no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from index.search import kernels

# Terms with this many postings entries or more may be added only to the passages that can
# still reach the top k (:func:`accumulate`); shorter ones cost less added everywhere.
LONG_TERM = 20_000
MARGIN = 1e-9  # relative: float rounding of the sums never moves a passage across a bound
# A binary search of one candidate in a long term's ids costs about as much as adding this
# many of its weights everywhere (np.add.at; measured at 213k passages).
SEARCH_COST = 24


@dataclass(frozen=True)
class Scored:
    """Passage ids with their scores, best first (ties: lower passage id first).

    ``scores`` are always the word BM25 scores. When the ranking was fused (``fused`` not None),
    the order is by ``fused`` (descending), so ``scores`` need not be descending.
    """

    pids: np.ndarray
    scores: np.ndarray
    terms: tuple[str, ...]
    fused: np.ndarray | None = None


@dataclass(frozen=True)
class Passages:
    """The per-passage arrays the selection reads (indexed by passage id), and a scratch flag
    array of the same length that is all False before and after each call."""

    live: np.ndarray
    ts: np.ndarray
    stub: np.ndarray
    art: np.ndarray
    hit: np.ndarray


def top_k(
    scores: np.ndarray,
    touched: Sequence[np.ndarray],
    k: int,
    passages: Passages,
    *,
    since: datetime | None,
    until: datetime | None,
    include_stubs: bool,
    exclude: Sequence[int],
    terms: Sequence[str],
    reach: np.ndarray | None = None,
) -> Scored:
    """The top ``k`` live passages of ``scores`` among those ``touched`` (one id array per term
    and segment, rarest terms first), within the filters; with ``reach`` (what
    :func:`accumulate` returned when it pruned, no filter), among those."""
    filtered = since is not None or until is not None or not include_stubs or len(exclude)
    live = passages.live
    cand: np.ndarray | None = None if filtered else reach
    if cand is None and not filtered:
        # Threshold from the rarest terms: k passages score at least t, so every passage of
        # the top k does too; one comparison pass over the dense array finds them all.
        t = sample_threshold(scores, touched, k, live)
        if t is not None and t > 0:
            cand = above(scores, touched, t)
    if cand is None:
        # Mark the matched passages in a dense flag array: one pass over it beats
        # np.unique over millions of touched ids, and zero-score matches stay hits.
        hit = passages.hit
        for ids in touched:
            hit[ids] = True
        cand = np.flatnonzero(hit)
        hit[cand] = False
    cand = cand[live[cand]]
    if filtered and len(cand):
        keep = np.ones(len(cand), dtype=bool)
        if since is not None or until is not None:
            ts = passages.ts[cand]
            if since is not None:
                keep &= ts >= since.timestamp()
            if until is not None:
                keep &= ts < until.timestamp()
        if not include_stubs:
            keep &= ~passages.stub[cand]
        if len(exclude):
            keep &= ~np.isin(passages.art[cand], np.asarray(exclude, dtype=np.int64))
        cand = cand[keep]
    vals = scores[cand]
    if len(cand) > k:
        kth = np.partition(vals, len(vals) - k)[len(vals) - k]
        sel = vals >= kth
        cand, vals = cand[sel], vals[sel]
    order = np.lexsort((cand, -vals))[:k]  # score desc, then passage id asc: deterministic
    return Scored(cand[order].astype(np.int64), vals[order].copy(), tuple(terms))


def sample_threshold(
    scores: np.ndarray, touched: Sequence[np.ndarray], k: int, live: np.ndarray
) -> float | None:
    """The k-th best score among a sample of live passages ``touched`` first (the rarest
    terms'), or None when the sample holds fewer than k: k live passages score at least that
    much, so every passage of the top k does too."""
    pool: list[np.ndarray] = []
    n = 0
    for ids in touched:
        pool.append(ids)
        n += len(ids)
        if n >= k * 4:
            break
    if not pool:
        return None
    # the rarest terms' passages, at most 16·k of them: any k distinct passages give a
    # valid threshold, and np.unique over whole common lists cost 0.5 ms at k = 100
    sample = distinct(np.concatenate(pool)[: k * 16]) if len(pool) > 1 else pool[0]
    sample = sample[live[sample]]
    if len(sample) < k:
        return None
    vals = scores[sample]
    return float(np.partition(vals, len(vals) - k)[len(vals) - k])


def accumulate(
    scores: np.ndarray,
    terms: Sequence[TermWeights],
    k: int,
    passages: Passages,
    touched: list[np.ndarray],
    *,
    prune: bool,
) -> np.ndarray | None:
    """Add each term's weights into the dense ``scores``, rarest term first, and append the
    ids added to ``touched``: the same sums, in the same order, as adding every term to every
    passage, for every passage that can reach the top ``k`` (MaxScore, Turtle & Flood 1995).

    With ``prune`` (no filter will drop passages from the top k), the terms from the first
    of :data:`LONG_TERM` entries on may be added only where they can still matter. After the
    shorter terms, the sample threshold θ (:func:`sample_threshold`) is a score k live
    passages reach at least. The most common terms whose bounds (``TermWeights.bound``: no
    weight of theirs is higher) sum to less than θ cannot lift a passage that has not got
    θ − Σ bound already into the top k. θ rises to the k-th best of the passages that can, and
    each of those terms is added to the passages that can still reach θ (a binary search of
    each in the term's ids, :func:`_add_where`), or everywhere when they are so many that this
    costs less. The other terms get every weight. Passages left out keep a lower score than
    every passage of the top k.

    Returns the passages that can still be in the top k when it pruned (ascending: every
    passage that scores at least the k-th best does), for :func:`top_k` to choose from without
    another pass over the dense array; None otherwise.
    """
    m = len(terms)
    start = m
    if prune:
        start = max(1, next((j for j, t in enumerate(terms) if t.entries >= LONG_TERM), m))
    for term in terms[:start]:
        term.add_to(scores, touched)
    if start == m:
        return None
    theta = sample_threshold(scores, touched, k, passages.live)
    # the longest run of the most common terms, all with a bound, that sum to below θ
    end = m
    rest = [0.0]  # rest[i]: the bounds of the last i terms summed
    while theta is not None and theta > 0 and end > start:
        last = terms[end - 1]
        if last.bound is None or rest[-1] + last.count * last.bound >= theta * (1 - MARGIN):
            break
        rest.append(rest[-1] + last.count * last.bound)
        end -= 1
    for term in terms[start:end]:
        term.add_to(scores, touched)
    if end == m or theta is None:
        return None
    # every passage that can still reach θ (ascending), then θ raised to the k-th best of them
    cand = above(scores, touched, theta - rest[m - end] - MARGIN * theta)
    for j in range(end, m + 1):
        vals = scores[cand]
        if len(cand) > k:
            theta = max(theta, float(np.partition(vals, len(vals) - k)[len(vals) - k]))
            cand = cand[vals >= theta - rest[m - j] - MARGIN * theta]
        if j == m:
            break
        if len(cand) * SEARCH_COST < terms[j].entries:
            _add_where(scores, terms[j], cand)
        else:  # so many candidates that adding the term everywhere costs less
            terms[j].add_to(scores, touched)
    return cand


def above(scores: np.ndarray, touched: Sequence[np.ndarray], bound: float) -> np.ndarray:
    """The passages scoring at least ``bound`` > 0, ascending: only passages ``touched`` (the
    id arrays added into ``scores``) score above zero, so where they are few, those are read
    instead of the whole dense array (0.2 ms at 457k passages)."""
    if sum(len(ids) for ids in touched) * 4 > len(scores):
        return np.flatnonzero(scores >= bound)
    found = [ids[scores[ids] >= bound] for ids in touched]
    return distinct(np.concatenate(found)).astype(np.intp, copy=False)


def _add_where(scores: np.ndarray, term: TermWeights, cand: np.ndarray) -> None:
    """Add ``term``'s weights to the passages ``cand`` (ascending) only, each found by a
    binary search in the term's ids."""
    for ids, w in term.parts:
        at = cand.astype(ids.dtype, copy=False)
        pos = np.searchsorted(ids, at)
        np.minimum(pos, len(ids) - 1, out=pos)
        hit = ids[pos] == at
        pos = pos[hit]
        # `+=` over distinct ids: the same sums as np.add.at
        got = w[pos] if isinstance(w, np.ndarray) else w.at(pos)
        scores[cand[hit]] += got if term.count == 1 else term.count * got


class Weights:
    """One segment's BM25 weights of a term, idf · tf · (k1+1) / (tf + norm[id]) for each of
    its passage ``ids``, computed only where they are asked for (:meth:`at`) or once for all
    (:meth:`all`). A common term's long list is mostly added only to the few passages that
    can still reach the top k (:func:`accumulate`): weighting all of it first cost a query at
    457k passages about a millisecond. Each weight is computed elementwise by the same
    expression either way (:func:`index.search.kernels.weights`, the same as
    :func:`index.ranking.bm25.term_weights`), so the sums are the same bit for bit."""

    __slots__ = ("_all", "_max", "idf", "ids", "k1", "norm", "tfs")

    def __init__(
        self, ids: np.ndarray, tfs: np.ndarray, idf: float, norm: np.ndarray, k1: float
    ) -> None:
        self.ids, self.idf, self.norm, self.k1 = ids, idf, norm, k1
        self.tfs: np.ndarray | None = tfs
        self._all: np.ndarray | None = None
        self._max: float | None = None

    def max(self) -> float | None:
        """The largest weight (None without any), kept: a term in most passages is asked for
        it by every query that holds it (its MaxScore bound), and a scan of its weights cost
        0.17 ms at 457k passages."""
        if self._max is None and len(self.ids):
            self._max = float(self.all().max())
        return self._max

    def at(self, pos: np.ndarray) -> np.ndarray:
        if self._all is not None:
            return self._all[pos]
        assert self.tfs is not None
        return kernels.weights(self.ids[pos], self.tfs[pos], self.norm, self.idf, self.k1)

    def all(self) -> np.ndarray:
        if self._all is None:
            assert self.tfs is not None
            self._all = kernels.weights(self.ids, self.tfs, self.norm, self.idf, self.k1)
            self.tfs = None  # the weights answer every later question
        return self._all

    @property
    def nbytes(self) -> int:
        return (
            self.ids.nbytes
            + (0 if self.tfs is None else self.tfs.nbytes)
            + (0 if self._all is None else self._all.nbytes)
        )


@dataclass(frozen=True)
class TermWeights:
    """One query term's BM25 weights: (passage ids ascending, weights) per segment, the
    weights as an array or as :class:`Weights` computed where needed; how often the query
    holds it, and a bound no weight of one occurrence exceeds (None: none known, or negative
    weights)."""

    parts: list[tuple[np.ndarray, np.ndarray | Weights]]
    count: int
    bound: float | None

    @property
    def entries(self) -> int:
        return sum(len(ids) for ids, _ in self.parts)

    def add_to(self, scores: np.ndarray, touched: list[np.ndarray]) -> None:
        for ids, weights in self.parts:
            w = weights if isinstance(weights, np.ndarray) else weights.all()
            kernels.add_at(scores, ids, w if self.count == 1 else self.count * w)
            touched.append(ids)


def distinct(ids: np.ndarray) -> np.ndarray:
    """The distinct values of ``ids``, ascending: ``np.unique`` by one sort (numpy 2's
    ``np.unique`` hashes first and took 8× as long on the 1,600 ids of a threshold sample)."""
    out = np.sort(ids)
    if len(out) < 2:
        return out
    keep = np.empty(len(out), dtype=bool)
    keep[0] = True
    np.not_equal(out[1:], out[:-1], out=keep[1:])
    return out[keep]
