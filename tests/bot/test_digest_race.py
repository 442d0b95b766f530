"""Three real processes race for the same digest claim, 100 times (issue 15): each time exactly
one of them wins, on both backends. A barrier lines the three up before every claim."""

from __future__ import annotations

import asyncio
import multiprocessing
from datetime import UTC, date, datetime, timedelta
from multiprocessing.synchronize import Barrier
from pathlib import Path

from bot.state import open_digest_store

REPETITIONS = 100
RACERS = 3
FIRST_DAY = date(2026, 1, 1)


async def _race(location: str | Path, barrier: Barrier) -> list[int]:
    won = []
    async with await open_digest_store(location) as store:
        for i in range(REPETITIONS):
            day = FIRST_DAY + timedelta(days=i)
            await asyncio.to_thread(barrier.wait, 60)
            now = datetime.now(UTC)
            if await store.claim(7, 11, day, now, trigger="scheduled", from_states=()):
                won.append(i)
    return won


def racer(location: str | Path, barrier: Barrier, results: multiprocessing.Queue) -> None:
    """One host: claim each day's digest as soon as the others are ready too."""
    results.put(asyncio.run(_race(location, barrier)))


def test_three_processes_claim_each_digest_once(state_db: str | Path) -> None:
    async def create() -> None:  # the tables exist before the race, as on a running bot
        await (await open_digest_store(state_db)).close()

    asyncio.run(create())
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(RACERS)
    results = ctx.Queue()
    procs = [ctx.Process(target=racer, args=(state_db, barrier, results)) for _ in range(RACERS)]
    for p in procs:
        p.start()
    won = [results.get(timeout=300) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert [p.exitcode for p in procs] == [0] * RACERS
    winners = sorted(i for w in won for i in w)
    assert winners == list(range(REPETITIONS))  # each repetition won by exactly one process

    async def log() -> list[tuple[str, int]]:
        async with await open_digest_store(state_db) as store:
            return [(e.state, e.attempts) for e in await store.entries_in_state("posting")]

    assert asyncio.run(log()) == [("posting", 1)] * REPETITIONS  # one row a day, claimed once
    print(f"wins per process: {sorted(len(w) for w in won)}")
