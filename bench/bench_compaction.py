"""The index as people leave it: search speed as `kiji ingest` left it, after the compaction the
writing process now runs on its own (``settle``), after feed-sized adds, and after `kiji optimize`.

Works on a copy of an index built by `kiji ingest` (for example livedoor + Aozora part-00, about
170k passages). Each state is queried with the same JSQuAD questions in this process, two rounds,
and the second round is reported (the first warms the caches as a serving process would be).
Single adds are timed end to end: `prepare` (tokenising) + the write + its compaction.

    python bench/bench_compaction.py --db /tmp/base.db [--adds 300] [--queries 300]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

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


def query_times(db: Path, tok: JapaneseTokenizer, queries: list[str]) -> dict[str, float]:
    """Fused (search) and plain (word BM25) latency over ``queries``, second of two rounds."""
    store = IndexStore.open(db, create=False)
    searcher = Searcher(store, tok)
    out: dict[str, float] = {}
    for _round in range(2):
        fused, plain = [], []
        for q in queries:
            t = time.perf_counter()
            searcher.search(q, 10)
            fused.append((time.perf_counter() - t) * 1000)
        for q in queries:
            t = time.perf_counter()
            searcher.hits(searcher.score_terms(searcher.analyse(q), 10))
            plain.append((time.perf_counter() - t) * 1000)
        out = {
            "fused p50 ms": common.pct(fused, 50),
            "fused p99 ms": common.pct(fused, 99),
            "plain p50 ms": common.pct(plain, 50),
            "plain p99 ms": common.pct(plain, 99),
        }
    store.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", type=Path, required=True, help="an index as `kiji ingest` left it")
    ap.add_argument("--adds", type=int, default=300, help="feed-sized single adds")
    ap.add_argument("--queries", type=int, default=300)
    args = ap.parse_args()
    common.require_shared()
    queries = common.jsquad_queries(args.queries)
    tok = JapaneseTokenizer()
    tmp = Path(tempfile.mkdtemp(prefix="kiji-compaction-"))
    db = tmp / "work.db"
    src = IndexStore.open(args.db, create=False)
    src.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    src.close()
    shutil.copy(args.db, db)
    rows: list[list[object]] = []

    def row(state: str, store: IndexStore, extra: str = "") -> None:
        n, segs = store.meta_int("n_docs"), segments(store)
        rows.append([state, n, segs, *query_times(db, tok, queries).values(), extra])
        print(f"[{state}] done", file=sys.stderr)

    common.header("Search as the index is left: as ingested, settled, after feeds, optimized")
    store = IndexStore.open(db)
    row("as `kiji ingest` left it before this change", store)
    t = time.perf_counter()
    steps = settle(store)
    row(
        "after settle (now the end of `kiji ingest`)",
        store,
        f"{'+'.join(steps)} {time.perf_counter() - t:.1f} s",
    )

    held = [
        to_article(r)
        for _, r in zip(range(args.adds), common.jsonl_records(common.AOZORA[1]), strict=False)
    ]
    writer = BatchWriter(store, tok)
    add_ms, prep_ms, settle_ms = [], [], []
    for a in held:  # what a feed poll of one article does: prepare, write, settle
        t0 = time.perf_counter()
        prepared = prepare(a, tok)
        t1 = time.perf_counter()
        writer.write([prepared], IngestReport())
        t2 = time.perf_counter()
        settle(store)
        t3 = time.perf_counter()
        add_ms.append((t3 - t0) * 1000)
        prep_ms.append((t1 - t0) * 1000)
        settle_ms.append((t3 - t2) * 1000)
    row(f"after {len(held)} single adds, each settled", store)
    t = time.perf_counter()
    merge_segments(store)
    row("after `kiji optimize` (everything in main)", store, f"{time.perf_counter() - t:.1f} s")
    store.close()
    common.table(
        ["index", "passages", "segments", "fused p50 ms", "fused p99 ms", "plain p50 ms",
         "plain p99 ms", "compaction"],
        rows,
    )  # fmt: skip
    print()
    common.table(
        ["single adds", "total p50 ms", "total p95 ms", "total p99 ms", "of which prepare p99 ms",
         "settle p99 ms", "settle max ms"],
        [[len(held), common.pct(add_ms, 50), common.pct(add_ms, 95), common.pct(add_ms, 99),
          common.pct(prep_ms, 99), common.pct(settle_ms, 99), max(settle_ms, default=0.0)]],
    )  # fmt: skip
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
