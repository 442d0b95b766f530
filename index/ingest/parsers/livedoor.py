"""Parser of livedoor news corpus files: URL, date, title, then the body, one file per article."""

from __future__ import annotations

import re

from index.errors import ArticleParseError
from index.ingest.parsers.text import parse_datetime
from index.messages import Msg
from index.models import Article

SOURCE = "livedoor-news-corpus"
# Corpus files that sit beside the articles and are not articles.
NON_ARTICLE_FILES = frozenset({"LICENSE.txt", "README.txt", "CHANGES.txt"})
_URL_RE = re.compile(r"^https?://\S+$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}([+-]\d{2}:?\d{2}|Z)?$")


def looks_like_livedoor(text: str) -> bool:
    """True when the first line is a bare URL (an explainer article starts with its title)."""
    first = text.lstrip("\ufeff").split("\n", 1)[0].strip()
    return bool(_URL_RE.match(first))


def parse_livedoor(text: str, where: str, *, default_id: str, category: str | None) -> Article:
    """Parse one corpus file; pure.

    :param default_id: the article id (the file stem, e.g. ``dokujo-tsushin-4778030``).
    :param category: the category (the parent directory name).
    :raises ArticleParseError: when a line of the layout is missing or malformed.
    """
    lines = text.split("\n")
    if len(lines) < 4:
        raise ArticleParseError.keyed("reject_livedoor_short", n=len(lines))
    url, date_line, title = (x.strip() for x in lines[:3])
    if not _URL_RE.match(url):
        raise ArticleParseError.keyed("reject_livedoor_url", got=url[:60])
    if not _DATE_RE.match(date_line):
        raise ArticleParseError.keyed("reject_livedoor_date", got=date_line[:40])
    if not title:
        raise ArticleParseError.keyed("reject_livedoor_title")
    body = "\n".join(lines[3:]).strip("\n")
    if not body.strip():
        raise ArticleParseError.keyed("reject_livedoor_body")
    return Article.from_text(
        id=default_id,
        title=title,
        body=body,
        url=url,
        published_at=parse_datetime(date_line, what=Msg("date_what_livedoor")),
        category=category or None,
        source=SOURCE,
    )
