"""The innermost loops of a query: a term's BM25 weights over its postings, adding weights into
the dense score array, and the fusion signals' BM25 over the candidates' signal vectors. Pure
functions over numpy arrays.

Each runs in one pass of C (``_kernels.c``, built with the package) where numpy needs several:
the weights gather each passage's length normalisation (``norm[ids]`` alone cost 0.27 ms per
100k postings), ``np.add.at`` is numpy's slowest way to add, and the signal scoring took a
dozen numpy calls over a few thousand entries. The C loops perform the same floating-point
operations in the same order as the numpy code they replace (no fused multiply-add), so both
give the same results bit for bit; tests compare them. Where the extension could not be built
(no C compiler at install), the numpy versions run.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from index.ranking import bm25

try:
    from index.search import _kernels  # type: ignore[attr-defined]
except ImportError:  # built optionally (pyproject.toml): numpy does the same, slower
    _kernels = None

COMPILED = _kernels is not None


def weights_numpy(
    ids: np.ndarray, tfs: np.ndarray, norm: np.ndarray, idf: float, k1: float
) -> np.ndarray:
    """idf · tf · (k1+1) / (tf + norm[id]) for each posting, by numpy."""
    return bm25.term_weights(idf, tfs.astype(np.float64), norm[ids], k1)


def weights(
    ids: np.ndarray, tfs: np.ndarray, norm: np.ndarray, idf: float, k1: float
) -> np.ndarray:
    """The BM25 weight of each posting: passage ``ids`` (int32), counts ``tfs`` (uint16),
    ``norm`` the per-passage k1 · (1 − b + b · |D| / avgdl) (float64)."""
    if _kernels is None or len(ids) < 64:
        return weights_numpy(ids, tfs, norm, idf, k1)
    out = np.empty(len(ids), dtype=np.float64)
    _kernels.weights(
        out,
        np.ascontiguousarray(ids, dtype=np.int32),
        np.ascontiguousarray(tfs, dtype=np.uint16),
        np.ascontiguousarray(norm, dtype=np.float64),
        float(idf),
        float(k1),
    )
    return out


def add_at_numpy(scores: np.ndarray, ids: np.ndarray, w: np.ndarray) -> None:
    # np.add.at: 2.4× faster than `scores[ids] += w` on numpy 2 over long lists (the same sums,
    # since ids are unique within a term)
    np.add.at(scores, ids, w)


def add_at(scores: np.ndarray, ids: np.ndarray, w: np.ndarray) -> None:
    """``scores[ids] += w`` for unique passage ``ids`` (int32), in place."""
    if (
        _kernels is None
        or ids.dtype != np.int32
        or w.dtype != np.float64
        or not (ids.flags.c_contiguous and w.flags.c_contiguous and scores.flags.c_contiguous)
        or scores.dtype != np.float64
    ):
        add_at_numpy(scores, ids, w)
        return
    _kernels.add_at(scores, ids, w)


def signal_scores(
    found: Sequence[tuple[int, bytes, bytes]],
    cand: np.ndarray,
    qt: np.ndarray,
    weight: np.ndarray,
    signal: np.ndarray,
    dls: np.ndarray,
    avgdl: np.ndarray,
    k1: float,
    b: float,
) -> np.ndarray:
    """Each fusion signal's Okapi BM25 over the candidates ``cand``, an (S, len(cand)) array,
    from their signal vectors as the store returns them (``found``: passage id, term ids as
    int32 bytes, counts as uint16 bytes; vectors of other passages add nothing). Query term
    ``j`` (id ``qt[j]``) weighs ``weight[j]`` in signal ``signal[j]``; ``dls[c, s]`` is
    candidate c's length in signal s, ``avgdl[s]`` the mean. The same sums as
    :func:`index.ranking.fusion.candidate_scores` over the entries ordered by term, bit for
    bit. C only: callers check :data:`COMPILED`."""
    assert _kernels is not None
    out = np.empty((len(avgdl), len(cand)), dtype=np.float64)
    _kernels.signal_scores(
        out,
        found,
        np.ascontiguousarray(cand, dtype=np.int64),
        np.ascontiguousarray(qt, dtype=np.int32),
        np.ascontiguousarray(weight, dtype=np.float64),
        np.ascontiguousarray(signal, dtype=np.int64),
        np.ascontiguousarray(dls, dtype=np.int32),
        np.ascontiguousarray(avgdl, dtype=np.float64),
        float(k1),
        float(b),
    )
    return out
