"""👍/👎 under every answer: recorded once per member, rebuilt after a restart, counted in
/kiji stats and exported for `kiji eval`; real discord.py objects over a real index."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import discord

from bot import render
from bot.client import NewsBot
from bot.guards import Limits
from bot.state.settings import SettingsStore
from bot.views import VoteButton
from bot.worker import IndexWorker
from index.answer.feedback import eval_records
from index.ops.ratelimit import RateLimiter
from index.store.feedback_store import FeedbackStore, HelpfulRate
from index.store.store import IndexStore
from tests.bot.conftest import NOW, make_bot
from tests.bot.fakes import (
    BOT_ID,
    CHANNEL_ID,
    GUILD_ID,
    OTHER_USER_ID,
    USER_ID,
    RecordingInteraction,
    click,
    component,
    dispatch,
    message,
    message_command,
    message_payload,
    slash,
)

NONE = discord.AllowedMentions.none().to_dict()
VOTE_ID = re.compile(r"kiji:v:(up|down):[0-9]+")


def vote_ids(view: discord.ui.View | None) -> tuple[str, str]:
    """The custom ids of the 👍 and 👎 buttons of an answer's view."""
    assert view is not None
    ids = [item.item.custom_id for item in view.children]  # type: ignore[attr-defined]
    assert all(i is not None and len(i) <= 100 for i in ids)
    votes = [i for i in ids if i and VOTE_ID.fullmatch(i)]
    assert len(votes) == 2, ids
    up, down = votes
    assert up.startswith("kiji:v:up:") and down.startswith("kiji:v:down:")
    return up, down


async def ask(bot: NewsBot, question: str) -> tuple[str, str]:
    cmd: Any = bot.tree.get_command("ask")
    inter = slash(bot, cmd, question=question)
    await dispatch(bot.tree, inter)
    return vote_ids(inter.rec.last().view)


async def vote(bot: NewsBot, custom_id: str, user_id: int = USER_ID) -> RecordingInteraction:
    inter = component(bot, custom_id, user_id=user_id)
    await click(bot, inter)
    return inter


def reply_of(inter: RecordingInteraction) -> str:
    """The one ephemeral, mention-free message a vote gets back."""
    assert inter.rec.kinds() == ["defer", "followup"]
    assert inter.rec.events[0].kwargs == {"ephemeral": True, "thinking": True}
    sent = inter.rec.last().kwargs
    assert sent["ephemeral"] is True
    assert sent["allowed_mentions"].to_dict() == NONE
    return sent["content"]


def week(db) -> HelpfulRate:
    with IndexStore.open(db) as store:
        return FeedbackStore(store).helpful_rate(NOW - timedelta(days=7))


async def test_a_members_second_vote_replaces_the_first(bot: NewsBot, bot_db) -> None:
    up, down = await ask(bot, "日銀は政策金利をどうした？")

    assert reply_of(await vote(bot, up)) == "👍 ありがとうございます。評価を記録しました。"
    assert week(bot_db) == HelpfulRate(1, 0)
    assert "記録済み" in reply_of(await vote(bot, up))  # a second 👍 counts once
    assert week(bot_db) == HelpfulRate(1, 0)
    assert reply_of(await vote(bot, down)) == "評価を👎に変更しました。"
    assert week(bot_db) == HelpfulRate(0, 1)

    # Another member's vote is their own.
    assert "記録しました" in reply_of(await vote(bot, up, user_id=OTHER_USER_ID))
    assert week(bot_db) == HelpfulRate(1, 1)

    # The same question answered the same way again is the same answer: still one vote each.
    again_up, _ = await ask(bot, "日銀は政策金利をどうした？")
    assert again_up == up
    await bot.feedback.close()


async def test_votes_work_after_a_restart(bot_db, reader: IndexWorker) -> None:
    settings1 = await SettingsStore.open(bot_db)
    bot1 = await make_bot(bot_db, reader, settings1)
    up, _ = await ask(bot1, "円安はどうなった？")
    await bot1.feedback.close()
    await settings1.close()

    # A new process: only the custom_id survives.
    async with await SettingsStore.open(bot_db) as settings2:
        bot2 = await make_bot(bot_db, reader, settings2)
        inter = await vote(bot2, up)
        assert "記録しました" in reply_of(inter)
        await bot2.feedback.close()
    assert week(bot_db) == HelpfulRate(1, 0)


async def test_from_custom_id_rebuilds_the_vote_button(bot: NewsBot) -> None:
    cid = "kiji:v:down:123456789012345678"
    match = VoteButton.__discord_ui_compiled_template__.fullmatch(cid)
    assert match is not None
    item = await VoteButton.from_custom_id(
        component(bot, cid), discord.ui.Button(custom_id=cid), match
    )
    assert (item.vote, item.answer_id, item.custom_id) == ("down", 123456789012345678, cid)
    assert str(item.item.emoji) == "👎"


async def test_an_unknown_answer_says_so(bot: NewsBot) -> None:
    inter = await vote(bot, "kiji:v:up:999999")
    assert reply_of(inter).startswith("この回答は評価の記録にありません")


async def test_mention_and_message_menu_answers_carry_the_buttons(
    bot: NewsBot, guild_settings: SettingsStore
) -> None:
    await guild_settings.update(GUILD_ID, add_channel=CHANNEL_ID)
    cog: Any = bot.get_cog("AskCog")
    msg = message(bot, message_payload(f"<@{BOT_ID}> 日銀の利上げはいつ？", mentions=(BOT_ID,)))
    assert await cog.handle_mention(msg)
    sent = msg.rec.events[0].kwargs
    assert sent["allowed_mentions"].to_dict() == NONE
    up, _ = vote_ids(sent["view"])

    menu = message_command(bot, "Ask kiji", message_payload("ピッチクロックは何秒？"))
    await dispatch(bot.tree, menu)
    _, down = vote_ids(menu.rec.last().view)

    await vote(bot, up)
    await vote(bot, down)
    assert week(bot.settings.db_path) == HelpfulRate(1, 1)
    await bot.feedback.close()


async def test_stats_shows_the_weeks_helpful_rate(bot: NewsBot) -> None:
    cmd: Any = bot.tree.get_command("kiji")
    stats_cmd = cmd.get_command("stats")

    async def helpful(locale: str) -> str:
        inter = slash(bot, stats_cmd, locale=locale)
        await dispatch(bot.tree, inter)
        sent = inter.rec.last().kwargs
        assert sent["allowed_mentions"].to_dict() == NONE
        fields = {f.name: f.value for f in sent["embed"].fields}
        return fields["Helpful (7 days)" if locale == "en-GB" else "役に立った（7日間）"]

    assert await helpful("ja") == "まだ評価はありません"
    up, down = await ask(bot, "日銀は政策金利をどうした？")
    other_up, _ = await ask(bot, "ピッチクロックは何秒？")
    await vote(bot, up)
    await vote(bot, other_up)
    await vote(bot, other_up, user_id=OTHER_USER_ID)
    await vote(bot, down, user_id=OTHER_USER_ID)
    assert await helpful("en-GB") == "75% (👍 3 / 👎 1)"  # (/kiji stats: 2 calls per 30 s)
    embed = render.stats_embed({}, "ja", guilds=1, latency_ms=None, helpful=HelpfulRate(3, 1))
    assert {f.name: f.value for f in embed.fields}["役に立った（7日間）"] == "75%（👍 3 / 👎 1）"
    await bot.feedback.close()


async def test_discord_votes_are_exported_as_eval_questions(bot: NewsBot, bot_db) -> None:
    up, _ = await ask(bot, "日銀は政策金利をどうした？")
    await vote(bot, up)
    await vote(bot, up, user_id=OTHER_USER_ID)
    tie_up, tie_down = await ask(bot, "ピッチクロックは何秒？")
    await vote(bot, tie_up)
    await vote(bot, tie_down, user_id=OTHER_USER_ID)
    await bot.feedback.close()
    with IndexStore.open(bot_db) as store:
        answers = FeedbackStore(store).voted_answers()
    (rec,) = eval_records(answers)  # the tie is left out
    assert (rec["q"], rec["kind"], rec["gold"], rec["vote"]) == (
        "日銀は政策金利をどうした？",
        "fact",
        "boj-rate",
        "up",
    )
    assert (rec["up"], rec["down"], rec["sources"]) == (2, 0, ["discord"])
    assert rec["expect_any"]


async def test_votes_take_from_the_per_member_budget(bot: NewsBot, bot_db) -> None:
    now = [1000.0]
    limits = Limits(
        ask_user=RateLimiter(2, 60.0, clock=lambda: now[0]),
        ask_guild=RateLimiter(1000, 60.0, clock=lambda: now[0]),
        feed_adds=RateLimiter(10, 3600.0, clock=lambda: now[0]),
    )
    for name in ("AskCog", "FeedbackCog"):
        bot.get_cog(name).limits = limits  # type: ignore[union-attr]
    up, down = await ask(bot, "日銀は政策金利をどうした？")  # 1 of 2
    served = await vote(bot, up)  # 2 of 2
    assert "記録しました" in reply_of(served)
    refused = await vote(bot, down)
    assert refused.rec.kinds() == ["send_message"]
    sent = refused.rec.last().kwargs
    assert sent["ephemeral"] is True and sent["allowed_mentions"].to_dict() == NONE
    assert sent["content"].startswith("質問が続いています")
    assert week(bot_db) == HelpfulRate(1, 0)  # the refused 👎 was not recorded
    now[0] += 61
    assert reply_of(await vote(bot, down)) == "評価を👎に変更しました。"
    await bot.feedback.close()
