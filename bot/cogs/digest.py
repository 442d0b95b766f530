"""DigestCog: /digest preview | post | schedule | off | status (moderators), and the minute loop
that drives the scheduler (bot/scheduler.py owns the rules; this cog only calls it)."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot import render, render_digest
from bot.checks import ensure_moderator
from bot.errors import UserFacingError
from bot.guards import cooldown
from bot.i18n import _, t
from bot.jobs import JobGate
from bot.respond import defer, reply
from bot.scheduler import DigestScheduler
from bot.state.settings import SettingsStore

log = logging.getLogger(__name__)

DEFAULT_TZ = "Asia/Tokyo"
_TIME = re.compile(r"^\s*(\d{1,2})[:：](\d{2})\s*$")


def parse_day(text: str | None, locale: discord.Locale | str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UserFacingError(t(locale, "bad_day")) from None


def parse_time(text: str, locale: discord.Locale | str | None) -> time:
    m = _TIME.match(text)
    if not m or int(m[1]) > 23 or int(m[2]) > 59:
        raise UserFacingError(t(locale, "bad_time"))
    return time(int(m[1]), int(m[2]))


def parse_tz(text: str | None, locale: discord.Locale | str | None) -> str:
    name = (text or DEFAULT_TZ).strip()
    try:
        return ZoneInfo(name).key
    except (ZoneInfoNotFoundError, ValueError):
        raise UserFacingError(t(locale, "bad_tz", tz=render.escape(name[:60]))) from None


class DigestCog(commands.Cog):
    digest = app_commands.Group(
        name=_("digest"),
        description=_("The daily news digest (moderators)"),
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )

    def __init__(
        self,
        scheduler: DigestScheduler | None,
        settings: SettingsStore,
        *,
        clock: Callable[[], datetime],
        owns: Callable[[int], bool] = lambda guild_id: True,
        background: bool = False,
        wait_ready: Callable[[], Awaitable[None]] | None = None,
        gate: JobGate | None = None,
    ) -> None:
        self._scheduler = scheduler
        self.gate = gate if gate is not None else JobGate("scheduler", True)
        self.settings = settings
        self.clock = clock
        self.owns = owns
        self.background = background
        self.wait_ready = wait_ready

    @property
    def scheduler(self) -> DigestScheduler:
        if self._scheduler is None:  # a bot built only to list or sync its commands
            raise UserFacingError(t(None, "digest_unavailable"))
        return self._scheduler

    async def interaction_check(self, interaction: discord.Interaction) -> bool:  # type: ignore[override]
        """The one check of every /digest subcommand (``default_permissions`` is only a hint
        that server admins can override): moderators only, refused before any option is read."""
        ensure_moderator(interaction, self.settings)
        return True

    async def cog_load(self) -> None:
        if self.background and self._scheduler is not None:
            self.tick_loop.start()

    async def cog_unload(self) -> None:
        self.tick_loop.cancel()

    @tasks.loop(minutes=1)
    async def tick_loop(self) -> None:
        # Only while this process runs the scheduler (its leader on PostgreSQL), and only the
        # guilds it ``owns`` (bot.client.NewsBot.runs_digest_of): no digest is posted twice.
        if not await self.gate.ready():
            return
        try:
            results = await self.scheduler.tick(self.owns)
        except Exception:
            log.exception("digest tick failed")
            return
        for r in results:
            log.info("digest %s guild %s channel %s: %s", r.day, r.guild_id, r.channel_id, r.status)

    @tick_loop.before_loop
    async def _before_tick(self) -> None:
        # Before READY no guild is cached, so ``owns`` would be False for every guild.
        if self.wait_ready is not None:
            await self.wait_ready()

    async def default_day(self, guild_id: int) -> date:
        """The day a run right now would cover: yesterday in the schedule's zone (today for a
        same-day schedule)."""
        status = await self.scheduler.status(guild_id)
        schedule = status.schedule
        zone = ZoneInfo(schedule.tz if schedule else DEFAULT_TZ)
        today = self.clock().astimezone(zone).date()
        return today if schedule and schedule.same_day else today - timedelta(days=1)

    # ------------------------------------------------------------------ commands
    @digest.command(name=_("preview"), description=_("Show a digest here, only to you"))
    @app_commands.rename(day=_("day"))
    @app_commands.describe(
        day=_("Day in YYYY-MM-DD (default: the day a scheduled post would cover)")
    )
    @cooldown(3, 60.0)
    async def preview(self, interaction: discord.Interaction, day: str | None = None) -> None:
        wanted = parse_day(day, interaction.locale)
        await defer(interaction, ephemeral=True)
        assert interaction.guild_id is not None
        digest = await self.scheduler.preview(interaction.guild_id, wanted)
        for embeds in render_digest.digest_messages(digest, interaction.locale):
            await reply(interaction, embeds=embeds, ephemeral=True)

    @digest.command(name=_("post"), description=_("Post a day's digest to a channel now"))
    @app_commands.rename(channel=_("channel"), day=_("day"), again=_("again"))
    @app_commands.describe(
        channel=_("Channel to post in"),
        day=_("Day in YYYY-MM-DD (default: the day a scheduled post would cover)"),
        again=_("Post even if this day was already posted"),
    )
    @cooldown(2, 60.0)
    async def post(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel | None = None,
        day: str | None = None,
        again: bool = False,
    ) -> None:
        wanted = parse_day(day, interaction.locale)
        await defer(interaction, ephemeral=True)
        guild_id = interaction.guild_id
        assert guild_id is not None
        channel_id = channel.id if channel else interaction.channel_id
        if channel_id is None:
            raise UserFacingError(t(interaction.locale, "bad_channel"))
        when = wanted or await self.default_day(guild_id)
        result = await self.scheduler.post_now(guild_id, channel_id, when, force=again)
        loc = interaction.locale
        mention = f"<#{channel_id}>"
        if result.status == "posted":
            text = t(loc, "digest_posted", channel=mention, n=len(result.message_ids))
        elif result.status in ("already_posted", "uncertain", "in_progress"):
            text = t(loc, "digest_already", date=when.isoformat())
        else:
            text = post_error_text(result.error or "", loc, mention)
        await reply(interaction, text, ephemeral=True)

    @digest.command(name=_("schedule"), description=_("Post the digest every day at a set time"))
    @app_commands.rename(
        channel=_("channel"), at=_("time"), timezone=_("timezone"), categories=_("categories")
    )
    @app_commands.describe(
        channel=_("Channel to post in"),
        at=_("Time of day, HH:MM"),
        timezone=_("IANA time zone (default Asia/Tokyo)"),
        categories=_("Only these categories, comma-separated"),
    )
    async def schedule(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel,
        at: app_commands.Range[str, 3, 5],
        timezone: app_commands.Range[str, 1, 60] | None = None,
        categories: app_commands.Range[str, 1, 200] | None = None,
    ) -> None:
        loc = interaction.locale
        when = parse_time(at, loc)
        tz = parse_tz(timezone, loc)
        cats = (
            tuple(c.strip() for c in re.split(r"[,、，]", categories) if c.strip())
            if categories
            else None
        )
        await defer(interaction, ephemeral=True)
        assert interaction.guild_id is not None
        await self.scheduler.set_schedule(interaction.guild_id, channel.id, when, tz, cats or None)
        text = t(
            loc, "digest_scheduled", time=when.strftime("%H:%M"), tz=tz, channel=channel.mention
        )
        await reply(interaction, text, ephemeral=True)

    @digest.command(name=_("off"), description=_("Stop the daily digest"))
    async def off(self, interaction: discord.Interaction) -> None:
        await defer(interaction, ephemeral=True)
        assert interaction.guild_id is not None
        was_on = await self.scheduler.disable(interaction.guild_id)
        await reply(
            interaction,
            t(interaction.locale, "digest_off" if was_on else "digest_was_off"),
            ephemeral=True,
        )

    @digest.command(name=_("status"), description=_("Show the digest schedule and the last post"))
    async def status(self, interaction: discord.Interaction) -> None:
        await defer(interaction, ephemeral=True)
        assert interaction.guild_id is not None
        status = await self.scheduler.status(interaction.guild_id)
        await reply(
            interaction,
            embed=render_digest.digest_status_embed(status, interaction.locale),
            ephemeral=True,
        )


def post_error_text(error: str, locale: discord.Locale | str | None, channel: str) -> str:
    """A failed manual post explained from the scheduler's recorded error ("Kind: detail")."""
    kind = error.split(":", 1)[0]
    if kind == "MissingPermissions":
        return t(locale, "digest_missing_permissions", channel=channel)
    if kind == "ChannelGone":
        return t(locale, "digest_channel_gone")
    if kind == "RateLimited":
        m = re.search(r"retry after ([0-9.]+)", error)
        return t(locale, "digest_rate_limited", seconds=float(m[1]) if m else 60.0)
    return t(locale, "digest_server_error")


async def setup(bot: commands.Bot) -> None:
    from bot.client import NewsBot

    assert isinstance(bot, NewsBot)
    await bot.add_cog(
        DigestCog(
            bot.scheduler,
            bot.guild_settings,
            clock=bot.clock,
            owns=bot.runs_digest_of,
            background=bot.background_tasks,
            wait_ready=bot.wait_until_ready,
            gate=bot.jobs["scheduler"],
        )
    )
