"""Ingest throughput against its ceilings, with the same worker processes on the same articles:
Sudachi tokenisation alone (what `prepare` cannot beat), `prepare` alone (tokenising, the
fusion signal terms and the columnar batch), and the whole ingest (`ingest_stream`, as
`kiji ingest` runs it: workers, the one writing process, compaction and settle() at the end).

    python bench/bench_ingest.py [--workers 2] [--limit 7367] [PATH ...]

Default input: the livedoor news corpus from ../shared. Characters are article bodies, as
`kiji ingest --json` counts them.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from itertools import islice
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common

from index.analysis.passages import split_passages
from index.analysis.tokenizer import JapaneseTokenizer
from index.ingest.ingest import MAX_CHUNK, ingest_stream, iter_articles
from index.models import Article
from index.store.prepare import prepare_batch
from index.store.store import IndexStore

_tok: JapaneseTokenizer | None = None


def _init() -> None:
    global _tok
    _tok = JapaneseTokenizer()


def _tokenise(articles: list[Article]) -> int:
    """What every ingest must do at least: one Sudachi pass over each title, heading and text."""
    assert _tok is not None
    for a in articles:
        _tok.terms(a.title)
        for p in split_passages(a):
            if p.heading:
                _tok.terms(p.heading)
            _tok.terms(p.text)
    return len(articles)


def _prepare(articles: list[Article]) -> int:
    assert _tok is not None
    prepare_batch(articles, _tok)
    return len(articles)


def in_workers(fn, chunks: list[list[Article]], workers: int) -> float:
    """Seconds for ``workers`` processes to run ``fn`` over every chunk."""
    ctx = mp.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init) as pool:
        list(pool.map(_init_done, range(workers)))  # workers started and their Sudachi loaded
        t = time.perf_counter()
        list(pool.map(fn, chunks))
        return time.perf_counter() - t


def _init_done(_: int) -> bool:
    return _tok is not None


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("paths", nargs="*", type=Path)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--limit", type=int, default=None, help="articles at most")
    args = ap.parse_args()
    paths = args.paths or [common.LIVEDOOR]
    if not all(p.exists() for p in paths):
        print("skipped: input not found (the shared data sets are not part of the project)")
        return
    articles = [a for a in islice(iter_articles(paths), args.limit) if isinstance(a, Article)]
    chars = sum(len(a.body) for a in articles)
    chunks = [articles[i : i + MAX_CHUNK] for i in range(0, len(articles), MAX_CHUNK)]
    common.header(f"Ingest against its ceilings ({len(articles):,} articles, {chars:,} chars)")
    rows: list[list[object]] = []
    for name, fn in (("Sudachi tokenisation alone", _tokenise), ("prepare alone", _prepare)):
        s = in_workers(fn, chunks, args.workers)
        rows.append([name, args.workers, s, chars / s / 1e6])
    with tempfile.TemporaryDirectory() as d:
        store = IndexStore.open(Path(d) / "ingest.db")
        t = time.perf_counter()
        report = ingest_stream(store, JapaneseTokenizer(), articles, workers=args.workers)
        s = time.perf_counter() - t
        size = (Path(d) / "ingest.db").stat().st_size / 1e6
        store.close()
    rows.append([f"whole ingest (index {size:,.0f} MB)", args.workers, s, report.chars / s / 1e6])
    ceiling = rows[0][3]
    for r in rows:
        assert isinstance(r[3], float) and isinstance(ceiling, float)
        r.append(f"{r[3] / ceiling:.0%}")
    common.table(["stage", "workers", "seconds", "M chars/s", "of the Sudachi ceiling"], rows)


if __name__ == "__main__":
    main()
