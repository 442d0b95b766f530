"""Composing an answer: cited excerpts from the best passages, related articles, honest "not found".

The pipeline of :meth:`Answerer.ask` (free of Discord: the terminal and the bot show the same
:class:`~index.models.Answer`):

1. strip Discord/Markdown markup, read a date window (「昨日」「先週」), analyse the rest into terms
   (:class:`~index.errors.InvalidQuery` becomes ``status="invalid"`` with its Japanese message);
2. BM25 over passages (restricted to the window; widened with a note when the window holds no
   answer);
3. decide whether the evidence answers the question at all (:mod:`index.answer.evidence`);
4. score the sentences of the top passages and of the other passages of the best articles
   (:mod:`index.ranking.excerpt_score`) and cut 1–2 sentence excerpts with the matched terms and
   the answer highlighted, at most two per passage, preferring several articles;
5. related articles of the cited ones (:mod:`index.search.related`).
"""

from __future__ import annotations

import bisect
import logging
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime

from sudachipy import SplitMode

from index.analysis.markup import strip_markup
from index.analysis.names import name_key, question_phrases, required_names
from index.analysis.question import FILLERS, read_intent
from index.analysis.sentences import sentence_spans
from index.analysis.timeexpr import describe_window, find_time
from index.analysis.tokenizer import JapaneseTokenizer, Morph, Token, fold, shared_dictionary
from index.answer.evidence import Evidence, Query, build_query, evidence
from index.answer.excerpt_text import (
    MAX_EXCERPT_CHARS,
    NO_HIGHLIGHT,
    bound,
    fold_key,
    has_japanese,
    highlightable,
    normalised,
)
from index.answer.period import asks_for_summary, period_summary
from index.errors import InvalidQuery
from index.models import Answer, DateWindow, Excerpt, Hit, RelatedArticle
from index.ranking.answer_spans import Fit, Span, answer_weight, find_spans, merge_spans
from index.ranking.excerpt_score import (
    TITLE_SHARE,
    best_possible,
    excerpt_score,
    sentence_quality,
)
from index.search.related import RelatedFinder
from index.search.search import Searcher
from index.store.store import IndexStore

log = logging.getLogger(__name__)

SHORT_SENTENCE_CHARS = 40  # a best sentence shorter than this takes its neighbour along
CANDIDATE_PASSAGES = 8  # passages whose sentences are scored (at least 2·k + 2)
SAME_ARTICLE_FACTOR = 0.95  # each excerpt already taken from an article lowers its next one
MIN_EXCERPT_RATIO = 0.5  # excerpts scoring under half the first one are not shown
RECENCY_BOOST = 0.25  # 最近: up to +25 % for an article published today, fading over the window
CLOSEST = 3
# Sentence choice: index.ranking.excerpt_score weighs each sentence of the best passages, and of
# the other passages of the best articles (in news the answer often sits in a later paragraph).
SIBLING_ARTICLES = 2  # the best articles whose other passages are read for the answer too
MAX_SIBLING_PASSAGES = 10
ARTICLE_CARRY = 0.6  # a sibling passage's score: this share of its article's best passage
PER_PASSAGE = 2  # excerpts a passage may offer (its best window and one more)
TOKEN_CACHE_PASSAGES = 4096  # tokenised passages kept (LRU); a few MB
# A question word the tokenizer keeps (何回, 何人, 何割 …) says what is asked, not what about.
QUESTION_PREFIX = "何"
# Words about the articles themselves (「今週の金利のニュース」): not what the question is about.
META_WORDS = frozenset({"ニュース", "記事", "話題", "情報", "出来事", "報道", "詳細"})
# Parts of speech that carry the topic of a question; an absent term of another POS (a verb,
# adjective, adverb or suffix) is more likely phrasing than subject and weighs less.
CONTENT_POS = frozenset({"名詞", "代名詞"})
NOT_FOUND_MESSAGE = "記事の中に、この質問に答える内容は見つかりませんでした。"
NOT_FOUND_CLOSEST = "近い話題の記事はこちらです。"
NOT_JAPANESE_HINT = (
    "kiji answers questions in Japanese about Japanese news articles: please ask in Japanese "
    "(例：「日銀は政策金利を何%に引き上げた？」)。"
)
EMPTY_INDEX_MESSAGE = "まだ記事が登録されていません。`kiji ingest` で記事を取り込んでください。"


@dataclass
class _Sentence:
    start: int
    end: int
    matched: set[str]
    spans: list[tuple[int, int]]  # matched token spans to highlight (passage offsets)
    weighted: list[tuple[int, int, str]]  # every matched token span with its term
    cuts: list[int]  # word boundaries inside (passage offsets)


class _Analysed:
    """A passage's terms and morphemes; answer spans and the normalised text when first asked."""

    __slots__ = ("_norm", "_spans", "morphs", "text", "tokens")

    def __init__(self, text: str, tokens: list[Token], morphs: list[Morph]) -> None:
        self.text = text
        self.tokens = tokens
        self.morphs = morphs
        self._spans: list[Span] | None = None
        self._norm: str | None = None

    @property
    def spans(self) -> list[Span]:
        if self._spans is None:
            self._spans = find_spans(self.text, self.morphs)
        return self._spans

    @property
    def normalised(self) -> str:
        if self._norm is None:
            self._norm = normalised(self.morphs)
        return self._norm


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


class Answerer:
    """Answers questions over one store. One per thread, like the :class:`Searcher` it uses."""

    def __init__(
        self,
        store: IndexStore,
        searcher: Searcher,
        tokenizer: JapaneseTokenizer,
        *,
        related: RelatedFinder | None = None,
    ) -> None:
        self.store = store
        self.searcher = searcher
        self.tokenizer = tokenizer
        self.related = related or RelatedFinder(store, searcher, tokenizer)
        self._local = threading.local()  # a Sudachi tokenizer per thread, for parts of speech
        self._titles: dict[tuple[str, str], set[str]] = {}
        self._tokens: OrderedDict[int, _Analysed] = OrderedDict()

    # ------------------------------------------------------------------ the public entry point
    def ask(self, question: str, *, now: datetime, k: int = 3) -> Answer:
        """Answer ``question`` as of ``now`` (timezone-aware) with at most ``k`` excerpts.

        Never raises for a bad question: it becomes ``status="invalid"`` with a message.
        """
        t0 = time.perf_counter()
        k = max(1, k)
        try:
            cleaned = strip_markup(question)
            match = find_time(cleaned, now) if cleaned else None
            try:
                terms = self.searcher.analyse(match.remaining if match else cleaned)
            except InvalidQuery:
                if match is None or not match.removed:
                    raise
                terms = self.searcher.analyse(cleaned)  # the question was only a date
        except InvalidQuery as e:
            return Answer(
                question=question,
                status="invalid",
                message=str(e),
                reason=e.reason,
                took_ms=_ms(t0),
            )
        window = match.window if match else None
        rest = match.remaining if match else cleaned
        with self._consistent():
            morphs = self.tokenizer.analyse(rest)[1]
            if asks_for_summary(morphs, has_period=window is not None):
                answer = period_summary(
                    self.store, self.related, self.tokenizer, question, window, now, k
                )
            else:
                query = self._query(terms, rest, morphs)
                answer = self._answer_in_window(question, query, window, now, k)
        if answer.status == "not_found" and not has_japanese(cleaned):
            answer = replace(answer, message=f"{answer.message}\n{NOT_JAPANESE_HINT}")
        log.debug("ask %r -> %s (%d excerpts)", question, answer.status, len(answer.excerpts))
        return replace(answer, took_ms=_ms(t0))

    @contextmanager
    def _consistent(self) -> Iterator[None]:
        """One read transaction for a whole answer: N, the dfs and the postings it reads all
        come from the same committed state, even while another process ingests."""
        with self.store.snapshot(), self.searcher.store.snapshot():
            self.searcher.refresh()
            yield

    def _answer_in_window(
        self, question: str, query: Query, window: DateWindow | None, now: datetime, k: int
    ) -> Answer:
        if window is None:
            return self._compose(question, query, k)
        if window.mode == "boost":
            answer = self._compose(question, query, k, boost=(window, now))
            return replace(answer, window=window)
        answer = self._compose(question, query, k, since=window.since, until=window.until)
        desc = describe_window(window)
        if answer.status == "answered":
            return replace(answer, window=window, note=f"{desc}に公開された記事から答えています。")
        wide = self._compose(question, query, k)
        if wide.status == "answered":
            note = f"{desc}に公開された記事には見つからなかったため、期間を限らずに探しました。"
        else:
            note = f"{desc}に公開された記事にも、ほかの記事にも見つかりませんでした。"
        return replace(wide, window=window, note=note)

    # ------------------------------------------------------------------ composition
    def _compose(
        self,
        question: str,
        query: Query,
        k: int,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        boost: tuple[DateWindow, datetime] | None = None,
    ) -> Answer:
        terms = query.terms
        base = Answer(question=question, status="not_found", terms=terms)
        if self.searcher.n_docs == 0:
            return replace(base, message=EMPTY_INDEX_MESSAGE)
        n_cand = max(CANDIDATE_PASSAGES, 2 * k + 2)
        scored = self.searcher.score_terms(
            list(_expand(query)),
            n_cand * (2 if boost else 1),
            since=since,
            until=until,
            text=query.text or None,
        )
        hits = list(self.searcher.hits(scored))
        if boost is not None:
            hits = _boost_recent(hits, *boost)
        hits = self._writing_quoted_names(hits, query)[:n_cand]
        if not hits:
            return replace(base, message=NOT_FOUND_MESSAGE)
        top_sents = self._sentences(hits[0], query)
        siblings = self._siblings(hits)
        ev = self._evidence(query, hits[0], [*hits[1:], *siblings])
        log.debug("evidence %r: coverage %.3f relative %.3f", question, ev.coverage, ev.relative)
        if ev.weak:
            return replace(
                base,
                message=f"{NOT_FOUND_MESSAGE}{NOT_FOUND_CLOSEST if hits else ''}",
                closest=_closest(hits),
            )
        # The hits in ranked order (fused ranking need not follow the word BM25 score), then
        # the sibling passages, best article first.
        pool = hits + sorted(siblings, key=lambda h: -h.score)
        excerpts = self._excerpts(pool, top_sents, query, k)
        if not excerpts:  # only link-less stubs held the words: offer them, cite nothing
            return replace(
                base,
                message=f"{NOT_FOUND_MESSAGE}{NOT_FOUND_CLOSEST}",
                closest=_closest(hits),
            )
        related = self.related.related_to([e.article_id for e in excerpts])
        return replace(base, status="answered", excerpts=excerpts, related=related)

    def _writing_quoted_names(self, hits: list[Hit], query: Query) -> list[Hit]:
        """The hits whose article writes every title the question quotes (『風立ちぬ』), when any
        does: an article that never names the work the question is about cannot answer it."""
        quoted = [name for name, kind in query.names if kind == "quoted"]
        if not quoted:
            return hits
        writes: dict[str, bool] = {}
        for h in hits:
            if h.article_id not in writes:
                text = "".join([h.title, *(row[4] for row in self.store.passages_of(h.article_id))])
                written = name_key(text)
                writes[h.article_id] = all(name in written for name in quoted)
        kept = [h for h in hits if writes[h.article_id]]
        return kept or hits

    def _siblings(self, hits: list[Hit]) -> list[Hit]:
        """The other passages of the best articles: in news the sentence that holds the answer
        often shares no word with the question (it follows the topic sentence, or sits in a later
        paragraph), so it is not among the hits. Each carries ARTICLE_CARRY of its article's best
        passage score."""
        best: dict[str, Hit] = {}
        for h in hits:
            if not h.is_stub and h.article_id not in best:
                best[h.article_id] = h
                if len(best) >= SIBLING_ARTICLES:
                    break
        seen = {h.passage_id for h in hits}
        out: list[Hit] = []
        for aid, top in best.items():
            rows = self.store.passages_of(aid)
            for pid, heading, start, end, text in rows[:MAX_SIBLING_PASSAGES]:
                if pid in seen:
                    continue
                out.append(
                    replace(
                        top,
                        passage_id=pid,
                        heading=heading,
                        text=text,
                        start=start,
                        end=end,
                        score=top.score * ARTICLE_CARRY,
                    )
                )
        return out

    def _query(self, terms: list[str], text: str, morphs: Sequence[Morph] | None = None) -> Query:
        if morphs is None:
            morphs = self.tokenizer.analyse(text)[1]
        intent = read_intent(morphs)
        kept = [
            t
            for t in terms
            if t not in META_WORDS
            and t not in FILLERS
            and not (t.startswith(QUESTION_PREFIX) and len(t) > 1)
        ]
        terms = kept or terms
        predicates = self._non_content_terms(text)
        slot = {t for w in intent.slot_words for t in self.tokenizer.terms(w)} | intent.focus
        return replace(
            build_query(self.searcher, terms, predicates),
            intent=intent,
            text=text,
            phrases=question_phrases(morphs),
            names=required_names(text, morphs),
            predicates=predicates,
            slot_terms=frozenset(t for t in slot if t in terms),
        )

    def _non_content_terms(self, text: str) -> frozenset[str]:
        """Terms of ``text`` whose part of speech is not a noun (for absent-term weighting)."""
        tok = getattr(self._local, "tok", None)
        if tok is None:
            tok = self._local.tok = shared_dictionary().tokenizer(mode=SplitMode.C)
        content: set[str] = set()
        other: set[str] = set()
        for m in tok.tokenize(text):
            (content if m.part_of_speech()[0] in CONTENT_POS or m.is_oov() else other).add(
                fold(m.normalized_form())
            )
        return frozenset(other - content)

    def _evidence(self, query: Query, top: Hit, siblings: Sequence[Hit] = ()) -> Evidence:
        """Evidence of the best passage read with the rest of its article (title, heading, the
        other passages): a news article states its topic once and the facts further on.

        A name the question writes as one compound (「iPhone 6」「ポケモンGO」) counts only
        where the article has it in one piece: ``iPhone`` here and ``6`` there is not it.
        """
        passages = [top, *(h for h in siblings if h.article_id == top.article_id)]
        present: set[str] = set()
        joined: list[str] = []
        for h in passages:
            got = self._analysis(h)
            present.update(t.term for t in got.tokens)
            joined.append(got.normalised)
        for extra in (top.title, top.heading or ""):
            tokens, morphs = self.tokenizer.analyse(extra)
            present.update(t.term for t in tokens)
            joined.append(normalised(morphs))
        article = "\n".join(joined)
        for phrase, terms in query.phrases:
            if phrase not in article:
                present -= terms
        found = evidence(query, top, present)
        if query.names:
            written = name_key("".join([top.title, *(h.text for h in passages)]))
            for name, kind in query.names:
                if name not in (written if kind == "quoted" else article):
                    return replace(found, missing_name=name)
        return found

    def explain(self, question: str, *, now: datetime) -> Evidence:
        """The evidence of the best passage for ``question`` (calibration and debugging; no window).

        Raises :class:`InvalidQuery` for a question that cannot be searched.
        """
        cleaned = strip_markup(question)
        match = find_time(cleaned, now) if cleaned else None
        text = match.remaining if match and match.removed else cleaned
        terms = self.searcher.analyse(text)
        with self._consistent():
            query = self._query(terms, text)
            hits = self.searcher.hits(
                self.searcher.score_terms(list(_expand(query)), 1, text=query.text or None)
            )
        if not hits:
            return Evidence(0.0, 0.0)
        return self._evidence(query, hits[0], self._siblings(list(hits)))

    def _title_terms(self, hit: Hit) -> set[str]:
        """Terms of a passage's title and heading, cached per (title, heading)."""
        key = (hit.title, hit.heading or "")
        got = self._titles.get(key)
        if got is None:
            got = set(self.tokenizer.terms(hit.title)) | set(
                self.tokenizer.terms(hit.heading or "")
            )
            if len(self._titles) > TOKEN_CACHE_PASSAGES:
                self._titles.clear()
            self._titles[key] = got
        return got

    def _analysis(self, hit: Hit) -> _Analysed:
        """Terms and morphemes of a passage, cached by passage id (a passage's text never
        changes: an updated article gets new passage ids)."""
        cache = self._tokens
        got = cache.get(hit.passage_id)
        if got is None:
            tokens, morphs = self.tokenizer.analyse(hit.text)
            got = _Analysed(hit.text, tokens, morphs)
            cache[hit.passage_id] = got
            if len(cache) > TOKEN_CACHE_PASSAGES:
                cache.popitem(last=False)
        else:
            cache.move_to_end(hit.passage_id)
        return got

    def _sentences(self, hit: Hit, query: Query) -> tuple[list[_Sentence], set[str]]:
        """The sentences of a passage with the query terms each holds; also all terms present."""
        text = hit.text
        spans = sentence_spans(text) or [(0, len(text))]
        sents = [_Sentence(s, e, set(), [], [], []) for s, e in spans]
        starts = [s for s, _ in spans]
        present: set[str] = set()
        tokens = self._analysis(hit).tokens
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

    def _excerpts(
        self,
        hits: list[Hit],
        top_sents: tuple[list[_Sentence], set[str]],
        query: Query,
        k: int,
    ) -> tuple[Excerpt, ...]:
        best_score = max(h.score for h in hits) or 1.0
        article_rel: dict[str, float] = {}  # each article's best passage, relative to the best
        for h in hits:
            article_rel[h.article_id] = max(
                article_rel.get(h.article_id, 0.0), h.score / best_score
            )
        cands: list[_Candidate] = []
        firsts: list[float] = []
        for i, hit in enumerate(hits):
            # A passage that even a perfect sentence could not lift above what is already held
            # is not tokenised (the costly step).
            bound = best_possible(hit.score / best_score, article_rel[hit.article_id])
            if len(firsts) >= k:
                held = sorted(firsts, reverse=True)
                if bound < held[k - 1] * SAME_ARTICLE_FACTOR or bound < held[0] * MIN_EXCERPT_RATIO:
                    continue
            sents = top_sents[0] if i == 0 else self._sentences(hit, query)[0]
            got = self._candidates(hit, sents, query, best_score, article_rel[hit.article_id])
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

    def _candidates(
        self,
        hit: Hit,
        sents: list[_Sentence],
        query: Query,
        best_score: float,
        rel_article: float,
    ) -> list[_Candidate]:
        text = hit.text
        if not text.strip():
            return []

        mass = query.mass or 1.0
        spans = self._analysis(hit).spans if query.intent.typed else []
        n = len(sents)

        def gain(s: _Sentence) -> float:
            return sum(query.counts[t] * query.idf[t] for t in s.matched)

        cov = [min(gain(x) / mass, 1.0) for x in sents]
        # The title is the topic of every sentence under it (「ラオス」 heads a sentence about
        # 公用語 that never repeats it): a sentence's own coverage counts its title's words too.
        titled = set(query.counts) & self._title_terms(hit)
        fits = [
            answer_weight(
                text,
                spans,
                x.start,
                x.end,
                query.intent,
                query.text,
                [(a, b) for a, b, _t in x.weighted],
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

        def same_paragraph(i: int, j: int) -> bool:
            a, b = sorted((i, j))
            return "\n" not in text[sents[a].end : sents[b].start]

        ctx = [
            max(
                (cov[j] for j in (i - 1, i + 1) if 0 <= j < n and same_paragraph(i, j)),
                default=0.0,
            )
            for i in range(n)
        ]
        # An answer-shaped span counts as far as its sentence, its neighbour or its passage is
        # about the question (a number in an unrelated passage is not an answer).
        rel = hit.score / best_score
        focus = query.intent.focus
        quality = [
            sentence_quality(
                own[i],
                ctx[i],
                cov[i],
                fits[i].weight,
                rel,
                bool(focus & x.matched),
                slotted=fits[i].slotted,
            )
            for i, x in enumerate(sents)
        ]
        # Best sentences first; ties go to the earlier sentence (the lead). A passage offers its
        # best window and, when it holds more, a second one that does not overlap it.
        order = sorted(range(n), key=lambda i: (-quality[i], i))
        out: list[_Candidate] = []
        taken: list[tuple[int, int]] = []
        for best_i in order:
            if len(out) >= PER_PASSAGE or (quality[best_i] <= 0 and out):
                break
            best = sents[best_i]
            if any(a < best.end and best.start < b for a, b in taken):
                continue
            lo, hi = self._window(text, sents, best_i, query, same_paragraph, taken)
            score = excerpt_score(rel, rel_article, quality[best_i], stub=hit.is_stub)
            taken.append((lo, hi))
            out.append(self._cut(hit, sents, lo, hi, fits[best_i], query, score))
        return out

    def _window(self, text, sents, best_i, query, same_paragraph, taken) -> tuple[int, int]:
        """The best sentence and, when it helps, its neighbour in the same paragraph."""
        best = sents[best_i]
        lo, hi = best.start, best.end
        matched = set(best.matched)
        # The neighbour joins when it adds matched terms, or when the best sentence is very short.
        options = []
        for j in (best_i + 1, best_i - 1):
            if not 0 <= j < len(sents) or not same_paragraph(best_i, j):
                continue
            if any(a < sents[j].end and sents[j].start < b for a, b in taken):
                continue
            extra = sum(query.counts[t] * query.idf[t] for t in sents[j].matched - matched)
            options.append((extra, j == best_i + 1, j))
        options.sort(reverse=True)
        if options:
            extra, _, j = options[0]
            if extra > 0 or hi - lo < SHORT_SENTENCE_CHARS:
                nlo, nhi = min(lo, sents[j].start), max(hi, sents[j].end)
                if nhi - nlo <= MAX_EXCERPT_CHARS:
                    lo, hi = nlo, nhi
        return lo, hi

    def _cut(
        self,
        hit: Hit,
        sents: list[_Sentence],
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


def _expand(query: Query):
    for t, c in query.counts.items():
        for _ in range(c):
            yield t


def _boost_recent(hits: list[Hit], window: DateWindow, now: datetime) -> list[Hit]:
    """Recency boost for 最近: score · (1 + RECENCY_BOOST · freshness), freshness 1 today → 0."""
    if window.since is None:
        return hits
    span = (now - window.since).total_seconds() or 1.0
    out = []
    for h in hits:
        fresh = 0.0
        if h.published_at is not None:
            age = (now - h.published_at).total_seconds()
            fresh = min(1.0, max(0.0, 1.0 - age / span))
        out.append(replace(h, score=h.score * (1.0 + RECENCY_BOOST * fresh)))
    out.sort(key=lambda h: (-h.score, h.passage_id))
    return out


def _closest(hits: Sequence[Hit]) -> tuple[RelatedArticle, ...]:
    out: list[RelatedArticle] = []
    seen: set[str] = set()
    for h in hits:
        if h.article_id in seen:
            continue
        seen.add(h.article_id)
        out.append(RelatedArticle(h.article_id, h.title, h.url, h.published_at, is_stub=h.is_stub))
        if len(out) >= CLOSEST:
            break
    return tuple(out)


def _ms(t0: float) -> float:
    return (time.perf_counter() - t0) * 1000.0


def compose_answer(
    store: IndexStore,
    searcher: Searcher,
    tokenizer: JapaneseTokenizer,
    question: str,
    *,
    now: datetime,
    k: int = 3,
) -> Answer:
    """One-shot form of :meth:`Answerer.ask` (builds the helpers each call; prefer an Answerer)."""
    return Answerer(store, searcher, tokenizer).ask(question, now=now, k=k)
