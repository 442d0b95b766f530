"""Several bot processes over one database: each posts the digests of its own guilds only.

Two real NewsBot instances (never connected) share one SQLite file, as two processes running
different shards would. Each has only its shard's guild in its cache, which is what the gateway
gives a process running ``shard_ids``; the DigestCog's minute loop body is then run on both.
"""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path
from typing import Any

import discord

from bot.scheduler import DigestScheduler
from bot.state.settings import SettingsStore
from bot.worker import IndexWorker
from index.analysis.tokenizer import JapaneseTokenizer
from index.digest.digest import DigestBuilder
from tests.bot.conftest import NOW, make_bot
from tests.bot.fakes import CHANNEL_ID, GUILD_ID, channel_payload
from tests.bot.test_scheduler import FakePoster

OTHER_GUILD = 987654321098765432
OTHER_GUILD_CHANNEL = 987654321098765433


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self):
        return self.now


def move_to_guild(bot: Any, guild_id: int, channel_id: int) -> None:
    """Give a bot's cache another guild instead of the fixture's (a process on another shard)."""
    state = bot._connection
    state._remove_guild(state._get_guild(GUILD_ID))
    guild = state._get_or_create_unavailable_guild(guild_id)
    guild.unavailable = False
    data: Any = {**channel_payload(channel_id), "guild_id": str(guild_id)}
    guild._add_channel(discord.TextChannel(state=state, guild=guild, data=data))
    state._add_guild(guild)


async def test_two_bots_on_one_database_each_post_their_own_guilds(
    bot_db: Path, tokenizer: JapaneseTokenizer
) -> None:
    clock = Clock()
    build = DigestBuilder(bot_db)
    posters = (FakePoster(), FakePoster())
    async with (
        await IndexWorker.open(bot_db, tokenizer) as reader_a,
        await IndexWorker.open(bot_db, tokenizer) as reader_b,
        await SettingsStore.open(bot_db) as settings_a,
        await SettingsStore.open(bot_db) as settings_b,
        DigestScheduler(bot_db, build, posters[0], clock=clock) as sched_a,
        DigestScheduler(bot_db, build, posters[1], clock=clock) as sched_b,
    ):
        bot_a = await make_bot(bot_db, reader_a, settings_a, scheduler=sched_a)
        bot_b = await make_bot(bot_db, reader_b, settings_b, scheduler=sched_b)
        move_to_guild(bot_b, OTHER_GUILD, OTHER_GUILD_CHANNEL)
        assert bot_a.get_guild(GUILD_ID) and not bot_a.get_guild(OTHER_GUILD)
        assert bot_b.get_guild(OTHER_GUILD) and not bot_b.get_guild(GUILD_ID)

        # Each guild's moderators schedule the digest through their own process.
        await sched_a.set_schedule(GUILD_ID, CHANNEL_ID, time(8, 0), "Asia/Tokyo", None)
        await sched_b.set_schedule(OTHER_GUILD, OTHER_GUILD_CHANNEL, time(8, 0), "Asia/Tokyo", None)
        clock.now = (NOW + timedelta(days=1)).replace(hour=8, minute=0)

        cogs = [bot.get_cog("DigestCog") for bot in (bot_a, bot_b)]
        assert all(cogs)
        for _ in range(3):  # several minute ticks in both processes
            for cog in cogs:
                await cog.tick_loop.coro(cog)  # type: ignore[union-attr]

        assert [(g, c) for g, c, _d, _ in posters[0].posts] == [(GUILD_ID, CHANNEL_ID)]
        assert [(g, c) for g, c, _d, _ in posters[1].posts] == [(OTHER_GUILD, OTHER_GUILD_CHANNEL)]
        assert posters[0].days() == posters[1].days() == [NOW.date().isoformat()]
    build.close()
