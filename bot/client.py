"""NewsBot: the Discord client. Core objects are injected; cogs are loaded in ``setup_hook``.

Commands are never synced on start (writes are rate-limited): ``kiji sync`` or ``/kiji sync``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import discord
from discord import app_commands
from discord.ext import commands
from prometheus_client import CollectorRegistry

from bot.config import BotSettings
from bot.errors import report_error
from bot.feedback import BotFeedback
from bot.guards import Limits
from bot.i18n import KijiTranslator
from bot.jobs import JobGate, job_gates
from bot.scheduler import DigestScheduler
from bot.shutdown import InFlight
from bot.state.settings import SettingsStore
from bot.views import DYNAMIC_ITEMS
from bot.worker import IndexWorker
from index.ops.metrics import KijiMetrics

log = logging.getLogger(__name__)

# kiji never joins voice channels, so discord.py's start-up warnings that PyNaCl and davey (voice
# support) are not installed would only alarm: mark them as already given.
discord.VoiceClient.warn_nacl = False
discord.VoiceClient.warn_dave = False

EXTENSIONS = (
    "bot.cogs.ask",
    "bot.cogs.search",
    "bot.cogs.admin",
    "bot.cogs.feeds",
    "bot.cogs.digest",
    "bot.cogs.feedback",
)
TZ = ZoneInfo("Asia/Tokyo")


def jst_now() -> datetime:
    return datetime.now(TZ)


class KijiTree(app_commands.CommandTree):
    """The command tree; every command error goes through :func:`bot.errors.report_error`."""

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError, /
    ) -> None:
        await report_error(interaction, error)

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        """Every command is admitted by the bot's :class:`~bot.shutdown.InFlight` (refused with a
        "restarting" reply once a shutdown has begun); autocomplete is not tracked."""
        inflight = getattr(self.client, "inflight", None)
        if inflight is None or interaction.type is discord.InteractionType.autocomplete:
            return True
        return await inflight.admit(interaction)


class NewsBot(commands.AutoShardedBot):
    """kiji's client: slash commands, a message menu, mentions and persistent buttons.

    :param index: the reader (questions, searches, articles, digests); None only for a bot
        built to list or sync its commands.
    :param writer: the writer (feed polling).
    :param background_tasks: start the feed poller and the digest loop (off in tests/CLI).
    :param metrics: where questions, feed polls and digest posts are counted (default: a
        registry of this bot's own).
    :param limits: question and feed-addition rate limits (default: :meth:`Limits.default`).
    :param feedback: where votes on answers go (default: the tables in ``settings.db_path``,
        opened on the first vote).
    :param jobs: which process-wide jobs run here (default: :func:`bot.jobs.job_gates` of the
        settings: leaders elected on PostgreSQL, else the shard rule).
    """

    def __init__(
        self,
        *,
        settings: BotSettings,
        guild_settings: SettingsStore | None,
        index: IndexWorker | None,
        writer: IndexWorker | None = None,
        scheduler: DigestScheduler | None = None,
        clock: Callable[[], datetime] = jst_now,
        background_tasks: bool = True,
        metrics: KijiMetrics | None = None,
        limits: Limits | None = None,
        feedback: BotFeedback | None = None,
        jobs: dict[str, JobGate] | None = None,
    ) -> None:
        kw: dict[str, object] = {}
        if settings.shard_count is not None:
            kw["shard_count"] = settings.shard_count
        if settings.shard_ids is not None:
            kw["shard_ids"] = list(settings.shard_ids)
        super().__init__(
            command_prefix=commands.when_mentioned,  # unused: kiji has no text commands
            help_command=None,
            intents=discord.Intents.default(),  # no privileged intents: mentions carry content
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=KijiTree,
            owner_ids=set(settings.owner_ids) or None,
            **kw,  # type: ignore[arg-type]
        )
        self.settings = settings
        self.guild_settings: SettingsStore = guild_settings  # type: ignore[assignment]
        self.index: IndexWorker = index  # type: ignore[assignment]
        self.writer = writer
        self.scheduler = scheduler
        self.clock = clock
        self.background_tasks = background_tasks
        self.metrics = metrics if metrics is not None else KijiMetrics(CollectorRegistry())
        self.limits = limits if limits is not None else Limits.default()
        self.inflight = InFlight()  # interactions being answered (graceful shutdown)
        self.shutdown_task: asyncio.Task[None] | None = None  # set by the signal handler
        self.feedback = feedback if feedback is not None else BotFeedback(settings.db_path)
        self.translator = KijiTranslator()
        if jobs is None:
            state = settings.state_db or settings.db_path  # where bot/__main__.py keeps it
            jobs = job_gates(
                state,
                settings.db_path,
                owns_shard_zero=self.owns_shard_zero(),
                metrics=self.metrics,
            )
        self.jobs = jobs

    async def install(self) -> None:
        """Load the cogs, the translator and the persistent buttons (no network)."""
        await self.tree.set_translator(self.translator)
        for ext in EXTENSIONS:
            await self.load_extension(ext)
        self.add_dynamic_items(*DYNAMIC_ITEMS)

    async def setup_hook(self) -> None:
        await self.install()
        if self.background_tasks:
            for gate in self.jobs.values():
                await gate.start()  # a standby tries for its job's lock every 20 s
            if self.guild_settings is not None:
                await self.guild_settings.follow()  # /kiji config on other hosts, seen here
        log.info("kiji ready to connect (commands are not synced on start: run `kiji sync`)")

    async def close(self) -> None:
        await super().close()
        for gate in self.jobs.values():
            await gate.close()  # a leader's lock is free for another host at once
        await self.feedback.close()

    async def on_ready(self) -> None:
        log.info(
            "connected as %s (%s) to %d guilds, shards %s",
            self.user,
            self.user.id if self.user else "?",
            len(self.guilds),
            sorted(self.shards),
        )

    async def on_message(self, message: discord.Message, /) -> None:
        # No prefix commands: mentions are answered by AskCog's listener.
        return None

    def owns_shard_zero(self) -> bool:
        """True in the process that runs shard 0 (where process-wide jobs such as feed polling
        run, so that several processes do not all poll)."""
        ids = self.settings.shard_ids
        return ids is None or 0 in ids

    def runs_digest_of(self, guild_id: int) -> bool:
        """True when this process posts ``guild_id``'s scheduled digests now: while it leads the
        scheduler (PostgreSQL state: every guild), else when the guild is on its shards."""
        gate = self.jobs["scheduler"]
        if gate.all_guilds:
            return gate.running
        return gate.running and self.get_guild(guild_id) is not None

    async def command_payloads(self) -> list[dict[str, object]]:
        """Exactly what ``tree.sync()`` would send (global commands, with ja/en localisations)."""
        return [
            await cmd.get_translated_payload(self.tree, self.translator)
            for cmd in self.tree.get_commands()
        ]
