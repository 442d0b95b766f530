"""``kiji migrate FROM TO``: copy an index between backends (a SQLite file ⇄ PostgreSQL), then
verify the copy: ``kiji check`` on it, and the same top hits as the source for a sample of
queries (titles of sampled articles, searched on both)."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from pathlib import Path

from index.analysis.tokenizer import JapaneseTokenizer
from index.config import redacted
from index.errors import DatabaseError, InvalidQuery
from index.ops.ops import CheckReport, check
from index.search.search import Searcher
from index.store.store import IndexStore
from index.store.transfer import TargetNotEmpty, copy_index

SAMPLE_QUERIES = 50
TOP_K = 5


@dataclass
class MigrateReport:
    rows: dict[str, int]
    check: CheckReport
    queries: int = 0
    mismatched: list[str] = field(default_factory=list)  # queries whose top hits differ
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.check.ok and not self.mismatched


def sample_queries(store: IndexStore, n: int, seed: int = 0) -> list[str]:
    """Titles of ``n`` articles picked at random (the same ones every time)."""
    latest = store.latest_articles(limit=max(n * 20, 200))
    picked = random.Random(seed).sample(latest, min(n, len(latest)))
    return [a.title for a in picked]


def top_hits(searcher: Searcher, query: str) -> list[tuple[int, str, float]]:
    try:
        result = searcher.search(query, TOP_K)
    except InvalidQuery:
        return []
    return [(h.passage_id, h.article_id, round(h.score, 6)) for h in result.hits]


def migrate(
    source: Path | str,
    target: Path | str,
    tokenizer: JapaneseTokenizer,
    *,
    queries: int = SAMPLE_QUERIES,
    sample: int = 200,
) -> MigrateReport:
    """Copy ``source`` into the new or empty index ``target`` and verify it.

    Raises DatabaseError when the source cannot be opened or the target already has articles.
    """
    t0 = time.perf_counter()
    with IndexStore.open(source, create=False) as src:
        with IndexStore.open(target) as dst:
            try:
                rows = copy_index(src, dst)
                dst.analyze()  # statistics of the copied tables (PostgreSQL)
            except TargetNotEmpty:
                raise DatabaseError.keyed(
                    "migrate_target_not_empty", target=redacted(target)
                ) from None
        report = MigrateReport(rows, check(target, tokenizer, sample=sample))
        asked = sample_queries(src, queries)
        with IndexStore.open(target, create=False) as dst:
            a, b = Searcher(src, tokenizer), Searcher(dst, tokenizer)
            for query in asked:
                if top_hits(a, query) != top_hits(b, query):
                    report.mismatched.append(query)
        report.queries = len(asked)
    report.seconds = time.perf_counter() - t0
    return report
