"""The one place where errors become replies (``tree.on_error`` and button callbacks call it).

Domain errors (the core's ``NewsIndexError`` and the bot's checks) become an ephemeral
explanation; anything else is logged with its traceback and the user gets a short generic message.
"""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from bot.i18n import lang, t
from bot.respond import reply
from index.errors import NewsIndexError

log = logging.getLogger(__name__)


class NotModerator(app_commands.CheckFailure):
    """The user has neither Manage Server nor the guild's moderator role."""


class OnCooldown(app_commands.CheckFailure):
    """A command used faster than its per-user limit allows (:func:`bot.guards.cooldown`)."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"on cooldown: retry in {retry_after:.1f} s")
        self.retry_after = retry_after


class NotOwner(app_commands.CheckFailure):
    """The command is for the bot's owners only."""


class UserFacingError(Exception):
    """An explanation (already in the user's language) to show as it is, ephemerally."""


def explain(error: BaseException, locale: discord.Locale | str | None) -> str | None:
    """The user-facing explanation of a domain error, or None for an unexpected one."""
    if isinstance(error, app_commands.CommandInvokeError | app_commands.TransformerError):
        error = error.__cause__ or getattr(error, "original", error)
    if isinstance(error, OnCooldown):
        return t(locale, "cooldown", seconds=max(1.0, error.retry_after))
    if isinstance(error, NotModerator):
        return t(locale, "not_moderator")
    if isinstance(error, NotOwner):
        return t(locale, "not_owner")
    if isinstance(error, app_commands.NoPrivateMessage):
        return t(locale, "guild_only")
    if isinstance(error, app_commands.BotMissingPermissions):
        return t(locale, "bot_missing_permissions", perms=", ".join(error.missing_permissions))
    if isinstance(error, app_commands.MissingPermissions):
        return t(locale, "not_moderator")
    if isinstance(error, NewsIndexError):
        return error.text(lang(locale))
    if isinstance(error, UserFacingError):
        return str(error)
    return None


async def report_error(interaction: discord.Interaction, error: BaseException) -> None:
    """Tell the user what went wrong (ephemeral); log the unexpected with its traceback."""
    message = explain(error, interaction.locale)
    if message is None:
        command = interaction.command.qualified_name if interaction.command else "component"
        original = getattr(error, "original", error)
        log.error(
            "error in %s (guild %s, user %s)",
            command,
            interaction.guild_id,
            interaction.user.id if interaction.user else None,
            exc_info=(type(original), original, original.__traceback__),
        )
        message = t(interaction.locale, "generic_error")
    else:
        log.debug("domain error in interaction %s: %s", interaction.id, type(error).__name__)
    try:
        await reply(interaction, message, ephemeral=True)
    except discord.HTTPException:
        log.warning("could not report an error to the user of interaction %s", interaction.id)
