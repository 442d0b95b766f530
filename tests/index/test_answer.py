"""Answer composition over a small real index: excerpts, citations, related articles, not found,
invalid questions and date windows (real Sudachi, real SQLite in tmp_path)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from index.analysis.markup import strip_markup
from index.analysis.tokenizer import JapaneseTokenizer
from index.answer.answer import Answerer
from index.answer.excerpt_text import MAX_EXCERPT_CHARS
from index.models import Article, ArticleLink, Hit, Section
from index.ranking.evidence import MIN_COVERAGE, MIN_RELATIVE, Evidence, Query, evidence
from index.search.related import RelatedFinder
from index.search.search import Searcher
from index.store.store import IndexStore

JST = timezone(timedelta(hours=9))
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=JST)

LONG_SENTENCE = (
    "政府は物価高への対策として、電気料金とガス料金の補助を来年1月から3月まで延長し、"
    "所得の低い世帯に1世帯あたり3万円を給付するほか、子育て世帯には子ども1人あたり2万円を上乗せし、"
    "地方自治体が地域の実情に合わせて使える交付金も積み増すことで、家計の負担を和らげる考えを示しましたが、"
    "財源の多くは国債の追加発行でまかなわれるため、財政の悪化を懸念する声も与党内から上がっており、"
    "最終的な規模の調整は年末の予算編成まで続く見通しで、専門家の間では効果を疑問視する意見も根強く、"
    "特に給付の対象となる世帯の線引きについては自治体の事務負担が重いとの指摘が相次いでいます。"
)


def article(
    id: str,
    title: str,
    sections: list[tuple[str | None, list[str]]],
    *,
    published: datetime,
    related: tuple[ArticleLink, ...] = (),
) -> Article:
    return Article(
        id=id,
        title=title,
        sections=tuple(Section(h, tuple(ps)) for h, ps in sections),
        url=f"https://kiji.example/{id}",
        published_at=published,
        category="経済",
        related=related,
    )


ARTICLES = [
    article(
        "rate",
        "日銀が政策金利を1.0%に引き上げ",
        [
            (
                "はじめに",
                [
                    "日本銀行は11月20日の金融政策決定会合で、政策金利を0.75%から1.0%に引き上げることを決めました。"
                    "利上げは今年2回目です。",
                    "植田総裁は会見で「物価の上昇は想定より長く続いている。」と述べました。"
                    "市場では円安の是正につながるとの見方が出ています。",
                ],
            ),
            (
                "暮らしへの影響",
                ["変動型の住宅ローンの金利は、来年春ごろから上がる見通しです。"],
            ),
        ],
        published=datetime(2026, 11, 20, 9, 0, tzinfo=JST),
        related=(
            ArticleLink("円安が進む理由を解説", "為替の基本を解説します。"),
            ArticleLink("物価の見通しを読む", "消費者物価の今後を展望します。"),
        ),
    ),
    article(
        "yen",
        "円安が進む理由を解説",
        [
            (
                "はじめに",
                [
                    "外国為替市場で円安が進み、1ドル=158円台をつけました。",
                    "日米の金利差が大きいことが、円が売られる主な理由とされています。",
                ],
            )
        ],
        published=datetime(2026, 11, 18, 9, 0, tzinfo=JST),
    ),
    article(
        "loan",
        "住宅ローン金利、大手銀行が引き上げへ",
        [
            (
                "はじめに",
                [
                    "日銀の利上げを受けて、大手銀行は変動型の住宅ローン金利を引き上げる方針です。",
                    "引き上げ幅は0.25%程度になる見通しです。",
                ],
            )
        ],
        published=datetime(2026, 11, 20, 11, 0, tzinfo=JST),
    ),
    article(
        "typhoon",
        "台風21号が高知県に上陸",
        [
            (
                "はじめに",
                [
                    "台風21号は11月19日午前6時ごろ、高知県室戸市付近に上陸しました。",
                    "四国と近畿で停電や鉄道の運休が相次ぎ、約3万戸が停電しました。",
                ],
            )
        ],
        published=datetime(2026, 11, 19, 10, 0, tzinfo=JST),
    ),
    article(
        "museum",
        "北斎展が開幕、錦絵240点を展示",
        [
            (
                "はじめに",
                [
                    "東都国立博物館で特別展「北斎と江戸の出版文化」が開幕しました。",
                    "会期は来年1月24日までで、錦絵や版本など約240点を展示します。",
                ],
            )
        ],
        published=datetime(2026, 10, 5, 10, 0, tzinfo=JST),
    ),
    article(
        "relief",
        "物価高対策の補助延長、給付も",
        [("政府の方針", [LONG_SENTENCE])],
        published=datetime(2026, 11, 17, 10, 0, tzinfo=JST),
    ),
    article(
        "reprint",
        "台風21号の被害まとめ",
        [
            (
                None,
                [
                    "台風21号は11月19日午前6時ごろ、高知県室戸市付近に上陸しました。",
                    "保険会社は被害の受け付け窓口を設けました。",
                ],
            )
        ],
        published=datetime(2026, 11, 19, 18, 0, tzinfo=JST),
    ),
]


@pytest.fixture
def answer_store(tmp_path: Path, tokenizer: JapaneseTokenizer) -> Iterator[IndexStore]:
    store = IndexStore.open(tmp_path / "answer.db")
    store.add_articles(ARTICLES, tokenizer)
    yield store
    store.close()


@pytest.fixture
def answerer(answer_store: IndexStore, tokenizer: JapaneseTokenizer) -> Answerer:
    return Answerer(answer_store, Searcher(answer_store, tokenizer), tokenizer)


# ---------------------------------------------------------------------- excerpts and citations
def test_answer_cites_the_sentence_with_the_answer(answerer: Answerer) -> None:
    answer = answerer.ask("日銀は政策金利を何%に引き上げた？", now=NOW)
    assert answer.status == "answered"
    first = answer.excerpts[0]
    assert first.n == 1
    assert first.article_id == "rate"
    assert "1.0%" in first.text
    assert first.title == "日銀が政策金利を1.0%に引き上げ"
    assert first.url == "https://kiji.example/rate"
    assert first.published_at == datetime(2026, 11, 20, 9, 0, tzinfo=JST)
    assert first.heading == "はじめに"
    assert [e.n for e in answer.excerpts] == list(range(1, len(answer.excerpts) + 1))
    assert answer.took_ms > 0


def test_highlights_are_the_matched_words(answerer: Answerer) -> None:
    answer = answerer.ask("政策金利を引き上げる", now=NOW)
    first = answer.excerpts[0]
    marked = [first.text[s:e] for s, e in first.highlights]
    assert "政策金利" in marked
    assert any(m.startswith("引き上げ") for m in marked)
    for s, e in first.highlights:
        assert 0 <= s < e <= len(first.text)
    starts = [s for s, _ in first.highlights]
    assert starts == sorted(starts)  # sorted and not overlapping
    assert all(a[1] <= b[0] for a, b in zip(first.highlights, first.highlights[1:], strict=False))


def test_amount_question_prefers_the_sentence_with_an_amount(answerer: Answerer) -> None:
    # Both sentences of the loan article match 引き上げ; only the second holds the amount.
    answer = answerer.ask("住宅ローン金利の引き上げ幅はどれくらい？", now=NOW)
    first = answer.excerpts[0]
    assert first.article_id == "loan"
    assert "0.25%" in first.text


def test_excerpt_is_whole_sentences_and_keeps_quotes_together(answerer: Answerer) -> None:
    answer = answerer.ask("植田総裁は会見で何と述べた？", now=NOW)
    first = answer.excerpts[0]
    # 「…。」と述べました。 is one sentence: the 。 inside the quote is not a boundary.
    assert first.text.startswith(
        "植田総裁は会見で「物価の上昇は想定より長く続いている。」と述べました。"
    )
    assert first.text.endswith("。")
    assert len(first.text) <= MAX_EXCERPT_CHARS


def test_long_sentence_is_cut_near_the_match_at_a_word_boundary(
    answerer: Answerer, tokenizer: JapaneseTokenizer
) -> None:
    answer = answerer.ask("給付の対象となる世帯の線引きと自治体の事務負担", now=NOW)
    first = answer.excerpts[0]
    assert first.article_id == "relief"
    assert len(first.text) <= MAX_EXCERPT_CHARS
    assert first.text.startswith("…")
    assert "線引き" in first.text
    body = first.text.strip("…")
    assert body in LONG_SENTENCE
    # Both cuts fall after a 、 or on a Sudachi word boundary: no word is split.
    start = LONG_SENTENCE.index(body)
    end = start + len(body)
    words = {t.start for t in tokenizer.tokens(LONG_SENTENCE)}
    ends = {t.end for t in tokenizer.tokens(LONG_SENTENCE)}
    assert LONG_SENTENCE[start - 1] == "、" or start in words
    assert LONG_SENTENCE[end - 1] == "、" or end in ends | words
    assert "線引き" in first.text and "事務負担" in first.text  # the window holds the most matches


def test_short_best_sentence_takes_its_neighbour(answerer: Answerer) -> None:
    answer = answerer.ask("利上げは今年何回目？", now=NOW)
    texts = [e.text for e in answer.excerpts if e.article_id == "rate"]
    # 「利上げは今年2回目です。」 is short: the sentence before it comes along.
    assert any("利上げは今年2回目です。" in t and "1.0%" in t for t in texts)


def test_several_articles_before_several_excerpts_of_one(answerer: Answerer) -> None:
    answer = answerer.ask("住宅ローンの金利は上がる？", now=NOW)
    assert answer.status == "answered"
    ids = [e.article_id for e in answer.excerpts]
    assert {"rate", "loan"} <= set(ids[:2])
    # A passage may offer two excerpts (its best sentence and the one holding the answer),
    # never the same words twice.
    texts = [e.text.strip("…") for e in answer.excerpts]
    for i, a in enumerate(texts):
        for b in texts[i + 1 :]:
            assert a not in b and b not in a


def test_duplicate_excerpts_are_merged(answerer: Answerer) -> None:
    answer = answerer.ask("台風21号はいつどこに上陸した？", now=NOW)
    texts = [e.text for e in answer.excerpts]
    same = "台風21号は11月19日午前6時ごろ、高知県室戸市付近に上陸しました。"
    assert sum(same in t for t in texts) == 1
    assert len(texts) == len(set(texts))


# ---------------------------------------------------------------------- related articles
def test_related_lists_explicit_links_first_real_before_stub(answerer: Answerer) -> None:
    answer = answerer.ask("日銀の政策金利は何%になった？", now=NOW)
    assert answer.excerpts[0].article_id == "rate"
    related = answer.related
    assert 1 <= len(related) <= 5
    assert related[0].article_id == "yen" and not related[0].is_stub
    assert related[1].title == "物価の見通しを読む" and related[1].is_stub
    cited = {e.article_id for e in answer.excerpts}
    assert not cited & {r.article_id for r in related}


def test_more_like_this_excludes_the_article_and_prefers_similar_ones(
    answer_store: IndexStore, tokenizer: JapaneseTokenizer
) -> None:
    finder = RelatedFinder(answer_store, Searcher(answer_store, tokenizer), tokenizer)
    typhoon = answer_store.get_article("typhoon")
    assert typhoon is not None
    terms = finder.salient_terms(typhoon)
    assert "台風" in terms
    similar = finder.more_like_this(typhoon)
    ids = [r.article_id for r in similar]
    assert "typhoon" not in ids
    assert ids[0] == "reprint"
    assert not any(r.is_stub for r in similar)
    assert finder.related_to(["typhoon"])[0].article_id == "reprint"


def test_related_articles_reuse_the_answers_reading_of_the_cited_passages(
    answer_store: IndexStore, tokenizer: JapaneseTokenizer
) -> None:
    """An answer has read the cited article's passages already: related articles take their
    terms from that reading instead of tokenising them again, with the same result."""
    answerer = Answerer(answer_store, Searcher(answer_store, tokenizer), tokenizer)
    answer = answerer.ask("台風で何戸が停電した？", now=NOW)
    cited = answer.excerpts[0].article_id
    lead = answer_store.passages_of(cited)[0]
    read = answerer.excerpts.read_once._tokens
    assert lead[0] in read  # the answer read the cited article's first passage
    assert answerer.excerpts.terms_of(lead[0], lead[4]) == tokenizer.terms(lead[4])
    asked: list[int] = []

    def counting(pid: int, text: str) -> list[str]:
        asked.append(pid)
        return answerer.excerpts.terms_of(pid, text)

    fresh = RelatedFinder(answer_store, Searcher(answer_store, tokenizer), tokenizer)
    assert fresh.related_to([cited], terms_of=counting) == answer.related
    assert fresh.related_to([cited]) == answer.related  # (cached) and without the reading
    assert lead[0] in asked
    assert (
        RelatedFinder(answer_store, Searcher(answer_store, tokenizer), tokenizer).related_to(
            [cited]
        )
        == answer.related
    )  # a finder that never had it: the same articles
    # a passage whose text is not the one read is tokenised afresh
    assert answerer.excerpts.terms_of(lead[0], "円相場") == tokenizer.terms("円相場")
    # the similar articles are read without their passages' text: the fields a hit has
    full = answer_store.passage_rows([lead[0]])[lead[0]]
    assert answer_store.passage_articles([lead[0]]) == {lead[0]: full[4:8]}
    assert full[4] == cited and answer_store.passage_articles([]) == {}


def test_related_is_capped_at_five(answerer: Answerer) -> None:
    for q in ("円安の理由", "北斎展の会期", "台風の停電"):
        answer = answerer.ask(q, now=NOW)
        assert len(answer.related) <= 5


# ---------------------------------------------------------------------- not found
def test_not_found_offers_the_closest_articles(answerer: Answerer) -> None:
    answer = answerer.ask("ビットコインの半減期はいつ？", now=NOW)
    assert answer.status == "not_found"
    assert answer.excerpts == ()
    assert "見つかりませんでした" in answer.message
    assert answer.related == ()


def test_not_found_when_only_a_common_word_matches(answerer: Answerer) -> None:
    answer = answerer.ask("量子コンピューターの開発競争で日本はどこまで追いついた？", now=NOW)
    assert answer.status == "not_found"
    assert all(r.article_id for r in answer.closest)


def test_evidence_rule_on_hand_computed_values() -> None:
    # Two terms: 金利 (idf 2.0, in the passage) and 暗号 (idf 6.0, absent): coverage 2/8.
    q = Query(
        counts={"金利": 1, "暗号": 1},
        idf={"金利": 2.0, "暗号": 6.0},
        bm25_idf={"金利": 2.0, "暗号": 0.0},
        mass=8.0,
        max_score=(2.0 + 6.0) * 1.9,
    )
    hit = Hit(1, "a", "t", "", None, None, None, "金利", 0, 2, score=1.52)
    ev = evidence(q, hit, {"金利"})
    assert ev.coverage == pytest.approx(0.25)
    assert ev.relative == pytest.approx(1.52 / 15.2)
    assert ev.weak  # 0.25 < MIN_COVERAGE
    assert not Evidence(MIN_COVERAGE, MIN_RELATIVE).weak
    assert Evidence(MIN_COVERAGE - 0.01, 1.0).weak
    assert Evidence(1.0, MIN_RELATIVE - 0.01).weak
    assert evidence(q, None, set()) == Evidence(0.0, 0.0)


def test_empty_index_says_so(tmp_path: Path, tokenizer: JapaneseTokenizer) -> None:
    with IndexStore.open(tmp_path / "empty.db") as store:
        answer = Answerer(store, Searcher(store, tokenizer), tokenizer).ask("金利", now=NOW)
    assert answer.status == "not_found"
    assert "kiji ingest" in answer.message


# ---------------------------------------------------------------------- invalid questions
@pytest.mark.parametrize(
    ("question", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("<@123456> <#42>", "empty"),
        ("😀😀！？", "no_terms"),
        ("金利" * 600, "too_long"),
    ],
)
def test_invalid_questions_get_a_japanese_message(
    answerer: Answerer, question: str, reason: str
) -> None:
    answer = answerer.ask(question, now=NOW)
    assert answer.status == "invalid"
    assert answer.reason == reason
    assert answer.message and any("\u3040" <= ch <= "\u30ff" for ch in answer.message)
    assert answer.question == question


def test_discord_markup_is_ignored(answerer: Answerer) -> None:
    plain = answerer.ask("日銀の政策金利は何%？", now=NOW)
    marked = answerer.ask(
        "<@123> **日銀**の`政策金利`は何%？ <:think:99> https://example.com/x", now=NOW
    )
    assert marked.status == "answered"
    assert [e.text for e in marked.excerpts] == [e.text for e in plain.excerpts]
    assert marked.terms == plain.terms


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("<@123> 金利は？", "金利は？"),
        ("<@!123><@&9><#5> 円安", "円安"),
        ("<:kiji:1234><a:dance:99> 台風", "台風"),
        ("**太字**と__下線__と~~取消~~と||伏字||", "太字と下線と取消と伏字"),
        ("`コード`と```py\nprint()\n```", "コードと print()"),
        ("詳しくは https://kiji.example/a?b=1 を", "詳しくは を"),
        ("[記事](https://kiji.example/a)の要点", "記事の要点"),
        ("> 引用です\n# 見出し", "引用です\n見出し"),
        ("snake_case と 2*3*4", "snake_case と 2*3*4"),
        ("@everyone 地震は？", "地震は？"),
    ],
)
def test_strip_markup(raw: str, clean: str) -> None:
    assert strip_markup(raw) == clean


# ---------------------------------------------------------------------- date windows
def test_yesterday_restricts_to_articles_published_yesterday(answerer: Answerer) -> None:
    answer = answerer.ask("昨日上陸した台風は？", now=NOW)
    assert answer.status == "answered"
    assert answer.window is not None and answer.window.label == "昨日"
    assert answer.window.since == datetime(2026, 11, 19, tzinfo=JST)
    assert "昨日（11月19日）に公開された記事から" in answer.note
    assert {e.article_id for e in answer.excerpts} <= {"typhoon", "reprint"}
    assert "昨日" not in answer.terms


def test_last_month_finds_the_article_of_last_month(answerer: Answerer) -> None:
    answer = answerer.ask("先月開幕した北斎展の会期は？", now=NOW)
    assert answer.status == "answered"
    assert answer.excerpts[0].article_id == "museum"
    assert answer.window is not None and answer.window.label == "先月"


def test_empty_window_falls_back_to_all_articles_and_says_so(answerer: Answerer) -> None:
    answer = answerer.ask("先月の日銀の利上げ幅は？", now=NOW)
    assert answer.status == "answered"
    assert answer.excerpts[0].article_id in {"rate", "loan"}  # both published in November
    assert "見つからなかったため、期間を限らずに探しました" in answer.note


def test_window_excludes_articles_outside_it(answerer: Answerer) -> None:
    # 今週 (Mon 16 – Sun 22 November) holds the rate, loan and yen articles, not the museum.
    answer = answerer.ask("今週の金利のニュース", now=NOW)
    assert answer.status == "answered"
    for e in answer.excerpts:
        assert e.published_at is not None
        assert (
            datetime(2026, 11, 16, tzinfo=JST)
            <= e.published_at
            < datetime(2026, 11, 23, tzinfo=JST)
        )


def test_recent_boosts_without_excluding(answerer: Answerer) -> None:
    answer = answerer.ask("最近の北斎展の会期は？", now=NOW)
    assert answer.status == "answered"
    assert answer.window is not None and answer.window.mode == "boost"
    assert answer.excerpts[0].article_id == "museum"  # 46 days old: boosted less, not excluded


def test_same_question_same_answer_for_the_same_clock(answerer: Answerer) -> None:
    a = answerer.ask("昨日の台風の停電", now=NOW)
    b = answerer.ask("昨日の台風の停電", now=NOW)
    assert [e.text for e in a.excerpts] == [e.text for e in b.excerpts]
    later = answerer.ask("昨日の台風の停電", now=NOW + timedelta(days=10))
    assert later.window is not None and later.window.since != a.window.since  # type: ignore[union-attr]
