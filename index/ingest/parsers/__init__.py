"""Input parsers: files and fetched bytes in every supported format to ``Article`` or ``Rejection``.

Parsing is pure apart from reading the given files: nothing is stored or fetched, and bad content
never raises; it is reported as a ``Rejection(where, reason)``.
"""

from __future__ import annotations

import codecs
import gzip
import io
import logging
import os
import re
import stat
import zlib
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, cast

from index.errors import ArticleParseError
from index.ingest.limits import MAX_DECOMPRESSED_ENV, MAX_GZIP_RATIO_ENV, RATIO_GRACE, IngestLimits
from index.ingest.parsers.explainer import parse_explainer
from index.ingest.parsers.feed import FeedEntry, FeedInfo, parse_feed
from index.ingest.parsers.html import decode_html, parse_html
from index.ingest.parsers.jsonl import iter_jsonl
from index.ingest.parsers.livedoor import NON_ARTICLE_FILES, looks_like_livedoor, parse_livedoor
from index.ingest.parsers.text import MAX_DOCUMENT_BYTES, decode_text, sniff_text
from index.messages import Msg
from index.models import Article, Rejection, Skipped
from index.sanitize import clean_text

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


# Files beside the articles of a corpus that are documentation, not articles: README, LICENSE,
# CHANGELOG and the like (any extension, any case: README.md, LICENSE-MIT, readme_ja.txt), and
# Markdown or reStructuredText documents. Skipped when a directory is walked; a file named on
# the command line is always parsed.
DOC_NAMES = frozenset(
    {
        "readme",
        "license",
        "licence",
        "copying",
        "changelog",
        "changes",
        "history",
        "authors",
        "contributors",
        "contributing",
        "notice",
        "code_of_conduct",
        "security",
    }
)
DOC_SUFFIXES = frozenset({".md", ".markdown", ".rst"})
_DOC_SPLIT = re.compile(r"[.\-_ ]")


def is_documentation(name: str) -> bool:
    """True for a file name that documents a corpus (``README.md``, ``LICENSE``, ``x.md``)."""
    lower = name.lower().removesuffix(".gz")
    if Path(lower).suffix in DOC_SUFFIXES:
        return True
    return _DOC_SPLIT.split(lower, maxsplit=1)[0] in DOC_NAMES or lower.startswith(
        "code_of_conduct"
    )


def _file_kind(mode: int) -> str | None:
    """None for a regular file, else what it is (named pipes and devices would block a read)."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "special"


def iter_input_files(
    paths: Sequence[Path], on_skip: Callable[[Skipped], None] | None = None
) -> Iterator[Path]:
    """Expand directories recursively (sorted); files and paths that do not exist are passed
    through as given, so a file named explicitly (even a pipe such as ``<(zcat x.jsonl)``) is read.

    Inside directories, hidden files are skipped silently; documentation files
    (:func:`is_documentation`), and anything that is not a regular file (a FIFO would block the
    ingest forever) are skipped with a note passed to ``on_skip``. Symbolic links to
    directories are not followed.
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
                file = Path(root) / name
                try:
                    kind = _file_kind(file.stat().st_mode)  # follows a symlink to its target
                except OSError:  # a dangling link: parse_path reports it as unreadable
                    kind = None
                if kind is None and is_documentation(name):
                    kind = "documentation"
                if kind is not None:
                    note = Skipped.note(str(file), kind)
                    log.info("skipped %s: %s", file, note.reason)
                    if on_skip is not None:
                        on_skip(note)
                    continue
                found.append(file)
        yield from sorted(found, key=lambda p: p.relative_to(path).parts)


def detect_format(path: Path, head: bytes) -> str | None:
    """Guess a file's format from its extension (``.gz`` ignored) and its first bytes.

    ``head`` is the start of the decompressed content. Returns None for binary data or a format
    that cannot be recognised.
    """
    name = path.name.lower()
    suffix = Path(name[:-3] if name.endswith(".gz") else name).suffix
    by_ext = _EXTENSIONS.get(suffix)
    # JSONL is judged by its first line only: a bad byte on a later line is that line's
    # rejection, not a reason to refuse the whole file.
    first = head.lstrip(b"\xef\xbb\xbf \t\r\n").split(b"\n", 1)[0]
    if by_ext == "jsonl" or (by_ext is None and first.startswith(b"{")):
        if not first or sniff_text(first) is not None:
            return "jsonl"
        if by_ext == "jsonl" and head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "jsonl"
        return None
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


class DecompressionLimit(OSError):
    """A ``.gz`` file expanded past a cap (:class:`~index.ingest.limits.IngestLimits`)."""

    def __init__(self, msg: Msg) -> None:
        super().__init__(msg.text("en"))
        self.msg = msg


def _unreadable(where: str, error: BaseException) -> Rejection:
    """A file that could not be read: the operating system's words, or a cap's message."""
    detail = getattr(error, "msg", None) or getattr(error, "strerror", None) or error
    return Rejection.keyed(where, "reject_unreadable", error=detail)


class _Capped:
    """The decompressed stream of a ``.gz`` file, refused (with :class:`DecompressionLimit`) once
    it passes ``limits.max_decompressed`` bytes, or expands more than ``limits.max_gzip_ratio``
    times the compressed bytes read so far (a gzip bomb), so a bomb costs neither memory nor
    minutes of CPU."""

    def __init__(self, gz: gzip.GzipFile, raw: BinaryIO, limits: IngestLimits) -> None:
        self._gz = gz
        self._raw = raw
        self._limits = limits
        self.out = 0

    def read(self, size: int = -1) -> bytes:
        cap = self._limits.max_decompressed
        if size < 0 or size > cap + 1 - self.out:
            size = max(cap + 1 - self.out, 1)  # never more than the cap at once
        data = self._gz.read(size)
        n = len(data)
        self.out += n
        if self.out > cap:
            raise DecompressionLimit(
                Msg("reject_decompressed_cap", {"cap": cap, "setting": MAX_DECOMPRESSED_ENV})
            )
        if self.out > RATIO_GRACE:
            try:
                ratio = self.out / max(self._raw.tell(), 1)
            except OSError:  # a pipe: no position, only the size cap applies
                ratio = 0.0
            if ratio > self._limits.max_gzip_ratio:
                limit, setting = self._limits.max_gzip_ratio, MAX_GZIP_RATIO_ENV
                raise DecompressionLimit(
                    Msg("reject_gzip_bomb", {"ratio": ratio, "limit": limit, "setting": setting})
                )
        return data


def parse_path(
    path: Path,
    fmt: str | None = None,
    *,
    now: datetime | None = None,
    limits: IngestLimits | None = None,
) -> Iterator[Article | Rejection]:
    """Parse one file (plain or ``.gz``); yields a Rejection for unreadable or bad content, never raises.

    :param fmt: one of ``FORMATS``; detected from the file when None.
    :param now: the current time for feed future-date checks (default: the system clock).
    :param limits: caps on decompression (default: :class:`IngestLimits` defaults).
    """
    where = str(path)
    if fmt is not None and fmt not in FORMATS:
        yield Rejection.keyed(where, "reject_unknown_format", fmt=fmt, formats=", ".join(FORMATS))
        return
    try:
        raw = path.open("rb")
    except OSError as e:
        yield _unreadable(where, e)
        return
    with raw:
        stream: BinaryIO = raw
        if path.name.endswith(".gz"):
            capped = _Capped(gzip.GzipFile(fileobj=raw), raw, limits or IngestLimits())
            stream = cast(BinaryIO, capped)
        try:
            head = stream.read(HEAD_BYTES)
        except _GZIP_ERRORS as e:
            yield _unreadable(where, e)
            return
        if fmt is None:
            fmt = detect_format(path, head)
            if fmt is None:
                binary = sniff_text(head) is None
                key = "reject_guess_binary" if binary else "reject_guess_unknown"
                yield Rejection.keyed(where, key)
                return
        if fmt == "jsonl":
            yield from iter_jsonl(stream, where, head=head)
            return
        try:
            rest = stream.read(MAX_DOCUMENT_BYTES + 1 - len(head))
        except _GZIP_ERRORS as e:
            yield _unreadable(where, e)
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
        yield Rejection.keyed(where, "reject_unknown_format", fmt=fmt, formats=", ".join(FORMATS))
        return
    if fmt == "jsonl":
        yield from iter_jsonl(io.BytesIO(data), where)
        return
    if len(data) > MAX_DOCUMENT_BYTES:
        yield Rejection.keyed(where, "reject_too_large", mb=MAX_DOCUMENT_BYTES // (1024 * 1024))
        return
    if fmt == "feed":
        _, items = parse_feed(data, url or where, now=now)
        for item in items:
            if isinstance(item, Rejection):
                yield item
            elif not item.article.body:
                yield Rejection.keyed(f"{where} ({item.guid[:80]})", "reject_entry_no_text")
            else:
                yield item.article
        return
    stem = _stem(path, where)
    try:
        if fmt == "html":
            # lxml refuses control characters, so one stray escape would lose the whole page.
            yield parse_html(clean_text(decode_html(data)), where, url=url, default_id=stem)
        elif fmt == "explainer":
            yield parse_explainer(decode_text(data), where, default_id=stem, url=url)
        else:
            category = path.parent.name if path is not None else None
            yield parse_livedoor(decode_text(data), where, default_id=stem, category=category)
    except ArticleParseError as e:
        yield Rejection.of(where, e)


def _stem(path: Path | None, where: str) -> str:
    name = path.name if path is not None else where.rstrip("/").rsplit("/", 1)[-1]
    for suffix in (".gz",):
        name = name.removesuffix(suffix)
    return Path(name).stem or name or where
