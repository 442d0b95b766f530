"""The batched writer: one transaction of many articles decides exactly as one per article.

The writer looks up the keys a batch touches once and then keeps that view up to date as the
batch inserts, replaces and deletes; these tests put every kind of in-batch collision into one
batch and compare the result with writing the same articles one at a time.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from index.analysis.tokenizer import JapaneseTokenizer
from index.models import Article, ArticleLink, IngestReport, Section
from index.ops import ops
from index.search.search import Searcher
from index.store.existing import new_term_dfs
from index.store.prepare import TITLE
from index.store.store import IndexStore
from index.store.writer import (
    BatchWriter,
    PreparedBatch,
    merge_segments,
    prepare,
    prepare_batch,
)

from ..conftest import make_article


def collisions() -> tuple[list[Article], list[Article]]:
    """(already stored, then written together): every way articles of one batch can meet."""
    stored = [
        make_article("old", "既存の記事", ["既存の記事の本文です。金利の話をします。"]),
        make_article(
            "shared",
            "同じURLの記事",
            ["同じ内容が別のIDで届くことがあります。"],
            url="https://kiji.example/shared",
        ),
    ]
    a = make_article(
        "a",
        "台風10号が九州に上陸",
        ["大型の台風10号が九州南部に上陸しました。"],
        related=(ArticleLink("避難所の開設状況", "各地で避難所が開かれています。"),),
    )
    batch = [
        a,
        # the real article of the stub that `a` created earlier in this batch
        make_article("shelter", "避難所の開設状況", ["市は避難所を30か所開設しました。"]),
        # `a` again with new content and a new title: its old title is free once more
        replace(
            a,
            title="台風10号は温帯低気圧に",
            sections=(Section(None, ("台風10号は温帯低気圧に変わりました。",)),),
            related=(),
        ),
        # links to `a`'s old title: no article holds it any more, so a stub is created
        make_article(
            "later",
            "週末の天気",
            ["週末は晴れる見込みです。"],
            related=(ArticleLink("台風10号が九州に上陸", "九州南部に上陸した台風です。"),),
        ),
        # a stored article unchanged, and one updated
        make_article("old", "既存の記事", ["既存の記事の本文です。金利の話をします。"]),
        make_article("shared", "同じURLの記事", ["内容が変わりました。円安の話です。"]),
        # same content and URL as an article of this batch, under another id: a duplicate
        make_article("dup1", "重複する記事", ["同じ本文です。"], url="https://kiji.example/d"),
        make_article(
            "dup2", "重複する記事", ["同じ本文です。"], url="https://kiji.example/d?utm_source=x"
        ),
        # same id twice in the batch, the second identical: unchanged
        make_article("twice", "二度届く記事", ["一度目の本文です。"]),
        make_article("twice", "二度届く記事", ["一度目の本文です。"]),
    ]
    return stored, batch


def logical_state(store: IndexStore) -> dict:
    """What the index holds, independent of row ids and passage ids."""
    conn = store.conn
    live = {
        pid: (aid, ordinal)
        for pid, aid, ordinal in conn.execute(
            "SELECT p.pid, a.id, p.ordinal FROM passages p JOIN articles a ON a.rowid = p.article_rowid"
        )
    }
    terms = dict(conn.execute("SELECT tid, term FROM terms"))
    postings: dict[tuple[str, int], dict[str, int]] = defaultdict(dict)
    for tid, ids, tfs in conn.execute("SELECT tid, ids, tfs FROM postings"):
        for pid, tf in zip(
            np.frombuffer(ids, "<i4").tolist(), np.frombuffer(tfs, "<u2").tolist(), strict=True
        ):
            if pid in live:
                postings[live[pid]][terms[tid]] = tf
    return {
        "articles": sorted(
            conn.execute(
                "SELECT id, url, title, title_norm, is_stub, body, meta, content_hash FROM articles"
            ).fetchall()
        ),
        "passages": sorted(
            conn.execute(
                "SELECT a.id, p.ordinal, p.heading, p.start, p.end, p.dl FROM passages p "
                "JOIN articles a ON a.rowid = p.article_rowid"
            ).fetchall()
        ),
        "postings": dict(postings),
        "df": dict(conn.execute("SELECT term, df FROM terms WHERE df > 0")),
        "n_docs": store.meta_int("n_docs"),
        "total_len": store.meta_int("total_len"),
    }


def checked(store: IndexStore, tokenizer: JapaneseTokenizer) -> bool:
    """`kiji check` of the store's file: integrity, statistics and sampled postings agree."""
    assert store.path is not None
    return ops.check(store.path, tokenizer).ok


def counts(report: IngestReport) -> tuple[int, int, int, int, int]:
    return report.added, report.updated, report.unchanged, report.passages, report.chars


@pytest.mark.parametrize("shape", ["one batch", "two worker chunks"])
def test_one_batch_decides_like_one_write_per_article(
    tmp_path: Path, tokenizer: JapaneseTokenizer, shape: str
) -> None:
    stored, batch = collisions()
    stores = {}
    reports = {}
    for name in ("one by one", shape):
        store = IndexStore.open(tmp_path / f"{name}.db")
        writer = BatchWriter(store, tokenizer)
        writer.write([prepare(a, tokenizer) for a in stored], IngestReport())
        report = IngestReport()
        if name == "one by one":
            for article in batch:
                writer.write([prepare(article, tokenizer)], report)
        elif name == "one batch":
            writer.write([prepare(a, tokenizer) for a in batch], report)
        else:  # what ingest workers hand over: several columnar chunks in one transaction
            writer.write(
                [prepare_batch(batch[:3], tokenizer), prepare_batch(batch[3:], tokenizer)], report
            )
        stores[name], reports[name] = store, report

    expected, got = stores["one by one"], stores[shape]
    assert counts(reports[shape]) == counts(reports["one by one"])
    assert reports[shape].added == 5 and reports[shape].updated == 2
    assert reports[shape].unchanged == 3  # old, dup2 and the second `twice`
    assert logical_state(got) == logical_state(expected)
    by_title = got.find_by_titles(["避難所の開設状況", "台風10号が九州に上陸"])
    assert by_title["避難所の開設状況"].id == "shelter"  # the stub was replaced
    assert by_title["台風10号が九州に上陸"].is_stub  # the freed title got its stub
    for store in stores.values():
        assert checked(store, tokenizer)
    s1, s2 = Searcher(expected, tokenizer), Searcher(got, tokenizer)
    for q in ("台風", "避難所", "円安", "同じ本文"):
        assert [(h.article_id, round(h.score, 9)) for h in s2.search(q).hits] == [
            (h.article_id, round(h.score, 9)) for h in s1.search(q).hits
        ]


def test_remembered_term_ids_are_dropped_after_a_full_merge(
    store: IndexStore, tokenizer: JapaneseTokenizer
) -> None:
    """A full merge deletes terms no passage uses; a writer must not reuse their old ids."""
    writer = BatchWriter(store, tokenizer)
    gone = make_article("gone", "珍しい単語", ["鵺という妖怪の話です。"])
    writer.write([prepare(gone, tokenizer)], IngestReport())
    assert writer.delete("gone")
    merge_segments(store, full=True)
    assert store.lookup_terms(["鵺"]) == []  # the term itself is gone
    back = make_article("back", "また鵺", ["鵺がふたたび現れました。"])
    writer.write([prepare(back, tokenizer)], IngestReport())
    assert [row[1:] for row in store.lookup_terms(["鵺"])] == [("鵺", 1)]
    assert checked(store, tokenizer)
    assert [h.article_id for h in Searcher(store, tokenizer).search("鵺").hits] == ["back"]


def test_df_changes_split_between_new_and_existing_terms() -> None:
    """A write's df changes: new terms get theirs on insert (a term created and then removed
    in the same write included), existing terms one change each, ascending, none of zero."""
    new_tids = np.array([10, 11], dtype=np.int64)
    counted = np.array([10, 3, 1], dtype=np.int64)  # passages added per term id
    counts = np.array([5, 1, 2], dtype=np.int64)
    removed = Counter({1: -2, 11: -2, 4: -3, 3: 0})
    new_df, tids, deltas = new_term_dfs(new_tids, counted, counts, removed)
    assert new_df.tolist() == [5, -2]
    assert tids.tolist() == [3, 4] and deltas.tolist() == [1, -3]  # term 1: +2 - 2
    new_df, tids, deltas = new_term_dfs(new_tids, counted, counts, Counter())
    assert new_df.tolist() == [5, 0]
    assert tids.tolist() == [1, 3] and deltas.tolist() == [2, 1]


def test_writers_taking_turns_share_the_terms_they_create(
    store: IndexStore, tokenizer: JapaneseTokenizer
) -> None:
    """A writer that has seen every term of the table looks none up; once another writer
    (another process: its own connection) has added terms, it must look them up again rather
    than create them twice."""
    assert store.path is not None
    other_store = IndexStore.open(store.path)
    try:
        mine, other = BatchWriter(store, tokenizer), BatchWriter(other_store, tokenizer)
        first = make_article("a", "鵺の記事", ["鵺という妖怪の話です。"])
        mine.write([prepare(first, tokenizer)], IngestReport())  # the table was empty
        theirs = make_article("b", "蟒蛇の記事", ["蟒蛇と鵺が出てくる昔話です。"])
        other.write([prepare(theirs, tokenizer)], IngestReport())
        again = make_article("c", "蟒蛇ふたたび", ["蟒蛇がまた現れた、と村人は言います。"])
        mine.write([prepare(again, tokenizer)], IngestReport())  # 蟒蛇 is the other's term
    finally:
        other_store.close()
    assert [row[1:] for row in store.lookup_terms(["蟒蛇", "鵺"])] == [("蟒蛇", 2), ("鵺", 2)]
    assert checked(store, tokenizer)
    found = {h.article_id for h in Searcher(store, tokenizer).search("蟒蛇").hits}
    assert found == {"b", "c"}


def test_a_failed_batch_leaves_nothing_and_the_writer_usable(
    store: IndexStore, tokenizer: JapaneseTokenizer
) -> None:
    writer = BatchWriter(store, tokenizer)
    good = make_article("good", "新しい語の記事", ["蟒蛇という語が初めて出てきます。"])
    broken = prepare_batch([good], tokenizer)
    row = list(broken.rows[0])
    row[TITLE] = None  # violates NOT NULL when the articles are inserted, after terms were made
    bad = PreparedBatch(
        [tuple(row)],
        broken.bounds,
        broken.passages,
        broken.vocab,
        broken.doc,
        broken.term,
        broken.tf,
    )
    before = store.stats()
    with pytest.raises(Exception, match="NOT NULL"):
        writer.write([bad], IngestReport())
    assert store.lookup_terms(["蟒蛇"]) == []  # rolled back with the batch
    after = store.stats()
    after.pop("size_bytes")
    before.pop("size_bytes")
    assert after == before
    report = IngestReport()
    writer.write([prepare_batch([good], tokenizer)], report)
    assert report.added == 1
    assert checked(store, tokenizer)
    assert [h.article_id for h in Searcher(store, tokenizer).search("蟒蛇").hits] == ["good"]


def test_ingest_stream_with_workers_reports_progress_per_chunk(
    store: IndexStore, tokenizer: JapaneseTokenizer
) -> None:
    """Worker processes hand back columnar chunks; progress is reported as each one arrives."""
    from index.ingest.ingest import ingest_stream

    articles = [
        make_article(f"n{i}", f"ニュース{i}号", [f"第{i}号の記事です。台風{i}号が近づいています。"])
        for i in range(30)
    ]
    calls: list[tuple[int, int]] = []
    report = ingest_stream(
        store,
        tokenizer,
        iter(articles),
        workers=2,
        batch_size=10,
        on_progress=lambda r, queued: calls.append((r.added, queued)),
    )
    assert (report.added, report.unchanged, report.passages) == (30, 0, 30)
    assert len(calls) >= 6  # 10 articles per batch, chunks of 3 for two workers
    assert calls[-1] == (30, 0)
    assert [a + q for a, q in calls] == sorted(a + q for a, q in calls)  # never goes backwards
    assert any(q > 0 for _, q in calls)  # chunks are shown before their batch is written
    assert checked(store, tokenizer)
    hits = Searcher(store, tokenizer).search("台風17号").hits
    assert hits[0].article_id == "n17"


def test_tokenising_workers_run_at_lower_cpu_priority() -> None:
    """Beside a serving bot, a bulk ingest's workers yield the CPU (the writer does not)."""
    import multiprocessing as mp
    import os
    from concurrent.futures import ProcessPoolExecutor

    from index.ingest import ingest

    if not hasattr(os, "nice") or "fork" not in mp.get_all_start_methods():
        pytest.skip("no os.nice / fork on this platform")
    base = os.nice(0)
    with ProcessPoolExecutor(
        1,
        mp_context=mp.get_context("fork"),
        initializer=ingest._init_worker,
        initargs=("C", ingest.WORKER_NICENESS),
    ) as pool:
        assert pool.submit(os.nice, 0).result() == min(base + ingest.WORKER_NICENESS, 19)
    assert os.nice(0) == base


def test_remembered_term_ids_are_bounded(
    monkeypatch: pytest.MonkeyPatch, store: IndexStore, tokenizer: JapaneseTokenizer
) -> None:
    import index.store.term_ids as term_ids_module

    monkeypatch.setattr(term_ids_module, "TID_CACHE", 5)
    writer = BatchWriter(store, tokenizer)
    topics = ["台風が九州に上陸", "日銀が金利を引き上げ", "新しい半導体工場が稼働"]
    for i, text in enumerate(topics):
        writer.write(
            [prepare(make_article(f"t{i}", text, [text + "。"]), tokenizer)], IngestReport()
        )
    assert len(writer.terms) < store.stats()["terms"]  # started over instead of growing
    assert checked(store, tokenizer)
    assert Searcher(store, tokenizer).search("金利").hits[0].article_id == "t1"


def test_the_term_id_cache_starting_over_mid_write_keeps_the_new_terms(
    monkeypatch: pytest.MonkeyPatch, store: IndexStore, tokenizer: JapaneseTokenizer
) -> None:
    """One transaction adds an article and then its new version (the old one's terms are
    looked up again to take their frequencies back): when the cache starts over in between, the
    terms the transaction created but has not inserted yet must not be created twice (a 458k
    ingest failed with "UNIQUE constraint failed: terms.term" this way)."""
    import index.store.term_ids as term_ids_module

    monkeypatch.setattr(term_ids_module, "TID_CACHE", 5)
    first = make_article("m0", "台風が九州に上陸した", ["台風が九州に上陸した。"])
    second = make_article("m0", "台風が九州に上陸した", ["台風の被害が九州で広がっている。"])
    batches = [prepare_batch([first], tokenizer), prepare_batch([second], tokenizer)]
    report = IngestReport()
    BatchWriter(store, tokenizer).write(batches, report)  # one transaction, two batches
    assert (report.added, report.updated) == (1, 1)
    assert checked(store, tokenizer)
    assert Searcher(store, tokenizer).search("被害").hits[0].article_id == "m0"
