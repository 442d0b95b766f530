"""One process at a time runs the digest scheduler and the feed poller (bot/jobs.py), issue 15.

With the state on PostgreSQL, real processes each run the DigestCog's minute-loop body (gated by a
LeaderGate on the same database): exactly one of them ticks and posts, a digest is posted once,
and when the leader is killed another takes over and posts the next one. In one process: the
gates the bot builds for each backend, the feed poller's gate, a lost connection, the gauge.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import queue
import time as clock_time
from datetime import date, datetime, time
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from prometheus_client import CollectorRegistry

from bot.cogs.digest import DigestCog
from bot.cogs.feeds import FeedsCog
from bot.jobs import JobGate, LeaderGate, job_gates
from bot.scheduler import DigestScheduler
from bot.state.pg_leader import JOBS
from index.models import Digest, DigestItem, DigestSection
from index.ops.metrics import KijiMetrics, exposition
from tests.pg import pg_database

TAKEOVER = 60  # seconds: the "within a minute"
JST = ZoneInfo("Asia/Tokyo")
DAY = date(2026, 11, 14)
BEFORE = datetime(2026, 11, 14, 7, 0, tzinfo=JST)  # when the schedules are set (08:00 is next)
DUE = datetime(2026, 11, 14, 8, 0, 30, tzinfo=JST)  # the hosts' clock: 08:00 is due
GUILDS = {1: 11, 2: 22, 3: 33}  # guild -> channel


def build(day: date, zone: ZoneInfo, categories: tuple[str, ...] | None) -> Digest:
    item = DigestItem("a1", "記事", "https://kiji.example/a1", None, "要約")
    return Digest(day.isoformat(), zone.key, (DigestSection("経済", (item,)),))


class QueuePoster:
    """Tells the test about every post (by which host, which guild)."""

    def __init__(self, name: str, reports: Any) -> None:
        self.name, self.reports = name, reports

    async def post(self, guild_id: int, channel_id: int, digest: Digest) -> list[int]:
        self.reports.put(("post", self.name, guild_id, digest.date))
        return [guild_id * 100]


class ReportingScheduler(DigestScheduler):
    """Tells the test about every tick that runs."""

    name = ""
    reports: Any = None

    async def tick(self, owns=lambda guild_id: True):  # type: ignore[override]
        self.reports.put(("tick", self.name))
        return await super().tick(owns)


async def _host(url: str, name: str, reports: Any) -> None:
    gate = LeaderGate(url, "scheduler", every=0.5)
    scheduler = ReportingScheduler(url, build, QueuePoster(name, reports), clock=lambda: DUE)
    scheduler.name, scheduler.reports = name, reports
    async with scheduler:
        # the cog as the bot builds it on PostgreSQL state: every guild while leading
        cog = DigestCog(
            scheduler,
            None,  # type: ignore[arg-type]  # no settings: only the loop runs here
            clock=lambda: DUE,
            owns=lambda guild_id: gate.running,
            gate=gate,
        )
        await gate.start()
        was = None
        while True:
            await cog.tick_loop.coro(cog)  # the minute loop's body, every 0.2 s here
            if gate.running != was:
                was = gate.running
                reports.put(("lead", name, was))
            await asyncio.sleep(0.2)


def host(url: str, name: str, reports: Any) -> None:
    """A bot host's digest loop, until it is killed."""
    asyncio.run(_host(url, name, reports))


async def _schedule(url: str, guild_id: int) -> None:
    async def schedule() -> None:
        async with DigestScheduler(url, build, QueuePoster("-", None), clock=lambda: BEFORE) as s:
            await s.set_schedule(guild_id, GUILDS[guild_id], time(8, 0), "Asia/Tokyo", None)

    # bounded: a run under heavy load once waited here for good instead of failing
    await asyncio.wait_for(schedule(), TAKEOVER)


def test_one_host_runs_the_scheduler_and_another_takes_over_when_it_dies() -> None:
    ctx = multiprocessing.get_context("spawn")
    # A queue per host: a host killed while writing to a shared queue would leave its lock
    # taken, and the other hosts' reports would never arrive.
    queues = {name: ctx.Queue() for name in ("a", "b", "c")}
    procs: dict[str, BaseProcess] = {}
    leading: dict[str, bool] = {}
    posts: list[tuple[str, int]] = []
    ticks: dict[str, int] = {}

    def drain(until, timeout: float = TAKEOVER) -> None:
        end = clock_time.monotonic() + timeout
        while not until():
            report = None
            for name, reports in queues.items():
                if name in procs and procs[name].is_alive():
                    with contextlib.suppress(queue.Empty):
                        report = reports.get_nowait()
                        break
            if report is None:
                if clock_time.monotonic() > end:
                    raise AssertionError(f"timed out: {leading=} {posts=} {ticks=}")
                clock_time.sleep(0.02)
                continue
            if report[0] == "lead":
                leading[report[1]] = report[2]
            elif report[0] == "post":
                posts.append((report[1], report[2]))
            else:
                ticks[report[1]] = ticks.get(report[1], 0) + 1

    def settle(seconds: float) -> None:  # take reports for a while
        end = clock_time.monotonic() + seconds
        drain(lambda: clock_time.monotonic() >= end, timeout=seconds + 5)

    with pg_database() as url:
        asyncio.run(_schedule(url, 1))
        try:
            for name in ("a", "b", "c"):
                procs[name] = ctx.Process(target=host, args=(url, name, queues[name]), daemon=True)
                procs[name].start()
            drain(lambda: len(leading) == 3 and any(leading.values()) and len(posts) == 1)
            settle(3)  # several more ticks everywhere
            leader = next(n for n, held in leading.items() if held)
            assert sum(leading.values()) == 1
            assert posts == [(leader, 1)]  # posted once, by the leader
            assert set(ticks) == {leader} and ticks[leader] >= 5  # the others never ticked

            procs[leader].kill()  # SIGKILL, as when a host dies: no clean-up
            procs[leader].join(timeout=30)
            del leading[leader]
            started = clock_time.monotonic()
            asyncio.run(_schedule(url, 2))
            drain(lambda: any(leading.values()) and len(posts) == 2)
            took = clock_time.monotonic() - started
            second = next(n for n, held in leading.items() if held)
            assert second != leader and sum(leading.values()) == 1
            assert posts == [(leader, 1), (second, 2)]  # guild 1 is never posted again
            assert took < TAKEOVER
            print(f"the next digest posted by the new leader {took:.2f} s after the kill")
            ticks.clear()
            asyncio.run(_schedule(url, 3))
            drain(lambda: len(posts) == 3)
            settle(2)
            assert posts[2] == (second, 3) and set(ticks) == {second}
        finally:
            for p in procs.values():
                p.kill()
                p.join(timeout=30)


def gauge(metrics: KijiMetrics, job: str) -> float:
    return metrics.value("kiji_leader", job=job)


async def test_the_bot_elects_its_jobs_on_postgresql_state() -> None:
    with pg_database() as url:
        m1, m2 = KijiMetrics(CollectorRegistry()), KijiMetrics(CollectorRegistry())
        first = job_gates(url, url, owns_shard_zero=True, metrics=m1)  # state and index there
        second = job_gates(url, url, owns_shard_zero=True, metrics=m2)
        try:
            assert all(isinstance(g, LeaderGate) for g in (*first.values(), *second.values()))
            assert not first["scheduler"].running and gauge(m1, "scheduler") == 0
            assert await first["scheduler"].ready() and await first["feeds"].ready()
            assert not await second["scheduler"].ready() and not await second["feeds"].ready()
            assert (gauge(m1, "scheduler"), gauge(m1, "feeds")) == (1, 1)
            assert 'kiji_leader{job="scheduler"} 1.0\n' in exposition(m1.registry).decode()
            assert (gauge(m2, "scheduler"), gauge(m2, "feeds")) == (0, 0)

            # The holder's session is ended by the server: it stops at its next check, and the
            # standby's background tries (every 0.2 s here) take the job over.
            for gate in second.values():
                gate.every = 0.2  # type: ignore[attr-defined]
                await gate.start()
            with psycopg.connect(url, autocommit=True) as admin:
                admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' "
                    "AND granted AND objid = %s AND objsubid = 2 AND database = "
                    "(SELECT oid FROM pg_database WHERE datname = current_database())",
                    (JOBS["scheduler"],),
                )
            assert await first["scheduler"].ready() is False
            assert gauge(m1, "scheduler") == 0 and first["feeds"].running
            # (the lock is held as soon as the check's statement returns; the gauge is set when
            # the check hands its result back, a turn of the event loop later: wait for both)
            for _ in range(50):
                if second["scheduler"].running and gauge(m2, "scheduler") == 1:
                    break
                await asyncio.sleep(0.1)
            assert second["scheduler"].running and gauge(m2, "scheduler") == 1
            assert not second["feeds"].running  # the feeds job is still the first's
        finally:
            for gate in (*first.values(), *second.values()):
                await gate.close()
                await gate.close()  # twice is safe
        assert gauge(m2, "scheduler") == 0


def test_sqlite_state_keeps_the_shard_rule(tmp_path: Path) -> None:
    metrics = KijiMetrics(CollectorRegistry())
    db = tmp_path / "k.db"
    for zero in (True, False):
        gates = job_gates(db, db, owns_shard_zero=zero, metrics=metrics)
        assert type(gates["scheduler"]) is JobGate and gates["scheduler"].running
        assert gates["feeds"].running is zero and not gates["scheduler"].all_guilds
        assert gauge(metrics, "feeds") == (1 if zero else 0)
    # State on PostgreSQL, an index file per host: the scheduler is elected, but the feeds are
    # polled into shard 0's file (the one copied to the other hosts), not a random host's.
    url = "postgresql://postgres@127.0.0.1:5432/kiji"
    gates = job_gates(url, db, owns_shard_zero=False)
    assert isinstance(gates["scheduler"], LeaderGate) and type(gates["feeds"]) is JobGate
    assert not gates["feeds"].running


class FakeWriter:
    def __init__(self) -> None:
        self.polls = 0

    async def run(self, fn):
        self.polls += 1
        return []


async def test_only_the_feeds_leader_polls() -> None:
    with pg_database() as url:
        gates = [LeaderGate(url, "feeds") for _ in range(2)]
        writers = [FakeWriter() for _ in gates]
        cogs = [
            FeedsCog(w, None, clock=datetime.now, gate=g)  # type: ignore[arg-type]
            for w, g in zip(writers, gates, strict=True)
        ]
        try:
            for _ in range(3):
                for cog in cogs:
                    await cog.poll_loop.coro(cog)
            assert [w.polls for w in writers] == [3, 0]
            await gates[0].close()  # the leader stops (a clean shutdown frees the lock at once)
            for cog in cogs:
                await cog.poll_loop.coro(cog)
            assert [w.polls for w in writers] == [3, 1]
        finally:
            for g in gates:
                await g.close()


async def test_the_leader_posts_for_guilds_on_other_shards(tmp_path: Path) -> None:
    """NewsBot.runs_digest_of: a leader covers every guild, a SQLite process its own only."""
    from bot.client import NewsBot
    from bot.config import BotSettings

    with pg_database() as url:
        pg = NewsBot(
            settings=BotSettings(token="", db_path=tmp_path / "k.db", state_db=url),
            guild_settings=None,
            index=None,
            background_tasks=False,
        )
        local = NewsBot(
            settings=BotSettings(token="", db_path=tmp_path / "k.db"),
            guild_settings=None,
            index=None,
            background_tasks=False,
        )
        try:
            assert not pg.runs_digest_of(5)  # not (yet) the leader
            assert await pg.jobs["scheduler"].ready()
            assert pg.runs_digest_of(5)  # not in its cache: posted through REST
            assert not local.runs_digest_of(5)  # the SQLite rule: guilds on its shards only
        finally:
            for bot in (pg, local):  # what NewsBot.close does after discord.py's close
                for gate in bot.jobs.values():
                    await gate.close()
        assert not pg.jobs["scheduler"].running and not await pg.jobs["scheduler"].ready()
