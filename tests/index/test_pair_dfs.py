"""The word pairs' document frequencies as one dense array (index.store.pair_dfs): exact through
writes and deletes, read by the searcher, checked by `kiji check`."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from index.analysis.tokenizer import JapaneseTokenizer
from index.models import Article
from index.ops.ops import check
from index.ranking.fusion import PAIR, PAIR_BUCKETS, pair_term
from index.store import pair_dfs
from index.store.pair_dfs import CHUNK, PAIR_BASE
from index.store.store import Conn, IndexStore


def recount(conn: Conn) -> np.ndarray:
    """Each bucket's number of passages, from the signal vectors of the passages."""
    counts = np.zeros(PAIR_BUCKETS, dtype=np.int64)
    for (tids,) in conn.execute("SELECT tids FROM signal_docs JOIN passages USING (pid)"):
        t = np.frombuffer(tids, "<i4").astype(np.int64)
        np.add.at(counts, t[pair_dfs.is_pair(t)] - PAIR_BASE, 1)
    return counts


def test_bucket_of_reads_only_pair_terms() -> None:
    assert pair_dfs.bucket_of(PAIR + "000ff") == 255
    assert pair_dfs.term_of(255) == PAIR + "000ff"
    term = pair_term("東京", "駅")
    b = pair_dfs.bucket_of(term)
    assert b is not None and pair_dfs.term_of(b) == term
    for other in (PAIR + "000FF", PAIR + "0x0ff", PAIR + "000_f", PAIR + " 00ff", "東京", ""):
        assert pair_dfs.bucket_of(other) is None
    assert PAIR_BASE + PAIR_BUCKETS == 1 << 31  # the vectors store ids as int32


def test_writes_and_deletes_keep_the_pairs_dfs_exact(
    filled: Path, tokenizer: JapaneseTokenizer, news_articles: list[Article]
) -> None:
    store = IndexStore.open(filled)
    conn = store.conn
    stored = pair_dfs.read_all(conn)
    assert stored.sum() > 50 and stored.tolist() == recount(conn).tolist()
    # a related article's stub, replaced by the real one in the same write, leaves no vector
    stray = "SELECT count(*) FROM signal_docs WHERE pid NOT IN (SELECT pid FROM passages)"
    assert conn.execute("SELECT count(*) FROM tombstones").fetchone()[0] > 0
    assert conn.execute(stray).fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM terms WHERE substr(term, 1, 1) = char(2)").fetchone()[
        0
    ] == 0  # fmt: skip
    assert store.delete_article(news_articles[0].id, tokenizer)
    after = pair_dfs.read_all(conn)
    assert after.sum() < stored.sum() and after.tolist() == recount(conn).tolist()
    store.add_articles(news_articles[:1], tokenizer)  # back again
    assert pair_dfs.read_all(conn).tolist() == stored.tolist()
    store.close()
    report = check(filled, tokenizer)
    assert report.ok, report.problems


def test_the_searcher_reads_a_pairs_df_and_id(filled: Path, tokenizer: JapaneseTokenizer) -> None:
    store = IndexStore.open(filled)
    stored = pair_dfs.read_all(store.conn)
    used = np.flatnonzero(stored).tolist()
    unused = int(np.flatnonzero(stored == 0)[0])
    pairs = [pair_dfs.term_of(b) for b in (*used[:3], used[-1], unused)]
    n_docs = store.meta_int("n_docs")
    rows = store.signal_terms(pairs, n_docs)
    want = sorted(
        (t, PAIR_BASE + b, int(stored[b]))
        for t in set(pairs)
        if (b := pair_dfs.bucket_of(t)) is not None and stored[b] > 0
    )
    assert sorted(rows) == want and len(want) == 4
    assert store.signal_terms(pairs, 0) == []  # none in at most 0 passages
    looked_up = store.lookup_terms(pairs)
    assert sorted((term, tid, df) for tid, term, df in looked_up) == want
    found = store.query_postings([], signals=pairs, signal_max_df=n_docs)
    assert found.signals == want
    store.close()


def test_add_refuses_other_ids_and_negative_dfs(filled: Path) -> None:
    store = IndexStore.open(filled)
    conn = store.conn
    used = int(np.flatnonzero(pair_dfs.read_all(conn))[0])
    with pytest.raises(ValueError, match="word pair"):
        pair_dfs.add(conn, np.array([5]), np.array([1]))
    with pytest.raises(ValueError, match="below 0"):
        pair_dfs.add(conn, np.array([PAIR_BASE + used]), np.array([-1000]))
    empty = int(np.flatnonzero(~pair_dfs.read_all(conn).reshape(-1, CHUNK).any(axis=1))[0])
    assert pair_dfs.read(conn, [empty]) == {}  # a chunk no pair has counted in: no row
    with store.transaction() as tx:  # written when one first counts
        pair_dfs.add(tx, np.array([PAIR_BASE + empty * CHUNK + 3]), np.array([2]))
    chunk = pair_dfs.read(conn, [empty])[empty]
    assert chunk[3] == 2 and chunk.sum() == 2
    store.close()


@pytest.mark.parametrize("change", [3, "zero"])
def test_check_finds_a_wrong_pair_df(
    filled: Path, tokenizer: JapaneseTokenizer, change: int | str
) -> None:
    conn = sqlite3.connect(filled)
    dfs = pair_dfs.read_all(conn)
    b = int(np.flatnonzero(dfs)[0])
    dfs[b] = 0 if change == "zero" else dfs[b] + int(change)
    conn.executemany("UPDATE pair_dfs SET dfs = ? WHERE chunk = ?", [
        (blob, chunk) for chunk, blob in pair_dfs.rows_of(dfs, [b // CHUNK])
    ])  # fmt: skip
    conn.commit()
    conn.close()
    report = check(filled, tokenizer)
    assert not report.ok
    assert any("live postings" in p and repr(pair_dfs.term_of(b)) in p for p in report.problems)
