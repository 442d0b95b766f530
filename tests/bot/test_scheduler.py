"""DigestScheduler on a real SQLite file (index + digest tables), a fake clock and a fake poster.

The poster is the Discord boundary, so it is the only fake: it records what was posted and can be
told to fail the next N calls. The digests are built by the real build_digest.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot import render_digest
from bot.scheduler import (
    ChannelGone,
    DigestScheduler,
    MissingPermissions,
    RateLimited,
    ServerError,
)
from index.digest.digest import DigestBuilder
from index.errors import SchemaTooNew
from index.messages import Lang, stored_text
from index.models import Digest
from index.store.store import IndexStore
from tests.index.test_digest import corpus

TOKYO = ZoneInfo("Asia/Tokyo")
NEW_YORK = ZoneInfo("America/New_York")
G1, G2 = 111, 222
C1, C2 = 1001, 2002
D = date(2026, 11, 13)  # the corpus day with six articles


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, when: datetime) -> None:
        self.now = when

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


class FakePoster:
    """Records posts; ``fail_next(n, factory)`` makes the next n calls raise ``factory()``."""

    def __init__(self) -> None:
        self.posts: list[tuple[int, int, str, Digest]] = []
        self.calls = 0
        self._failures: list[Callable[[], Exception]] = []
        self._next_id = 5000

    def fail_next(self, n: int, factory: Callable[[], Exception]) -> None:
        self._failures.extend([factory] * n)

    async def post(self, guild_id: int, channel_id: int, digest: Digest) -> list[int]:
        self.calls += 1
        if self._failures:
            raise self._failures.pop(0)()
        self._next_id += 2
        self.posts.append((guild_id, channel_id, digest.date, digest))
        return [self._next_id - 1, self._next_id]

    def days(self, guild_id: int | None = None) -> list[str]:
        return [p[2] for p in self.posts if guild_id is None or p[0] == guild_id]


class FindingPoster(FakePoster):
    """A poster that can tell whether a digest is already in a channel."""

    def __init__(self, found: list[int] | None) -> None:
        super().__init__()
        self.found = found
        self.asked: list[tuple[int, int, date]] = []

    async def find_posted(self, guild_id, channel_id, day, since):
        self.asked.append((guild_id, channel_id, day))
        return self.found


@pytest.fixture
def db(tmp_path: Path, tokenizer) -> Path:
    path = tmp_path / "kiji.db"
    with IndexStore.open(path) as store:
        assert store.add_articles(corpus(), tokenizer).ok
    return path


@pytest.fixture
def build(db: Path, tokenizer):
    calls: list[tuple[date, str, tuple[str, ...] | None]] = []
    builder = DigestBuilder(db, tokenizer=tokenizer)  # a connection per worker thread

    def build(day: date, tz: ZoneInfo, categories: tuple[str, ...] | None) -> Digest:
        calls.append((day, tz.key, categories))
        return builder(day, tz, categories)

    build.calls = calls  # type: ignore[attr-defined]
    yield build
    builder.close()


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 13, 9, 0, tzinfo=TOKYO))  # 09:00 JST on D


@pytest.fixture
def poster() -> FakePoster:
    return FakePoster()


@pytest.fixture
def state(db: Path, state_db: str | Path) -> str | Path:
    """Where the schedules and the log live: the index's own SQLite file, or PostgreSQL."""
    return db if isinstance(state_db, Path) else state_db


@pytest.fixture
async def sched(state, build, poster, clock):
    async with DigestScheduler(state, build, poster, clock=clock) as s:
        yield s


def said(entry, lang: Lang = "en") -> str:
    """A digest-log row's error as /digest status says it (kept as a catalogue message)."""
    return stored_text(entry.last_error or "", lang)


def jst(day: date, h: int, m: int = 0) -> datetime:
    return datetime.combine(day, time(h, m), tzinfo=TOKYO)


# ---------------------------------------------------------------------------------- a normal day
async def test_normal_day(sched, poster, clock, build):
    schedule = await sched.set_schedule(G1, C1, time(8, 0), "Asia/Tokyo", None)
    assert schedule.next_run_day == D + timedelta(days=1)  # 08:00 on D has passed
    status = await sched.status(G1)
    assert status.next_run == jst(D + timedelta(days=1), 8)
    assert status.next_digest_day == D

    clock.set(jst(D + timedelta(days=1), 7, 59))
    assert await sched.tick() == []
    clock.set(jst(D + timedelta(days=1), 8, 0))
    (result,) = await sched.tick()
    assert (result.guild_id, result.channel_id, result.day, result.status) == (G1, C1, D, "posted")
    assert result.message_ids == (5001, 5002)
    assert build.calls == [(D, "Asia/Tokyo", None)]
    (posted,) = poster.posts
    assert posted[:3] == (G1, C1, "2026-11-13")
    assert [s.name for s in posted[3].sections] == ["経済", "テクノロジー", "その他"]

    clock.advance(minutes=1)
    assert await sched.tick() == []
    status = await sched.status(G1)
    (entry,) = status.last_posts
    assert (entry.day, entry.channel_id, entry.message_ids) == (D, C1, (5001, 5002))
    assert entry.posted_at == jst(D + timedelta(days=1), 8, 0)
    assert status.next_run == jst(D + timedelta(days=2), 8)
    assert status.misses == status.pending == status.failures == status.uncertain == ()


async def test_empty_day_is_still_posted_honestly(sched, poster, clock):
    await sched.set_schedule(G1, C1, time(8, 0), "Asia/Tokyo", ("スポーツ",))
    clock.set(jst(D + timedelta(days=1), 8, 0))
    (result,) = await sched.tick()
    assert result.status == "posted"
    assert poster.posts[0][3].is_empty


async def test_restart_after_post_does_not_repost(state, build, poster, clock):
    async with DigestScheduler(state, build, poster, clock=clock) as first:
        await first.set_schedule(G1, C1, time(8, 0), "Asia/Tokyo", None)
        clock.set(jst(D + timedelta(days=1), 8, 0))
        assert [r.status for r in await first.tick()] == ["posted"]
    clock.advance(minutes=3)
    async with DigestScheduler(state, build, poster, clock=clock) as second:
        assert await second.tick() == []
        clock.advance(hours=5)
        assert await second.tick() == []
        status = await second.status(G1)
    assert poster.days() == ["2026-11-13"]
    assert [e.day for e in status.last_posts] == [D]


# ---------------------------------------------------------------------------------- offline
async def test_offline_catch_up_within_grace_and_misses_beyond(sched, poster, clock):
    await sched.set_schedule(G1, C1, time(8, 0), "Asia/Tokyo", None)
    # Down from before 08:00 on D+1 until 13:30: 5.5 h late, within the 6 h grace.
    clock.set(jst(D + timedelta(days=1), 13, 30))
    assert [(r.day, r.status) for r in await sched.tick()] == [(D, "posted")]
    # Down again from D+1 evening until D+4 16:00: D+2 and D+3 are beyond grace, D+4 is 8 h
    # late, also beyond; each is recorded as missed, none silently skipped.
    clock.set(jst(D + timedelta(days=4), 16, 0))
    results = await sched.tick()
    assert [(r.day, r.status) for r in results] == [
        (D + timedelta(days=1), "missed"),
        (D + timedelta(days=2), "missed"),
        (D + timedelta(days=3), "missed"),
    ]
    assert poster.days() == ["2026-11-13"]
    status = await sched.status(G1)
    assert [m.day for m in status.misses] == [D + timedelta(days=n) for n in (3, 2, 1)]
    assert "offline" in said(status.misses[0])
    assert status.next_run == jst(D + timedelta(days=5), 8)
    # /digest status says why in the moderator's language (the log keeps a message key)
    shown = {
        locale: render_digest.digest_status_embed(status, locale).fields[-1].value or ""
        for locale in ("ja", "en-US")
    }
    assert (
        "2026-11-17 08:00 JST にボットが止まっていて、8.0 時間後に戻りました（猶予 6.0 時間）"
        in shown["ja"]
    )
    assert (
        "the bot was offline at 2026-11-17 08:00 JST and came back 8.0 h later (grace 6.0 h)"
        in shown["en-US"]
    )
    # A restart now does not re-handle the missed days.
    assert await sched.tick() == []


async def test_manual_post_of_a_missed_day(sched, poster, clock):
    await sched.set_schedule(G1, C1, time(8, 0), "Asia/Tokyo", None)
    clock.set(jst(D + timedelta(days=1), 20, 0))  # 12 h late
    assert [r.status for r in await sched.tick()] == ["missed"]
    result = await sched.post_now(G1, C1, D)
    assert result.status == "posted"
    status = await sched.status(G1)
    assert [e.day for e in status.last_posts] == [D] and status.misses == ()


# ---------------------------------------------------------------------------------- failures
async def test_missing_permissions_backs_off_and_recovers(sched, poster, clock):
    await sched.set_schedule(G1, C1, time(8, 0), "Asia/Tokyo", None)
    poster.fail_next(3, lambda: MissingPermissions("Missing Access: send_messages"))
    run_at = jst(D + timedelta(days=1), 8, 0)
    clock.set(run_at)
    (r,) = await sched.tick()
    assert r.status == "retry_scheduled"
    assert r.next_attempt_at == run_at + timedelta(minutes=2)
    status = await sched.status(G1)
    (pending,) = status.pending
    assert pending.state == "retry" and pending.attempts == 1
    assert said(pending) == "MissingPermissions: Missing Access: send_messages"
    assert said(pending, "ja") == (
        "投稿する権限がありません（MissingPermissions: Missing Access: send_messages）"
    )
    assert pending.next_attempt_at == run_at + timedelta(minutes=2)

    clock.set(run_at + timedelta(minutes=1, seconds=59))
    assert await sched.tick() == []  # not yet
    clock.set(run_at + timedelta(minutes=2))
    (r,) = await sched.tick()
    assert r.status == "retry_scheduled"
    assert r.next_attempt_at == run_at + timedelta(minutes=2 + 4)  # doubled
    clock.set(run_at + timedelta(minutes=6))
    (r,) = await sched.tick()
    assert r.next_attempt_at == run_at + timedelta(minutes=6 + 8)
    # Permission is back.
    clock.set(run_at + timedelta(minutes=14))
    (r,) = await sched.tick()
    assert r.status == "posted"
    assert poster.calls == 4 and poster.days() == ["2026-11-13"]
    status = await sched.status(G1)
    assert status.pending == ()
    assert status.last_posts[0].attempts == 4


async def test_gives_up_after_max_attempts(state, build, poster, clock):
    async with DigestScheduler(state, build, poster, clock=clock, max_attempts=2) as sched:
        await sched.set_schedule(G1, C1, time(8, 0), "Asia/Tokyo", None)
        poster.fail_next(5, lambda: ServerError("503 Service Unavailable"))
        clock.set(jst(D + timedelta(days=1), 8, 0))
        assert [r.status for r in await sched.tick()] == ["retry_scheduled"]
        clock.advance(minutes=2)
        assert [r.status for r in await sched.tick()] == ["failed"]
        clock.advance(hours=1)
        assert await sched.tick() == []
        status = await sched.status(G1)
    (failed,) = status.failures
    assert failed.attempts == 2 and said(failed) == "ServerError: 503 Service Unavailable"
    assert poster.posts == []


async def test_channel_gone_fails_at_once(sched, poster, clock):
    await sched.set_schedule(G1, C1, time(8, 0), "Asia/Tokyo", None)
    poster.fail_next(1, lambda: ChannelGone("Unknown Channel"))
    clock.set(jst(D + timedelta(days=1), 8, 0))
    assert [r.status for r in await sched.tick()] == ["failed"]
    assert said((await sched.status(G1)).failures[0]) == "ChannelGone: Unknown Channel"


async def test_rate_limit_respects_retry_after(sched, poster, clock):
    await sched.set_schedule(G1, C1, time(8, 0), "Asia/Tokyo", None)
    poster.fail_next(1, lambda: RateLimited(37.5))
    run_at = jst(D + timedelta(days=1), 8, 0)
    clock.set(run_at)
    (r,) = await sched.tick()
    assert r.status == "retry_scheduled"
    assert r.next_attempt_at == run_at + timedelta(seconds=37.5)
    assert said((await sched.status(G1)).pending[0]).startswith("RateLimited")
    clock.set(run_at + timedelta(seconds=37))
    assert await sched.tick() == []
    clock.set(run_at + timedelta(seconds=37.5))
    assert [r.status for r in await sched.tick()] == ["posted"]


async def test_one_guild_failing_does_not_stop_another(sched, poster, clock):
    await sched.set_schedule(G1, C1, time(8, 0), "Asia/Tokyo", None)
    await sched.set_schedule(G2, C2, time(8, 0), "Asia/Tokyo", None)
    poster.fail_next(1, lambda: RuntimeError("boom"))  # unexpected: G1 is first
    clock.set(jst(D + timedelta(days=1), 8, 0))
    results = {r.guild_id: r for r in await sched.tick()}
    assert results[G1].status == "retry_scheduled"
    assert results[G1].error == "RuntimeError: boom"
    assert results[G2].status == "posted"
    assert said((await sched.status(G1)).pending[0]) == "RuntimeError: boom"


async def test_partial_post_is_not_reposted(sched, poster, clock):
    await sched.set_schedule(G1, C1, time(8, 0), "Asia/Tokyo", None)
    poster.fail_next(1, lambda: ServerError("502", message_ids=(77,)))
    clock.set(jst(D + timedelta(days=1), 8, 0))
    (r,) = await sched.tick()
    assert r.status == "uncertain" and r.message_ids == (77,)
    clock.advance(hours=2)
    assert await sched.tick() == []
    (u,) = (await sched.status(G1)).uncertain
    assert u.message_ids == (77,) and "partially posted" in said(u)


# ---------------------------------------------------------------------------------- crash recovery
async def _crash_mid_post(state, build, clock) -> None:
    """Claim a digest and die while the poster is sending it (the task is cancelled)."""

    class HangingPoster(FakePoster):
        def __init__(self) -> None:
            super().__init__()
            self.entered = asyncio.Event()

        async def post(self, guild_id, channel_id, digest):
            self.entered.set()
            await asyncio.Event().wait()  # never returns
            return []

    hanging = HangingPoster()
    sched = DigestScheduler(state, build, hanging, clock=clock)
    await sched.open()
    await sched.set_schedule(G1, C1, time(8, 0), "Asia/Tokyo", None)
    clock.set(jst(D + timedelta(days=1), 8, 0))
    task = asyncio.create_task(sched.tick())
    await hanging.entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await sched.close()


async def test_crash_between_claim_and_post_is_uncertain_not_reposted(state, build, poster, clock):
    await _crash_mid_post(state, build, clock)
    async with DigestScheduler(state, build, poster, clock=clock) as sched:
        clock.advance(minutes=5)  # younger than stale_after: maybe still being sent
        assert await sched.tick() == []
        assert [e.state for e in (await sched.status(G1)).pending] == ["posting"]
        clock.advance(minutes=10)
        (r,) = await sched.tick()
        assert r.status == "uncertain"
        clock.advance(hours=1)
        assert await sched.tick() == []
        status = await sched.status(G1)
        assert [e.day for e in status.uncertain] == [D]
        assert "check the channel" in said(status.uncertain[0])
        assert poster.posts == []
        # A moderator checks the channel and forces the post.
        assert (await sched.post_now(G1, C1, D)).status == "uncertain"
        assert (await sched.post_now(G1, C1, D, force=True)).status == "posted"
    assert poster.days() == ["2026-11-13"]


@pytest.mark.parametrize(("found", "expected"), [([], "posted"), ([9001], "posted")])
async def test_crash_resolved_by_asking_the_poster(state, build, clock, found, expected):
    await _crash_mid_post(state, build, clock)
    finder = FindingPoster(found)
    async with DigestScheduler(state, build, finder, clock=clock) as sched:
        clock.advance(minutes=20)
        results = await sched.tick()
        assert finder.asked == [(G1, C1, D)]
        assert results[-1].status == expected
        (entry,) = (await sched.status(G1)).last_posts
    if found:  # it had been sent: recorded, not reposted
        assert entry.message_ids == (9001,) and finder.posts == []
    else:  # confirmed nothing was sent: posted now, once
        assert [r.status for r in results] == ["retry_scheduled", "posted"]
        assert finder.days() == ["2026-11-13"]


# ---------------------------------------------------------------------------------- several guilds
async def test_two_guilds_with_their_own_zones_and_times(sched, poster, clock):
    await sched.set_schedule(G1, C1, time(8, 0), "Asia/Tokyo", None)
    await sched.set_schedule(G2, C2, time(7, 30), "America/New_York", ("テクノロジー",))
    # Now is 09:00 JST on D = 19:00 EST on D − 1. G2's next run: 07:30 EST on D = 21:30 JST on D,
    # covering New York's D − 1 (14:00 JST on D − 1 to 14:00 JST on D).
    clock.set(datetime(2026, 11, 13, 7, 29, tzinfo=NEW_YORK))
    assert await sched.tick() == []
    clock.set(datetime(2026, 11, 13, 7, 30, tzinfo=NEW_YORK))
    assert [(r.guild_id, r.day) for r in await sched.tick()] == [(G2, D - timedelta(days=1))]
    assert [i.article_id for s in poster.posts[0][3].sections for i in s.items] == ["chip"]
    # 08:00 JST on D+1 = 18:00 EST on D: G1's run only.
    clock.set(jst(D + timedelta(days=1), 8, 0))
    assert [(r.guild_id, r.day) for r in await sched.tick()] == [(G1, D)]
    # 07:30 EST on D+1 = 21:30 JST: G2's run, covering New York's D.
    clock.set(datetime(2026, 11, 14, 7, 29, tzinfo=NEW_YORK))
    assert await sched.tick() == []
    clock.set(datetime(2026, 11, 14, 7, 30, tzinfo=NEW_YORK))
    assert [(r.guild_id, r.day, r.status) for r in await sched.tick()] == [(G2, D, "posted")]
    digest = poster.posts[2][3]
    assert digest.tz == "America/New_York"
    # D in New York is 14:00 JST on D to 14:00 JST on D+1: of the tech articles, only the one
    # at 23:30 JST; the 08:30 JST one was on D − 1 in New York.
    assert [i.article_id for s in digest.sections for i in s.items] == ["late"]
    status = await sched.status(G2)
    assert status.next_run == datetime(2026, 11, 15, 7, 30, tzinfo=NEW_YORK)
    assert status.next_run.tzinfo == NEW_YORK


async def test_owns_limits_a_process_to_its_shards(state, build, clock):
    poster_a, poster_b = FakePoster(), FakePoster()
    async with (
        DigestScheduler(state, build, poster_a, clock=clock) as a,
        DigestScheduler(state, build, poster_b, clock=clock) as b,
    ):
        await a.set_schedule(G1, C1, time(8, 0), "Asia/Tokyo", None)
        await a.set_schedule(G2, C2, time(8, 0), "Asia/Tokyo", None)
        clock.set(jst(D + timedelta(days=1), 8, 0))
        assert [r.guild_id for r in await a.tick(owns=lambda g: g == G1)] == [G1]
        assert [r.guild_id for r in await b.tick(owns=lambda g: g == G2)] == [G2]
        assert await a.tick() == [] and await b.tick() == []
    assert [p[0] for p in poster_a.posts] == [G1]
    assert [p[0] for p in poster_b.posts] == [G2]


# ---------------------------------------------------------------------------------- by hand
async def test_post_now_then_scheduled_time_same_day(sched, poster, clock, build):
    await sched.set_schedule(G1, C1, time(8, 0), "Asia/Tokyo", ("経済",))
    clock.set(jst(D + timedelta(days=1), 7, 0))
    result = await sched.post_now(G1, C1, D)
    assert (result.status, result.day, result.message_ids) == ("posted", D, (5001, 5002))
    assert build.calls == [(D, "Asia/Tokyo", ("経済",))]  # the schedule's categories
    assert (await sched.post_now(G1, C1, D)).status == "already_posted"
    clock.set(jst(D + timedelta(days=1), 8, 0))
    assert [(r.day, r.status) for r in await sched.tick()] == [(D, "already_posted")]
    assert poster.days() == ["2026-11-13"]
    forced = await sched.post_now(G1, C1, D, force=True)
    assert forced.status == "posted" and forced.message_ids == (5003, 5004)
    (entry,) = (await sched.status(G1)).last_posts
    assert entry.message_ids == (5003, 5004) and entry.trigger == "manual"


async def test_failed_manual_post_is_retried_by_the_schedule(sched, poster, clock):
    await sched.set_schedule(G1, C1, time(8, 0), "Asia/Tokyo", None)
    poster.fail_next(1, lambda: ServerError("500"))
    clock.set(jst(D + timedelta(days=1), 7, 0))
    result = await sched.post_now(G1, C1, D)
    assert (result.status, result.error) == ("failed", "ServerError: 500")
    clock.set(jst(D + timedelta(days=1), 8, 0))
    assert [r.status for r in await sched.tick()] == ["posted"]
    assert poster.days() == ["2026-11-13"]


async def test_preview_posts_nothing(sched, poster, clock):
    await sched.set_schedule(G1, C1, time(8, 0), "Asia/Tokyo", ("テクノロジー",))
    clock.set(jst(D + timedelta(days=1), 12, 0))
    digest = await sched.preview(G1)  # a run now would cover yesterday
    assert digest.date == "2026-11-13"
    assert [s.name for s in digest.sections] == ["テクノロジー"]
    assert (await sched.preview(G1, D + timedelta(days=1))).date == "2026-11-14"
    assert poster.posts == []
    assert (await sched.status(G1)).last_posts == ()


async def test_disable(sched, poster, clock):
    await sched.set_schedule(G1, C1, time(8, 0), "Asia/Tokyo", None)
    poster.fail_next(1, lambda: ServerError("500"))
    clock.set(jst(D + timedelta(days=1), 8, 0))
    await sched.tick()
    assert await sched.disable(G1) is True
    assert await sched.disable(G1) is False
    clock.advance(days=2)
    assert await sched.tick() == []
    status = await sched.status(G1)
    assert status.next_run is None and status.schedule and not status.schedule.enabled
    assert "disabled" in said(status.failures[0])
    assert poster.posts == []


async def test_unknown_zone_is_rejected(sched):
    with pytest.raises(ValueError, match="unknown time zone"):
        await sched.set_schedule(G1, C1, time(8, 0), "Asia/Atlantis", None)


# ---------------------------------------------------------------------------------- DST
async def test_dst_zone_schedule(state, build, poster):
    """New York: 02:30 does not exist on 8 March 2026 and 01:30 happens twice on 1 November."""
    clock = Clock(datetime(2026, 3, 6, 12, 0, tzinfo=NEW_YORK))
    async with DigestScheduler(state, build, poster, clock=clock) as sched:
        await sched.set_schedule(G1, C1, time(2, 30), "America/New_York", None)
        expected = [
            datetime(2026, 3, 7, 7, 30, tzinfo=UTC),  # 02:30 EST
            datetime(2026, 3, 8, 7, 30, tzinfo=UTC),  # 02:30 does not exist: 03:30 EDT
            datetime(2026, 3, 9, 6, 30, tzinfo=UTC),  # 02:30 EDT
        ]
        for due in expected:
            assert (await sched.status(G1)).next_run == due
            clock.set(due - timedelta(seconds=1))
            assert await sched.tick() == []
            clock.set(due)
            assert [r.status for r in await sched.tick()] == ["posted"]
        assert poster.days() == ["2026-03-06", "2026-03-07", "2026-03-08"]

        # Autumn: 01:30 happens twice on 1 November; the digest is posted once, at the first.
        clock.set(datetime(2026, 10, 31, 12, 0, tzinfo=NEW_YORK))
        await sched.set_schedule(G1, C1, time(1, 30), "America/New_York", None)
        first = datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT
        # (an ambiguous wall time never compares equal across zones, PEP 495: compare in UTC)
        next_run = (await sched.status(G1)).next_run
        assert next_run is not None and next_run.astimezone(UTC) == first
        clock.set(first)
        assert [r.day for r in await sched.tick()] == [date(2026, 10, 31)]
        clock.set(first + timedelta(hours=1))  # 01:30 EST, the repeated wall time
        assert await sched.tick() == []
        clock.set(datetime(2026, 11, 2, 6, 30, tzinfo=UTC))  # 01:30 EST on 2 November
        assert [r.day for r in await sched.tick()] == [date(2026, 11, 1)]


# ---------------------------------------------------------------------------------- schema
async def test_tables_live_beside_the_index_and_are_versioned(db, build, poster, clock):
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE bot_schema (component TEXT PRIMARY KEY, version INTEGER)")
        conn.execute("INSERT INTO bot_schema VALUES ('settings', 3)")
    async with DigestScheduler(db, build, poster, clock=clock):
        pass
    async with DigestScheduler(db, build, poster, clock=clock):  # reopening is a no-op
        pass
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT * FROM bot_schema ORDER BY component").fetchall()
        assert rows == [("digest", 1), ("settings", 3)]
        conn.execute("UPDATE bot_schema SET version = 99 WHERE component = 'digest'")
    with IndexStore.open(db) as store:  # the index is untouched
        assert store.get_article("rate") is not None
    with pytest.raises(SchemaTooNew):
        await DigestScheduler(db, build, poster, clock=clock).open()


async def test_close_twice_and_use_after_close(db, build, poster, clock):
    sched = DigestScheduler(db, build, poster, clock=clock)
    await sched.open()
    await sched.close()
    await sched.close()
    with pytest.raises(RuntimeError, match="not open"):
        await sched.tick()
