"""Parser of RSS 2.0 / Atom feeds (via feedparser): each entry becomes an Article or a Rejection."""

from __future__ import annotations

import calendar
import io
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import feedparser

from index.ingest.parsers.html import html_to_paragraphs
from index.models import Article, Rejection, Section
from index.urls import normalize_url

log = logging.getLogger(__name__)

FUTURE_TOLERANCE = timedelta(days=1)
# A body at least this long is taken as the full article; shorter ones are summaries, and the
# poller fetches the page behind the link.
FULL_TEXT_MIN_CHARS = 400
_TRUNCATION_MARKS = ("…", "...", "[…]", "[...]", "続きを読む", "もっと見る", "Read more")
_GLOBAL_ID_PREFIXES = ("urn:", "tag:")


@dataclass(frozen=True)
class FeedInfo:
    title: str
    link: str
    updated: datetime | None = None


@dataclass(frozen=True)
class FeedEntry:
    """An entry turned into an article; ``has_full_text`` is False when only a summary came with it."""

    article: Article
    has_full_text: bool
    guid: str


def parse_feed(
    data: bytes, where: str, *, now: datetime | None = None
) -> tuple[FeedInfo, list[FeedEntry | Rejection]]:
    """Parse a feed document; never raises for its content.

    A document that is not a feed gives an empty ``FeedInfo`` and a single Rejection. Entries with
    no date take the feed's date; with none either, or more than a day in the future, or a guid
    already seen earlier in the same feed, they are rejected with the reason. An entry with no
    text at all is kept (``has_full_text=False``, no paragraphs) so the caller can fetch its page.

    :param where: the feed's URL or path; it names the rejections and resolves relative links.
    :param now: the current time for the future-date check (default: the system clock).
    """
    now = now or datetime.now(UTC)
    try:
        # A stream, never the bytes themselves: given bytes, feedparser tries them as a file path.
        parsed = feedparser.parse(
            io.BytesIO(data),
            response_headers={"content-location": where} if "://" in where else None,
            sanitize_html=True,
            resolve_relative_uris=True,
        )
    except Exception as e:  # feedparser's XML back-ends on hostile input
        return FeedInfo("", ""), [Rejection.keyed(where, "reject_not_feed_error", error=e)]
    if not parsed.get("version") and not parsed.entries:
        bozo = parsed.get("bozo_exception") if parsed.get("bozo") else None
        if bozo is not None:
            return FeedInfo("", ""), [Rejection.keyed(where, "reject_not_feed_because", error=bozo)]
        return FeedInfo("", ""), [Rejection.keyed(where, "reject_not_feed")]
    feed = parsed.feed
    info = FeedInfo(
        title=" ".join(str(feed.get("title", "")).split()),
        link=str(feed.get("link", "")),
        # dict.get: FeedParserDict.get maps a missing updated_parsed to published_parsed, warning
        updated=_to_datetime(
            dict.get(feed, "updated_parsed") or dict.get(feed, "published_parsed")
        ),
    )
    items: list[FeedEntry | Rejection] = []
    seen: dict[str, int] = {}
    for n, entry in enumerate(parsed.entries, start=1):
        items.append(_entry(entry, n, info, where, now, seen))
    return info, items


def _entry(
    entry: dict, n: int, info: FeedInfo, where: str, now: datetime, seen: dict[str, int]
) -> FeedEntry | Rejection:
    link = str(entry.get("link") or "").strip()
    guid = str(entry.get("id") or "").strip() or (normalize_url(link) if link else "")
    label = f"{where}#{n}"
    if not guid:
        return Rejection.keyed(label, "reject_entry_no_id")
    label = f"{where}#{n} ({guid[:80]})"
    if guid in seen:
        return Rejection.keyed(label, "reject_entry_duplicate", n=seen[guid])
    seen[guid] = n
    title = " ".join(str(entry.get("title") or "").split())
    if not title:
        return Rejection.keyed(label, "reject_entry_no_title")
    published = _to_datetime(dict.get(entry, "published_parsed")) or _to_datetime(
        dict.get(entry, "updated_parsed")
    )
    if published is None:
        published = info.updated
    if published is None:
        return Rejection.keyed(label, "reject_entry_no_date")
    if published > now + FUTURE_TOLERANCE:
        return Rejection.keyed(label, "reject_entry_future", date=published.isoformat())
    paragraphs, full = _body(entry)
    article = Article(
        id=_article_id(guid, where),
        title=title,
        sections=(Section(None, tuple(paragraphs)),),
        url=link,
        published_at=published,
        category=_category(entry),
        source=info.title or None,
    )
    return FeedEntry(article=article, has_full_text=full, guid=guid)


def _article_id(guid: str, where: str) -> str:
    """The guid when it is globally unique (a URL, urn: or tag:), else qualified by the feed."""
    if "://" in guid or guid.lower().startswith(_GLOBAL_ID_PREFIXES):
        return guid
    return f"{where}#{guid}"


def _body(entry: dict) -> tuple[list[str], bool]:
    contents = [c for c in entry.get("content") or [] if c.get("value")]
    content_paras = max(
        (html_to_paragraphs(str(c["value"])) for c in contents), key=_chars, default=[]
    )
    summary_paras = html_to_paragraphs(str(entry.get("summary") or ""))
    if _chars(content_paras) >= _chars(summary_paras) and content_paras:
        paras = content_paras
    else:
        paras = summary_paras
    text = "".join(paras)
    truncated = text.rstrip().endswith(_TRUNCATION_MARKS)
    return paras, len(text) >= FULL_TEXT_MIN_CHARS and not truncated


def _chars(paragraphs: list[str]) -> int:
    return sum(len(p) for p in paragraphs)


def _category(entry: dict) -> str | None:
    tags = entry.get("tags") or []
    for tag in tags:
        term = str(tag.get("term") or "").strip()
        if term:
            return term
    return None


def _to_datetime(value: object) -> datetime | None:
    """feedparser's ``*_parsed`` values are UTC ``struct_time``s."""
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError, OSError):
        return None
