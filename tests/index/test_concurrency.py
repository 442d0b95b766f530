"""Concurrency guarantees at small scale: reader threads keep searching while another process
writes to the same file; searchers never serve stale postings after a merge or a delete."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from index.analysis.tokenizer import JapaneseTokenizer
from index.models import Article
from index.search import search as search_module
from index.search.search import Searcher
from index.store.store import IndexStore
from index.store.writer import merge_segments

TOPICS = ["金利", "台風", "半導体", "選挙", "野球", "円安", "美術館", "米価"]


def write_jsonl(path: Path, n: int, start: int = 0) -> list[str]:
    """``n`` articles, each findable by its title: topic + 記事 + its own number."""
    ids = []
    with path.open("w", encoding="utf-8") as f:
        for i in range(start, start + n):
            t = TOPICS[i % len(TOPICS)]
            ids.append(f"c{i}")
            record = {
                "id": f"c{i}",
                "title": f"{t}の記事{i}",
                "body": f"{t}に関するニュース{i}番です。{t}の動向を詳しく解説します。" * 8,
                "published_at": "2026-11-20T09:00:00+09:00",
                "url": f"https://kiji.example/c{i}",
            }
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
    return ids


def kiji(*args: str) -> list[str]:
    return [sys.executable, "-m", "index.cli", *args]


def test_readers_stay_consistent_while_another_process_ingests(
    tmp_path: Path, tokenizer: JapaneseTokenizer, news_articles: list[Article]
) -> None:
    db = tmp_path / "live.db"
    with IndexStore.open(db) as s:
        s.add_articles(news_articles, tokenizer)
    src = tmp_path / "more.jsonl"
    ids = write_jsonl(src, 1200)
    writer = subprocess.Popen(
        kiji("ingest", "--db", str(db), "--batch-size", "40", "--workers", "1", "--json", str(src)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    errors: list[BaseException] = []
    seen_n_docs: list[list[int]] = []
    searches = [0]
    lock = threading.Lock()

    def reader(seed: int) -> None:
        rng = np.random.default_rng(seed)
        observed: list[int] = []
        store = IndexStore.open(db, create=False)  # one store (connection) per thread
        try:
            searcher = Searcher(store, tokenizer)
            while True:
                done = writer.poll() is not None  # one more round after the writer exits
                topic = TOPICS[int(rng.integers(len(TOPICS)))]
                n = int(rng.integers(1200))
                result = searcher.search(f"{topic}の記事{n}について", k=5)
                observed.append(searcher.n_docs)
                for hit in result.hits:  # nothing is deleted here: every hit must resolve
                    article = store.get_article(hit.article_id)
                    assert article is not None, hit.article_id
                    assert hit.text == article.body[hit.start : hit.end]
                with store.snapshot() as conn:  # a batch is visible entirely or not at all
                    (meta_n,) = conn.execute(
                        "SELECT value FROM meta WHERE key = 'n_docs'"
                    ).fetchone()
                    (rows,) = conn.execute("SELECT count(*) FROM passages").fetchone()
                    assert int(meta_n) == rows
                with lock:
                    searches[0] += 1
                if done:
                    break
        except BaseException as e:
            errors.append(e)
        finally:
            store.close()
            seen_n_docs.append(observed)

    threads = [threading.Thread(target=reader, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    out, err = writer.communicate(timeout=300)
    for t in threads:
        t.join(timeout=120)
    assert writer.returncode == 0, err
    if errors:
        raise errors[0]
    summary = json.loads(out)
    assert summary["added"] == 1200

    for observed in seen_n_docs:
        assert observed == sorted(observed), "a reader saw the passage count go backwards"
    assert len({n for observed in seen_n_docs for n in observed}) >= 2, "readers saw no progress"

    with IndexStore.open(db, create=False) as store:
        assert store.stats()["articles"] == len(news_articles) + 1200
        searcher = Searcher(store, tokenizer)
        missing = []
        for i, article_id in enumerate(ids):
            hits = searcher.search(f"{TOPICS[i % len(TOPICS)]}の記事{i}", k=3).hits
            if article_id not in {h.article_id for h in hits}:
                missing.append(article_id)
        assert not missing


def _same(a: Searcher, b: Searcher, query: str) -> list[str]:
    """The two searchers rank identically; returns the article ids."""
    ra, rb = a.search(query, k=50), b.search(query, k=50)
    assert [(h.passage_id, h.score) for h in ra.hits] == [
        (h.passage_id, pytest.approx(h.score)) for h in rb.hits
    ]
    return [h.article_id for h in ra.hits]


@pytest.mark.parametrize("writer_kind", ["same_connection", "other_process"])
def test_caches_are_invalidated_after_merges_and_deletes(
    tmp_path: Path,
    tokenizer: JapaneseTokenizer,
    monkeypatch: pytest.MonkeyPatch,
    writer_kind: str,
) -> None:
    # Cache every main-segment posting list (the threshold is tuned for 300k passages).
    monkeypatch.setattr(search_module, "CACHE_MIN_DF", 1)
    db = tmp_path / "cache.db"
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    write_jsonl(first, 40)
    write_jsonl(second, 40, start=40)
    store = IndexStore.open(db)
    ingest = ["ingest", "--db", str(db), "--workers", "0", "--batch-size", "10"]
    subprocess.run(kiji(*ingest, str(first)), check=True, capture_output=True)
    merge_segments(store)  # everything in segment 0: cacheable

    served = Searcher(store, tokenizer) if writer_kind == "same_connection" else None
    reader_store = IndexStore.open(db, create=False)
    reader = served or Searcher(reader_store, tokenizer)
    before = reader.search("金利", k=50).hits
    assert len(before) == 5 and reader._cache.items, "the postings were not cached"

    def run(*args: str) -> None:
        if writer_kind == "same_connection":
            if args[0] == "optimize":
                merge_segments(store, full="--full" in args)
            elif args[0] == "delete":
                assert store.delete_article(args[-1], tokenizer)
            else:
                subprocess.run(kiji(*args), check=True, capture_output=True)
        else:
            subprocess.run(kiji(*args, "--db", str(db)), check=True, capture_output=True)

    # New articles in a new segment, then merged into segment 0: the cached copy is stale.
    subprocess.run(kiji(*ingest, str(second)), check=True, capture_output=True)
    run("optimize")
    assert store.stats()["segments"] == 1
    fresh_store = IndexStore.open(db, create=False)
    try:
        ids = _same(reader, Searcher(fresh_store, tokenizer), "金利")
        assert len(ids) == 10 and "c40" in ids

        run("delete", "c40")
        ids = _same(reader, Searcher(fresh_store, tokenizer), "金利")
        assert "c40" not in ids and len(ids) == 9

        run("optimize", "--full")  # purges the deleted passages from the postings
        assert store.stats()["tombstones"] == 0
        ids = _same(reader, Searcher(fresh_store, tokenizer), "金利")
        assert "c40" not in ids and len(ids) == 9
        assert reader.search("金利の記事40", k=1).hits[0].article_id != "c40"
    finally:
        fresh_store.close()
        reader_store.close()
        store.close()


def test_opening_another_store_keeps_this_process_locks(
    tmp_path: Path, tokenizer: JapaneseTokenizer, news_articles: list[Article]
) -> None:
    """Opening a second store in a process that is reading must not drop the process's POSIX
    locks on the file: the writer process would then take itself for the last connection and
    checkpoint and delete the WAL under the reader (sqlite.org/howtocorrupt.html §2.2)."""
    db = tmp_path / "locks.db"
    with IndexStore.open(db) as s:
        s.add_articles(news_articles[:2], tokenizer)
    src = tmp_path / "more.jsonl"
    write_jsonl(src, 30)
    reader = IndexStore.open(db, create=False)
    try:
        with reader.snapshot() as conn:
            before = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
            IndexStore.open(db, create=False).close()  # e.g. a health check or a backup
            IndexStore.open(db, readonly=True).close()
            subprocess.run(
                kiji("ingest", "--db", str(db), "--workers", "0", str(src)),
                check=True,
                capture_output=True,
            )
            # The writer closed while we still read: it must have left the WAL alone.
            assert Path(f"{db}-wal").exists()
            assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == before
        assert reader.stats()["articles"] == before + 30
        assert reader.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        reader.close()


def test_backup_finishes_while_another_process_ingests(
    tmp_path: Path, tokenizer: JapaneseTokenizer, news_articles: list[Article]
) -> None:
    """A paced online backup reads one snapshot, so a steady writer cannot make it restart."""
    from index.ops.ops import backup, check

    db = tmp_path / "live.db"
    with IndexStore.open(db) as s:
        s.add_articles(news_articles, tokenizer)
    src = tmp_path / "more.jsonl"
    write_jsonl(src, 2000)
    writer = subprocess.Popen(
        kiji("ingest", "--db", str(db), "--batch-size", "20", "--workers", "0", str(src)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        copies = []
        while writer.poll() is None or not copies:
            with IndexStore.open(db, create=False) as s:
                before = s.stats()["articles"]
            dest = backup(db, tmp_path / f"copy{len(copies)}.db", pages_per_step=1, pause=0.0005)
            copies.append((before, dest, writer.poll() is None))
    finally:
        _, err = writer.communicate(timeout=300)
    assert writer.returncode == 0, err
    assert any(during for _, _, during in copies), "no backup finished while the writer ran"
    for before, dest, _ in copies:
        assert check(dest, tokenizer).ok
        with IndexStore.open(dest, create=False) as s:
            assert before <= s.stats()["articles"] <= len(news_articles) + 2000
