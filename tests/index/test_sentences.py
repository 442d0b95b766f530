"""Sentence boundaries (index/analysis/sentences.py): the rules, and the same spans as reading
every character in turn on fuzzed text made of the characters that matter."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from index.analysis.sentences import (
    _CLOSERS,
    _ENDERS,
    _OPENERS,
    sentence_spans,
    split_sentences,
    trimmed,
)

DATA = Path(__file__).resolve().parents[2] / "data" / "articles"


def reference_spans(text: str) -> list[tuple[int, int]]:
    """The rules read one character at a time (the definition the fast version keeps)."""
    spans: list[tuple[int, int]] = []
    start = depth = i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\n":
            if i > start:
                spans.append((start, i))
            start, depth = i + 1, 0
        elif ch in _OPENERS:
            depth += 1
        elif ch in _CLOSERS and depth > 0:
            depth -= 1
        elif ch in _ENDERS and depth == 0:
            j = i + 1
            while j < n and (text[j] in _ENDERS or text[j] in _CLOSERS):
                j += 1
            spans.append((start, j))
            start = i = j
            continue
        i += 1
    if start < n:
        spans.append((start, n))
    return trimmed(text, spans)  # the blanks' trimming is shared, not under test here


def test_the_rules() -> None:
    assert split_sentences("「本当だ。」と述べた。次の文！") == [
        "「本当だ。」と述べた。",
        "次の文！",
    ]
    assert split_sentences("え？！　そう（注。）です\n改行") == [
        "え？！",
        "そう（注。）です",
        "改行",
    ]
    assert split_sentences("") == [] and split_sentences(" \n\n　") == []
    assert split_sentences("閉じない「かっこ。の中\n次") == ["閉じない「かっこ。の中", "次"]


@pytest.mark.parametrize("seed", range(20))
def test_the_same_spans_as_reading_every_character(seed: int) -> None:
    rng = random.Random(seed)
    alphabet = [*_ENDERS, *_CLOSERS, *_OPENERS, "\n", " ", "　", "あ", "漢", "A"]
    for _ in range(200):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        assert sentence_spans(text) == reference_spans(text), repr(text)


def test_the_same_spans_on_the_bundled_articles() -> None:
    texts = [p.read_text(encoding="utf-8") for p in sorted(DATA.glob("*.txt"))]
    assert texts
    for text in texts:
        assert sentence_spans(text) == reference_spans(text)
