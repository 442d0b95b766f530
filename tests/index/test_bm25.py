"""BM25 scoring: a hand-checked corpus, and exact parity with rank_bm25.BM25Okapi."""

from __future__ import annotations

import math
import random
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from index.models import Article, IngestReport, Passage
from index.ranking.bm25 import BM25Params, term_weights
from index.search import search as search_module
from index.search.postings import PostingsCache
from index.search.search import Searcher
from index.search.topk import (
    LONG_TERM,
    Passages,
    TermWeights,
    Weights,
    accumulate,
    distinct,
    top_k,
)
from index.store.store import IndexStore
from index.store.writer import BatchWriter, PreparedArticle


class WhitespaceTokens:
    """Tokens given directly (space separated), to compare with rank_bm25 on the same tokens."""

    mode = "C"

    def terms(self, text: str) -> list[str]:
        return text.split()

    query_terms = terms


def build(path: Path, docs: list[list[str]], batches: int = 1) -> IndexStore:
    store = IndexStore.open(path)
    writer = BatchWriter(store, WhitespaceTokens())  # type: ignore[arg-type]
    prepared = []
    for i, doc in enumerate(docs):
        a = Article.from_text(f"d{i}", "", " ".join(doc))
        prepared.append(
            PreparedArticle(
                a,
                a.content_hash(),
                [Passage(0, None, 0, len(a.body), a.body)],
                [dict(Counter(doc))],
            )
        )
    step = math.ceil(len(prepared) / batches)
    for i in range(0, len(prepared), step):
        writer.write(prepared[i : i + step], IngestReport())
    return store


def test_hand_checked_corpus(tmp_path: Path) -> None:
    docs = [
        ["金利", "上昇"],
        ["金利", "金利", "円安"],
        ["台風"],
        ["円安", "株価", "上昇", "為替"],
        ["株価"],
    ]
    store = build(tmp_path / "x.db", docs)
    params = BM25Params(k1=1.2, b=0.75)
    searcher = Searcher(store, WhitespaceTokens(), params)  # type: ignore[arg-type]
    scored = searcher.score_terms(["台風"], 10)
    n, avgdl = 5, (2 + 3 + 1 + 4 + 1) / 5
    idf = math.log((n - 1 + 0.5) / (1 + 0.5))
    expected = idf * 1 * (1.2 + 1) / (1 + 1.2 * (1 - 0.75 + 0.75 * 1 / avgdl))
    assert scored.pids.tolist() == [3]
    assert scored.scores[0] == pytest.approx(expected)
    # 円安 (tf 1) is in pids 2 and 4: the shorter passage ranks first
    assert searcher.score_terms(["円安"], 10).pids.tolist() == [2, 4]
    # 金利 twice in pid 2 beats once in pid 1 despite the longer passage
    assert searcher.score_terms(["金利"], 10).pids.tolist() == [2, 1]
    store.close()


@pytest.mark.parametrize(("k1", "b"), [(1.5, 0.75), (0.9, 0.5), (0.4, 0.3)])
@pytest.mark.parametrize("batches", [1, 3])
@pytest.mark.parametrize("cached", [False, True])
def test_equals_rank_bm25_on_random_corpora(
    tmp_path: Path, k1: float, b: float, batches: int, cached: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if cached:  # every term's postings cached, each query asked twice (then from the cache)
        monkeypatch.setattr(search_module, "CACHE_MIN_DF", 1)
    rng = random.Random(k1 * 100 + b * 10 + batches)
    vocab = [f"w{i}" for i in range(40)]
    docs = [
        [rng.choice(vocab[: rng.randint(3, 40)]) for _ in range(rng.randint(1, 25))]
        for _ in range(80)
    ]
    store = build(tmp_path / "x.db", docs, batches=batches)
    reference = BM25Okapi(docs, k1=k1, b=b)
    searcher = Searcher(store, WhitespaceTokens(), BM25Params(k1=k1, b=b))  # type: ignore[arg-type]
    for _ in range(40):
        query = [rng.choice(vocab) for _ in range(rng.randint(1, 5))]
        expected = reference.get_scores(query)
        scored = searcher.score_terms(query, len(docs))
        if cached:
            assert searcher._cache.items
            again = searcher.score_terms(query, len(docs))
            assert again.pids.tolist() == scored.pids.tolist()
            assert again.scores.tolist() == scored.scores.tolist()  # bit for bit
        ours = np.zeros(len(docs))
        ours[scored.pids - 1] = scored.scores
        matched = np.array([any(t in d for t in query) for d in docs])
        np.testing.assert_allclose(ours[matched], expected[matched], rtol=1e-9, atol=1e-12)
        # ranking: score descending, ties by passage id ascending
        order = sorted(np.flatnonzero(matched), key=lambda i: (-expected[i], i))
        assert [int(p) - 1 for p in scored.pids] == order
    store.close()


def test_top_k_is_a_prefix_of_the_full_ranking(tmp_path: Path) -> None:
    rng = random.Random(7)
    vocab = [f"w{i}" for i in range(15)]
    docs = [[rng.choice(vocab) for _ in range(rng.randint(1, 12))] for _ in range(300)]
    store = build(tmp_path / "x.db", docs)
    searcher = Searcher(store, WhitespaceTokens(), BM25Params(k1=0.9, b=0.5))  # type: ignore[arg-type]
    for q in (["w1"], ["w1", "w2", "w3"], ["w0", "w14"]):
        full = searcher.score_terms(q, 1000)
        for k in (1, 5, 17):
            top = searcher.score_terms(q, k)
            assert top.pids.tolist() == full.pids[:k].tolist()
    store.close()


def test_params_are_validated() -> None:
    with pytest.raises(ValueError, match="k1"):
        BM25Params(k1=-1)
    with pytest.raises(ValueError, match="k1"):
        BM25Params(b=2)


def test_distinct_is_numpy_unique() -> None:
    """The threshold sample's dedupe (one sort) gives np.unique's values, in its order."""
    rng = np.random.default_rng(3)
    small = rng.integers(0, 50, 300).astype(np.int32)
    mixed = np.concatenate(
        [rng.integers(0, 9_000, 800).astype(np.int32), rng.integers(0, 9_000, 800)]
    )
    for ids in (np.zeros(0, dtype=np.intp), np.array([7]), np.array([3, 3, 3]), small, mixed):
        out = distinct(ids)
        assert np.array_equal(out, np.unique(ids)) and out.dtype == ids.dtype
    assert len(distinct(small)) <= 50 < len(small)  # the duplicates went


@pytest.mark.parametrize("k", [1, 10, 100])
def test_pruned_accumulation_ranks_exactly_like_adding_everything(k: int) -> None:
    """accumulate() may add the most common terms only where they can still matter: the top k
    (passages, scores bit for bit, order) must be the same as adding every term everywhere."""
    rng = np.random.default_rng(k)
    n_docs = 120_000
    live = rng.random(n_docs) > 0.02  # a few deleted passages
    terms = []
    # rarest first: short lists with high weights, then long common ones with low weights
    for size, idf in (
        (40, 9.0),
        (900, 6.0),
        (3_000, 5.0),
        (LONG_TERM + 5_000, 1.2),
        (60_000, 0.6),
        (90_000, 0.2),
    ):
        ids = np.sort(rng.choice(n_docs, size, replace=False)).astype(np.intp)
        tf = rng.integers(1, 4, size).astype(np.float64)
        w = idf * (tf * 1.5) / (tf + rng.uniform(0.3, 1.2, size))
        w[~live[ids]] = 0.0
        terms.append(TermWeights([(ids, w)], 1, idf * 1.5))
    terms.append(TermWeights([(terms[4].parts[0][0], terms[4].parts[0][1])], 2, 0.6 * 1.5))
    terms.sort(key=lambda t: t.entries)
    no_stub = np.zeros(n_docs, dtype=bool)
    passages = Passages(
        live, np.zeros(n_docs), no_stub, np.zeros(n_docs, dtype=np.int64), no_stub.copy()
    )
    results = []
    for prune in (False, True):
        scores = np.zeros(n_docs)
        touched: list[np.ndarray] = []
        reach = accumulate(scores, terms, k, passages, touched, prune=prune)
        assert (reach is not None) == prune  # these terms are long enough to prune
        top = top_k(
            scores,
            touched,
            k,
            passages,
            since=None,
            until=None,
            include_stubs=True,
            exclude=(),
            terms=("t",),
            reach=reach,
        )
        results.append((top.pids.tolist(), top.scores.tolist()))
        if prune:  # the most common terms were left out somewhere
            assert sum(len(ids) for ids in touched) < sum(t.entries for t in terms)
    assert results[0] == results[1] and len(results[0][0]) == k


def test_weights_computed_where_needed_rank_bit_for_bit_like_all_computed_first() -> None:
    """Terms given as :class:`Weights` (ids and counts; each weight computed where the scoring
    asks for it) rank exactly like the same terms weighted in full first, and the longest
    terms, added only to the passages that can still reach the top k, stay mostly unweighted."""
    rng = np.random.default_rng(3)
    n_docs, k1 = 150_000, 1.5
    norm = rng.uniform(0.4, 2.5, n_docs)
    live = np.ones(n_docs, dtype=bool)
    lazy, eager = [], []
    for size, idf in ((30, 9.0), (700, 6.0), (LONG_TERM + 9_000, 1.0), (110_000, 0.3)):
        ids = np.sort(rng.choice(n_docs, size, replace=False)).astype(np.int32)
        tfs = rng.integers(1, 5, size).astype(np.uint16)
        lazy.append(TermWeights([(ids, Weights(ids, tfs, idf, norm, k1))], 1, idf * (k1 + 1)))
        w = term_weights(idf, tfs.astype(np.float64), norm[ids], k1)
        eager.append(TermWeights([(ids, w)], 1, idf * (k1 + 1)))
    no = np.zeros(n_docs, dtype=bool)
    passages = Passages(live, np.zeros(n_docs), no, np.zeros(n_docs, dtype=np.int64), no.copy())
    results = []
    for terms in (eager, lazy):
        scores = np.zeros(n_docs)
        touched: list[np.ndarray] = []
        accumulate(scores, terms, 10, passages, touched, prune=True)
        top = top_k(
            scores, touched, 10, passages, since=None, until=None, include_stubs=True,
            exclude=(), terms=("t",),
        )  # fmt: skip
        results.append((top.pids.tolist(), top.scores.tolist()))
    assert results[0] == results[1] and len(results[0][0]) == 10
    longest = lazy[-1].parts[0][1]
    assert isinstance(longest, Weights) and longest.nbytes == 6 * 110_000  # never weighted whole
    assert isinstance(lazy[0].parts[0][1], Weights) and lazy[0].parts[0][1].nbytes == 12 * 30


def test_postings_cache_counts_weights_once_computed() -> None:
    """The cache holds ids and counts (6 bytes a posting); a term whose weights a query then
    computed holds 12, and trim() drops the least recently used terms to stay in bounds,
    counting the bytes of the terms queries took since the last trim again."""
    norm = np.ones(1000)
    cache = PostingsCache(max_bytes=6_000 * 4)

    def weights(n: int) -> Weights:
        return Weights(np.arange(n, dtype=np.int32), np.ones(n, dtype=np.uint16), 1.0, norm, 1.5)

    for term in ("a", "b", "c", "d"):
        cache.put(term, weights(1000), version=1)
    assert list(cache.items) == ["a", "b", "c", "d"] and cache.used == 24_000
    cache.get("a")  # used: the most recent now
    taken = cache.get("c")
    assert taken is not None
    taken[0].all()  # a query weighted all of c: 12 bytes a posting
    cache.trim()
    assert list(cache.items) == ["d", "a", "c"] and cache.used == 24_000 <= cache.max_bytes
    assert cache.used == sum(w.nbytes for w, _v in cache.items.values())
    cache.put("d", weights(500), version=2)  # replaced: its old bytes leave the count
    assert list(cache.items) == ["a", "c", "d"] and cache.used == 6_000 + 12_000 + 3_000
    cache.clear()
    assert cache.used == 0 and not cache.items
