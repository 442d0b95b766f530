"""Searcher: hits with citations, date windows, stubs, invalid queries."""

from __future__ import annotations

from datetime import datetime

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
