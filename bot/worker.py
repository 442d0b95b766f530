"""IndexWorker: one index connection owned by one dedicated thread, awaited from the event loop.

An ``IndexStore`` connection may be used by one thread at a time, and a search is CPU work that
must not block the gateway heartbeat; so every use of a store goes through a single-worker
``ThreadPoolExecutor`` that owns it. The bot runs two: a reader (questions, searches, digests)
and a writer (feed polling), so a slow poll never delays an answer. WAL mode lets the reader see
each committed batch; the searcher refreshes itself when the data version changes.

Once neither has had a job for :data:`index.ops.memory.IDLE_S` seconds, the reader's thread gives
the C heap's free pages back to the system (:class:`IdleRelease`), never while a job runs.
"""

from __future__ import annotations

import asyncio
import contextlib
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
from index.ops.memory import IDLE_S, release_free_heap
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


class IdleRelease:
    """Gives the C heap's free pages back (:func:`release_free_heap`) once the workers sharing it
    have had no job for ``idle_s`` seconds: searches leave ~17 MB of holes in the heap at 353k
    passages, and giving them back costs ~2 ms, so it is done between questions, in the thread
    of the first worker opened with it, the reader (a job queued meanwhile waits that long)."""

    def __init__(self, idle_s: float = IDLE_S) -> None:
        self.idle_s = idle_s
        self.released = 0  # times the heap was given back
        self._busy = 0
        self._timer: asyncio.TimerHandle | None = None
        self._executor: ThreadPoolExecutor | None = None

    def begin(self) -> None:
        self._busy += 1
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def adopt(self, executor: ThreadPoolExecutor) -> None:
        """Release in ``executor``'s thread, unless an earlier worker's was adopted."""
        if self._executor is None:
            self._executor = executor

    def end(self) -> None:
        self._busy -= 1
        self.arm()

    def arm(self) -> None:
        """Release after ``idle_s`` seconds unless a job begins meanwhile (a worker just opened:
        loading the passage arrays leaves holes too)."""
        if not self._busy and self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.idle_s, self._release)

    def _release(self) -> None:
        self._timer = None
        if self._busy or self._executor is None:
            return
        with contextlib.suppress(RuntimeError):  # the worker was closed meanwhile
            self._executor.submit(self._run)

    def _run(self) -> None:
        if release_free_heap():
            self.released += 1

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


class IndexWorker:
    """Runs jobs ``fn(ctx)`` one at a time in its own thread, which owns the store."""

    def __init__(
        self,
        executor: ThreadPoolExecutor,
        ctx: IndexContext,
        name: str,
        idle: IdleRelease | None = None,
    ) -> None:
        self._executor = executor
        self._ctx: IndexContext | None = ctx
        self.name = name
        self._idle = idle

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
        idle: IdleRelease | None = None,
    ) -> IndexWorker:
        """Open the database at ``path`` in a new worker thread (creating it if missing).

        :param warm: build the searcher now (loads the passage arrays), so the first question
            does not pay for it.
        :param readonly: open without write access (the file must exist and be migrated).
        :param idle: gives the heap back when this worker and the others sharing ``idle`` are
            idle (None: never).
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
        if idle is not None:
            idle.adopt(executor)
            idle.arm()
        return cls(executor, ctx, name, idle)

    async def run(self, fn: Callable[[IndexContext], T]) -> T:
        """Run ``fn(ctx)`` in the worker thread and return its result (exceptions propagate)."""
        ctx = self._ctx
        if ctx is None:
            raise RuntimeError(f"index {self.name} is closed")
        loop = asyncio.get_running_loop()
        idle = self._idle
        if idle is not None:
            idle.begin()
        try:
            return await loop.run_in_executor(self._executor, functools.partial(fn, ctx))
        finally:
            if idle is not None:
                idle.end()

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
        if self._idle is not None:
            self._idle.cancel()
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
    idle = IdleRelease()
    async with (
        await IndexWorker.open(
            read, tokenizer, params=params, fusion=fusion, name="reader", readonly=replica,
            idle=idle,
        ) as reader,
        await IndexWorker.open(
            settings.db_path, tokenizer, params=params, fusion=fusion, name="writer", warm=False,
            idle=idle,
        ) as writer,
    ):  # fmt: skip
        yield reader, writer
