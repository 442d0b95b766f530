"""FeedbackCog: the 👍 / 👎 buttons under answers (the buttons themselves are bot/views.py's)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

import discord
from discord.ext import commands

from bot.feedback import BotFeedback
from bot.guards import Limits
from bot.i18n import t
from bot.respond import reply
from bot.views import VoteKind
from index.store.feedback_store import AnswerNotFound

log = logging.getLogger(__name__)


class FeedbackCog(commands.Cog):
    """Records members' votes on answers: one per member per answer, a second click replaces it."""

    def __init__(
        self,
        feedback: BotFeedback,
        *,
        clock: Callable[[], datetime],
        limits: Limits | None = None,
    ) -> None:
        self.feedback = feedback
        self.clock = clock
        self.limits = limits

    async def on_vote_button(
        self, interaction: discord.Interaction, vote: VoteKind, answer_id: int
    ) -> None:
        """Record the clicker's vote and tell them (only them) that it counted.

        A vote takes from the same per-member and per-guild budgets as the other buttons and
        questions (:class:`RateLimited` becomes an ephemeral explanation, nothing is recorded)."""
        if self.limits is not None:
            self.limits.question(interaction.user.id, interaction.guild_id, interaction.locale)
        await interaction.response.defer(thinking=True, ephemeral=True)
        locale = interaction.locale
        mark = "👍" if vote == "up" else "👎"
        try:
            result = await self.feedback.vote(
                answer_id,
                interaction.user.id,
                1 if vote == "up" else -1,
                guild_id=interaction.guild_id,
                now=self.clock(),
            )
        except AnswerNotFound:
            await reply(interaction, t(locale, "vote_expired"), ephemeral=True)
            return
        log.info(
            "vote %s on answer %d in guild %s (%s)",
            vote,
            answer_id,
            interaction.guild_id,
            result.outcome,
            extra={"guild": interaction.guild_id, "command": "vote", "status": result.outcome},
        )
        await reply(interaction, t(locale, f"vote_{result.outcome}", mark=mark), ephemeral=True)


async def setup(bot: commands.Bot) -> None:
    from bot.client import NewsBot

    assert isinstance(bot, NewsBot)
    await bot.add_cog(FeedbackCog(bot.feedback, clock=bot.clock, limits=bot.limits))
