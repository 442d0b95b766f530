"""Which article answers, and which of its sentences: names a question is about, paraphrased
predicates in the not-found rule, and the excerpt scorer's article relevance (real Sudachi, real
SQLite files in tmp_path; the scorer's pure functions on hand-computed values)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from index.analysis.names import name_key, person_short_forms, required_names
from index.analysis.tokenizer import JapaneseTokenizer
from index.answer.answer import Answerer
from index.answer.excerpt_text import fold_key
from index.answer.excerpts import ANAPHOR
from index.models import Article, Hit, Section
from index.ranking.evidence import PREDICATE_WEIGHT, Evidence, Query, evidence, katakana_written
from index.ranking.excerpt_score import (
    COPY_FROM,
    MAX_QUALITY,
    STUB_FACTOR,
    W_ARTICLE,
    W_COPY,
    W_OVERLAP,
    W_PASSAGE,
    best_possible,
    bigrams,
    char_overlap,
    excerpt_score,
    sentence_quality,
)
from index.search.search import Searcher
from index.store.store import IndexStore

JST = timezone(timedelta(hours=9))
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=JST)


def names(tok: JapaneseTokenizer, question: str) -> set[tuple[str, str]]:
    return set(required_names(question, tok.analyse(question)[1]))


# ---------------------------------------------------------------------- names a question is about
def test_quoted_titles_and_proper_noun_runs_are_required_names(tok: JapaneseTokenizer) -> None:
    assert ("君の名は", "quoted") in names(tok, "『君の名は。』って興行収入どのくらいいったの？")
    assert ("知っとこ", "quoted") in names(tok, "「知っとこ!」っていつから出てなかったの？")
    got = names(tok, "大谷翔平がエンゼルスに行ったときの契約金っていくら？")
    assert any(kind == "proper" and "大谷" in name for name, kind in got)


def test_products_spelt_many_ways_are_not_required_names(tok: JapaneseTokenizer) -> None:
    # Articles write Win7 / Windows 7, ブラウザRPG / RPG: only their words count, not the spelling.
    assert names(tok, "Win7のスタートメニューってどこ右クリックすればいいの？") == set()
    assert names(tok, "HTML5製のブラウザRPGって何て名前だっけ？") == set()


def test_name_key_ignores_punctuation_width_and_case() -> None:
    assert name_key("『君の名は。』") == name_key("君の名は") == "君の名は"
    assert name_key("「知っとこ！」") == name_key("知っとこ!")
    assert name_key("ＰａｓｓＭｙＷｉｌｌ") == "passmywill"


def test_a_missing_name_makes_the_evidence_weak() -> None:
    assert not Evidence(1.0, 1.0).weak
    assert Evidence(1.0, 1.0, missing_name="風立ちぬ").weak


# ---------------------------------------------------------------------- predicates weigh less
def test_predicates_weigh_less_in_the_coverage() -> None:
    # バグ (idf 4, present), 直る (idf 6, a verb the article paraphrases as 修正): the verb counts
    # PREDICATE_WEIGHT of its idf, so the passage covers 4 / (4 + 6·w) of the question.
    q = Query(
        counts={"バグ": 1, "直る": 1},
        idf={"バグ": 4.0, "直る": 6.0},
        bm25_idf={"バグ": 4.0, "直る": 6.0},
        mass=10.0,
        max_score=10.0 * 1.5,
        predicates=frozenset({"直る"}),
    )
    hit = Hit(1, "a", "t", "", None, None, None, "バグ", 0, 2, score=6.0)
    got = evidence(q, hit, {"バグ"})
    assert got.coverage == pytest.approx(4.0 / (4.0 + 6.0 * PREDICATE_WEIGHT))
    assert got.coverage > 0.5  # answered, where the unweighted 0.4 would be "not found"
    plain = evidence(Query(q.counts, q.idf, q.bm25_idf, q.mass, q.max_score), hit, {"バグ"})
    assert plain.coverage == pytest.approx(0.4)


# ---------------------------------------------------------------------- the excerpt scorer
def test_excerpt_score_on_hand_computed_values() -> None:
    quality = sentence_quality(1.0, 0.0, 1.0, 0.0, 1.0, False)
    assert excerpt_score(1.0, 1.0, quality) == pytest.approx(W_PASSAGE + W_ARTICLE + quality)
    assert excerpt_score(1.0, 1.0, quality, stub=True) == pytest.approx(
        (W_PASSAGE + W_ARTICLE + quality) * STUB_FACTOR
    )
    assert best_possible(0.5, 1.0) == pytest.approx(0.5 * W_PASSAGE + W_ARTICLE + MAX_QUALITY)


def test_an_answer_counts_only_as_far_as_the_sentence_is_about_the_question() -> None:
    about = sentence_quality(0.2, 0.0, 0.2, 1.0, 1.0, False)
    unrelated = sentence_quality(0.2, 0.0, 0.1, 1.0, 0.1, False)
    assert about > unrelated  # a number in an unrelated passage is not an answer
    assert sentence_quality(0.2, 0.0, 0.2, 1.0, 1.0, True) > about  # the focus named by it


def test_bigrams_and_duplicate_keys_are_what_their_definitions_say() -> None:
    """bigrams(): every character with the next, blanks dropped; fold_key(): NFKC, only what
    str.isalnum() keeps (checked over every code point but surrogates: the regex's [\\W_] is
    exactly its complement)."""
    text = "日銀は0.75%に\n引き上げ　（ＡＢＣ＿d_e）😀"
    flat = "".join(text.split())
    assert bigrams(text) == frozenset(flat[i : i + 2] for i in range(len(flat) - 1))
    assert bigrams("a") == frozenset() and bigrams("") == frozenset()
    assert fold_key("「日銀、0.75%へ」ＡＢＣ_de😀") == "日銀075へABCde"
    chars = "".join(chr(c) for c in range(0x30000) if not 0xD800 <= c <= 0xDFFF)
    for lo in range(0, len(chars), 4096):
        part = chars[lo : lo + 4096]
        folded = unicodedata.normalize("NFKC", part)
        assert fold_key(part) == "".join(ch for ch in folded if ch.isalnum())


def test_a_sentence_the_question_paraphrases_keeps_its_wording() -> None:
    question = bigrams("公務員の労働基本権が制限されていることの代償措置はどのようなものか？")
    source = "公務員の労働基本権が制限されていることの代償措置として、措置要求制度がある。"
    other = "内閣は、国家公務員法改正までの暫定措置として政令を公布した。"
    assert char_overlap(question, source) > 0.6 > char_overlap(question, other) > 0.0
    assert char_overlap(frozenset(), source) == 0.0
    assert char_overlap(bigrams("代償 措置"), "代償措置") == 1.0  # spaces dropped
    # Everything else equal, the closer wording ranks first.
    close = sentence_quality(0.5, 0.0, 0.5, 0.0, 1.0, False, overlap=0.6)
    far = sentence_quality(0.5, 0.0, 0.5, 0.0, 1.0, False, overlap=0.2)
    assert close == pytest.approx(far + W_OVERLAP * 0.4) and W_OVERLAP > 0
    # Past COPY_FROM the question is the sentence reworded: each further share counts W_COPY more.
    copied = sentence_quality(0.5, 0.0, 0.5, 0.0, 1.0, False, overlap=0.9)
    assert COPY_FROM < 0.9 and W_COPY > W_OVERLAP
    assert copied == pytest.approx(far + W_OVERLAP * 0.7 + W_COPY * (0.9 - COPY_FROM))
    assert sentence_quality(1.0, 0.0, 1.0, 1.0, 1.0, True, slotted=1.0, overlap=1.0) <= MAX_QUALITY


def test_the_article_carries_a_later_paragraph_holding_the_answer() -> None:
    # The lead repeats the question (high coverage, no answer); a later passage of the same
    # article (read at 0.6 of its score) holds the number asked for.
    lead = excerpt_score(1.0, 1.0, sentence_quality(0.8, 0.0, 0.8, 0.0, 1.0, False))
    later = excerpt_score(0.6, 1.0, sentence_quality(0.4, 0.3, 0.3, 1.0, 0.6, True))
    other = excerpt_score(0.6, 0.6, sentence_quality(0.4, 0.3, 0.3, 1.0, 0.6, True))
    assert later > lead
    assert later > other  # the same sentence in a weaker article ranks lower


# ---------------------------------------------------------------------- end to end
def _article(id: str, title: str, paragraphs: list[str]) -> Article:
    return Article(
        id=id,
        title=title,
        sections=(Section(None, tuple(paragraphs)),),
        url=f"https://kiji.example/{id}",
        published_at=datetime(2026, 11, 1, 9, 0, tzinfo=JST),
        category="エンタメ",
    )


ARTICLES = [
    _article(
        "ghibli",
        "スタジオジブリ新作の主題歌が決定",
        [
            "スタジオジブリの新作映画の主題歌を、人気歌手の山田花子が歌うことが決まった。",
            "山田花子はジブリ作品への参加は初めてで、「夢のよう」と喜びを語った。",
        ],
    ),
    _article(
        "kimi",
        "映画『星の庭』が興行収入30億円を突破",
        [
            "公開中の映画『星の庭』の興行収入が30億円を突破した。",
            "配給会社によると、観客動員数は230万人に達した。",
        ],
    ),
    _article(
        "kimi-preview",
        "秋の映画まとめ",
        [
            "この秋は話題の映画が続々と公開され、興行収入の記録更新にも期待がかかる。",
            "映画館の興行収入は前年を上回るペースで推移している。",
        ],
    ),
]


@pytest.fixture
def answerer(tmp_path: Path, tokenizer: JapaneseTokenizer) -> Iterator[Answerer]:
    store = IndexStore.open(tmp_path / "names.db")
    store.add_articles(ARTICLES, tokenizer)
    yield Answerer(store, Searcher(store, tokenizer), tokenizer)
    store.close()


def test_a_quoted_title_no_article_writes_is_not_found(answerer: Answerer) -> None:
    # Every word but the title is there (ジブリ, 主題歌, 歌う): the article is about another film.
    question = "ジブリの『風の谷の鳥』の主題歌って誰が歌ってる？"
    answer = answerer.ask(question, now=NOW)
    assert answer.status == "not_found"
    assert answer.excerpts == ()
    assert answerer.explain(question, now=NOW).missing_name == "風の谷の鳥"


def test_the_article_that_writes_the_quoted_title_answers(answerer: Answerer) -> None:
    answer = answerer.ask("『星の庭』って興行収入どのくらいいったの？", now=NOW)
    assert answer.status == "answered"
    assert answer.excerpts[0].article_id == "kimi"
    assert "30億円" in answer.excerpts[0].text
    assert all(e.article_id != "kimi-preview" for e in answer.excerpts)
    assert (
        answerer.explain("『星の庭』って興行収入どのくらいいったの？", now=NOW).missing_name is None
    )


@pytest.fixture(scope="module")
def tok() -> JapaneseTokenizer:
    return JapaneseTokenizer()


# ---------------------------------------------------------------------- the question's slot
def test_the_words_around_the_interrogative_are_its_slot(tok: JapaneseTokenizer) -> None:
    from index.analysis.question import read_intent

    got = read_intent(tok.analyse("小沢コージってどこ出身？")[1])
    assert "出身" in got.slot_words and got.slot_particle == ""
    got = read_intent(tok.analyse("「知っとこ!」って、いつから番組に出てなかったの？")[1])
    assert got.slot_particle == "から" and "番組" in got.slot_words
    got = read_intent(tok.analyse("申し込みっていつまでにすればいいの？")[1])
    assert got.slot_particle == "まで"
    assert not {"する", "為る"} & got.slot_words  # light verbs are no slot


def test_an_answer_in_the_slot_is_told_apart(tok: JapaneseTokenizer) -> None:
    from index.analysis.question import read_intent
    from index.ranking.answer_spans import answer_weight, find_spans

    intent = read_intent(tok.analyse("小沢コージってどこ出身？")[1])
    for text, slotted in (("横浜市出身。", True), ("横浜市で講演した。", False)):
        tokens, morphs = tok.analyse(text)
        slot = [(t.start, t.end) for t in tokens if t.term == "出身"]
        fit = answer_weight(text, find_spans(text, morphs), 0, len(text), intent, "", (), slot)
        assert fit.weight > 0  # a place either way
        assert (fit.slotted > 0) is slotted
    intent = read_intent(tok.analyse("いつから番組に出てなかったの？")[1])
    text = "中島は昨年4月から出演していない。"
    fit = answer_weight(text, find_spans(text, tok.analyse(text)[1]), 0, len(text), intent, "")
    assert fit.slotted == fit.weight > 0  # 「昨年4月から」: the particle follows the date


# ---------------------------------------------------------------------- the answer's language
def test_answers_speak_the_language_asked_for(answerer: Answerer) -> None:
    question = "量子コンピューターの開発競争で日本はどこまで追いついた？"
    ja = answerer.ask(question, now=NOW)
    en = answerer.ask(question, now=NOW, lang="en")
    assert ja.status == en.status == "not_found"
    assert "見つかりませんでした" in ja.message
    assert en.message.startswith("No article in the index answers this question")
    dated = answerer.ask("今月の『星の庭』の興行収入はいくら？", now=NOW, lang="en")
    assert dated.status == "answered" and dated.excerpts[0].article_id == "kimi"
    assert dated.note is not None and dated.note.startswith("Answered from the articles")
    assert "今月" in answerer.ask("今月の『星の庭』の興行収入はいくら？", now=NOW).note


NAMED = [
    _article(
        "omamori",
        "神社のお守り、いつも持ち歩くならどれ？",
        [
            "神社でもらったお守りを、いつも持ち歩く人は多い。どこの神社のお守りを持ち歩くかは人それぞれだ。",
            "お守りは神社ごとに色や形が違い、いつも持ち歩くうちに愛着がわくという。",
        ],
    ),
    _article(
        "skater",
        "フィギュアの浅田真央と姉の舞がテレビで共演",
        [
            "フィギュアスケートの浅田真央と姉の舞が、テレビ番組に姉妹で出演した。",
            "真央は、舞からもらった熱田神宮のお守りをいつも持ち歩いているという。",
        ],
    ),
]


EUROPE = _article(
    "europe",
    "欧州のお守り事情",
    ["イギリス、フランスなど欧州にも、いつも持ち歩くお守りの習慣があり、神社のお守りも人気だ。"],
)

FILLER = [  # other news, so that the question's words are rare as in a real index
    _article(f"news-{i}", title, [text])
    for i, (title, text) in enumerate(
        [
            ("台風が九州に上陸", "大型の台風が九州南部に上陸し、各地で大雨となった。"),
            ("日銀が金利を据え置き", "日本銀行は金融政策決定会合で、政策金利の据え置きを決めた。"),
            ("新しい駅ビルが開業", "駅前の再開発で建てられた駅ビルが、今月開業した。"),
            ("プロ野球の開幕戦", "プロ野球が開幕し、各地の球場に多くのファンが詰めかけた。"),
            ("新型スマホを発表", "大手メーカーが新型スマートフォンを発表し、来月発売する。"),
        ]
    )
]


def test_an_article_that_names_the_person_answers_when_the_best_does_not(
    tmp_path: Path, tokenizer: JapaneseTokenizer
) -> None:
    """The best-ranked article shares the question's other words but never names 浅田真央: the
    answer comes from the best article that does, rather than no answer at all."""
    store = IndexStore.open(tmp_path / "named.db")
    store.add_articles([*ARTICLES, *NAMED, *FILLER], tokenizer)
    answerer = Answerer(store, Searcher(store, tokenizer), tokenizer)
    try:
        question = "浅田真央がいつも持ち歩いてるお守りってどこの神社の？"
        assert answerer.explain(question, now=NOW).missing_name == "浅田真央"  # the best lacks it
        answer = answerer.ask(question, now=NOW)
        assert answer.status == "answered"
        assert answer.excerpts[0].article_id == "skater"
        assert "熱田神宮" in answer.excerpts[0].text
        assert all(e.article_id == "skater" for e in answer.excerpts)
        # a person no article names is still not found
        other = "羽生結弦がいつも持ち歩いてるお守りってどこの神社の？"
        assert answerer.ask(other, now=NOW).status == "not_found"
        # a run of proper nouns counts only written in one piece: a list of the same nouns
        # (イギリス、フランス) does not name it; a quoted title is sought however punctuated
        store.add_articles([EUROPE], tokenizer)
        answerer = Answerer(store, Searcher(store, tokenizer), tokenizer)
        hits = list(answerer.searcher.hits(answerer.searcher.score_terms(["イギリス"], 5)))
        assert [h.article_id for h in hits] == ["europe"]
        assert answerer._writing(hits, [("イギリスフランス", "proper")]) == []
        assert answerer._writing(hits, [("イギリスフランス", "quoted")]) == hits
        assert answerer._writing(hits, [("欧州", "proper"), ("お守り", "proper")]) == hits
    finally:
        store.close()


def test_a_person_is_named_by_family_name_and_title_too(tok: JapaneseTokenizer) -> None:
    morphs = tok.analyse("李明博を招いた晩餐会で出された料理って何？")[1]
    forms = person_short_forms(morphs)["李明博"]
    assert "李大統領" in forms and "李氏" in forms and "明博さん" in forms
    # places and organisations run together are no person: no short forms
    assert person_short_forms(tok.analyse("東京ディズニーランドの入場料っていくら？")[1]) == {}


PRESIDENT = _article(
    "dinner",
    "ホワイトハウスの晩餐会に批判の声",
    [
        "ホワイトハウスで、オバマ大統領主催の韓国・李大統領の歓迎晩餐会が開かれた。",
        "晩餐会では日本料理が出され、韓国メディアから失礼だと批判の声が上がった。",
    ],
)


def test_an_article_naming_the_person_by_title_answers(
    tmp_path: Path, tokenizer: JapaneseTokenizer
) -> None:
    """News names a person it calls 李明博 in full as 李大統領 as well: that article is about them,
    and answers; a family name the article never writes with a title still does not."""
    store = IndexStore.open(tmp_path / "title.db")
    store.add_articles([*ARTICLES, PRESIDENT, *FILLER], tokenizer)
    answerer = Answerer(store, Searcher(store, tokenizer), tokenizer)
    try:
        answer = answerer.ask("李明博を呼んだ晩餐会で何の料理が出されて批判されたの？", now=NOW)
        assert answer.status == "answered"
        assert answer.excerpts[0].article_id == "dinner"
        assert any("日本料理" in e.text for e in answer.excerpts)
        other = answerer.ask("安倍晋三を呼んだ晩餐会で何の料理が出されて批判されたの？", now=NOW)
        assert other.status == "not_found"
    finally:
        store.close()


PET = _article(
    "pet",
    "育成アプリ「スマートペット」、1か月使って分かったこと",
    [
        "ペットロボット「スマートペット」の育成を始めてから1か月がたった。",
        "変わり種は「まんぷくまたたび」で、遊んでいる間にペットの鼻にドラッグするアイテムだ。",
        "愛犬レベルが2以上になったら、使いたいのが「ココホレーダー」だ。"
        "これをオンにすると、遊んでいない間に、ペットがアイテムを拾ってきてくれる便利な機能だ。",
    ],
)


def test_a_sentence_opening_with_a_demonstrative_continues_the_one_before(
    tmp_path: Path, tokenizer: JapaneseTokenizer
) -> None:
    """「これをオンにすると…」 repeats the question but names nothing; the sentence before it,
    which it refers back to, holds the name: the two are one statement, so excerpt 1 holds it."""
    assert ANAPHOR.match("これをオンにすると") and ANAPHOR.match("「それは『カプリコン1』だ")
    assert not ANAPHOR.match("このリモコンでは") and not ANAPHOR.match("それぞれの")
    question = "スマートペットで、遊んでない間にペットがアイテム拾ってきてくれる機能って何て名前？"
    assert "ココホレーダー" in _first_excerpt(tmp_path, tokenizer, PET, question)


@contextmanager
def _answerer(tmp_path: Path, tokenizer: JapaneseTokenizer, article: Article) -> Iterator[Answerer]:
    """An answerer over the shared articles and ``article``, in its own SQLite file."""
    store = IndexStore.open(tmp_path / f"{article.id}.db")
    store.add_articles([*ARTICLES, article, *FILLER], tokenizer)
    try:
        yield Answerer(store, Searcher(store, tokenizer), tokenizer)
    finally:
        store.close()


def _first_excerpt(tmp_path: Path, tokenizer: JapaneseTokenizer, article: Article, q: str) -> str:
    """Excerpt 1 of the answer to ``q`` over the shared articles and ``article``."""
    with _answerer(tmp_path, tokenizer, article) as answerer:
        answer = answerer.ask(q, now=NOW)
        assert answer.status == "answered"
        return answer.excerpts[0].text


NOISE = _article(
    "noise",
    "auのスマホ2機種、騒がしい大阪の5箇所で通話テスト",
    [
        "auのスマートフォン2機種で、騒がしい場所での通話がどこまで聞こえるかをテストした。",
        "テストの場所は、大阪の繁華街や駅前など5箇所だ。",
        "1つ目は新大阪駅の改札前で、2機種とも相手の声はクリアに聞こえた。",
        "最後は京橋のパチンコ店前で、店内の音が激しく漏れてくる中での通話になった。",
    ],
)


def test_asked_clause_is_the_clause_of_the_interrogative(tok: JapaneseTokenizer) -> None:
    from index.analysis.question import read_intent
    from index.analysis.sentences import asked_clause

    def clause(q: str) -> str | None:
        span = asked_clause(q, read_intent(tok.analyse(q)[1]).asked)
        return None if span is None else q[span[0] : span[1]]

    assert clause("通話テストの記事、パチンコ店の前ってどこの街でやってた？") == (
        "パチンコ店の前ってどこの街でやってた？"
    )
    assert clause("2011年の東京国際映画祭って、コンペティション部門に何作品出てたの？") == (
        "コンペティション部門に何作品出てたの？"
    )
    # one clause, a comma after the interrogative, a space in a name: no clause of its own
    assert clause("NECの世界最軽量ウルトラブックって重さどれくらい？") is None
    assert clause("誰が言ったの、その台詞？") is None
    assert clause("AQUOS PHONE st SH-07Dって何グラム？") is None


def test_the_sentence_with_the_words_of_the_asking_clause_comes_first(
    tmp_path: Path, tokenizer: JapaneseTokenizer
) -> None:
    """The question names its article first (au, 通話テスト) and asks in its last clause
    (パチンコ店の前): of the sentences that name a place, the one that holds the asking
    clause's words is excerpt 1, not the lead that repeats the topic."""
    question = (
        "auのスマホで騒がしい所の通話テストしてた記事、パチンコ店の前ってどこの街でやってた？"
    )
    assert "京橋" in _first_excerpt(tmp_path, tokenizer, NOISE, question)


NOBUNAGA = _article(
    "nobunaga",
    "山田花子が女性の織田信長役に、ネットで賛否",
    [
        "17日、サンケイスポーツは、女優・山田花子が織田信長役に挑戦すると報じた。"
        "ネット掲示板では「意外に似合う」「ありえない設定」と賛否が分かれている。",
        "記事によると、山田花子は年末のドラマ「女信長」で、織田信長役をやるという。"
        "撮影は秋に始まる予定だ。",
    ],
)


def test_an_answer_sharing_words_with_the_class_asked_is_not_in_the_question(
    tmp_path: Path, tokenizer: JapaneseTokenizer
) -> None:
    """「報じてたスポーツ紙ってどこ」 asks for a newspaper's name: サンケイスポーツ shares
    スポーツ with the class asked about (スポーツ紙), which does not make it a word of the
    question, so the sentence that names it answers."""
    question = "山田花子が信長役やるって報じてたスポーツ紙ってどこ？"
    assert "サンケイスポーツ" in _first_excerpt(tmp_path, tokenizer, NOBUNAGA, question)


KANAZAWA = _article(
    "kanazawa",
    "金沢駅前に新しいホテルが開業",
    [
        "金沢駅前に、新しいホテル「ホテル兼六」が3月14日に開業した。"
        "新幹線の駅に近く、北陸の旅の拠点になる。開業初日には加賀棒茶が振る舞われた。",
    ],
)


def test_a_proper_noun_no_passage_holds_is_not_found(
    tmp_path: Path, tokenizer: JapaneseTokenizer
) -> None:
    """北陸新幹線 is one proper noun to Sudachi and no article holds it: whatever else the
    question shares with the hotel's article (金沢, 開業, 北陸, 新幹線), it is not about it."""
    with _answerer(tmp_path, tokenizer, KANAZAWA) as answerer:
        assert answerer.ask("金沢駅前のホテルが開業したのっていつ？", now=NOW).status == "answered"
        question = "北陸新幹線の金沢駅前のホテルって開業いつ？"
        assert answerer.explain(question, now=NOW).missing_name == "北陸新幹線"
        assert answerer.ask(question, now=NOW).status == "not_found"


def test_katakana_written_longer_or_another_way_is_not_missing() -> None:
    """アマ is アマチュア clipped (略語) and ヘアメイク is ヘアメーク: the article writes them, in its
    own form; a word it does not write stays missing."""
    article = "神戸のゴルフ場でベストアマチュア賞を獲得。ヘアメークアーティストと挙式"
    got = katakana_written({"アマ", "ベストアマ", "ヘアメイク", "キャディー", "大会"}, article)
    assert got == {"アマ", "ベストアマ", "ヘアメイク"}


GOLF = _article(
    "golf",
    "美女ゴルファーの森美穂、ベストアマチュア賞",
    [
        "神戸・六甲国際ゴルフ倶楽部を舞台に行われたレディスオープンで、"
        "ベストアマチュア賞を獲得したのが森美穂だ。",
        "来月にはプロテストを控えている。",
    ],
)


def test_a_clipped_loanword_is_evidence(tmp_path: Path, tokenizer: JapaneseTokenizer) -> None:
    """A member writes アマ for アマチュア: the article holding ベストアマチュア answers the
    question, whose words it would otherwise miss by half."""
    with _answerer(tmp_path, tokenizer, GOLF) as answerer:
        question = "森美穂がベストアマとったのってどこのゴルフ場？"
        answer = answerer.ask(question, now=NOW)
        assert answer.status == "answered"
        assert answer.excerpts[0].article_id == "golf"
        assert "六甲国際ゴルフ倶楽部" in answer.excerpts[0].text
