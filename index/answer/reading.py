"""What the excerpt picker reads of a passage: its sentences with the question's words each
holds (:class:`Sentence`) and the signals of each sentence (:class:`Reading`) that
:func:`index.ranking.excerpt_score.sentence_quality` weighs. Kept apart from
:mod:`index.answer.excerpts` so ``bench/fit_excerpts.py`` can read the same signals to fit the
scorer's weights.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from index.ranking.answer_spans import Fit


@dataclass
class Sentence:
    """A sentence of a passage (offsets into the passage) and the question terms it holds."""

    start: int
    end: int
    matched: set[str]
    spans: list[tuple[int, int]]  # matched token spans to highlight (passage offsets)
    weighted: list[tuple[int, int, str]]  # every matched token span with its term
    cuts: list[int]  # word boundaries inside (passage offsets)


@dataclass
class Reading:
    """The signals of each sentence of one passage (see :func:`sentence_quality`); read by
    :meth:`ExcerptPicker.read` for scoring, and by ``bench/fit_excerpts.py`` for fitting."""

    rel: float  # the passage's ranking score (Hit.relevance) relative to the best passage
    own: list[float]
    context: list[float]
    coverage: list[float]
    fits: list[Fit]
    focus: list[bool]
    overlap: list[float]  # share of the question's character bigrams it holds
    clause: list[float]  # share of the asking clause's idf mass it holds (Query.clause_terms)
    boiler: list[bool]
    same_paragraph: Callable[[int, int], bool]
