"""Bulk ingestion: parse files, tokenise in worker processes, write in batched transactions.

The main process parses and writes; ``workers`` processes tokenise (Sudachi is CPU-bound and
releases nothing useful to threads at this scale). Every batch is one transaction, so a crash
(even ``kill -9``) loses at most the batch in flight; a re-run skips what was committed
(same id, or same normalised URL, and same content hash → unchanged).
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing as mp
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from index.analysis.tokenizer import JapaneseTokenizer
from index.ingest.limits import IngestLimits
from index.messages import Lang, t
from index.models import MAX_KEPT_REJECTIONS, Article, IngestReport, Rejection, Skipped
from index.store.store import IndexStore
from index.store.writer import BatchWriter, PreparedBatch, compact, prepare_batch, settle

log = logging.getLogger(__name__)

DEFAULT_BATCH = 5000  # articles per transaction: fewer, larger segments write faster
MAX_CHUNK = 500  # articles per worker task
# Dictionary words a worker's tokenizer remembers (JapaneseTokenizer: about 20 MB at most): a
# corpus such as Aozora Bunko uses far more distinct words than a serving process's 20,000.
WORKER_WORD_CACHE = 200_000
_worker_tokenizer: JapaneseTokenizer | None = None


# Tokenising workers run at a lower CPU priority: alone on a machine they lose nothing, and
# beside a serving bot they leave it the CPU it needs to answer (the writer keeps its priority).
WORKER_NICENESS = 10  # `kiji ingest --nice N` overrides; 0 keeps the normal priority


PR_SET_PDEATHSIG = 1  # linux/prctl.h
PARENT_CHECK_SECONDS = 1.0


def _die_with_parent(parent: int) -> None:
    """End this worker when ``parent`` (the ingesting process) dies, even by ``kill -9``.

    On Linux the kernel sends SIGKILL when the parent exits (``PR_SET_PDEATHSIG``); elsewhere,
    and as a fallback, a daemon thread checks every second that the parent is still ours.
    Otherwise a killed ingest would leave its workers (hundreds of MB each) waiting forever
    for tasks, re-parented to init.
    """
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # pragma: no cover - no libc prctl
            pass
    if os.getppid() != parent:  # the parent died before the request above took effect
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(PARENT_CHECK_SECONDS)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="kiji-parent-watch", daemon=True).start()


def _init_worker(mode: str, niceness: int, parent: int | None = None) -> None:
    global _worker_tokenizer
    from index.analysis.tokenizer import shared_dictionary

    if parent is not None:
        _die_with_parent(parent)
    if niceness and hasattr(os, "nice"):
        os.nice(niceness)
    shared_dictionary.cache_clear()  # never share the parent's Sudachi objects across fork
    _worker_tokenizer = JapaneseTokenizer(mode=mode, word_cache=WORKER_WORD_CACHE)


def _prepare_chunk(articles: list[Article]) -> PreparedBatch:
    assert _worker_tokenizer is not None
    return prepare_batch(articles, _worker_tokenizer)


def _chunks(
    items: Iterable[Article | Rejection],
    size: int,
    report: IngestReport,
    known: dict[str, tuple[str, str]],
) -> Iterator[list[Article]]:
    """Batches of articles that need work; unchanged ones (same id and hash) are counted here,
    before any tokenising, which makes a re-run of the same ingest cheap."""
    chunk: list[Article] = []
    for item in items:
        if isinstance(item, Skipped):
            report.skip(item)
            continue
        if isinstance(item, Rejection):
            if report.rejections_dropped == 0:  # logged like kept: a bomb floods no log
                log.info("rejected %s: %s", item.where, item.reason)
            report.reject(item)
            continue
        seen = known.get(item.id)  # hashing is left to the workers unless the id is known
        if seen is not None and seen == (item.content_hash(), item.url):
            report.unchanged += 1
            continue
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def iter_articles(
    paths: Sequence[Path], fmt: str | None = None, *, limits: IngestLimits | None = None
) -> Iterator[Article | Rejection]:
    """Every article or rejection found in ``paths`` (files, directories, .gz), and a
    :class:`~index.models.Skipped` note for each file a directory walk passed over."""
    from index.ingest.parsers import iter_input_files, parse_path

    skipped: list[Skipped] = []
    for path in iter_input_files(paths, skipped.append):
        yield from skipped
        skipped.clear()
        yield from parse_path(path, fmt, limits=limits)
    yield from skipped


def ingest_stream(
    store: IndexStore,
    tokenizer: JapaneseTokenizer,
    items: Iterable[Article | Rejection],
    *,
    workers: int | None = None,
    batch_size: int = DEFAULT_BATCH,
    on_progress: Callable[[IngestReport, int], None] | None = None,
    merge: bool = True,
    niceness: int = WORKER_NICENESS,
    keep_rejections: int = MAX_KEPT_REJECTIONS,
) -> IngestReport:
    """Ingest a stream of parsed items; rejections are collected into the report (the first
    ``keep_rejections``; the rest are counted), skipped inputs noted.

    :param workers: tokenising processes (default: CPU count; 0 tokenises in this process).
    :param niceness: added to the workers' niceness (0: same CPU priority as this process).
    :param on_progress: called with the report and the number of articles tokenised but not
        yet written, after every chunk the workers return (progress display).
    """
    report = IngestReport(max_kept=keep_rejections)
    t0 = time.perf_counter()
    writer = BatchWriter(store, tokenizer)
    workers = (os.cpu_count() or 1) if workers is None else workers
    # Enough chunks per batch for every worker, few enough that per-task overhead stays small.
    chunk_size = max(1, min(MAX_CHUNK, -(-batch_size // (2 * max(workers, 1)))))
    known = store.article_versions()
    chunks = _chunks(items, chunk_size, report, known)

    pending: list[PreparedBatch] = []

    def consume(prepared: PreparedBatch) -> None:
        for article_id, reason in prepared.failed:  # one bad record never costs its batch
            rejection = Rejection.of(f"article {article_id!r}", reason)
            report.reject(rejection)
            log.warning("rejected article %r: %s", article_id, rejection.reason)
        pending.append(prepared)
        queued = sum(len(p) for p in pending)
        if queued >= batch_size:
            writer.write(pending, report)
            pending.clear()
            queued = 0
            if merge:  # keep the segments a query reads few while a long ingest runs
                compact(store)
        if on_progress:
            on_progress(report, queued)

    if workers <= 0:
        for chunk in chunks:
            consume(prepare_batch(chunk, tokenizer))
    else:
        # fork: workers start in milliseconds and need no __main__ guard in callers' scripts;
        # each builds its own Dictionary and tokenizer in _init_worker.
        ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=ctx,
            initializer=_init_worker,
            initargs=(tokenizer.mode, niceness, os.getpid()),
        ) as pool:
            # A bounded number of chunks in flight keeps memory flat on any corpus size; one
            # batch's worth plus two per worker keeps the workers busy while a batch is written.
            window = -(-batch_size // chunk_size) + 2 * workers
            inflight: list = []
            for chunk in chunks:
                inflight.append(pool.submit(_prepare_chunk, chunk))
                if len(inflight) >= window:
                    consume(inflight.pop(0).result())
            for fut in inflight:
                consume(fut.result())
    if pending:
        writer.write(pending, report)
        if on_progress:
            on_progress(report, 0)
    store.analyze()  # the planner's statistics of the loaded tables (PostgreSQL)
    if merge:  # near the merged shape again, without `kiji optimize` (index.store.segments)
        settle(store)
    store.checkpoint("PASSIVE")
    report.seconds = time.perf_counter() - t0
    return report


def ingest_paths(
    store: IndexStore,
    tokenizer: JapaneseTokenizer,
    paths: Sequence[Path],
    *,
    fmt: str | None = None,
    workers: int | None = None,
    progress: bool = False,
    batch_size: int = DEFAULT_BATCH,
    niceness: int = WORKER_NICENESS,
    limits: IngestLimits | None = None,
    lang: Lang = "ja",
) -> IngestReport:
    """Ingest files and directories; ``progress`` shows a progress bar (articles/s) on stderr.

    :param limits: caps per file (default: from the ``KIJI_INGEST_*`` environment variables).
    :param lang: the progress bar's language.
    """
    limits = limits or IngestLimits.from_env()
    items = iter_articles([Path(p) for p in paths], fmt, limits=limits)
    options = {
        "workers": workers,
        "batch_size": batch_size,
        "niceness": niceness,
        "keep_rejections": limits.keep_rejections,
    }
    if not progress:
        return ingest_stream(store, tokenizer, items, **options)
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(),
        TextColumn(f"[bold]{t(lang, 'ingest_progress')}[/bold] {{task.description}}"),
        TimeElapsedColumn(),
        transient=True,
    ) as bar:
        task = bar.add_task("", total=None)
        t0 = time.perf_counter()

        def on_progress(report: IngestReport, queued: int) -> None:
            n = report.added + report.updated + report.unchanged + queued
            rate = n / max(time.perf_counter() - t0, 1e-9)
            bar.update(
                task,
                description=t(
                    lang,
                    "ingest_progress_counts",
                    n=n,
                    rate=rate,
                    added=report.added,
                    updated=report.updated,
                    unchanged=report.unchanged,
                    rejected=report.rejected_count,
                ),
            )

        return ingest_stream(store, tokenizer, items, on_progress=on_progress, **options)
