"""Running kiji for real: rate limits, metrics and structured logs wired into the bot."""

from __future__ import annotations

import io
import json
import logging
import socket
import urllib.request
from datetime import time, timedelta
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from bot import __main__ as entry
from bot.client import NewsBot
from bot.config import BotSettings, ConfigError
from bot.guards import Limits
from bot.scheduler import DigestScheduler, MissingPermissions
from bot.state.settings import SettingsStore
from bot.worker import IndexWorker
from index.digest.digest import DigestBuilder
from index.ops.metrics import KijiMetrics
from index.ops.ratelimit import RateLimiter
from index.store.store import IndexStore
from tests.bot.conftest import make_bot
from tests.bot.fakes import GUILD_ID, OTHER_USER_ID, USER_ID, dispatch, slash
from tests.bot.test_commands import FakeFetcher, cmd, only_send
from tests.bot.test_scheduler import C1, G1, Clock, D, FakePoster, jst
from tests.index.test_digest import corpus

THIRD_USER_ID = 3333
MANAGE_GUILD = 1 << 5


@pytest.fixture
async def feeds_bot(bot_db: Path, reader: IndexWorker, guild_settings: SettingsStore, tokenizer):
    async with await IndexWorker.open(bot_db, tokenizer, name="writer", warm=False) as writer:
        yield await make_bot(bot_db, reader, guild_settings, writer=writer)


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def wire(bot: NewsBot, limits: Limits) -> KijiMetrics:
    """Inject fresh limits and metrics into the cogs (what NewsBot's constructor does)."""
    metrics = KijiMetrics(CollectorRegistry())
    for name in ("AskCog", "FeedsCog"):
        cog = bot.get_cog(name)
        cog.limits = limits  # type: ignore[union-attr]
        cog.metrics = metrics  # type: ignore[union-attr]
    return metrics


def limits(clock: FakeMonotonic, *, user=(10, 60), guild=(60, 60), feeds=(10, 3600)) -> Limits:
    return Limits(
        ask_user=RateLimiter(*user, clock=clock),
        ask_guild=RateLimiter(*guild, clock=clock),
        feed_adds=RateLimiter(*feeds, clock=clock),
    )


async def test_guild_question_limit_is_friendly_and_counted(bot: NewsBot) -> None:
    clock = FakeMonotonic()
    metrics = wire(bot, limits(clock, guild=(2, 60)))
    asked = []
    for user in (USER_ID, OTHER_USER_ID, THIRD_USER_ID):
        inter = slash(bot, cmd(bot, "ask"), user_id=user, question="北斎展はいつまで？")
        await dispatch(bot.tree, inter)
        asked.append(inter)
    assert [i.rec.kinds() for i in asked[:2]] == [["defer", "followup"]] * 2
    assert asked[2].rec.kinds() == ["send_message"]  # refused before deferring
    sent = only_send(asked[2])
    assert sent["ephemeral"] is True
    assert (
        sent["content"]
        == "このサーバーではいま質問が集中しています。あと30秒ほどでまた受け付けます。"
    )

    clock.now += 30  # one question's worth of the guild budget has come back
    again = slash(bot, cmd(bot, "ask"), user_id=THIRD_USER_ID, question="北斎展はいつまで？")
    await dispatch(bot.tree, again)
    assert again.rec.kinds() == ["defer", "followup"]
    assert metrics.value("kiji_questions_total", status="answered") == 3
    assert metrics.value("kiji_questions_total", status="rate_limited") == 1
    assert metrics.value("kiji_answer_seconds_count") == 3


async def test_user_question_limit_in_english(bot: NewsBot) -> None:
    metrics = wire(bot, limits(FakeMonotonic(), user=(1, 60)))
    first = slash(bot, cmd(bot, "ask"), locale="en-US", question="ピッチクロックは何秒？")
    second = slash(bot, cmd(bot, "ask"), locale="en-US", question="宇宙の果ては？")
    await dispatch(bot.tree, first)
    await dispatch(bot.tree, second)
    assert first.rec.kinds() == ["defer", "followup"]
    assert only_send(second)["content"] == (
        "You have asked a lot in a short time: please wait about 60 s and ask again."
    )
    other = slash(bot, cmd(bot, "ask"), user_id=OTHER_USER_ID, question="宇宙の果ては？")
    await dispatch(bot.tree, other)  # the guild budget was not spent by the refusal
    assert other.rec.kinds() == ["defer", "followup"]
    assert metrics.value("kiji_questions_total", status="not_found") == 1
    assert metrics.not_found_rate() == 0.5


async def test_feed_additions_are_limited_per_guild(feeds_bot: NewsBot) -> None:
    clock = FakeMonotonic()
    metrics = wire(feeds_bot, limits(clock, feeds=(1, 3600)))
    cog = feeds_bot.get_cog("FeedsCog")
    body = (Path(__file__).parents[1] / "fixtures" / "feed" / "atom.xml").read_bytes()
    cog.fetcher = FakeFetcher(body)  # type: ignore[union-attr]
    add = slash(feeds_bot, cmd(feeds_bot, "feeds add"), permissions=MANAGE_GUILD,
                url="https://news.example/feed.atom")  # fmt: skip
    await dispatch(feeds_bot.tree, add)
    assert add.rec.kinds() == ["defer", "followup"], add.rec.events
    assert (
        metrics.value("kiji_ingest_articles_total", outcome="added") > 0
    )  # the first poll's articles are counted

    more = slash(feeds_bot, cmd(feeds_bot, "feeds add"), permissions=MANAGE_GUILD,
                 url="https://news.example/other.atom")  # fmt: skip
    await dispatch(feeds_bot.tree, more)
    sent = only_send(more)
    assert sent["ephemeral"] is True
    assert sent["content"] == (
        "このサーバーではフィードの追加が上限（1件/1時間）に達しました。あと60分ほどで追加できます。"
    )


async def test_digest_posts_are_counted(tmp_path: Path, tokenizer) -> None:
    db = tmp_path / "kiji.db"
    with IndexStore.open(db) as store:
        store.add_articles(corpus(), tokenizer)
    builder = DigestBuilder(db, tokenizer=tokenizer)
    build = lambda day, tz, categories: builder(day, tz, categories)  # noqa: E731
    metrics = KijiMetrics(CollectorRegistry())
    poster = FakePoster()
    clock = Clock(jst(D, 9))
    async with DigestScheduler(db, build, poster, clock=clock, metrics=metrics) as sched:
        await sched.set_schedule(G1, C1, time(8, 0), "Asia/Tokyo", None)
        poster.fail_next(1, lambda: MissingPermissions("Missing Access"))
        clock.set(jst(D + timedelta(days=1), 8))
        (r,) = await sched.tick()
        assert r.status == "retry_scheduled"
        clock.set(jst(D + timedelta(days=1), 8, 2))
        (r,) = await sched.tick()
        assert r.status == "posted"
    builder.close()
    assert metrics.value("kiji_digest_posts_total", result="failed") == 1
    assert metrics.value("kiji_digest_posts_total", result="ok") == 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_metrics_endpoint_follows_kiji_metrics_port(bot_db: Path) -> None:
    base = {"DISCORD_TOKEN": "x" * 24 + "." + "y" * 6 + "." + "z" * 27, "KIJI_DB": str(bot_db)}
    settings = BotSettings.from_env(base)
    assert settings.metrics_port is None and settings.log_json is False
    with entry.start_metrics(settings, CollectorRegistry()) as server:
        assert server is None
    port = free_port()
    settings = BotSettings.from_env({**base, "KIJI_METRICS_PORT": str(port)})
    metrics = KijiMetrics(CollectorRegistry())
    metrics.record_answer("answered", 0.01)
    with entry.start_metrics(settings, metrics.registry) as server:
        assert server is not None and server.url == f"http://127.0.0.1:{port}"
        with urllib.request.urlopen(server.url + "/metrics", timeout=10) as r:
            assert 'kiji_questions_total{status="answered"} 1' in r.read().decode()
        with urllib.request.urlopen(server.url + "/healthz", timeout=10) as r:
            assert r.read().decode() == "ok\ndatabase ok\n"
    for bad in ({"KIJI_METRICS_PORT": "http"}, {"KIJI_METRICS_PORT": "70000"},
                {"KIJI_LOG_FORMAT": "xml"}):  # fmt: skip
        with pytest.raises(ConfigError):
            BotSettings.from_env({**base, **bad})
    assert BotSettings.from_env({**base, "KIJI_LOG_FORMAT": "JSON"}).log_json is True


def test_json_logs_carry_guild_and_command_never_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    token = "MTIzNDU2Nzg5MDEyMzQ1Njc4OQ.GabcdE.abcdefghijklmnopqrstuvwxyz0123456789_-"
    try:
        root.handlers = []
        entry.configure_logging("INFO", as_json=True)
        log = logging.getLogger("bot.cogs.ask")
        log.info("ask in guild %s: %s", GUILD_ID, "answered",
                 extra={"guild": GUILD_ID, "command": "ask", "status": "answered",
                        "took_ms": 12.3, "question": "日銀の金利は？"})  # fmt: skip
        logging.getLogger("discord.client").error("login failed for %s", token)
    finally:
        root.handlers, _ = saved[0], root.setLevel(saved[1])
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert {k: first[k] for k in ("level", "logger", "guild", "command", "status", "took_ms")} == {
        "level": "INFO", "logger": "bot.cogs.ask", "guild": GUILD_ID, "command": "ask",
        "status": "answered", "took_ms": 12.3,
    }  # fmt: skip
    assert "question" not in first and "日銀" not in stream.getvalue()
    assert token not in stream.getvalue() and second["event"] == "login failed for [redacted token]"
