"""How an excerpt is scored: one linear scorer over the signals of a sentence (pure functions).

A candidate excerpt is a sentence (with, at times, its neighbour) of a passage the search found, or
of another passage of one of the best articles. Its score adds

- how well the search ranked its passage (``rel_passage``: the score the search ranked it by,
  fused over the lexical signals, / the best one's: :attr:`Hit.relevance`) and
  its article (``rel_article``: the best passage of the same article / the best one). News states
  its topic once and the facts in later paragraphs, so a sentence far from the words of the
  question still inherits the relevance of its article;
- its *quality* (:func:`sentence_quality`): how much of the question it holds (coverage, with its
  title's words counted in part), how much its neighbour holds (the answer often follows the
  sentence that repeats the question), whether it holds an answer of the kind asked
  (:mod:`index.ranking.answer_spans`) as far as the sentence or its passage is about the question,
  and whether it names the question's focus (社長 in 「社長って誰」).

The weights were fitted (a softmax over each question's candidate sentences, L2-regularised, the
sentence holding the gold answer as the target) on two sets at once: the casual livedoor-dev
questions (weighted twice), 600 JSQuAD questions and the 44 answerable questions of
``bench/questions_data.jsonl`` on the sample articles (weighted twice), so they suit members'
phrasing, formal paraphrase and a tiny corpus alike; then a coordinate search on the share of
questions whose best sentence holds the answer (``bench/fit_excerpts.py``, 1,200 JSQuAD questions)
lowered W_PASSAGE, dropped W_CONTEXT and added W_OVERLAP (character bigrams: the wording a
question keeps from the sentence it paraphrases). ``kiji eval`` and ``bench/bench_answer.py``
measure them.
"""

from __future__ import annotations

import operator

# Relevance of the passage and of its article (each the share of the best BM25 score).
W_PASSAGE = 0.4
W_ARTICLE = 0.47
# Sentence quality.
W_COVERAGE = 0.51  # share of the question's idf mass the sentence holds
W_CONTEXT = 0.0  # the same share in its neighbour (same paragraph): refitted to nothing
W_OVERLAP = 0.05  # share of the question's character bigrams the sentence holds
# A question that holds most of a sentence's wording is that sentence reworded (a quiz, a
# member pasting a line): past COPY_FROM of its bigrams each further share counts W_COPY more.
# Casual questions rarely get there (livedoor-dev: the answering excerpts' share is 0.28 at the
# median, 0.48 at p90), so it leaves them alone (JSQuAD first excerpt 0.879 -> 0.881).
W_COPY = 1.0
COPY_FROM = 0.65
W_FIT = 0.38  # an answer of the kind asked (1.0 exact fit), …
FIT_GATE = 2.0  # … counted in full once the sentence, neighbour or passage holds half the question
W_SLOT = 0.14  # … and more when it stands in the question's slot (answer_spans.Fit.slotted)
# The sentence holds the words of the clause that asks (「〜の記事、パチンコ店の前ってどこ？」:
# パチンコ店 and 前), not only the topic's that name the article: the share of their idf mass.
W_CLAUSE = 0.2
W_FOCUS = 0.13  # the sentence names the question's focus, weighted by the answer it holds …
FOCUS_ALONE = 0.3  # … (this much without one)
TITLE_SHARE = 0.5  # a title word counts this much in a sentence under it that lacks it
STUB_FACTOR = 0.85  # a 関連記事 stub (title + summary only) yields to a real article
# A sentence two read articles write word for word (a series' template) keeps this share of
# its quality: it tells nothing about one article.
BOILERPLATE_FACTOR = 0.3
MAX_QUALITY = (
    W_COVERAGE
    + W_CONTEXT
    + W_OVERLAP
    + W_COPY * (1.0 - COPY_FROM)
    + W_FIT
    + W_SLOT
    + W_CLAUSE
    + W_FOCUS
)  # a sentence's quality is at most this


def sentence_quality(
    own: float,
    context: float,
    coverage: float,
    fit: float,
    rel_passage: float,
    focus: bool,
    *,
    slotted: float = 0.0,
    overlap: float = 0.0,
    clause: float = 0.0,
) -> float:
    """Quality of one sentence.

    :param own: its coverage of the question with its title's words counted at TITLE_SHARE
    :param context: the coverage of its neighbour in the same paragraph
    :param coverage: its own coverage (title words not counted)
    :param fit: how well it holds an answer of the kind asked (0 … 1)
    :param rel_passage: its passage's relevance
    :param focus: whether it names the question's focus
    :param slotted: the fit of an answer standing in the question's slot (next to the words
        around the interrogative: 「横浜市出身」 for 「どこ出身」)
    :param overlap: the share of the question's character bigrams the sentence holds: a
        sentence the question paraphrases keeps its wording, also where Sudachi cuts the words
        differently in the two (:func:`char_overlap`); past COPY_FROM, the question is the
        sentence reworded
    :param clause: the share of the asking clause's words it holds (W_CLAUSE)
    """
    gate = min(1.0, FIT_GATE * max(coverage, context, rel_passage))
    quality = (
        W_COVERAGE * own
        + W_CONTEXT * context
        + W_OVERLAP * overlap
        + W_COPY * max(0.0, overlap - COPY_FROM)
        + W_FIT * fit * gate
        + W_SLOT * slotted
        + W_CLAUSE * clause
    )
    if focus:
        quality += W_FOCUS * max(fit, FOCUS_ALONE)
    return quality


def bigrams(text: str) -> frozenset[str]:
    """The character bigrams of ``text`` (spaces dropped)."""
    text = "".join(text.split())
    return frozenset(map(operator.add, text, text[1:]))  # each char with the next, in C


def char_overlap(question: frozenset[str], sentence: str) -> float:
    """The share of the question's character bigrams (:func:`bigrams`) that ``sentence`` holds."""
    if not question:
        return 0.0
    return len(question & bigrams(sentence)) / len(question)


def excerpt_score(
    rel_passage: float, rel_article: float, quality: float, *, stub: bool = False
) -> float:
    """The score an excerpt is ranked by (a stub's is lowered by STUB_FACTOR)."""
    score = W_PASSAGE * rel_passage + W_ARTICLE * rel_article + quality
    return score * STUB_FACTOR if stub else score


def best_possible(rel_passage: float, rel_article: float) -> float:
    """The score of a perfect sentence of this passage: a passage that cannot beat what is
    already held is not read."""
    return excerpt_score(rel_passage, rel_article, MAX_QUALITY)
