"""/search, /article, /kiji, /feeds and /digest through the real tree, plus the error mapping."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Any

import discord
import pytest

from bot import render, render_digest
from bot.client import NewsBot
from bot.scheduler import DigestScheduler
from bot.state.settings import SettingsStore
from bot.worker import IndexWorker
from index.digest.digest import build_digest
from index.errors import NewsIndexError
from tests.bot.conftest import NOW, make_bot
from tests.bot.fakes import (
    CHANNEL_ID,
    GUILD_ID,
    MANAGE_GUILD,
    MOD_ROLE_ID,
    OWNER_ID,
    autocomplete,
    click,
    component,
    dispatch,
    slash,
)

NONE = discord.AllowedMentions.none().to_dict()


def cmd(bot: NewsBot, path: str) -> Any:
    parts = path.split()
    command: Any = bot.tree.get_command(parts[0])
    for p in parts[1:]:
        command = command.get_command(p)
    assert command is not None, path
    return command


def only_send(inter) -> dict:
    sends = inter.rec.sends()
    assert sends, inter.rec.kinds()
    for s in sends:
        assert s.kwargs["allowed_mentions"].to_dict() == NONE
    return sends[-1].kwargs


# --------------------------------------------------------------------------- /search


async def test_search_lists_matching_articles_with_links(bot: NewsBot) -> None:
    inter = slash(bot, cmd(bot, "search"), keywords="日銀 利上げ")
    await dispatch(bot.tree, inter)
    assert inter.rec.kinds() == ["defer", "followup"]
    embed = only_send(inter)["embed"]
    assert embed.title == "「日銀 利上げ」の検索結果"
    assert (
        "[日銀が政策金利を0.75%に引き上げ、物価上昇の定着を確認](https://kiji.example/articles/boj-rate)"
        in embed.description
    )
    assert "2026-11-13" in embed.description
    assert "期間：すべて" in embed.footer.text


async def test_search_period_today_uses_the_clock(bot: NewsBot) -> None:
    inter = slash(
        bot,
        cmd(bot, "search"),
        raw_options=[{"type": 3, "name": "period", "value": "today"}],
        keywords="日銀 円",
    )
    await dispatch(bot.tree, inter)
    embed = only_send(inter)["embed"]
    # NOW is 2026-11-14: only the yen article (14th) is from today, not the BOJ one (13th).
    assert "yen-rate" in embed.description and "boj-rate" not in embed.description


async def test_search_pages_with_persistent_buttons(
    bot: NewsBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(render, "SEARCH_PAGE", 1)
    inter = slash(bot, cmd(bot, "search"), keywords="日銀 円 北斎 野球 通信")
    await dispatch(bot.tree, inter)
    sent = inter.rec.last()
    ids = [c.item.custom_id for c in sent.view.children]  # type: ignore[union-attr,attr-defined]
    assert ids[0].endswith(":998:" + ids[0].split(":")[-1]) and ":1:" in ids[1]
    assert all(len(i) <= 100 for i in ids)
    nxt = component(bot, ids[1])
    await click(bot, nxt)
    assert nxt.rec.kinds() == ["defer", "edit_original"]
    assert "2/" in (nxt.rec.last().embeds[0].footer.text or "")


async def test_search_invalid_keywords_is_an_ephemeral_explanation(bot: NewsBot) -> None:
    inter = slash(bot, cmd(bot, "search"), keywords="！？")
    await dispatch(bot.tree, inter)
    # The public "thinking" placeholder is removed so the explanation is only for the user.
    assert inter.rec.kinds() == ["defer", "delete_original", "followup"]
    sent = only_send(inter)
    assert sent["ephemeral"] is True
    assert "検索できる語が見つかりませんでした" in sent["content"]

    english = slash(bot, cmd(bot, "search"), locale="en-GB", keywords="！？")
    await dispatch(bot.tree, english)
    assert only_send(english)["content"] == (
        "No searchable words were found. Ask with words, not only symbols or emoji."
    )


# --------------------------------------------------------------------------- /article


async def test_article_autocomplete_and_embed(bot: NewsBot) -> None:
    ac = autocomplete(bot, cmd(bot, "article"), "title", "北斎")
    await dispatch(bot.tree, ac)
    choices = ac.rec.events[-1].kwargs["choices"]
    assert [(c.name, c.value) for c in choices] == [
        ("港町美術館で北斎展が開幕、初公開の版画も", "museum")
    ]

    empty = autocomplete(bot, cmd(bot, "article"), "title", "")
    await dispatch(bot.tree, empty)
    assert 1 < len(empty.rec.events[-1].kwargs["choices"]) <= 25

    inter = slash(bot, cmd(bot, "article"), title="boj-rate")
    await dispatch(bot.tree, inter)
    embed = only_send(inter)["embed"]
    d = embed.to_dict()
    assert d["url"] == "https://kiji.example/articles/boj-rate"
    assert d["description"].startswith("日本銀行は11月13日の金融政策決定会合で")
    fields = {f["name"]: f["value"] for f in d["fields"]}
    assert r"金融政策決定会合の結果について \| 日本銀行" in fields["参考資料"]  # escaped
    assert "円安が一服" in fields["関連記事"]
    assert len(embed) <= 6000


async def test_article_by_partial_title_and_not_found(bot: NewsBot) -> None:
    inter = slash(bot, cmd(bot, "article"), title="通信障害")
    await dispatch(bot.tree, inter)
    assert "outage" in only_send(inter)["embed"].url

    missing = slash(bot, cmd(bot, "article"), title="存在しない記事")
    await dispatch(bot.tree, missing)
    sent = only_send(missing)
    assert sent["ephemeral"] is True and "見つかりませんでした" in sent["content"]


# --------------------------------------------------------------------------- /kiji


async def test_kiji_help_and_stats(bot: NewsBot) -> None:
    inter = slash(bot, cmd(bot, "kiji help"))
    await dispatch(bot.tree, inter)
    sent = only_send(inter)
    assert sent["ephemeral"] is True and sent["embed"].title == "kijiの使い方"

    stats = slash(bot, cmd(bot, "kiji stats"), locale="en-GB")
    await dispatch(bot.tree, stats)
    fields = {f.name: f.value for f in only_send(stats)["embed"].fields}
    assert fields["Articles"] == "5"


async def test_kiji_config_view_and_change(bot: NewsBot, guild_settings: SettingsStore) -> None:
    view = slash(bot, cmd(bot, "kiji config"))
    await dispatch(bot.tree, view)
    assert only_send(view)["embed"].fields[0].value == "全員に見える"

    denied = slash(bot, cmd(bot, "kiji config"), visibility="ephemeral")
    await dispatch(bot.tree, denied)
    assert denied.rec.kinds() == ["send_message"]
    assert "モデレーター" in only_send(denied)["content"]
    assert guild_settings.get(GUILD_ID).visibility == "public"

    change = slash(
        bot,
        cmd(bot, "kiji config"),
        permissions=MANAGE_GUILD,
        visibility="ephemeral",
        raw_options=[
            {"type": 8, "name": "moderator_role", "value": str(MOD_ROLE_ID)},
            {"type": 7, "name": "add_channel", "value": str(CHANNEL_ID)},
        ],
        resolved={
            "roles": {
                str(MOD_ROLE_ID): {
                    "id": str(MOD_ROLE_ID), "name": "mods", "color": 0, "hoist": False,
                    "position": 1, "permissions": "0", "managed": False, "mentionable": True,
                }
            },
            "channels": {
                str(CHANNEL_ID): {
                    "id": str(CHANNEL_ID), "type": 0, "name": "general", "permissions": "0",
                    "guild_id": str(GUILD_ID),
                }
            },
        },
    )  # fmt: skip
    await dispatch(bot.tree, change)
    sent = only_send(change)
    assert sent["content"] == "設定を保存しました。"
    gs = guild_settings.get(GUILD_ID)
    assert gs.visibility == "ephemeral"
    assert gs.moderator_role_id == MOD_ROLE_ID
    assert gs.answer_channels == frozenset({CHANNEL_ID})


async def test_kiji_sync_is_owner_only(bot: NewsBot) -> None:
    inter = slash(bot, cmd(bot, "kiji sync"), permissions=MANAGE_GUILD)
    await dispatch(bot.tree, inter)
    sent = only_send(inter)
    assert sent["ephemeral"] is True and "所有者" in sent["content"]

    owner = slash(bot, cmd(bot, "kiji sync"), user_id=OWNER_ID)
    calls = []

    async def fake_sync(*, guild=None):
        calls.append(guild)
        return [object(), object()]

    bot.tree.sync = fake_sync  # type: ignore[method-assign]
    await dispatch(bot.tree, owner)
    assert calls and calls[0].id == GUILD_ID
    assert "2個のコマンド" in only_send(owner)["content"]


# --------------------------------------------------------------------------- moderators


class FakeFetcher:
    """Serves one Atom feed from the test fixtures; nothing touches the network."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.urls: list[str] = []

    def fetch(self, url: str, **kw):
        from index.ingest.fetch import FetchResult

        self.urls.append(url)
        return FetchResult(url=url, status=200, body=self.body, content_type="application/atom+xml")


@pytest.fixture
async def feeds_bot(bot_db: Path, reader: IndexWorker, guild_settings: SettingsStore, tokenizer):
    async with await IndexWorker.open(bot_db, tokenizer, name="writer", warm=False) as writer:
        bot = await make_bot(bot_db, reader, guild_settings, writer=writer)
        yield bot


async def test_feeds_denied_without_permission(feeds_bot: NewsBot) -> None:
    for sub in ("feeds list", "feeds poll"):
        inter = slash(feeds_bot, cmd(feeds_bot, sub))
        await dispatch(feeds_bot.tree, inter)
        assert inter.rec.kinds() == ["send_message"]
        sent = only_send(inter)
        assert sent["ephemeral"] is True
        assert sent["content"].startswith("このコマンドはモデレーター")


async def test_feeds_add_list_remove_with_moderator_role(
    feeds_bot: NewsBot, guild_settings: SettingsStore
) -> None:
    await guild_settings.update(GUILD_ID, moderator_role_id=MOD_ROLE_ID)
    cog = feeds_bot.get_cog("FeedsCog")
    body = (Path(__file__).parents[1] / "fixtures" / "feed" / "atom.xml").read_bytes()
    cog.fetcher = FakeFetcher(body)  # type: ignore[union-attr]
    url = "https://news.example/feed.atom"

    add = slash(feeds_bot, cmd(feeds_bot, "feeds add"), roles=(MOD_ROLE_ID,), url=url)
    await dispatch(feeds_bot.tree, add)
    assert add.rec.kinds() == ["defer", "followup"], add.rec.events
    assert "フィードを登録しました" in only_send(add)["embed"].description

    lst = slash(feeds_bot, cmd(feeds_bot, "feeds list"), roles=(MOD_ROLE_ID,))
    await dispatch(feeds_bot.tree, lst)
    assert url in only_send(lst)["embed"].description

    rm = slash(feeds_bot, cmd(feeds_bot, "feeds remove"), permissions=MANAGE_GUILD, url=url)
    await dispatch(feeds_bot.tree, rm)
    assert "登録を解除しました" in only_send(rm)["content"]


class FailingFetcher:
    """A feed server answering 500, as the real Fetcher reports it."""

    def fetch(self, url: str, **kw):
        from index.errors import FeedError

        raise FeedError.keyed("fetch_http", url=url, code=500, reason="Internal Server Error")


async def test_a_stored_feed_error_is_shown_in_each_viewers_language(
    feeds_bot: NewsBot, guild_settings: SettingsStore
) -> None:
    await guild_settings.update(GUILD_ID, moderator_role_id=MOD_ROLE_ID)
    cog = feeds_bot.get_cog("FeedsCog")
    cog.fetcher = FailingFetcher()  # type: ignore[union-attr]
    url = "https://news.example/feed.atom"
    add = slash(feeds_bot, cmd(feeds_bot, "feeds add"), roles=(MOD_ROLE_ID,), url=url)
    await dispatch(feeds_bot.tree, add)
    assert f"{url}: HTTP エラー 500（Internal Server Error）" in only_send(add)["embed"].description
    shown = {}
    for locale in ("ja", "en-US"):
        lst = slash(feeds_bot, cmd(feeds_bot, "feeds list"), roles=(MOD_ROLE_ID,), locale=locale)
        await dispatch(feeds_bot.tree, lst)
        shown[locale] = only_send(lst)["embed"].description
    assert f"⚠️ {url}: HTTP エラー 500（Internal Server Error）" in shown["ja"]
    assert f"⚠️ {url}: HTTP 500 Internal Server Error" in shown["en-US"]


async def test_a_core_error_is_explained_in_the_members_language(feeds_bot: NewsBot) -> None:
    """FeedError comes from the catalogue: Japanese by default, English for an English client."""
    replies = {}
    for locale in ("ja", "en-US"):
        add = slash(
            feeds_bot,
            cmd(feeds_bot, "feeds add"),
            locale=locale,
            permissions=MANAGE_GUILD,
            url="ftp://news.example/feed",
        )
        await dispatch(feeds_bot.tree, add)
        sent = only_send(add)
        replies[locale] = sent.get("content") or sent["embed"].description
    assert replies["ja"].startswith("取得できるのは http:// と https:// の URL だけです")
    assert replies["en-US"].startswith("only http:// and https:// URLs can be fetched")


class RecordingPoster:
    def __init__(self) -> None:
        self.posts: list[tuple[int, int, str, int]] = []

    async def post(self, guild_id, channel_id, digest):
        messages = render_digest.digest_messages(digest, "ja")
        self.posts.append((guild_id, channel_id, digest.date, len(messages)))
        return list(range(1, len(messages) + 1))


@pytest.fixture
async def digest_bot(bot_db: Path, reader: IndexWorker, guild_settings: SettingsStore):
    def build(day, zone, categories):
        return reader.call(lambda ctx: build_digest(ctx.store, day, zone, categories=categories))

    poster = RecordingPoster()
    async with DigestScheduler(bot_db, build, poster, clock=lambda: NOW) as scheduler:
        bot = await make_bot(bot_db, reader, guild_settings, scheduler=scheduler)
        bot.poster = poster  # type: ignore[attr-defined]
        yield bot


async def test_digest_preview_post_schedule_status_off(digest_bot: NewsBot) -> None:
    mod: dict[str, Any] = {"permissions": MANAGE_GUILD}
    preview = slash(digest_bot, cmd(digest_bot, "digest preview"), day="2026-11-13", **mod)
    await dispatch(digest_bot.tree, preview)
    assert preview.rec.kinds()[0] == "defer" and preview.rec.events[0].kwargs["ephemeral"]
    embeds = preview.rec.last().embeds
    assert embeds[0].author.name == "2026-11-13のニュースダイジェスト"
    assert sum(len(e) for e in embeds) <= 6000

    post = slash(digest_bot, cmd(digest_bot, "digest post"), day="2026-11-13", **mod)
    await dispatch(digest_bot.tree, post)
    assert "投稿しました" in only_send(post)["content"]
    assert digest_bot.poster.posts == [(GUILD_ID, CHANNEL_ID, "2026-11-13", 1)]  # type: ignore[attr-defined]
    again = slash(digest_bot, cmd(digest_bot, "digest post"), day="2026-11-13", **mod)
    await dispatch(digest_bot.tree, again)
    assert "投稿済み" in only_send(again)["content"]

    sched = slash(
        digest_bot,
        cmd(digest_bot, "digest schedule"),
        raw_options=[
            {"type": 7, "name": "channel", "value": str(CHANNEL_ID)},
            {"type": 3, "name": "time", "value": "08:00"},  # the option's name, not the parameter's
        ],
        resolved={
            "channels": {
                str(CHANNEL_ID): {
                    "id": str(CHANNEL_ID), "type": 0, "name": "news", "permissions": "0",
                    "guild_id": str(GUILD_ID),
                }
            }
        },
        **mod,
    )  # fmt: skip
    await dispatch(digest_bot.tree, sched)
    assert "08:00（Asia/Tokyo）" in only_send(sched)["content"]

    status = slash(digest_bot, cmd(digest_bot, "digest status"), **mod)
    await dispatch(digest_bot.tree, status)
    embed = only_send(status)["embed"]
    assert "08:00" in embed.description and len(embed) <= 6000

    off = slash(digest_bot, cmd(digest_bot, "digest off"), **mod)
    await dispatch(digest_bot.tree, off)
    assert only_send(off)["content"] == "毎日のダイジェストを止めました。"


async def test_digest_bad_input_and_denial(digest_bot: NewsBot) -> None:
    bad = slash(digest_bot, cmd(digest_bot, "digest preview"), permissions=MANAGE_GUILD, day="昨日")
    await dispatch(digest_bot.tree, bad)
    assert bad.rec.kinds() == ["send_message"]
    assert "YYYY-MM-DD" in only_send(bad)["content"]

    denied = slash(digest_bot, cmd(digest_bot, "digest status"))
    await dispatch(digest_bot.tree, denied)
    assert "モデレーター" in only_send(denied)["content"]
    assert date(2026, 11, 13) < NOW.date()


# --------------------------------------------------------------------------- error mapping


async def test_unexpected_errors_are_logged_and_get_a_generic_message(
    bot: NewsBot, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def boom(self, fn):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(IndexWorker, "run", boom)
    inter = slash(bot, cmd(bot, "ask"), question="日銀は？")
    with caplog.at_level(logging.ERROR, logger="bot.errors"):
        await dispatch(bot.tree, inter)
    sent = only_send(inter)
    assert sent["ephemeral"] is True
    assert (
        sent["content"]
        == "問題が起きて処理できませんでした。少し待ってからもう一度お試しください。"
    )
    assert "secret internals" not in sent["content"]
    assert any(r.exc_info and "secret internals" in str(r.exc_info[1]) for r in caplog.records)


async def test_domain_errors_are_explained(bot: NewsBot, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(self, fn):
        raise NewsIndexError("データベースを開けません（kiji check を実行してください）")

    monkeypatch.setattr(IndexWorker, "run", broken)
    inter = slash(bot, cmd(bot, "kiji stats"))
    await dispatch(bot.tree, inter)
    assert (
        only_send(inter)["content"] == "データベースを開けません（kiji check を実行してください）"
    )
