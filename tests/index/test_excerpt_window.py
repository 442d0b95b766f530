"""The window of an excerpt: when the best sentence only restates the question, its neighbour
comes along (real Sudachi, a real SQLite index in tmp_path)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from index.analysis.tokenizer import JapaneseTokenizer
from index.answer.answer import Answerer
from index.answer.excerpt_text import MAX_EXCERPT_CHARS
from index.models import Article, Section
from index.search.search import Searcher
from index.store.store import IndexStore

JST = timezone(timedelta(hours=9))
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=JST)

TOPIC = "あまり強くない雨が長く続くような梅雨を、気象の解説では陰性の梅雨と表現することがある。"
ANSWER = "俳句の世界では女梅雨（おんなづゆ）とも言い、夏の季語として親しまれている。"
OTHER = "梅雨明けの時期は年によって大きく変わる。"
CITY = (
    "ハノーファーはライネ川沿いにある北ドイツの主要都市のひとつ。",
    "ニーダーザクセン州の州都である。",
    "人口は53万人。",
)
FILLERS = [
    "台風が近づき、各地で大雨となった。",
    "今年の桜は例年より早く咲いた。",
    "秋の紅葉が見ごろを迎えている。",
    "冬の寒波で各地に雪が降った。",
    "花粉の飛ぶ量は去年の2倍になる見込みだ。",
    "熱中症に注意するよう呼びかけている。",
]


def _article(id: str, title: str, paragraphs: tuple[str, ...]) -> Article:
    return Article(
        id=id,
        title=title,
        sections=(Section(None, paragraphs),),
        url=f"https://kiji.example/{id}",
        published_at=datetime(2026, 6, 1, tzinfo=JST),
    )


@pytest.fixture(scope="module")
def answerer(tmp_path_factory: pytest.TempPathFactory, tokenizer: JapaneseTokenizer):
    store = IndexStore.open(tmp_path_factory.mktemp("window") / "kiji.db")
    articles = [
        _article("tsuyu", "梅雨の呼び名", (TOPIC + ANSWER, OTHER)),
        _article("city", "北ドイツの都市", ("".join(CITY),)),
    ]
    articles += [_article(f"f{i}", f"季節の話題{i}", (t,)) for i, t in enumerate(FILLERS)]
    store.add_articles(articles, tokenizer)
    yield Answerer(store, Searcher(store, tokenizer), tokenizer)
    store.close()


def test_a_sentence_without_the_answer_takes_its_neighbour(answerer: Answerer) -> None:
    # The best sentence repeats the question (長く続く, 梅雨) but names nothing; the answer
    # (女梅雨) is in the next sentence of the paragraph, which shares no word with the question.
    answer = answerer.ask("長く続く弱い雨の梅雨を何と呼ぶ？", now=NOW)
    assert answer.status == "answered"
    first = answer.excerpts[0]
    assert first.article_id == "tsuyu"
    assert TOPIC in first.text and ANSWER in first.text
    assert len(first.text) <= MAX_EXCERPT_CHARS


def test_the_neighbour_never_crosses_a_paragraph(answerer: Answerer) -> None:
    answer = answerer.ask("長く続く弱い雨の梅雨を何と呼ぶ？", now=NOW)
    assert all(not (ANSWER in e.text and OTHER in e.text) for e in answer.excerpts)


def test_a_sentence_without_a_subject_takes_both_neighbours(answerer: Answerer) -> None:
    # 「ニーダーザクセン州の州都である。」 leaves its subject to the sentence before it (zero
    # anaphora); with no answer of its own it takes both neighbours, as three fit in the limit.
    answer = answerer.ask("ニーダーザクセン州の州都は？", now=NOW)
    first = answer.excerpts[0]
    assert first.article_id == "city"
    assert first.text == "".join(CITY)


def test_a_list_value_takes_its_label_not_the_next_item(
    tmp_path, tokenizer: JapaneseTokenizer
) -> None:
    """A short line of a list (the period under 「・キャンペーン実施期間」) takes a neighbour, but
    the line after it opens the next item (・対象者): its label comes along instead."""
    store = IndexStore.open(tmp_path / "kiji.db")
    lines = (
        "ソフトバンクは13日、かえトクキャンペーンを6月15日から実施すると発表した。",
        "キャンペーンの概要は以下の通り。\n・キャンペーン実施期間\n"
        "2012年6月15日(金)から7月31日(火)まで\n・対象者\n期間中に新規契約したユーザー",
    )
    store.add_articles(
        [_article("campaign", "かえトクキャンペーンを開始", lines)]
        + [_article(f"f{i}", f"季節の話題{i}", (t,)) for i, t in enumerate(FILLERS)],
        tokenizer,
    )
    answerer = Answerer(store, Searcher(store, tokenizer), tokenizer)
    try:
        answer = answerer.ask("かえトクキャンペーンっていつまでやってた？", now=NOW)
        first = answer.excerpts[0]
        assert "7月31日(火)まで" in first.text  # not the lead's 「6月15日から」
        assert "・キャンペーン実施期間" in first.text and "対象者" not in first.text
    finally:
        store.close()
