"""Discord's size limits in one place, and truncation that respects them."""

from __future__ import annotations

# Message and embed limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits).
CONTENT = 2000  # characters of a message's content
EMBEDS_PER_MESSAGE = 10
EMBED_TOTAL = 6000  # sum of title, description, field names/values, footer text, author name
EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
EMBED_FIELDS = 25
EMBED_FIELD_NAME = 256
EMBED_FIELD_VALUE = 1024
EMBED_FOOTER = 2048
EMBED_AUTHOR = 256

# Components and application commands.
CUSTOM_ID = 100
BUTTON_LABEL = 80
CHOICES = 25  # choices of an option, and results of one autocomplete
CHOICE_NAME = 100
CHOICE_VALUE = 100
COMMAND_DESCRIPTION = 100

ELLIPSIS = "…"


def truncate(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending with "…" when something was cut.

    Cuts at a character (code point) boundary; a surrogate-free ``str`` never splits a character.
    Trailing whitespace before the ellipsis is dropped. ``limit`` ≤ 0 gives "".
    """
    if limit <= 0:
        return ""
    if len(text) <= limit:
        return text
    if limit == 1:
        return ELLIPSIS
    return text[: limit - 1].rstrip() + ELLIPSIS
