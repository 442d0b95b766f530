"""Parser of the explainer-article text layout (title, headings, paragraphs, 参考資料, 関連記事, 最新ニュース).

Layout, one item per line (blank lines are ignored)::

    ---                     optional front matter: id, url, published_at, category, source
    id: boj-rate-2025
    ---
    Title
    はじめに                 a heading: a short line that does not end like a sentence
    Paragraph。             a paragraph: a sentence
    親見出し                  a heading directly followed by another heading is its parent;
    子見出し                  the section is stored as "親見出し › 子見出し"
    参考資料:               "- title | publisher" lines
    関連記事                 pairs of lines: title, one-line summary
    最新ニュース             pairs of lines, like 関連記事

Plain text has no heading levels, so one rule decides them: once a parent heading has been seen,
a later single heading is taken as another child of it, except closing headings such as まとめ
(see ``TOP_LEVEL_HEADINGS``), which start a new top-level section.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime

from index.errors import ArticleParseError
from index.ingest.parsers.text import parse_datetime
from index.messages import Msg
from index.models import Article, ArticleLink, Section

log = logging.getLogger(__name__)

HEADING_SEPARATOR = " › "
MAX_HEADING_CHARS = 60
FRONT_MATTER_KEYS = frozenset({"id", "url", "published_at", "category", "source"})
# Headings that always start a top-level section, never a child of the previous parent.
TOP_LEVEL_HEADINGS = frozenset(
    {
        "はじめに",
        "まとめ",
        "おわりに",
        "終わりに",
        "結論",
        "最後に",
        "さいごに",
        "概要",
        "要約",
        "注意点と今後の展望",
        "今後の展望",
        "今後の見通し",
        "今後の課題",
    }
)
_REFERENCES_MARKERS = frozenset({"参考資料", "参考資料:", "参考資料：", "参考文献:", "参考文献："})
_RELATED_MARKERS = frozenset({"関連記事", "関連記事:", "関連記事："})
_LATEST_MARKERS = frozenset({"最新ニュース", "最新ニュース:", "最新ニュース："})
_SENTENCE_END = "。．.！？!?"
_CLOSING = "」』）)】\"'”’"
_SENTENCE_ENDINGS = ("です", "ます", "でした", "ました", "ません", "である", "だった")
_LIST_ITEM_RE = re.compile(r"^(?:[-・*•]\s|\d+[.)．]\s?)")


@dataclass(frozen=True)
class _Line:
    no: int  # 1-based line number in the file
    text: str


def parse_explainer(text: str, where: str, *, default_id: str, url: str = "") -> Article:
    """Parse one explainer article; pure, does not touch the file system.

    :param default_id: the id used when there is no front matter (the file stem).
    :param url: the URL used when the front matter has none.
    :raises ArticleParseError: with a reason naming the line, for a page that does not fit the layout.
    """
    lines = [_Line(i, s.strip()) for i, s in enumerate(text.split("\n"), start=1)]
    meta, lines = _front_matter(lines)
    lines = [ln for ln in lines if ln.text]
    if not lines:
        raise ArticleParseError.keyed("reject_explainer_empty")
    title, *rest = lines
    if len(title.text) > 200:
        raise ArticleParseError.keyed(
            "reject_explainer_title_long", line=title.no, n=len(title.text)
        )
    body, blocks = _split_trailer(rest)
    sections = _sections(body)
    if not any(s.paragraphs for s in sections):
        raise ArticleParseError.keyed("reject_explainer_no_paragraph")
    published_at: datetime | None = None
    if "published_at" in meta:
        published_at = parse_datetime(meta["published_at"], what=Msg("date_what_front_matter"))
    return Article(
        id=meta.get("id") or default_id,
        title=title.text,
        sections=tuple(sections),
        url=meta.get("url", url),
        published_at=published_at,
        category=meta.get("category") or None,
        source=meta.get("source") or None,
        references=tuple(blocks.get("references", ())),
        related=tuple(blocks.get("related", ())),
        latest=tuple(blocks.get("latest", ())),
    )


def _front_matter(lines: list[_Line]) -> tuple[dict[str, str], list[_Line]]:
    if not lines or lines[0].text != "---":
        return {}, lines
    meta: dict[str, str] = {}
    for i, ln in enumerate(lines[1:], start=1):
        if ln.text == "---":
            return meta, lines[i + 1 :]
        if not ln.text:
            continue
        key, sep, value = ln.text.partition(":")
        key, value = key.strip(), value.strip()
        if not sep or not key:
            raise ArticleParseError.keyed("reject_front_matter_line", line=ln.no)
        if key not in FRONT_MATTER_KEYS:
            log.debug("%s: ignoring unknown front matter key %r", ln.no, key)
            continue
        if key in meta:
            raise ArticleParseError.keyed("reject_front_matter_twice", line=ln.no, key=key)
        meta[key] = value
    raise ArticleParseError.keyed("reject_front_matter_open")


def _split_trailer(lines: list[_Line]) -> tuple[list[_Line], dict[str, list]]:
    """Split the body from the 参考資料 / 関連記事 / 最新ニュース blocks that end the page."""
    body: list[_Line] = []
    blocks: dict[str, list] = {}
    current: str | None = None
    entries: list[_Line] = []
    start_no = 0

    def close() -> None:
        if current is not None:
            blocks[current] = _block(current, entries, start_no)

    for ln in lines:
        kind = _marker(ln.text)
        if kind is not None:
            if kind in blocks or kind == current:
                name = ln.text.rstrip(":：")
                raise ArticleParseError.keyed("reject_block_twice", line=ln.no, name=name)
            close()
            current, entries, start_no = kind, [], ln.no
        elif current is None:
            body.append(ln)
        else:
            entries.append(ln)
    close()
    return body, blocks


def _marker(text: str) -> str | None:
    if text in _REFERENCES_MARKERS:
        return "references"
    if text in _RELATED_MARKERS:
        return "related"
    if text in _LATEST_MARKERS:
        return "latest"
    return None


def _block(kind: str, entries: list[_Line], start_no: int) -> list:
    if kind == "references":
        refs = []
        for ln in entries:
            if not ln.text.startswith(("- ", "・")) or len(ln.text) < 3:
                raise ArticleParseError.keyed(
                    "reject_references_entry", line=ln.no, got=ln.text[:40]
                )
            refs.append(ln.text[1:].strip())
        return refs
    name = "関連記事" if kind == "related" else "最新ニュース"
    if len(entries) % 2:
        raise ArticleParseError.keyed("reject_block_odd", line=start_no, name=name, n=len(entries))
    links = []
    for title, summary in zip(entries[::2], entries[1::2], strict=True):
        if title.text[-1] in "。." or len(title.text) > 200:
            raise ArticleParseError.keyed("reject_block_sentence", line=title.no, name=name)
        links.append(ArticleLink(title=title.text, summary=summary.text))
    return links


def is_heading(text: str) -> bool:
    """True for a line that reads as a heading: short and not ending like a sentence."""
    if len(text) > MAX_HEADING_CHARS or _LIST_ITEM_RE.match(text):
        return False
    core = text.rstrip(_CLOSING)
    if not core or core[-1] in _SENTENCE_END or core[-1] in ":：、,":
        return False
    if "。" in core:
        return False
    return not core.endswith(_SENTENCE_ENDINGS)


def _sections(body: list[_Line]) -> list[Section]:
    sections: list[Section] = []
    heading: str | None = None
    parent: str | None = None
    paragraphs: list[str] = []
    i = 0
    while i < len(body):
        ln = body[i]
        if not is_heading(ln.text):
            paragraphs.append(ln.text)
            i += 1
            continue
        run = [ln]
        while i + len(run) < len(body) and is_heading(body[i + len(run)].text):
            run.append(body[i + len(run)])
        if len(run) > 2:
            headings = ", ".join(r.text for r in run[:4])
            line, n = run[0].no, len(run)
            raise ArticleParseError.keyed(
                "reject_headings_in_a_row", line=line, n=n, headings=headings
            )
        if i + len(run) >= len(body):
            line, heading_text = run[-1].no, run[-1].text
            raise ArticleParseError.keyed("reject_heading_alone", line=line, heading=heading_text)
        if heading is not None or paragraphs:
            if not paragraphs:
                raise ArticleParseError(f"internal: empty section {heading!r}")  # pragma: no cover
            sections.append(Section(heading, tuple(paragraphs)))
        paragraphs = []
        if len(run) == 2:
            parent = run[0].text
            heading = f"{parent}{HEADING_SEPARATOR}{run[1].text}"
        elif run[0].text in TOP_LEVEL_HEADINGS or parent is None:
            parent = None
            heading = run[0].text
        else:
            heading = f"{parent}{HEADING_SEPARATOR}{run[0].text}"
        i += len(run)
    if heading is not None or paragraphs:
        sections.append(Section(heading, tuple(paragraphs)))
    return sections
