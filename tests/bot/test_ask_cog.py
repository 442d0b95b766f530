"""/ask, the 「kijiに聞く」 menu, @kiji mentions and the answer buttons, over a real index."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import discord
import pytest

from bot import render
from bot.client import NewsBot
from bot.cogs.ask import AskCog
from bot.state.settings import SettingsStore
from bot.views import AskButton
from bot.worker import IndexWorker
from index.answer.answer import Answerer
from index.search.search import Searcher
from index.store.store import IndexStore
from tests.bot.conftest import NOW, make_bot
from tests.bot.fakes import (
    BOT_ID,
    CHANNEL_ID,
    GUILD_ID,
    OTHER_CHANNEL_ID,
    OTHER_USER_ID,
    USER_ID,
    Recorder,
    click,
    component,
    dispatch,
    message,
    message_command,
    message_payload,
    slash,
)

NONE = discord.AllowedMentions.none().to_dict()


def ask_cmd(bot: NewsBot) -> Any:
    cmd = bot.tree.get_command("ask")
    assert cmd is not None
    return cmd


def assert_safe(rec: Recorder) -> None:
    """Every message sent: no pings, embeds within Discord's limits."""
    assert rec.sends(), "nothing was sent"
    for e in rec.sends():
        assert e.kwargs["allowed_mentions"].to_dict() == NONE
        for embed in e.embeds:
            assert len(embed) <= 6000
            assert len(embed.description or "") <= 4096
            assert len(embed.title or "") <= 256
            assert len(embed.fields) <= 25
            assert all(len(f.value or "") <= 1024 for f in embed.fields)


def custom_ids(view: discord.ui.View | None) -> list[str]:
    assert view is not None
    return [item.item.custom_id for item in view.children]  # type: ignore[attr-defined]


async def test_ask_defers_then_answers_with_cited_excerpts(bot: NewsBot) -> None:
    inter = slash(bot, ask_cmd(bot), question="日銀は政策金利をどうした？")
    await dispatch(bot.tree, inter)

    assert inter.rec.kinds() == ["defer", "followup"]
    defer = inter.rec.events[0]
    assert defer.kwargs == {"ephemeral": False, "thinking": True}
    assert_safe(inter.rec)
    embed: Any = inter.rec.last().embeds[0].to_dict()
    assert embed["title"] == "質問：日銀は政策金利をどうした？"
    desc = embed["description"]
    assert desc.startswith("**1.** ")
    assert "**0.75%**" in desc or "**政策金利**" in desc  # matched terms in bold
    # Each citation is a working link to its article.
    assert "(https://kiji.example/articles/boj-rate)" in desc
    assert re.search(r"ms ・ 1ページ目$", embed["footer"]["text"])
    ids = custom_ids(inter.rec.last().view)
    assert ids[0].startswith("kiji:a:more:") and ids[1].startswith("kiji:a:src:")
    assert all(len(i) <= 100 for i in ids)


async def test_defer_happens_before_any_work(bot: NewsBot, monkeypatch: pytest.MonkeyPatch) -> None:
    inter = slash(bot, ask_cmd(bot), question="円安はどうなった？")
    real_run = IndexWorker.run

    async def recording_run(self, fn):
        inter.rec.add("work")
        return await real_run(self, fn)

    monkeypatch.setattr(IndexWorker, "run", recording_run)
    await dispatch(bot.tree, inter)
    kinds = inter.rec.kinds()
    assert kinds[0] == "defer"
    assert kinds.index("work") > 0
    assert kinds[-1] == "followup"


async def test_not_found_and_invalid_give_the_terminal_messages(
    bot: NewsBot, bot_db, tokenizer
) -> None:
    with IndexStore.open(bot_db) as store:
        answerer = Answerer(store, Searcher(store, tokenizer), tokenizer)
        not_found = answerer.ask("量子コンピューターの冷却装置の価格は？", now=NOW)
        invalid = answerer.ask("？？？！！", now=NOW)
    assert not_found.status == "not_found" and invalid.status == "invalid"

    for question, expected in (
        ("量子コンピューターの冷却装置の価格は？", not_found.message),
        ("？？？！！", invalid.message),
    ):
        inter = slash(bot, ask_cmd(bot), question=question)
        await dispatch(bot.tree, inter)
        assert inter.rec.kinds() == ["defer", "followup"]
        assert_safe(inter.rec)
        sent = inter.rec.last()
        assert sent.embeds[0].description == render.escape(expected)
        assert sent.view is None  # no buttons without an answer


async def test_a_question_that_cannot_be_searched_is_explained_in_the_members_language(
    bot: NewsBot,
) -> None:
    said = {}
    for locale in ("ja", "en-US"):
        inter = slash(bot, ask_cmd(bot), locale=locale, question="？？？！！")
        await dispatch(bot.tree, inter)
        said[locale] = inter.rec.last().embeds[0].description
    assert said["ja"] == render.escape(
        "検索できる語が見つかりませんでした。記号や絵文字だけでなく、言葉で質問してください。"
    )
    assert said["en-US"] == render.escape(
        "No searchable words were found. Ask with words, not only symbols or emoji."
    )


async def test_english_clients_get_english_replies(bot: NewsBot) -> None:
    inter = slash(bot, ask_cmd(bot), locale="en-US", question="日銀の利上げ")
    await dispatch(bot.tree, inter)
    embed = inter.rec.last().embeds[0]
    assert embed.title == "Q: 日銀の利上げ"
    assert "page 1" in (embed.footer.text or "")
    labels = [c.item.label for c in inter.rec.last().view.children]  # type: ignore[union-attr,attr-defined]
    assert labels[:2] == ["More results", "Show sources"]  # then 👍 / 👎 (emoji only)

    unknown = slash(bot, ask_cmd(bot), locale="fr", question="日銀の利上げ")
    await dispatch(bot.tree, unknown)
    assert unknown.rec.last().embeds[0].title == "質問：日銀の利上げ"  # Japanese when unknown


async def test_everyone_in_a_question_never_pings(bot: NewsBot) -> None:
    inter = slash(bot, ask_cmd(bot), question="@everyone <@&123> 日銀は何を決めた？ **太字**")
    await dispatch(bot.tree, inter)
    assert_safe(inter.rec)
    title = inter.rec.last().embeds[0].title or ""
    assert "@everyone" not in title  # broken with a zero-width space
    assert "@\u200beveryone" in title
    assert "\\*\\*太字\\*\\*" in title  # markdown escaped


async def test_ephemeral_visibility_setting(bot: NewsBot, guild_settings: SettingsStore) -> None:
    await guild_settings.update(GUILD_ID, visibility="ephemeral")
    inter = slash(bot, ask_cmd(bot), question="北斎展はいつまで？")
    await dispatch(bot.tree, inter)
    assert inter.rec.events[0].kwargs["ephemeral"] is True


async def test_cooldown_gives_a_friendly_retry_after(bot: NewsBot) -> None:
    replies = []
    for _ in range(5):
        inter = slash(bot, ask_cmd(bot), question="通信障害の影響は？")
        await dispatch(bot.tree, inter)
        replies.append(inter)
    assert all(r.rec.kinds() == ["defer", "followup"] for r in replies[:4])
    blocked = replies[4].rec
    assert blocked.kinds() == ["send_message"]  # no defer: the check failed before the command
    sent = blocked.events[0].kwargs
    assert sent["ephemeral"] is True
    assert re.search(r"あと\d+秒でまた使えます", sent["content"])
    assert sent["allowed_mentions"].to_dict() == NONE
    # Another user is not affected.
    other = slash(bot, ask_cmd(bot), user_id=OTHER_USER_ID, question="通信障害の影響は？")
    await dispatch(bot.tree, other)
    assert other.rec.kinds() == ["defer", "followup"]


async def test_callback_directly_with_a_recording_fake(bot: NewsBot) -> None:
    cog = bot.get_cog("AskCog")
    assert cog is not None  # (load_extension re-executes the module: no isinstance here)
    inter = slash(bot, ask_cmd(bot), question="x")
    await cog.ask.callback(cog, inter, question="ピッチクロックは何秒？")  # type: ignore[arg-type]
    assert inter.rec.kinds() == ["defer", "followup"]
    desc = inter.rec.last().embeds[0].description or ""
    assert desc.startswith("**1.** ") and "**ピッチクロック**" in desc
    assert "(https://kiji.example/articles/pitch-clock)" in desc


# --------------------------------------------------------------------------- context menu


async def test_context_menu_asks_about_a_message(bot: NewsBot) -> None:
    menu = bot.tree.get_command("Ask kiji", type=discord.AppCommandType.message)
    assert menu is not None
    target = message_payload("北斎展の入場料はいくら？")
    inter = message_command(bot, "Ask kiji", target)
    await dispatch(bot.tree, inter)
    assert inter.rec.kinds() == ["defer", "followup"]
    assert_safe(inter.rec)
    embed = inter.rec.last().embeds[0]
    assert "museum" in (embed.description or "")
    assert "1500円" in (embed.description or "")


async def test_context_menu_on_an_empty_message(bot: NewsBot) -> None:
    inter = message_command(bot, "Ask kiji", message_payload(""))
    await dispatch(bot.tree, inter)
    assert inter.rec.kinds() == ["defer", "followup"]
    assert "質問にできる文字がありません" in (inter.rec.last().embeds[0].description or "")


# --------------------------------------------------------------------------- mentions


def mention_cog(bot: NewsBot) -> AskCog:
    cog = bot.get_cog("AskCog")
    assert cog is not None and cog.bot_user_id() == BOT_ID  # type: ignore[attr-defined]
    return cog  # type: ignore[return-value]


async def test_mention_is_answered_in_an_allowed_channel(
    bot: NewsBot, guild_settings: SettingsStore
) -> None:
    await guild_settings.update(GUILD_ID, add_channel=CHANNEL_ID)
    cog = mention_cog(bot)
    msg = message(
        bot, message_payload(f"<@{BOT_ID}> 日銀の利上げはいつ？ @everyone", mentions=(BOT_ID,))
    )
    assert await cog.handle_mention(msg)
    assert msg.rec.kinds() == ["reply"]
    sent = msg.rec.events[0].kwargs
    assert sent["allowed_mentions"].to_dict() == NONE
    assert sent["mention_author"] is False
    embed = sent["embed"]
    assert "boj-rate" in embed.description
    assert "@\u200beveryone" in embed.title and f"<@{BOT_ID}>" not in embed.title


async def test_mention_is_ignored_elsewhere(bot: NewsBot, guild_settings: SettingsStore) -> None:
    await guild_settings.update(GUILD_ID, add_channel=CHANNEL_ID)
    cog = mention_cog(bot)
    elsewhere = message(
        bot,
        message_payload(f"<@{BOT_ID}> 日銀は？", mentions=(BOT_ID,), channel_id=OTHER_CHANNEL_ID),
    )
    not_mentioned = message(bot, message_payload("@everyone 日銀は？"))
    from_bot = message(bot, message_payload(f"<@{BOT_ID}> 日銀は？", mentions=(BOT_ID,), bot=True))
    for msg in (elsewhere, not_mentioned, from_bot):
        assert not await cog.handle_mention(msg)
        assert msg.rec.events == []


# --------------------------------------------------------------------------- buttons


async def first_answer(bot: NewsBot, question: str, user_id: int = USER_ID):
    inter = slash(bot, ask_cmd(bot), question=question, user_id=user_id)
    await dispatch(bot.tree, inter)
    return inter.rec.last()


async def test_buttons_keep_working_after_a_restart(bot_db, reader: IndexWorker) -> None:
    settings1 = await SettingsStore.open(bot_db)
    bot1 = await make_bot(bot_db, reader, settings1)
    sent = await first_answer(bot1, "日銀 利上げ 円安 金利")
    more_id, src_id = custom_ids(sent.view)[:2]  # then 👍 / 👎
    await settings1.close()

    # A new process: new settings connection, new bot; only the custom_id survives.
    async with await SettingsStore.open(bot_db) as settings2:
        bot2 = await make_bot(bot_db, reader, settings2)
        click_more = component(bot2, more_id)
        await click(bot2, click_more)
        assert click_more.rec.kinds() == ["defer", "edit_original"]
        edited = click_more.rec.events[-1]
        assert edited.kwargs["allowed_mentions"].to_dict() == NONE
        page2 = edited.embeds[0]
        assert (
            "2ページ目" in (page2.footer.text or "")
            or page2.description == "これ以上の結果はありません。"
        )

        click_src = component(bot2, src_id)
        await click(bot2, click_src)
        assert click_src.rec.kinds() == ["defer", "followup"]
        src = click_src.rec.last()
        assert src.kwargs["ephemeral"] is True
        assert src.embeds[0].title == "出典"
        assert "https://kiji.example/articles/" in (src.embeds[0].description or "")


async def test_other_users_get_their_own_copy(bot: NewsBot) -> None:
    sent = await first_answer(bot, "日銀 利上げ 円安 金利")
    more_id = custom_ids(sent.view)[0]
    inter = component(bot, more_id, user_id=OTHER_USER_ID)
    await click(bot, inter)
    assert inter.rec.kinds() == ["defer", "followup"]
    assert inter.rec.events[0].kwargs["ephemeral"] is True
    assert inter.rec.last().kwargs["ephemeral"] is True


async def test_from_custom_id_rebuilds_the_button(bot: NewsBot) -> None:
    cid = f"kiji:a:more:42:3:{USER_ID}"
    match = AskButton.__discord_ui_compiled_template__.fullmatch(cid)
    assert match is not None
    item = await AskButton.from_custom_id(
        component(bot, cid), discord.ui.Button(custom_id=cid), match
    )
    assert (item.action, item.ask_id, item.page, item.user_id) == ("more", 42, 3, USER_ID)
    assert item.custom_id == cid


async def test_unknown_question_id_says_so(bot: NewsBot) -> None:
    inter = component(bot, f"kiji:a:src:999999:0:{USER_ID}")
    await click(bot, inter)
    assert inter.rec.last().kwargs["content"].startswith("このボタンの質問が見つかりません")
    assert inter.rec.last().kwargs["ephemeral"] is True


def test_now_is_fixed() -> None:
    assert NOW.tzinfo is not None and datetime(2027, 1, 1, tzinfo=NOW.tzinfo) > NOW


async def test_a_date_window_note_is_shown(bot: NewsBot) -> None:
    inter = slash(bot, ask_cmd(bot), question="昨日の北斎展のニュース")
    await dispatch(bot.tree, inter)
    desc = inter.rec.last().embeds[0].description or ""
    assert desc.startswith("*") and "公開された記事" in desc.split("\n")[0]
