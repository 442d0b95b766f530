"""Counting for :mod:`index.store.prepare`: a passage's terms, its fusion signal terms, and each
distinct term's index in a batch's vocabulary; and for the writer (:mod:`index.store.writer`,
:mod:`index.store.vectors`): a batch's terms looked up in its term-id cache, which of them are
signal terms, and the per-passage signal rows.

Per term, in Python, this cost more than Sudachi's own tokenising (a ``Counter.update`` per
text, building each bigram and pair string in a list first, a ``setdefault`` per posting), so
it runs in C (``_counting.c``, built with the package) where a compiler was there at install.
Both do exactly the same: the same counts in the same insertion order, the same vocabulary
ids (tests compare them on real articles). Signal terms are those of
:mod:`index.ranking.fusion`; ``folded`` text is :func:`fold_text`'s.
"""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Iterable, Sequence
from itertools import pairwise

import numpy as np

from index.ranking.fusion import PAIR_BUCKETS, folded_bigrams, is_signal, pair_term
from index.store.pair_dfs import PAIR_BASE, bucket_of

try:
    from index.store import _counting  # type: ignore[attr-defined]
except ImportError:  # built optionally (pyproject.toml): the Python below does the same
    _counting = None

COMPILED = _counting is not None
MAX_TF = 65535  # term counts are stored as uint16


def fold_text(text: str) -> str:
    """NFKC + lower case, as :func:`index.ranking.fusion.char_bigrams` folds before it splits."""
    return unicodedata.normalize("NFKC", text).lower()


def count_into_py(counts: dict[str, int], terms: list[str]) -> None:
    get = counts.get
    for t in terms:
        counts[t] = get(t, 0) + 1


def signals_into_py(counts: dict[str, int], folded: str, words: list[str]) -> tuple[int, int]:
    bigrams = folded_bigrams(folded)
    pairs = [pair_term(a, b) for a, b in pairwise(words)]
    count_into_py(counts, bigrams)
    count_into_py(counts, pairs)
    return len(bigrams), len(pairs)


def intern_py(vocab: dict[str, int], counts: dict[str, int]) -> tuple[bytes, bytes]:
    ids = [vocab.setdefault(t, len(vocab)) for t in counts]
    tfs = np.minimum(np.fromiter(counts.values(), dtype=np.int64, count=len(counts)), MAX_TF)
    return np.array(ids, dtype=np.int32).tobytes(), tfs.astype(np.uint16).tobytes()


def count_into(counts: dict[str, int], terms: list[str]) -> None:
    """``counts[t] += 1`` for each of ``terms`` in order (a new term is added at the end)."""
    if _counting is None:
        count_into_py(counts, terms)
    else:
        _counting.count_into(counts, terms)


def signals_into(counts: dict[str, int], folded: str, words: list[str]) -> tuple[int, int]:
    """Count the character bigram terms of ``folded`` and then the pair terms of ``words`` (one
    text's main-segmentation words) into ``counts``; return how many of each there were (the
    text's share of the passage's bigram and pair lengths)."""
    if _counting is None:
        return signals_into_py(counts, folded, words)
    return _counting.signals_into(counts, folded, words)


def intern(vocab: dict[str, int], counts: dict[str, int]) -> tuple[bytes, bytes]:
    """(int32 ids, uint16 counts capped at :data:`MAX_TF`) of ``counts``' terms in its order,
    as raw bytes; a term new to ``vocab`` gets the next id ``len(vocab)``."""
    if _counting is None:
        return intern_py(vocab, counts)
    return _counting.intern(vocab, counts)


def signal_mask_py(terms: Sequence[str]) -> np.ndarray:
    return np.fromiter(map(is_signal, terms), dtype=bool, count=len(terms))


def _list(terms: Sequence[str]) -> list[str]:
    return terms if isinstance(terms, list) else list(terms)


class TermIds:
    """A writer's memory of term ids: the hashed word pairs' (:func:`index.ranking.fusion.pair_term`:
    :data:`~index.ranking.fusion.PAIR_BUCKETS` of them, most of a batch's terms) in an array by
    bucket, always full (their ids are fixed: :mod:`index.store.pair_dfs`; 8 MB), the other
    terms' in a dict. A look-up in a dict of a million strings costs several cache misses (its
    index, its entry, the key's text); in the array, one."""

    def __init__(self) -> None:
        self.by_text: dict[str, int] = {}
        self.pairs = _pair_ids()  # shared: the look-ups never write a known id

    def __len__(self) -> int:
        """The terms held in the dict (the array's size is fixed)."""
        return len(self.by_text)

    def clear(self) -> None:
        self.by_text.clear()

    def lookup(self, terms: Sequence[str]) -> tuple[np.ndarray, list[str]]:
        """The id of each term as an int64 array, in one pass, and the distinct terms not
        known, in the order they first appear. Each of those is remembered with the placeholder
        ``-(k + 1)``, ``k`` its index in that list, which is also its value in the array
        wherever it occurs: the caller replaces them (:meth:`resolve`) once the terms have
        their ids."""
        if _counting is None:
            return self._lookup_py(terms)
        ids, added = _counting.lookup(self.by_text, self.pairs, _list(terms))
        return np.frombuffer(ids, dtype=np.int64).copy(), added

    def resolve(self, ids: np.ndarray, added: list[str], tids: np.ndarray) -> None:
        """Replace :meth:`lookup`'s placeholders: ``tids[k]`` is the id of ``added[k]``, from
        now on and wherever ``ids`` holds its placeholder (in place)."""
        tids = np.ascontiguousarray(tids, dtype=np.int64)
        if len(added) != len(tids):
            raise ValueError("one id per added term")
        if _counting is None:
            for t, tid in zip(added, tids.tolist(), strict=True):
                self._set(t, tid)
        else:
            _counting.resolve(self.by_text, self.pairs, added, tids)
        if len(added):
            at = ids < 0
            ids[at] = tids[-ids[at] - 1]

    def update(self, items: Iterable[tuple[str, int]]) -> None:
        for t, tid in items:
            self._set(t, tid)

    def _set(self, term: str, tid: int) -> None:
        b = pair_bucket(term)
        if b is None:
            self.by_text[term] = tid
        elif tid != self.pairs[b]:
            raise ValueError(f"a word pair's id is {int(self.pairs[b])}, not {tid}")

    def _lookup_py(self, terms: Sequence[str]) -> tuple[np.ndarray, list[str]]:
        added: list[str] = []
        out = np.empty(len(terms), dtype=np.int64)
        for i, t in enumerate(terms):
            b = pair_bucket(t)
            v = self.by_text.get(t) if b is None else (int(self.pairs[b]) or None)
            if v is None:
                added.append(t)
                v = -len(added)
                if b is None:
                    self.by_text[t] = v
                else:
                    self.pairs[b] = v
            out[i] = v
        return out, added


pair_bucket = bucket_of  # the bucket of a word pair term, or None (index.store.pair_dfs)
_PAIR_IDS: list[np.ndarray] = []


def _pair_ids() -> np.ndarray:
    """Every word pair's fixed id by bucket, made once per process (8 MB: filling it for each
    writer cost a feed item's write 3 ms)."""
    if not _PAIR_IDS:
        _PAIR_IDS.append(np.arange(PAIR_BASE, PAIR_BASE + PAIR_BUCKETS, dtype=np.int64))
    return _PAIR_IDS[0]


def signal_mask(terms: Sequence[str]) -> np.ndarray:
    """A bool array: which ``terms`` are fusion signal terms (:func:`index.ranking.fusion.is_signal`)."""
    if _counting is None:
        return signal_mask_py(terms)
    return np.frombuffer(_counting.signal_mask(_list(terms)), dtype=np.uint8).view(bool)


def vector_rows(
    pids: np.ndarray, tids: np.ndarray, tfs: np.ndarray
) -> list[tuple[int, bytes, bytes]] | None:
    """The ``signal_docs`` rows (:func:`index.store.vectors.rows`) of (passage, term, count)
    triples already grouped by passage (``pids`` non-decreasing, as a write lays them out), from
    one sort of each passage's few hundred terms instead of a sort of all of them; None where
    that does not apply (no extension, another order, a big-endian machine): the caller sorts."""
    if _counting is None or sys.byteorder != "little" or not len(pids):
        return None
    return _counting.vector_rows(
        np.ascontiguousarray(pids, dtype=np.int64),
        np.ascontiguousarray(tids, dtype=np.int64),
        np.ascontiguousarray(np.minimum(tfs, MAX_TF), dtype=np.uint16),
    )
