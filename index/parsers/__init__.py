"""Input parsers: files and fetched bytes in every supported format to ``Article`` or ``Rejection``.

Parsing is pure apart from reading the given files: nothing is stored or fetched, and bad content
never raises; it is reported as a ``Rejection(where, reason)``.
"""

from __future__ import annotations

import gzip
import io
import logging
import os
import zlib
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, cast

from index.errors import ArticleParseError
from index.models import Article, Rejection
from index.parsers.explainer import parse_explainer
from index.parsers.feed import FeedEntry, FeedInfo, parse_feed
from index.parsers.html import decode_html, parse_html
from index.parsers.jsonl import iter_jsonl
from index.parsers.livedoor import NON_ARTICLE_FILES, looks_like_livedoor, parse_livedoor
from index.parsers.text import MAX_DOCUMENT_BYTES, decode_text, sniff_text

__all__ = [
    "FORMATS",
    "FeedEntry",
    "FeedInfo",
    "detect_format",
    "iter_input_files",
    "parse_bytes",
    "parse_feed",
    "parse_path",
]

log = logging.getLogger(__name__)

FORMATS = ("jsonl", "explainer", "livedoor", "feed", "html")
HEAD_BYTES = 8192
_EXTENSIONS = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".rss": "feed",
    ".atom": "feed",
}
_GZIP_ERRORS = (OSError, EOFError, zlib.error)


def iter_input_files(paths: Sequence[Path]) -> Iterator[Path]:
    """Expand directories recursively (sorted; hidden files and livedoor's LICENSE/README/CHANGES
    skipped); files and paths that do not exist are passed through as given.

    Symbolic links to directories are not followed.
    """
    for path in paths:
        if not path.is_dir():
            yield path
            continue
        found: list[Path] = []
        for root, dirs, files in os.walk(path):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            for name in files:
                if name.startswith(".") or name in NON_ARTICLE_FILES:
                    continue
                found.append(Path(root) / name)
        yield from sorted(found, key=lambda p: p.relative_to(path).parts)


def detect_format(path: Path, head: bytes) -> str | None:
    """Guess a file's format from its extension (``.gz`` ignored) and its first bytes.

    ``head`` is the start of the decompressed content. Returns None for binary data or a format
    that cannot be recognised.
    """
    name = path.name.lower()
    suffix = Path(name[:-3] if name.endswith(".gz") else name).suffix
    by_ext = _EXTENSIONS.get(suffix)
    text = sniff_text(head)
    if text is None:
        return None
    start = text.lstrip()[:2048].lower()
    if by_ext is not None:
        return by_ext
    if start.startswith("{"):
        return "jsonl"
    if "<rss" in start or "<feed" in start or "<rdf:rdf" in start:
        return "feed"
    if start.startswith(("<!doctype html", "<html")) or "<html" in start[:512]:
        return "html"
    if start.startswith("<?xml"):
        return None
    if looks_like_livedoor(text):
        return "livedoor"
    if suffix in {".txt", ".md", ".text", ""}:
        return "explainer"
    return None


def parse_path(
    path: Path, fmt: str | None = None, *, now: datetime | None = None
) -> Iterator[Article | Rejection]:
    """Parse one file (plain or ``.gz``); yields a Rejection for unreadable or bad content, never raises.

    :param fmt: one of ``FORMATS``; detected from the file when None.
    :param now: the current time for feed future-date checks (default: the system clock).
    """
    where = str(path)
    if fmt is not None and fmt not in FORMATS:
        yield Rejection(where, f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
        return
    try:
        raw = path.open("rb")
    except OSError as e:
        yield Rejection(where, f"cannot read the file: {e.strerror or e}")
        return
    with raw:
        stream = cast(BinaryIO, gzip.GzipFile(fileobj=raw)) if path.name.endswith(".gz") else raw
        try:
            head = stream.read(HEAD_BYTES)
        except _GZIP_ERRORS as e:
            yield Rejection(where, f"cannot read the file: {e}")
            return
        if fmt is None:
            fmt = detect_format(path, head)
            if fmt is None:
                reason = (
                    "binary or unknown encoding" if sniff_text(head) is None else "unknown format"
                )
                yield Rejection(where, f"{reason}; pass the format explicitly if this is a mistake")
                return
        if fmt == "jsonl":
            yield from iter_jsonl(stream, where, head=head)
            return
        try:
            rest = stream.read(MAX_DOCUMENT_BYTES + 1 - len(head))
        except _GZIP_ERRORS as e:
            yield Rejection(where, f"cannot read the file: {e}")
            return
    yield from parse_bytes(head + rest, fmt, where, path=path, now=now)


def parse_bytes(
    data: bytes,
    fmt: str,
    where: str,
    *,
    url: str = "",
    path: Path | None = None,
    now: datetime | None = None,
) -> Iterator[Article | Rejection]:
    """Parse content already in memory (a fetched page or feed); never raises for bad content.

    :param where: names the source in rejections (a path or URL).
    :param url: the address the content came from (html: fallback when it has no canonical URL).
    :param path: the file it came from, for ids (file stem) and livedoor categories.
    """
    if fmt not in FORMATS:
        yield Rejection(where, f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
        return
    if fmt == "jsonl":
        yield from iter_jsonl(io.BytesIO(data), where)
        return
    if len(data) > MAX_DOCUMENT_BYTES:
        yield Rejection(where, f"too large (over {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB)")
        return
    if fmt == "feed":
        _, items = parse_feed(data, url or where, now=now)
        for item in items:
            if isinstance(item, Rejection):
                yield item
            elif not item.article.body:
                yield Rejection(f"{where} ({item.guid[:80]})", "entry has no text")
            else:
                yield item.article
        return
    stem = _stem(path, where)
    try:
        if fmt == "html":
            yield parse_html(decode_html(data), where, url=url, default_id=stem)
        elif fmt == "explainer":
            yield parse_explainer(decode_text(data), where, default_id=stem, url=url)
        else:
            category = path.parent.name if path is not None else None
            yield parse_livedoor(decode_text(data), where, default_id=stem, category=category)
    except ArticleParseError as e:
        yield Rejection(where, str(e))


def _stem(path: Path | None, where: str) -> str:
    name = path.name if path is not None else where.rstrip("/").rsplit("/", 1)[-1]
    for suffix in (".gz",):
        name = name.removesuffix(suffix)
    return Path(name).stem or name or where
