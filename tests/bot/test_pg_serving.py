"""The bot serving an index on PostgreSQL: /ask, /kiji stats and /digest preview read it through
the store interface and answer as from the SQLite file; with ``KIJI_DB_READ`` the reader answers
from the replica's database while the writer and the votes go to ``KIJI_DB``; and ``kiji run``
takes a ``postgresql://`` ``KIJI_DB`` (no longer refused)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.client import NewsBot
from bot.config import BotSettings, ConfigError
from bot.scheduler import DigestScheduler
from bot.state.settings import SettingsStore
from bot.worker import IndexWorker, open_workers
from index.analysis.tokenizer import JapaneseTokenizer
from index.config import CoreSettings
from index.digest.digest import build_digest
from index.models import Article, Section
from index.store.feedback_store import FeedbackStore
from index.store.store import IndexStore
from tests.bot.conftest import ARTICLES, JST, NOW, make_bot
from tests.bot.fakes import GUILD_ID, MANAGE_GUILD, USER_ID, Recorder, dispatch, slash
from tests.pg import admin_url, pg_database

NONE = discord.AllowedMentions.none().to_dict()
QUESTION = "日銀は政策金利をどうした？"
MUSEUM = "北斎展の入場料はいくら？"


def command(bot: NewsBot, path: str) -> Any:
    parts = path.split()
    found: Any = bot.tree.get_command(parts[0])
    for p in parts[1:]:
        found = found.get_command(p)
    assert found is not None, path
    return found


def sent(rec: Recorder) -> dict[str, Any]:
    """The last message sent, after checking that no message sent can ping anyone."""
    sends = rec.sends()
    assert sends, rec.kinds()
    for event in sends:
        assert event.kwargs["allowed_mentions"].to_dict() == NONE
    return sends[-1].kwargs


def index_on(url: str, articles: list[Article], tokenizer: JapaneseTokenizer) -> str:
    with IndexStore.open(url) as store:
        assert store.add_articles(articles, tokenizer).added == len(articles)
    return url


@pytest.fixture
def pg_index(tokenizer: JapaneseTokenizer) -> Iterator[str]:
    with pg_database() as url:
        yield index_on(url, ARTICLES, tokenizer)


async def ask(bot: NewsBot, question: str) -> Any:
    """The answer's embed, as a dict."""
    inter = slash(bot, command(bot, "ask"), question=question)
    await dispatch(bot.tree, inter)
    assert inter.rec.kinds() == ["defer", "followup"]
    sent(inter.rec)
    return inter.rec.last().embeds[0].to_dict()


async def test_ask_stats_and_digest_from_a_postgresql_index(
    pg_index: str, bot: NewsBot, tokenizer: JapaneseTokenizer
) -> None:
    from_sqlite = await ask(bot, QUESTION)

    # the bot's state in the same PostgreSQL database, as `kiji run` keeps it without KIJI_STATE_DB
    async with (
        await IndexWorker.open(pg_index, tokenizer) as reader,
        await SettingsStore.open(pg_index) as guild_settings,
    ):

        def build(day, zone, categories):
            return reader.call(
                lambda ctx: build_digest(ctx.store, day, zone, categories=categories)
            )

        async with DigestScheduler(pg_index, build, object(), clock=lambda: NOW) as scheduler:  # type: ignore[arg-type]
            pg_bot = await make_bot(pg_index, reader, guild_settings, scheduler=scheduler)
            embed = await ask(pg_bot, QUESTION)
            assert embed["title"] == from_sqlite["title"] == f"質問：{QUESTION}"
            assert embed["description"] == from_sqlite["description"]  # the same excerpts
            assert "(https://kiji.example/articles/boj-rate)" in embed["description"]

            stats = slash(pg_bot, command(pg_bot, "kiji stats"), locale="en-GB")
            await dispatch(pg_bot.tree, stats)
            fields = {f.name: f.value for f in sent(stats.rec)["embed"].fields}
            assert fields["Articles"] == "5"

            preview = slash(
                pg_bot, command(pg_bot, "digest preview"), day="2026-11-13",
                permissions=MANAGE_GUILD,
            )  # fmt: skip
            await dispatch(pg_bot.tree, preview)
            sent(preview.rec)
            embeds = [e for send in preview.rec.sends() for e in send.embeds]
            assert embeds[0].author.name == "2026-11-13のニュースダイジェスト"
            text = "".join(str(e.to_dict()) for e in embeds)
            assert "日銀が政策金利を0.75%に引き上げ" in text and "ピッチクロック" in text
            await pg_bot.feedback.close()


# --------------------------------------------------------------------------- KIJI_DB_READ

EXTRA = Article(
    id="ferry",
    title="離島航路に新しいフェリーが就航",
    sections=(Section(None, ("港町と離島を結ぶ航路に、新しいフェリーが就航しました。",)),),
    url="https://kiji.example/articles/ferry",
    published_at=datetime(2026, 11, 14, 10, 0, tzinfo=JST),
    category="社会",
)


@pytest.fixture
def primary_and_replica(tokenizer: JapaneseTokenizer) -> Iterator[tuple[str, str]]:
    """Two databases told apart by their articles: the "replica" holds the museum article the
    "primary" lacks, so an answer citing it was read from the replica."""
    with pg_database() as primary, pg_database() as replica:
        index_on(primary, [a for a in ARTICLES if a.id != "museum"], tokenizer)
        index_on(replica, ARTICLES, tokenizer)
        yield primary, replica


def count(url: str) -> int:
    with IndexStore.open(url, create=False) as store:
        return int(store.stats()["articles"])


def votes(url: str) -> int:
    with IndexStore.open(url, create=False) as store:
        return len(FeedbackStore(store).voted_answers())


async def test_kiji_db_read_answers_from_the_replica_and_writes_to_kiji_db(
    primary_and_replica: tuple[str, str], tokenizer: JapaneseTokenizer
) -> None:
    primary, replica = primary_and_replica
    env = {"KIJI_DB": primary, "KIJI_DB_READ": replica}
    settings = BotSettings.from_env(env, require_token=False)
    assert (settings.db_path, settings.read_db) == (primary, replica)
    async with (
        open_workers(settings, CoreSettings.from_env(env), tokenizer) as (reader, writer),
        await SettingsStore.open(primary) as guild_settings,
    ):
        bot = await make_bot(primary, reader, guild_settings, writer=writer, settings=settings)
        answer = await ask(bot, MUSEUM)
        assert "(https://kiji.example/articles/museum)" in answer["description"]  # the replica's

        await writer.run(lambda ctx: ctx.store.add_articles([EXTRA], ctx.tokenizer))
        assert (count(primary), count(replica)) == (5, 5)  # written to KIJI_DB only

        shown = await reader.run(lambda ctx: ctx.answerer.ask(MUSEUM, now=NOW))
        answer_id = await bot.feedback.remember_answer(MUSEUM, shown.excerpts, now=NOW)
        await bot.feedback.vote(answer_id, USER_ID, 1, guild_id=GUILD_ID, now=NOW)
        await bot.feedback.close()
        assert (votes(primary), votes(replica)) == (1, 0)  # votes are writes: KIJI_DB


@pytest.mark.parametrize(
    ("env", "key"),
    [
        ({"KIJI_DB": "postgresql://h/db", "KIJI_DB_READ": "/var/lib/kiji/replica.db"}, "db_read_url"),
        ({"KIJI_DB": "/var/lib/kiji/kiji.db", "KIJI_DB_READ": "postgresql://h/db"}, "db_read_needs_pg"),
    ],
)  # fmt: skip
def test_kiji_db_read_must_be_a_replica_of_a_postgresql_kiji_db(
    env: dict[str, str], key: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        BotSettings.from_env(env, require_token=False)
    assert caught.value.key == key


# --------------------------------------------------------------------------- kiji run


def test_kiji_run_opens_a_postgresql_kiji_db(tmp_path: Path) -> None:
    """No longer refused: ``kiji run`` connects to the index's database before Discord, so a
    database that does not exist is one line naming it (without the password)."""
    name = f"kiji_never_{uuid.uuid4().hex[:12]}"
    url = admin_url().replace("postgresql://postgres@", "postgresql://postgres:secret@", 1)
    url = url.rsplit("/", 1)[0] + f"/{name}"
    token = "MTIzNDU2Nzg5MDEyMzQ1Njc4OQ.GabcdE.abcdefghijklmnopqrstuvwxyz0123456789_-"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KIJI_", "DISCORD_"))}
    proc = subprocess.run(
        [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main())", "run"],
        cwd=tmp_path,
        env={**env, "HOME": str(tmp_path), "KIJI_DB": url, "DISCORD_TOKEN": token,
             "LANG": "en_US.UTF-8"},
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("kiji: cannot connect to PostgreSQL at postgres@127.0.0.1:5432/" + name)
    assert "not available on PostgreSQL" not in proc.stderr and "secret" not in proc.stderr
