"""The index on PostgreSQL against the SQLite file, in the same run on the same articles:
whole-ingest throughput (`ingest_stream`, as `kiji ingest` runs it), search latency p50/p99
(the same queries, alternating between the two), and the p99 of adding one article (a feed item:
one write transaction and settle()).

    python bench/bench_pg.py [--url postgresql://postgres@127.0.0.1:5432/postgres]
                             [--aozora] [--limit N] [--queries 300] [--adds 100]

Default input: the livedoor news corpus from ../shared; ``--aozora`` adds the first Aozora Bunko
part (about 170k passages in all). A database ``kiji_bench_<pid>`` is created on the server of
``--url`` and dropped at the end.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from itertools import islice
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common
import psycopg
from psycopg import sql

from index.analysis.tokenizer import JapaneseTokenizer
from index.ingest.ingest import ingest_stream, iter_articles
from index.models import Article
from index.search.search import Searcher
from index.store.store import IndexStore


def articles(aozora: bool, limit: int | None) -> list[Article]:
    paths = [common.LIVEDOOR, *(common.AOZORA[:1] if aozora else [])]
    items = (a for a in iter_articles(paths) if isinstance(a, Article))
    return list(islice(items, limit))


def queries(n: int, docs: list[Article]) -> list[str]:
    if common.JSQUAD.exists():
        return common.jsquad_queries(n)
    return [a.title for a in docs[:: max(1, len(docs) // n)]][:n]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--aozora", action="store_true")
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--adds", type=int, default=100)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    common.require_shared()
    docs = articles(args.aozora, args.limit)
    held, docs = docs[-args.adds :], docs[: -args.adds]  # added one by one afterwards
    chars = sum(len(a.body) for a in docs)
    name = f"kiji_bench_{__import__('os').getpid()}"
    admin = psycopg.connect(args.url, autocommit=True)
    admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    pg_url = urlsplit(args.url)._replace(path=f"/{name}").geturl()
    tok = JapaneseTokenizer()
    try:
        with tempfile.TemporaryDirectory() as d:
            stores = {"SQLite": IndexStore.open(Path(d) / "bench.db"), "PostgreSQL": None}
            stores["PostgreSQL"] = IndexStore.open(pg_url)
            assert stores["PostgreSQL"].backend == "postgresql"
            ingest: dict[str, tuple[float, int]] = {}
            for backend, store in stores.items():
                assert store is not None
                t = time.perf_counter()
                report = ingest_stream(store, tok, docs, workers=args.workers)
                ingest[backend] = (time.perf_counter() - t, report.passages)
            searchers = {b: Searcher(s, tok) for b, s in stores.items() if s is not None}
            qs = queries(args.queries, docs)
            lat: dict[str, list[float]] = {b: [] for b in searchers}
            top_same = 0
            for q in qs[:20]:  # warm-up: caches and prepared statements
                for s in searchers.values():
                    s.search(q, 10)
            for q in qs:
                hits = []
                for b, s in searchers.items():
                    t = time.perf_counter()
                    r = s.search(q, 10)
                    lat[b].append((time.perf_counter() - t) * 1000)
                    hits.append([h.passage_id for h in r.hits])
                top_same += hits[0] == hits[1]
            adds: dict[str, list[float]] = {b: [] for b in stores}
            for a in held:
                for b, store in stores.items():
                    assert store is not None
                    t = time.perf_counter()
                    store.add_articles([a], tok)
                    adds[b].append((time.perf_counter() - t) * 1000)
            for store in stores.values():
                assert store is not None
                store.close()
        n_pass = ingest["SQLite"][1]
        common.header(
            f"PostgreSQL vs SQLite ({len(docs):,} articles, {n_pass:,} passages, {chars:,} chars; "
            f"{len(qs)} queries, {len(held)} single adds; same run)"
        )
        rows = []
        for b in stores:
            secs = ingest[b][0]
            rows.append(
                [b, secs, chars / secs / 1e6, common.pct(lat[b], 50), common.pct(lat[b], 99),
                 common.pct(adds[b], 50), common.pct(adds[b], 99)]
            )  # fmt: skip
        common.table(
            ["backend", "ingest s", "ingest M chars/s", "search p50 ms", "search p99 ms",
             "single add p50 ms", "single add p99 ms"],
            rows,
        )  # fmt: skip
        ratio = common.pct(lat["PostgreSQL"], 50) / common.pct(lat["SQLite"], 50)
        print(
            f"\nsearch p50 PostgreSQL / SQLite: {ratio:.2f}x; same top 10 for {top_same}/{len(qs)}"
        )
    finally:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        admin.close()


if __name__ == "__main__":
    main()
