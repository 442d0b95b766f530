"""Cutting the excerpts of an answer: which sentences of the read passages, and how much of them.

:class:`ExcerptPicker` reads each passage once (terms, morphemes and candidate answer spans,
cached by passage id: :mod:`index.answer.analysed`), scores its sentences with :mod:`index.ranking.excerpt_score`, offers at
most two windows per passage (the best sentence and, when it helps, its neighbour), cuts a long
sentence where it holds the most matched weight and highlights the matched words and the answer.
Then it picks at most ``k``: several articles before several excerpts of one when scores are
close, a stub (関連記事 title and summary) never before a real article, no excerpt twice.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from dataclasses import dataclass

from index.analysis.sentences import sentence_spans
from index.analysis.tokenizer import JapaneseTokenizer
from index.answer.analysed import PassageAnalyses
from index.answer.excerpt_text import (
    MAX_EXCERPT_CHARS,
    NO_HIGHLIGHT,
    boilerplate_keys,
    bound,
    fold_key,
    highlightable,
    line_per_sentence,
)
from index.answer.reading import Reading, Sentence
from index.models import Excerpt, Hit
from index.ranking.answer_spans import (
    Fit,
    answer_weight,
    focus_values,
    merge_spans,
)
from index.ranking.evidence import Query
from index.ranking.excerpt_score import (
    BOILERPLATE_FACTOR,
    TITLE_SHARE,
    best_possible,
    bigrams,
    char_overlap,
    excerpt_score,
    sentence_quality,
)

SHORT_SENTENCE_CHARS = 40  # a best sentence shorter than this takes its neighbour along
SAME_ARTICLE_FACTOR = 0.95  # each excerpt already taken from an article lowers its next one
MIN_EXCERPT_RATIO = 0.5  # excerpts scoring under half the first one are not shown
PER_PASSAGE = 2  # excerpts a passage may offer (its best window and one more)
# A sentence that ends by naming a thing (「…と一般的に呼ばれる。」「…をXという。」).
NAMING_END = re.compile(r"(?:と(?:[^、。]{0,6})?呼ばれる|という|と称(?:する|される))[。．]?$")
QUOTE_OPENERS = '「『“"'
LIST_MARKS = "・■□●○◆◇▼▽★☆※-＊*"  # what opens an item of a list


@dataclass
class _Candidate:
    hit: Hit
    score: float
    text: str
    highlights: tuple[tuple[int, int], ...]

    @property
    def key(self) -> str:
        """Key under which two excerpts count as the same words (only the picked are keyed)."""
        return fold_key(self.text.strip("…"))


ANAPHOR = re.compile(r"[\s　「]*(?:それ|これ|あれ)(?:は|が|を|に|で|も|こそ|って|と|から)")


class ExcerptPicker:
    """Excerpts of passages for a question. One per :class:`~index.answer.answer.Answerer` (and
    so per thread): its caches are not locked."""

    def __init__(self, tokenizer: JapaneseTokenizer) -> None:
        self.tokenizer = tokenizer
        self.read_once = PassageAnalyses(tokenizer)  # each passage analysed once
        self.title_terms = self.read_once.title_terms
        self.analysis = self.read_once.analysis
        self.terms_of = self.read_once.terms_of

    def sentences(self, hit: Hit, query: Query) -> tuple[list[Sentence], set[str]]:
        """The sentences of a passage with the query terms each holds; also all terms present."""
        text = hit.text
        spans = sentence_spans(text) or [(0, len(text))]
        sents = [Sentence(s, e, set(), [], [], []) for s, e in spans]
        starts = [s for s, _ in spans]
        present: set[str] = set()
        tokens = self.analysis(hit).tokens
        for tok in tokens:
            present.add(tok.term)
            i = bisect.bisect_right(starts, tok.start) - 1
            if i < 0:
                continue
            sent = sents[i]
            if tok.end > sent.end:
                continue
            sent.cuts.append(tok.start)
            sent.cuts.append(tok.end)
            if tok.term in query.counts:
                sent.matched.add(tok.term)
                sent.weighted.append((tok.start, tok.end, tok.term))
                if highlightable(tok.term, text[tok.start : tok.end]):
                    sent.spans.append((tok.start, tok.end))
        return sents, present

    def pick(
        self,
        hits: list[Hit],
        top_sents: tuple[list[Sentence], set[str]],
        query: Query,
        k: int,
    ) -> tuple[Excerpt, ...]:
        """At most ``k`` excerpts from ``hits`` (the ranked passages, then the other passages of
        the best articles); ``top_sents`` are the first hit's sentences, already read."""
        best_score = max(h.relevance for h in hits) or 1.0
        article_rel: dict[str, float] = {}  # each article's best passage, relative to the best
        for h in hits:
            article_rel[h.article_id] = max(
                article_rel.get(h.article_id, 0.0), h.relevance / best_score
            )
        boiler = boilerplate_keys(hits)
        cands: list[_Candidate] = []
        firsts: list[float] = []
        for i, hit in enumerate(hits):
            # A passage that even a perfect sentence could not lift above what is already held
            # is not tokenised (the costly step).
            bound = best_possible(hit.relevance / best_score, article_rel[hit.article_id])
            if len(firsts) >= k:
                held = sorted(firsts, reverse=True)
                if bound < held[k - 1] * SAME_ARTICLE_FACTOR or bound < held[0] * MIN_EXCERPT_RATIO:
                    continue
            sents = top_sents[0] if i == 0 else self.sentences(hit, query)[0]
            got = self._candidates(
                hit, sents, query, best_score, article_rel[hit.article_id], boiler
            )
            if got:
                firsts.append(got[0].score)  # one per passage: the bound is about passages
            cands.extend(got)
        # Evidence is something a member can open: a stub without a link is no citation (its
        # summary is offered among the related articles instead).
        cands = [c for c in cands if c.hit.url or not c.hit.is_stub]
        if not cands:
            return ()
        chosen: list[_Candidate] = []
        per_article: Counter[str] = Counter()
        seen_keys: set[str] = set()
        first_score = 0.0
        pool = list(cands)
        while pool and len(chosen) < k:
            # Greedy: several articles beat several excerpts of one article when scores are close.
            def eff(c: _Candidate) -> float:
                return c.score * SAME_ARTICLE_FACTOR ** per_article[c.hit.article_id]

            # A stub (a 関連記事 title and summary) never comes before a real article's excerpt.
            pick = max(pool, key=lambda c: (not c.hit.is_stub, eff(c), -c.hit.passage_id))
            pool.remove(pick)
            key = pick.key
            if key in seen_keys:  # the same words twice (a stub summary, a reprint)
                continue
            if chosen and eff(pick) < first_score * MIN_EXCERPT_RATIO:
                break
            if not chosen:
                first_score = eff(pick)
            seen_keys.add(key)
            per_article[pick.hit.article_id] += 1
            chosen.append(pick)
        return tuple(
            Excerpt(
                n=i + 1,
                text=c.text,
                highlights=c.highlights,
                article_id=c.hit.article_id,
                title=c.hit.title,
                url=c.hit.url,
                published_at=c.hit.published_at,
                heading=c.hit.heading,
                score=round(c.score, 4),
                passage_id=c.hit.passage_id,
            )
            for i, c in enumerate(chosen)
        )

    def read(
        self,
        hit: Hit,
        sents: list[Sentence],
        query: Query,
        best_score: float,
        boiler: frozenset[str] = frozenset(),
    ) -> Reading:
        """The signals of every sentence of a passage (what :func:`sentence_quality` weighs)."""
        text = hit.text
        mass = query.mass or 1.0
        spans = self.analysis(hit).spans if query.intent.typed else []
        if query.intent.typed and query.intent.focus & {t for x in sents for t in x.matched}:
            spans = [*spans, *focus_values(text, self.analysis(hit).morphs, query.intent.focus)]
        n = len(sents)

        def gain(s: Sentence) -> float:
            return sum(query.counts[t] * query.idf[t] for t in s.matched)

        cov = [min(gain(x) / mass, 1.0) for x in sents]
        # The title is the topic of every sentence under it (「ラオス」 heads a sentence about
        # 公用語 that never repeats it): a sentence's own coverage counts its title's words too.
        titled = set(query.counts) & self.title_terms(hit)
        fits = [
            answer_weight(
                text,
                spans,
                x.start,
                x.end,
                query.intent,
                query.text,
                [(a, b) for a, b, t in x.weighted if t not in query.head_terms],
                [(a, b) for a, b, t in x.weighted if t in query.slot_terms],
            )
            for x in sents
        ]
        own = [
            min(
                cov[i]
                + TITLE_SHARE
                * sum(query.counts[t] * query.idf[t] for t in titled - x.matched)
                / mass,
                1.0,
            )
            # only for a sentence that says something itself: a word asked, or an answer
            if (x.matched - titled - NO_HIGHLIGHT) or fits[i].weight > 0
            else cov[i]
            for i, x in enumerate(sents)
        ]

        # A paragraph ends at a line break, unless the writer breaks the line after nearly every
        # sentence (一文改行, common on the web): then only a blank line ends it.
        breaks = "\n\n" if line_per_sentence(text, n) else "\n"

        def same_paragraph(i: int, j: int) -> bool:
            a, b = sorted((i, j))
            between = text[sents[a].end : sents[b].start]
            return breaks not in between.replace("　", "").replace(" ", "")

        # A sentence that opens with a demonstrative pronoun as an argument (「それは…」
        # 「これをオンにすると…」) continues the one before it: the two make one statement, and
        # each holds the other's share of the question.
        linked = list(own)
        for i in range(1, n):
            if ANAPHOR.match(text, sents[i].start) and same_paragraph(i - 1, i):
                linked[i - 1] = max(linked[i - 1], cov[i])
                linked[i] = max(linked[i], cov[i - 1])
        own = linked
        ctx = [
            max(
                (cov[j] for j in (i - 1, i + 1) if 0 <= j < n and same_paragraph(i, j)),
                default=0.0,
            )
            for i in range(n)
        ]
        asked = bigrams(query.text)
        clause_mass = sum(query.counts[t] * query.idf[t] for t in query.clause_terms)
        return Reading(
            rel=hit.relevance / best_score,
            own=own,
            context=ctx,
            coverage=cov,
            fits=fits,
            focus=[bool(query.intent.focus & x.matched) for x in sents],
            overlap=[char_overlap(asked, text[x.start : x.end]) for x in sents],
            boiler=[bool(boiler) and fold_key(text[x.start : x.end]) in boiler for x in sents],
            clause=[
                sum(query.counts[t] * query.idf[t] for t in x.matched & query.clause_terms)
                / clause_mass
                if clause_mass
                else 0.0
                for x in sents
            ],
            same_paragraph=same_paragraph,
        )

    def _candidates(
        self,
        hit: Hit,
        sents: list[Sentence],
        query: Query,
        best_score: float,
        rel_article: float,
        boiler: frozenset[str] = frozenset(),
    ) -> list[_Candidate]:
        text = hit.text
        if not text.strip():
            return []
        r = self.read(hit, sents, query, best_score, boiler)
        # An answer-shaped span counts as far as its sentence, its neighbour or its passage is
        # about the question (a number in an unrelated passage is not an answer).
        quality = [
            sentence_quality(
                r.own[i],
                r.context[i],
                r.coverage[i],
                r.fits[i].weight,
                r.rel,
                r.focus[i],
                slotted=r.fits[i].slotted,
                overlap=r.overlap[i],
                clause=r.clause[i],
            )
            * (BOILERPLATE_FACTOR if r.boiler[i] else 1.0)
            for i in range(len(sents))
        ]
        # Best sentences first; ties go to the earlier sentence (the lead). A passage offers its
        # best window and, when it holds more, a second one that does not overlap it.
        order = sorted(range(len(sents)), key=lambda i: (-quality[i], i))
        out: list[_Candidate] = []
        taken: list[tuple[int, int]] = []
        for best_i in order:
            if len(out) >= PER_PASSAGE or (quality[best_i] <= 0 and out):
                break
            best = sents[best_i]
            if any(a < best.end and best.start < b for a, b in taken):
                continue
            lo, hi, fit = self.window(text, sents, best_i, query, r.same_paragraph, taken, r.fits)
            score = excerpt_score(r.rel, rel_article, quality[best_i], stub=hit.is_stub)
            taken.append((lo, hi))
            out.append(self.cut(hit, sents, lo, hi, fit, query, score))
        return out

    def window(
        self, text, sents, best_i, query, same_paragraph, taken, fits
    ) -> tuple[int, int, Fit]:
        """The best sentence and, when it helps, its neighbour in the same paragraph; and the
        answer to highlight."""
        best = sents[best_i]
        lo, hi = best.start, best.end
        fit = fits[best_i]
        matched = set(best.matched)
        # The neighbour joins when it holds an answer of the kind asked that the best sentence
        # lacks (the speaker on the line before a quotation), when it adds matched terms, or
        # when the best sentence is very short. A best sentence that holds no answer at all
        # only restates the question: the sentences around it (the one after it answers, the
        # one before names the subject it leaves out) join on both sides, as far as they fit
        # (JSQuAD first excerpt 0.859 → 0.873, livedoor-dev excerpt 1 0.644 → 0.652).
        # A bare quotation (「…」 as a sentence of its own) is introduced by the sentence before
        # it; any other sentence is continued by the one after it.
        quoted = text[lo : lo + 1] in QUOTE_OPENERS
        options = []
        for j in (best_i + 1, best_i - 1):
            if not 0 <= j < len(sents) or not same_paragraph(best_i, j):
                continue
            if any(a < sents[j].end and sents[j].start < b for a, b in taken):
                continue
            extra = sum(query.counts[t] * query.idf[t] for t in sents[j].matched - matched)
            if j > best_i and text[sents[j].start] in LIST_MARKS and fits[j].weight <= 0:
                continue  # the next item of a list (・対象者) does not continue this one
            answers = fits[j].weight > fit.weight or (
                # 「Xと呼ばれる。」 before a definition names what the definition describes
                not query.intent.typed
                and j == best_i - 1
                and NAMING_END.search(text, sents[j].start, sents[j].end) is not None
            )
            options.append((answers, extra, (j < best_i) == quoted, j))
        options.sort(reverse=True)
        for n, (answers, extra, _, j) in enumerate(options):
            short = hi - lo < SHORT_SENTENCE_CHARS
            if n == 0 and not (answers or extra > 0 or short or fit.weight <= 0):
                break
            if n == 1 and fit.weight > 0:  # the other side only while no answer is held
                break
            nlo, nhi = min(lo, sents[j].start), max(hi, sents[j].end)
            if nhi - nlo > MAX_EXCERPT_CHARS:
                break
            lo, hi = nlo, nhi
            if answers:
                fit = fits[j]
        return lo, hi, fit

    def cut(
        self,
        hit: Hit,
        sents: list[Sentence],
        lo: int,
        hi: int,
        fit: Fit,
        query: Query,
        score: float,
    ) -> _Candidate:
        text = hit.text
        inside = [x for x in sents if lo <= x.start and x.end <= hi]
        span_list = [sp for x in inside for sp in x.spans]
        weighted = [(a, b, query.idf[t]) for x in inside for a, b, t in x.weighted]
        if fit.span is not None and fit.weight > 0:
            # The answer itself: highlighted, and never cut out of a long sentence.
            span_list.append((fit.span.start, fit.span.end))
            weighted.append((fit.span.start, fit.span.end, query.mass or 1.0))
        cuts = sorted({c for x in inside for c in x.cuts})
        cut_lo, cut_hi = bound(text, lo, hi, weighted, cuts)
        prefix = "…" if cut_lo > lo else ""
        suffix = "…" if cut_hi < hi else ""
        excerpt = prefix + text[cut_lo:cut_hi] + suffix
        shift = len(prefix) - cut_lo
        highlights = merge_spans(
            [(s + shift, e + shift) for s, e in span_list if s >= cut_lo and e <= cut_hi]
        )
        return _Candidate(hit, score, excerpt, highlights)
