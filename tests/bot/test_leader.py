"""Leader election by PostgreSQL advisory lock (bot/state/pg_leader.py), with real processes:
one host at a time holds a job, and when the holder is killed another takes over."""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Iterator
from multiprocessing.process import BaseProcess

import psycopg
import pytest

from bot.state.pg_leader import JOBS, LOCK_SPACE, Leadership
from tests.pg import pg_database

TAKEOVER = 60  # seconds: the "within a minute"


@pytest.fixture
def pg_url() -> Iterator[str]:
    with pg_database() as url:
        yield url


async def _host(url: str, name: str, reports: multiprocessing.Queue) -> None:
    lead = Leadership(url, "scheduler")
    was = None
    while True:
        now = await lead.check()
        if now != was:
            reports.put((name, now))
            was = now
        await asyncio.sleep(0.2)


def host(url: str, name: str, reports: multiprocessing.Queue) -> None:
    """A bot host: reports each change of its leadership, until it is killed."""
    asyncio.run(_host(url, name, reports))


def holders(url: str) -> list[int]:
    """The backends that hold the scheduler's lock, seen by the server."""
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND classid = %s AND objid = %s AND objsubid = 2 "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            (LOCK_SPACE, JOBS["scheduler"]),
        ).fetchall()
    return [r[0] for r in rows]


def test_one_host_leads_and_another_takes_over_when_it_dies(pg_url: str) -> None:
    ctx = multiprocessing.get_context("spawn")
    reports = ctx.Queue()
    procs: dict[str, BaseProcess] = {}
    state: dict[str, bool] = {}

    def start(name: str) -> None:
        procs[name] = ctx.Process(target=host, args=(pg_url, name, reports), daemon=True)
        procs[name].start()

    def until(predicate) -> None:  # wait for reports until predicate(state) holds
        while not predicate(state):
            name, leader = reports.get(timeout=TAKEOVER)
            state[name] = leader

    try:
        start("a")
        until(lambda s: s.get("a") is True)
        start("b")
        start("c")
        until(lambda s: "b" in s and "c" in s)
        assert state == {"a": True, "b": False, "c": False}
        assert len(holders(pg_url)) == 1
        for _ in range(2):  # kill the leader twice: each time a standby takes over
            leader = next(name for name, held in state.items() if held)
            procs[leader].kill()  # SIGKILL: no clean-up, as when a host dies
            procs[leader].join(timeout=30)
            del state[leader]
            until(lambda s: any(s.values()))  # within TAKEOVER seconds, or Empty is raised
            assert sum(state.values()) == 1
            assert len(holders(pg_url)) == 1
    finally:
        for p in procs.values():
            p.kill()
            p.join(timeout=30)


async def test_a_lost_connection_ends_the_leadership_then_it_is_taken_again(pg_url: str) -> None:
    lead = Leadership(pg_url, "feeds")
    other = Leadership(pg_url, "feeds")
    try:
        assert (await lead.check(), await other.check()) == (True, False)
        assert (lead.leader, other.leader) == (True, False)
        with psycopg.connect(pg_url, autocommit=True) as admin:  # the server ends the session
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' "
                "AND granted AND objid = %s",
                (JOBS["feeds"],),
            )
        assert await lead.check() is False  # it notices, and stops leading
        assert await other.check() is True  # the lock was free: the standby takes it
        assert await lead.check() is False
        other_job = Leadership(pg_url, "scheduler")  # another job is another lock
        assert await other_job.check() is True
        await other_job.close()
    finally:
        await lead.close()
        await other.close()
        await other.close()  # closing twice is safe


async def test_an_unreachable_server_means_not_leader(pg_url: str) -> None:
    lead = Leadership("postgresql://postgres@127.0.0.1:1/kiji", "scheduler", timeout=5)
    assert await lead.check() is False
    assert lead.leader is False
    await lead.close()
