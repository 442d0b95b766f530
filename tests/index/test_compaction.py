"""Compaction after writes (index.store.segments.settle): the index a user queries stays near its
merged shape without `kiji optimize`, queries meanwhile give the same results, and a crash in the
middle loses nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from index.analysis.tokenizer import JapaneseTokenizer
from index.cli.main import main
from index.ingest.ingest import iter_articles
from index.models import Article, IngestReport
from index.search.search import Searcher
from index.store import segments
from index.store.segments import FOLDED_BASE, MAX_FOLDED, SETTLE_SMALL, plan, settle
from index.store.store import IndexStore
from index.store.writer import BatchWriter, prepare

from ..conftest import make_article

REPO = Path(__file__).resolve().parents[2]
QUERIES = ("円安 金利", "台風の被害", "半導体工場", "博物館の展示", "為替の話題3")


def _articles() -> list[Article]:
    found = list(iter_articles([REPO / "data" / "articles"]))
    articles = [a for a in found if isinstance(a, Article)]
    return [*articles, *(_item(f"x{i}", f"金利と為替の話題{i}", i) for i in range(12))]


def _item(article_id: str, title: str, i: int) -> Article:
    text = f"円安が{i}日続き、金利の先高観が強まりました。台風{i}号も接近しています。"
    return make_article(article_id, title, [text], day=1 + i % 27)


def _as_ingested(db: Path, tokenizer: JapaneseTokenizer, per_batch: int = 3) -> None:
    """Write the articles in small batches and leave every segment as it was written."""
    store = IndexStore.open(db)
    writer = BatchWriter(store, tokenizer)
    articles = _articles()
    for i in range(0, len(articles), per_batch):
        writer.write([prepare(a, tokenizer) for a in articles[i : i + per_batch]], IngestReport())
    store.close()


def _opened_as_ingested(
    tmp_path: Path, tokenizer: JapaneseTokenizer
) -> tuple[Path, IndexStore, list[list[tuple[str, float]]]]:
    db = tmp_path / "index.db"
    _as_ingested(db, tokenizer)
    store = IndexStore.open(db)
    return db, store, _rankings(Searcher(store, tokenizer))


def _rankings(searcher: Searcher) -> list[list[tuple[str, float]]]:
    out = []
    for q in QUERIES:
        hits = searcher.search(q, 10).hits
        out.append([(h.article_id, round(h.score, 9)) for h in hits])
    return out


def _segments(store: IndexStore) -> list[int]:
    return [r[0] for r in store.conn.execute("SELECT DISTINCT seg FROM postings ORDER BY seg")]


def test_settle_merges_in_steps_while_queries_keep_their_results(
    tmp_path: Path, tokenizer: JapaneseTokenizer
) -> None:
    db, store, before = _opened_as_ingested(tmp_path, tokenizer)
    reader = IndexStore.open(db)  # another connection, as a serving thread has
    searcher = Searcher(reader, tokenizer)
    assert len(_segments(store)) > 5  # main (the first batch) and a small segment per batch
    seen: list[list[list[tuple[str, float]]]] = []
    steps = settle(store, chunk_bytes=4000, on_step=lambda: seen.append(_rankings(searcher)))
    assert steps == ["main"]  # the small segments outweigh main: everything goes there
    assert len(seen) > 3  # several transactions, and the queries between them
    assert all(r == before for r in seen)
    assert _segments(store) == [0]
    assert _rankings(searcher) == before
    assert plan(store) is None
    reader.close()
    store.close()
    assert main(["check", "--db", str(db)]) == 0


def test_the_first_writes_of_an_index_go_straight_into_main(
    tmp_path: Path, tokenizer: JapaneseTokenizer
) -> None:
    """Nothing to merge it with: the first batch is written as the main segment (settle() would
    otherwise rewrite all of it), and so is each next one while no other segment exists and it
    holds a quarter of main's bytes or more (settle() would merge it into main at once): its
    postings are appended to main's rows. Main's byte count stays exact; smaller writes, and
    writes after them, are small segments."""
    store = IndexStore.open(tmp_path / "index.db")
    writer = BatchWriter(store, tokenizer)
    articles = _articles()
    main_bytes = "SELECT sum(length(ids)) FROM postings WHERE seg = 0"
    writer.write([prepare(a, tokenizer) for a in articles[:4]], IngestReport())
    assert _segments(store) == [0]
    assert segments.segment_levels(store) == (0, 0)
    assert store.meta_int("main_bytes") == store.conn.execute(main_bytes).fetchone()[0]
    writer.write([prepare(a, tokenizer) for a in articles[4:8]], IngestReport())  # as large
    assert _segments(store) == [0]
    assert store.meta_int("main_bytes") == store.conn.execute(main_bytes).fetchone()[0]
    writer.write([prepare(articles[8], tokenizer)], IngestReport())  # an eighth of main
    assert _segments(store) == [0, 1]
    writer.write([prepare(a, tokenizer) for a in articles[9:]], IngestReport())
    assert _segments(store) == [0, 1, 2]  # large, but a small segment exists already
    assert segments.segment_levels(store) == (2, 0)
    before = _rankings(Searcher(store, tokenizer))
    assert settle(store) == ["main"]
    assert _segments(store) == [0]
    assert store.meta_int("main_bytes") == store.conn.execute(main_bytes).fetchone()[0]
    assert _rankings(Searcher(store, tokenizer)) == before
    fresh = IndexStore.open(tmp_path / "one-by-one.db")
    one = BatchWriter(fresh, tokenizer)
    for a in articles:
        one.write([prepare(a, tokenizer)], IngestReport())
    settle(fresh)
    assert _rankings(Searcher(fresh, tokenizer)) == before
    store.close()
    fresh.close()
    assert main(["check", "--db", str(tmp_path / "index.db")]) == 0
    assert main(["check", "--db", str(tmp_path / "one-by-one.db")]) == 0


def test_feed_sized_writes_stay_near_the_merged_shape(
    tmp_path: Path, tokenizer: JapaneseTokenizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each add settles: small segments are folded, folded ones gathered, and main takes them
    all once they hold a share of it; a query never reads more than a few segments."""
    # This corpus is tiny: one article is 2 % of it. Let the others reach a quarter of main.
    monkeypatch.setattr(segments, "MAIN_SHARE", 0.25)
    db = tmp_path / "index.db"
    store = IndexStore.open(db)
    store.add_articles(_articles(), tokenizer)
    assert _segments(store) == [0]
    most = 0
    kinds = set()
    for i in range(40):
        store.add_articles(
            [_item(f"feed{i}", f"速報{i}", i)], tokenizer
        )  # a feed poll's write, then settle()
        segs = _segments(store)
        most = max(most, len(segs))
        kinds.update("main" if s == 0 else "folded" if s >= FOLDED_BASE else "small" for s in segs)
    assert most <= MAX_FOLDED + SETTLE_SMALL - 1  # main, < MAX_FOLDED folded, < SETTLE_SMALL small
    assert kinds == {"main", "folded", "small"}
    fresh = IndexStore.open(tmp_path / "fresh.db")
    fresh.add_articles(
        [*_articles(), *(_item(f"feed{i}", f"速報{i}", i) for i in range(40))], tokenizer
    )
    assert _rankings(Searcher(store, tokenizer)) == _rankings(Searcher(fresh, tokenizer))
    assert store.delete_article("feed3", tokenizer)  # a delete settles too
    assert plan(store) is None
    store.close()
    fresh.close()


KILLED_MID_SETTLE = """
import sys
from index.store.segments import settle
from index.store.store import IndexStore

store = IndexStore.open(sys.argv[1])

def step():
    print("step", flush=True)
    sys.stdin.readline()  # the test kills this process while it waits here, between two steps

settle(store, chunk_bytes=2000, on_step=step)
print("done", flush=True)
"""


def test_a_crash_in_the_middle_of_settle_loses_nothing(
    tmp_path: Path, tokenizer: JapaneseTokenizer
) -> None:
    db, store, before = _opened_as_ingested(tmp_path, tokenizer)
    outside = "SELECT count(*) FROM postings WHERE seg > 0"  # rows not in main yet
    outside_before = store.conn.execute(outside).fetchone()[0]
    store.close()
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_MID_SETTLE, str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdin is not None and proc.stdout is not None
    for _ in range(3):  # three transactions committed, the merge not finished
        assert proc.stdout.readline() == "step\n"
        if _ != 2:
            proc.stdin.write("\n")
            proc.stdin.flush()
    proc.kill()
    proc.wait()

    assert main(["check", "--db", str(db)]) == 0
    store = IndexStore.open(db)
    assert 0 < store.conn.execute(outside).fetchone()[0] < outside_before  # really mid-way
    assert _rankings(Searcher(store, tokenizer)) == before
    assert settle(store) == ["main"]  # the next write's settle carries on
    assert _segments(store) == [0]
    assert _rankings(Searcher(store, tokenizer)) == before
    store.close()
    assert main(["check", "--db", str(db)]) == 0
