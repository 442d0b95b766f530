"""IndexWorker: one index connection owned by one dedicated thread, awaited from the event loop.

An ``IndexStore`` connection may be used by one thread at a time, and a search is CPU work that
must not block the gateway heartbeat; so every use of a store goes through a single-worker
``ThreadPoolExecutor`` that owns it. The bot runs two: a reader (questions, searches, digests)
and a writer (feed polling), so a slow poll never delays an answer. WAL mode lets the reader see
each committed batch; the searcher refreshes itself when the data version changes.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from index.analysis.tokenizer import JapaneseTokenizer
from index.answer.answer import Answerer
from index.config import redacted
from index.ranking.bm25 import BM25Params
from index.ranking.fusion import FusionParams
from index.search.search import Searcher
from index.store.store import IndexStore

if TYPE_CHECKING:
    from bot.config import BotSettings
    from index.config import CoreSettings

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass
class IndexContext:
    """What a job running in the worker thread may use (only from that thread)."""

    store: IndexStore
    tokenizer: JapaneseTokenizer
    params: BM25Params
    fusion: FusionParams = field(default_factory=FusionParams)
    _searcher: Searcher | None = None
    _answerer: Answerer | None = None

    @property
    def searcher(self) -> Searcher:
        if self._searcher is None:
            self._searcher = Searcher(
                self.store, self.tokenizer, self.params, fusion_params=self.fusion
            )
        return self._searcher

    @property
    def answerer(self) -> Answerer:
        if self._answerer is None:
            self._answerer = Answerer(self.store, self.searcher, self.tokenizer)
        return self._answerer


class IndexWorker:
    """Runs jobs ``fn(ctx)`` one at a time in its own thread, which owns the store."""

    def __init__(self, executor: ThreadPoolExecutor, ctx: IndexContext, name: str) -> None:
        self._executor = executor
        self._ctx: IndexContext | None = ctx
        self.name = name

    @classmethod
    async def open(
        cls,
        path: str | Path,
        tokenizer: JapaneseTokenizer,
        *,
        params: BM25Params | None = None,
        fusion: FusionParams | None = None,
        name: str = "reader",
        warm: bool = True,
        readonly: bool = False,
    ) -> IndexWorker:
        """Open the database at ``path`` in a new worker thread (creating it if missing).

        :param warm: build the searcher now (loads the passage arrays), so the first question
            does not pay for it.
        :param readonly: open without write access (the file must exist and be migrated).
        """
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"kiji-{name}")
        loop = asyncio.get_running_loop()

        def start() -> IndexContext:
            store = IndexStore.open(path, readonly=readonly)
            ctx = IndexContext(store, tokenizer, params or BM25Params(), fusion or FusionParams())
            if warm:
                _ = ctx.searcher
            return ctx

        try:
            ctx = await loop.run_in_executor(executor, start)
        except BaseException:
            executor.shutdown(wait=False)
            raise
        log.info("index %s opened on %s", name, redacted(path))
        return cls(executor, ctx, name)

    async def run(self, fn: Callable[[IndexContext], T]) -> T:
        """Run ``fn(ctx)`` in the worker thread and return its result (exceptions propagate)."""
        ctx = self._ctx
        if ctx is None:
            raise RuntimeError(f"index {self.name} is closed")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, ctx))

    def call(self, fn: Callable[[IndexContext], T]) -> T:
        """Run ``fn(ctx)`` in the worker thread and wait for it, from another *plain* thread
        (e.g. one of ``asyncio.to_thread``); never from the event loop or the worker itself."""
        ctx = self._ctx
        if ctx is None:
            raise RuntimeError(f"index {self.name} is closed")
        return self._executor.submit(fn, ctx).result()

    async def close(self) -> None:
        """Close the store in its thread and stop the thread; closing twice is safe."""
        ctx, self._ctx = self._ctx, None
        if ctx is None:
            return
        loop = asyncio.get_running_loop()
        # Queued after every job already submitted: when it has run, the thread is idle.
        await loop.run_in_executor(self._executor, ctx.store.close)
        self._executor.shutdown(wait=False)

    async def __aenter__(self) -> IndexWorker:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


@asynccontextmanager
async def open_workers(
    settings: BotSettings, core: CoreSettings, tokenizer: JapaneseTokenizer
) -> AsyncIterator[tuple[IndexWorker, IndexWorker]]:
    """The bot's reader and writer. The reader (answers, searches, articles, stats, digests)
    reads ``KIJI_DB_READ``, a replica, read-only, when it is set, else ``KIJI_DB``; the writer
    (feed polling) always writes ``KIJI_DB``. A replica may lag behind: an article is answered
    from once it has reached it."""
    params, fusion = core.bm25, core.fusion
    read = settings.read_db or settings.db_path
    replica = settings.read_db is not None
    async with (
        await IndexWorker.open(
            read, tokenizer, params=params, fusion=fusion, name="reader", readonly=replica
        ) as reader,
        await IndexWorker.open(
            settings.db_path, tokenizer, params=params, fusion=fusion, name="writer", warm=False
        ) as writer,
    ):
        yield reader, writer
