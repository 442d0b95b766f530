"""Whether the index answers a question at all: the question's idf mass and the not-found rule
(pure functions; the answer composition reads the document frequencies and the articles).

:func:`build_query` weighs each question term by its idf in the index; :func:`evidence` measures
how much of that weight the best article holds (coverage) and how close its BM25 score comes to a
passage saturated in every term (relative). :class:`Evidence` is weak below the calibrated bounds,
and the answer becomes "not found" (see :mod:`index.answer.answer`).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from index.analysis.question import Intent
from index.models import Hit
from index.ranking import bm25

ABSENT_WEAK_WEIGHT = 0.25

# Not-found rule, calibrated by ``bench/bench_answer.py --calibrate``. The question's idf mass is
# Σ count(t)·idf(t) over its terms, terms absent from the index counted with the idf of a term in
# no passage (they are what the question asks and nothing mentions; absent verbs/adjectives/suffixes
# weigh ABSENT_WEAK_WEIGHT). "coverage" is the share of that mass found in the best passage (with
# its title and heading); "relative" is the best BM25 score divided by the score of a passage
# saturated in every term (Σ count·idf·(k1+1)). Answered when coverage >= MIN_COVERAGE and
# relative >= MIN_RELATIVE.
# Calibration (2026-11-28, k1 0.5, b 0.5): answerable = 4,442 JSQuAD valid questions on their own
# corpus + 44 answerable bench/questions_data.jsonl questions on data/articles; unanswerable =
# JSQuAD questions against data/articles, the 9 not-found data questions, and the 44 data questions
# against JSQuAD. Coverage p5/p50: answerable 0.60/1.00, unanswerable 0.06/0.19; relative p5/p50:
# 0.46/0.73 vs 0.06/0.15. At (0.5, 0.1): 97.4 % of answerable kept, 98.0 % of unanswerable rejected
# (data/: 43/44 answered, 8/9 not found). The best grid point (0.45, 0.375) is 97.7/97.8: coverage
# does the work, and a low relative bound stays safe on tiny corpora, where BM25 scores are noisy.
MIN_COVERAGE = 0.5
# Members paraphrase predicates (バグが直った ↔ 不具合を修正した) far more than they rename
# things: a verb, adjective or suffix of the question weighs this share of its idf in the coverage.
# On livedoor-dev it turns 2 of 9 wrongly-not-found casual questions into answers; on the
# calibration sets above it keeps 97.3 % / rejects 96.6 % at (0.5, 0.1), against 97.1 / 96.4 at 1.0
# (2026-11-29, after lexical fusion changed the best passages).
PREDICATE_WEIGHT = 0.4
MIN_RELATIVE = 0.1


@dataclass(frozen=True)
class Query:
    """A question's terms with their idf (terms missing from the index get the idf of df = 0)."""

    counts: dict[str, int]
    idf: dict[str, float]
    bm25_idf: dict[str, float]  # the idf the searcher used (0 for absent terms)
    mass: float
    max_score: float  # Σ count·idf·(k1+1): the BM25 score of a passage saturated in every term
    intent: Intent = field(
        default_factory=Intent
    )  # what the question asks for (a person, a number of 台 …)
    text: str = ""  # the question as analysed (answers already in it are not answers)
    # Names the question writes as one compound (normalised, with their terms): see answer.py.
    phrases: tuple[tuple[str, frozenset[str]], ...] = ()
    names: tuple[tuple[str, str], ...] = ()  # index.analysis.question.required_names
    # Other forms that name a person of ``names`` (李大統領 for 李明博): names.person_short_forms
    name_forms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Terms of the words around the interrogative and of the focus (Intent.slot_words, focus).
    slot_terms: frozenset[str] = frozenset()
    # Terms of the clause that holds the interrogative, when a comma sets it apart from the
    # question's topic (index.analysis.sentences.asked_clause); empty otherwise.
    clause_terms: frozenset[str] = frozenset()
    # Terms of the noun the interrogative asks about (Intent.head: スポーツ紙 in 「報じたスポーツ紙
    # ってどこ」): an answer shares words with its class (サンケイスポーツ), which do not make
    # it part of the question.
    head_terms: frozenset[str] = frozenset()
    # Terms of the question's predicates (verbs, adjectives, suffixes: 直る, 減らす, 小さい):
    # members paraphrase them (直った ↔ 修正した), so they weigh PREDICATE_WEIGHT in the evidence.
    predicates: frozenset[str] = frozenset()

    @property
    def terms(self) -> tuple[str, ...]:
        return tuple(self.counts)


@dataclass(frozen=True)
class Evidence:
    """How well the best passage supports an answer (see the not-found rule above)."""

    coverage: float
    relative: float
    # A name the question writes (「藤井聡太」『君の名は。』「iPhone 6」) that the article never
    # writes in one piece: the article is about something else, whatever words it shares.
    missing_name: str | None = None

    @property
    def weak(self) -> bool:
        return (
            self.coverage < MIN_COVERAGE
            or self.relative < MIN_RELATIVE
            or self.missing_name is not None
        )


def build_query(
    terms: Sequence[str],
    n_docs: int,
    found: Mapping[str, int],
    k1: float,
    weak_absent: frozenset[str] = frozenset(),
) -> Query:
    """Idf of each question term from the index statistics: ``n_docs`` passages, ``found`` the
    document frequency of each term the index has, ``k1`` the BM25 saturation.

    :param weak_absent: terms that weigh ``ABSENT_WEAK_WEIGHT`` of a full idf when the index lacks
        them (verbs, adjectives, suffixes: 詳しい, 目); an absent noun keeps its full idf.
    """
    counts = dict(Counter(terms))
    n = max(n_docs, 1)
    idf: dict[str, float] = {}
    bidf: dict[str, float] = {}
    absent = math.log((n + 0.5) / 0.5)
    for t in counts:
        df = found.get(t, 0)
        if df > 0:
            raw = float(bm25.raw_idf(n, df))
            # Common terms (df > N/2) have a negative raw idf; BM25Okapi uses ε·mean instead,
            # which is tiny: a small positive floor keeps the same ordering.
            idf[t] = max(raw, 0.01)
            bidf[t] = idf[t]
        else:
            idf[t] = absent * (ABSENT_WEAK_WEIGHT if t in weak_absent else 1.0)
            bidf[t] = 0.0
    mass = sum(counts[t] * idf[t] for t in counts)
    max_score = sum(counts[t] * idf[t] * (k1 + 1.0) for t in counts)
    return Query(counts, idf, bidf, mass, max_score)


def evidence(query: Query, best: Hit | None, present: set[str]) -> Evidence:
    """Coverage and relative score of the best passage; ``present`` are the terms it holds."""
    if best is None or query.mass <= 0:
        return Evidence(0.0, 0.0)
    weight = {
        t: query.counts[t] * query.idf[t] * (PREDICATE_WEIGHT if t in query.predicates else 1.0)
        for t in query.counts
    }
    mass = sum(weight.values()) or 1.0
    covered = sum(w for t, w in weight.items() if t in present)
    rel = best.score / query.max_score if query.max_score > 0 else 0.0
    return Evidence(covered / mass, rel)


# A long vowel of a loanword written イ after an e-row kana (ヘアメイク, ヘアメーク; メイン is rare
# enough as メーン to be read the same way here, where only presence is asked).
_E_ROW_I = re.compile(r"([エケセテネヘメレゲゼデベペ])イ")
_KATAKANA = re.compile(r"[\u30a1-\u30faー]{2,}")


def _loose(text: str) -> str:
    return _E_ROW_I.sub(r"\1ー", text)


def katakana_written(absent: Iterable[str], article: str) -> set[str]:
    """The katakana terms among ``absent`` that ``article`` (normalised forms run together) writes
    longer or spelt another way: a clipped loanword (アマ for アマチュア, ベストアマ in
    ベストアマチュア賞, 略語 by clipping) or a long vowel written イ (ヘアメイク, ヘアメーク). Such a
    term is not missing from the article, whatever Sudachi made of its words."""
    loose = _loose(article)
    return {t for t in absent if _KATAKANA.fullmatch(t) and _loose(t) in loose}
