"""Feed subscriptions: the FeedManager that polls feeds into the index (fetching: index.ingest.fetch)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from index.analysis.tokenizer import JapaneseTokenizer
from index.errors import FeedError
from index.ingest.fetch import Fetcher, check_destination, check_url
from index.ingest.parsers import parse_bytes
from index.ingest.parsers.feed import FeedEntry, parse_feed
from index.messages import Lang, Msg
from index.models import Article, IngestReport, Rejection
from index.store.feeds_table import FeedsTable, FeedStatus, SeenItem
from index.store.store import IndexStore
from index.urls import normalize_url

log = logging.getLogger(__name__)

POLL_INTERVAL = timedelta(minutes=30)
# Back-off after consecutive errors: RETRY_BASE * 2**(errors - 1), at most MAX_BACKOFF.
RETRY_BASE = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=12)
MAX_PAGE_FETCHES = 20  # article pages fetched per feed per poll; the rest wait for the next poll


# ------------------------------------------------------------------------------------ results
PollStatus = Literal["ok", "not_modified", "error", "not_due"]


@dataclass(frozen=True)
class PollResult:
    """What one poll of one feed did."""

    url: str
    status: PollStatus
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    rejections: tuple[Rejection, ...] = ()
    error: str | None = None  # in English (logs); error_text() says it in a reader's language
    next_poll_at: datetime | None = None
    pages_fetched: int = 0
    deferred: int = 0  # entries left for the next poll (page-fetch limit)
    error_msg: Msg | None = None

    def error_text(self, lang: Lang) -> str:
        """Why the poll failed, in ``lang`` ("" when it did not)."""
        if self.error_msg is not None:
            return self.error_msg.text(lang)
        return self.error or ""


@dataclass
class _Plan:
    """Entries of one poll sorted into what to ingest and what to only record."""

    ingest: list[tuple[FeedEntry, Article]] = field(default_factory=list)
    seen_only: list[tuple[FeedEntry, str]] = field(default_factory=list)  # (entry, article id)
    unchanged: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    pages: int = 0
    deferred: int = 0


# ------------------------------------------------------------------------------------ manager
class FeedManager:
    """Subscribes to feeds and polls them into the index; all times come from ``clock``.

    Polling is synchronous (it fetches over the network): call it from a worker thread in
    async code.
    """

    def __init__(
        self,
        store: IndexStore,
        tokenizer: JapaneseTokenizer | None,
        *,
        clock: Callable[[], datetime],
        fetcher: Fetcher,
        poll_interval: timedelta = POLL_INTERVAL,
        max_page_fetches: int = MAX_PAGE_FETCHES,
    ) -> None:
        self.store = store
        self.table = FeedsTable(store)
        self.tokenizer = tokenizer
        self.clock = clock
        self.fetcher = fetcher
        self.poll_interval = poll_interval
        self.max_page_fetches = max_page_fetches

    # -- subscriptions -------------------------------------------------------------------
    def add(self, url: str, *, guild_id: int | None = None) -> FeedStatus:
        """Subscribe to ``url`` (due for polling at once); does not fetch it.

        :raises FeedError: for a URL that is not http(s), is on a private or loopback address
            (unless the fetcher allows them), or is already subscribed.
        """
        url = check_url(url)
        # A loopback or private address is refused now rather than at every poll.
        check_destination(
            url,
            allow_private=getattr(self.fetcher, "allow_private", False),
            allow_addresses=getattr(self.fetcher, "allow_addresses", frozenset()),
        )
        existing = self._find(url)
        if existing is not None:
            raise FeedError.keyed("feed_already_subscribed", url=existing)
        self.table.add(url, self.clock(), guild_id)
        log.info("subscribed to %s", url)
        return self._status(url)

    def remove(self, url: str) -> None:
        """Unsubscribe; articles already ingested stay in the index.

        :raises FeedError: when there is no such subscription.
        """
        found = self._find(url.strip())
        if found is None:
            raise FeedError.keyed("feed_not_subscribed", url=url.strip())
        self.table.remove(found)
        log.info("unsubscribed from %s", found)

    def list(self) -> list[FeedStatus]:
        """Every subscription with its polling state, oldest first. Read-only."""
        return self.table.statuses()

    def _find(self, url: str) -> str | None:
        """The stored URL of the subscription matching ``url`` (exactly or once normalised)."""
        norm = normalize_url(url)
        for stored in self.table.urls():
            if stored == url or normalize_url(stored) == norm:
                return stored
        return None

    def _status(self, url: str) -> FeedStatus:
        return self.table.status(url)

    # -- polling -------------------------------------------------------------------------
    def poll(
        self,
        url: str | None = None,
        *,
        force: bool = False,
        keep_going: Callable[[], bool] | None = None,
    ) -> list[PollResult]:
        """Poll one feed or every feed that is due; ``force`` ignores the schedule and the
        conditional-GET validators (a full re-fetch; already-seen entries are still skipped).
        ``keep_going`` is asked before each feed: False stops the poll there (the bot's poller
        when it has lost its leadership); the feeds left are polled by the next poll.

        :raises FeedError: when ``url`` is given and not subscribed.
        """
        if url is not None:
            found = self._find(url.strip())
            if found is None:
                raise FeedError.keyed("feed_not_subscribed_poll", url=url.strip())
            urls: Sequence[str] = [found]
        else:
            urls = self.table.urls()
        results = []
        for u in urls:
            if keep_going is not None and not keep_going():
                break
            results.append(self._poll_one(u, force=force))
        return results

    def _poll_one(self, url: str, *, force: bool) -> PollResult:
        state = self.table.poll_state(url)
        etag, last_modified, error_count = state.etag, state.last_modified, state.error_count
        now = self.clock()
        if not force and state.next_poll_at and state.next_poll_at > now:
            return PollResult(url, "not_due", next_poll_at=state.next_poll_at)
        try:
            fetched = self.fetcher.fetch(
                url, etag=None if force else etag, last_modified=None if force else last_modified
            )
        except FeedError as e:
            return self._failed(url, Rejection.of(url, e), error_count)
        if fetched.status == 304:
            next_at = now + self.poll_interval
            self.table.record_not_modified(
                url, now, next_at, etag=fetched.etag, last_modified=fetched.last_modified
            )
            log.info("%s: not modified", url)
            return PollResult(url, "not_modified", next_poll_at=next_at)
        info, items = parse_feed(fetched.body, url, now=now)
        if not info.title and not info.link and len(items) == 1 and isinstance(items[0], Rejection):
            return self._failed(url, items[0], error_count)
        plan = self._plan(url, items)
        articles = [article for _, article in plan.ingest]
        report = self._ingest(articles)
        seen_at = self.clock()
        next_at = now + self.poll_interval
        self.table.record_poll(
            url,
            [
                SeenItem(
                    entry.guid,
                    normalize_url(entry.article.url) if entry.article.url else None,
                    entry.article.content_hash(),
                    article_id,
                )
                for entry, article_id in [(e, a.id) for e, a in plan.ingest] + plan.seen_only
            ],
            title=info.title or None,
            etag=fetched.etag,
            last_modified=fetched.last_modified,
            polled_at=now,
            seen_at=seen_at,
            next_at=next_at,
            ingested=report.added + report.updated,
        )
        rejections = tuple(plan.rejections) + tuple(report.rejected)
        result = PollResult(
            url,
            "ok",
            new=report.added,
            updated=report.updated,
            unchanged=plan.unchanged + report.unchanged,
            rejected=len(rejections),
            rejections=rejections,
            next_poll_at=next_at,
            pages_fetched=plan.pages,
            deferred=plan.deferred,
        )
        log.info(
            "%s: %d new, %d updated, %d unchanged, %d rejected",
            url,
            result.new,
            result.updated,
            result.unchanged,
            result.rejected,
        )
        return result

    def _plan(self, feed_url: str, items: list[FeedEntry | Rejection]) -> _Plan:
        plan = _Plan()
        planned: dict[str, str] = {}  # url_norm -> article id of entries ingested in this poll
        for item in items:
            if isinstance(item, Rejection):
                plan.rejections.append(item)
                continue
            content_hash = item.article.content_hash()
            seen = self.table.seen_hash(feed_url, item.guid)
            if seen is not None and seen == content_hash:
                plan.unchanged += 1
                continue
            url_norm = normalize_url(item.article.url) if item.article.url else ""
            if seen is None and url_norm:
                existing = planned.get(url_norm) or self._existing_by_url(url_norm)
                if existing is not None:  # the same article under another guid or feed
                    plan.seen_only.append((item, existing))
                    plan.unchanged += 1
                    continue
            article: Article | Rejection = item.article
            if not item.has_full_text and item.article.url:
                if plan.pages >= self.max_page_fetches:
                    plan.deferred += 1
                    continue
                plan.pages += 1
                article = self._with_page_text(item)
            if isinstance(article, Rejection):
                plan.rejections.append(article)
                continue
            plan.ingest.append((item, article))
            if url_norm:
                planned[url_norm] = article.id
        return plan

    def _existing_by_url(self, url_norm: str) -> str | None:
        found = self.table.article_with_url(url_norm)
        if found is not None:
            return found
        return self.store.find_article_id_by_url(url_norm)

    def _with_page_text(self, item: FeedEntry) -> Article | Rejection:
        """The entry with the text of its article page, or its summary if the page fails."""
        entry = item.article
        reason: Rejection
        try:
            fetched = self.fetcher.fetch(entry.url)
        except FeedError as e:
            reason = Rejection.of(entry.url, e)
        else:
            parsed = next(iter(parse_bytes(fetched.body, "html", fetched.url, url=fetched.url)))
            if isinstance(parsed, Article):
                return Article(
                    id=entry.id,
                    title=entry.title,
                    sections=parsed.sections,
                    url=entry.url,
                    published_at=entry.published_at or parsed.published_at,
                    category=entry.category or parsed.category,
                    source=entry.source or parsed.source,
                )
            reason = parsed
        if entry.body:
            log.info("%s: page not used (%s); keeping the feed summary", entry.url, reason.reason)
            return entry
        why = reason.msg or reason.reason
        return Rejection.keyed(entry.url, "reject_entry_page_failed", reason=why)

    def _ingest(self, articles: list[Article]) -> IngestReport:
        if not articles:
            return IngestReport()
        if self.tokenizer is None:
            raise RuntimeError("polling needs a tokenizer (FeedManager was built without one)")
        return self.store.add_articles(articles, self.tokenizer)

    def _failed(self, url: str, why: Rejection, error_count: int) -> PollResult:
        """Record a failed poll. The feeds table keeps the message as a key and its fields
        (:meth:`~index.messages.Msg.dumps`), so each reader sees it in their own language."""
        now = self.clock()
        errors = error_count + 1
        next_at = now + backoff(errors)
        stored = why.msg.dumps() if why.msg is not None else why.reason
        self.table.record_failure(url, now, stored, errors, next_at)
        log.warning("%s: poll failed (%d in a row): %s", url, errors, why.reason)
        return PollResult(url, "error", error=why.reason, next_poll_at=next_at, error_msg=why.msg)


def backoff(errors: int) -> timedelta:
    """Delay before the next attempt after ``errors`` consecutive failures (5 min, 10, 20 … 12 h)."""
    if errors <= 0:
        return RETRY_BASE
    return min(RETRY_BASE * 2 ** min(errors - 1, 20), MAX_BACKOFF)
