"""Answer quality and latency: JSQuAD first-excerpt accuracy, data/ questions, `kiji ask` latency.

    python bench/bench_answer.py [--big DB] [--calibrate] [--limit N]

Prints markdown tables of measured figures only. Skips JSQuAD cleanly when ../shared is absent.
``--calibrate`` prints the evidence (coverage, relative score) distributions of answerable and
unanswerable questions and the not-found thresholds they support (see index/ranking/evidence.py).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import JSQUAD, REPO, header, jsquad, pct, table
from index.analysis.tokenizer import JapaneseTokenizer
from index.answer.answer import Answerer
from index.config import SAMPLE_ARTICLES
from index.errors import InvalidQuery
from index.models import Answer, Article
from index.ops.memory import tune_gc
from index.ranking.evidence import MIN_COVERAGE, MIN_RELATIVE, Evidence
from index.search.search import Searcher
from index.store.store import IndexStore

JST = timezone(timedelta(hours=9))
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=JST)
QUESTIONS_DATA = REPO / "bench" / "questions_data.jsonl"


@dataclass
class Run:
    name: str
    latencies: list[float] = field(default_factory=list)


def open_answerer(store: IndexStore, tokenizer: JapaneseTokenizer) -> Answerer:
    return Answerer(store, Searcher(store, tokenizer), tokenizer)


def build_jsquad(tokenizer: JapaneseTokenizer, path: Path) -> IndexStore:
    paragraphs, _ = jsquad()
    store = IndexStore.open(path)
    articles = [
        Article.from_text(f"jsquad-{i}", title, text) for i, (title, text) in enumerate(paragraphs)
    ]
    store.add_articles(articles, tokenizer)
    return store


def build_data(tokenizer: JapaneseTokenizer, path: Path) -> IndexStore:
    from index.ingest.parsers import iter_input_files, parse_path
    from index.models import Article as _Article

    store = IndexStore.open(path)
    files = list(iter_input_files([SAMPLE_ARTICLES]))
    store.add_articles(
        [a for f in files for a in parse_path(f) if isinstance(a, _Article)], tokenizer
    )
    return store


def timed(answerer: Answerer, question: str, now: datetime, run: Run) -> Answer:
    t0 = time.perf_counter()
    answer = answerer.ask(question, now=now, k=3)
    run.latencies.append((time.perf_counter() - t0) * 1000)
    return answer


def jsquad_quality(answerer: Answerer, limit: int | None) -> tuple[list[list[object]], Run]:
    _, questions = jsquad()
    if limit:
        questions = questions[:limit]
    run = Run("JSQuAD")
    first = anyx = found = 0
    for question, _idx, answers in questions:
        ans = timed(answerer, question, NOW, run)
        texts = [e.text for e in ans.excerpts]
        if ans.status == "answered":
            found += 1
        if texts and any(a in texts[0] for a in answers):
            first += 1
        if any(a in t for t in texts for a in answers):
            anyx += 1
    n = len(questions)
    rows = [
        ["JSQuAD valid v1.3", n, first / n, anyx / n, found / n],
    ]
    return rows, run


def data_quality(answerer: Answerer) -> list[list[object]] | None:
    if not QUESTIONS_DATA.exists():
        print(f"\n({QUESTIONS_DATA.name} not found: data/ questions skipped)")
        return None
    records = [json.loads(x) for x in QUESTIONS_DATA.read_text(encoding="utf-8").splitlines() if x]
    answerable = [r for r in records if r.get("expected")]
    unanswerable = [r for r in records if not r.get("expected")]
    run = Run("data")
    ok = contains = 0
    for r in answerable:
        now = datetime.fromisoformat(r["now"]) if r.get("now") else NOW
        ans = timed(answerer, r["question"], now, run)
        if ans.excerpts and ans.excerpts[0].article_id == r["expected"]:
            ok += 1
        if ans.excerpts and r.get("answer") and r["answer"] in ans.excerpts[0].text:
            contains += 1
    nf = 0
    for r in unanswerable:
        now = datetime.fromisoformat(r["now"]) if r.get("now") else NOW
        if timed(answerer, r["question"], now, run).status == "not_found":
            nf += 1
    na, nu = len(answerable), len(unanswerable)
    return [
        [
            "data/articles questions",
            na,
            ok / na if na else float("nan"),
            contains / na if na else float("nan"),
            nu,
            nf / nu if nu else float("nan"),
        ]
    ]


def latency_row(name: str, passages: int, run: Run) -> list[object]:
    lat = run.latencies
    return [name, passages, len(lat), pct(lat, 50), pct(lat, 95), pct(lat, 99)]


def big_latency(path: Path, tokenizer: JapaneseTokenizer, limit: int | None) -> list[object]:
    _, questions = jsquad()
    qs = [q for q, _, _ in questions][: limit or 2000]
    store = IndexStore.open(path, create=False)
    answerer = open_answerer(store, tokenizer)
    for q in qs[:50]:  # warm the postings cache as a running bot would be
        answerer.ask(q, now=NOW)
    run = Run("big")
    for q in qs:
        timed(answerer, q, NOW, run)
    row = latency_row(f"big DB ({path.name})", store.meta_int("n_docs"), run)
    store.close()
    return row


def features(answerer: Answerer, questions: list[tuple[str, datetime]]) -> list[Evidence]:
    out = []
    for q, now in questions:
        try:
            out.append(answerer.explain(q, now=now))
        except InvalidQuery:
            continue
    return out


def calibrate(jsq: Answerer, data: Answerer, limit: int | None) -> None:
    _, questions = jsquad()
    jq = [(q, NOW) for q, _, _ in questions][: limit or None]
    pos = features(jsq, jq)
    neg = features(data, jq)
    name_pos, name_neg = ["JSQuAD on JSQuAD"], ["JSQuAD on data/"]
    if QUESTIONS_DATA.exists():
        recs = [json.loads(x) for x in QUESTIONS_DATA.read_text(encoding="utf-8").splitlines() if x]

        def now_of(r: dict) -> datetime:
            return datetime.fromisoformat(r["now"]) if r.get("now") else NOW

        dpos = features(data, [(r["question"], now_of(r)) for r in recs if r.get("expected")])
        dneg = features(data, [(r["question"], now_of(r)) for r in recs if not r.get("expected")])
        # Data questions against the JSQuAD corpus are unanswerable too.
        dneg2 = features(jsq, [(r["question"], now_of(r)) for r in recs if r.get("expected")])
        pos += dpos
        neg += dneg + dneg2
        name_pos.append(f"data answerable ({len(dpos)})")
        name_neg += [f"data not-found ({len(dneg)})", f"data on JSQuAD ({len(dneg2)})"]
    header("Not-found calibration: evidence of the best passage")
    print(f"answerable: {', '.join(name_pos)}; unanswerable: {', '.join(name_neg)}\n")
    rows = []
    for label, ev in (("answerable", pos), ("unanswerable", neg)):
        cov = [e.coverage for e in ev]
        rel = [e.relative for e in ev]
        rows.append([label, len(ev), pct(cov, 5), pct(cov, 50), pct(rel, 5), pct(rel, 50)])
    table(["set", "n", "coverage p5", "coverage p50", "relative p5", "relative p50"], rows)
    cp = np.array([e.coverage for e in pos])
    rp = np.array([e.relative for e in pos])
    cn = np.array([e.coverage for e in neg])
    rn = np.array([e.relative for e in neg])
    grid = []
    for c in np.arange(0.3, 0.85, 0.05):
        for r in np.arange(0.0, 0.4, 0.025):
            keep = ((cp >= c) & (rp >= r)).mean()
            reject = ((cn < c) | (rn < r)).mean()
            grid.append((round(float(c), 3), round(float(r), 3), float(keep), float(reject)))
    grid.sort(key=lambda g: -(g[2] + g[3]))
    print()
    cur = [g for g in grid if abs(g[0] - MIN_COVERAGE) < 1e-6 and abs(g[1] - MIN_RELATIVE) < 1e-6]
    table(
        ["min coverage", "min relative", "answerable kept", "unanswerable rejected"],
        [list(g) for g in grid[:8]] + [[f"current {g[0]}", g[1], g[2], g[3]] for g in cur],
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--big", type=Path, help="a large prebuilt kiji DB for latency")
    ap.add_argument("--calibrate", action="store_true")
    ap.add_argument("--limit", type=int, help="only the first N JSQuAD questions")
    args = ap.parse_args()
    tune_gc()  # as every kiji command and the bot do (index.ops.memory)
    tokenizer = JapaneseTokenizer()
    with tempfile.TemporaryDirectory() as tmp:
        data_store = build_data(tokenizer, Path(tmp) / "data.db")
        data = open_answerer(data_store, tokenizer)
        if not JSQUAD.exists():
            print(
                f"skipped JSQuAD: {JSQUAD.parent} not found (shared data sets are not in the repo)"
            )
            rows = data_quality(data)
            if rows:
                header("data/ questions")
                table(["set", "answerable", "first excerpt's article", "answer in first",
                       "unanswerable", "not_found"], rows)  # fmt: skip
            return
        jsq_store = build_jsquad(tokenizer, Path(tmp) / "jsquad.db")
        jsq = open_answerer(jsq_store, tokenizer)
        if args.calibrate:
            calibrate(jsq, data, args.limit)
            return
        for q, _, _ in jsquad()[1][:30]:  # warm-up (first queries load arrays)
            jsq.ask(q, now=NOW)
        rows, run = jsquad_quality(jsq, args.limit)
        header("JSQuAD: does the first excerpt contain the gold answer?")
        table(["set", "questions", "gold in 1st excerpt", "gold in any excerpt", "answered"], rows)
        drows = data_quality(data)
        if drows:
            header("data/ questions (bench/questions_data.jsonl)")
            table(["set", "answerable", "first excerpt's article", "answer in first",
                   "unanswerable", "not_found"], drows)  # fmt: skip
        lat = [latency_row("JSQuAD DB", jsq_store.meta_int("n_docs"), run)]
        if args.big:
            lat.append(big_latency(args.big, tokenizer, args.limit))
        header("`kiji ask` latency in process (question → composed Answer, k=3)")
        table(["corpus", "passages", "questions", "p50 ms", "p95 ms", "p99 ms"], lat)
        jsq_store.close()
        data_store.close()


if __name__ == "__main__":
    main()
