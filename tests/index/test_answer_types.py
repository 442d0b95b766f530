"""Answers that answer: what a question asks for, answer-shaped spans, casual Japanese, names that
must be found in one piece, and `kiji eval` — all on real Sudachi output and real SQLite files."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from index.analysis.names import question_phrases
from index.analysis.question import (
    DATE,
    NAME,
    NUMBER,
    OTHER,
    PERSON,
    PLACE,
    QUOTE,
    REASON,
)
from index.analysis.question import read_intent as _read_intent
from index.analysis.tokenizer import JapaneseTokenizer
from index.answer.answer import Answerer
from index.answer.evaluate import EvalFileError, read_questions, run_eval
from index.models import Article, Section
from index.ranking.answer_spans import answer_weight, find_spans, focus_values
from index.search.search import Searcher
from index.store.store import IndexStore

JST = timezone(timedelta(hours=9))
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=JST)


@pytest.fixture(scope="module")
def tok() -> JapaneseTokenizer:
    return JapaneseTokenizer()


def intent(tok: JapaneseTokenizer, question: str):
    return _read_intent(tok.analyse(question)[1])


def fit_in(tok: JapaneseTokenizer, text: str, it, question: str, *matched, **slots):
    """The answer fit of the whole of ``text`` for ``question`` (its intent ``it``)."""
    spans = find_spans(text, tok.analyse(text)[1])
    return answer_weight(text, spans, 0, len(text), it, question, *matched, **slots)


@pytest.mark.parametrize(
    ("question", "kind", "counter"),
    [
        ("ドコモの社長って誰だっけ", PERSON, None),
        ("トヨタ86って予約何台入ってたんだっけ？", NUMBER, "台"),
        ("新ラクティスっていくらから買えるの？", NUMBER, "円"),
        ("日銀は金利をいくらにしたの？", NUMBER, "%"),  # a rate, not an amount of money
        ("初回視聴率何％だった？", NUMBER, "%"),
        ("スクリーム4のブルーレイっていつ出るの？", DATE, None),
        ("皆既食が始まるの何時だった？", DATE, "時"),
        # いつごろ and 何時頃 are one word to Sudachi (いつ頃, 何時頃)
        ("新しいCLSの納車っていつごろって言ってた？", DATE, None),
        ("式典って何時頃始まるの？", DATE, "時"),
        ("何年間の話？", NUMBER, "年間"),
        ("マクドナルドに何年いたの？", DATE, "年"),
        ("お守りって、どこの神社のやつ？", PLACE, None),
        # どこ asking for an organisation or a publication asks for its name
        ("元カノの暴露って、どこの週刊誌に載ってたんだっけ？", NAME, None),
        ("ガイガーカウンター作ってる会社どこ？", NAME, None),
        # a compound headed by 紙 or 誌 is a newspaper or a magazine
        ("天海祐希が信長役やるって報じてたスポーツ紙ってどこ？", NAME, None),
        ("どこの情報誌に載ってたの？", NAME, None),
        # 〜数 is "the number of 〜": its stem counts (画素数 → 1800万画素)
        ("EOS Kiss X4って画素数いくつだっけ", NUMBER, "画素"),
        ("今年の発行部数ってどのくらい？", NUMBER, "部"),
        ("主題歌って桑田佳祐の何て曲？", NAME, None),
        ("ピクサー作品で一番好きなのって何て言ってた？", QUOTE, None),
        ("監督は会見で何と言った？", QUOTE, None),
        # 何と言う in the present asks what a thing is called: a term, not a quotation.
        ("二つ目を上方落語では何と言う", OTHER, None),
        ("これを英語で何と言いますか", OTHER, None),
        ("フリップに書いたメッセージってなんだった？", QUOTE, None),
        ("続編ってなんで公開延期になったの？", REASON, None),
        # なんで ending a question, read by Sudachi as な + ん + で (のだ): still "why".
        ("部屋干しでも乾くの遅くならないのなんで？", REASON, None),
        ("公開が延期になったのなんでだろう", REASON, None),
        ("川澄奈穂美のお父さんって何て名前？", PERSON, None),
        ("1日何個しか作らないんだっけ", NUMBER, "個"),
        ("クマってどんくらい出てんの？", NUMBER, None),
        # どの read as the suffix 殿 after a noun: the surface still says どのくらい.
        ("スカート丈ってひざ上どのくらいがいいの？", NUMBER, "cm"),
        # A class of named things before 何 asks which one, by name.
        ("ジャンプしてくれる拡張って何？", NAME, None),
        ("元ネタの映画なに？", NAME, None),
        # 何 written onto a noun counts it; 何の + noun asks which.
        ("障害で何回線に影響が出たの？", NUMBER, "回線"),
        ("何の回線が止まったの？", NAME, None),
        # 「なんだった」 read as な + ん (のだ) after a noun: still 何.
        ("山葵姐さんの締めの説教なんだった？", QUOTE, None),
        # The adverb 何しろ read as 何(を)しろ, reported with a verb of saying.
        ("山葵姐さんにまず何しろって言われてた？", QUOTE, None),
    ],
)
def test_the_answer_type_a_question_asks_for(
    tok: JapaneseTokenizer, question: str, kind: str, counter: str | None
) -> None:
    got = intent(tok, question)
    assert got.kind == kind, got
    if counter is not None:
        assert counter in got.counters, got


def test_indefinite_and_everyday_words_are_not_questions(tok: JapaneseTokenizer) -> None:
    # いつも is "always", not いつ: the question is about a place.
    assert intent(tok, "いつも持ち歩いてるお守りって、どこの神社のやつ？").kind == PLACE
    assert intent(tok, "日銀の会合の結果を教えて").kind is None


def test_a_statement_ending_in_nande_is_no_question(tok: JapaneseTokenizer) -> None:
    # 「…なんで、」「…なんで。」 is "because": only the end of a question makes it "why".
    assert intent(tok, "台風なんで、中止です。").kind is None
    assert intent(tok, "そういうことなんで。").kind is None


def test_statements_are_not_read_as_questions(tok: JapaneseTokenizer) -> None:
    assert intent(tok, "それは説教なんだ").kind is None  # のだ of explanation, no question
    assert intent(tok, "何しろ暑い").kind is None  # 何しろ "anyway"
    assert intent(tok, "WHOって何？").kind == OTHER  # not a class of named things


def test_interrogative_adnominals_and_hedges_are_not_what_is_asked_about(
    tok: JapaneseTokenizer,
) -> None:
    assert tok.query_terms("どのような立場で建築を行っていたか") == ["立場", "建築", "行う", "居る"]
    assert "如何なる" not in tok.query_terms("いかなる場合に適用される？")
    assert intent(tok, "どういう理由で延期した？").kind == REASON
    # A formal noun (もの, こと) weighs like a predicate in the evidence, not like a topic.
    weak = Answerer._non_content_terms(tok.analyse("鮭の赤色は何の成分によるものか")[1])
    assert "物" in weak and "鮭" not in weak and "成分" not in weak


def test_the_value_given_to_the_focus_answers_even_when_sudachi_knows_no_name(
    tok: JapaneseTokenizer,
) -> None:
    question = "ジャッキー・チェンの本名ってなんだっけ？"
    it = intent(tok, question)
    assert "本名" in it.focus
    text = "本名は陳港生（家系図上での本名は房仕龍）。"
    morphs = tok.analyse(text)[1]
    assert not any(s.kind == "person" for s in find_spans(text, morphs))  # not a known name
    spans = [*find_spans(text, morphs), *focus_values(text, morphs, it.focus)]
    fit = answer_weight(text, spans, 0, len(text), it, question)
    assert fit.weight == 1.0 and fit.span is not None
    assert text[fit.span.start : fit.span.end] == "陳港生"


def test_a_label_in_corner_brackets_is_a_weak_name(tok: JapaneseTokenizer) -> None:
    question = "ジャンプしてくれる拡張って何？"
    it = intent(tok, question)
    label = "目的の場所へジャンプできる拡張機能【知っ得！虎の巻】"
    name = "拡張機能の『Quick Scroll』を導入しよう。"
    weights = [
        answer_weight(t, find_spans(t, tok.analyse(t)[1]), 0, len(t), it, question).weight
        for t in (label, name)
    ]
    assert weights[0] < 0.5 <= weights[1]


def test_question_words_and_their_parts_never_become_search_terms(tok: JapaneseTokenizer) -> None:
    # いくつ is split into 幾/つ by mode A: neither part may find いくつか in a document.
    terms = tok.query_terms("熊本地震って最大震度いくつだった？")
    assert "幾つ" not in terms and "幾" not in terms and "つ" not in terms
    assert "震度" in terms
    assert "どん" not in tok.query_terms("クマってどんくらい出てんの？")
    assert tok.query_terms("納車っていつごろ？") == ["納車"]


def test_spans_of_numbers_carry_their_counter(tok: JapaneseTokenizer) -> None:
    text = "予約は7000台に達した。重さは約875gで、価格は144万5000円から。打率は3割8厘。"
    spans = find_spans(text, tok.analyse(text)[1])
    numbers = {text[s.start : s.end]: s.counter for s in spans if s.kind == "number"}
    assert numbers["7000台"] == "台"
    assert numbers["約875g"] == "g"
    assert numbers["144万5000円"] == "円"
    assert numbers["3割8厘"].startswith("割")


def test_degrees_are_written_as_celsius_too(tok: JapaneseTokenizer) -> None:
    question = "豊岡市の過去最高気温は何度か。"
    it = intent(tok, question)
    text = "過去最高気温は2000年7月22日に観測した39.3℃である。"
    fit = answer_weight(text, find_spans(text, tok.analyse(text)[1]), 0, len(text), it, question)
    assert fit.weight == 1.0 and fit.span is not None
    assert text[fit.span.start : fit.span.end] == "39.3℃"


def test_person_place_and_quote_spans(tok: JapaneseTokenizer) -> None:
    text = (
        "コリン・ファレルが吸血鬼役を演じる。お守りは熱田神宮のもの。「ママへありがとう」と書いた。"
    )
    spans = find_spans(text, tok.analyse(text)[1])
    kinds = {(s.kind, text[s.start : s.end]) for s in spans}
    assert ("person", "コリン・ファレル") in kinds
    assert ("place", "熱田神宮") in kinds
    assert ("quote", "「ママへありがとう」") in kinds
    # Advice without 「」: an imperative or a sentence-final particle of speech.
    advice = "仕事より大切なものが多いなら、とっとと転職せよ。会社なんていくらでもあるわよ。"
    kinds = {s.kind for s in find_spans(advice, tok.analyse(advice)[1])}
    assert "speech" in kinds
    plain = "日銀は政策金利を引き上げた。"
    assert "speech" not in {s.kind for s in find_spans(plain, tok.analyse(plain)[1])}


def test_an_answer_already_in_the_question_is_not_an_answer(tok: JapaneseTokenizer) -> None:
    question = "浅田真央の舞ちゃんって誰？"
    it = intent(tok, question)
    text = "浅田真央は笑顔を見せた。姉の浅田舞も応援した。"
    spans = find_spans(text, tok.analyse(text)[1])
    first = answer_weight(text, spans, 0, text.index("。") + 1, it, question)
    assert first.weight == 0.0  # 浅田真央 is the topic, not the answer
    second = answer_weight(text, spans, text.index("。") + 1, len(text), it, question)
    assert second.weight == 1.0 and second.span is not None


def test_the_goal_particle_of_the_question_marks_the_slot(tok: JapaneseTokenizer) -> None:
    question = "豊田の次はどこに引っ越したんだっけ？"
    it = intent(tok, question)
    assert it.slot_particle == "に"
    text = "奄美大島の接骨院をたたみ、豊田の接骨院も辞めて小豆島へ移住した。"
    fit = fit_in(tok, text, it, question)
    assert fit.slotted == 1.0  # 小豆島へ: に and へ mark the same goal


def test_a_wave_dash_after_a_price_is_from(tok: JapaneseTokenizer) -> None:
    question = "大人女子会の宿泊プランっていくらから？"
    it = intent(tok, question)
    assert it.slot_particle == "から"
    for text in ("料金：60,000円〜（2名利用時）", "料金：60,000円より", "料金は60,000円から"):
        assert fit_in(tok, text, it, question).slotted == 1.0, text
    text = "料金：60,000円（2名利用時）"  # a price, but not the starting one
    fit = fit_in(tok, text, it, question)
    assert fit.weight == 1.0 and fit.slotted == 0.0


def test_the_other_end_of_a_range_does_not_answer(tok: JapaneseTokenizer) -> None:
    """いつまで is answered by the date before まで, also past its day of the week
    (「7月31日(火)まで」); a date marked から is where the range starts: half the weight, and
    never in the slot, even beside the question's words."""
    question = "かえトクキャンペーンっていつまでだった？"
    it = intent(tok, question)
    assert it.slot_particle == "まで"
    text = "2012年6月15日(金)から7月31日(火)まで"
    fit = fit_in(tok, text, it, question)
    assert fit.weight == 1.0 and fit.slotted == 1.0 and fit.span is not None
    assert text[fit.span.start : fit.span.end] == "7月31日"
    text = "かえトクキャンペーンを6月15日から実施すると発表した。"
    spans = find_spans(text, tok.analyse(text)[1])
    slot = [(text.index("キャンペーン"), text.index("キャンペーン") + 6)]
    fit = answer_weight(text, spans, 0, len(text), it, question, slot=slot)
    assert fit.weight == 0.5 and fit.slotted == 0.0
    # いつから the other way round: 7月31日まで ends the range
    question = "かえトクキャンペーンっていつからだった？"
    text = "6月15日(金)から7月31日(火)まで実施。"
    fit = fit_in(tok, text, intent(tok, question), question)
    assert fit.span is not None and text[fit.span.start : fit.span.end] == "6月15日"
    assert fit.slotted == 1.0


def test_the_dateline_after_the_subject_is_not_the_answer(tok: JapaneseTokenizer) -> None:
    """「ソフトバンクは13日、…を発表した」: the day of the report, written after the subject,
    weighs half of a date the sentence states as a fact."""
    question = "アップデートっていつ出たの？"
    it = intent(tok, question)
    for text in ("ソフトバンクは13日、新機種を発表した。", "13日、新機種を発表した。"):
        assert fit_in(tok, text, it, question).weight == 0.5, text
    text = "新機種は13日に発売された。"
    assert fit_in(tok, text, it, question).weight == 1.0


def test_a_day_narrowing_the_month_asked_is_an_answer(tok: JapaneseTokenizer) -> None:
    """「2012年6月に…いつまで延びたの？」: 2012年6月17日 holds the question's 2012年6月 but
    adds the day, so it answers; the month alone is only the question's own words."""
    question = "2012年6月に延長したデビュー割っていつまで延びたの？"
    it = intent(tok, question)
    text = "〜2012年6月17日（日曜）まで延長"
    spans = find_spans(text, tok.analyse(text)[1])
    month = (text.index("2012"), text.index("6月") + 2)
    matched = [(month[0], month[0] + 4), (month[0] + 4, month[0] + 5), (month[1] - 2, month[1])]
    fit = answer_weight(text, spans, 0, len(text), it, question, matched)
    assert fit.span is not None and text[fit.span.start : fit.span.end] == "2012年6月17日"
    assert fit.weight == 1.0 and fit.slotted == 1.0  # まで after the day of the week (日曜)
    text = "延長は2012年6月に決まった。"
    assert fit_in(tok, text, it, question).weight == 0.0


@pytest.mark.parametrize(
    ("question", "directive"),
    [
        ("会社にバレたくないって相談、山葵姐さんにまず何しろって言われてた？", True),
        ("悩み相談への山葵姐さんの答えってなんだった？", True),
        ("先輩のアドバイスって何だった？", True),
        ("上司にどうしろと言われたの？", True),
        ("監督は会見で何て言ってた？", False),
        ("優勝した選手のコメントってなんだった？", False),
    ],
)
def test_a_quotation_asked_as_advice_is_a_directive(
    tok: JapaneseTokenizer, question: str, directive: bool
) -> None:
    it = intent(tok, question)
    assert it.kind == QUOTE
    assert it.directive is directive


def test_advice_is_answered_by_the_imperative(tok: JapaneseTokenizer) -> None:
    """Every line of an advice column may end in よ or わ; asked for the advice, the order
    (即刻…はずしなさい) is the answer; asked what was said, any remark of speech still fits."""
    text = "絶対にばれるわよ。即刻LANケーブルをはずしなさい！浮気と一緒よ。"
    spans = find_spans(text, tok.analyse(text)[1])
    assert {s.kind for s in spans} >= {"speech", "directive"}
    bounds = [(0, 9), (9, 25), (25, len(text))]
    advice = "まず何しろって言われてた？"
    weights = [
        answer_weight(text, spans, a, b, intent(tok, advice), advice).weight for a, b in bounds
    ]
    assert weights == [0.6, 1.0, 0.6]
    said = "彼女は何て言ってた？"
    weights = [answer_weight(text, spans, a, b, intent(tok, said), said).weight for a, b in bounds]
    assert weights == [0.8, 0.8, 0.8]


def test_an_adjective_that_describes_a_noun_names_no_dimension(tok: JapaneseTokenizer) -> None:
    """「長い名前のセンター、デモいくつ」 counts demos (つ, 個): 長い describes the name; 「どのくらい
    長い」 asks for a length."""
    it = intent(tok, "長い名前のセンター、デモいくつ並んでるの？")
    assert it.kind == NUMBER and {"つ", "個"} <= it.counters and "m" not in it.counters
    it = intent(tok, "新しいトンネルってどのくらい長いの？")
    assert it.kind == NUMBER and "m" in it.counters


def test_a_company_asked_is_answered_by_its_name(tok: JapaneseTokenizer) -> None:
    """「P-07Dってどこのメーカー製」: the focus is the maker, not the D of a model number, and
    「パナソニック製」 (made by) names the company, which beats the quoted 「夏モデル」."""
    question = "ELUGA power P-07Dってどこのメーカー製？"
    it = intent(tok, question)
    assert it.kind == NAME and it.head == "メーカー"
    assert it.focus == {"メーカー"} and it.slot_words == {"メーカー"}
    text = "「2012年夏モデル」のうち、ELUGA power P-07D（パナソニック製）を発売する。"
    fit = fit_in(tok, text, it, question)
    assert fit.weight == 1.0 and fit.span is not None
    assert text[fit.span.start : fit.span.end].startswith("パナソニック")
    question = "その記事が載ってたのはどこの雑誌？"  # a publication: its title in 『』 still fits
    text = "『週刊文春』が報じた。"
    assert fit_in(tok, text, intent(tok, question), question).weight == 1.0


def test_the_counter_asked_for_fits_best(tok: JapaneseTokenizer) -> None:
    question = "予約何台入ってたの？"
    it = intent(tok, question)
    text = "発表から3日で、予約は7000台に達した。"
    fit = fit_in(tok, text, it, question)
    assert fit.weight == 1.0 and fit.span is not None
    assert text[fit.span.start : fit.span.end] == "7000台"


def test_a_counter_written_short_fits_the_long_one(tok: JapaneseTokenizer) -> None:
    """何作品 is answered by 15作 (作, the counter of works, is 作品 written short) as well as
    by 15作品; 100作品以上 in another sentence fits no better."""
    question = "コンペティション部門に何作品出てたの？"
    it = intent(tok, question)
    for text, answer in (
        ("世界中から厳選されたプレミア作品15作が集まる。", "15作"),
        ("上映されるのは100作品以上だ。", "100作品"),
    ):
        fit = answer_weight(
            text, find_spans(text, tok.analyse(text)[1]), 0, len(text), it, question
        )
        assert fit.weight == 1.0 and fit.span is not None
        assert text[fit.span.start : fit.span.end].startswith(answer)


def test_whose_song_is_answered_by_a_group_too(tok: JapaneseTokenizer) -> None:
    """誰の曲 asks for the artist, often a group written in Latin letters (no 人名 to Sudachi);
    誰 alone asks for a person and a Latin name is no answer to it."""
    text = "身内と行く時だけに歌うのが「CHAGE&ASKAオンリーカラオケ」。"
    spans = find_spans(text, tok.analyse(text)[1])

    def fit(question: str):
        return answer_weight(text, spans, 0, len(text), intent(tok, question), question)

    got = fit("佳奈さんが身内と行くときだけ歌ってるのって誰の曲？")
    assert got.weight >= 0.6 and got.span is not None
    assert "ASKA" in text[got.span.start : got.span.end]  # the group (as Latin or a proper noun)
    assert fit("佳奈さんと身内でカラオケに行ったのって誰？").weight == 0.0


def test_the_counter_asked_for_is_no_topic(tok: JapaneseTokenizer) -> None:
    """「何台」 leaves 台 among the question's words, and 台 is half of 「8台」: the number is
    the answer all the same; a number the question writes itself is its topic (530台), but
    only as a whole number (5台 is not in RM-PLZ530D)."""
    question = "RM-PLZ530Dって何台まで操作できる？"
    it = intent(tok, question)
    asked = set(tok.query_terms(question))
    assert "台" in asked

    def fit(text: str):
        matched = [(t.start, t.end) for t in tok.tokens(text) if t.term in asked]
        return fit_in(tok, text, it, question, matched)

    text = "このリモコンではテレビはもちろん、最大で8台の電化製品を操作することができる。"
    got = fit(text)
    assert got.weight == 1.0 and got.span is not None
    assert text[got.span.start : got.span.end] == "8台"
    assert fit("累計で530台を操作できる。").weight == 0.0
    assert fit("累計で5台を操作できる。").weight == 1.0


def test_names_written_as_one_compound_or_quoted_are_phrases(tok: JapaneseTokenizer) -> None:
    got = {p for p, _ in question_phrases(tok.analyse("iPhone 6っていつ発売だったっけ？")[1])}
    assert "iphone6" in got
    got = {p for p, _ in question_phrases(tok.analyse("藤井聡太ってデビューから何連勝した？")[1])}
    assert any("藤井" in p and "聡太" in p for p in got)
    got = {p for p, _ in question_phrases(tok.analyse("『君の名は。』って興行収入は？")[1])}
    assert got, "a quoted title is a phrase"
    # A plain description is not a name.
    assert not question_phrases(tok.analyse("ウルトラブック専門サイトっていつ始まったの？")[1])


# ------------------------------------------------------------------ the whole pipeline
SALES = Article(
    id="car",
    title="新型ミニバン「ラクティオ」発表会に俳優の山川太郎さん",
    sections=(
        Section(
            None,
            (
                "東京都内で22日、新型ミニバン「ラクティオ」の発表会が開かれ、CMに出演する俳優の"
                "山川太郎さんが登場した。会場には多くの報道陣が詰めかけた。",
                "エンジンは1.3リットルと1.5リットルの2タイプで、4WD車もラインアップする。"
                "販売価格は144万5000円からとなっている。",
                "発表会では家族向けのアンケート結果も紹介された。山川さんは「家族で遠出したい」と話した。",
            ),
        ),
    ),
    url="https://kiji.example/car",
    published_at=datetime(2026, 11, 22, 10, 0, tzinfo=JST),
    category="経済",
)
QUAKE = Article(
    id="quake",
    title="北海道で震度5弱の地震、けが人なし",
    sections=(
        Section(
            None,
            (
                "23日午前、北海道東部で震度5弱を観測する地震があった。気象庁によると、"
                "震源の深さは約50キロで、津波の心配はないという。",
            ),
        ),
    ),
    url="https://kiji.example/quake",
    published_at=datetime(2026, 11, 23, 9, 0, tzinfo=JST),
    category="社会",
)


REPO = Path(__file__).resolve().parents[2]


def kiji(*args: str) -> subprocess.CompletedProcess[str]:
    """The real command line, in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "index.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def build_db(db: Path, tok: JapaneseTokenizer) -> None:
    """The bundled sample articles (a realistic vocabulary for idf) plus the two above."""
    run = kiji("ingest", "--db", str(db), "--workers", "1", str(REPO / "data" / "articles"))
    assert run.returncode == 0, run.stderr
    with IndexStore.open(db) as store:
        store.add_articles([SALES, QUAKE], tok)


@pytest.fixture(scope="module")
def answer_db(tmp_path_factory: pytest.TempPathFactory, tok: JapaneseTokenizer) -> Path:
    db = tmp_path_factory.mktemp("answers") / "kiji.db"
    build_db(db, tok)
    return db


@pytest.fixture
def answerer(answer_db: Path, tok: JapaneseTokenizer):
    store = IndexStore.open(answer_db, create=False)
    yield Answerer(store, Searcher(store, tok), tok)
    store.close()


def test_excerpt_one_holds_the_price_not_the_topic_sentence(answerer: Answerer) -> None:
    ans = answerer.ask("ラクティオっていくらから買えるの？", now=NOW)
    assert ans.status == "answered"
    first = ans.excerpts[0]
    assert first.article_id == "car"
    assert "144万5000円" in first.text
    # The answer is highlighted, and the link is there to click.
    assert any(first.text[a:b] == "144万5000円" for a, b in first.highlights)
    assert first.url == "https://kiji.example/car"


def test_casual_fillers_do_not_weaken_the_evidence(answerer: Answerer) -> None:
    plain = answerer.explain("ラクティオの発表会に出た俳優は誰", now=NOW)
    casual = answerer.explain("結局さ、ラクティオの発表会に出てた俳優って誰だっけ？", now=NOW)
    assert casual.coverage >= plain.coverage - 1e-9
    ans = answerer.ask("結局さ、ラクティオの発表会に出てた俳優って誰だっけ？", now=NOW)
    assert ans.status == "answered"
    assert "結局" not in ans.terms
    assert "山川" in ans.excerpts[0].text
    # A hedge (だいたい, およそ) asks for the same number: not a word the article must hold.
    hedged = answerer.explain("ラクティオってだいたいいくらから買える？", now=NOW)
    direct = answerer.explain("ラクティオっていくらから買える？", now=NOW)
    assert hedged.coverage >= direct.coverage - 1e-9


def test_a_name_found_only_in_pieces_is_not_found(answerer: Answerer) -> None:
    # 「北海道」 and 「5弱」 are there, 「ラクティオ5」 is not: the model name must be in one piece.
    ans = answerer.ask("ラクティオ5っていつ発売？", now=NOW)
    assert ans.status == "not_found"


# ------------------------------------------------------------------ kiji eval
def write_questions(path: Path) -> Path:
    rows = [
        {"q": "ラクティオっていくらから買えるの？", "kind": "fact", "gold": "car",
         "expect_any": ["144万5000円"], "answer_type": "number"},
        {"q": "北海道の地震って震度いくつだった？", "kind": "fact", "gold": "quake",
         "expect_any": ["震度5弱"], "answer_type": "number"},
        {"q": "ポケモンGOってどこの会社が作ってるの？", "kind": "unanswerable", "gold": None,
         "expect_any": [], "answer_type": "name"},
        # A 👎 exported for review: no gold, nothing expected; not a question to score.
        {"q": "ラクティオの色は？", "kind": "fact", "gold": None, "expect_any": [],
         "vote": "down"},
    ]  # fmt: skip
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", "utf-8")
    return path


def test_run_eval_scores_answerable_and_unanswerable(answerer: Answerer, tmp_path: Path) -> None:
    questions = read_questions(write_questions(tmp_path / "q.jsonl"))
    report = run_eval(questions, lambda q: answerer.ask(q, now=NOW))
    summary = report.summary()
    assert summary["questions"] == 3
    assert summary["answerable"] == 2
    assert summary["answered_correctly"] == 2
    assert summary["not_found_on_unanswerable"] == 1
    assert summary["overall"] == 1.0
    assert report.failures == []


def test_eval_file_errors_name_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"q": "ok"}\n{"kind": "fact"}\n', "utf-8")
    with pytest.raises(EvalFileError, match=r"bad.jsonl:2"):
        read_questions(bad)


def test_kiji_eval_cli(tmp_path: Path, answer_db: Path) -> None:
    db = answer_db
    qfile = write_questions(tmp_path / "q.jsonl")
    run = kiji("eval", "--db", str(db), str(qfile), "--json")
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["summary"]["overall"] == 1.0
    assert out["failures"] == []
    text = kiji("eval", "--db", str(db), str(qfile))
    assert text.returncode == 0
    assert "総合 1.000" in text.stdout
    # A failure is listed with the excerpts that were shown instead.
    wrong = tmp_path / "wrong.jsonl"
    row = {"q": "ラクティオっていくらから買えるの？", "kind": "fact", "expect_any": ["9999円"]}
    wrong.write_text(json.dumps(row, ensure_ascii=False) + "\n", "utf-8")
    failed = kiji("eval", "--db", str(db), str(wrong))
    assert failed.returncode == 0, failed.stderr
    assert "FAIL" in failed.stdout and "[1] car: " in failed.stdout
    missing = kiji("eval", "--db", str(db), str(tmp_path / "none.jsonl"))
    assert missing.returncode == 1
    assert "を読めません" in missing.stderr  # Japanese, the default


# ------------------------------------------------------------------ stubs
def _with_related(url: str) -> list[Article]:
    from index.models import ArticleLink

    parent = Article(
        id="parent",
        title="ミニバン市場の年末商戦",
        sections=(Section(None, ("年末に向けて各社がミニバンの新型を投入している。",)),),
        url="https://kiji.example/parent",
        published_at=datetime(2026, 11, 24, 9, 0, tzinfo=JST),
        category="経済",
        related=(
            ArticleLink(
                "ラクティオの受注が好調",
                "ラクティオの受注は発表から1週間で1万台を超えた。",
                url,
            ),
        ),
    )
    return [parent, SALES]


@pytest.mark.parametrize("url", ["", "https://kiji.example/orders"])
def test_a_stub_is_never_evidence_above_a_real_article(
    tmp_path: Path, tok: JapaneseTokenizer, url: str
) -> None:
    db = tmp_path / "kiji.db"
    build_db(db, tok)
    with IndexStore.open(db) as store:
        store.add_articles(_with_related(url), tok)
        answerer = Answerer(store, Searcher(store, tok), tok)
        ans = answerer.ask("ラクティオの受注って何台？", now=NOW)
    assert ans.status == "answered"
    stub_id = "ラクティオの受注が好調"
    cited = [e for e in ans.excerpts if e.title == stub_id]
    if not url:
        assert cited == []  # no link to click: not a citation
    else:
        # With a link it may be cited, but only after the real article's excerpts.
        real = [i for i, e in enumerate(ans.excerpts) if e.title != stub_id]
        stubs = [i for i, e in enumerate(ans.excerpts) if e.title == stub_id]
        assert real and all(r < s for r in real for s in stubs)
    assert all(e.url for e in ans.excerpts)


def test_the_readme_eval_example_runs_and_passes(answer_db: Path, tmp_path: Path) -> None:
    readme = (REPO / "README.md").read_text("utf-8")
    section = readme[readme.index("\n## Evaluating answers") :]
    block = section[
        section.index("```json\n") + 8 : section.index("\n```", section.index("```json"))
    ]
    qfile = tmp_path / "readme.jsonl"
    qfile.write_text(block + "\n", "utf-8")
    run = kiji("eval", "--db", str(answer_db), str(qfile), "--json")
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)["summary"]
    assert summary["questions"] == 2
    assert summary["overall"] == 1.0


# ------------------------------------------------------------------ requests that are not facts
def test_a_request_for_the_weeks_news_gets_the_digest_of_the_week(answerer: Answerer) -> None:
    now = datetime(2026, 11, 23, 12, 0, tzinfo=JST)
    ans = answerer.ask("今週のニュースまとめて", now=now)
    assert ans.status == "answered"
    assert "/digest preview" in ans.note and "kiji digest" in ans.note
    assert ans.window is not None and ans.window.label == "今週"
    assert ans.excerpts
    for e in ans.excerpts:  # leads of articles of this week (Monday 23rd until now)
        assert e.published_at is not None
        assert datetime(2026, 11, 23, tzinfo=JST) <= e.published_at <= now
        assert e.url
    # A summary of one topic is a search, not a digest.
    topic = answerer.ask("ラクティオのニュースまとめて", now=now)
    assert "/digest preview" not in topic.note
    assert topic.status == "answered" and topic.excerpts[0].article_id == "car"


def test_an_english_question_gets_a_hint_to_ask_in_japanese(answerer: Answerer) -> None:
    ans = answerer.ask("What did the central bank decide?", now=NOW)
    assert ans.status == "not_found"
    assert "please ask in Japanese" in ans.message
    jp = answerer.ask("ポケモンGOってどこの会社が作ってるの？", now=NOW)
    assert jp.status == "not_found" and "please ask in Japanese" not in jp.message


def _column(n: int, worry: str, advice: str) -> Article:
    """One article of an advice column: the same template sentences in every issue."""
    return Article(
        id=f"column-{n}",
        title=f"辛口相談室 vol.{n}",
        sections=(
            Section(
                None,
                (
                    f"今回のお悩み：{worry}",
                    "この辛口姐さんに相談しようなんて、あなたも度胸あるわね。",
                    f"{advice}",
                ),
            ),
        ),
        url=f"https://kiji.example/column-{n}",
        published_at=datetime(2026, 11, 10 + n, 9, 0, tzinfo=JST),
        category="仕事",
    )


def test_a_series_template_sentence_is_not_the_answer(
    tmp_path: Path, tok: JapaneseTokenizer
) -> None:
    columns = [
        _column(1, "残業ばかりで休日出勤もあって辛いです。", "さっさと転職しなさい。"),
        _column(2, "上司と話が合いません。", "まず自分から話しかけなさい。"),
        _column(3, "同期に出世で先を越されました。", "人と比べるのはやめなさい。"),
        _column(4, "会社の飲み会が多すぎます。", "断る勇気を持ちなさい。"),
    ]
    with IndexStore.open(tmp_path / "kiji.db") as store:
        store.add_articles(columns, tok)
        ans = Answerer(store, Searcher(store, tok), tok).ask(
            "残業ばかりで休日出勤もある相談、辛口姐さんの答えってなんだった？", now=NOW
        )
    assert ans.status == "answered"
    texts = [e.text for e in ans.excerpts if e.article_id == "column-1"]
    assert any("転職しなさい" in t for t in texts), texts
    # The template is never quoted on its own, as if it were what the article says.
    assert "この辛口姐さんに相談しようなんて、あなたも度胸あるわね。" not in texts, texts


WEB_STYLE = Article(
    id="web",
    title="女子校出身の女性たちに聞いた、共学出身との違い",
    sections=(
        Section(
            None,
            (
                "女子校出身の女性に話を聞くと、意外な答えが返ってきた。\n"
                "女子校出身のジュンコさん（37歳／会社員）は共学出身の方が女らしいという。\n"
                "「私は学生時代からアニキって呼ばれていて、男っぽいと言われ続けました」\n"
                "一方、マナミさん（52歳）は違う意見だった。\n"
                "「女子校でも恋愛上手な人はたくさんいます」",
            ),
        ),
    ),
    url="https://kiji.example/web",
    published_at=datetime(2026, 11, 12, 9, 0, tzinfo=JST),
    category="生活",
)


def test_a_speaker_on_the_line_before_a_quote_answers_who(
    tmp_path: Path, tok: JapaneseTokenizer
) -> None:
    """Web writing breaks the line after every sentence (一文改行): the line before a quote
    is the same paragraph, and says who speaks."""
    with IndexStore.open(tmp_path / "kiji.db") as store:
        store.add_articles([WEB_STYLE, SALES, QUAKE], tok)
        ans = Answerer(store, Searcher(store, tok), tok).ask(
            "学生時代アニキって呼ばれてた人って誰？", now=NOW
        )
    assert ans.status == "answered"
    assert ans.excerpts[0].article_id == "web"
    assert "ジュンコ" in ans.excerpts[0].text, ans.excerpts[0].text


def test_a_definition_takes_the_sentence_that_names_it(
    tmp_path: Path, tok: JapaneseTokenizer
) -> None:
    """Encyclopedic text names a thing, then defines it: the name is the answer."""
    article = Article.from_text(
        "infection",
        "感染経路",
        "感染経路にはいくつかの種類がある。飛沫感染（Droplet transmission）と一般的に呼ばれる。"
        "粒子が5マイクロメートル以上と大きく重い微粒子で、90センチメートル未満までしか到達しない"
        "ものをいう。咳やくしゃみで広がる。",
    )
    with IndexStore.open(tmp_path / "kiji.db") as store:
        store.add_articles([article, SALES, QUAKE], tok)
        ans = Answerer(store, Searcher(store, tok), tok).ask(
            "粒子が5マイクロメートル以上と大きく重く、90センチメートル未満までしか届かないものは？",
            now=NOW,
        )
    assert ans.status == "answered"
    assert "飛沫感染" in ans.excerpts[0].text, ans.excerpts[0].text
