"""Decoding helpers shared by the parsers: bytes to text, dates, and the limits on input size."""

from __future__ import annotations

import codecs
import re
from datetime import UTC, date, datetime, time, timedelta, timezone

from index.errors import ArticleParseError
from index.messages import Msg

JST = timezone(timedelta(hours=9), "JST")

# A document (explainer, livedoor, html, feed) is read whole; anything larger is refused before
# it is decoded so that a stray disk image cannot take the process's memory.
MAX_DOCUMENT_BYTES = 16 * 1024 * 1024

# C0 controls that ordinary text files contain; any other one marks the data as binary.
_ALLOWED_CONTROLS = frozenset("\t\n\r\f\v")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
MAX_CONTROL_SHARE = 100  # more than 1 control character in 100 marks a file as binary


def binary(detail: str, **params: object) -> ArticleParseError:
    """ "binary or unknown encoding", with the ``binary_<detail>`` message saying how it shows."""
    return ArticleParseError.keyed("reject_binary", detail=Msg(f"binary_{detail}", params))


def decode_text(data: bytes) -> str:
    """Decode a text file: UTF-8 (BOM or not), UTF-16 with a BOM, or Shift_JIS/CP932.

    Newlines are normalised to ``"\\n"``. CP932 is tried only when UTF-8 fails, and only a clean
    decode is accepted; nothing is decoded with replacement characters.

    :raises ArticleParseError: "binary or unknown encoding" for NUL bytes, control characters
        (more than one in ``MAX_CONTROL_SHARE``) or bytes that decode in none of these encodings.
    """
    text = _decode(data)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.rstrip("\x1a")  # the DOS end-of-file mark some old Shift_JIS files carry
    m = _CONTROL_RE.search(text)
    # Binary data is full of control characters; a text file may carry a stray one (a BEL, an
    # ANSI colour escape pasted from a terminal), which is stripped when the article is prepared.
    if m and len(_CONTROL_RE.findall(text)) * MAX_CONTROL_SHARE >= len(text):
        raise binary("control", code=ord(m.group()), at=m.start())
    return text


def _decode(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8) :].decode("utf-8")
        except UnicodeDecodeError as e:
            raise binary("bad_utf8_bom", reason=e.reason) from e
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise binary("utf32")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as e:
            raise binary("bad_utf16_bom", reason=e.reason) from e
    if b"\x00" in data:
        raise binary("nul_no_bom")
    return decode_utf8_or_cp932(data)


def decode_utf8_or_cp932(data: bytes) -> str:
    """UTF-8, else Shift_JIS (CP932), as Japanese files come; a clear error names the bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp932")
    except UnicodeDecodeError as e:
        raise binary("not_cp932", at=e.start) from e


def sniff_text(head: bytes) -> str | None:
    """Best-effort decode of the first bytes of a file for format detection; None if binary.

    The head may end inside a character, so the last few bytes are allowed to be invalid.
    """
    for cut in range(4):
        try:
            return decode_text(head[: len(head) - cut] if cut else head)
        except ArticleParseError:
            if len(head) - cut <= 0:
                break
    return None


A_DATE = Msg("date_what")  # what parse_datetime calls a value by default


def parse_datetime(value: str, *, what: str | Msg = A_DATE) -> datetime:
    """Parse an ISO 8601 date or date-time; a date alone is midnight in Tokyo, a naive time is +09:00.

    Also accepts the livedoor corpus form ``2010-05-22T14:30:00+0900``.

    :raises ArticleParseError: with the value quoted, when it is not ISO 8601.
    """
    s = value.strip()
    if not s:
        raise ArticleParseError.keyed("reject_date_empty", what=what)
    try:
        if len(s) == 10 and s[4] == "-" and s[7] == "-":
            return datetime.combine(date.fromisoformat(s), time(0, 0), tzinfo=JST)
        dt = datetime.fromisoformat(s)
    except (ValueError, IndexError) as e:
        raise ArticleParseError.keyed("reject_date_not_iso", what=what, value=value[:60]) from e
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=JST)
    try:
        dt.astimezone(UTC)  # years 1 and 9999 overflow when converted
    except OverflowError as e:
        raise ArticleParseError.keyed("reject_date_range", what=what, value=value[:60]) from e
    return dt
