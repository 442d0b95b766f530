"""Japanese sentence boundaries: 。！？ (and ASCII !?), keeping closing quotes with their sentence.

「…。」と述べた。 stays one sentence: a boundary inside 「」 or （） is not a boundary.
"""

from __future__ import annotations

import re

_ENDERS = frozenset("。！？!?．")
_CLOSERS = frozenset("」』）)】〕”’")
_OPENERS = {"「": "」", "『": "』", "（": "）", "(": ")", "【": "】", "〔": "〕"}
_MARKS = re.compile("[\n" + re.escape("".join(sorted(_ENDERS | _CLOSERS | set(_OPENERS)))) + "]")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """[start, end) spans of the sentences of ``text``; newlines always end a sentence."""
    spans: list[tuple[int, int]] = []
    start = 0
    depth = 0
    skip = 0  # the run of enders and closers after a sentence's end belongs to it
    n = len(text)
    for m in _MARKS.finditer(text):  # only the characters that matter (a regex scan in C)
        i = m.start()
        if i < skip:
            continue
        ch = text[i]
        if ch == "\n":
            if i > start:
                spans.append((start, i))
            start = i + 1
            depth = 0
        elif ch in _OPENERS:
            depth += 1
        elif ch in _CLOSERS:
            if depth > 0:
                depth -= 1
        elif depth == 0:  # an ender
            j = i + 1
            while j < n and (text[j] in _ENDERS or text[j] in _CLOSERS):
                j += 1
            spans.append((start, j))
            start = skip = j
    if start < n:
        spans.append((start, n))
    return trimmed(text, spans)


def trimmed(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """``spans`` without their leading and trailing blanks; spans of blanks alone dropped."""
    out: list[tuple[int, int]] = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return out


def split_sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text)]


# What separates a question's clauses: a comma (読点). Not a space (AQUOS PHONE st SH-07D, 山田　太郎)
# nor an ASCII comma (1,000).
_CLAUSE_MARKS = frozenset("、，")


def asked_clause(text: str, asked: tuple[tuple[int, int], ...]) -> tuple[int, int] | None:
    """The [start, end) span of the clause of a question that holds its interrogative, when a
    comma sets it apart from the clauses before it: 「auのスマホの通話テストの記事、パチンコ店の前
    ってどこの街でやってた？」 names its topic first (which article) and asks in the last clause
    (パチンコ店の前: which sentence). None when nothing stands before the clause (the whole
    question is one clause) or no interrogative was read (``asked``: its spans)."""
    if not asked:
        return None
    at = asked[0][0]
    start = max((i for i in range(at) if text[i] in _CLAUSE_MARKS), default=-1) + 1
    if start == 0 or not text[:start].strip(" 　、，"):
        return None
    return start, len(text)
