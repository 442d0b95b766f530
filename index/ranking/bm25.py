"""Okapi BM25 scoring as pure functions (no I/O), matching ``rank_bm25.BM25Okapi`` exactly.

The formula (Robertson & Zaragoza 2009, as implemented by rank_bm25 0.2.2 ``BM25Okapi``)::

    score(D, Q) = Σ_{t ∈ Q} idf(t) · tf(t, D) · (k1 + 1) / (tf(t, D) + k1 · (1 − b + b · |D| / avgdl))

    idf(t) = ln((N − n(t) + 0.5) / (n(t) + 0.5))

where N is the number of documents, n(t) the number of documents containing t, |D| the length of D
in terms and avgdl the mean document length. A term occurring in more than half of the documents has
a negative idf; like BM25Okapi we replace it by ``epsilon · mean_idf``, the mean idf over the whole
vocabulary times epsilon (0.25). A query term repeated in the query counts once per occurrence, as
BM25Okapi does by iterating over the query tokens.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

DEFAULT_K1 = 0.5  # low saturation: +0.006 R@1 over 0.9 on JSQuAD valid (bench/quality.py --sweep)
DEFAULT_B = 0.5
DEFAULT_EPSILON = 0.25


@dataclass(frozen=True)
class BM25Params:
    k1: float = DEFAULT_K1
    b: float = DEFAULT_B
    epsilon: float = DEFAULT_EPSILON

    def __post_init__(self) -> None:
        if self.k1 < 0 or not 0 <= self.b <= 1:
            raise ValueError("BM25 needs k1 >= 0 and 0 <= b <= 1")


def raw_idf(n_docs: int, df: int | np.ndarray) -> float | np.ndarray:
    """ln((N − n + 0.5) / (n + 0.5)) — may be negative for terms in more than half the documents."""
    if isinstance(df, np.ndarray):
        return np.log((n_docs - df + 0.5) / (df + 0.5))
    return math.log((n_docs - df + 0.5) / (df + 0.5))


def mean_idf(n_docs: int, dfs: np.ndarray) -> float:
    """Mean raw idf over a vocabulary given every term's document frequency."""
    if len(dfs) == 0:
        return 0.0
    return float(np.mean(raw_idf(n_docs, dfs.astype(np.float64))))


def idf(n_docs: int, df: int, mean: float, epsilon: float) -> float:
    """BM25Okapi's idf: the raw idf, or ``epsilon · mean`` where the raw idf is negative."""
    value = raw_idf(n_docs, df)
    assert isinstance(value, float)
    return epsilon * mean if value < 0 else value


def length_norm(doc_lens: np.ndarray, avgdl: float, params: BM25Params) -> np.ndarray:
    """k1 · (1 − b + b · |D| / avgdl) for every document (float64)."""
    if avgdl <= 0:
        return np.full(len(doc_lens), params.k1, dtype=np.float64)
    return params.k1 * (1.0 - params.b + params.b * doc_lens.astype(np.float64) / avgdl)


def term_weights(idf_value: float, tf: np.ndarray, norm: np.ndarray, k1: float) -> np.ndarray:
    """idf · tf · (k1 + 1) / (tf + norm): one term's contribution to each document that holds it."""
    return idf_value * (tf * (k1 + 1.0)) / (tf + norm)


def salience(count: int, n_docs: int, df: int) -> float:
    """Weight of a term in a text, for picking the terms that say what it is about (related
    articles' "more like this"): log-scaled term frequency times the raw BM25 idf."""
    return (1.0 + math.log(count)) * float(raw_idf(n_docs, df))
