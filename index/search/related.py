"""Related articles of the cited ones: their explicit 関連記事 links first, then "more like this".

"More like this" takes the salient terms of an article (its title and first passages, weighted
tf·idf, title terms counted ``TITLE_WEIGHT`` times) and runs them as a BM25 query excluding the
article itself. Results are cached per article and index generation, so repeated questions about the
same story cost one dictionary lookup.
"""

from __future__ import annotations

import logging
import math
from collections import Counter, OrderedDict
from collections.abc import Callable, Sequence

from index.analysis.tokenizer import JapaneseTokenizer
from index.models import RelatedArticle, StoredArticle, normalize_title
from index.ranking import bm25
from index.search.search import Searcher
from index.store.store import IndexStore, parse_dt

log = logging.getLogger(__name__)

MAX_RELATED = 5
SALIENT_TERMS = 12
TITLE_WEIGHT = 3
LEAD_PASSAGES = 2
MIN_SIMILARITY = 0.12  # an article must reach this share of the query's saturated BM25 score
CACHE_SIZE = 512

# The terms of a passage (passage id, text) → tokenizer.terms(text), or the same terms read
# already by whoever calls (the answer has analysed the cited article's passages).
TermsOf = Callable[[int, str], list[str]]


def _related(a: StoredArticle, *, summary: str = "") -> RelatedArticle:
    return RelatedArticle(
        article_id=a.id,
        title=a.title,
        url=a.url,
        published_at=a.published_at,
        summary=summary,
        is_stub=a.is_stub,
    )


class RelatedFinder:
    """Finds related articles. One per thread, like the :class:`Searcher` it queries."""

    def __init__(self, store: IndexStore, searcher: Searcher, tokenizer: JapaneseTokenizer) -> None:
        self.store = store
        self.searcher = searcher
        self.tokenizer = tokenizer
        self._cache: OrderedDict[tuple[str, int, int], tuple[RelatedArticle, ...]] = OrderedDict()

    def related_to(
        self,
        article_ids: Sequence[str],
        *,
        limit: int = MAX_RELATED,
        terms_of: TermsOf | None = None,
    ) -> tuple[RelatedArticle, ...]:
        """Up to ``limit`` articles related to ``article_ids`` (the cited ones, best first).

        Explicit 関連記事 links of each cited article come first (real articles before stubs),
        then articles similar to the first cited one. A cited article is never listed.
        ``terms_of`` gives a passage's terms where the caller has them (the same as
        ``tokenizer.terms`` of its text).
        """
        ids = list(dict.fromkeys(article_ids))
        cited = [a for a in (self.store.get_article(i) for i in ids) if a is not None]
        if not cited:
            return ()
        exclude = {a.id for a in cited}
        exclude_titles = {normalize_title(a.title) for a in cited}
        out: list[RelatedArticle] = []

        def add(item: RelatedArticle) -> None:
            key = normalize_title(item.title)
            if item.article_id in exclude or key in exclude_titles:
                return
            exclude.add(item.article_id)
            exclude_titles.add(key)
            out.append(item)

        links = [link for a in cited for link in a.related]
        if links:
            found = self.store.find_by_titles(link.title for link in links)
            real, stubs = [], []
            for link in links:
                art = found.get(link.title)
                if art is None:
                    item = RelatedArticle("", link.title, link.url, None, link.summary, True)
                else:
                    item = _related(art, summary=link.summary)
                (stubs if item.is_stub else real).append(item)
            for item in real + stubs:
                add(item)
        if len(out) < limit:
            for item in self.more_like_this(cited[0], terms_of=terms_of):  # add() drops cited
                add(item)
                if len(out) >= limit:
                    break
        return tuple(out[:limit])

    def salient_terms(
        self, article: StoredArticle, n: int = SALIENT_TERMS, terms_of: TermsOf | None = None
    ) -> list[str]:
        """The ``n`` top-weighted terms of the title and first passages, by tf·idf."""
        counts: Counter[str] = Counter()
        for term in self.tokenizer.terms(article.title):
            counts[term] += TITLE_WEIGHT
        for pid, heading, _s, _e, text in self.store.passages_of(article.id)[:LEAD_PASSAGES]:
            if heading:
                counts.update(self.tokenizer.terms(heading))
            counts.update(terms_of(pid, text) if terms_of else self.tokenizer.terms(text))
        if not counts:
            return []
        n_docs = max(self.searcher.n_docs, 1)
        weights = {}
        for _tid, term, df in self.store.lookup_terms(list(counts)):
            # A term only this article has cannot find another one; a term in most passages
            # finds everything.
            if df < 2 or df > n_docs / 2:
                continue
            weights[term] = bm25.salience(counts[term], n_docs, df)
        ranked = sorted(weights, key=lambda t: (-weights[t], t))
        return ranked[:n]

    def more_like_this(
        self, article: StoredArticle, *, k: int = MAX_RELATED * 3, terms_of: TermsOf | None = None
    ) -> tuple[RelatedArticle, ...]:
        """Real articles similar to ``article`` (never itself), best first, newest first on ties."""
        # One read transaction: N and the dfs must come from the same committed state.
        with self.store.snapshot(), self.searcher.store.snapshot():
            self.searcher.refresh()
            key = (article.id, self.store.meta_int("generation"), k)
            cached = self._cache.get(key)
            if cached is None:
                cached = self._more_like_this(article, k, terms_of)
                self._cache[key] = cached
                if len(self._cache) > CACHE_SIZE:
                    self._cache.popitem(last=False)
            else:
                self._cache.move_to_end(key)
            return cached

    def _more_like_this(
        self, article: StoredArticle, k: int, terms_of: TermsOf | None = None
    ) -> tuple[RelatedArticle, ...]:
        terms = self.salient_terms(article, terms_of=terms_of)
        if not terms:
            return ()
        scored = self.searcher.score_terms(
            terms, k * 3, include_stubs=False, exclude_articles=[article.rowid]
        )
        n_docs = max(self.searcher.n_docs, 1)
        dfs = {term: df for _tid, term, df in self.store.lookup_terms(terms)}
        k1 = self.searcher.params.k1
        saturated = sum(max(float(bm25.raw_idf(n_docs, dfs[t])), 0.0) * (k1 + 1) for t in dfs)
        best: dict[str, tuple[float, RelatedArticle]] = {}
        # only the passages' articles, not their text (hits() would cut 45 texts from bodies)
        pids = [int(p) for p in scored.pids]
        rows = self.searcher.store.passage_articles(pids)
        for pid, raw in zip(pids, scored.scores.tolist(), strict=True):
            if (row := rows.get(pid)) is None:  # deleted meanwhile, as hits() skips it
                continue
            aid, title, url, published = row
            score = raw if math.isfinite(raw) else 0.0  # as a Hit's score
            if aid == article.id or aid in best:
                continue
            if saturated > 0 and score < MIN_SIMILARITY * saturated:
                continue
            best[aid] = (score, RelatedArticle(aid, title, url, parse_dt(published)))
        ranked = sorted(
            best.values(),
            key=lambda si: (
                -round(si[0], 6),
                -(si[1].published_at.timestamp() if si[1].published_at else float("-inf")),
                si[1].article_id,
            ),
        )
        return tuple(item for _score, item in ranked[:k])
