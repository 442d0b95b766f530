"""The index as people leave it: search speed as `kiji ingest` left it, after the compaction the
writing process now runs on its own (``settle``), after feed-sized adds, and after `kiji optimize`.

Works on copies of an index built by `kiji ingest` before settle() existed (for example livedoor
+ Aozora part-00, about 170k passages). The states are queried with the same JSQuAD questions in
this process, taking turns for several rounds after a warm-up round; medians over the rounds.
Single adds are timed as a feed poll of one article runs: `prepare` (tokenising) + the write,
and the settle() after it, separately.

    python bench/bench_compaction.py --db /tmp/base.db [--adds 300] [--queries 300]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common
from bench_core import to_article

from index.analysis.tokenizer import JapaneseTokenizer
from index.models import IngestReport
from index.search.search import Searcher
from index.store.segments import merge_segments, settle
from index.store.store import IndexStore
from index.store.writer import BatchWriter, prepare


def segments(store: IndexStore) -> int:
    return store.conn.execute("SELECT count(DISTINCT seg) FROM postings").fetchone()[0]


def copy_db(src: Path, dst: Path) -> Path:
    store = IndexStore.open(src, create=False)
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    shutil.copy(src, dst)
    return dst


def timed_adds(db: Path, tok: JapaneseTokenizer, n: int) -> dict[str, list[float]]:
    """``n`` held-out articles added one at a time as a feed poll does: prepare, write, settle."""
    held = [
        to_article(r)
        for _, r in zip(range(n), common.jsonl_records(common.AOZORA[1]), strict=False)
    ]
    store = IndexStore.open(db)
    writer = BatchWriter(store, tok)
    out: dict[str, list[float]] = {"add": [], "settle": []}
    for a in held:
        t0 = time.perf_counter()
        writer.write([prepare(a, tok)], IngestReport())
        t1 = time.perf_counter()
        settle(store)
        out["add"].append((t1 - t0) * 1000)
        out["settle"].append((time.perf_counter() - t1) * 1000)
    store.close()
    return out


def query_rounds(
    dbs: list[Path], tok: JapaneseTokenizer, queries: list[str], rounds: int
) -> list[dict[str, float]]:
    """Per index: fused (search) and plain (word BM25) p50/p99, the median over ``rounds``
    rounds after a warm-up round; the indexes take turns, so load on a shared machine hits
    them alike."""
    stores = [IndexStore.open(db, create=False) for db in dbs]
    searchers = [Searcher(s, tok) for s in stores]
    runs: list[list[dict[str, float]]] = [[] for _ in dbs]
    for r in range(rounds + 1):
        for i, searcher in enumerate(searchers):
            fused, plain = [], []
            for q in queries:
                t = time.perf_counter()
                searcher.search(q, 10)
                fused.append((time.perf_counter() - t) * 1000)
                t = time.perf_counter()
                searcher.hits(searcher.score_terms(searcher.analyse(q), 10))
                plain.append((time.perf_counter() - t) * 1000)
            if r:
                runs[i].append(
                    {
                        "fused p50 ms": common.pct(fused, 50),
                        "fused p99 ms": common.pct(fused, 99),
                        "plain p50 ms": common.pct(plain, 50),
                        "plain p99 ms": common.pct(plain, 99),
                    }
                )
    for s in stores:
        s.close()
    return [{k: float(np.median([x[k] for x in rs])) for k in rs[0]} for rs in runs]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", type=Path, required=True, help="an index as `kiji ingest` left it")
    ap.add_argument("--adds", type=int, default=300, help="feed-sized single adds")
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    common.require_shared()
    queries = common.jsquad_queries(args.queries)
    tok = JapaneseTokenizer()
    tmp = Path(tempfile.mkdtemp(prefix="kiji-compaction-"))
    common.header("Search as the index is left: as ingested, settled, after feeds, optimized")
    states = [("as `kiji ingest` left it before settle()", copy_db(args.db, tmp / "a.db"), "")]
    settled = copy_db(args.db, tmp / "b.db")
    with IndexStore.open(settled) as store:
        t = time.perf_counter()
        steps = settle(store)
        took = f"{'+'.join(steps) or 'nothing'} {time.perf_counter() - t:.1f} s"
    states.append(("after settle() (now the end of `kiji ingest`)", settled, took))
    fed = copy_db(settled, tmp / "c.db")
    adds = timed_adds(fed, tok, args.adds)
    states.append((f"after {args.adds} single adds, each settled", fed, ""))
    optimized = copy_db(fed, tmp / "d.db")
    with IndexStore.open(optimized) as store:
        t = time.perf_counter()
        merge_segments(store)
        took = f"main {time.perf_counter() - t:.1f} s"
    states.append(("the same after `kiji optimize`", optimized, took))
    times = query_rounds([db for _, db, _ in states], tok, queries, args.rounds)
    rows = []
    for (name, db, took), t in zip(states, times, strict=True):
        with IndexStore.open(db, create=False) as store:
            rows.append([name, store.meta_int("n_docs"), segments(store), *t.values(), took])
    common.table(
        ["index", "passages", "segments", "fused p50 ms", "fused p99 ms", "plain p50 ms",
         "plain p99 ms", "compaction"],
        rows,
    )  # fmt: skip
    print()
    add, st = adds["add"], adds["settle"]
    common.table(
        ["single adds", "prepare + write p50 ms", "p95 ms", "p99 ms", "settle p50 ms",
         "settle p99 ms", "settle max ms", "settle mean ms"],
        [[len(add), common.pct(add, 50), common.pct(add, 95), common.pct(add, 99),
          common.pct(st, 50), common.pct(st, 99), max(st, default=0.0), float(np.mean(st))]],
    )  # fmt: skip
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
