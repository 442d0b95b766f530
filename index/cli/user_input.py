"""Reading what a user typed without letting one bad byte stop a command.

Standard input is read as bytes and each line is decoded on its own, so a line that is not valid
UTF-8 becomes an error for that line and the following lines are still read. Python decodes
``sys.argv`` with ``surrogateescape``, so an argument that was not valid UTF-8 arrives holding
lone surrogates; :func:`utf8_problem` says so before the text reaches the tokenizer or SQLite.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from index.messages import Lang, t


@dataclass(frozen=True)
class InputLine:
    """One line of input: ``text`` (undecodable bytes shown as U+FFFD) and, when the line is not
    valid UTF-8, ``error`` saying where."""

    number: int
    text: str
    error: str | None = None


def _decode(raw: bytes, number: int, lang: Lang) -> InputLine:
    raw = raw.rstrip(b"\r\n")
    try:
        return InputLine(number, raw.decode("utf-8"))
    except UnicodeDecodeError as e:
        return InputLine(
            number,
            raw.decode("utf-8", errors="replace"),
            t(lang, "input_line_not_utf8", line=number, byte=raw[e.start], offset=e.start),
        )


def input_lines(stream: IO[str] | IO[bytes], lang: Lang = "ja") -> Iterator[InputLine]:
    """The lines of ``stream`` (``sys.stdin`` or any text or binary stream), decoded one by one;
    a line's ``error`` is in ``lang``.

    A text stream with a binary ``buffer`` (``sys.stdin``) is read through the buffer, so the
    decoding does not depend on the locale and an invalid line does not end the loop.
    """
    binary = getattr(stream, "buffer", None)
    source = binary if binary is not None else stream
    for number, line in enumerate(source, 1):
        if isinstance(line, bytes):
            yield _decode(line, number, lang)
        else:
            text = line.rstrip("\r\n")
            problem = utf8_problem(text, lang)
            if problem is None:
                yield InputLine(number, text)
            else:
                error = t(lang, "input_line_problem", line=number, problem=problem)
                yield InputLine(number, _replace_surrogates(text), error)


def _replace_surrogates(text: str) -> str:
    return "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in text)


def utf8_problem(text: str, lang: Lang = "ja") -> str | None:
    """None for text that is valid Unicode, else why not, in ``lang`` (an argument with bytes
    that were not UTF-8, or a lone surrogate)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        c = ord(text[e.start])
        if 0xDC80 <= c <= 0xDCFF:  # surrogateescape: the byte that was not UTF-8
            return t(lang, "input_not_utf8", byte=c - 0xDC00, at=e.start)
        return t(lang, "input_lone_surrogate", code=c, at=e.start)
    return None
