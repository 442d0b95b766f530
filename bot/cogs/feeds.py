"""FeedsCog: /feeds add | list | remove | poll (moderators), and the background poll loop.

The FeedManager fetches over the network and writes to the index, so it runs in the writer's
thread (its own connection), never on the event loop and never in the reader's thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot import render
from bot.checks import ensure_moderator
from bot.errors import UserFacingError
from bot.guards import Limits, cooldown
from bot.i18n import _, lang, t
from bot.jobs import JobGate
from bot.limits import truncate
from bot.respond import defer, reply
from bot.state.settings import SettingsStore
from bot.worker import IndexContext, IndexWorker
from index.ingest.feeds import FeedManager, FeedStatus, PollResult
from index.ingest.fetch import Fetcher
from index.ops.metrics import KijiMetrics

log = logging.getLogger(__name__)

T = TypeVar("T")

POLL_EVERY_MINUTES = 5  # the loop only polls feeds that are due (FeedManager keeps the schedule)


class FeedsCog(commands.Cog):
    feeds = app_commands.Group(
        name=_("feeds"),
        description=_("Manage the news feeds kiji reads (moderators)"),
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )

    def __init__(
        self,
        writer: IndexWorker | None,
        settings: SettingsStore,
        *,
        clock: Callable[[], datetime],
        fetcher: Fetcher | None = None,
        background: bool = False,
        metrics: KijiMetrics | None = None,
        limits: Limits | None = None,
        gate: JobGate | None = None,
    ) -> None:
        self.writer = writer
        self.gate = gate if gate is not None else JobGate("feeds", True)
        self.metrics = metrics
        self.limits = limits
        self.settings = settings
        self.clock = clock
        self.fetcher = fetcher or Fetcher()
        self.background = background
        self._manager: FeedManager | None = None  # used only inside the writer thread

    def manager(self, ctx: IndexContext) -> FeedManager:
        if self._manager is None:
            self._manager = FeedManager(
                ctx.store, ctx.tokenizer, clock=self.clock, fetcher=self.fetcher
            )
        return self._manager

    async def run(self, fn: Callable[[IndexContext], T]) -> T:
        """Run ``fn`` in the writer's thread."""
        if self.writer is None:  # a bot built only to list or sync its commands
            raise UserFacingError(t(None, "feeds_unavailable"))
        return await self.writer.run(fn)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:  # type: ignore[override]
        """The one check of every /feeds subcommand (``default_permissions`` is only a hint that
        server admins can override): moderators only, refused before any option is read."""
        ensure_moderator(interaction, self.settings)
        return True

    async def cog_load(self) -> None:
        if self.background and self.writer is not None:
            self.poll_loop.start()

    async def cog_unload(self) -> None:
        self.poll_loop.cancel()

    @tasks.loop(minutes=POLL_EVERY_MINUTES)
    async def poll_loop(self) -> None:
        if not await self.gate.ready():  # one poller: shard 0's process, or the feeds leader
            return
        try:
            gate = self.gate  # a poller that loses its leadership stops between two feeds

            def poll(ctx: IndexContext) -> list[PollResult]:
                return self.manager(ctx).poll(keep_going=lambda: gate.running)

            results = await self.run(poll)
        except Exception:
            if self.metrics is not None:
                self.metrics.record_feed_error()
            log.exception("background feed poll failed")
            return
        self._count(results)
        new = sum(r.new for r in results)
        if new:
            log.info("background poll: %d new articles from %d feeds", new, len(results))

    # ------------------------------------------------------------------ helpers
    def _count(self, results: list[PollResult]) -> None:
        if self.metrics is not None:
            self.metrics.record_feed_poll(results)

    async def guild_feeds(self, guild_id: int) -> list[FeedStatus]:
        feeds = await self.run(lambda ctx: self.manager(ctx).list())
        return [f for f in feeds if f.guild_id == guild_id]

    # ------------------------------------------------------------------ commands
    @feeds.command(name=_("add"), description=_("Subscribe to an RSS or Atom feed"))
    @app_commands.rename(url=_("url"))
    @app_commands.describe(url=_("Address of the feed (https://…)"))
    @cooldown(3, 60.0)
    async def add(
        self, interaction: discord.Interaction, url: app_commands.Range[str, 1, 2000]
    ) -> None:
        guild_id = interaction.guild_id
        if self.limits is not None and guild_id is not None:
            self.limits.feed_addition(guild_id, interaction.locale)  # before any fetch
        await defer(interaction, ephemeral=True)

        def job(ctx: IndexContext) -> tuple[FeedStatus, list[PollResult]]:
            manager = self.manager(ctx)
            status = manager.add(url, guild_id=guild_id)
            return status, manager.poll(status.url)

        status, results = await self.run(job)
        self._count(results)
        lines = [
            t(
                interaction.locale,
                "feed_added",
                feed=render.link(status.title or status.url, status.url),
            )
        ]
        lines.append(poll_summary(results, interaction.locale))
        await reply(interaction, embed=render.notice_embed("\n".join(lines)), ephemeral=True)

    @feeds.command(name=_("list"), description=_("List subscribed feeds"))
    async def list(self, interaction: discord.Interaction) -> None:
        await defer(interaction, ephemeral=True)
        assert interaction.guild_id is not None
        feeds = await self.guild_feeds(interaction.guild_id)
        embed = render.list_embed(
            t(interaction.locale, "feeds_title"),
            [feed_line(f, interaction.locale) for f in feeds],
            interaction.locale,
            empty=t(interaction.locale, "feeds_none"),
        )
        await reply(interaction, embed=embed, ephemeral=True)

    @feeds.command(name=_("remove"), description=_("Unsubscribe from a feed"))
    @app_commands.rename(url=_("url"))
    @app_commands.describe(url=_("Address of the feed (https://…)"))
    async def remove(
        self, interaction: discord.Interaction, url: app_commands.Range[str, 1, 2000]
    ) -> None:
        await defer(interaction, ephemeral=True)
        assert interaction.guild_id is not None
        mine = {f.url for f in await self.guild_feeds(interaction.guild_id)}
        shown = render.escape(truncate(url, 200))
        if url.strip() not in mine:
            # A feed another server added is not this server's to remove.
            raise UserFacingError(t(interaction.locale, "feed_unknown", feed=shown))
        await self.run(lambda ctx: self.manager(ctx).remove(url))
        await reply(interaction, t(interaction.locale, "feed_removed", feed=shown), ephemeral=True)

    @remove.autocomplete("url")
    async def remove_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        feeds = await self.guild_feeds(interaction.guild_id)
        return [
            app_commands.Choice(name=truncate(f.title or f.url, 100), value=f.url)
            for f in feeds
            if current.lower() in (f.url + (f.title or "")).lower() and len(f.url) <= 100
        ][:25]

    @feeds.command(name=_("poll"), description=_("Fetch new articles from every feed now"))
    @cooldown(1, 60.0)
    async def poll(self, interaction: discord.Interaction) -> None:
        await defer(interaction, ephemeral=True)
        assert interaction.guild_id is not None
        urls = [f.url for f in await self.guild_feeds(interaction.guild_id)]

        def job(ctx: IndexContext) -> list[PollResult]:
            manager = self.manager(ctx)
            return [r for u in urls for r in manager.poll(u, force=True)]

        results = await self.run(job)
        self._count(results)
        await reply(interaction, poll_summary(results, interaction.locale), ephemeral=True)


def feed_line(f: FeedStatus, locale: discord.Locale | str | None) -> str:
    """One feed in /feeds list: its link, then its state (last success or last error, in the
    viewer's language)."""
    state = []
    if f.last_success_at:
        state.append(f"✅ {discord.utils.format_dt(f.last_success_at, 'f')}")  # viewer's zone
    error = f.error_text(lang(locale))
    if error:
        state.append(f"⚠️ {render.escape(truncate(error, 120))}")
    state.append(f"{f.items_ingested}")
    return f"・{render.link(f.title or f.url, f.url)}\n　{' ・ '.join(state)}"


def poll_summary(results: list[PollResult], locale: discord.Locale | str | None) -> str:
    text = t(
        locale,
        "feeds_polled",
        feeds=len(results),
        added=sum(r.new for r in results),
        updated=sum(r.updated for r in results),
    )
    errors = [r for r in results if r.status == "error"]
    for r in errors[:5]:
        error = render.escape(truncate(r.error_text(lang(locale)), 200))
        text += f"\n⚠️ {render.escape(truncate(r.url, 100))}: {error}"
    return text


async def setup(bot: commands.Bot) -> None:
    from bot.client import NewsBot

    assert isinstance(bot, NewsBot)
    await bot.add_cog(
        FeedsCog(
            bot.writer,
            bot.guild_settings,
            clock=bot.clock,
            fetcher=Fetcher(allow_private=bot.settings.feeds_allow_private),
            background=bot.background_tasks,
            metrics=bot.metrics,
            limits=bot.limits,
            gate=bot.jobs["feeds"],
        )
    )
