"""Composing an answer: cited excerpts from the best passages, related articles, honest "not found".

The pipeline of :meth:`Answerer.ask` (free of Discord: the terminal and the bot show the same
:class:`~index.models.Answer`):

1. strip Discord/Markdown markup, read a date window (「昨日」「先週」), analyse the rest into terms
   (:class:`~index.errors.InvalidQuery` becomes ``status="invalid"`` with its message in the
   language asked for);
2. BM25 over passages (restricted to the window; widened with a note when the window holds no
   answer);
3. decide whether the evidence answers the question at all (:mod:`index.ranking.evidence`);
4. score the sentences of the top passages and of the other passages of the best articles
   (:mod:`index.ranking.excerpt_score`) and cut 1–2 sentence excerpts with the matched terms and
   the answer highlighted, at most two per passage, preferring several articles;
5. related articles of the cited ones (:mod:`index.search.related`).
"""

from __future__ import annotations

import logging
import time
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime

from index.analysis.markup import strip_markup
from index.analysis.names import name_key, person_short_forms, question_phrases, required_names
from index.analysis.question import read_intent
from index.analysis.question_words import FILLERS, FORMAL_NOUNS
from index.analysis.sentences import asked_clause
from index.analysis.timeexpr import describe_window, find_time
from index.analysis.tokenizer import JapaneseTokenizer, Morph
from index.answer.excerpt_text import has_japanese, normalised
from index.answer.excerpts import ExcerptPicker
from index.answer.period import asks_for_summary, period_summary
from index.errors import InvalidQuery
from index.messages import Lang, t
from index.models import Answer, DateWindow, Hit, RelatedArticle
from index.ranking.evidence import Evidence, Query, build_query, evidence, katakana_written
from index.ranking.recency import boost_recent
from index.search.related import RelatedFinder
from index.search.search import Searcher
from index.store.store import IndexStore

log = logging.getLogger(__name__)

CANDIDATE_PASSAGES = 8  # passages whose sentences are scored (at least 2·k + 2)
CLOSEST = 3
# Sentence choice: index.ranking.excerpt_score weighs each sentence of the best passages, and of
# the other passages of the best articles (in news the answer often sits in a later paragraph).
SIBLING_ARTICLES = 2  # the best articles whose other passages are read for the answer too
MAX_SIBLING_PASSAGES = 10
ARTICLE_CARRY = 0.6  # a sibling passage's score: this share of its article's best passage
# A question word the tokenizer keeps (何回, 何人, 何割 …) says what is asked, not what about.
QUESTION_PREFIX = "何"
# Words about the articles themselves (「今週の金利のニュース」): not what the question is about.
META_WORDS = frozenset({"ニュース", "記事", "話題", "情報", "出来事", "報道", "詳細"})
# Parts of speech that carry the topic of a question; an absent term of another POS (a verb,
# adjective, adverb or suffix) is more likely phrasing than subject and weighs less.
CONTENT_POS = frozenset({"名詞", "代名詞"})


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
        self.excerpts = ExcerptPicker(tokenizer)

    # ------------------------------------------------------------------ the public entry point
    def ask(self, question: str, *, now: datetime, k: int = 3, lang: Lang = "ja") -> Answer:
        """Answer ``question`` as of ``now`` (timezone-aware) with at most ``k`` excerpts; the
        answer's messages and notes are in ``lang``.

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
                message=e.text(lang),
                reason=e.reason,
                took_ms=_ms(t0),
            )
        window = match.window if match else None
        rest = match.remaining if match else cleaned
        with self._consistent():
            morphs = self.tokenizer.analyse(rest)[1]
            if asks_for_summary(morphs, has_period=window is not None):
                answer = period_summary(
                    self.store, self.related, self.tokenizer, question, window, now, k, lang
                )
            else:
                query = self._query(terms, rest, morphs)
                answer = self._answer_in_window(question, query, window, now, k, lang)
        if answer.status == "not_found" and not has_japanese(cleaned):
            hint = t(lang, "answer_not_japanese")
            answer = replace(answer, message=f"{answer.message}\n{hint}")
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
        self,
        question: str,
        query: Query,
        window: DateWindow | None,
        now: datetime,
        k: int,
        lang: Lang,
    ) -> Answer:
        if window is None:
            return self._compose(question, query, k, lang)
        if window.mode == "boost":
            answer = self._compose(question, query, k, lang, boost=(window, now))
            return replace(answer, window=window)
        answer = self._compose(question, query, k, lang, since=window.since, until=window.until)
        desc = describe_window(window)
        if answer.status == "answered":
            return replace(answer, window=window, note=t(lang, "answer_window_answered", desc=desc))
        wide = self._compose(question, query, k, lang)
        key = "answer_window_widened" if wide.status == "answered" else "answer_window_none"
        return replace(wide, window=window, note=t(lang, key, desc=desc))

    # ------------------------------------------------------------------ composition
    def _compose(
        self,
        question: str,
        query: Query,
        k: int,
        lang: Lang,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        boost: tuple[DateWindow, datetime] | None = None,
    ) -> Answer:
        terms = query.terms
        base = Answer(question=question, status="not_found", terms=terms)
        if self.searcher.n_docs == 0:
            return replace(base, message=t(lang, "answer_empty_index"))
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
            hits = boost_recent(hits, *boost)
        hits = self._writing_quoted_names(hits, query)[:n_cand]
        if not hits:
            return replace(base, message=t(lang, "answer_no_answer"))
        siblings = self._siblings(hits)
        ev = self._evidence(query, hits[0], [*hits[1:], *siblings])
        if ev.missing_name is not None and (
            named := self._writing(hits, query.names, query.name_forms)
        ):
            # The best article never names what the question is about (浅田真央): the answer
            # can only be in one that does, judged on the same evidence.
            hits = named
            siblings = self._siblings(hits)
            ev = self._evidence(query, hits[0], [*hits[1:], *siblings])
        log.debug("evidence %r: coverage %.3f relative %.3f", question, ev.coverage, ev.relative)
        if ev.weak:
            return replace(
                base,
                message=t(lang, "answer_no_answer") + (t(lang, "answer_closest") if hits else ""),
                closest=_closest(hits),
            )
        # The hits in ranked order (fused ranking need not follow the word BM25 score), then
        # the sibling passages, best article first.
        pool = hits + sorted(siblings, key=lambda h: -h.relevance)
        top_sents = self.excerpts.sentences(hits[0], query)  # only once there is an answer
        excerpts = self.excerpts.pick(pool, top_sents, query, k)
        if not excerpts:  # only link-less stubs held the words: offer them, cite nothing
            return replace(
                base,
                message=t(lang, "answer_no_answer") + t(lang, "answer_closest"),
                closest=_closest(hits),
            )
        related = self.related.related_to(
            [e.article_id for e in excerpts], terms_of=self.excerpts.terms_of
        )
        return replace(base, status="answered", excerpts=excerpts, related=related)

    def _writing_quoted_names(self, hits: list[Hit], query: Query) -> list[Hit]:
        """The hits whose article writes every title the question quotes (『風立ちぬ』), when any
        does: an article that never names the work the question is about cannot answer it."""
        quoted = [(name, kind) for name, kind in query.names if kind == "quoted"]
        return (self._writing(hits, quoted) or hits) if quoted else hits

    def _writing(
        self,
        hits: list[Hit],
        names: Sequence[tuple[str, str]],
        forms: Mapping[str, Sequence[str]] | None = None,
    ) -> list[Hit]:
        """The hits whose article (title and text) writes every one of ``names``, in their order:
        a quoted title as :func:`name_key` reads it (however the article punctuates it), a run of
        proper nouns in one piece (浅田真央; 「イギリス、フランス」 is not イギリスフランス) or
        one of its other ``forms`` (a person's: 李大統領 for 李明博)."""
        forms = forms or {}
        quoted = [name_key(name) for name, kind in names if kind == "quoted"]
        proper = [
            (name.lower(), tuple(f.lower() for f in forms.get(name, ())))
            for name, kind in names
            if kind != "quoted"
        ]
        writes: dict[str, bool] = {}
        for h in hits:
            if h.article_id not in writes:
                text = "".join([h.title, *(row[4] for row in self.store.passages_of(h.article_id))])
                keyed = name_key(text) if quoted else ""
                plain = unicodedata.normalize("NFKC", text).lower() if proper else ""
                writes[h.article_id] = all(q in keyed for q in quoted) and all(
                    p in plain or any(f in plain for f in forms) for p, forms in proper
                )
        return [h for h in hits if writes[h.article_id]]

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
                        fused=None if top.fused is None else top.fused * ARTICLE_CARRY,
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
        predicates = self._non_content_terms(morphs)
        slot = {t for w in intent.slot_words for t in self.tokenizer.terms(w)} | intent.focus
        dfs = {t: df for _tid, t, df in self.searcher.store.lookup_terms(list(set(terms)))}
        # A proper noun no passage holds (北陸新幹線 in a corpus of 2012): nothing is about it.
        # Not a person's name (articles write 李大統領 for 李明博: names.person_short_forms)
        # nor part of a longer name the question writes (required_names weighs those).
        names = required_names(text, morphs)
        unknown = [(m.norm, "proper") for m in morphs if m.pos[1] == "固有名詞"
                   and m.pos[2] != "人名" and dfs.get(m.norm, 0) == 0 and m.norm in terms
                   and not any(m.norm in name for name, _kind in names)]  # fmt: skip
        return replace(
            build_query(terms, self.searcher.n_docs, dfs, self.searcher.params.k1, predicates),
            intent=intent,
            text=text,
            phrases=question_phrases(morphs),
            names=(*names, *unknown),
            name_forms=person_short_forms(morphs),
            predicates=predicates,
            slot_terms=frozenset(t for t in slot if t in terms),
            clause_terms=frozenset(self.tokenizer.terms(text[clause[0] : clause[1]])) & set(terms)
            if (clause := asked_clause(text, intent.asked))
            else frozenset(),
            head_terms=frozenset(self.tokenizer.terms(intent.head)) if intent.head else frozenset(),
        )

    @staticmethod
    def _non_content_terms(morphs: Sequence[Morph]) -> frozenset[str]:
        """Terms of the question whose part of speech is not a noun: its predicates (from the
        morphemes already read for the intent; no second Sudachi pass)."""
        content = {m.norm for m in morphs if m.pos[0] in CONTENT_POS} - FORMAL_NOUNS
        return frozenset(m.norm for m in morphs if m.norm not in content) - content

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
            got = self.excerpts.analysis(h)
            present.update(t.term for t in got.tokens)
            joined.append(got.normalised)
        for extra in (top.title, top.heading or ""):
            tokens, morphs = self.tokenizer.analyse(extra)
            present.update(t.term for t in tokens)
            joined.append(normalised(morphs))
        article = "\n".join(joined)
        apart: set[str] = set()  # words of a phrase the article never writes in one piece
        for phrase, terms in query.phrases:
            if phrase not in article:
                apart |= terms
        present -= apart
        present |= katakana_written(set(query.counts) - present - apart, article)
        found = evidence(query, top, present)
        if query.names:
            written = name_key("".join([top.title, *(h.text for h in passages)]))
            for name, kind in query.names:
                if kind == "quoted":
                    if name not in written:
                        return replace(found, missing_name=name)
                elif name not in article and not any(
                    f in article for f in query.name_forms.get(name, ())
                ):
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


def _expand(query: Query):
    for term, c in query.counts.items():
        for _ in range(c):
            yield term


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
