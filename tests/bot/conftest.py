"""Fixtures for the Discord layer: a real index in a tmp SQLite file, real Sudachi, a real bot
(never connected), and small original Japanese articles written for these tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import discord
import pytest

from bot.client import NewsBot
from bot.config import BotSettings
from bot.state.settings import SettingsStore
from bot.worker import IndexWorker
from index.analysis.tokenizer import JapaneseTokenizer
from index.models import Article, ArticleLink, Section
from index.store.store import IndexStore
from tests.bot.fakes import (
    BOT_ID,
    CHANNEL_ID,
    GUILD_ID,
    OTHER_CHANNEL_ID,
    OWNER_ID,
    channel_payload,
    user_payload,
)
from tests.pg import pg_database

JST = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 11, 14, 12, 0, tzinfo=JST)


def _a(
    id: str, title: str, day: int, category: str, paragraphs: list[str], **kw: object
) -> Article:
    return Article(
        id=id,
        title=title,
        sections=(Section(None, tuple(paragraphs)),),
        url=f"https://kiji.example/articles/{id}",
        published_at=datetime(2026, 11, day, 9, 0, tzinfo=JST),
        category=category,
        **kw,  # type: ignore[arg-type]
    )


ARTICLES = [
    _a(
        "boj-rate",
        "日銀が政策金利を0.75%に引き上げ、物価上昇の定着を確認",
        13,
        "経済",
        [
            "日本銀行は11月13日の金融政策決定会合で、政策金利を0.5%から0.75%に引き上げることを決めました。",
            "利上げは今年1月以来で、賃金と物価がそろって上がる流れが定着したと判断しました。",
            "植田総裁は記者会見で、今後も経済と物価の動きを見ながら慎重に判断すると述べました。",
            "住宅ローンの変動金利も上がる見込みで、家計への影響が注目されます。",
        ],
        references=("金融政策決定会合の結果について | 日本銀行",),
        related=(ArticleLink("円安が一服、1ドル150円台に", "為替市場の動きを解説します。"),),
    ),
    _a(
        "yen-rate",
        "円安が一服、1ドル150円台に",
        14,
        "経済",
        [
            "外国為替市場では14日、円を買う動きが強まり、1ドル150円台まで円高が進みました。",
            "日銀の利上げで日米の金利差が縮まるとの見方が広がったためです。",
        ],
    ),
    _a(
        "pitch-clock",
        "プロ野球が来季からピッチクロック導入へ",
        13,
        "スポーツ",
        [
            "日本野球機構は、2027年シーズンから投球間の時間を制限するピッチクロックを導入すると発表しました。",
            "走者がいない場面では15秒、走者がいる場面では18秒以内に投球しなければなりません。",
            "試合時間の短縮が狙いで、平均3時間を切ることを目標にしています。",
        ],
    ),
    _a(
        "museum",
        "港町美術館で北斎展が開幕、初公開の版画も",
        14,
        "文化",
        [
            "港町美術館で14日、葛飾北斎の作品を集めた展覧会が始まりました。",
            "個人が所蔵していた版画3点が初めて公開され、初日から多くの人が訪れました。",
            "展覧会は来年1月まで開かれ、入場料は一般1500円です。",
        ],
    ),
    _a(
        "outage",
        "湊テレコムで通信障害、約40万回線に影響",
        12,
        "社会",
        [
            "湊テレコムは12日、設備の故障により約40万回線で通話やデータ通信がつながりにくくなったと発表しました。",
            "障害はおよそ6時間続き、同社は原因の調査と再発防止を進めるとしています。",
        ],
    ),
]


@pytest.fixture
def bot_db(tmp_path: Path, tokenizer: JapaneseTokenizer) -> Path:
    path = tmp_path / "kiji.db"
    with IndexStore.open(path) as store:
        report = store.add_articles(ARTICLES, tokenizer)
        assert report.added == len(ARTICLES)
    return path


@pytest.fixture
async def reader(bot_db: Path, tokenizer: JapaneseTokenizer) -> AsyncIterator[IndexWorker]:
    async with await IndexWorker.open(bot_db, tokenizer) as worker:
        yield worker


@pytest.fixture
async def guild_settings(bot_db: Path) -> AsyncIterator[SettingsStore]:
    async with await SettingsStore.open(bot_db) as store:
        yield store


def bot_settings(db_path: Path | str) -> BotSettings:
    return BotSettings(token="", db_path=db_path, owner_ids=frozenset({OWNER_ID}))


async def make_bot(
    db_path: Path | str,
    reader: IndexWorker,
    guild_settings: SettingsStore,
    *,
    writer: IndexWorker | None = None,
    scheduler: object = None,
    settings: BotSettings | None = None,
) -> NewsBot:
    bot = NewsBot(
        settings=settings or bot_settings(db_path),
        guild_settings=guild_settings,
        index=reader,
        writer=writer,
        scheduler=scheduler,  # type: ignore[arg-type]
        clock=lambda: NOW,
        background_tasks=False,
    )
    await bot.install()
    # A logged-in client knows its own user; the payload is what Discord's READY carries.
    me: Any = {**user_payload(BOT_ID, "kiji"), "bot": True, "mfa_enabled": False}
    bot._connection.user = discord.ClientUser(state=bot._connection, data=me)
    # The guild as the gateway would have cached it (Intents.default() includes guilds).
    state = bot._connection
    guild = state._get_or_create_unavailable_guild(GUILD_ID)
    guild.unavailable = False
    for cid in (CHANNEL_ID, OTHER_CHANNEL_ID):
        data: Any = channel_payload(cid)
        guild._add_channel(discord.TextChannel(state=state, guild=guild, data=data))
    state._add_guild(guild)
    return bot


@pytest.fixture
async def bot(bot_db: Path, reader: IndexWorker, guild_settings: SettingsStore) -> NewsBot:
    return await make_bot(bot_db, reader, guild_settings)


@pytest.fixture(params=["sqlite", "postgresql"])
def state_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str | Path]:
    """Where the bot's state lives, once per backend: a SQLite file, then a fresh PostgreSQL
    database (dropped afterwards; the test fails if PostgreSQL is unreachable)."""
    if request.param == "sqlite":
        yield tmp_path / "state.db"
        return
    with pg_database() as url:
        yield url
