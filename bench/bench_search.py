"""Search latency on an existing index, one or more versions of the code compared in turns.

Each run is a fresh serving process (``python -c SERVE`` with the code tree first on
``PYTHONPATH``) that opens the index read-only as a searcher does, asks 50 warm-up questions,
then times ``Searcher.search`` (fused, the default) and plain word BM25 (``score_terms``
without the question's text) over the same distinct JSQuAD questions, hits included. The code
trees take turns, run after run, so the machine's other work falls on all of them alike; the
table gives every run and the median p50 / p99 per tree. Every run also prints a digest of its
rankings (top 10 passage ids and scores, fused and plain): versions that should rank
identically must show the same digest.

    python bench/bench_search.py DB [--queries 2000] [--runs 3] [--code TREE ...]

``--code`` defaults to this checkout; pass several (``--code /work/main --code .``) to compare.
``--code TREE=OTHER_DB`` runs that tree on another copy of the index (a version of the code that
reads another schema: the copy it migrated). Nothing is written to DB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common

SERVE = r"""
import hashlib, json, sys, time
from index.store.store import IndexStore
from index.search.search import Searcher
from index.analysis.tokenizer import JapaneseTokenizer
store = IndexStore.open(sys.argv[1], create=False)
searcher = Searcher(store, JapaneseTokenizer())
queries = json.loads(open(sys.argv[2], encoding="utf-8").read())
for q in queries[-50:]:  # warm-up on other questions than the timed ones
    searcher.search(q, 10)
queries = queries[:-50]
digest = hashlib.sha256()
fused, plain = [], []
for q in queries:
    s = time.perf_counter(); r = searcher.search(q, 10); fused.append((time.perf_counter() - s) * 1000)
    digest.update(repr([(h.passage_id, round(h.score, 9)) for h in r.hits]).encode())
for q in queries:
    s = time.perf_counter()
    scored = searcher.score_terms(searcher.analyse(q), 10)
    hits = searcher.hits(scored)
    plain.append((time.perf_counter() - s) * 1000)
    digest.update(repr([(h.passage_id, round(h.score, 9)) for h in hits]).encode())
print(json.dumps({"fused": fused, "plain": plain, "n_docs": searcher.n_docs,
                  "digest": digest.hexdigest()[:12]}))
"""


def serve(db: Path, tree: Path, queries_file: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree))
    out = subprocess.run(
        [sys.executable, "-c", SERVE, str(db), queries_file],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=tree,
    )
    return json.loads(out.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(
        description="Search latency on an existing index, code trees in turns."
    )
    ap.add_argument("db", type=Path)
    ap.add_argument("--queries", type=int, default=2000, help="distinct JSQuAD questions timed")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument(
        "--code", action="append", help="a kiji source tree, or TREE=DB to search DB (repeatable)"
    )
    args = ap.parse_args()
    common.require_shared()
    trees: list[Path] = []
    dbs: dict[Path, Path] = {}
    for spec in args.code or [str(common.REPO)]:
        tree, _, db = spec.partition("=")
        trees.append(Path(tree).resolve())
        dbs[trees[-1]] = Path(db) if db else args.db
    queries = common.jsquad_queries(args.queries + 50)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as f:
        json.dump(queries, f, ensure_ascii=False)
    results: dict[Path, list[dict]] = {t: [] for t in trees}
    loads = []
    try:
        for run in range(args.runs):
            for tree in trees:
                loads.append(os.getloadavg()[0])
                results[tree].append(serve(dbs[tree], tree, f.name))
                r = results[tree][-1]
                print(
                    f"run {run + 1} {tree}: fused p50 {common.pct(r['fused'], 50):.2f} ms, "
                    f"digest {r['digest']}",
                    file=sys.stderr,
                )
    finally:
        os.unlink(f.name)
    n_docs = results[trees[0]][0]["n_docs"]
    common.header(
        f"Search over {n_docs:,} passages, {args.queries:,} distinct JSQuAD questions, "
        f"{args.runs} runs in turns (load average {min(loads):.1f}–{max(loads):.1f})"
    )
    rows = []
    for tree in trees:
        runs = results[tree]

        def each(key: str, q: float, runs: list[dict] = runs) -> list[float]:
            return [common.pct(r[key], q) for r in runs]

        def listed(values: list[float]) -> str:
            return " / ".join(f"{v:.2f}" for v in values)

        rows.append(
            [
                f"{tree}" + (f" on {dbs[tree].name}" if dbs[tree] != args.db else ""),
                listed(each("fused", 50)),
                listed(each("fused", 99)),
                float(np.median(each("fused", 50))),
                float(np.median(each("fused", 99))),
                listed(each("plain", 50)),
                float(np.median(each("plain", 50))),
                float(np.median(each("plain", 99))),
                " ".join(sorted({r["digest"] for r in runs})),
            ]
        )
    common.table(
        [
            "code",
            "fused p50 ms (each run)",
            "fused p99 ms (each run)",
            "fused median p50",
            "fused median p99",
            "plain p50 ms (each run)",
            "plain median p50",
            "plain median p99",
            "rankings digest",
        ],
        rows,
    )


if __name__ == "__main__":
    main()
