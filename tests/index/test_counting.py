"""The C counting of prepare (index/store/_counting.c) gives what its Python version gives: the
same counts in the same order, the fusion signal terms of index.ranking.fusion, the same
vocabulary ids; a whole prepared batch is the same either way, on the bundled articles."""

from __future__ import annotations

import itertools
import zlib
from pathlib import Path

import numpy as np
import pytest

from index.analysis.passages import split_passages
from index.analysis.tokenizer import JapaneseTokenizer
from index.ingest.ingest import iter_articles
from index.models import Article
from index.ranking.fusion import PAIR, PAIR_BUCKETS, char_bigrams, pair_term, signal_counts
from index.store import counting, vectors
from index.store.pair_dfs import PAIR_BASE
from index.store.prepare import PreparedBatch, prepare, prepare_batch

needs_c = pytest.mark.skipif(not counting.COMPILED, reason="the C extension was not built")
DATA = Path(__file__).resolve().parents[2] / "data" / "articles"

ODD_TEXTS = [
    "",
    "a",
    "ＡＢＣ１２３ｱｲｳ",  # full width folds to ABC123 and half-width katakana to アイウ
    "した。ている、には",  # hiragana-only bigrams are left out
    "ーーあー東京ー",  # ー goes with the hiragana
    "絵文字😀🎉と①②③、Ⅻ章",  # symbols break bigrams; circled and Roman numerals are numbers
    "e\u0301t\u00e9 Straße İstanbul",  # combining marks, ß, dotted capital I
    "𠮷野家の𩸽",  # outside the BMP
    "snake_case und x_y",  # the underscore is not a letter
    "Ａ\u3000Ｂ\tC\nD",
]


@pytest.fixture(scope="module")
def articles() -> list[Article]:
    found = [a for a in iter_articles([DATA]) if isinstance(a, Article)]
    assert len(found) >= 20
    return found


@pytest.mark.parametrize("text", ODD_TEXTS)
def test_signals_are_the_fusion_signal_terms(tokenizer: JapaneseTokenizer, text: str) -> None:
    words: list[str] = []
    tokenizer.terms(text, words)
    expected = signal_counts([(text, words)])
    for impl in (counting.signals_into, counting.signals_into_py):
        got: dict[str, int] = {}
        n = impl(got, counting.fold_text(text), words)
        assert list(got.items()) == list(expected.items())  # same counts, same order
        assert n == (len(char_bigrams(text)), max(len(words) - 1, 0))


def test_pair_terms_hash_like_zlib() -> None:
    words = ["東京", "タワー", "𠮷野家", "a", "", "Ünïcödé", "x" * 300]
    got: dict[str, int] = {}
    counting.signals_into(got, "", words)
    expected = [pair_term(a, b) for a, b in itertools.pairwise(words)]
    assert list(got) == list(dict.fromkeys(expected))
    for a, b in itertools.pairwise(words):  # the definition, spelled out
        h = zlib.crc32(f"{a}\x00{b}".encode()) % PAIR_BUCKETS
        assert f"{PAIR}{h:05x}" in got


def test_signals_on_every_bundled_passage(
    tokenizer: JapaneseTokenizer, articles: list[Article]
) -> None:
    checked = 0
    for article in articles:
        for p in split_passages(article):
            words: list[str] = []
            tokenizer.terms(p.text, words)
            c, py = {}, {}
            assert counting.signals_into(c, counting.fold_text(p.text), words) == (
                counting.signals_into_py(py, counting.fold_text(p.text), words)
            )
            assert list(c.items()) == list(py.items())
            assert list(c.items()) == list(signal_counts([(p.text, words)]).items())
            checked += 1
    assert checked > 100


def test_count_into_adds_in_order() -> None:
    for impl in (counting.count_into, counting.count_into_py):
        counts = {"b": 2}
        impl(counts, ["a", "b", "c", "a", "a"])
        assert list(counts.items()) == [("b", 3), ("a", 3), ("c", 1)]


def test_intern_gives_ids_in_order_and_caps_counts() -> None:
    for impl in (counting.intern, counting.intern_py):
        vocab = {"x": 0}
        ids, tfs = impl(vocab, {"y": 3, "x": 70_000, "z": 1})
        assert np.frombuffer(ids, dtype=np.int32).tolist() == [1, 0, 2]
        assert np.frombuffer(tfs, dtype=np.uint16).tolist() == [3, counting.MAX_TF, 1]
        assert vocab == {"x": 0, "y": 1, "z": 2}
        assert impl(vocab, {}) == (b"", b"")


@needs_c
def test_the_c_side_refuses_what_it_cannot_count() -> None:
    from index.store import _counting  # type: ignore[attr-defined]

    with pytest.raises(TypeError):
        _counting.count_into([], ["a"])  # not a dict
    with pytest.raises(TypeError):
        _counting.signals_into({}, "text", ["a", 3])  # a word that is not a str
    with pytest.raises(ValueError, match="surrogate"):  # as str.encode() refuses it
        _counting.signals_into({}, "", ["a", "\ud800"])
    with pytest.raises(TypeError):
        _counting.intern({}, {"a": "1"})  # a count that is not an int
    counts = {"a": 1}
    with pytest.raises(TypeError):
        _counting.count_into(counts, [["unhashable"]])
    assert counts == {"a": 1}


def _columns(batch: PreparedBatch) -> tuple:
    return (
        batch.rows,
        batch.bounds,
        batch.passages,
        batch.vocab,
        batch.doc.dtype,
        batch.doc.tolist(),
        batch.term.dtype,
        batch.term.tolist(),
        batch.tf.dtype,
        batch.tf.tolist(),
    )


@needs_c
def test_a_batch_is_the_same_with_c_or_python(
    tokenizer: JapaneseTokenizer, articles: list[Article], monkeypatch: pytest.MonkeyPatch
) -> None:
    compiled = _columns(prepare_batch(articles, tokenizer))
    monkeypatch.setattr(counting, "_counting", None)
    assert _columns(prepare_batch(articles, tokenizer)) == compiled
    # and a batch built from prepared articles without lengths (hand-made ones) counts them
    prepared = [prepare(a, tokenizer) for a in articles]
    for p in prepared:
        for item in (p, *p.stubs):
            item.lengths = []
    assert _columns(PreparedBatch.build(prepared)) == compiled


def test_passage_lengths_are_the_counts(
    tokenizer: JapaneseTokenizer, articles: list[Article]
) -> None:
    p = prepare(articles[0], tokenizer)
    assert len(p.lengths) == len(p.passages) > 1
    for counts, signals, (dl, bigrams, pairs) in zip(p.counts, p.signals, p.lengths, strict=True):
        assert dl == sum(counts.values()) > 0
        assert bigrams == sum(n for t, n in signals.items() if t[0] != PAIR) > 0
        assert pairs == sum(n for t, n in signals.items() if t[0] == PAIR) > 0


@pytest.mark.parametrize("compiled", [True, False])
def test_term_ids_mark_the_missing_terms(compiled: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    if not compiled:
        monkeypatch.setattr(counting, "_counting", None)
    elif counting._counting is None:
        pytest.skip("the C extension was not built")
    p, q = pair_term("東京", "駅"), pair_term("駅", "前")
    bp, bq = counting.pair_bucket(p), counting.pair_bucket(q)
    assert bp is not None and bq is not None
    tp, tq = PAIR_BASE + bp, PAIR_BASE + bq  # a word pair's id is fixed (index.store.pair_dfs)
    terms = ["x", "a", p, "x", "b", q, "z", p]
    ids = counting.TermIds()
    ids.update([("a", 3), ("b", 7)])
    got, added = ids.lookup(terms)
    assert got.dtype == np.int64
    assert added == ["x", "z"]  # distinct, in the order they first appear
    assert got.tolist() == [-1, 3, tp, -1, 7, tq, -2, tp]
    ids.resolve(got, added, np.array([10, 13], dtype=np.int64))
    assert got.tolist() == [10, 3, tp, 10, 7, tq, 13, tp]
    assert ids.by_text == {"a": 3, "b": 7, "x": 10, "z": 13}  # the pairs are kept by bucket
    assert len(ids) == 4
    again, none = ids.lookup(tuple(terms))  # any sequence
    assert again.tolist() == got.tolist() and none == []
    ids.clear()
    assert len(ids) == 0 and ids.lookup([p])[0].tolist() == [tp]


def test_pair_buckets_are_those_of_pair_terms_only() -> None:
    assert counting.pair_bucket(PAIR + "000ff") == 255
    assert counting.pair_bucket(PAIR + "fffff") == (1 << 20) - 1
    for other in [
        PAIR + "000FF",
        PAIR + "00ff",
        PAIR + "000fff",
        "\x01東京",
        "東京駅",
        PAIR + "0x0ff",
    ]:
        assert counting.pair_bucket(other) is None
    ids = counting.TermIds()  # a term that only looks like a pair goes to the dict
    got, added = ids.lookup([PAIR + "000FF", PAIR + "000ff"])
    assert added == [PAIR + "000FF"] and got.tolist() == [-1, PAIR_BASE + 255]
    ids.resolve(got, added, np.array([5], dtype=np.int64))
    assert ids.by_text == {PAIR + "000FF": 5} and got.tolist() == [5, PAIR_BASE + 255]


def test_signal_mask_is_fusion_is_signal() -> None:
    terms = ["東京", char_bigrams("東京")[0], pair_term("東京", "駅"), "", "\x03x", "a"]
    expected = [False, True, True, False, False, False]
    assert counting.signal_mask(terms).tolist() == expected
    assert counting.signal_mask_py(terms).tolist() == expected


@needs_c
def test_vector_rows_sort_each_passage_like_the_general_sort() -> None:
    rng = np.random.default_rng(11)
    sizes = rng.integers(0, 700, 300)  # passages of 0-700 signal terms, some of 1
    pids = np.repeat(np.arange(1000, 1300, dtype=np.int64), sizes)
    tids = np.concatenate([rng.choice(5_000_000, n, replace=False) for n in sizes]).astype(np.int64)
    tfs = rng.integers(1, 70_000, len(pids)).astype(np.uint16)
    grouped = counting.vector_rows(pids, tids, tfs)
    assert grouped is not None and len(grouped) == int((sizes > 0).sum())
    shuffled = rng.permutation(len(pids))  # the general path: any order, one lexsort
    assert counting.vector_rows(pids[shuffled], tids[shuffled], tfs[shuffled]) is None
    assert vectors.rows(pids[shuffled], tids[shuffled], tfs[shuffled]) == grouped
    assert vectors.rows(pids, tids, tfs) == grouped
    for pid, tb, fb in grouped[:5]:
        t = np.frombuffer(tb, dtype="<i4")
        assert (np.diff(t) > 0).all() and pid in pids and 2 * len(fb) == len(tb)


@needs_c
def test_vector_rows_check_what_they_are_given() -> None:
    from index.store import _counting  # type: ignore[attr-defined]

    one = np.ones(3, dtype=np.int64)
    with pytest.raises(ValueError, match="differ in length"):
        _counting.vector_rows(one, one[:2], np.ones(3, dtype=np.uint16))
    with pytest.raises(ValueError, match="out of range"):
        _counting.vector_rows(one, np.array([1, -2, 3], dtype=np.int64), one.astype(np.uint16))
    assert counting.vector_rows(one[:0], one[:0], one[:0].astype(np.uint16)) is None


@pytest.mark.parametrize(
    ("n", "high"),
    [(0, 1), (1, 5), (5_000, 300), (5_000, 1 << 40), (200, 10_000_000), (300_000, 1 << 21)],
    ids=["empty", "one", "dense", "sparse", "few", "bulk"],
)
@pytest.mark.parametrize("pairs", [False, True], ids=["words", "with-pairs"])
def test_distinct_counts_are_those_of_unique(n: int, high: int, pairs: bool) -> None:
    """A write's distinct signal term ids and their counts: by counting where the ids are dense,
    by sorting where they are not; either way what ``np.unique`` gives."""
    rng = np.random.default_rng(n)
    tids = rng.integers(1, high, n, dtype=np.int64)
    if pairs:  # word pairs' fixed ids among them (index.store.pair_dfs)
        tids[: n // 2] = PAIR_BASE + rng.integers(0, PAIR_BUCKETS, n // 2)
    used, counts = vectors.distinct_counts(tids)
    want_used, want_counts = np.unique(tids, return_counts=True)
    assert used.dtype == counts.dtype == np.int64
    assert used.tolist() == want_used.tolist() and counts.tolist() == want_counts.tolist()
