"""Parser of JSON Lines article files: one ``{"id", "title", "body", "published_at", ...}`` per line."""

from __future__ import annotations

import codecs
import io
import json
import zlib
from collections.abc import Iterator
from typing import BinaryIO

from index.errors import ArticleParseError
from index.ingest.parsers.text import binary, decode_utf8_or_cp932, parse_datetime
from index.messages import Msg
from index.models import Article, Rejection
from index.sanitize import lone_surrogate

MAX_LINE_BYTES = 2 * 1024 * 1024
MAX_BODY_CHARS = 1_000_000
REQUIRED_FIELDS = ("id", "title", "body", "published_at")
OPTIONAL_FIELDS = ("url", "category", "source")
_SKIP_CHUNK = 1024 * 1024
_BUFFER = 64 * 1024
_READ_ERRORS = (OSError, EOFError, ValueError, zlib.error)


def iter_jsonl(stream: BinaryIO, where: str, *, head: bytes = b"") -> Iterator[Article | Rejection]:
    """Yield an Article or a Rejection (``where:LINE``) per non-blank line; never raises for content.

    Lines are read with a bounded buffer: a line longer than ``MAX_LINE_BYTES`` is skipped without
    being held in memory. UTF-8 (optionally with a BOM) is expected; a line that is not UTF-8 but
    decodes cleanly as CP932 is accepted, and UTF-16 with a BOM is read through a text decoder.

    :param head: bytes already read from the start of ``stream`` (by format detection).
    """
    if len(head) < 4:
        try:
            head += stream.read(4 - len(head))
        except _READ_ERRORS as e:
            yield Rejection.keyed(where, "reject_unreadable", error=e)
            return
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and not head.startswith(
        (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)
    ):
        yield from _iter_utf16(io.BufferedReader(_Prefixed(head, stream), _BUFFER), where)
        return
    if head.startswith(codecs.BOM_UTF8):
        head = head[len(codecs.BOM_UTF8) :]
    yield from _iter_bytes_lines(io.BufferedReader(_Prefixed(head, stream), _BUFFER), where)


def _iter_bytes_lines(stream: io.BufferedReader, where: str) -> Iterator[Article | Rejection]:
    line_no = 0
    while True:
        try:
            raw = stream.readline(MAX_LINE_BYTES + 1)
        except _READ_ERRORS as e:  # truncated or corrupt .gz
            yield Rejection.keyed(f"{where}:{line_no + 1}", "reject_unreadable_rest", error=e)
            return
        if not raw:
            return
        line_no += 1
        if raw == b"\n":  # blank lines are common at the end of files; skip them cheaply
            continue
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            skipped = len(raw) + _skip_line(stream)
            yield Rejection.keyed(
                f"{where}:{line_no}", "reject_line_too_long", n=skipped, limit=MAX_LINE_BYTES
            )
            continue
        if line_no == 1 and b"\x00" in raw:
            yield Rejection.of(where, binary("nul_line1"))
            return
        try:
            text = _decode_line(raw)
        except ArticleParseError as e:
            yield Rejection.of(f"{where}:{line_no}", e)
            continue
        if text.strip():
            yield _parse_line(text, f"{where}:{line_no}")


def _skip_line(stream: io.BufferedReader) -> int:
    """Consume the rest of an over-long line in bounded chunks; return the bytes skipped."""
    skipped = 0
    while True:
        chunk = stream.readline(_SKIP_CHUNK)
        skipped += len(chunk)
        if not chunk or chunk.endswith(b"\n"):
            return skipped


def _iter_utf16(stream: io.BufferedReader, where: str) -> Iterator[Article | Rejection]:
    reader = io.TextIOWrapper(stream, encoding="utf-16", newline=None)
    line_no = 0
    while True:
        try:
            text = reader.readline(MAX_LINE_BYTES // 2 + 1)
        except (UnicodeDecodeError, *_READ_ERRORS) as e:
            yield Rejection.keyed(f"{where}:{line_no + 1}", "reject_utf16_invalid", error=e)
            return
        if not text:
            return
        line_no += 1
        if len(text) > MAX_LINE_BYTES // 2 and not text.endswith("\n"):
            while True:  # skip the rest of the line
                try:
                    more = reader.readline(_SKIP_CHUNK)
                except (UnicodeDecodeError, *_READ_ERRORS):
                    return
                if not more or more.endswith("\n"):
                    break
            yield Rejection.keyed(
                f"{where}:{line_no}", "reject_line_too_long_utf16", limit=MAX_LINE_BYTES
            )
            continue
        if text.strip():
            yield _parse_line(text, f"{where}:{line_no}")


def _decode_line(raw: bytes) -> str:
    if b"\x00" in raw:
        raise binary("nul")
    return decode_utf8_or_cp932(raw)


def _parse_line(text: str, where: str) -> Article | Rejection:
    try:
        record = json.loads(text)
    except json.JSONDecodeError as e:
        return Rejection.keyed(where, "reject_json_at", problem=_json_problem(e, text), col=e.colno)
    except (RecursionError, ValueError) as e:
        return Rejection.keyed(where, "reject_json", error=e)
    if not isinstance(record, dict):
        return Rejection.keyed(where, "reject_not_object", type=type(record).__name__)
    try:
        return _article(record)
    except ArticleParseError as e:
        return Rejection.of(where, e)


def _json_problem(e: json.JSONDecodeError, text: str) -> str | Msg:
    """The decoder's message without its dangling " at" (``Invalid control character at``),
    naming the control character and how to write it."""
    msg = e.msg.removesuffix(" at")
    if msg == "Invalid control character" and 0 <= e.pos < len(text):
        return Msg("json_control_character", {"code": ord(text[e.pos])})
    return msg


def _article(record: dict) -> Article:
    values: dict[str, str] = {}
    for name in REQUIRED_FIELDS:
        value = record.get(name)
        if value is None:
            raise ArticleParseError.keyed("reject_missing_field", name=name)
        if not isinstance(value, str):
            raise _not_string(name, value)
        if not value.strip():
            raise ArticleParseError.keyed("reject_field_empty", name=name)
        values[name] = value
    extra: dict[str, str | None] = {}
    for name in OPTIONAL_FIELDS:
        value = record.get(name)
        if value is not None and not isinstance(value, str):
            raise _not_string(name, value)
        extra[name] = value.strip() if value else None
    for name, value in (*values.items(), *extra.items()):
        bad = lone_surrogate(value) if value else None
        if bad is not None:  # "\ud800" is valid JSON but not Unicode: it could not be stored
            char = bad.encode("unicode_escape").decode()
            raise ArticleParseError.keyed("reject_field_surrogate", name=name, char=char)
    if len(values["body"]) > MAX_BODY_CHARS:
        n = len(values["body"])
        raise ArticleParseError.keyed("reject_body_too_long", n=n, limit=MAX_BODY_CHARS)
    return Article.from_text(
        id=values["id"].strip(),
        title=" ".join(values["title"].split()),
        body=values["body"],
        url=extra["url"] or "",
        published_at=parse_datetime(values["published_at"], what="published_at"),
        category=extra["category"],
        source=extra["source"],
    )


def _not_string(name: str, value: object) -> ArticleParseError:
    return ArticleParseError.keyed("reject_field_not_string", name=name, type=type(value).__name__)


class _Prefixed(io.RawIOBase):
    """A binary stream that first returns a few already-read bytes, then the rest of ``stream``."""

    def __init__(self, prefix: bytes, stream: BinaryIO) -> None:
        self._prefix = prefix
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # type: ignore[override]
        if self._prefix:
            n = min(len(b), len(self._prefix))
            b[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        data = self._stream.read(len(b))
        b[: len(data)] = data
        return len(data)
