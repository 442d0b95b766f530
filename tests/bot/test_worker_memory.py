"""The bot's workers give the C heap's free pages back once idle, never while a job runs."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from bot.worker import IdleRelease, IndexContext, IndexWorker
from index.analysis.tokenizer import JapaneseTokenizer
from index.store.store import IndexStore


async def _released_after(idle: IdleRelease, before: int) -> int:
    """The release count once it moved past ``before`` (or after 10 s)."""
    for _ in range(1000):
        if idle.released != before:
            break
        await asyncio.sleep(0.01)
    return idle.released


async def test_idle_workers_release_the_heap_between_jobs_only(
    tmp_path: Path, tokenizer: JapaneseTokenizer
) -> None:
    db = tmp_path / "kiji.db"
    IndexStore.open(db).close()
    idle = IdleRelease(idle_s=0.05)
    async with (
        await IndexWorker.open(db, tokenizer, name="reader", idle=idle) as reader,
        await IndexWorker.open(db, tokenizer, name="writer", warm=False, idle=idle) as writer,
    ):
        assert await _released_after(idle, 0) == 1  # once after opening (the arrays loaded)

        def long_job(ctx: IndexContext) -> int:
            start = idle.released
            time.sleep(0.3)  # six idle delays: a release now would run beside this job
            return idle.released - start

        # a job in either worker holds back the release its predecessor's end had scheduled
        for worker in (writer, reader):
            await worker.run(lambda ctx: None)
            assert await worker.run(long_job) == 0
            count = idle.released
            assert await _released_after(idle, count) == count + 1
        await asyncio.sleep(0.2)
        assert idle.released == 3  # idle since: nothing more to give back, nothing repeated
