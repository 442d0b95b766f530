"""Stripping Discord and Markdown markup from a question before it is analysed.

A question typed in Discord can carry mentions (``<@123>``, ``<@!123>``, ``<@&123>``, ``<#123>``),
custom emoji (``<:name:123>``, ``<a:name:123>``), timestamps (``<t:1700000000:R>``), URLs and
Markdown (``**bold**``, ``__underline__``, ``~~strike~~``, ``||spoiler||``, `` `code` ``, quotes,
headings). None of it is a search term: mentions, emoji, timestamps and URLs are removed, and
formatting marks are dropped while the words inside them are kept.
"""

from __future__ import annotations

import re

# Discord entities: user/role/channel mentions, custom emoji, timestamps, slash-command mentions.
_ENTITY = re.compile(r"<(?:@[!&]?\d+|#\d+|a?:\w+:\d+|t:-?\d+(?::[tTdDfFR])?|/[\w -]+:\d+)>")
_EVERYONE = re.compile(r"@(?:everyone|here)\b")
_URL = re.compile(r"<?(?:https?|ftp)://[^\s<>]+>?|\bwww\.[^\s<>]+")
# [text](url) keeps its text; the URL alone is removed by _URL afterwards.
_LINK = re.compile(r"\[([^\]\n]*)\]\((?:[^)\s]+)\)")
_FENCE = re.compile(r"```[^\n`]*\n?")
_INLINE_CODE = re.compile(r"`+")
# Paired emphasis marks; the inner text stays.
_EMPHASIS = re.compile(r"(\*\*\*|\*\*|__|~~|\|\|)(?=\S)(.+?)(?<=\S)\1", re.DOTALL)
# Single * and _ only between non-alphanumerics, so snake_case and 2*3*4 survive.
_SINGLE = re.compile(r"(?<![A-Za-z0-9])([*_])(?=\S)([^*_\n]+?)(?<=\S)\1(?![A-Za-z0-9])")
# Block markers at the start of a line: quotes, headings, subtext, list bullets.
_LINE_MARKERS = re.compile(r"^[ \t]*(?:>>>\s?|>\s?|#{1,3}\s+|-#\s+|[-*+]\s+)", re.MULTILINE)
# :shortcode: emoji as typed (Discord renders them; the text still arrives as the shortcode).
_SHORTCODE = re.compile(r":[a-z0-9_+-]{2,32}:")
_SPACES = re.compile(r"[ \t\u3000]+")


def strip_markup(text: str) -> str:
    """The words of ``text`` without Discord/Markdown markup, blanks collapsed; never raises."""
    text = _ENTITY.sub(" ", text)
    text = _EVERYONE.sub(" ", text)
    text = _LINK.sub(r"\1", text)
    text = _URL.sub(" ", text)
    text = _FENCE.sub(" ", text)
    text = _INLINE_CODE.sub("", text)
    for _ in range(3):  # nested emphasis such as ***||x||***
        new = _SINGLE.sub(r"\2", _EMPHASIS.sub(r"\2", text))
        if new == text:
            break
        text = new
    text = _LINE_MARKERS.sub("", text)
    text = _SHORTCODE.sub(" ", text)
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)
