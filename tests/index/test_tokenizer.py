"""Golden tests for the analysis shared by indexing and querying.

Pinned to sudachipy 0.7.0 + sudachidict-core 20261015 (see pyproject.toml): a dictionary update
may change segmentation, and these tables say exactly what we rely on.
"""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest
from sudachipy import SplitMode

from index.analysis.tokenizer import JapaneseTokenizer

from ..conftest import REPO

GOLDEN_C = [
    ("附属病院", ["付属", "病院"]),
    ("ＳＵＭＭＥＲ", ["サマー"]),
    ("金利を引き上げた", ["金利", "引き上げる", "引く", "上げる"]),
    ("国家公務員", ["国家公務員", "国家", "公務", "員"]),
    ("円安が進む🎉", ["円安", "進む"]),
    ("2025年1月7日", ["2025", "年", "1", "月", "7", "日"]),
    ("ＷＨＯから脱退した", ["who", "脱退", "為る"]),
]

GOLDEN_A = [
    ("国家公務員", ["国家", "公務", "員"]),
]


@pytest.mark.parametrize(("text", "expected"), GOLDEN_C)
def test_golden_mode_c(tokenizer: JapaneseTokenizer, text: str, expected: list[str]) -> None:
    assert tokenizer.terms(text) == expected


@pytest.mark.parametrize(("text", "expected"), GOLDEN_A)
def test_golden_mode_a(text: str, expected: list[str]) -> None:
    assert JapaneseTokenizer(mode="A").terms(text) == expected


def test_index_and_query_meet(tokenizer: JapaneseTokenizer) -> None:
    # 附属/付属, full width/half width, inflected/dictionary form land on the same terms.
    assert set(tokenizer.terms("附属")) == set(tokenizer.terms("付属"))
    assert tokenizer.terms("ＳＵＭＭＥＲ") == tokenizer.terms("summer")
    assert "引き上げる" in tokenizer.terms("引き上げた") and "引き上げる" in tokenizer.terms(
        "引き上げる"
    )


def test_symbols_emoji_and_blanks_are_dropped(tokenizer: JapaneseTokenizer) -> None:
    assert tokenizer.terms("🎉🎉！？　、。") == []
    assert tokenizer.terms("") == []


def test_url_is_split_into_searchable_words(tokenizer: JapaneseTokenizer) -> None:
    terms = tokenizer.terms("https://example.com/news")
    # Sudachi normalises English loanwords to katakana: "news" meets ニュース in a question.
    assert terms == ["https", "エグザンプル", "com", "ニュース"]


def test_query_terms_drop_question_words_only(tokenizer: JapaneseTokenizer) -> None:
    assert tokenizer.query_terms("WHOから脱退したのはいつ？") == ["who", "脱退", "為る"]
    # a question of question words alone keeps them rather than becoming empty
    assert tokenizer.query_terms("いつ？") == ["いつ"]


def test_tokens_carry_offsets(tokenizer: JapaneseTokenizer) -> None:
    text = "日銀が金利を上げた"
    for tok in tokenizer.tokens(text):
        assert 0 <= tok.start < tok.end <= len(text)
    assert [text[t.start : t.end] for t in tokenizer.tokens(text)][:2] == ["日銀", "金利"]


def test_bad_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="split mode"):
        JapaneseTokenizer(mode="D")


def test_one_tokenizer_per_thread(tokenizer: JapaneseTokenizer) -> None:
    text = "日本銀行は政策金利を引き上げることを決めました。" * 50
    expected = tokenizer.terms(text)
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(20):
                results.append(tokenizer.terms(text))
        except BaseException as e:  # pragma: no cover - the failure being tested for
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(results) == 80 and all(r == expected for r in results)


def test_core_never_imports_discord() -> None:
    code = (
        "import sys, index.cli.main, index.search.search, index.store.store, index.ingest.ingest, index.store.writer;"
        "import index.analysis.tokenizer;"
        "assert 'discord' not in sys.modules, 'index imported discord'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


TEXTS = [
    "国家公務員の附属病院がＳＵＭＭＥＲ休暇を引き上げた。",
    "関西国際空港で🎉イベント！ https://kiji.example/a?b=1 を見てね　　。",
    "１２３４５円、2026年11月28日、ｶﾀｶﾅとＡＢＣ",
    "",
    "   ",
]


def _main_segmentation(tokens: list) -> list[str]:
    """The terms of tokens that are not a compound's parts (a part follows its compound,
    within its span)."""
    main: list[str] = []
    span = (-1, -1)
    for t in tokens:
        if span[0] <= t.start and t.end <= span[1]:
            continue
        main.append(t.term)
        span = (t.start, t.end)
    return main


@pytest.mark.parametrize("cache_size", [50_000, 3])
def test_terms_equal_the_terms_of_tokens(monkeypatch: pytest.MonkeyPatch, cache_size: int) -> None:
    """terms() is a fast path of tokens(): same terms, also when its caches (folded forms, and
    words by word id) overflow."""
    import index.analysis.tokenizer as module

    monkeypatch.setattr(module, "_FOLD_CACHE", cache_size)
    tok = JapaneseTokenizer(word_cache=cache_size)
    articles = sorted((REPO / "data" / "articles").glob("*.txt"))
    texts = TEXTS + [p.read_text(encoding="utf-8") for p in articles]
    for text in texts * 2:  # the second round reads the caches
        words: list[str] = []
        assert tok.terms(text, words) == [t.term for t in tok.tokens(text)]
        assert words == _main_segmentation(tok.tokens(text))  # no compound parts
    assert len(tok._folded) <= max(cache_size, 1)
    assert 0 < len(tok._words) <= max(cache_size, 1)
    assert tok.terms(TEXTS[0])[:4] == ["国家公務員", "国家", "公務", "員"]


def test_words_remembered_by_id_keep_what_varies_by_occurrence(
    tokenizer: JapaneseTokenizer,
) -> None:
    """Unknown words share a word id per part of speech, so they are never remembered by it;
    whether a compound's parts count depends on its surface here, not on the word."""
    for _ in range(2):
        assert tokenizer.terms("ｘｙｚｗｑとｐｐｋｋ") == ["xyzwq", "ppkk"]
        assert tokenizer.terms("東京スカイツリー") == ["東京スカイツリー", "東京", "スカイツリー"]
    for text in ("ーーーーあー", "ｰ", "ぴよぴよーーーー"):  # one word, surfaces of every length
        assert tokenizer.terms(text) == [t.term for t in tokenizer.tokens(text)]


@pytest.mark.parametrize("cache_size", [40_000, 3])
def test_analyse_reads_each_morpheme_as_sudachi_gives_it(
    monkeypatch: pytest.MonkeyPatch, cache_size: int
) -> None:
    """analyse() remembers dictionary words by id: its morphemes are still exactly Sudachi's
    (surface, part of speech, normalised form, conjugation) and its tokens those of tokens(),
    also when the cache overflows and for unknown words."""
    import index.analysis.tokenizer as module

    tok = JapaneseTokenizer(word_cache=cache_size)
    articles = sorted((REPO / "data" / "articles").glob("*.txt"))[:8]
    texts = [
        *TEXTS,
        "ｘｙｚｗｑとｐｐｋｋ、ーーーーあー😀",
        *(p.read_text("utf-8") for p in articles),
    ]
    sudachi = tok._dictionary.tokenizer(mode=SplitMode.C)
    for text in texts * 2:
        tokens, morphs = tok.analyse(text)
        assert tokens == tok.tokens(text)
        expected = [
            (m.begin(), m.end(), m.surface(), tuple(m.part_of_speech()[:3]), m.part_of_speech()[5],
             module.fold(m.normalized_form()))
            for m in sudachi.tokenize(text)
        ]  # fmt: skip
        assert [(m.start, m.end, m.surface, m.pos, m.form, m.norm) for m in morphs] == expected
        assert all(type(m) is module.Morph for m in morphs)
    assert len(tok._morphs) <= cache_size
