"""The store: incremental, transactional, deduplicating, versioned, crash-safe. The tests that
take ``location`` (or ``store``) run on both backends, SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from index.analysis.tokenizer import JapaneseTokenizer
from index.errors import DatabaseError, SchemaTooNew
from index.models import Article, ArticleLink
from index.search.search import Searcher
from index.store.schema import SCHEMA_VERSION
from index.store.store import IndexStore
from index.store.writer import merge_segments

from ..conftest import make_article


@pytest.fixture
def store(location: Path | str) -> Iterator[IndexStore]:
    s = IndexStore.open(location)
    yield s
    s.close()


def ranking(searcher: Searcher, query: str, k: int = 10) -> list[tuple[str, float]]:
    return [(h.article_id, round(h.score, 9)) for h in searcher.search(query, k).hits]


def test_add_is_idempotent(
    store: IndexStore, tokenizer: JapaneseTokenizer, news_articles: list[Article]
) -> None:
    first = store.add_articles(news_articles, tokenizer)
    assert (first.added, first.updated, first.unchanged) == (5, 0, 0)
    before = {**store.stats(), **store.meta()}
    before.pop("size_bytes")
    again = store.add_articles(news_articles, tokenizer)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 5)
    after = {**store.stats(), **store.meta()}
    after.pop("size_bytes")
    assert after == before  # same counts and the same generation: nothing was written


def test_same_url_and_content_under_another_id_is_unchanged(
    store: IndexStore, tokenizer: JapaneseTokenizer, news_articles: list[Article]
) -> None:
    store.add_articles(news_articles, tokenizer)
    dup = replace(news_articles[0], id="boj-copy", url=news_articles[0].url + "?utm_source=x")
    report = store.add_articles([dup], tokenizer)
    assert report.unchanged == 1 and report.added == 0
    assert store.get_article("boj-copy") is None


def test_replace_and_delete_keep_statistics_exact(
    location: Path | str, tokenizer: JapaneseTokenizer, news_articles: list[Article], tmp_path: Path
) -> None:
    """Updating/deleting incrementally ranks exactly like an index built from scratch (a SQLite
    file, whichever backend the incremental one is on)."""
    store = IndexStore.open(location)
    store.add_articles(news_articles, tokenizer)
    changed = replace(
        news_articles[1],
        sections=(
            news_articles[1]
            .sections[0]
            .__class__(
                "はじめに",
                ("円安が一段と進み、1ドル=160円に迫りました。輸入物価の上昇が懸念されます。",),
            ),
        ),
    )
    report = store.add_articles([changed], tokenizer)
    assert report.updated == 1
    assert store.delete_article("typhoon", tokenizer)
    assert not store.delete_article("typhoon", tokenizer)

    fresh = IndexStore.open(tmp_path / "fresh.db")
    final = [a for a in news_articles if a.id not in {"yen", "typhoon"}] + [changed]
    fresh.add_articles(final, tokenizer)
    s1, s2 = Searcher(store, tokenizer), Searcher(fresh, tokenizer)
    for q in ("円安", "金利の引き上げ", "台風", "WHO 脱退", "半導体 工場"):
        assert [x[1] for x in ranking(s1, q)] == pytest.approx([x[1] for x in ranking(s2, q)])
        assert [x[0] for x in ranking(s1, q)] == [x[0] for x in ranking(s2, q)]
    assert store.stats()["passages"] == fresh.stats()["passages"]
    assert "typhoon" not in {h.article_id for h in s1.search("台風").hits}

    # merging segments (and purging deletions) changes no result
    before = {q: ranking(s1, q) for q in ("円安", "金利", "工場")}
    merge_segments(store, full=True)
    assert store.stats()["tombstones"] == 0 and store.stats()["segments"] == 1
    assert {q: ranking(s1, q) for q in before} == before
    store.close()
    fresh.close()


def test_stub_from_related_link_is_replaced_by_the_real_article(
    store: IndexStore, tokenizer: JapaneseTokenizer
) -> None:
    parent = make_article(
        "p",
        "日銀会合の結果まとめ",
        ["日銀は会合で金融政策を決めました。"],
        related=(ArticleLink("住宅ローン金利が上昇へ", "変動金利の見直しが始まります。"),),
    )
    store.add_articles([parent], tokenizer)
    stubs = store.find_by_titles(["住宅ローン金利が上昇へ"])
    assert stubs["住宅ローン金利が上昇へ"].is_stub
    searcher = Searcher(store, tokenizer)
    assert searcher.search("変動金利").hits[0].is_stub
    real = make_article(
        "loan", "住宅ローン金利が上昇へ", ["大手銀行が変動金利を0.2%引き上げます。"]
    )
    store.add_articles([real], tokenizer)
    found = store.find_by_titles(["住宅ローン金利が上昇へ"])["住宅ローン金利が上昇へ"]
    assert found.id == "loan" and not found.is_stub
    assert store.stats()["stubs"] == 0
    assert [h.article_id for h in searcher.search("変動金利").hits] == ["loan"]


def test_schema_is_versioned(db_path: Path) -> None:
    IndexStore.open(db_path).close()
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(SchemaTooNew, match="newer than this kiji"):
        IndexStore.open(db_path)


def test_not_a_database_is_explained(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.db"
    bogus.write_text("これはデータベースではありません")
    with pytest.raises(DatabaseError, match="not a SQLite database"):
        IndexStore.open(bogus)
    with pytest.raises(DatabaseError, match="no database"):
        IndexStore.open(tmp_path / "missing.db", create=False)


def test_truncated_database_is_explained(
    db_path: Path, tokenizer: JapaneseTokenizer, news_articles: list[Article]
) -> None:
    s = IndexStore.open(db_path)
    s.add_articles(news_articles, tokenizer)
    s.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    s.close()
    data = db_path.read_bytes()
    db_path.write_bytes(data[: len(data) // 3])
    with pytest.raises(DatabaseError):
        s2 = IndexStore.open(db_path)
        Searcher(s2, tokenizer).search("金利")


def test_readers_see_other_connections_writes(
    location: Path | str, tokenizer: JapaneseTokenizer, news_articles: list[Article]
) -> None:
    writer = IndexStore.open(location)
    writer.add_articles(news_articles[:2], tokenizer)
    reader = IndexStore.open(location)
    searcher = Searcher(reader, tokenizer)
    assert not searcher.search("台風").hits
    writer.add_articles(news_articles[2:], tokenizer)
    assert [h.article_id for h in searcher.search("台風").hits] == ["typhoon"]
    writer.delete_article("typhoon", tokenizer)
    assert not searcher.search("台風").hits
    merge_segments(writer, full=True)
    assert searcher.search("円安").hits
    writer.close()
    reader.close()


def _write_jsonl(path: Path, n: int) -> None:
    topics = ["金利", "台風", "半導体", "選挙", "野球", "円安", "美術館", "米価"]
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            t = topics[i % len(topics)]
            body = f"{t}に関するニュース{i}番です。{t}の動向を詳しく解説します。" * 20
            f.write(
                json.dumps(
                    {
                        "id": f"a{i}",
                        "title": f"{t}の記事{i}",
                        "body": body,
                        "published_at": "2026-11-20T09:00:00+09:00",
                        "url": f"https://kiji.example/a{i}",
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )


def test_kill_9_mid_ingest_loses_nothing_committed(
    tmp_path: Path, tokenizer: JapaneseTokenizer
) -> None:
    src = tmp_path / "many.jsonl"
    _write_jsonl(src, 4000)
    db = tmp_path / "crash.db"
    cmd = [
        sys.executable,
        "-m",
        "index.cli",
        "ingest",
        "--db",
        str(db),
        "--batch-size",
        "100",
        "--workers",
        "1",
        str(src),
    ]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + 60
    committed = 0
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
        if db.exists():
            try:
                c = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
                committed = c.execute("SELECT count(*) FROM articles").fetchone()[0]
                c.close()
            except sqlite3.Error:
                continue
            if committed >= 300:
                break
    assert proc.poll() is None, "ingest finished before it could be killed; make the input larger"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()

    store = IndexStore.open(db)
    assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    n = store.stats()["articles"]
    assert 300 <= n < 4000
    searcher = Searcher(store, tokenizer)
    assert searcher.search("金利").hits  # committed articles are served
    store.close()

    done = subprocess.run([*cmd, "--json"], capture_output=True, text=True, check=True)
    summary = json.loads(done.stdout)
    assert summary["unchanged"] >= n - 100  # at most the batch in flight was lost
    assert summary["added"] + summary["unchanged"] == 4000
    store = IndexStore.open(db)
    assert store.stats()["articles"] == 4000
    assert (
        store.conn.execute(
            "SELECT count(*) FROM (SELECT id FROM articles GROUP BY id HAVING count(*) > 1)"
        ).fetchone()[0]
        == 0
    )
    store.close()


def test_different_content_at_a_shared_url_is_another_article(
    store: IndexStore, tokenizer: JapaneseTokenizer
) -> None:
    """Corpora such as Aozora Bunko give every passage of a work the work's URL."""
    a = make_article("w-1", "作品", ["最初の段落です。"], url="https://example.org/card1.html")
    b = make_article("w-2", "作品", ["次の段落です。"], url="https://example.org/card1.html")
    report = store.add_articles([a, b], tokenizer)
    assert report.added == 2 and store.stats()["articles"] == 2


def test_forward_migration_from_v1(
    db_path: Path, tokenizer: JapaneseTokenizer, news_articles: list[Article]
) -> None:
    """A version-1 file (no packed doc table) is migrated on open and searches the same."""
    s = IndexStore.open(db_path)
    s.add_articles(news_articles, tokenizer)
    expected = ranking(Searcher(s, tokenizer), "円安 金利")
    s.close()
    conn = sqlite3.connect(db_path)
    conn.execute("DROP TABLE doc_chunks")
    conn.execute("DROP TABLE signal_docs")
    conn.execute("DROP TABLE pair_dfs")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    s = IndexStore.open(db_path)
    assert s.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert s.conn.execute("SELECT count(*) FROM doc_chunks").fetchone()[0] == 1
    assert ranking(Searcher(s, tokenizer), "円安 金利") == expected
    s.close()


def test_tiered_compaction_keeps_results_and_bounds_segments(
    location: Path | str, tokenizer: JapaneseTokenizer, news_articles: list[Article], tmp_path: Path
) -> None:
    """One small segment per write; folding and merging them never changes a ranking."""
    from index.store.writer import FOLD_AFTER, MAIN_AFTER, compact

    store = IndexStore.open(location)
    extra = [
        make_article(
            f"x{i}",
            f"金利と為替の話題{i}",
            [f"円安が{i}日続き、金利の先高観が強まりました。"],
            day=1 + i % 27,
        )
        for i in range(FOLD_AFTER * MAIN_AFTER + 5)
    ]
    searcher = Searcher(store, tokenizer)
    actions = []
    for a in [*news_articles, *extra]:
        store.add_articles([a], tokenizer)  # each call ends with compact()
        actions.append(store.meta_int("small_segs") + store.meta_int("folded_segs"))
    assert max(actions) <= FOLD_AFTER + MAIN_AFTER  # a query never reads many segments
    assert store.stats()["segments"] <= FOLD_AFTER + MAIN_AFTER + 1
    fresh = IndexStore.open(tmp_path / "fresh.db")
    fresh.add_articles([*news_articles, *extra], tokenizer)
    merge_segments(fresh)
    reference = Searcher(fresh, tokenizer)
    for q in ("円安 金利", "台風", "先高観", "為替の話題3"):
        assert ranking(searcher, q, 20) == ranking(reference, q, 20)
    assert compact(store) in (None, "fold", "main")
    store.close()
    fresh.close()
