"""Lexical fusion: extra BM25 signals beside the word index, and their fusion (pure functions).

The word index (Sudachi terms, :mod:`index.ranking.bm25`) misses where Sudachi splits a word differently
in a question and in an article, or not at all (unknown words, names, katakana runs). Two more
signals, each an Okapi BM25 over its own postings in the same index, rescue those:

- **character bigrams** of the folded text (NFKC, lower case), over letters, digits, kana and
  kanji only; bigrams made only of hiragana (した, ている, には) are not indexed: they are in most
  passages, carry almost no idf and made the postings twice as long (on JSQuAD valid leaving
  them out cost −0.0005 R@1);
- **word pairs**: adjacent Sudachi words of the main segmentation (stop words already left
  out), hashed into :data:`PAIR_BUCKETS` buckets so the vocabulary stays bounded whatever the
  corpus (a collision only matters among the few candidates a query scores).

Signal terms live in the ``terms`` table (their document frequency) under a reserved first
character (:data:`BIGRAM`, :data:`PAIR`) that no Sudachi term starts with, and in each
passage's signal vector (``index.store.vectors``), not in inverted postings; each signal has its
own document lengths (its term count per passage) and totals.

A query is fused per query: the word BM25 picks ``candidates`` passages; each signal is scored
over those candidates only (from their stored signal vectors: the query's terms looked up in
each candidate's sorted term ids), divided by its best score among them, and the signals are summed with weights
(:func:`fuse`). Reciprocal-rank fusion was clearly worse in the calibration study. Signal
terms in more than ``df_cap`` of all passages (and more than :data:`DF_CAP_FLOOR`) are skipped:
their idf adds almost nothing.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

BIGRAM = "\x01"  # term prefix of a character bigram
PAIR = "\x02"  # term prefix of a hashed pair of adjacent words
SIGNALS = ("bigram", "pair")  # order of the per-signal lengths everywhere
N_SIGNALS = len(SIGNALS)
PAIR_BUCKETS = 1 << 20

DEFAULT_WEIGHTS = (1.0, 0.7, 0.2)  # word, bigram, pair (JSQuAD valid calibration)
# A signal term in fewer passages than this is never skipped by ``df_cap``: its postings are
# short, and in a small index (a new community's first articles) the share alone skipped most of
# a question's bigrams, leaving the few rare ones to decide the ranking.
DF_CAP_FLOOR = 1000


@dataclass(frozen=True)
class FusionParams:
    """How queries fuse the signals. ``enabled=False`` ranks by plain word BM25."""

    enabled: bool = True
    weights: tuple[float, float, float] = DEFAULT_WEIGHTS  # word, bigram, pair
    candidates: int = 100  # word-BM25 passages re-scored by the extra signals
    df_cap: float = 0.2  # skip signal terms in more than this share of passages

    def __post_init__(self) -> None:
        if len(self.weights) != 3 or any(w < 0 for w in self.weights):
            raise ValueError("fusion needs three non-negative weights (word, bigram, pair)")
        if self.candidates < 1 or not 0 < self.df_cap <= 1:
            raise ValueError("fusion needs candidates >= 1 and 0 < df_cap <= 1")


# ---------------------------------------------------------------------------- signal terms
# Every bigram of letters and digits (kana and kanji are letters) that is not two hiragana,
# found by one overlapping regex search in C: never across punctuation, symbols or spaces.
_BIGRAMS = re.compile(r"(?=(?![\u3041-\u309fー]{2})([^\W_]{2}))")


def char_bigrams(text: str) -> list[str]:
    """The bigram terms of ``text`` in order (duplicates kept), each prefixed with :data:`BIGRAM`.

    The text is folded first (NFKC, lower case), like the word terms.
    """
    return folded_bigrams(unicodedata.normalize("NFKC", text).lower())


def folded_bigrams(folded: str) -> list[str]:
    """:func:`char_bigrams` of text already folded (NFKC, lower case)."""
    return [BIGRAM + g for g in _BIGRAMS.findall(folded)]


def pair_term(a: str, b: str) -> str:
    """The hashed term of the adjacent word pair (a, b): stable across processes and runs."""
    h = zlib.crc32(f"{a}\x00{b}".encode()) % PAIR_BUCKETS
    return f"{PAIR}{h:05x}"


def word_pairs(words: Sequence[str]) -> list[str]:
    """Hashed pair terms of adjacent words (the main segmentation, stop words left out)."""
    return [pair_term(a, b) for a, b in pairwise(words)]


def signal_counts(texts: Iterable[tuple[str, Sequence[str]]]) -> Counter[str]:
    """Signal term counts of a passage made of several texts (title, heading, body), each
    given as (text, its words): bigrams and pairs never span two texts."""
    counts: Counter[str] = Counter()
    for text, words in texts:
        counts.update(char_bigrams(text))
        counts.update(word_pairs(words))
    return counts


def signal_lengths(counts: dict[str, int]) -> tuple[int, int]:
    """(bigram count, pair count) of a passage: each signal's document length."""
    bi = pair = 0
    for term, n in counts.items():
        if term[0] == BIGRAM:
            bi += n
        else:
            pair += n
    return bi, pair


def is_signal(term: str) -> bool:
    return bool(term) and term[0] in (BIGRAM, PAIR)


def query_signals(text: str, words: Sequence[str]) -> tuple[list[str], list[str]]:
    """(bigram terms, pair terms) of a question; ``words`` its words without question words."""
    return char_bigrams(text), word_pairs(words)


# ---------------------------------------------------------------------------- scoring
def candidate_scores(
    at: np.ndarray,
    term: np.ndarray,
    tf: np.ndarray,
    weight: np.ndarray,
    signal: np.ndarray,
    dls: np.ndarray,
    avgdl: Sequence[float],
    k1: float,
    b: float,
    n: int,
) -> np.ndarray:
    """Okapi BM25 of each signal over ``n`` candidate passages: an (N_SIGNALS, n) array.

    One entry per (candidate, query term) the candidate holds, from the candidates' signal
    vectors: candidate ``at[j]`` holds query term ``term[j]`` ``tf[j]`` times. Query term ``i``
    belongs to signal ``signal[i]`` and weighs ``weight[i]`` (query count · idf); ``dls[c, s]``
    is candidate ``c``'s length in signal ``s``, ``avgdl[s]`` the signal's mean length. The
    entries are summed per candidate by one ``np.bincount``, in the order given (the same sums
    as a loop over them, bit for bit: order them by term for sums that do not depend on how
    the vectors were laid out).
    """
    if not len(at) or not n:
        return np.zeros((N_SIGNALS, n), dtype=np.float64)
    tf = np.asarray(tf, dtype=np.float64)
    sig = np.asarray(signal, dtype=np.intp)[term]
    mean = np.asarray(avgdl, dtype=np.float64)[sig]
    dl = dls[at, sig]
    norm = k1 * (1.0 - b + b * dl / np.where(mean > 0, mean, 1.0))
    w = np.asarray(weight, dtype=np.float64)[term] * tf * (k1 + 1.0) / (tf + norm)
    out = np.bincount(sig * n + at, weights=w, minlength=N_SIGNALS * n)
    return out.reshape(N_SIGNALS, n)


def normalise(scores: np.ndarray) -> np.ndarray:
    """``scores`` divided by their maximum (all zeros stay zeros)."""
    top = float(scores.max()) if len(scores) else 0.0
    if top <= 0:
        return np.zeros(len(scores), dtype=np.float64)
    return scores / top


def fuse(signals: Sequence[np.ndarray], weights: Sequence[float]) -> np.ndarray:
    """Σ weight · scores / max(scores) over the signals, per candidate (one query)."""
    if len(signals) != len(weights):
        raise ValueError("one weight per signal")
    if not signals:
        return np.zeros(0, dtype=np.float64)
    out = np.zeros(len(signals[0]), dtype=np.float64)
    for scores, w in zip(signals, weights, strict=True):
        if len(scores) != len(out):
            raise ValueError("every signal scores the same candidates")
        if w:
            out += w * normalise(scores)
    return out


def rank(cand: np.ndarray, fused: np.ndarray, k: int) -> np.ndarray:
    """Indices into ``cand`` of the top ``k`` by fused score (ties: lower passage id first)."""
    order = np.lexsort((cand, -fused))
    return order[:k]
