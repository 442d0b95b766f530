"""Names a question is about (pure functions over its text and Sudachi morphemes).

:func:`question_phrases` finds the compound names of a question (「iPhone 6」「藤井聡太」, quoted
titles), which count only where an article writes them in one piece; :func:`required_names` the
names an article must write at all to answer it (quoted titles, runs of proper nouns).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from index.analysis.question import ASKING_WORDS
from index.analysis.question_words import FILLERS
from index.analysis.tokenizer import Morph

_DATE_UNITS = frozenset({"年", "月", "日", "頃", "ごろ", "末", "時", "分", "上旬", "中旬", "下旬"})


def _is_name(words: Sequence[Morph]) -> bool:
    """A product or person name rather than a description: all proper nouns (藤井聡太), or Latin
    letters with digits, other Latin words or katakana (iPhone 6, PS4, ポケモンGO)."""
    if len(words) > 4:
        return False
    if all(m.pos[1] == "固有名詞" for m in words):
        return True
    latin = [any(ch.isascii() and ch.isalpha() for ch in m.surface) for m in words]
    if not any(latin):
        return False
    return all(
        is_latin or m.is_number or all("\u30a0" <= ch <= "\u30ff" for ch in m.surface)
        for m, is_latin in zip(words, latin, strict=True)
    )


def question_phrases(morphs: Sequence[Morph]) -> tuple[tuple[str, frozenset[str]], ...]:
    """Compound names of a question: runs of two or more nouns that make a name (「iPhone 6」
    「ポケモンGO」「藤井聡太」), as their normalised forms run together, with their terms.

    Dates and amounts (2012年5月, 3台) are not names; question words never join a run.
    """
    out: list[tuple[str, frozenset[str]]] = []
    run: list[Morph] = []

    def flush() -> None:
        words = [m for m in run if not m.norm.isspace()]
        run.clear()
        if len(words) < 2:
            return
        if any(m.is_number for m in words) and any(m.norm in _DATE_UNITS for m in words):
            return
        if not _is_name(words):
            return
        phrase = "".join(m.norm for m in words)
        if len(phrase) >= 3:
            out.append((phrase, frozenset(m.norm for m in words)))

    # A title the question quotes (『風立ちぬ』「君の名は。」) is a name whatever its words are.
    depth = 0
    quoted: list[Morph] = []
    for m in morphs:
        if m.surface in ("『", "「"):
            depth += 1
            quoted.clear()
        elif m.surface in ("』", "」") and depth:
            depth -= 1
            words = [w for w in quoted if not w.norm.isspace() and w.pos[0] != "補助記号"]
            phrase = "".join(w.norm for w in words)
            if len(words) >= 2 and len(phrase) >= 3:
                out.append((phrase, frozenset(w.norm for w in words)))
        elif depth:
            quoted.append(m)
    prev_end = -1
    for m in morphs:
        nounish = m.pos[0] in ("名詞", "接頭辞", "接尾辞") and m.norm not in FILLERS
        asked = m.norm in ASKING_WORDS or m.surface.startswith("何")
        space = m.pos[0] == "空白" and bool(run)
        if (nounish and not asked) or space:
            if run and m.start != prev_end:
                flush()
            run.append(m)
        else:
            flush()
        prev_end = m.end
    flush()
    return tuple(out)


_QUOTED_RE = re.compile(r"『([^『』]{2,60})』|「([^「」]{2,60})」")


def name_key(text: str) -> str:
    """The form under which a quoted name is sought in an article: NFKC, letters and digits only,
    lower case (『君の名は。』 and 「知っとこ!」 match however the article punctuates them)."""
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in text if ch.isalnum())


def required_names(text: str, morphs: Sequence[Morph]) -> tuple[tuple[str, str], ...]:
    """Names a question is about, which an article that answers it must write in one piece:
    the titles it quotes (『風立ちぬ』「じぇじぇじぇ」, as :func:`name_key`, kind ``"quoted"``) and
    runs of two or more proper nouns (半沢直樹, 大谷翔平: normalised forms run together, kind
    ``"proper"``). A product written in Latin letters or katakana (iPhone 6, ブラウザRPG) is not
    one: articles spell those many ways (Win7, Windows 7).
    """
    out: list[tuple[str, str]] = []
    for m in _QUOTED_RE.finditer(text):
        key = name_key(m.group(1) or m.group(2))
        if len(key) >= 2:
            out.append((key, "quoted"))
    out.extend(("".join(w.norm for w in run), "proper") for run in _proper_runs(morphs))
    return tuple(out)


def _proper_runs(morphs: Sequence[Morph]) -> list[list[Morph]]:
    """Runs of two or more proper nouns written together (半沢直樹, 大谷翔平)."""
    runs: list[list[Morph]] = []
    run: list[Morph] = []
    for m in [*morphs, None]:
        if m is not None and m.pos[1] == "固有名詞" and (not run or run[-1].end == m.start):
            run.append(m)
            continue
        if len(run) >= 2:
            runs.append(run)
        run = [m] if m is not None and m.pos[1] == "固有名詞" else []
    return runs


# News refers to a person it names in full (李明博, 孫正義) by the family name and a title or an
# honorific just as well (李大統領, 孫社長, 本田選手, 野田首相), at times from the first mention;
# a celebrity by the given name and a familiar suffix (真央ちゃん). A closed class of such words,
# in Sudachi's normalised forms.
PERSON_TITLES = frozenset({
    "氏", "さん", "様", "君", "くん", "ちゃん", "殿", "選手", "監督", "コーチ", "投手", "捕手",
    "内野手", "外野手", "主将", "親方", "関", "大統領", "首相", "総理", "元首相", "副大統領",
    "国家主席", "主席", "総書記", "書記長", "委員長", "大臣", "外相", "長官", "議長", "議員",
    "知事", "市長", "町長", "村長", "区長", "党首", "代表", "総裁", "社長", "会長", "副社長",
    "専務", "常務", "取締役", "頭取", "理事長", "学長", "教授", "准教授", "博士", "医師",
    "弁護士", "容疑者", "被告", "被告人", "受刑者", "アナ", "アナウンサー", "記者", "夫妻",
    "一家", "兄弟", "姉妹", "父", "母", "夫人", "王子", "王女", "女王", "国王", "皇太子", "陛下",
})  # fmt: skip
FAMILIAR_SUFFIXES = ("ちゃん", "くん", "さん", "様")


def person_short_forms(morphs: Sequence[Morph]) -> dict[str, tuple[str, ...]]:
    """For each person a question names in full (a family and a given name, both Sudachi 人名,
    run together: 李明博), the shorter forms an article may name them by instead (李大統領,
    真央ちゃん), keyed by the name as :func:`required_names` gives it."""
    out: dict[str, tuple[str, ...]] = {}
    for run in _proper_runs(morphs):
        if len(run) == 2 and all(m.pos[2] == "人名" for m in run):
            family, given = run[0].norm, run[1].norm
            out[family + given] = (
                *(family + title for title in sorted(PERSON_TITLES)),
                *(given + suffix for suffix in FAMILIAR_SUFFIXES),
            )
    return out
