"""The bot's side of the message catalogue (:mod:`index.messages`): Japanese command names for
Discord (a ``Translator``) and replies in the language of the interaction's locale."""

from __future__ import annotations

import discord
from discord import app_commands

from index import messages
from index.messages import COMMAND_JA, Lang

__all__ = ["KijiTranslator", "Lang", "_", "lang", "t"]


class KijiTranslator(app_commands.Translator):
    """Gives Japanese clients the names and descriptions of :data:`index.messages.COMMAND_JA`."""

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        if locale is discord.Locale.japanese:
            return COMMAND_JA.get(string.message)
        return None


def _(message: str) -> app_commands.locale_str:
    """Mark a command string for translation (the English text is the key)."""
    return app_commands.locale_str(message)


def lang(locale: discord.Locale | str | None) -> Lang:
    """Reply language for an interaction's locale: English for en-US/en-GB, else Japanese."""
    return messages.lang_from_locale(None if locale is None else str(locale))


def t(locale: discord.Locale | str | None, key: str, /, **kw: object) -> str:
    """The reply ``key`` in the interaction's language, formatted with ``kw``."""
    return messages.t(lang(locale), key, **kw)
