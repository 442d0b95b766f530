"""Searcher: hits with citations, date windows, stubs, invalid queries."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest

from index.analysis.tokenizer import JapaneseTokenizer
from index.errors import InvalidQuery
from index.search.search import MAX_QUERY_CHARS, Searcher
from index.store.store import IndexStore

from ..conftest import JST


@pytest.fixture
def searcher(news_store: IndexStore, tokenizer: JapaneseTokenizer) -> Searcher:
    return Searcher(news_store, tokenizer)


def test_question_finds_the_answering_article(searcher: Searcher) -> None:
    result = searcher.search("WHOから脱退したのはいつ？", 3)
    assert result.terms == ("who", "脱退", "為る")
    top = result.hits[0]
    assert top.article_id == "who"
    assert top.title == "米国がWHOから脱退、国際保健に空白"
    assert top.url == "https://kiji.example/who"
    assert top.published_at == datetime(2026, 11, 18, 9, tzinfo=JST)
    assert top.heading == "はじめに"
    assert "2026年1月22日" in top.text
    assert result.took_ms > 0


def test_normalised_forms_match(searcher: Searcher) -> None:
    # 付属 in the question, 附属 in the article
    assert searcher.search("付属研究所", 1).hits[0].article_id == "chip"
    # the dictionary form matches the inflected one
    assert searcher.search("金利を引き上げる", 1).hits[0].article_id == "boj"


def test_hit_text_is_the_cited_span(news_store: IndexStore, searcher: Searcher) -> None:
    hit = searcher.search("台風", 1).hits[0]
    body = news_store.get_article(hit.article_id).body  # type: ignore[union-attr]
    assert body[hit.start : hit.end] == hit.text


def test_scores_are_ordered_and_ties_deterministic(searcher: Searcher) -> None:
    hits = searcher.search("円安 金利", 10).hits
    keys = [(-h.score, h.passage_id) for h in hits]
    assert keys == sorted(keys)
    assert [h.passage_id for h in searcher.search("円安 金利", 10).hits] == [
        h.passage_id for h in hits
    ]


def test_date_window_and_stub_filter(searcher: Searcher) -> None:
    since = datetime(2026, 11, 19, tzinfo=JST)
    hits = searcher.search("円安", 10, since=since).hits
    assert hits and all(h.published_at and h.published_at >= since for h in hits)
    until = datetime(2026, 11, 16, tzinfo=JST)
    assert {h.article_id for h in searcher.search("台風 円安", 10, until=until).hits} == {"typhoon"}
    assert all(not h.is_stub for h in searcher.search("為替", 10, include_stubs=False).hits)


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("", "empty"),
        ("   \n", "empty"),
        ("🎉🎉🎉", "no_terms"),
        ("？！。、", "no_terms"),
        ("金利" * MAX_QUERY_CHARS, "too_long"),
    ],
)
def test_invalid_queries_are_explained(searcher: Searcher, query: str, reason: str) -> None:
    with pytest.raises(InvalidQuery) as info:
        searcher.search(query)
    assert info.value.reason == reason
    assert str(info.value)  # a message a user can read


def test_unknown_words_find_nothing(searcher: Searcher) -> None:
    assert searcher.search("量子コンピューター", 5).hits == ()


def test_empty_index(store: IndexStore, tokenizer: JapaneseTokenizer) -> None:
    assert Searcher(store, tokenizer).search("金利").hits == ()


def test_the_passage_arrays_load_as_stored_with_or_without_gaps(
    news_store: IndexStore, tokenizer: JapaneseTokenizer
) -> None:
    """A searcher's per-passage arrays are the stored ones, whether the passage ids run without
    a gap (copied as one slice) or a deleted article left one after a full merge (copied id by
    id); the ranking is the same as a searcher that never saw the deleted article."""
    from index.store.segments import merge_segments

    def loaded(searcher: Searcher) -> dict[int, int]:
        return {p: int(searcher._dl[p]) for p in range(len(searcher._dl)) if searcher._live[p]}

    def stored(pid: np.ndarray, dl: np.ndarray) -> dict[int, int]:
        dead = set(news_store.tombstones().tolist())  # replaced stubs, deleted passages
        return {p: d for p, d in zip(pid.tolist(), dl.tolist(), strict=True) if p not in dead}

    pid, dl, *_ = news_store.load_docs(0)
    assert dl.dtype.itemsize == 4 and list(pid) == sorted(pid)  # as stored: int32, ascending
    before = Searcher(news_store, tokenizer)
    assert loaded(before) == stored(pid, dl)
    middle = int(pid[len(pid) // 2])
    victim = news_store.passage_rows([middle])[middle][4]  # the article of a middle passage
    assert news_store.delete_article(victim, tokenizer)
    merge_segments(news_store, full=True)  # the packed arrays rewritten without the deleted
    pid2, dl2, *_ = news_store.load_docs(0)
    assert middle not in pid2.tolist() and int(pid2[-1]) - int(pid2[0]) + 1 > len(pid2)  # gap
    after = Searcher(news_store, tokenizer)
    assert loaded(after) == stored(pid2, dl2)
    before.refresh()  # the same state reached by a reload
    assert loaded(before) == loaded(after)
    for query in ("日銀の政策金利", "円安の理由"):
        hits = after.search(query, 5).hits
        assert [h.passage_id for h in hits] == [h.passage_id for h in before.search(query, 5).hits]
        assert victim not in {h.article_id for h in hits}
