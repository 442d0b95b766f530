"""Daily digests: the articles of one calendar day, grouped by category, ranked, with lead summaries.

Nothing here reads the clock, writes to the store or knows about Discord: the day and its time zone
are passed in, and the result is a frozen :class:`~index.models.Digest`.
"""

from __future__ import annotations

import logging
import math
import threading
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from index.analysis.sentences import sentence_spans
from index.config import is_postgres_url
from index.messages import Lang, t
from index.models import Digest, DigestItem, DigestSection, StoredArticle, normalize_title
from index.store.store import IndexStore
from index.urls import normalize_url

if TYPE_CHECKING:
    from index.analysis.tokenizer import JapaneseTokenizer

log = logging.getLogger(__name__)

DEFAULT_TZ = "Asia/Tokyo"
DATE_ONLY_TZ = ZoneInfo("Asia/Tokyo")  # where a date without a time is put at midnight
OTHER_CATEGORY = "その他"  # section of articles without a category
SUMMARY_MAX_CHARS = 120
MAX_SUMMARY_SENTENCES = 2
# Body length tiers (characters): < 600 short, < 2000 medium, longer is a full feature article.
LENGTH_TIERS = (600, 2000)
# Inbound links are counted among articles published from one day before the digest day to two
# days after it: 関連記事/最新ニュース point to recent articles, and the window bounds the cost.
LINK_WINDOW_BEFORE = timedelta(days=1)
LINK_WINDOW_AFTER = timedelta(days=2)
# The centrality fallback looks at the opening of the article only (tokenising is the costly part).
CENTRALITY_MAX_SENTENCES = 12
ELLIPSIS = "…"


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The aware instants [00:00, next day 00:00) of ``day`` in ``tz`` (23 or 25 hours across DST)."""
    start = datetime.combine(day, time(0, 0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=tz)
    return start, end


def build_digest(
    store: IndexStore,
    day: date,
    tz: ZoneInfo | None = None,
    *,
    categories: Sequence[str] | None = None,
    max_items: int = 30,
    tokenizer: JapaneseTokenizer | None = None,
) -> Digest:
    """The digest of the articles published on ``day`` in ``tz`` (default Asia/Tokyo); read-only.

    Selection: real articles with ``day 00:00 <= published_at < next day 00:00`` in ``tz``; stubs
    (titles known only from 関連記事/最新ニュース) are left out, and so are duplicates (same
    normalised title or same normalised URL: the better-ranked one is kept). ``categories`` keeps
    only those sections (compared after NFKC and case folding; 「その他」 selects articles without a
    category).

    Importance, highest first (the order of items in a section, and which ``max_items`` are kept
    over the whole digest):

    1. inbound links: how many *other* articles, published from one day before to two days after
       ``day``, list this one's title (normalised) in their 関連記事 or 最新ニュース;
    2. body length tier: < 600 characters, < 2000, longer;
    3. recency: later ``published_at`` first;
    4. article id, ascending (deterministic).

    Sections are ordered by number of items (descending), then name. Each item's summary is the
    article's lead (see :func:`lead_summary`). An empty day gives a Digest with no sections
    (``Digest.is_empty``), never an error.

    :param tokenizer: used only when a lead sentence is too long for a summary (the centrality
        fallback); created on first need when None.
    """
    if max_items < 1:
        raise ValueError(f"max_items must be at least 1 (got {max_items})")
    tz = tz or ZoneInfo(DEFAULT_TZ)
    start, end = day_bounds(day, tz)
    window = store.articles_published_between(start - LINK_WINDOW_BEFORE, end + LINK_WINDOW_AFTER)
    lo, hi = start.timestamp(), end.timestamp()
    todays = [
        a
        for a in window
        if not a.is_stub and a.published_at is not None and lo <= a.published_at.timestamp() < hi
    ]
    day_count = len(todays)
    day_categories = tuple(sorted({_category(a) for a in todays}))
    wanted = {_category_key(c) for c in categories} if categories is not None else None
    if wanted is not None:
        todays = [a for a in todays if _category_key(_category(a)) in wanted]

    inbound = inbound_links(window)
    ranked = sorted(todays, key=lambda a: _importance_key(a, inbound))
    kept: list[StoredArticle] = []
    seen_titles: set[str] = set()
    seen_urls: set[str] = set()
    for article in ranked:
        title_key = normalize_title(article.title)
        url_key = normalize_url(article.url) if article.url else ""
        if title_key in seen_titles or (url_key and url_key in seen_urls):
            log.debug("digest %s: %s left out as a duplicate", day, article.id)
            continue
        seen_titles.add(title_key)
        if url_key:
            seen_urls.add(url_key)
        kept.append(article)
        if len(kept) >= max_items:
            break

    by_section: dict[str, list[DigestItem]] = {}
    for rank, article in enumerate(kept):  # already in importance order
        by_section.setdefault(_category(article), []).append(
            DigestItem(
                article_id=article.id,
                title=article.title,
                url=article.url,
                published_at=article.published_at,
                summary=lead_summary(article.body, tokenizer=tokenizer),
                category=article.category,
                rank=rank,
            )
        )
    sections = tuple(
        DigestSection(name, tuple(items))
        for name, items in sorted(by_section.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    )
    return Digest(
        date=day.isoformat(),
        tz=tz.key,
        sections=sections,
        day_count=day_count,
        day_categories=day_categories,
        categories=tuple(categories or ()),
    )


def empty_digest_message(
    digest: Digest,
    lang: Lang = "ja",
    *,
    day_name: str | None = None,
    escape: Callable[[str], str] = str,
) -> str:
    """What to say for an empty digest: no articles that day, or none in the chosen categories.

    :param day_name: how to name the day (default: the date and its zone, 2026-11-21（Asia/Tokyo）).
    :param escape: applied to category names (the bot escapes markdown).
    """
    day = (
        day_name if day_name is not None else t(lang, "digest_day", date=digest.date, tz=digest.tz)
    )
    if digest.day_count and digest.categories:
        sep = t(lang, "list_separator")
        return t(
            lang,
            "digest_empty_category",
            date=day,
            n=digest.day_count,
            categories=escape(sep.join(digest.categories)),
            there=escape(sep.join(digest.day_categories)),
        )
    return t(lang, "digest_empty", date=day)


def display_time(published_at: datetime | None, tz: ZoneInfo) -> str:
    """``HH:MM`` of ``published_at`` in ``tz``, or "" when the time is not known.

    A source that gives a date alone (JSONL ``"published_at": "2026-11-20"``) is stored as
    midnight in Tokyo (see :func:`index.ingest.parsers.text.parse_datetime`); that instant is shown
    without a time rather than as a made-up 00:00.
    """
    if published_at is None:
        return ""
    local = published_at.astimezone(DATE_ONLY_TZ)
    if (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0):
        return ""
    return published_at.astimezone(tz).strftime("%H:%M")


class DigestBuilder:
    """``build(day, tz, categories) -> Digest`` over a database file, callable from any thread.

    For the bot's scheduler, which calls it through ``asyncio.to_thread``: an
    :class:`IndexStore` connection cannot be shared between threads, so each worker thread
    opens its own (read-only) on first use. :meth:`close` closes them all.
    """

    def __init__(
        self,
        db_path: str | Path,
        *,
        max_items: int = 30,
        tokenizer: JapaneseTokenizer | None = None,
    ) -> None:
        self.db_path = db_path if is_postgres_url(db_path) else Path(db_path)
        self.max_items = max_items
        self.tokenizer = tokenizer
        self._local = threading.local()
        self._stores: list[IndexStore] = []
        self._lock = threading.Lock()
        self._generation = 0  # bumped by close(): threads then open fresh connections

    def _store(self) -> IndexStore:
        cached = getattr(self._local, "store", None)
        if cached is not None and cached[0] == self._generation:
            return cached[1]
        store = IndexStore.open(self.db_path, readonly=True)
        with self._lock:
            self._stores.append(store)
            self._local.store = (self._generation, store)
        return store

    def __call__(self, day: date, tz: ZoneInfo, categories: Sequence[str] | None) -> Digest:
        return build_digest(
            self._store(),
            day,
            tz,
            categories=categories,
            max_items=self.max_items,
            tokenizer=self.tokenizer,
        )

    def close(self) -> None:
        """Close every thread's connection (call once the threads are done); safe twice."""
        with self._lock:
            stores, self._stores = self._stores, []
            self._generation += 1
        for store in stores:
            store.close()


def inbound_links(articles: Sequence[StoredArticle]) -> Counter[str]:
    """Normalised title → number of distinct other articles among ``articles`` that link to it."""
    counts: Counter[str] = Counter()
    for article in articles:
        own = normalize_title(article.title)
        targets = {normalize_title(link.title) for link in (*article.related, *article.latest)}
        targets.discard(own)
        targets.discard("")
        counts.update(targets)
    return counts


def length_tier(body: str) -> int:
    """0, 1 or 2 for a short, medium or long body (see :data:`LENGTH_TIERS`)."""
    return sum(len(body) >= limit for limit in LENGTH_TIERS)


def _importance_key(article: StoredArticle, inbound: Counter[str]) -> tuple:
    ts = article.published_at.timestamp() if article.published_at else -math.inf
    return (-inbound[normalize_title(article.title)], -length_tier(article.body), -ts, article.id)


def _category(article: StoredArticle) -> str:
    name = (article.category or "").strip()
    return name or OTHER_CATEGORY


def _category_key(name: str) -> str:
    return unicodedata.normalize("NFKC", name).strip().casefold()


# ---------------------------------------------------------------------------------- summaries
def lead_summary(
    body: str,
    max_chars: int = SUMMARY_MAX_CHARS,
    *,
    tokenizer: JapaneseTokenizer | None = None,
) -> str:
    """A one- or two-sentence extractive summary of at most ``max_chars`` characters.

    1. The lead: the first paragraph's first sentence, plus its second if both fit.
    2. If the first sentence alone is too long: the most central sentence that fits, among the
       article's first :data:`CENTRALITY_MAX_SENTENCES` (centrality = summed cosine overlap of its
       Sudachi terms with every other sentence's; ties go to the earlier sentence).
    3. If no sentence fits: the first sentence cut at its last 「、」 that fits, ending in 「…」
       (the only case where a summary does not end at a sentence boundary).
    """
    paragraphs = [p for p in body.split("\n") if p.strip()]
    if not paragraphs:
        return ""
    first = [paragraphs[0][s:e] for s, e in sentence_spans(paragraphs[0])]
    if not first:
        return ""
    if len(first[0]) <= max_chars:
        summary = first[0]
        for sentence in first[1:MAX_SUMMARY_SENTENCES]:
            if len(summary) + len(sentence) > max_chars:
                break
            summary += sentence
        return summary

    candidates: list[str] = []
    for paragraph in paragraphs:
        candidates.extend(paragraph[s:e] for s, e in sentence_spans(paragraph))
        if len(candidates) >= CENTRALITY_MAX_SENTENCES:
            break
    candidates = candidates[:CENTRALITY_MAX_SENTENCES]
    if any(len(s) <= max_chars for s in candidates):
        if tokenizer is None:
            from index.analysis.tokenizer import JapaneseTokenizer  # loads the Sudachi dictionary

            tokenizer = JapaneseTokenizer()
        scores = sentence_centrality(candidates, tokenizer)
        best = max(
            (i for i, s in enumerate(candidates) if len(s) <= max_chars),
            key=lambda i: (scores[i], -i),
        )
        return candidates[best]
    return _cut_at_comma(first[0], max_chars)


def sentence_centrality(sentences: Sequence[str], tokenizer: JapaneseTokenizer) -> list[float]:
    """For each sentence: Σ over the other sentences of |A ∩ B| / √(|A|·|B|) over distinct terms."""
    term_sets = [set(tokenizer.terms(s)) for s in sentences]
    scores = [0.0] * len(sentences)
    for i, a in enumerate(term_sets):
        for j in range(i + 1, len(term_sets)):
            b = term_sets[j]
            if not a or not b:
                continue
            overlap = len(a & b) / math.sqrt(len(a) * len(b))
            scores[i] += overlap
            scores[j] += overlap
    return scores


def _cut_at_comma(sentence: str, max_chars: int) -> str:
    limit = max_chars - len(ELLIPSIS)
    head = sentence[:limit]
    comma = max(head.rfind("、"), head.rfind("，"), head.rfind(","))
    if comma > 0:
        head = head[: comma + 1]
    return head.rstrip("、，, ") + ELLIPSIS
