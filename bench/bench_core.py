"""Speed at scale: kiji vs rank_bm25.BM25Okapi vs bm25s over identical Sudachi tokens.

Builds one kiji database incrementally (livedoor news, then Aozora Bunko passages) and at each
size measures: ingest chars/s (for the added part, both cores), index size, per-query latency
p50/p95/p99 over real questions (JSQuAD, including query tokenisation), cold start (a new process
to its first answer), serving-process RSS and private memory (USS), single-article add latency and
the merge time of the added articles. The baselines are built in memory from the same terms and
queried with the same query terms. Every figure of a table comes from this one run.

    python bench/bench_core.py [--sizes 10000,100000,all] [--keep DB] [--queries 500]
    python bench/bench_core.py --adds-only COPY_OF_DB [--adds 1000]
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing as mp
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common

from index.analysis.tokenizer import JapaneseTokenizer
from index.ingest.ingest import ingest_stream
from index.models import Article, IngestReport
from index.search.search import Searcher
from index.store.store import IndexStore
from index.store.writer import BatchWriter, merge_segments, passage_terms, prepare, settle


def corpus_records():
    """livedoor articles first, then the Aozora passages (each record one article)."""
    yield from common.jsonl_records(common.LIVEDOOR)
    for part in common.AOZORA:
        yield from common.jsonl_records(part)


def to_article(rec: dict) -> Article:
    from datetime import datetime

    pub = rec.get("published_at")
    dt = None
    if pub:
        dt = datetime.fromisoformat(pub if "T" in pub else pub + "T00:00:00+09:00")
    return Article.from_text(
        rec["id"],
        rec["title"],
        rec["body"],
        url=rec.get("url") or "",
        published_at=dt,
        category=rec.get("category"),
        source=rec.get("source"),
    )


_tok: JapaneseTokenizer | None = None


def _init() -> None:
    global _tok
    _tok = JapaneseTokenizer()


def _doc_terms(args: tuple[str, str | None, str]) -> list[str]:
    assert _tok is not None
    title, heading, text = args
    counts = passage_terms(_tok, Counter(_tok.terms(title)), heading, text)
    return [t for t, c in counts.items() for _ in range(c)]


def baseline_docs(store: IndexStore) -> list[list[str]]:
    """The exact terms kiji indexed for every passage, re-derived in parallel (pid order)."""
    rows = store.conn.execute(
        "SELECT a.title, p.heading, substr(a.body, p.start + 1, p.end - p.start) FROM passages p "
        "JOIN articles a ON a.rowid = p.article_rowid ORDER BY p.pid"
    ).fetchall()
    with mp.get_context("fork").Pool(os.cpu_count(), initializer=_init) as pool:
        return pool.map(_doc_terms, rows, chunksize=500)


SERVE = r"""
import json, os, sys, time
t0 = time.perf_counter()
from index.store.store import IndexStore
from index.search.search import Searcher
from index.analysis.tokenizer import JapaneseTokenizer
store = IndexStore.open(sys.argv[1], create=False)
searcher = Searcher(store, JapaneseTokenizer())
searcher.search(sys.argv[2], 10)
# From this process's start (/proc, 10 ms ticks) to its first answer, on CLOCK_BOOTTIME: neither
# the parent's size (a wall clock around fork+exec) nor psutil's 1-s boot time rounding counts.
start_ticks = int(open("/proc/self/stat").read().rsplit(")", 1)[1].split()[19])
first = time.clock_gettime(time.CLOCK_BOOTTIME) - start_ticks / os.sysconf("SC_CLK_TCK")
queries = json.loads(open(sys.argv[3], encoding="utf-8").read())
lat = []
for q in queries:  # search() ranks with lexical fusion (index.ranking.fusion) unless KIJI_FUSION=0
    s = time.perf_counter(); searcher.search(q, 10); lat.append((time.perf_counter() - s) * 1000)
plain = []
for q in queries:  # plain word BM25: score_terms without the question text
    s = time.perf_counter()
    searcher.hits(searcher.score_terms(searcher.analyse(q), 10))
    plain.append((time.perf_counter() - s) * 1000)
import psutil
mem = psutil.Process().memory_full_info()
# VmHWM (peak RSS) of this process image: ru_maxrss would include the parent's image before exec.
hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))
# Private and anonymous (heap, arrays): USS also counts the Sudachi dictionary's clean,
# file-backed pages whenever no other process maps the file, though they are shared with
# every other process that loads it and the kernel can drop them.
def anon_mb():
    roll = dict(l.split(":", 1) for l in open("/proc/self/smaps_rollup").read().splitlines()[1:])
    return int(roll["Anonymous"].split()[0]) / 1024
anon = anon_mb()
# Then idle, as a serving loop leaves it between questions: the heap's holes given back.
from index.ops.memory import release_free_heap
release_free_heap()
print(json.dumps({"cold_s": first, "lat": lat, "plain": plain, "rss_mb": hwm / 1024,
                  "uss_mb": mem.uss / 2**20, "anon_mb": anon,
                  "uss_idle_mb": psutil.Process().memory_full_info().uss / 2**20,
                  "anon_idle_mb": anon_mb()}))
"""


def serve_measure(db: Path, queries: list[str]) -> dict:
    """Cold start and latency in a fresh process, wall-clocked from the process's own start."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as f:
        json.dump(queries, f, ensure_ascii=False)
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", SERVE, str(db), queries[0], f.name],
        capture_output=True,
        text=True,
        check=True,
    )
    wall = time.perf_counter() - t0
    os.unlink(f.name)
    data = json.loads(out.stdout)
    data["wall_s"] = wall
    return data


def time_adds(
    store: IndexStore, tok: JapaneseTokenizer, articles: list[Article]
) -> tuple[list[float], list[float], float]:
    """Each add as a feed poll of one article does it: prepare (tokenising) and write, after
    which the article is found; then settle(), the compaction the writing process runs
    afterwards (readers are never blocked by it). Latencies of both, and the final merge."""
    writer = BatchWriter(store, tok)
    lat, settle_lat = [], []
    for a in articles:
        t = time.perf_counter()
        writer.write([prepare(a, tok)], IngestReport())
        lat.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        settle(store)
        settle_lat.append((time.perf_counter() - t) * 1000)
    t = time.perf_counter()
    merge_segments(store)
    return lat, settle_lat, time.perf_counter() - t


def adds_table(
    store: IndexStore, tok: JapaneseTokenizer, held_out: list[Article], queries: list[str]
) -> None:
    """Single-article adds on ``store`` and a query pass after them, as one markdown table."""
    searcher = Searcher(store, tok)
    add_lat, settle_lat, merge_s = time_adds(store, tok, held_out)
    qlat = []
    for q in queries[:200]:
        s = time.perf_counter()
        searcher.search(q, 10)
        qlat.append((time.perf_counter() - s) * 1000)
    common.table(
        [
            "passages",
            "articles added one by one",
            "add p50 ms (prepare + write: found)",
            "add p95 ms",
            "add p99 ms",
            "then settle() p50 ms",
            "settle() p99 ms",
            "settle() mean ms",
            "merge of the adds s",
            "query p50 ms after",
        ],
        [
            [
                store.meta_int("n_docs"),
                len(held_out),
                common.pct(add_lat, 50),
                common.pct(add_lat, 95),
                common.pct(add_lat, 99),
                common.pct(settle_lat, 50),
                common.pct(settle_lat, 99),
                float(np.mean(settle_lat)),
                merge_s,
                common.pct(qlat, 50),
            ]
        ],
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000,320000,all")
    ap.add_argument("--queries", type=int, default=500)
    ap.add_argument("--rank-bm25-queries", type=int, default=20)
    ap.add_argument(
        "--adds", type=int, default=3000, help="single-article adds timed at the largest size"
    )
    ap.add_argument("--keep", type=Path, help="keep the built database here")
    ap.add_argument("--no-baselines", action="store_true")
    ap.add_argument(
        "--adds-only",
        type=Path,
        help="only time single adds on this existing database (it is written to: pass a copy)",
    )
    args = ap.parse_args()
    common.require_shared()
    queries = common.jsquad_queries(args.queries)
    tok = JapaneseTokenizer()
    if args.adds_only:
        store = IndexStore.open(args.adds_only, create=False)
        articles = [
            to_article(r)
            for _, r in zip(range(args.adds), common.jsonl_records(common.AOZORA[0]), strict=False)
        ]
        # New ids and texts: the corpus and the main run's re-adds are in it already.
        held = [
            Article.from_text(
                a.id + "-add", a.title, a.body + "（追補）", published_at=a.published_at
            )
            for a in articles
        ]
        common.header(f"Single adds on {args.adds_only.name}")
        adds_table(store, tok, held, queries)
        store.close()
        return
    qterms = [tok.query_terms(q) for q in queries]

    tmp = Path(tempfile.mkdtemp(prefix="kiji-bench-"))
    db = tmp / "bench.db"
    store = IndexStore.open(db)
    records = corpus_records()
    held_out: list[Article] = []
    sizes = [s for s in args.sizes.split(",") if s]
    rows_speed: list[list[object]] = []
    header_cols: list[str] = []
    common.header("Speed at scale (livedoor news + Aozora Bunko passages; 500 JSQuAD questions)")
    for size in sizes:
        target = None if size == "all" else int(size)

        def stream(target: int | None = target):
            n = store.meta_int("n_docs")
            for rec in records:
                art = to_article(rec)
                yield art
                n += max(
                    1, len(art.body) // 300
                )  # rough passages estimate; exact count checked below
                if target is not None and n >= target:
                    return

        gc.collect()
        t0 = time.perf_counter()
        # As `kiji ingest` does it: compaction while it runs, and settle() at the end.
        report = ingest_stream(store, tok, stream())
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        ingest_s = time.perf_counter() - t0
        segs = store.stats()["segments"]
        n_docs = store.meta_int("n_docs")
        size_mb = db.stat().st_size / 1e6
        serve = serve_measure(db, queries)  # the index as the ingest left it
        merge_t0 = time.perf_counter()
        merge_segments(store)  # what `kiji optimize` adds
        merge_s = time.perf_counter() - merge_t0
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        merged = serve_measure(db, queries)
        lat = serve["lat"]
        row = {
            "passages": n_docs,
            "ingest M chars/s": report.chars / ingest_s / 1e6,
            "index MB": size_mb,
            "segments as ingested": segs,
            "as ingested: fused p50 ms": common.pct(lat, 50),
            "fused p99 ms": common.pct(lat, 99),
            "plain p50 ms": common.pct(serve["plain"], 50),
            "plain p99 ms": common.pct(serve["plain"], 99),
            "merged: fused p50 ms": common.pct(merged["lat"], 50),
            "merged fused p99 ms": common.pct(merged["lat"], 99),
            "merged plain p50 ms": common.pct(merged["plain"], 50),
            "merged plain p99 ms": common.pct(merged["plain"], 99),
            "cold start s": serve["cold_s"],
            "RSS MB": serve["rss_mb"],
            "private MB (USS)": serve["uss_mb"],
            "private anonymous MB": serve["anon_mb"],
            "idle: USS MB": serve["uss_idle_mb"],
            "idle: private anonymous MB": serve["anon_idle_mb"],
        }
        print(
            f"[{n_docs:,} passages] ingest {report.chars:,} chars in {ingest_s:.1f} s (merge {merge_s:.1f} s)",
            file=sys.stderr,
        )
        if not args.no_baselines:
            docs = baseline_docs(store)
            import bm25s

            t = time.perf_counter()
            retriever = bm25s.BM25(k1=store_params().k1, b=store_params().b)
            retriever.index(docs, show_progress=False)
            bm25s_build = time.perf_counter() - t
            vocab = retriever.vocab_dict
            blat = []
            for terms in qterms:
                q = [x for x in terms if x in vocab and x != ""]
                if not q:  # bm25s raises on a query with no indexed term; kiji answers "no hits"
                    continue
                s = time.perf_counter()
                retriever.retrieve([q], k=10, show_progress=False, n_threads=1)
                blat.append((time.perf_counter() - s) * 1000)
            row["bm25s p50 ms"] = common.pct(blat, 50)
            row["bm25s p99 ms"] = common.pct(blat, 99)
            row["bm25s build s"] = bm25s_build
            del retriever
            gc.collect()
            from rank_bm25 import BM25Okapi

            ref = BM25Okapi(docs, k1=store_params().k1, b=store_params().b)
            rlat = []
            for terms in qterms[: args.rank_bm25_queries]:
                s = time.perf_counter()
                scores = ref.get_scores(terms)
                np.argsort(-scores)[:10]
                rlat.append((time.perf_counter() - s) * 1000)
            row["rank_bm25 p50 ms"] = common.pct(rlat, 50)
            row["speed-up vs rank_bm25 (p50)"] = row["rank_bm25 p50 ms"] / row["plain p50 ms"]
            del ref, docs
            gc.collect()
        rows_speed.append(list(row.values()))
        header_cols = list(row.keys())
    common.table(header_cols, rows_speed)

    # Single-article adds and the merge of those adds, on the largest index.
    for rec in records:
        held_out.append(to_article(rec))
        if len(held_out) >= args.adds:
            break
    if len(held_out) < args.adds:  # corpus exhausted: re-add Aozora passages under new ids
        extra = [
            to_article(r)
            for _, r in zip(
                range(args.adds - len(held_out)),
                common.jsonl_records(common.AOZORA[0]),
                strict=False,
            )
        ]
        held_out += [
            Article.from_text(
                a.id + "-again", a.title, a.body + "（再掲）", published_at=a.published_at
            )
            for a in extra
        ]
    print()
    adds_table(store, tok, held_out, queries)
    store.close()
    if args.keep:
        shutil.move(str(db), args.keep)
        print(f"\nkept the database at {args.keep}", file=sys.stderr)
    shutil.rmtree(tmp, ignore_errors=True)


def store_params():
    from index.ranking.bm25 import BM25Params

    return BM25Params()


if __name__ == "__main__":
    main()
