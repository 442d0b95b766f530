"""Retrieval quality on JSQuAD valid: kiji vs rank_bm25.BM25Okapi vs bm25s over identical Sudachi tokens.

Every paragraph is a document (title + text, one passage); a question's own paragraph is the one
relevant document. Prints Recall@1/5/10, MRR@10 and nDCG@10 of kiji's plain word BM25 and of
its lexical fusion (index/ranking/fusion.py: + character bigrams + word pairs) over the same index.

    python bench/quality.py [--k1 0.9 --b 0.5] [--weights 1,0.7,0.2] [--candidates 100] [--df-cap 0.2]
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common

from index.analysis.tokenizer import JapaneseTokenizer
from index.models import Article, Section
from index.ranking.bm25 import BM25Params
from index.ranking.fusion import FusionParams
from index.search.search import Searcher
from index.store.store import IndexStore
from index.store.writer import passage_terms


def metrics(ranks: list[int | None]) -> dict[str, float]:
    n = len(ranks)
    r = [x for x in ranks]
    return {
        "R@1": sum(1 for x in r if x is not None and x < 1) / n,
        "R@5": sum(1 for x in r if x is not None and x < 5) / n,
        "R@10": sum(1 for x in r if x is not None and x < 10) / n,
        "MRR@10": sum(1 / (x + 1) for x in r if x is not None and x < 10) / n,
        "nDCG@10": sum(1 / math.log2(x + 2) for x in r if x is not None and x < 10) / n,
    }


def rank_of(ranked: list[int], gold: int) -> int | None:
    try:
        return ranked.index(gold)
    except ValueError:
        return None


def build_kiji(paragraphs, tokenizer, path: Path) -> IndexStore:
    store = IndexStore.open(path)
    articles = [
        Article(id=f"p{i}", title=t, sections=(Section(None, (x,)),))
        for i, (t, x) in enumerate(paragraphs)
    ]
    store.add_articles(articles, tokenizer, batch_size=2000)
    return store


def run(
    k1: float, b: float, baselines: bool = True, fusion: FusionParams | None = None
) -> list[list[object]]:
    fusion = fusion or FusionParams()
    common.require_shared()
    paragraphs, questions = common.jsquad()
    tok = JapaneseTokenizer()
    rows: list[list[object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        store = build_kiji(paragraphs, tok, Path(tmp) / "jsquad.db")
        searcher = Searcher(store, tok, BM25Params(k1=k1, b=b), fusion_params=fusion)
        ids = {f"p{i}": i for i in range(len(paragraphs))}
        qterms = [tok.query_terms(q) for q, _, _ in questions]
        for fused in (False, True):
            ranks = []
            for terms, (q, gold, _) in zip(qterms, questions, strict=True):
                text = q if fused else None
                hits = searcher.hits(searcher.score_terms(terms, 10, text=text))
                ranks.append(rank_of([ids[h.article_id] for h in hits], gold))
            m = metrics(ranks)
            name = f"kiji fused {fusion.weights}" if fused else "kiji plain BM25"
            rows.append([f"{name} (k1 {k1}, b {b})", *m.values()])
        store.close()
    if baselines:
        docs = []
        for title, text in paragraphs:
            counts = passage_terms(tok, Counter(tok.terms(title)), None, text)
            docs.append([t for t, c in counts.items() for _ in range(c)])
        from rank_bm25 import BM25Okapi

        for k1_, b_ in ((1.5, 0.75), (k1, b)):
            ref = BM25Okapi(docs, k1=k1_, b=b_)
            ranks = []
            for terms, (_, gold, _) in zip(qterms, questions, strict=True):
                scores = ref.get_scores(terms)
                top = np.argsort(-scores, kind="stable")[:10].tolist()
                ranks.append(rank_of(top, gold))
            rows.append([f"rank_bm25 BM25Okapi (k1 {k1_}, b {b_})", *metrics(ranks).values()])
        import bm25s

        retriever = bm25s.BM25(k1=1.5, b=0.75)
        retriever.index(docs, show_progress=False)
        vocab = retriever.vocab_dict
        ranks = []
        for terms, (_, gold, _) in zip(qterms, questions, strict=True):
            q = [t for t in terms if t in vocab and t != ""]
            if not q:  # bm25s raises on a query with no indexed term: count it as a miss
                ranks.append(None)
                continue
            res, _ = retriever.retrieve([q], k=10, show_progress=False, n_threads=1)
            ranks.append(rank_of(res[0].tolist(), gold))
        rows.append(["bm25s (k1 1.5, b 0.75)", *metrics(ranks).values()])
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--k1", type=float, default=BM25Params().k1)
    ap.add_argument("--b", type=float, default=BM25Params().b)
    ap.add_argument("--sweep", action="store_true", help="try a grid of k1/b for kiji only")
    ap.add_argument(
        "--weights", default=None, help="fusion weights word,bigram,pair (default: the built-in)"
    )
    ap.add_argument("--candidates", type=int, default=FusionParams().candidates)
    ap.add_argument(
        "--df-cap",
        type=float,
        default=FusionParams().df_cap,
        help="skip signal terms in more than this share of the passages",
    )
    args = ap.parse_args()
    fusion = FusionParams(candidates=args.candidates, df_cap=args.df_cap)
    if args.weights:
        w = tuple(float(x) for x in args.weights.split(","))
        fusion = FusionParams(
            weights=(w[0], w[1], w[2]), candidates=args.candidates, df_cap=args.df_cap
        )
    common.header("Retrieval quality, JSQuAD valid v1.3 (1,145 paragraphs, 4,442 questions)")
    if args.sweep:
        rows = []
        for k1 in (0.3, 0.5, 0.7, 0.9, 1.2):
            for b in (0.3, 0.5, 0.75):
                rows += run(k1, b, baselines=False, fusion=fusion)
        common.table(["system", "R@1", "R@5", "R@10", "MRR@10", "nDCG@10"], rows)
        return
    common.table(
        ["system", "R@1", "R@5", "R@10", "MRR@10", "nDCG@10"],
        run(args.k1, args.b, fusion=fusion),
    )


if __name__ == "__main__":
    main()
