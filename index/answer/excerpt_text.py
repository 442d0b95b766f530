"""Text of an excerpt (pure functions): where a long sentence is cut, which matched words are
highlighted, when two excerpts are the same words, and small tests on a question's script."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from index.analysis.tokenizer import Morph

MAX_EXCERPT_CHARS = 200  # an excerpt is cut at a sentence (or, inside one long sentence, a word)

# Light verbs and forms that match almost every sentence: they score, but are not highlighted.
NO_HIGHLIGHT = frozenset(
    {"為る", "有る", "居る", "成る", "出来る", "言う", "こと", "もの", "よう", "ため"}
)


def highlightable(term: str, surface: str) -> bool:
    if term in NO_HIGHLIGHT:
        return False
    return not (len(surface) <= 2 and all("\u3041" <= ch <= "\u309f" for ch in surface))


def fold_key(text: str) -> str:
    """Key under which two excerpts count as duplicates: NFKC, no blanks or punctuation."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in text if ch.isalnum())


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
