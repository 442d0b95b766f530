"""Text hygiene: what is stripped from article text at ingest and escaped on terminal output.

Articles come from files and feeds nobody vetted. Control characters (a BEL, an ANSI escape that
recolours or clears a terminal), bidirectional overrides (U+202E makes ``gpj.exe`` read
``exe.jpg``) and zero-width characters (invisible differences between two equal-looking titles)
have no place in news text. :func:`clean_text` removes them when an article is prepared for the
index, for every parser; :func:`printable` makes whatever is already stored harmless on a terminal.
"""

from __future__ import annotations

import re

# ANSI/VT escape sequences are removed whole, not only their ESC, so "\x1b[31m" leaves no "[31m".
_ANSI = r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]"
# C0 controls except tab and newline, DEL, C1 controls; bidi embeddings/overrides/isolates and
# marks; zero-width and invisible formatting characters (the BOM included).
_INVISIBLE = (
    "\x00-\x08\x0b-\x1f\x7f-\x9f"
    "\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\u206a-\u206f\ufeff"
)
_STRIP_RE = re.compile(f"\r\n?|{_ANSI}|[{_INVISIBLE}]")
_ESCAPE_RE = re.compile(f"[{_INVISIBLE}\u2028\u2029\ud800-\udfff]")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """``text`` without escape sequences, control characters (tab and newline kept), bidi
    controls and zero-width characters. A carriage return becomes a newline."""
    if _STRIP_RE.search(text) is None:  # the usual case: nothing to do, nothing copied
        return text
    return _STRIP_RE.sub(_strip, text)


def _strip(m: re.Match[str]) -> str:
    return "\n" if m.group().startswith("\r") else ""


def clean_line(text: str) -> str:
    """:func:`clean_text` for one-line fields (titles, headings): whitespace runs become one space."""
    return " ".join(clean_text(text).split())


def lone_surrogate(text: str) -> str | None:
    """The first lone surrogate in ``text`` (``"\\ud800"``), or None; such text cannot be stored."""
    m = _SURROGATE_RE.search(text)
    return m.group() if m else None


def printable(text: str) -> str:
    """``text`` safe to print on a terminal: every control character but newline and tab, every
    bidi, invisible or lone surrogate character is shown as an escape (``\\x1b``, ``\\u202e``)."""
    if _ESCAPE_RE.search(text) is None:
        return text
    return _ESCAPE_RE.sub(_escape, text)


def _escape(m: re.Match[str]) -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
