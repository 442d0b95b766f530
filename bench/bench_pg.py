"""The index on PostgreSQL against the SQLite file, in the same run on the same articles:
whole-ingest throughput (`ingest_stream`, as `kiji ingest` runs it), search latency p50/p99
(the same queries, alternating between the two), and single adds (a feed item) timed as
bench_core times them: prepare + write, after which the article is found, and the settle()
the writing process runs after it, reported apart (readers are never blocked by it).

    python bench/bench_pg.py [--url postgresql://postgres@127.0.0.1:5432/postgres]
                             [--aozora] [--limit N] [--queries 300] [--adds 100]
                             [--keep DIR | --search-only DIR | --adds-only DIR] [--hits FILE]

Default input: the livedoor news corpus from ../shared; ``--aozora`` adds the first Aozora Bunko
part (about 170k passages in all). A database ``kiji_bench_<pid>`` is created on the server of
``--url`` and dropped at the end, unless ``--keep DIR`` keeps it and the SQLite file (in DIR):
then ``--search-only DIR`` measures the searches alone on those two indexes, so two versions of
the searcher can be compared on the same data in turns (run this script with each version's
Python), and ``--adds-only DIR`` (with the same ``--aozora``/``--limit``/``--adds``) the single
adds alone. The adds always run on copies of the two indexes (the SQLite backup API, and
``CREATE DATABASE … TEMPLATE``), dropped afterwards, so every run adds the same held-out articles
to the same state; ``--hits FILE`` writes each query's top 10 passage ids on both backends as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from itertools import islice
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common
import psycopg
from psycopg import sql

import index
from index.analysis.tokenizer import JapaneseTokenizer
from index.ingest.ingest import ingest_stream, iter_articles
from index.models import Article, IngestReport
from index.search.search import Searcher
from index.store.segments import settle
from index.store.store import IndexStore
from index.store.writer import BatchWriter, prepare


def articles(aozora: bool, limit: int | None) -> list[Article]:
    paths = [common.LIVEDOOR, *(common.AOZORA[:1] if aozora else [])]
    items = (a for a in iter_articles(paths) if isinstance(a, Article))
    return list(islice(items, limit))


def queries(n: int, docs: list[Article]) -> list[str]:
    if common.JSQUAD.exists():
        return common.jsquad_queries(n)
    return [a.title for a in docs[:: max(1, len(docs) // n)]][:n]


def measure_search(
    stores: dict[str, IndexStore], tok: JapaneseTokenizer, qs: list[str]
) -> tuple[dict[str, list[float]], int, dict[str, list[list[int]]]]:
    """Latencies (ms) of ``Searcher.search(q, 10)`` per backend, alternating query by query;
    how many queries had the same top 10 on both; the top 10 passage ids of each."""
    searchers = {b: Searcher(s, tok) for b, s in stores.items()}
    lat: dict[str, list[float]] = {b: [] for b in searchers}
    tops: dict[str, list[list[int]]] = {b: [] for b in searchers}
    for q in qs[:20]:  # warm-up: caches and prepared statements
        for s in searchers.values():
            s.search(q, 10)
    for q in qs:
        for b, s in searchers.items():
            t = time.perf_counter()
            r = s.search(q, 10)
            lat[b].append((time.perf_counter() - t) * 1000)
            tops[b].append([h.passage_id for h in r.hits])
    same = sum(a == b for a, b in zip(tops["SQLite"], tops["PostgreSQL"], strict=True))
    return lat, same, tops


def search_only(args: argparse.Namespace, tok: JapaneseTokenizer) -> None:
    kept = Path(args.search_only)
    pg_url = (kept / "pg_url").read_text().strip()
    stores = {"SQLite": IndexStore.open(kept / "bench.db"), "PostgreSQL": IndexStore.open(pg_url)}
    qs = queries(args.queries, [])
    lat, same, tops = measure_search(stores, tok, qs)
    n_pass = stores["SQLite"].meta_int("n_docs")
    for store in stores.values():
        store.close()
    common.header(f"search only ({n_pass:,} passages, {len(qs)} queries, alternating)")
    common.table(
        ["backend", "search p50 ms", "search p99 ms"],
        [[b, common.pct(v, 50), common.pct(v, 99)] for b, v in lat.items()],
    )
    ratio = common.pct(lat["PostgreSQL"], 50) / common.pct(lat["SQLite"], 50)
    print(f"\nsearch p50 PostgreSQL / SQLite: {ratio:.2f}x; same top 10 for {same}/{len(qs)}")
    if args.hits:
        Path(args.hits).write_text(json.dumps({"queries": qs, "tops": tops}))


def copies(
    admin: psycopg.Connection, d: Path, pg_url: str
) -> tuple[dict[str, IndexStore], Callable[[], None]]:
    """Open copies of the two indexes kept in ``d`` / at ``pg_url``; and what drops them."""
    copy_db = d / "adds.db"
    src, dst = sqlite3.connect(d / "bench.db"), sqlite3.connect(copy_db)
    src.backup(dst)
    src.close()
    dst.close()
    name = f"{urlsplit(pg_url).path.lstrip('/')}_adds"
    admin.execute(
        sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(name), sql.Identifier(urlsplit(pg_url).path.lstrip("/"))
        )
    )
    stores = {
        "SQLite": IndexStore.open(copy_db),
        "PostgreSQL": IndexStore.open(urlsplit(pg_url)._replace(path=f"/{name}").geturl()),
    }

    def drop() -> None:
        for store in stores.values():
            store.close()
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        for suffix in ("", "-wal", "-shm", ".lock"):
            Path(f"{copy_db}{suffix}").unlink(missing_ok=True)

    return stores, drop


def measure_adds(
    stores: dict[str, IndexStore], tok: JapaneseTokenizer, held: list[Article]
) -> dict[str, tuple[list[float], list[float]]]:
    """Per backend, alternating article by article: the latencies (ms) of an add as a feed poll
    of one article does it, prepare (tokenising) + write, after which it is found; and of the
    settle() after it (bench_core.time_adds)."""
    writers = {b: BatchWriter(s, tok) for b, s in stores.items()}
    out: dict[str, tuple[list[float], list[float]]] = {b: ([], []) for b in stores}
    for a in held:
        for b, store in stores.items():
            t = time.perf_counter()
            writers[b].write([prepare(a, tok)], IngestReport())
            out[b][0].append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            settle(store)
            out[b][1].append((time.perf_counter() - t) * 1000)
    return out


def adds_table(adds: dict[str, tuple[list[float], list[float]]], n_pass: int) -> None:
    common.table(
        ["backend", "passages", "adds", "add p50 ms (prepare + write: found)", "add p99 ms",
         "add mean ms", "then settle() p50 ms", "settle() p99 ms", "settle() mean ms"],
        [
            [b, n_pass, len(found), common.pct(found, 50), common.pct(found, 99),
             sum(found) / len(found), common.pct(after, 50), common.pct(after, 99),
             sum(after) / len(after)]
            for b, (found, after) in adds.items()
        ],
    )  # fmt: skip


def adds_only(args: argparse.Namespace, tok: JapaneseTokenizer) -> None:
    kept = Path(args.adds_only)
    pg_url = (kept / "pg_url").read_text().strip()
    held = articles(args.aozora, args.limit)[-args.adds :]
    admin = psycopg.connect(args.url, autocommit=True)
    try:
        stores, drop = copies(admin, kept, pg_url)
        try:
            n_pass = stores["SQLite"].meta_int("n_docs")
            adds = measure_adds(stores, tok, held)
        finally:
            drop()
    finally:
        admin.close()
    common.header(f"single adds only ({n_pass:,} passages before, {len(held)} adds, alternating)")
    adds_table(adds, n_pass)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--aozora", action="store_true")
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--adds", type=int, default=100)
    ap.add_argument("--workers", type=int, default=2)
    where = ap.add_mutually_exclusive_group()
    where.add_argument("--keep", metavar="DIR", help="keep both indexes (in DIR) for --search-only")
    where.add_argument("--search-only", metavar="DIR", help="search the indexes --keep left")
    where.add_argument(
        "--adds-only", metavar="DIR", help="time the adds on the indexes --keep left"
    )
    ap.add_argument("--hits", metavar="FILE", help="write each query's top 10 as JSON")
    args = ap.parse_args()
    common.require_shared()
    print(f"index code: {Path(index.__file__).parent}")  # the version measured (PYTHONPATH)
    tok = JapaneseTokenizer()
    if args.search_only:
        search_only(args, tok)
        return
    if args.adds_only:
        adds_only(args, tok)
        return
    docs = articles(args.aozora, args.limit)
    held, docs = docs[-args.adds :], docs[: -args.adds]  # added one by one afterwards
    chars = sum(len(a.body) for a in docs)
    name = f"kiji_bench_{os.getpid()}"
    admin = psycopg.connect(args.url, autocommit=True)
    admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    pg_url = urlsplit(args.url)._replace(path=f"/{name}").geturl()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            d = Path(args.keep) if args.keep else Path(tmp)
            d.mkdir(parents=True, exist_ok=True)
            stores = {
                "SQLite": IndexStore.open(d / "bench.db"),
                "PostgreSQL": IndexStore.open(pg_url),
            }
            assert stores["PostgreSQL"].backend == "postgresql"
            ingest: dict[str, tuple[float, int]] = {}
            for backend, store in stores.items():
                t = time.perf_counter()
                report = ingest_stream(store, tok, docs, workers=args.workers)
                ingest[backend] = (time.perf_counter() - t, report.passages)
            qs = queries(args.queries, docs)
            lat, top_same, tops = measure_search(stores, tok, qs)
            if args.hits:
                Path(args.hits).write_text(json.dumps({"queries": qs, "tops": tops}))
            for store in stores.values():
                store.close()
            copied, drop = copies(admin, d, pg_url)
            try:
                adds = measure_adds(copied, tok, held)
            finally:
                drop()
        n_pass = ingest["SQLite"][1]
        common.header(
            f"PostgreSQL vs SQLite ({len(docs):,} articles, {n_pass:,} passages, {chars:,} chars; "
            f"{len(qs)} queries, {len(held)} single adds; same run)"
        )
        common.table(
            ["backend", "ingest s", "ingest M chars/s", "search p50 ms", "search p99 ms"],
            [
                [b, ingest[b][0], chars / ingest[b][0] / 1e6, common.pct(lat[b], 50),
                 common.pct(lat[b], 99)]
                for b in stores
            ],
        )  # fmt: skip
        print()
        adds_table(adds, n_pass)
        ratio = common.pct(lat["PostgreSQL"], 50) / common.pct(lat["SQLite"], 50)
        print(
            f"\nsearch p50 PostgreSQL / SQLite: {ratio:.2f}x; same top 10 for {top_same}/{len(qs)}"
        )
        if args.keep:
            (Path(args.keep) / "pg_url").write_text(pg_url + "\n")
            print(f"kept: {Path(args.keep) / 'bench.db'} and {pg_url} (drop it when done)")
    finally:
        if not args.keep:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        admin.close()


if __name__ == "__main__":
    main()
