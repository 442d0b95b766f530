"""The feed subscriptions and the entries seen in each (tables ``feeds`` and ``feed_items``).

All of their SQL; the polling rules are :class:`index.ingest.feeds.FeedManager`'s. Times are
stored as ISO 8601 strings with their offset, as the caller's clock gives them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from index.messages import Lang, Msg, stored_text
from index.store.store import IndexStore, parse_dt


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

    def error_text(self, lang: Lang) -> str | None:
        """The last error in ``lang`` (stored as a message key, or as text by older kiji)."""
        return None if self.last_error is None else stored_text(self.last_error, lang)

    @property
    def error_code(self) -> str | None:
        """The catalogue key of the last error (None for none, or one stored as text)."""
        msg = Msg.loads(self.last_error) if self.last_error else None
        return msg.key if msg is not None else None


@dataclass(frozen=True)
class PollState:
    """What a poll needs to know about a subscription before fetching it."""

    etag: str | None
    last_modified: str | None
    next_poll_at: datetime | None
    error_count: int


@dataclass(frozen=True)
class SeenItem:
    """An entry of a feed as recorded after a poll (ingested, or the same as a known article)."""

    guid: str
    url_norm: str | None
    content_hash: str
    article_id: str


_STATUS_SELECT = (
    "SELECT f.url, f.title, f.added_at, f.last_polled_at, f.last_success_at, f.last_error, "
    "f.error_count, f.next_poll_at, f.items_ingested, "
    "(SELECT count(*) FROM feed_items i WHERE i.feed_url = f.url), f.guild_id FROM feeds f"
)


def _feed_status(row: tuple) -> FeedStatus:
    return FeedStatus(
        url=row[0],
        title=row[1],
        added_at=datetime.fromisoformat(row[2]),
        last_polled_at=parse_dt(row[3]),
        last_success_at=parse_dt(row[4]),
        last_error=row[5],
        error_count=row[6],
        next_poll_at=parse_dt(row[7]),
        items_ingested=row[8],
        items_seen=row[9],
        guild_id=row[10],
    )


class FeedsTable:
    """The feed tables of one :class:`IndexStore`; every write is one transaction."""

    def __init__(self, store: IndexStore) -> None:
        self.store = store

    # -- subscriptions -------------------------------------------------------------------
    def add(self, url: str, now: datetime, guild_id: int | None) -> None:
        """Subscribe to ``url``, due for polling at ``now``."""
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO feeds (url, added_at, next_poll_at, guild_id) VALUES (?, ?, ?, ?)",
                (url, now.isoformat(), now.isoformat(), guild_id),
            )

    def remove(self, url: str) -> None:
        """Delete a subscription and the entries seen in it (never the articles)."""
        with self.store.transaction() as conn:
            conn.execute("DELETE FROM feed_items WHERE feed_url = ?", (url,))
            conn.execute("DELETE FROM feeds WHERE url = ?", (url,))

    def urls(self) -> list[str]:
        """Every subscribed URL, oldest subscription first."""
        rows = self.store.conn.execute("SELECT url FROM feeds ORDER BY added_at, url")
        return [r[0] for r in rows]

    def statuses(self) -> list[FeedStatus]:
        """Every subscription with its polling state, oldest first."""
        rows = self.store.conn.execute(f"{_STATUS_SELECT} ORDER BY f.added_at, f.url").fetchall()
        return [_feed_status(r) for r in rows]

    def status(self, url: str) -> FeedStatus:
        row = self.store.conn.execute(f"{_STATUS_SELECT} WHERE f.url = ?", (url,)).fetchone()
        return _feed_status(row)

    # -- polling -------------------------------------------------------------------------
    def poll_state(self, url: str) -> PollState:
        etag, last_modified, next_poll_at, error_count = self.store.conn.execute(
            "SELECT etag, last_modified, next_poll_at, error_count FROM feeds WHERE url = ?", (url,)
        ).fetchone()
        return PollState(etag, last_modified, parse_dt(next_poll_at), error_count)

    def seen_hash(self, feed_url: str, guid: str) -> str | None:
        """The content hash recorded for an entry of ``feed_url``, None if it was never seen."""
        row = self.store.conn.execute(
            "SELECT content_hash FROM feed_items WHERE feed_url = ? AND guid = ?",
            (feed_url, guid),
        ).fetchone()
        return row[0] if row is not None else None

    def article_with_url(self, url_norm: str) -> str | None:
        """The id of the article an entry of any feed with this normalised URL became."""
        row = self.store.conn.execute(
            "SELECT article_id FROM feed_items WHERE url_norm = ? AND article_id IS NOT NULL LIMIT 1",
            (url_norm,),
        ).fetchone()
        return row[0] if row is not None else None

    def record_poll(
        self,
        url: str,
        items: Sequence[SeenItem],
        *,
        title: str | None,
        etag: str | None,
        last_modified: str | None,
        polled_at: datetime,
        seen_at: datetime,
        next_at: datetime,
        ingested: int,
    ) -> None:
        """A successful poll that fetched the feed: its entries and its new state, in one
        transaction."""
        with self.store.transaction() as conn:
            conn.executemany(
                "INSERT INTO feed_items (feed_url, guid, url_norm, content_hash, article_id, seen_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (feed_url, guid) DO UPDATE SET "
                "url_norm = excluded.url_norm, content_hash = excluded.content_hash, "
                "article_id = excluded.article_id, seen_at = excluded.seen_at",
                [
                    (url, i.guid, i.url_norm, i.content_hash, i.article_id, seen_at.isoformat())
                    for i in items
                ],
            )
            conn.execute(
                "UPDATE feeds SET title = ?, etag = ?, last_modified = ?, last_polled_at = ?, "
                "last_success_at = ?, last_error = NULL, error_count = 0, next_poll_at = ?, "
                "items_ingested = items_ingested + ? WHERE url = ?",
                (
                    title,
                    etag,
                    last_modified,
                    polled_at.isoformat(),
                    polled_at.isoformat(),
                    next_at.isoformat(),
                    ingested,
                    url,
                ),
            )

    def record_not_modified(
        self,
        url: str,
        now: datetime,
        next_at: datetime,
        *,
        etag: str | None,
        last_modified: str | None,
    ) -> None:
        """A successful poll answered 304 Not Modified."""
        with self.store.transaction() as conn:
            conn.execute(
                "UPDATE feeds SET etag = ?, last_modified = ?, last_polled_at = ?, last_success_at = ?, "
                "last_error = NULL, error_count = 0, next_poll_at = ? WHERE url = ?",
                (etag, last_modified, now.isoformat(), now.isoformat(), next_at.isoformat(), url),
            )

    def record_failure(
        self, url: str, now: datetime, error: str, errors: int, next_at: datetime
    ) -> None:
        """A failed poll: ``errors`` failures in a row, the next attempt at ``next_at``;
        ``error`` is :meth:`Msg.dumps() <index.messages.Msg.dumps>` text or plain text."""
        with self.store.transaction() as conn:
            conn.execute(
                "UPDATE feeds SET last_polled_at = ?, last_error = ?, error_count = ?, "
                "next_poll_at = ? WHERE url = ?",
                (now.isoformat(), error, errors, next_at.isoformat(), url),
            )
