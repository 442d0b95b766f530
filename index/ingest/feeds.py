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
from index.models import Article, IngestReport, Rejection
from index.store.store import IndexStore
from index.urls import normalize_url

log = logging.getLogger(__name__)

POLL_INTERVAL = timedelta(minutes=30)
# Back-off after consecutive errors: RETRY_BASE * 2**(errors - 1), at most MAX_BACKOFF.
RETRY_BASE = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=12)
MAX_PAGE_FETCHES = 20  # article pages fetched per feed per poll; the rest wait for the next poll


# ------------------------------------------------------------------------------------ results
@dataclass(frozen=True)
class FeedStatus:
    """One subscription as ``feeds list`` shows it."""

    url: str
    title: str | None
    added_at: datetime
    last_polled_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    error_count: int
    next_poll_at: datetime | None
    items_ingested: int
    items_seen: int
    guild_id: int | None = None


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
    error: str | None = None
    next_poll_at: datetime | None = None
    pages_fetched: int = 0
    deferred: int = 0  # entries left for the next poll (page-fetch limit)


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
            raise FeedError(f"already subscribed: {existing}")
        now = self._now()
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO feeds (url, added_at, next_poll_at, guild_id) VALUES (?, ?, ?, ?)",
                (url, now, now, guild_id),
            )
        log.info("subscribed to %s", url)
        return self._status(url)

    def remove(self, url: str) -> None:
        """Unsubscribe; articles already ingested stay in the index.

        :raises FeedError: when there is no such subscription.
        """
        found = self._find(url.strip())
        if found is None:
            raise FeedError(f"not subscribed: {url.strip()} (see `kiji feeds list`)")
        with self.store.transaction() as conn:
            conn.execute("DELETE FROM feed_items WHERE feed_url = ?", (found,))
            conn.execute("DELETE FROM feeds WHERE url = ?", (found,))
        log.info("unsubscribed from %s", found)

    def list(self) -> list[FeedStatus]:
        """Every subscription with its polling state, oldest first. Read-only."""
        rows = self.store.conn.execute(f"{_STATUS_SELECT} ORDER BY f.added_at, f.url").fetchall()
        return [_feed_status(r) for r in rows]

    def _find(self, url: str) -> str | None:
        """The stored URL of the subscription matching ``url`` (exactly or once normalised)."""
        rows = self.store.conn.execute("SELECT url FROM feeds").fetchall()
        norm = normalize_url(url)
        for (stored,) in rows:
            if stored == url or normalize_url(stored) == norm:
                return stored
        return None

    def _status(self, url: str) -> FeedStatus:
        row = self.store.conn.execute(f"{_STATUS_SELECT} WHERE f.url = ?", (url,)).fetchone()
        return _feed_status(row)

    # -- polling -------------------------------------------------------------------------
    def poll(self, url: str | None = None, *, force: bool = False) -> list[PollResult]:
        """Poll one feed or every feed that is due; ``force`` ignores the schedule and the
        conditional-GET validators (a full re-fetch; already-seen entries are still skipped).

        :raises FeedError: when ``url`` is given and not subscribed.
        """
        if url is not None:
            found = self._find(url.strip())
            if found is None:
                raise FeedError(f"not subscribed: {url.strip()} (add it with `kiji feeds add`)")
            urls: Sequence[str] = [found]
        else:
            urls = [
                r[0]
                for r in self.store.conn.execute("SELECT url FROM feeds ORDER BY added_at, url")
            ]
        return [self._poll_one(u, force=force) for u in urls]

    def _poll_one(self, url: str, *, force: bool) -> PollResult:
        row = self.store.conn.execute(
            "SELECT etag, last_modified, next_poll_at, error_count FROM feeds WHERE url = ?", (url,)
        ).fetchone()
        etag, last_modified, next_poll_at, error_count = row
        now = self.clock()
        if not force and next_poll_at and datetime.fromisoformat(next_poll_at) > now:
            return PollResult(url, "not_due", next_poll_at=datetime.fromisoformat(next_poll_at))
        try:
            fetched = self.fetcher.fetch(
                url, etag=None if force else etag, last_modified=None if force else last_modified
            )
        except FeedError as e:
            return self._failed(url, str(e), error_count)
        if fetched.status == 304:
            next_at = now + self.poll_interval
            self._record_success(
                url, now, next_at, etag=fetched.etag, last_modified=fetched.last_modified
            )
            log.info("%s: not modified", url)
            return PollResult(url, "not_modified", next_poll_at=next_at)
        info, items = parse_feed(fetched.body, url, now=now)
        if not info.title and not info.link and len(items) == 1 and isinstance(items[0], Rejection):
            return self._failed(url, items[0].reason, error_count)
        plan = self._plan(url, items)
        articles = [article for _, article in plan.ingest]
        report = self._ingest(articles)
        seen_at = self._now()
        next_at = now + self.poll_interval
        with self.store.transaction() as conn:
            for entry, article_id in [(e, a.id) for e, a in plan.ingest] + plan.seen_only:
                conn.execute(
                    "INSERT INTO feed_items (feed_url, guid, url_norm, content_hash, article_id, seen_at) "
                    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (feed_url, guid) DO UPDATE SET "
                    "url_norm = excluded.url_norm, content_hash = excluded.content_hash, "
                    "article_id = excluded.article_id, seen_at = excluded.seen_at",
                    (
                        url,
                        entry.guid,
                        normalize_url(entry.article.url) if entry.article.url else None,
                        entry.article.content_hash(),
                        article_id,
                        seen_at,
                    ),
                )
            conn.execute(
                "UPDATE feeds SET title = ?, etag = ?, last_modified = ?, last_polled_at = ?, "
                "last_success_at = ?, last_error = NULL, error_count = 0, next_poll_at = ?, "
                "items_ingested = items_ingested + ? WHERE url = ?",
                (
                    info.title or None,
                    fetched.etag,
                    fetched.last_modified,
                    now.isoformat(),
                    now.isoformat(),
                    next_at.isoformat(),
                    report.added + report.updated,
                    url,
                ),
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
        conn = self.store.conn
        planned: dict[str, str] = {}  # url_norm -> article id of entries ingested in this poll
        for item in items:
            if isinstance(item, Rejection):
                plan.rejections.append(item)
                continue
            content_hash = item.article.content_hash()
            seen = conn.execute(
                "SELECT content_hash FROM feed_items WHERE feed_url = ? AND guid = ?",
                (feed_url, item.guid),
            ).fetchone()
            if seen is not None and seen[0] == content_hash:
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
        row = self.store.conn.execute(
            "SELECT article_id FROM feed_items WHERE url_norm = ? AND article_id IS NOT NULL LIMIT 1",
            (url_norm,),
        ).fetchone()
        if row is not None:
            return row[0]
        return self.store.find_article_id_by_url(url_norm)

    def _with_page_text(self, item: FeedEntry) -> Article | Rejection:
        """The entry with the text of its article page, or its summary if the page fails."""
        entry = item.article
        reason: str
        try:
            fetched = self.fetcher.fetch(entry.url)
        except FeedError as e:
            reason = str(e)
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
            reason = parsed.reason
        if entry.body:
            log.info("%s: page not used (%s); keeping the feed summary", entry.url, reason)
            return entry
        return Rejection(entry.url, f"entry has no text and its page failed: {reason}")

    def _ingest(self, articles: list[Article]) -> IngestReport:
        if not articles:
            return IngestReport()
        if self.tokenizer is None:
            raise FeedError("polling needs a tokenizer (FeedManager was built without one)")
        return self.store.add_articles(articles, self.tokenizer)

    def _failed(self, url: str, error: str, error_count: int) -> PollResult:
        now = self.clock()
        errors = error_count + 1
        next_at = now + backoff(errors)
        with self.store.transaction() as conn:
            conn.execute(
                "UPDATE feeds SET last_polled_at = ?, last_error = ?, error_count = ?, "
                "next_poll_at = ? WHERE url = ?",
                (now.isoformat(), error, errors, next_at.isoformat(), url),
            )
        log.warning("%s: poll failed (%d in a row): %s", url, errors, error)
        return PollResult(url, "error", error=error, next_poll_at=next_at)

    def _record_success(
        self,
        url: str,
        now: datetime,
        next_at: datetime,
        *,
        etag: str | None,
        last_modified: str | None,
    ) -> None:
        with self.store.transaction() as conn:
            conn.execute(
                "UPDATE feeds SET etag = ?, last_modified = ?, last_polled_at = ?, last_success_at = ?, "
                "last_error = NULL, error_count = 0, next_poll_at = ? WHERE url = ?",
                (etag, last_modified, now.isoformat(), now.isoformat(), next_at.isoformat(), url),
            )

    def _now(self) -> str:
        return self.clock().isoformat()


def backoff(errors: int) -> timedelta:
    """Delay before the next attempt after ``errors`` consecutive failures (5 min, 10, 20 … 12 h)."""
    if errors <= 0:
        return RETRY_BASE
    return min(RETRY_BASE * 2 ** min(errors - 1, 20), MAX_BACKOFF)


_STATUS_SELECT = (
    "SELECT f.url, f.title, f.added_at, f.last_polled_at, f.last_success_at, f.last_error, "
    "f.error_count, f.next_poll_at, f.items_ingested, "
    "(SELECT count(*) FROM feed_items i WHERE i.feed_url = f.url), f.guild_id FROM feeds f"
)


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _feed_status(row: tuple) -> FeedStatus:
    return FeedStatus(
        url=row[0],
        title=row[1],
        added_at=datetime.fromisoformat(row[2]),
        last_polled_at=_dt(row[3]),
        last_success_at=_dt(row[4]),
        last_error=row[5],
        error_count=row[6],
        next_poll_at=_dt(row[7]),
        items_ingested=row[8],
        items_seen=row[9],
        guild_id=row[10],
    )
