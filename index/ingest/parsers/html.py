"""Parser of article web pages (main text via trafilatura) and an HTML-fragment-to-paragraphs helper."""

from __future__ import annotations

import codecs
import logging
import re
from datetime import datetime
from html.parser import HTMLParser

import lxml.etree
import lxml.html
import trafilatura

from index.errors import ArticleParseError
from index.ingest.parsers.explainer import HEADING_SEPARATOR
from index.ingest.parsers.text import binary, decode_text, parse_datetime
from index.messages import Msg
from index.models import Article, Section
from index.urls import normalize_url

log = logging.getLogger(__name__)

_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_WS_RE = re.compile(r"[ \t\u00a0\u3000]+")
_BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "td",
        "th",
        "tr",
        "ul",
    ]
)
_SKIP_TAGS = frozenset(
    ["script", "style", "noscript", "template", "iframe", "svg", "object", "head", "title"]
)
_DATE_META = (
    ("property", "article:published_time"),
    ("property", "og:published_time"),
    ("itemprop", "datePublished"),
    ("name", "pubdate"),
    ("name", "date"),
)


def decode_html(data: bytes) -> str:
    """Decode a page: the charset its ``<meta>`` declares if that decodes cleanly, else as text files."""
    if b"\x00" in data[:4096] and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise binary("nul")
    m = _CHARSET_RE.search(data[:4096])
    if m and not data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            codec = codecs.lookup(m.group(1).decode("ascii"))
            if codec.name in {"shift_jis", "cp932", "ms932"}:
                codec = codecs.lookup("cp932")  # pages saying Shift_JIS use the Windows superset
            return decode_text(data.decode(codec.name).encode("utf-8"))
        except (LookupError, UnicodeError):
            pass
    return decode_text(data)


def parse_html(text: str, where: str, *, url: str = "", default_id: str = "") -> Article:
    """Extract the article of a web page: main text with headings, title, date and canonical URL.

    Scripts, styles and navigation never reach the text. Pure: nothing is fetched.

    :param url: the address the page was fetched from; ``<link rel=canonical>`` wins over it.
    :param default_id: the id when the page has no URL at all (a file's stem).
    :raises ArticleParseError: when no main text can be extracted.
    """
    if not text.strip():
        raise ArticleParseError.keyed("reject_html_empty")
    try:
        tree = lxml.html.fromstring(text.encode("utf-8"), parser=_lxml_parser())
    except (lxml.etree.ParserError, ValueError) as e:
        raise ArticleParseError.keyed("reject_html_invalid", error=e) from e
    meta = _page_metadata(tree)
    canonical = meta.get("canonical") or meta.get("og:url") or ""
    page_url = canonical if canonical.startswith(("http://", "https://")) else url
    # Removed before extraction: code and "enable JavaScript" notices are never article text.
    for el in list(tree.iter("script", "style", "noscript", "template")):
        el.drop_tree()
    try:
        xml = trafilatura.extract(
            tree, url=page_url or None, output_format="xml", with_metadata=True, include_tables=True
        )
    except Exception as e:  # trafilatura's own parsing failures on hostile markup
        log.debug("%s: trafilatura failed: %r", where, e)
        xml = None
    if not xml:
        raise ArticleParseError.keyed("reject_html_no_main")
    doc = lxml.etree.fromstring(xml.encode("utf-8"))
    title = meta.get("og:title") or (doc.get("title") or "").strip() or meta.get("title", "")
    if not title:
        h1 = doc.find("main/head[@rend='h1']")
        title = _clean(" ".join(h1.itertext())) if h1 is not None else ""
    sections = _sections(doc, title)
    if not any(s.paragraphs for s in sections):
        raise ArticleParseError.keyed("reject_html_no_paragraphs")
    if not title:
        raise ArticleParseError.keyed("reject_html_no_title")
    published_at = _published_at(meta, doc)
    return Article(
        id=normalize_url(page_url) if page_url else default_id,
        title=" ".join(title.split()),
        sections=tuple(sections),
        url=page_url,
        published_at=published_at,
        category=meta.get("section") or None,
        source=(doc.get("sitename") or None),
    )


def _lxml_parser() -> lxml.html.HTMLParser:
    return lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, no_network=True)


def _page_metadata(tree: lxml.html.HtmlElement) -> dict[str, str]:
    meta: dict[str, str] = {}
    for el in tree.iter("meta"):
        content = (el.get("content") or "").strip()
        if not content:
            continue
        for attr in ("property", "name", "itemprop"):
            key = (el.get(attr) or "").strip()
            if key:
                meta.setdefault(f"{attr}={key}", content)
        prop = (el.get("property") or "").strip()
        if prop == "og:title":
            meta.setdefault("og:title", content)
        elif prop == "og:url":
            meta.setdefault("og:url", content)
        elif prop == "article:section":
            meta.setdefault("section", content)
    for el in tree.iter("link"):
        if "canonical" in (el.get("rel") or "").lower().split() and el.get("href"):
            meta.setdefault("canonical", el.get("href", "").strip())
    title_el = tree.find(".//title")
    if title_el is not None and title_el.text_content().strip():
        meta["title"] = title_el.text_content().strip()
    return meta


def _published_at(meta: dict[str, str], doc: lxml.etree._Element) -> datetime | None:
    for attr, key in _DATE_META:
        value = meta.get(f"{attr}={key}")
        if value:
            try:
                return parse_datetime(value, what=key)
            except ArticleParseError:
                log.debug("ignoring unparseable %s %r", key, value)
    value = doc.get("date")  # trafilatura's (htmldate's) estimate, a YYYY-MM-DD
    if value:
        try:
            return parse_datetime(value, what=Msg("date_what_page"))
        except ArticleParseError:
            return None
    return None


def _sections(doc: lxml.etree._Element, title: str) -> list[Section]:
    main = doc.find("main")
    if main is None:
        return []
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []  # (level, heading) of the open headings
    paragraphs: list[str] = []
    current: str | None = None
    for el in main:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag == "head":
            text = _clean(" ".join(el.itertext()))
            if not text:
                continue
            level = _level(el.get("rend", ""))
            if level == 1 and ((not stack and not paragraphs and not sections) or text == title):
                continue  # the page's own title repeated as h1
            if paragraphs:
                sections.append(Section(current, tuple(paragraphs)))
            paragraphs = []
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, text))
            current = HEADING_SEPARATOR.join(h for _, h in stack)
        elif tag == "list":
            for item in el.iter("item"):
                paragraphs.extend(_lines(" ".join(item.itertext())))
        elif tag == "table":
            for row in el.iter("row"):
                paragraphs.extend(_lines(" ".join(" ".join(c.itertext()) for c in row)))
        elif tag in {"p", "quote", "code"}:
            paragraphs.extend(_lines("".join(el.itertext())))
    if paragraphs:
        sections.append(Section(current, tuple(paragraphs)))
    return sections


def _level(rend: str) -> int:
    if len(rend) == 2 and rend[0] == "h" and rend[1].isdigit():
        return int(rend[1])
    return 2


def _clean(text: str) -> str:
    return _WS_RE.sub(" ", text).strip()


def _lines(text: str) -> list[str]:
    return [c for c in (_clean(x) for x in text.split("\n")) if c]


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data.replace("\n", " "))


def html_to_paragraphs(fragment: str) -> list[str]:
    """Turn an HTML fragment (a feed entry's content) into text paragraphs; scripts are dropped.

    Text without any markup comes back split on its own newlines.
    """
    if "<" not in fragment and "&" not in fragment:
        return _lines(fragment)
    parser = _TextExtractor()
    try:
        parser.feed(fragment)
        parser.close()
    except (AssertionError, ValueError):  # html.parser on pathological markup
        return []
    return _lines("".join(parser.parts))
