"""Answering interactions: defer, then reply; every message carries ``AllowedMentions.none()``."""

from __future__ import annotations

import logging
from typing import Any

import discord

from bot.limits import CONTENT, truncate

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()

# interaction.extras key: a public "thinking…" placeholder is waiting for its first followup.
_PENDING = "kiji_pending_public_defer"


async def defer(interaction: discord.Interaction, *, ephemeral: bool) -> None:
    """Acknowledge a command at once ("kiji is thinking…"); call before any work.

    Discord requires a first response within 3 s; the answer then has 15 minutes.
    """
    await interaction.response.defer(thinking=True, ephemeral=ephemeral)
    if not ephemeral:
        interaction.extras[_PENDING] = True


async def reply(
    interaction: discord.Interaction,
    content: str | None = None,
    *,
    embed: discord.Embed | None = None,
    embeds: list[discord.Embed] | None = None,
    view: discord.ui.View | None = None,
    ephemeral: bool = False,
) -> None:
    """Answer ``interaction``: the first response if none was sent yet, else a followup.

    An ephemeral reply after a public ``defer`` removes the public placeholder first, since the
    first followup would otherwise take the placeholder's visibility.
    """
    kw: dict[str, Any] = {"allowed_mentions": NO_MENTIONS, "ephemeral": ephemeral}
    if content is not None:
        kw["content"] = truncate(content, CONTENT)
    if embed is not None:
        kw["embed"] = embed
    if embeds is not None:
        kw["embeds"] = embeds
    if view is not None:
        kw["view"] = view
    if not interaction.response.is_done():
        await interaction.response.send_message(**kw)
        return
    if interaction.extras.pop(_PENDING, False) and ephemeral:
        try:
            await interaction.delete_original_response()
        except discord.HTTPException:
            log.debug("could not delete the placeholder of interaction %s", interaction.id)
    await interaction.followup.send(**kw)
