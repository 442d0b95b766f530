"""Frozen dataclasses that flow through the core: articles, passages, hits, answers, digests."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from index.messages import Lang, Msg


@dataclass(frozen=True)
class ArticleLink:
    """An entry of an article's 関連記事 or 最新ニュース block: a title and a one-line summary."""

    title: str
    summary: str = ""
    url: str = ""


@dataclass(frozen=True)
class Section:
    """A run of paragraphs under one heading (``None`` before the first heading)."""

    heading: str | None
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class Article:
    """One article as parsed from a source, before it is stored.

    ``body`` is derived: the paragraphs of all sections joined with ``"\\n"``; passage offsets
    (``Passage.start``/``end``) are character offsets into it.
    """

    id: str
    title: str
    sections: tuple[Section, ...]
    url: str = ""
    published_at: datetime | None = None  # timezone-aware
    category: str | None = None
    source: str | None = None
    references: tuple[str, ...] = ()  # 参考資料
    related: tuple[ArticleLink, ...] = ()  # 関連記事
    latest: tuple[ArticleLink, ...] = ()  # 最新ニュース
    is_stub: bool = False  # a 関連記事/最新ニュース entry known only by title + summary

    @classmethod
    def from_text(cls, id: str, title: str, body: str, **kw: object) -> Article:
        """Build an article from plain text: each non-blank line is a paragraph, no headings."""
        paragraphs = tuple(p.strip() for p in body.splitlines() if p.strip())
        return cls(id=id, title=title, sections=(Section(None, paragraphs),), **kw)  # type: ignore[arg-type]

    @property
    def body(self) -> str:
        return "\n".join(p for s in self.sections for p in s.paragraphs)

    def content_hash(self) -> str:
        """A hash of the article's content (not its id or URL): the same content is a no-op."""
        payload = {
            "title": self.title,
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "category": self.category,
            "source": self.source,
            "sections": [[s.heading, list(s.paragraphs)] for s in self.sections],
            "references": list(self.references),
            "related": [[x.title, x.summary, x.url] for x in self.related],
            "latest": [[x.title, x.summary, x.url] for x in self.latest],
            "is_stub": self.is_stub,
        }
        raw = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
        return hashlib.sha256(raw).hexdigest()


@dataclass(frozen=True)
class Passage:
    """A bounded piece of an article (never cutting a sentence) that is indexed and cited."""

    ordinal: int
    heading: str | None
    start: int  # offsets into Article.body
    end: int
    text: str


@dataclass(frozen=True)
class StoredArticle:
    """An article as kept in the index, with its internal row id."""

    rowid: int
    id: str
    title: str
    url: str
    published_at: datetime | None
    category: str | None
    source: str | None
    is_stub: bool
    body: str
    headings: tuple[str, ...]
    references: tuple[str, ...]
    related: tuple[ArticleLink, ...]
    latest: tuple[ArticleLink, ...]
    passage_count: int


@dataclass(frozen=True)
class Hit:
    """One ranked passage."""

    passage_id: int
    article_id: str
    title: str
    url: str
    published_at: datetime | None
    category: str | None
    heading: str | None
    text: str
    start: int
    end: int
    score: float
    is_stub: bool = False
    # The fused score the search ranked it by (index.ranking.fusion), when it fused signals.
    fused: float | None = None

    @property
    def relevance(self) -> float:
        """What the hit was ranked by: the fused score if any, else the word BM25 score."""
        return self.score if self.fused is None else self.fused


@dataclass(frozen=True)
class SearchResult:
    query: str
    terms: tuple[str, ...]
    hits: tuple[Hit, ...]
    took_ms: float


@dataclass(frozen=True)
class Excerpt:
    """A quoted sentence (or two) with its numbered citation."""

    n: int
    text: str
    highlights: tuple[tuple[int, int], ...]  # [start, end) character spans of matched terms in text
    article_id: str
    title: str
    url: str
    published_at: datetime | None
    heading: str | None
    score: float
    passage_id: int = 0


@dataclass(frozen=True)
class RelatedArticle:
    article_id: str
    title: str
    url: str
    published_at: datetime | None
    summary: str = ""
    is_stub: bool = False


AnswerStatus = Literal["answered", "not_found", "invalid"]


@dataclass(frozen=True)
class DateWindow:
    """A publication-date window read from a question (「昨日」「先週」「11月14日」「最近」).

    ``mode`` is "restrict" (search only since <= published_at < until) or "boost" (search
    everything, prefer recent articles).
    """

    label: str  # the expression as written in the question, e.g. "先週"
    since: datetime | None
    until: datetime | None
    mode: Literal["restrict", "boost"] = "restrict"


@dataclass(frozen=True)
class Answer:
    """What kiji replies, the same for the terminal and Discord."""

    question: str
    status: AnswerStatus
    excerpts: tuple[Excerpt, ...] = ()
    related: tuple[RelatedArticle, ...] = ()
    took_ms: float = 0.0
    message: str = ""  # user-facing explanation for not_found / invalid
    terms: tuple[str, ...] = ()
    closest: tuple[RelatedArticle, ...] = ()  # offered instead when not_found
    note: str = ""  # e.g. the date window was widened because it held no answer
    window: DateWindow | None = None  # the publication-date window the question asked about
    reason: str = ""  # InvalidQuery.reason when status == "invalid"


@dataclass(frozen=True)
class DigestItem:
    article_id: str
    title: str
    url: str
    published_at: datetime | None
    summary: str
    category: str | None = None
    rank: int = 0  # importance within the day's digest, 0 = most important


@dataclass(frozen=True)
class DigestSection:
    name: str
    items: tuple[DigestItem, ...]


@dataclass(frozen=True)
class Digest:
    date: str  # YYYY-MM-DD
    tz: str
    sections: tuple[DigestSection, ...]
    # The whole day before a category filter: its article count and categories, so that an
    # empty filtered digest can say the day had articles, just none in those categories.
    day_count: int = 0
    day_categories: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()  # the categories asked for (empty: all of them)

    @property
    def is_empty(self) -> bool:
        return not any(s.items for s in self.sections)


@dataclass(frozen=True)
class Rejection:
    """An input that was not ingested, with where it came from and why.

    ``reason`` is in English (logs, the ``reason`` of ``kiji ingest --json``); ``msg``, when the
    reason is a catalogue message (:mod:`index.messages`), says it in the user's language.
    """

    where: str  # "file.jsonl:12" or a path / URL
    reason: str
    msg: Msg | None = field(default=None, compare=False)

    @classmethod
    def keyed(cls, where: str, key: str, /, **params: object) -> Rejection:
        """The rejection whose reason is ``key`` of the catalogue, formatted with ``params``."""
        return cls.of(where, Msg(key, params))

    @classmethod
    def of(cls, where: str, reason: Msg | str | Exception) -> Rejection:
        """The rejection for a message, a text, or an error (one made with a key keeps it)."""
        msg = getattr(reason, "msg", None) if isinstance(reason, Exception) else reason
        if isinstance(msg, Msg):
            return cls(where, msg.text("en"), msg)
        return cls(where, str(reason))

    @property
    def code(self) -> str | None:
        """The catalogue key of the reason: stable, for scripts (None for a reason in text)."""
        return self.msg.key if self.msg is not None else None

    def text(self, lang: Lang) -> str:
        """The reason in ``lang``."""
        return self.msg.text(lang) if self.msg is not None else self.reason


@dataclass(frozen=True)
class Skipped(Rejection):
    """An input passed over on purpose (a FIFO or a README in a directory): a note, not an error.

    ``kind`` names the case (``skip_<kind>`` in :mod:`index.messages`); ``reason`` is the same
    note in English, for JSON and logs.
    """

    kind: str = ""

    @classmethod
    def note(cls, where: str, kind: str) -> Skipped:
        """The note for a file passed over as ``kind`` (``fifo``, ``documentation`` …)."""
        msg = Msg(f"skip_{kind}")
        return cls(where, msg.text("en"), msg, kind)


MAX_KEPT_REJECTIONS = 1000  # rejections an IngestReport keeps; the rest are only counted


@dataclass
class IngestReport:
    """What an ingest did. Memory stays bounded on any input: the first ``max_kept``
    rejections are kept in ``rejected`` and the rest only counted (``rejected_count``)."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    passages: int = 0
    chars: int = 0
    seconds: float = 0.0
    skipped: list[Rejection] = field(default_factory=list)  # not articles (FIFOs, READMEs)
    rejections_dropped: int = 0  # rejections counted but not kept
    max_kept: int = MAX_KEPT_REJECTIONS

    def reject(self, rejection: Rejection) -> None:
        """Record a rejection, keeping it only while fewer than ``max_kept`` are kept."""
        if len(self.rejected) < self.max_kept:
            self.rejected.append(rejection)
        else:
            self.rejections_dropped += 1

    def skip(self, note: Rejection) -> None:
        """Record an input that was skipped as not an article (not an error)."""
        if len(self.skipped) < self.max_kept:
            self.skipped.append(note)

    @property
    def rejected_count(self) -> int:
        return len(self.rejected) + self.rejections_dropped

    @property
    def ok(self) -> bool:
        return not self.rejected


def normalize_title(title: str) -> str:
    """Key used to match a 関連記事 title with a stored article: NFKC, no spaces, lower case."""
    return "".join(unicodedata.normalize("NFKC", title).split()).lower()
