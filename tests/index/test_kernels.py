"""The C loops of a query (index/search/_kernels.c) give what their numpy versions give, bit for
bit, and refuse what they cannot read; without the extension the numpy versions run."""

from __future__ import annotations

import numpy as np
import pytest

from index.analysis.tokenizer import JapaneseTokenizer
from index.ranking.bm25 import BM25Params, term_weights
from index.ranking.fusion import BIGRAM, PAIR
from index.search import kernels
from index.search.postings import signal_scores
from index.search.search import Searcher
from index.search.topk import LONG_TERM, Passages, TermWeights, Weights, accumulate, top_k
from index.store.store import IndexStore

needs_c = pytest.mark.skipif(not kernels.COMPILED, reason="the C extension was not built")


@pytest.mark.parametrize(("idf", "k1"), [(2.3, 0.5), (0.0123, 1.5), (7.77, 0.9), (-0.4, 1.2)])
def test_weights_are_the_bm25_weights_bit_for_bit(idf: float, k1: float) -> None:
    rng = np.random.default_rng(abs(int(idf * 100)))
    norm = rng.uniform(0.2, 3.0, 50_000)
    ids = np.sort(rng.choice(50_000, 20_000, replace=False)).astype(np.int32)
    tfs = rng.integers(1, 3_000, 20_000).astype(np.uint16)
    got = kernels.weights(ids, tfs, norm, idf, k1)
    assert got.dtype == np.float64 and got.shape == ids.shape
    expected = term_weights(idf, tfs.astype(np.float64), norm[ids], k1)
    assert np.array_equal(got, expected)  # exact: no rounding differs
    assert np.array_equal(kernels.weights_numpy(ids, tfs, norm, idf, k1), expected)
    pos = np.flatnonzero(rng.random(20_000) < 0.01)  # a few positions, as MaxScore asks
    assert np.array_equal(kernels.weights(ids[pos], tfs[pos], norm, idf, k1), expected[pos])


def test_add_at_adds_like_numpy() -> None:
    rng = np.random.default_rng(5)
    ids = np.sort(rng.choice(80_000, 30_000, replace=False)).astype(np.int32)
    w = rng.uniform(-1.0, 4.0, 30_000)
    base = rng.uniform(0.0, 2.0, 80_000)
    ours, theirs = base.copy(), base.copy()
    kernels.add_at(ours, ids, w)
    np.add.at(theirs, ids, w)
    assert np.array_equal(ours, theirs)
    wide = base.copy()  # ids of another type take numpy's way, with the same sums
    kernels.add_at(wide, ids.astype(np.intp), w)
    assert np.array_equal(wide, theirs)


@needs_c
def test_the_c_loops_check_what_they_are_given() -> None:
    from index.search import _kernels  # type: ignore[attr-defined]

    norm = np.ones(10)
    out = np.empty(3)
    with pytest.raises(IndexError, match="out of range"):
        _kernels.weights(
            out, np.array([1, 2, 10], dtype=np.int32), np.ones(3, dtype=np.uint16), norm, 1.0, 1.5
        )
    with pytest.raises(IndexError, match="out of range"):
        _kernels.add_at(np.zeros(10), np.array([-1], dtype=np.int32), np.ones(1))
    with pytest.raises(ValueError, match="differ in length"):
        _kernels.weights(
            out, np.array([1, 2], dtype=np.int32), np.ones(3, dtype=np.uint16), norm, 1.0, 1.5
        )
    with pytest.raises(ValueError, match="differ in length"):
        _kernels.add_at(np.zeros(10), np.array([1, 2], dtype=np.int32), np.ones(3))
    with pytest.raises(BufferError):  # read-only scores: nowhere to add
        _kernels.add_at(bytes(80), np.array([1], dtype=np.int32), np.ones(1))

    def signals(found: object) -> None:
        _kernels.signal_scores(
            np.empty(2), found, np.array([5], dtype=np.int64), np.array([3], dtype=np.int32),
            np.ones(1), np.zeros(1, dtype=np.int64), np.ones(2, dtype=np.int32), np.ones(2),
            0.5, 0.5,
        )  # fmt: skip

    ids = np.array([3, 4], dtype=np.int32).tobytes()
    signals([(5, ids, np.ones(2, dtype=np.uint16).tobytes())])  # well formed
    signals([(6, b"junk", b"")])  # not a candidate: never read
    with pytest.raises(TypeError, match="pid, tids, tfs"):
        signals([[5, ids, b""]])
    with pytest.raises(ValueError, match="differ in length"):
        signals([(5, ids, np.ones(3, dtype=np.uint16).tobytes())])
    with pytest.raises(ValueError, match="whole number"):
        signals([(5, b"12345", b"12")])


def test_without_the_extension_numpy_does_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(9)
    norm = rng.uniform(0.2, 3.0, 5_000)
    ids = np.sort(rng.choice(5_000, 2_000, replace=False)).astype(np.int32)
    tfs = rng.integers(1, 9, 2_000).astype(np.uint16)
    with_c = kernels.weights(ids, tfs, norm, 1.7, 0.5)
    scores_c = np.zeros(5_000)
    kernels.add_at(scores_c, ids, with_c)
    monkeypatch.setattr(kernels, "_kernels", None)
    without = kernels.weights(ids, tfs, norm, 1.7, 0.5)
    scores_np = np.zeros(5_000)
    kernels.add_at(scores_np, ids, without)
    assert np.array_equal(with_c, without) and np.array_equal(scores_c, scores_np)


def _vectors(
    rng: np.random.Generator, pids: list[int], vocab: int
) -> list[tuple[int, bytes, bytes]]:
    out = []
    for pid in pids:
        tids = np.sort(rng.choice(vocab, int(rng.integers(0, 60)), replace=False)).astype("<i4")
        tfs = rng.integers(1, 6, len(tids)).astype("<u2")
        out.append((pid, tids.tobytes(), tfs.tobytes()))
    return out


@needs_c
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_signal_scores_in_c_are_numpys_bit_for_bit(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fusion signals' BM25 over the candidates' vectors: the C loop and the numpy path
    (fusion.candidate_scores over the entries ordered by term) give the same arrays exactly,
    with query terms of both signals, vectors of passages that are not candidates, candidates
    without a vector and a signal whose mean length is 0."""
    rng = np.random.default_rng(seed)
    vocab = 400
    cand = np.array(sorted(rng.choice(5_000, 100, replace=False)), dtype=np.int64)
    with_vectors = [int(p) for p in cand if rng.random() < 0.9] + [7_000, 7_001]  # strangers
    found = _vectors(rng, with_vectors, vocab)
    names = [f"{BIGRAM if i % 3 else PAIR}{i:04d}" for i in range(40)]
    tids = rng.choice(vocab, 40, replace=False)
    terms = sorted(
        (name, int(tid), int(rng.integers(1, 900))) for name, tid in zip(names, tids, strict=True)
    )
    bigrams = [t for t, *_ in terms if t[0] == BIGRAM] * 2  # a question may repeat a bigram
    pairs = [t for t, *_ in terms if t[0] == PAIR]
    lengths = rng.integers(1, 300, (8_000, 2)).astype(np.int32)
    params = BM25Params(k1=0.5, b=0.5)
    for avgdl in ((120.0, 33.0), (120.0, 0.0)):

        def scores(avgdl: tuple[float, float] = avgdl) -> list[np.ndarray]:
            return signal_scores(
                terms, found, cand, bigrams, pairs, n_docs=8_000, lengths=lengths,
                avgdl=avgdl, params=params,
            )  # fmt: skip

        in_c = scores()
        with monkeypatch.context() as m:
            m.setattr(kernels, "COMPILED", False)
            in_numpy = scores()
        assert len(in_c) == len(in_numpy) == 2
        for a, b in zip(in_c, in_numpy, strict=True):
            assert a.shape == (100,) and np.array_equal(a, b)
        assert in_c[0].any() and in_c[1].any()


def test_a_searcher_ranks_the_same_with_and_without_the_extension(
    news_store: IndexStore, tokenizer: JapaneseTokenizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fused search over the sample articles: the same hits, word scores and fused scores, bit
    for bit, whether the C loops or numpy run."""
    questions = [
        "日銀はなぜ利上げしたのですか",
        "台風21号はどこに上陸した？",
        "補正予算の規模は",
        "円安",
    ]

    def ranked() -> list[list[tuple]]:
        searcher = Searcher(news_store, tokenizer)
        return [
            [(h.passage_id, h.score, h.fused) for h in searcher.search(q, 10).hits]
            for q in questions
        ]

    first = ranked()
    monkeypatch.setattr(kernels, "_kernels", None)
    monkeypatch.setattr(kernels, "COMPILED", False)
    assert ranked() == first and sum(map(len, first)) >= 10


@needs_c
@pytest.mark.parametrize("k", [1, 10, 100])
def test_pruned_accumulation_in_c_is_numpys_bit_for_bit(
    k: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """accumulate() over terms of every kind (weights given, computed where asked, computed
    whole before, asked twice): the same top k, scores bit for bit, with the C loops and with
    numpy alone."""
    n_docs, k1 = 150_000, 0.5
    norm = np.random.default_rng(k).uniform(0.4, 2.5, n_docs)
    spec = ((30, 9.0, 1), (700, 6.0, 1), (LONG_TERM + 9_000, 1.0, 2), (110_000, 0.3, 1))

    def terms() -> list[TermWeights]:
        out = []
        for i, (size, idf, count) in enumerate(spec):
            r = np.random.default_rng(100 * k + i)
            ids = np.sort(r.choice(n_docs, size, replace=False)).astype(np.int32)
            tfs = r.integers(1, 5, size).astype(np.uint16)
            weights = Weights(ids, tfs, idf, norm, k1)
            if i == 2:
                weights.all()  # a cached term some earlier query weighted whole
            given = kernels.weights(ids, tfs, norm, idf, k1) if i == 3 else weights
            out.append(TermWeights([(ids, given)], count, idf * (k1 + 1)))
        return out

    def top() -> tuple[list[int], list[float]]:
        live = np.ones(n_docs, dtype=bool)
        no = np.zeros(n_docs, dtype=bool)
        passages = Passages(live, np.zeros(n_docs), no, np.zeros(n_docs, dtype=np.int64), no.copy())
        scores = np.zeros(n_docs)
        touched: list[np.ndarray] = []
        reach = accumulate(scores, terms(), k, passages, touched, prune=True)
        assert reach is not None
        got = top_k(
            scores, touched, k, passages, since=None, until=None, include_stubs=True,
            exclude=(), terms=("t",), reach=reach,
        )  # fmt: skip
        return got.pids.tolist(), got.scores.tolist()

    in_c = top()
    monkeypatch.setattr(kernels, "_kernels", None)
    monkeypatch.setattr(kernels, "COMPILED", False)
    assert top() == in_c and len(in_c[0]) == k


@pytest.mark.parametrize("n_touched", [3, 40_000])
def test_above_reads_the_touched_passages_or_the_whole_array_alike(n_touched: int) -> None:
    """Few touched passages are read where they are, many by a pass over the dense array: the
    same passages either way, ascending, touched by several terms or by one."""
    from index.search.topk import above

    rng = np.random.default_rng(n_touched)
    scores = np.zeros(100_000)
    touched = [np.sort(rng.choice(100_000, n_touched, replace=False)).astype(np.int32)
               for _ in range(3)]  # fmt: skip
    for ids in touched:
        scores[ids] += rng.uniform(0.1, 2.0, len(ids))
    bound = float(np.median(scores[touched[0]]))
    got = above(scores, touched, bound)
    assert got.tolist() == np.flatnonzero(scores >= bound).tolist() and len(got) > 0
    assert got.dtype == np.intp
