"""Fit the excerpt scorer's weights (index/ranking/excerpt_score.py) on question sets.

Every question is asked through the real pipeline; at the moment the answer picks its excerpts,
every sentence of every passage it could quote becomes a candidate with the signals the scorer
weighs (passage and article relevance, coverage, neighbour, answer fit, slot, focus). A softmax
over each question's candidates, with the candidates that hold the answer as the target
(``kiji eval``'s rule: the gold article and an expected string), is fitted by gradient ascent,
L2-regularised toward the current weights; a coordinate search maximises the figure itself. The
table compares the current weights with both on each set by the share of questions whose best-scored candidate holds the answer
(what "answer in excerpt 1" measures, before the picker's per-article rule), on the sets it
was fitted on and on a held-out JSQuAD sample it never saw.

    python bench/fit_excerpts.py [--work DIR] [--jsquad-train 1200] [--jsquad-test 600] [--casual-test FILE]

Sets: livedoor-dev over the livedoor corpus (weight 2), a JSQuAD sample, the data/ questions
(``bench/questions_data.jsonl``, weight 2). It prints measured figures and the fitted constants;
it changes nothing. Skips cleanly when ../shared is absent.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import LIVEDOOR, SHARED, header, jsquad, require_shared, table
from index.analysis.tokenizer import JapaneseTokenizer
from index.answer.answer import Answerer
from index.answer.evaluate import EvalQuestion, holds_answer
from index.answer.excerpt_text import boilerplate_keys
from index.config import SAMPLE_ARTICLES
from index.models import Article, Excerpt, Hit
from index.ranking import excerpt_score as S
from index.ranking.evidence import Query
from index.search.search import Searcher
from index.store.store import IndexStore

REPO = Path(__file__).resolve().parents[1]
NOW = datetime.fromisoformat("2026-11-28T12:00:00+09:00")
NAMES = [
    "W_PASSAGE",
    "W_ARTICLE",
    "W_COVERAGE",
    "W_CONTEXT",
    "W_OVERLAP",
    "W_COPY",
    "W_FIT",
    "W_SLOT",
    "W_CLAUSE",
    "W_FOCUS",
]


@dataclass
class Case:
    """One question: the feature rows of its candidates, which hold the answer, the stubs."""

    set: str
    x: np.ndarray  # candidates × features
    stub: np.ndarray  # bool per candidate
    pos: np.ndarray  # bool per candidate


def current() -> np.ndarray:
    return np.array([getattr(S, n) for n in NAMES])


def features(answerer: Answerer, q: EvalQuestion, now: datetime) -> Case | None:
    """Ask ``q`` and read every candidate sentence the answer could have quoted."""
    picker = answerer.excerpts
    seen: list[tuple[list[Hit], Query]] = []
    real_pick = picker.pick

    def spy(hits: list[Hit], top_sents, query: Query, k: int):
        seen.append((hits, query))
        return real_pick(hits, top_sents, query, k)

    picker.pick = spy  # type: ignore[method-assign]
    try:
        answerer.ask(q.q, now=now, k=3)
    finally:
        picker.pick = real_pick  # type: ignore[method-assign]
    if not seen:
        return None  # not found before excerpts are picked
    hits, query = seen[-1]
    best = max(h.relevance for h in hits) or 1.0
    art: dict[str, float] = {}
    for h in hits:
        art[h.article_id] = max(art.get(h.article_id, 0.0), h.relevance / best)
    boiler = boilerplate_keys(hits)
    rows, stubs, pos = [], [], []
    for h in hits:
        if not h.text.strip() or (h.is_stub and not h.url):
            continue
        sents = picker.sentences(h, query)[0]
        r = picker.read(h, sents, query, best, boiler)
        for i in range(len(sents)):
            fit = r.fits[i].weight
            gate = min(1.0, S.FIT_GATE * max(r.coverage[i], r.context[i], r.rel))
            bf = S.BOILERPLATE_FACTOR if r.boiler[i] else 1.0
            rows.append(
                [
                    r.rel,
                    art[h.article_id],
                    bf * r.own[i],
                    bf * r.context[i],
                    bf * r.overlap[i],
                    bf * max(0.0, r.overlap[i] - S.COPY_FROM),
                    bf * fit * gate,
                    bf * r.fits[i].slotted,
                    bf * r.clause[i],
                    bf * (max(fit, S.FOCUS_ALONE) if r.focus[i] else 0.0),
                ]
            )
            lo, hi, wfit = picker.window(h.text, sents, i, query, r.same_paragraph, [], r.fits)
            text = picker.cut(h, sents, lo, hi, wfit, query, 0.0).text
            ex = Excerpt(0, text, (), h.article_id, h.title, h.url, None, None, 0.0)
            pos.append(holds_answer(ex, q))
            stubs.append(h.is_stub)
    if not rows or not any(pos):
        return None  # no candidate holds the answer: nothing to learn from
    return Case("", np.array(rows), np.array(stubs), np.array(pos))


def scores(w: np.ndarray, c: Case) -> np.ndarray:
    s = c.x @ w
    return np.where(c.stub, s * S.STUB_FACTOR, s)


def top1(w: np.ndarray, cases: list[Case]) -> float:
    return float(np.mean([c.pos[np.argmax(scores(w, c))] for c in cases])) if cases else np.nan


def fit(
    cases: list[Case], weights: list[float], w0: np.ndarray, lam: float, temp: float
) -> np.ndarray:
    """Gradient ascent on Σ weight · log P(a candidate holding the answer), − λ‖w − w0‖²."""
    w = w0.copy()
    lr = 0.05
    for _ in range(600):
        grad = -2 * lam * (w - w0)
        for c, cw in zip(cases, weights, strict=True):
            xs = np.where(c.stub[:, None], c.x * S.STUB_FACTOR, c.x) / temp
            s = xs @ w
            p = np.exp(s - s.max())
            p_all = p / p.sum()
            p_pos = np.where(c.pos, p, 0.0)
            p_pos /= p_pos.sum()
            grad += cw * (p_pos @ xs - p_all @ xs)
        w = np.maximum(w + lr * grad / sum(weights), 0.0)
    return w


def search(cases: list[Case], weights: list[float], w0: np.ndarray) -> np.ndarray:
    """Coordinate search on the weighted share of questions whose best candidate holds the
    answer (the figure itself, which the softmax only approximates): each weight in turn moves
    by ±0.05, 0.1, 0.2 while that improves it."""

    def objective(w: np.ndarray) -> float:
        return sum(
            cw * bool(c.pos[np.argmax(scores(w, c))]) for c, cw in zip(cases, weights, strict=True)
        )

    w, best = w0.copy(), objective(w0)
    for _ in range(6):
        improved = False
        for j in range(len(w)):
            for d in (0.05, 0.1, 0.2, -0.05, -0.1, -0.2):
                trial = w.copy()
                trial[j] = max(0.0, trial[j] + d)
                got = objective(trial)
                if got > best + 1e-9:
                    w, best, improved = trial, got, True
        if not improved:
            break
    return w


def ensure_db(path: Path, build) -> Path:
    if not path.exists():
        print(f"building {path} …", file=sys.stderr)
        build(path)
    return path


def kiji_ingest(source: Path):
    """A builder that runs `kiji ingest SOURCE --db PATH`."""

    def build(path: Path) -> None:
        subprocess.run(
            [sys.executable, "-m", "index.cli", "ingest", str(source), "--db", str(path)],
            check=True,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
        )

    return build


def build_jsquad(path: Path) -> None:
    paragraphs, _ = jsquad()
    store = IndexStore.open(path)
    store.add_articles(
        [Article.from_text(f"jsquad-{i}", t, x) for i, (t, x) in enumerate(paragraphs)],
        JapaneseTokenizer(),
    )
    store.close()


def jsquad_split(n_train: int, n_test: int) -> tuple[list[EvalQuestion], list[EvalQuestion]]:
    _, questions = jsquad()
    order = np.random.default_rng(11).permutation(len(questions))
    qs = [
        EvalQuestion(q=q, kind="fact", gold=f"jsquad-{p}", expect_any=tuple(a))
        for q, p, a in (questions[i] for i in order)
    ]
    return qs[:n_train], qs[n_train : n_train + n_test]


def livedoor_questions(
    path: Path = SHARED / "eval" / "livedoor-dev" / "questions.jsonl",
) -> list[EvalQuestion]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        o = json.loads(line)
        if o.get("kind") != "unanswerable":
            out.append(
                EvalQuestion(
                    q=o["q"], kind=o["kind"], gold=o["gold"], expect_any=tuple(o["expect_any"])
                )
            )
    return out


def data_questions() -> list[tuple[EvalQuestion, datetime]]:
    out = []
    for line in (REPO / "bench" / "questions_data.jsonl").read_text(encoding="utf-8").splitlines():
        o = json.loads(line)
        if o.get("expected"):
            q = EvalQuestion(
                q=o["question"],
                kind="fact",
                gold=o["expected"],
                expect_any=(o["answer"],) if o.get("answer") else (),
            )
            out.append((q, datetime.fromisoformat(o["now"]) if o.get("now") else NOW))
    return out


def collect(db: Path, questions: list[tuple[EvalQuestion, datetime]], name: str) -> list[Case]:
    tok = JapaneseTokenizer()
    store = IndexStore.open(db, create=False)
    answerer = Answerer(store, Searcher(store, tok), tok)
    out = []
    for q, now in questions:
        c = features(answerer, q, now)
        if c is not None:
            out.append(replace(c, set=name))
    store.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", type=Path, default=Path("/tmp/kiji-fit"))
    ap.add_argument("--jsquad-train", type=int, default=1200)
    ap.add_argument("--jsquad-test", type=int, default=600)
    ap.add_argument("--lam", type=float, default=0.5, help="L2 toward the current weights")
    ap.add_argument("--temp", type=float, default=0.1, help="softmax temperature")
    ap.add_argument(
        "--casual-test",
        type=Path,
        action="append",
        default=[],
        help="another question file over the livedoor corpus (livedoor-dev's format), measured "
        "and never fitted on (repeatable)",
    )
    args = ap.parse_args()
    require_shared()
    args.work.mkdir(parents=True, exist_ok=True)
    ld = ensure_db(args.work / "livedoor.db", kiji_ingest(LIVEDOOR))
    jq = ensure_db(args.work / "jsquad.db", build_jsquad)
    dd = ensure_db(args.work / "data.db", kiji_ingest(SAMPLE_ARTICLES))
    train_q, test_q = jsquad_split(args.jsquad_train, args.jsquad_test)
    sets = {
        "livedoor-dev": collect(ld, [(q, NOW) for q in livedoor_questions()], "livedoor-dev"),
        "JSQuAD train": collect(jq, [(q, NOW) for q in train_q], "JSQuAD train"),
        "data/": collect(dd, data_questions(), "data/"),
    }
    held = {"JSQuAD held-out": collect(jq, [(q, NOW) for q in test_q], "JSQuAD held-out")}
    for path in args.casual_test:
        held[path.name] = collect(ld, [(q, NOW) for q in livedoor_questions(path)], path.name)
    set_weight = {"livedoor-dev": 2.0, "JSQuAD train": 1.0, "data/": 2.0}
    cases = [c for cs in sets.values() for c in cs]
    weights = [set_weight[c.set] for c in cases]
    w0 = current()
    w1 = fit(cases, weights, w0, args.lam, args.temp)
    w2 = search(cases, weights, w0)
    header("Excerpt scorer: current vs fitted weights (best candidate holds the answer)")
    print(
        f"λ = {args.lam}, temperature = {args.temp}; questions with a candidate holding the answer.\n"
    )
    every = {**sets, **held}
    rows = [[name, len(cs), top1(w0, cs), top1(w1, cs), top1(w2, cs)] for name, cs in every.items()]
    table(["set", "questions", "current", "softmax fit", "top-1 search"], rows)
    print()
    table(
        ["constant", "current", "softmax fit", "top-1 search"],
        [[n, float(a), float(b), float(c)] for n, a, b, c in zip(NAMES, w0, w1, w2, strict=True)],
    )


if __name__ == "__main__":
    main()
