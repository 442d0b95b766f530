"""Ingest throughput against its ceilings, with the same worker processes on the same articles:
Sudachi tokenisation alone (what `prepare` cannot beat), `prepare` alone (tokenising, the
fusion signal terms and the columnar batch), and the whole ingest (`ingest_stream`, as
`kiji ingest` runs it: workers, the one writing process, compaction and settle() at the end).

    python bench/bench_ingest.py [--workers 2] [--limit 7367] [--runs 1] [--code TREE ...] [PATH ...]

The whole ingest runs ``--runs`` times in a fresh process per run; with ``--code`` (repeatable:
``--code /path/to/old/checkout --code .``) each run takes every code tree in turn (each tree's
C extensions built in place, as ``pip install -e`` leaves them), so the machine's other work
falls on all of them alike, and the table gives every run and the median per tree. The
ceilings are measured once, with this checkout's code.

Default input: the livedoor news corpus from ../shared. Characters are article bodies, as
`kiji ingest --json` counts them.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from itertools import islice
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common

from index.analysis.passages import split_passages
from index.analysis.tokenizer import JapaneseTokenizer
from index.ingest.ingest import MAX_CHUNK, iter_articles
from index.models import Article
from index.store.prepare import prepare_batch

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


WHOLE = r"""
import json, sys, tempfile, time
from itertools import islice
from pathlib import Path
from index.analysis.tokenizer import JapaneseTokenizer
from index.ingest.ingest import ingest_stream, iter_articles
from index.models import Article
from index.store.store import IndexStore
paths, limit, workers = json.loads(sys.argv[1])
articles = [a for a in islice(iter_articles([Path(p) for p in paths]), limit)
            if isinstance(a, Article)]
with tempfile.TemporaryDirectory() as d:
    store = IndexStore.open(Path(d) / "ingest.db")
    t = time.perf_counter()
    report = ingest_stream(store, JapaneseTokenizer(), articles, workers=workers)
    s = time.perf_counter() - t
    size = (Path(d) / "ingest.db").stat().st_size
    store.close()
print(json.dumps({"seconds": s, "chars": report.chars, "bytes": size}))
"""


def whole(tree: Path, paths: list[Path], limit: int | None, workers: int) -> dict:
    """The whole ingest of ``paths`` with the code of ``tree``, in a new process."""
    out = subprocess.run(
        [sys.executable, "-c", WHOLE, json.dumps([[str(p) for p in paths], limit, workers])],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(tree)),
        cwd=tree,
    )
    if out.returncode:
        raise SystemExit(f"the ingest with {tree} failed:\n{out.stderr}")
    return json.loads(out.stdout)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("paths", nargs="*", type=Path)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--limit", type=int, default=None, help="articles at most")
    ap.add_argument("--runs", type=int, default=1, help="whole ingests per code tree")
    ap.add_argument("--code", type=Path, action="append", help="a kiji source tree (repeatable)")
    args = ap.parse_args()
    paths = [p.resolve() for p in args.paths] or [common.LIVEDOOR]
    trees = [t.resolve() for t in args.code or [common.REPO]]
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
    ceiling = rows[0][3]
    assert isinstance(ceiling, float)
    runs: dict[Path, list[dict]] = {t: [] for t in trees}
    for _ in range(args.runs):
        for tree in trees:
            runs[tree].append(whole(tree, paths, args.limit, args.workers))
    for tree, done in runs.items():
        rates = [r["chars"] / r["seconds"] / 1e6 for r in done]
        name = "whole ingest" + (f" ({tree})" if len(trees) > 1 else "")
        rows.append([f"{name}, index {done[-1]['bytes'] / 1e6:,.0f} MB", args.workers,
                     " / ".join(f"{r['seconds']:.1f}" for r in done), float(np.median(rates))])  # fmt: skip
        if len(done) > 1:
            rows[-1][0] = f"{rows[-1][0]}: {' / '.join(f'{x:.3f}' for x in rates)} M chars/s"
    for r in rows:
        assert isinstance(r[3], float)
        r.append(f"{r[3] / ceiling:.0%}")
    common.table(
        ["stage", "workers", "seconds", "M chars/s (median)", "of the Sudachi ceiling"], rows
    )


if __name__ == "__main__":
    main()
