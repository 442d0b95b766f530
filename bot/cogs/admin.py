"""AdminCog: /kiji stats | help | config | sync."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.checks import ensure_moderator, ensure_owner
from bot.guards import cooldown
from bot.i18n import _, t
from bot.respond import defer, reply
from bot.state.settings import SettingsStore
from bot.worker import IndexContext, IndexWorker
from index.models import StoredArticle
from index.store.feedback_store import FeedbackStore, HelpfulRate

log = logging.getLogger(__name__)

VISIBILITY_CHOICES = [
    app_commands.Choice(name=_("public"), value="public"),
    app_commands.Choice(name=_("only the asker"), value="ephemeral"),
]
HELPFUL_WINDOW = timedelta(days=7)  # /kiji stats: the week's helpful rate
SCOPE_CHOICES = [
    app_commands.Choice(name=_("this server"), value="guild"),
    app_commands.Choice(name=_("everywhere"), value="global"),
]


class AdminCog(commands.Cog):
    kiji = app_commands.Group(name=_("kiji"), description=_("About kiji and its settings"))

    def __init__(
        self,
        index: IndexWorker,
        settings: SettingsStore,
        *,
        tree: app_commands.CommandTree,
        owner_ids: frozenset[int] = frozenset(),
        guild_count: Callable[[], int] = lambda: 0,
        latency: Callable[[], float] = lambda: math.nan,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.index = index
        self.settings = settings
        self.tree = tree
        self.owner_ids = owner_ids
        self.guild_count = guild_count
        self.latency = latency
        self.clock = clock

    @kiji.command(
        name=_("stats"), description=_("How many articles kiji knows, and how it is doing")
    )
    @cooldown(2, 30.0)
    async def stats(self, interaction: discord.Interaction) -> None:
        await defer(interaction, ephemeral=self.settings.get(interaction.guild_id).ephemeral)

        since = self.clock() - HELPFUL_WINDOW

        def job(
            ctx: IndexContext,
        ) -> tuple[dict[str, int | float], StoredArticle | None, HelpfulRate]:
            latest = ctx.store.latest_articles(1)
            helpful = FeedbackStore(ctx.store).helpful_rate(since)
            return ctx.store.stats(), (latest[0] if latest else None), helpful

        stats, newest, helpful = await self.index.run(job)
        latency = self.latency()
        embed = render.stats_embed(
            stats,
            interaction.locale,
            guilds=self.guild_count(),
            latency_ms=None if math.isnan(latency) or math.isinf(latency) else latency * 1000,
            newest=newest,
            helpful=helpful,
        )
        await reply(interaction, embed=embed)

    @kiji.command(name=_("help"), description=_("How to use kiji"))
    async def help(self, interaction: discord.Interaction) -> None:
        await reply(interaction, embed=render.help_embed(interaction.locale), ephemeral=True)

    @kiji.command(name=_("config"), description=_("View or change kiji's settings for this server"))
    @app_commands.rename(
        visibility=_("visibility"),
        moderator_role=_("moderator_role"),
        clear_moderator_role=_("clear_moderator_role"),
        add_channel=_("add_channel"),
        remove_channel=_("remove_channel"),
    )
    @app_commands.describe(
        visibility=_("Who sees kiji's replies"),
        moderator_role=_("Role allowed to manage feeds, digests and settings"),
        clear_moderator_role=_("Remove the moderator role (Manage Server stays required)"),
        add_channel=_("Answer @kiji mentions in this channel"),
        remove_channel=_("Stop answering mentions in this channel"),
    )
    @app_commands.choices(visibility=VISIBILITY_CHOICES)
    @app_commands.guild_only()
    async def config(
        self,
        interaction: discord.Interaction,
        visibility: app_commands.Choice[str] | None = None,
        moderator_role: discord.Role | None = None,
        clear_moderator_role: bool = False,
        add_channel: discord.TextChannel | None = None,
        remove_channel: discord.TextChannel | None = None,
    ) -> None:
        """Without options: show the settings (anyone). With options: change them (moderators)."""
        if interaction.guild_id is None:
            raise app_commands.NoPrivateMessage()
        changing = (
            any(x is not None for x in (visibility, moderator_role, add_channel, remove_channel))
            or clear_moderator_role
        )
        if changing:
            ensure_moderator(interaction, self.settings)
        await defer(interaction, ephemeral=True)
        gs = self.settings.get(interaction.guild_id)
        if changing:
            gs = await self.settings.update(
                interaction.guild_id,
                visibility=visibility.value if visibility else None,  # type: ignore[arg-type]
                moderator_role_id=moderator_role.id if moderator_role else None,
                clear_moderator_role=clear_moderator_role,
                add_channel=add_channel.id if add_channel else None,
                remove_channel=remove_channel.id if remove_channel else None,
            )
            log.info("guild %s settings changed by %s", interaction.guild_id, interaction.user.id)
        embed = render.config_embed(
            locale=interaction.locale,
            ephemeral=gs.ephemeral,
            moderator_role_id=gs.moderator_role_id,
            answer_channels=gs.answer_channels,
        )
        await reply(
            interaction,
            t(interaction.locale, "config_saved") if changing else None,
            embed=embed,
            ephemeral=True,
        )

    @kiji.command(name=_("sync"), description=_("Publish the command list to Discord (bot owner)"))
    @app_commands.rename(scope=_("scope"))
    @app_commands.describe(scope=_("Where to publish the commands"))
    @app_commands.choices(scope=SCOPE_CHOICES)
    async def sync(
        self, interaction: discord.Interaction, scope: app_commands.Choice[str] | None = None
    ) -> None:
        await ensure_owner(interaction, self.owner_ids)
        await defer(interaction, ephemeral=True)
        where = scope.value if scope else "guild"
        guild = discord.Object(interaction.guild_id) if interaction.guild_id else None
        if where == "guild" and guild is not None:
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            label = t(interaction.locale, "scope_guild")
        else:
            synced = await self.tree.sync()
            label = t(interaction.locale, "scope_global")
        log.info("commands synced by %s: %d (%s)", interaction.user.id, len(synced), where)
        await reply(
            interaction, t(interaction.locale, "synced", n=len(synced), scope=label), ephemeral=True
        )


async def setup(bot: commands.Bot) -> None:
    from bot.client import NewsBot

    assert isinstance(bot, NewsBot)
    await bot.add_cog(
        AdminCog(
            bot.index,
            bot.guild_settings,
            tree=bot.tree,
            owner_ids=bot.settings.owner_ids,
            guild_count=lambda: len(bot.guilds),
            latency=lambda: bot.latency,
            clock=bot.clock,
        )
    )
