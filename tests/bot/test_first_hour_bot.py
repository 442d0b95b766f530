"""Issue 16 in the Discord layer: digest messages and times as the CLI shows them."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from bot import render_digest
from index.analysis.tokenizer import JapaneseTokenizer
from index.digest.digest import build_digest
from index.models import Article, Section
from index.store.store import IndexStore

JST = timezone(timedelta(hours=9))
TOKYO = ZoneInfo("Asia/Tokyo")
DAY = date(2026, 11, 20)


def _article(id: str, title: str, when: datetime, category: str) -> Article:
    return Article(
        id=id,
        title=title,
        sections=(Section(None, (f"{title}について伝えます。",)),),
        url=f"https://kiji.example/{id}",
        published_at=when,
        category=category,
    )


def _store(tmp_path: Path, tokenizer: JapaneseTokenizer) -> IndexStore:
    store = IndexStore.open(tmp_path / "d.db")
    store.add_articles(
        [
            _article("boj", "日銀が利上げ", datetime(2026, 11, 20, 9, 30, tzinfo=JST), "経済"),
            _article("bear", "クマの出没", datetime(2026, 11, 20, tzinfo=JST), "社会"),
        ],
        tokenizer,
    )
    return store


def test_digest_embed_says_the_day_had_articles_in_other_categories(
    tmp_path: Path, tokenizer: JapaneseTokenizer
) -> None:
    with _store(tmp_path, tokenizer) as store:
        digest = build_digest(store, DAY, TOKYO, categories=["スポーツ"])
    [embed] = render_digest.digest_embeds(digest, None)
    assert embed.description is not None
    assert "2件ありますが、スポーツの記事はありません" in embed.description
    assert "社会、経済" in embed.description


def test_digest_embed_shows_local_times_and_none_for_a_date_alone(
    tmp_path: Path, tokenizer: JapaneseTokenizer
) -> None:
    with _store(tmp_path, tokenizer) as store:
        digest = build_digest(store, DAY, TOKYO)
    text = "\n".join(e.description or "" for e in render_digest.digest_embeds(digest, None))
    assert "（09:30）" in text
    assert "00:00" not in text


def test_kiji_commands_prints_no_voice_warnings(tmp_path: Path) -> None:
    """`kiji commands` (a real process) lists the commands and says nothing on stderr."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "KIJI_"))}
    env["KIJI_DB"] = str(tmp_path / "k.db")
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from bot.cli import main; raise SystemExit(main())",
            "commands",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "聞く" in done.stdout
    assert "PyNaCl" not in done.stderr and "davey" not in done.stderr
    assert done.stderr == ""


def test_the_bot_reads_kiji_feeds_allow_private() -> None:
    from bot.config import BotSettings

    base = {"KIJI_DB": "/tmp/x.db"}
    assert not BotSettings.from_env(base, require_token=False).feeds_allow_private
    allowed = BotSettings.from_env({**base, "KIJI_FEEDS_ALLOW_PRIVATE": "1"}, require_token=False)
    assert allowed.feeds_allow_private


async def test_feeds_cog_fetcher_follows_the_setting(tmp_path: Path) -> None:
    from bot.client import NewsBot
    from bot.config import BotSettings

    env = {"KIJI_DB": str(tmp_path / "k.db"), "KIJI_FEEDS_ALLOW_PRIVATE": "1"}
    settings = BotSettings.from_env(env, require_token=False)
    bot = NewsBot(settings=settings, guild_settings=None, index=None, background_tasks=False)
    await bot.install()
    cog = bot.get_cog("FeedsCog")  # loaded as an extension: another class object than an import
    assert cog is not None
    assert getattr(cog, "fetcher").allow_private  # noqa: B009
