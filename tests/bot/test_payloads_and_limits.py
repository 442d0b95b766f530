"""Localised command payloads (`kiji commands --json`), embed limits, settings, config, poster."""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

import discord
import pytest

from bot import limits, render, render_digest
from bot.__main__ import commands_json, run
from bot.cli import register
from bot.config import BotSettings, ConfigError
from bot.poster import DiscordDigestPoster, _translate
from bot.scheduler import ChannelGone, MissingPermissions, RateLimited, ServerError
from bot.state.schema import SETTINGS
from bot.state.settings import SettingsStore
from index.errors import SchemaTooNew
from index.models import Answer, Digest, DigestItem, DigestSection, Excerpt, RelatedArticle
from tests.bot.conftest import JST

NAME = re.compile(r"^[-_\w]{1,32}$")  # Discord: letters of any script, digits, - and _
TOKEN = "MTAxMjM0NTY3ODkwMTIzNDU2Nzg5.GAbCdE.abcdefghijklmnopqrstuvwxyz0123456789AB"


def load_payloads(capsys: pytest.CaptureFixture[str]) -> list[dict]:
    assert commands_json({}, as_json=True) == 0
    return json.loads(capsys.readouterr().out)


def walk(payload: dict, path: str = ""):
    yield path + payload["name"], payload
    for option in payload.get("options", []):
        yield from walk(option, path + payload["name"] + " ")


def test_every_command_option_and_choice_has_a_japanese_name(
    capsys: pytest.CaptureFixture[str],
) -> None:
    payloads = load_payloads(capsys)
    names = {p["name"] for p in payloads}
    assert names == {"ask", "search", "article", "feeds", "kiji", "digest", "Ask kiji"}
    for top in payloads:
        for where, item in walk(top):
            assert item["name_localizations"].get("ja"), where
            if top.get("type") == 1:  # context menus have no descriptions
                assert item["description_localizations"].get("ja"), where
                assert len(item["description"]) <= 100, where
                assert len(item["description_localizations"]["ja"]) <= 100, where
                assert NAME.match(item["name_localizations"]["ja"]), where
                assert item["name"] == item["name"].lower(), where
            for choice in item.get("choices", []):
                assert choice["name_localizations"].get("ja"), (where, choice)
    menu = next(p for p in payloads if p["name"] == "Ask kiji")
    assert menu["type"] == 3 and menu["name_localizations"]["ja"] == "kijiに聞く"
    ask = next(p for p in payloads if p["name"] == "ask")
    assert ask["name_localizations"]["ja"] == "聞く"
    assert ask["options"][0]["name_localizations"]["ja"] == "質問"
    feeds = next(p for p in payloads if p["name"] == "feeds")
    assert int(feeds["default_member_permissions"]) == 1 << 5  # Manage Server (a hint only)
    # ja names are unique among top-level commands, as Discord requires.
    ja = [p["name_localizations"]["ja"] for p in payloads if p["type"] == 1]
    assert len(ja) == len(set(ja))


def test_cli_register_adds_run_sync_commands(capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="kiji")
    sub = parser.add_subparsers(dest="command")
    register(sub)
    args = parser.parse_args(["commands", "--json"])
    assert args.handler(args) == 0
    assert json.loads(capsys.readouterr().out)[0]["name"] == "ask"
    args = parser.parse_args(["sync", "--guild", "123"])
    assert args.guild == 123 and not args.use_global
    assert parser.parse_args(["run"]).handler.__name__ == "_run"


# --------------------------------------------------------------------------- config


def test_missing_token_explains_kiji_chat(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert run(tmp_path / "x.db", env={}) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1  # one line, no traceback
    assert "DISCORD_TOKEN" in err and "kiji chat" in err


def test_invalid_token_is_not_echoed(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    secret = "this-is-my-client-secret-123"
    assert run(tmp_path / "x.db", env={"DISCORD_TOKEN": secret}) == 2
    err = capsys.readouterr().err
    assert secret not in err and "Traceback" not in err and err.count("\n") == 1


def test_settings_from_env() -> None:
    s = BotSettings.from_env(
        {
            "DISCORD_TOKEN": TOKEN,
            "KIJI_DB": "/tmp/k.db",
            "KIJI_DEV_GUILD_ID": "42",
            "KIJI_OWNER_IDS": "1, 2",
            "KIJI_SHARD_IDS": "0,1",
            "KIJI_SHARD_COUNT": "4",
            "KIJI_LOG_LEVEL": "debug",
        }
    )
    assert (s.dev_guild_id, s.owner_ids, s.shard_ids, s.shard_count, s.log_level) == (
        42, frozenset({1, 2}), (0, 1), 4, "DEBUG",
    )  # fmt: skip
    assert TOKEN not in repr(s)
    for bad in (
        {"KIJI_SHARD_IDS": "0"},
        {"KIJI_SHARD_IDS": "5", "KIJI_SHARD_COUNT": "2"},
        {"KIJI_DEV_GUILD_ID": "abc"},
        {"KIJI_LOG_LEVEL": "LOUD"},
    ):
        with pytest.raises(ConfigError):
            BotSettings.from_env({"DISCORD_TOKEN": TOKEN, **bad})
    with pytest.raises(ConfigError, match="Bot"):
        BotSettings.from_env({"DISCORD_TOKEN": "Bot " + TOKEN})


def test_env_example_lists_every_variable() -> None:
    text = (Path(__file__).parents[2] / ".env.example").read_text()
    for name in (
        "DISCORD_TOKEN", "KIJI_DB", "KIJI_DEV_GUILD_ID", "KIJI_LOG_LEVEL", "KIJI_OWNER_IDS",
        "KIJI_SHARD_IDS", "KIJI_SHARD_COUNT",
    ):  # fmt: skip
        assert re.search(rf"^#.*\n{name}=\s*$", text, re.MULTILINE), name


# --------------------------------------------------------------------------- settings


async def test_settings_persist_and_are_versioned(tmp_path: Path) -> None:
    path = tmp_path / "kiji.db"
    async with await SettingsStore.open(path) as s:
        await s.update(7, visibility="ephemeral", moderator_role_id=9, add_channel=11)
        qid = await s.remember("ask", "日銀は？", now=datetime(2026, 11, 14, tzinfo=JST))
        assert await s.remember("ask", "日銀は？", now=datetime(2026, 11, 15, tzinfo=JST)) == qid
    async with await SettingsStore.open(path) as s:
        gs = s.get(7)
        assert (gs.visibility, gs.moderator_role_id, gs.answer_channels) == ("ephemeral", 9, {11})
        assert await s.recall("ask", qid) == "日銀は？"
        assert await s.recall("search", qid) is None
    conn = sqlite3.connect(path)
    with conn:  # one transaction
        row = conn.execute("SELECT version FROM bot_schema WHERE component = 'settings'").fetchone()
        assert row is not None and row[0] == SETTINGS.latest == 1
        conn.execute("UPDATE bot_schema SET version = 99 WHERE component = 'settings'")
    conn.close()
    with pytest.raises(SchemaTooNew):
        await SettingsStore.open(path)


# --------------------------------------------------------------------------- limits and render


def test_truncate_at_character_boundaries() -> None:
    assert limits.truncate("短い", 10) == "短い"
    assert limits.truncate("あいうえおかきくけこ", 5) == "あいうえ…"
    assert len(limits.truncate("😀" * 300, 256)) == 256
    assert limits.truncate("abc", 0) == "" and limits.truncate("abc", 1) == "…"


def huge_answer() -> Answer:
    long = "とても長い本文です。" * 400
    excerpts = tuple(
        Excerpt(
            n=i + 1,
            text=long,
            highlights=((0, 3), (2, 5), (3000, 3005)),
            article_id=f"a{i}",
            title="見出し" * 200,
            url="https://kiji.example/a(b)c d",
            published_at=datetime(2026, 11, 14, tzinfo=JST),
            heading="小見出し" * 50,
            score=1.0,
        )
        for i in range(6)
    )
    related = tuple(
        RelatedArticle(f"r{i}", "関連" * 300, "https://kiji.example/r", None) for i in range(30)
    )
    return Answer(question="質問" * 1000, status="answered", excerpts=excerpts, related=related)


def test_over_long_content_is_truncated_within_limits() -> None:
    answer = huge_answer()
    for embed in (
        render.answer_embed(answer, "ja"),
        render.answer_embed(answer, "ja", page=1),
        render.sources_embed(answer, "en-US"),
    ):
        assert len(embed) <= 6000
        assert len(embed.title or "") <= 256
        assert len(embed.description or "") <= 4096
        assert all(len(f.value or "") <= 1024 for f in embed.fields)
    first = render.answer_embed(answer, "ja")
    assert (first.title or "").endswith("…")
    assert "…" in (first.description or "")
    assert "(https://kiji.example/a%28b%29c%20d)" in (first.description or "")
    assert (first.description or "").count("**") % 2 == 0  # no unbalanced bold


def test_digest_messages_respect_message_limits() -> None:
    items = tuple(
        DigestItem(f"id{i}", f"記事{i}" * 30, f"https://kiji.example/{i}", None, "要約" * 200)
        for i in range(60)
    )
    digest = Digest(
        date="2026-11-13",
        tz="Asia/Tokyo",
        sections=tuple(DigestSection(f"分類{j}", items[j * 5 : (j + 1) * 5]) for j in range(12)),
    )
    messages = render_digest.digest_messages(digest, "ja")
    assert len(messages) > 1
    for embeds in messages:
        assert 1 <= len(embeds) <= 10
        assert sum(len(e) for e in embeds) <= 6000
    all_text = "".join(e.description or "" for m in messages for e in m)
    assert "(https://kiji.example/59)" in all_text
    empty = render_digest.digest_messages(Digest("2026-11-13", "Asia/Tokyo", ()), "en-US")
    assert empty[0][0].description == "No articles were published on 2026-11-13."


def test_escape_makes_user_text_inert() -> None:
    text = render.escape("@everyone *a* _b_ [x](https://evil) <@123> # h\n- item")
    assert "@everyone" not in text and "<@123>" not in text
    assert "\\*a\\*" in text and "\\[x\\]" in text
    assert render.safe_url("javascript:alert(1)") is None


# --------------------------------------------------------------------------- poster


class FakeResponse:
    def __init__(self, status: int, headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.reason = "x"
        self.headers = headers or {}


def http_error(cls, status: int, **headers: str):
    return cls(FakeResponse(status, headers), {"message": "nope", "code": 0})


def test_discord_errors_become_scheduler_errors() -> None:
    assert isinstance(_translate(http_error(discord.Forbidden, 403), (1,)), MissingPermissions)
    gone = _translate(http_error(discord.NotFound, 404), (1, 2))
    assert isinstance(gone, ChannelGone) and gone.message_ids == (1, 2)
    limited = _translate(http_error(discord.HTTPException, 429, **{"Retry-After": "7"}), ())
    assert isinstance(limited, RateLimited) and limited.retry_after == 7.0
    assert isinstance(_translate(http_error(discord.DiscordServerError, 503), ()), ServerError)


class FakeChannel(discord.abc.Messageable):
    def __init__(self, guild_id: int, fail_after: int | None = None) -> None:
        self.id = 5
        self.guild = type(
            "G", (), {"id": guild_id, "me": None, "preferred_locale": discord.Locale.japanese}
        )()
        self.sent: list[dict] = []
        self.fail_after = fail_after

    async def _get_channel(self) -> Any:
        return self

    async def send(self, **kw):  # type: ignore[override]
        if self.fail_after is not None and len(self.sent) >= self.fail_after:
            raise http_error(discord.Forbidden, 403)
        self.sent.append(kw)
        return type("M", (), {"id": 100 + len(self.sent)})()


class FakeClient:
    def __init__(self, channel) -> None:
        self.channel = channel
        self.user = None

    def get_channel(self, channel_id):
        return self.channel


async def test_poster_sends_without_pings_and_reports_partial_posts() -> None:
    items = tuple(
        DigestItem(f"id{i}", f"記事{i}", f"https://kiji.example/{i}", None, "要約" * 300)
        for i in range(40)
    )
    digest = Digest("2026-11-13", "Asia/Tokyo", (DigestSection("経済", items),))
    channel = FakeChannel(1)
    ids = await DiscordDigestPoster(FakeClient(channel)).post(1, 5, digest)  # type: ignore[arg-type]
    assert ids == [101 + i for i in range(len(channel.sent))] and len(ids) > 1
    assert all(kw["allowed_mentions"].to_dict() == {"parse": []} for kw in channel.sent)

    with pytest.raises(ChannelGone):
        await DiscordDigestPoster(FakeClient(FakeChannel(2))).post(1, 5, digest)  # type: ignore[arg-type]
    failing = FakeChannel(1, fail_after=1)
    with pytest.raises(MissingPermissions) as info:
        await DiscordDigestPoster(FakeClient(failing)).post(1, 5, digest)  # type: ignore[arg-type]
    assert info.value.message_ids == (101,)


def test_run_wires_the_stores_into_the_bot(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tokenizer
) -> None:
    """`kiji run` up to the network: stores opened, bot built with them, resources closed."""
    import bot.__main__ as entry
    from bot.client import NewsBot

    seen: dict = {}

    async def fake_start(self: NewsBot, token: str, *, reconnect: bool = True) -> None:
        await self.install()
        seen.update(
            token=token,
            intents=self.intents.value,
            mentions=self.allowed_mentions.to_dict() if self.allowed_mentions else None,
            shards=(self.shard_ids, self.shard_count),
            cogs=sorted(self.cogs),
            scheduler=self.scheduler is not None,
            passages=await self.index.run(lambda ctx: ctx.searcher.n_docs),
        )

    monkeypatch.setattr(NewsBot, "start", fake_start)
    monkeypatch.setattr(entry, "configure_logging", lambda level, **kw: None)
    env = {"DISCORD_TOKEN": TOKEN, "KIJI_SHARD_IDS": "0", "KIJI_SHARD_COUNT": "2"}
    assert entry.run(tmp_path / "kiji.db", env=env) == 0
    assert seen["token"] == TOKEN
    assert seen["intents"] == discord.Intents.default().value
    assert seen["mentions"] == {"parse": []}
    assert seen["shards"] == ([0], 2)
    assert seen["cogs"] == [
        "AdminCog",
        "AskCog",
        "DigestCog",
        "FeedbackCog",
        "FeedsCog",
        "SearchCog",
    ]
    assert seen["scheduler"] and seen["passages"] == 0
