"""Text of an excerpt (pure functions): where a long sentence is cut, which matched words are
highlighted, when two excerpts are the same words, which sentences are a series' template, how a
text breaks its lines, and small tests on a question's script."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from index.analysis.sentences import sentence_spans
from index.analysis.tokenizer import Morph
from index.models import Hit

MAX_EXCERPT_CHARS = 200  # an excerpt is cut at a sentence (or, inside one long sentence, a word)
# Sentences a line at most, on average, in text that breaks the line after every sentence: the
# livedoor corpus's passages have a median of 1.5 (web writing), explainers' paragraphs 2 or more.
LINE_SENTENCES = 1.8
# A sentence written word for word by this many read articles is a template; two articles may
# well report one fact in the same words (「映画『X』2月27日公開」).
BOILERPLATE_ARTICLES = 3
BOILERPLATE_MIN_CHARS = 8  # shorter lines (「■概要」) are too short to call a template

# Light verbs and forms that match almost every sentence: they score, but are not highlighted.
NO_HIGHLIGHT = frozenset(
    {"為る", "有る", "居る", "成る", "出来る", "言う", "こと", "もの", "よう", "ため"}
)


def highlightable(term: str, surface: str) -> bool:
    if term in NO_HIGHLIGHT:
        return False
    return not (len(surface) <= 2 and all("\u3041" <= ch <= "\u309f" for ch in surface))


# What str.isalnum() rejects: re's \w is exactly isalnum() or "_" (the re module's docs).
_NOT_ALNUM = re.compile(r"[\W_]+")


def fold_key(text: str) -> str:
    """Key under which two excerpts count as duplicates: NFKC, no blanks or punctuation."""
    return _NOT_ALNUM.sub("", unicodedata.normalize("NFKC", text))


def bound(
    text: str, lo: int, hi: int, matches: list[tuple[int, int, float]], cuts: list[int]
) -> tuple[int, int]:
    """Cut [lo, hi) to MAX_EXCERPT_CHARS (with room for "…") where it holds the most matched weight.

    Only a single sentence longer than the bound is cut: neighbours are added only when they fit.
    A window starts at the sentence start or just after a 、 (else on a Sudachi word boundary) and
    ends after a 、 or on a word boundary, so a word is never cut.
    """
    if hi - lo <= MAX_EXCERPT_CHARS:
        return lo, hi
    room = MAX_EXCERPT_CHARS - 2
    commas = [i + 1 for i in range(lo, hi) if text[i] in "、，,"]
    bounds = sorted(set(cuts) | set(commas) | {lo, hi})
    starts = [lo, *commas] if commas else [lo]
    if matches:  # also a word boundary just before each match, for sentences without 、
        starts += [max((b for b in bounds if b <= a), default=lo) for a, _, _ in matches]

    def held(start: int) -> float:
        end = start + room
        return sum(w for a, b, w in {(a, b, w) for a, b, w in matches} if a >= start and b <= end)

    start = max(sorted(set(starts)), key=lambda st: (held(st), -st))
    limit = start + room
    last_match = max((b for a, b, _ in matches if a >= start and b <= limit), default=start)
    good = [c for c in commas if max(last_match, start + room // 2) <= c <= limit]
    if good:
        return start, good[-1]
    ends = [b for b in bounds if start < b <= limit]
    return start, ends[-1] if ends else min(hi, limit)


def has_japanese(text: str) -> bool:
    """Whether ``text`` has any kana or kanji (an English question gets a hint, not only 見つかり…)."""
    return any(
        "\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" or "\uff66" <= ch <= "\uff9f"
        for ch in text
    )


def normalised(morphs: Sequence[Morph]) -> str:
    """Normalised forms of a text's words run together: where a phrase of the question is sought."""
    return "".join(m.norm for m in morphs if not m.norm.isspace() and m.pos[0] != "補助記号")


def line_per_sentence(text: str, n_sentences: int) -> bool:
    """Whether ``text`` breaks its lines after (nearly) every sentence: at most
    LINE_SENTENCES sentences a line on average, over a few lines at least."""
    lines = sum(1 for line in text.split("\n") if line.strip())
    return lines >= 3 and n_sentences <= LINE_SENTENCES * lines


def boilerplate_keys(hits: list[Hit]) -> frozenset[str]:
    """Keys of the sentences that three or more of the read articles write word for word: a
    series' template (「この山葵姐さんに相談しようなんて、あなたも度胸あるわね。」, a fixed
    introduction, a credit line) says nothing about one article, whatever words it shares with
    the question. Found among the passages already read (string splitting only, no Sudachi)."""
    seen: dict[str, set[str]] = {}
    for h in hits:
        if h.is_stub:
            continue
        text = h.text
        for a, b in sentence_spans(text):
            if b - a >= BOILERPLATE_MIN_CHARS:
                seen.setdefault(fold_key(text[a:b]), set()).add(h.article_id)
    return frozenset(k for k, arts in seen.items() if len(arts) >= BOILERPLATE_ARTICLES)
