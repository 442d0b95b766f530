"""Lexical fusion: the pure signal and fusion functions, and fused ranking over a real index."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from index.analysis.tokenizer import JapaneseTokenizer
from index.answer.answer import Answerer
from index.models import Article, DateWindow, Hit, Section
from index.ops.ops import check
from index.ranking.fusion import (
    BIGRAM,
    PAIR,
    FusionParams,
    candidate_scores,
    char_bigrams,
    fuse,
    normalise,
    pair_term,
    rank,
    signal_lengths,
    word_pairs,
)
from index.ranking.recency import boost_recent
from index.search.search import Searcher
from index.store import pair_dfs
from index.store.backfill import backfill_signals
from index.store.pair_dfs import PAIR_BASE
from index.store.schema import SCHEMA_VERSION
from index.store.segments import merge_segments
from index.store.store import IndexStore


# ---------------------------------------------------------------------------- pure functions
def test_fuse_divides_each_signal_by_its_top_score() -> None:
    words = np.array([10.0, 5.0, 0.0])
    bigrams = np.array([1.0, 2.0, 4.0])
    out = fuse([words, bigrams], [1.0, 0.5])
    assert out.tolist() == pytest.approx([1.0 + 0.125, 0.5 + 0.25, 0.0 + 0.5])
    assert fuse([words, np.zeros(3)], [1.0, 1.0]).tolist() == [1.0, 0.5, 0.0]  # no match: no NaN
    assert normalise(np.zeros(0)).tolist() == []
    with pytest.raises(ValueError):
        fuse([words], [1.0, 1.0])
    with pytest.raises(ValueError):
        fuse([words, np.zeros(2)], [1.0, 1.0])


def test_rank_breaks_ties_by_passage_id() -> None:
    cand = np.array([7, 3, 5])
    assert cand[rank(cand, np.array([1.0, 1.0, 2.0]), 3)].tolist() == [5, 3, 7]
    assert cand[rank(cand, np.array([1.0, 1.0, 2.0]), 1)].tolist() == [5]


def test_candidate_scores_are_bm25_over_the_candidates_only() -> None:
    # entries of the candidates' vectors that hold a query term: (candidate, term, count)
    at = np.array([1, 2, 2, 0, 2, 3])
    term = np.array([0, 0, 3, 1, 1, 2])
    tf = np.array([1, 3, 2, 1, 2, 4], dtype="<u2")
    weight = np.array([2.0, 0.5, 0.0, 1.0])  # query count · idf per query term
    signal = np.array([0, 1, 1, 0])  # bigram terms and pair terms
    dls = np.array([[10, 4], [20, 4], [10, 8], [5, 5]], dtype=np.float64)
    avgdl, k1, b = (10.0, 4.0), 0.5, 0.5
    out = candidate_scores(at, term, tf, weight, signal, dls, avgdl, k1, b, 4)

    def w(idf: float, tf: float, dl: float, mean: float) -> float:
        return idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / mean))

    assert out.shape == (2, 4)
    # candidate 2 holds both bigram terms: their weights add up
    both = w(2, 3, 10, 10) + w(1, 2, 10, 10)
    assert out[0].tolist() == pytest.approx([0.0, w(2, 1, 20, 10), both, 0.0])
    assert out[1].tolist() == pytest.approx([w(0.5, 1, 4, 4), 0.0, w(0.5, 2, 8, 4), 0.0])
    none = np.zeros(0, dtype=np.intp)
    empty = candidate_scores(none, none, none, weight, signal, dls, avgdl, k1, b, 4)
    assert empty.shape == (2, 4) and not empty.any()


def test_candidate_scores_sum_the_entries_in_order_bit_for_bit() -> None:
    """Each candidate's score is its entries' weights added one after the other, exactly as a
    loop over them would (rankings must not move when the summing is vectorised)."""
    rng = np.random.default_rng(7)
    n, n_terms, size = 50, 6, 2000
    at = rng.integers(0, n, size)
    term = np.sort(rng.integers(0, n_terms, size))  # term by term, as the searcher orders them
    tf = rng.integers(1, 9, size).astype("<u2")
    weight = rng.uniform(0.1, 3.0, n_terms)
    signal = np.array([0, 1, 0, 0, 1, 0])
    dls = rng.uniform(1, 40, (n, 2))
    avgdl, k1, b = (12.0, 7.0), 0.5, 0.5
    expected = np.zeros((2, n))
    for c, t, f in zip(at.tolist(), term.tolist(), tf.tolist(), strict=True):
        norm = k1 * (1.0 - b + b * dls[c, signal[t]] / avgdl[signal[t]])
        expected[signal[t], c] += weight[t] * f * (k1 + 1.0) / (f + norm)
    assert (expected > 0).sum() > 50  # many candidates, several entries each
    out = candidate_scores(at, term, tf, weight, signal, dls, avgdl, k1, b, n)
    assert np.array_equal(out, expected)


def test_char_bigrams_skip_punctuation_and_pure_hiragana() -> None:
    grams = [g[1:] for g in char_bigrams("ＡＩが開発した、ポケモン")]
    # NFKC + lower case; した (hiragana only) and anything across 、 are left out
    assert grams == ["ai", "iが", "が開", "開発", "発し", "ポケ", "ケモ", "モン"]
    assert all(g.startswith(BIGRAM) for g in char_bigrams("東京"))


def test_pairs_are_stable_hashed_terms_and_lengths_split_by_signal() -> None:
    assert word_pairs(["a", "b", "c"]) == [pair_term("a", "b"), pair_term("b", "c")]
    assert pair_term("a", "b") == pair_term("a", "b") != pair_term("b", "a")
    assert pair_term("a", "b").startswith(PAIR) and len(pair_term("a", "b")) == 6
    counts = {BIGRAM + "東京": 2, BIGRAM + "京都": 1, pair_term("a", "b"): 3}
    assert signal_lengths(counts) == (3, 3)


def test_params_are_validated() -> None:
    with pytest.raises(ValueError):
        FusionParams(weights=(1.0, -1.0, 0.0))
    with pytest.raises(ValueError):
        FusionParams(candidates=0)


# ---------------------------------------------------------------------------- a real index
DOCS = [
    ("ゲーム", "ポケモンGOは米国のナイアンティック社が開発した位置情報ゲームだ。"),
    ("新薬", "新しい薬の開発が進む。開発チームは開発の遅れを認め、開発費を見直す。"),
    ("天気", "台風が接近し、週末は各地で大雨となる見込みです。"),
    ("経済", "円安が進み、輸入物価が上昇している。"),
    ("スポーツ", "日本代表が決勝で勝利し、優勝を決めた。"),
]
QUESTION = "ポケモンゴーの開発元はどこ？"


def build(path: Path, tokenizer: JapaneseTokenizer) -> IndexStore:
    store = IndexStore.open(path)
    arts = [
        Article(id=f"d{i}", title=t, sections=(Section(None, (x,)),), url=f"https://k.example/{i}")
        for i, (t, x) in enumerate(DOCS)
    ]
    store.add_articles(arts, tokenizer)
    return store


def ranking(searcher: Searcher, question: str, *, fused: bool) -> list[str]:
    terms = searcher.analyse(question)
    scored = searcher.score_terms(terms, 5, text=question if fused else None)
    return [h.article_id for h in searcher.hits(scored)]


def test_fusion_rescues_a_word_sudachi_splits_differently(
    tmp_path: Path, tokenizer: JapaneseTokenizer
) -> None:
    """ポケモンゴー is one word in the question, ポケモン + GO in the article: the word index only
    matches 開発, which the drug article repeats; the character bigrams (ポケ, ケモ, モン) find it."""
    assert "ポケモンゴー" in tokenizer.query_terms(QUESTION)
    assert "ポケモンゴー" not in tokenizer.terms(DOCS[0][1])
    store = build(tmp_path / "f.db", tokenizer)
    searcher = Searcher(store, tokenizer)
    assert ranking(searcher, QUESTION, fused=False)[0] == "d1"
    assert ranking(searcher, QUESTION, fused=True)[0] == "d0"
    scored = searcher.score_terms(searcher.analyse(QUESTION), 5, text=QUESTION)
    assert scored.fused is not None and (np.diff(scored.fused) <= 0).all()
    # switched off, the same call ranks by plain BM25 exactly
    off = Searcher(store, tokenizer, fusion_params=FusionParams(enabled=False))
    plain = searcher.score_terms(searcher.analyse(QUESTION), 5)
    same = off.score_terms(off.analyse(QUESTION), 5, text=QUESTION)
    assert same.pids.tolist() == plain.pids.tolist() and same.fused is None
    assert np.array_equal(same.scores, plain.scores)
    assert searcher.search(QUESTION, 3).hits[0].article_id == "d0"  # kiji search is fused
    store.close()


def test_check_delete_and_merge_keep_signal_postings_consistent(
    tmp_path: Path, tokenizer: JapaneseTokenizer
) -> None:
    db = tmp_path / "c.db"
    store = build(db, tokenizer)
    assert store.meta_int("total_len_bigram") > 0 and store.meta_int("total_len_pair") > 0
    assert check(db, tokenizer).ok
    assert store.delete_article("d1", tokenizer)
    report = check(db, tokenizer)
    assert report.ok, report.problems
    before = ranking(Searcher(store, tokenizer), QUESTION, fused=True)
    merge_segments(store, full=True)
    assert check(db, tokenizer).ok
    assert ranking(Searcher(store, tokenizer), QUESTION, fused=True) == before == ["d0"]
    store.close()


def _as_schema_4(db: Path) -> int:
    """Turn a database into what kiji wrote before the word pairs' dense dfs (schema 4): each
    word pair in use a ``terms`` row with an id of the table's own, in the signal vectors too;
    returns how many."""
    conn = sqlite3.connect(db)
    dfs = pair_dfs.read_all(conn)
    used = np.flatnonzero(dfs).tolist()
    top = conn.execute("SELECT coalesce(max(tid), 0) FROM terms").fetchone()[0]
    new_tid = {PAIR_BASE + b: top + 1 + i for i, b in enumerate(used)}
    conn.executemany(
        "INSERT INTO terms (tid, term, df) VALUES (?, ?, ?)",
        [(new_tid[PAIR_BASE + b], pair_dfs.term_of(b), int(dfs[b])) for b in used],
    )
    rows = []
    for pid, tids, tfs in conn.execute("SELECT pid, tids, tfs FROM signal_docs").fetchall():
        t = np.array([new_tid.get(x, x) for x in np.frombuffer(tids, "<i4").tolist()])
        order = np.argsort(t)
        f = np.frombuffer(tfs, "<u2")[order]
        rows.append((t[order].astype("<i4").tobytes(), f.tobytes(), pid))
    conn.executemany("UPDATE signal_docs SET tids = ?, tfs = ? WHERE pid = ?", rows)
    conn.execute("DROP TABLE pair_dfs")
    conn.execute("PRAGMA user_version = 4")
    conn.commit()
    conn.close()
    return len(used)


def _as_schema_2(db: Path) -> None:
    """Turn a database into what kiji wrote before fusion (schema 2): no signal vectors, no
    signal lengths, no columns for them."""
    _as_schema_4(db)
    conn = sqlite3.connect(db)
    conn.execute(
        "DELETE FROM postings WHERE tid IN (SELECT tid FROM terms WHERE "
        "substr(term, 1, 1) IN (char(1), char(2)))"
    )
    conn.execute("DELETE FROM terms WHERE substr(term, 1, 1) IN (char(1), char(2))")
    conn.execute("DROP TABLE signal_docs")  # schema 4
    conn.execute("DELETE FROM meta WHERE key IN ('total_len_bigram', 'total_len_pair')")
    # the byte counts settle() plans with counted the deleted postings: gone too (re-measured)
    conn.execute("DELETE FROM meta WHERE key IN ('main_bytes', 'seg_bytes')")
    for table, column in (
        ("passages", "dl_bigram"),
        ("passages", "dl_pair"),
        ("doc_chunks", "sdls"),
    ):
        conn.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    conn.execute("PRAGMA user_version = 2")
    conn.commit()
    conn.close()


def test_a_schema_2_index_is_migrated_ranks_plain_and_is_backfilled(
    tmp_path: Path, tokenizer: JapaneseTokenizer
) -> None:
    fresh = build(tmp_path / "fresh.db", tokenizer)
    expected = ranking(Searcher(fresh, tokenizer), QUESTION, fused=True)
    fresh.close()
    db = tmp_path / "old.db"
    build(db, tokenizer).close()
    _as_schema_2(db)
    store = IndexStore.open(db)  # migrates to schema 3 and marks the passages without signals
    assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert store.meta_int("signals_missing_below") > 0
    searcher = Searcher(store, tokenizer)
    report = check(db, tokenizer)  # words-only passages are consistent too
    assert report.ok, report.problems
    assert "fusion" in report.facts
    assert ranking(searcher, QUESTION, fused=True) == ranking(searcher, QUESTION, fused=False)
    # a passage added after the migration gets its signal vector at once
    store.add_articles(
        [Article(id="new", title="新着", sections=(Section(None, ("東京で初雪を観測した。",)),))],
        tokenizer,
    )
    assert backfill_signals(store, tokenizer, chunk=2) == len(DOCS)
    assert "signals_missing_below" not in store.meta()
    report = check(db, tokenizer)
    assert report.ok, report.problems
    assert ranking(searcher, QUESTION, fused=True) == expected  # the open searcher catches up
    assert backfill_signals(store, tokenizer) == 0
    store.close()


def store_tombstones(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*) FROM tombstones").fetchone()[0]


def _as_schema_3(db: Path) -> int:
    """Turn a database into what kiji wrote before the signal vectors (schema 3): the fusion
    signal terms' postings inverted, in the main segment; returns their number of rows."""
    _as_schema_4(db)
    conn = sqlite3.connect(db)
    entries = []
    for pid, tids, tfs in conn.execute("SELECT pid, tids, tfs FROM signal_docs"):
        for tid, tf in zip(
            np.frombuffer(tids, "<i4").tolist(), np.frombuffer(tfs, "<u2").tolist(), strict=True
        ):
            entries.append((tid, pid, tf))
    # a deleted passage's id stays in old postings until a merge: add it to each term
    dead = [r[0] for r in conn.execute("SELECT pid FROM tombstones")]
    entries += [(tid, pid, 1) for tid in {e[0] for e in entries} for pid in dead]
    rows = []
    for tid in sorted({e[0] for e in entries}):
        mine = sorted((pid, tf) for t, pid, tf in entries if t == tid)
        ids = np.array([m[0] for m in mine], dtype="<i4").tobytes()
        rows.append((tid, 0, ids, np.array([m[1] for m in mine], dtype="<u2").tobytes()))
    conn.executemany("INSERT INTO postings (tid, seg, ids, tfs) VALUES (?, ?, ?, ?)", rows)
    conn.execute("DROP TABLE signal_docs")
    conn.execute("DELETE FROM meta WHERE key IN ('main_bytes', 'seg_bytes')")
    conn.execute("PRAGMA user_version = 3")
    conn.commit()
    conn.close()
    return len(rows)


def test_a_schema_3_index_moves_its_signal_postings_into_vectors(
    tmp_path: Path, tokenizer: JapaneseTokenizer
) -> None:
    """Opening a schema-3 file turns the signal terms' inverted postings into one vector per
    live passage: the same fused scores, `kiji check` clean, no signal postings left."""
    db = tmp_path / "v3.db"
    store = build(db, tokenizer)
    store.delete_article("d3", tokenizer)  # a deleted passage: left out of the vectors
    searcher = Searcher(store, tokenizer)
    terms = searcher.analyse(QUESTION)
    before = searcher.score_terms(terms, 5, text=QUESTION)
    n_vectors = store.conn.execute("SELECT count(*) FROM signal_docs").fetchone()[0]
    store.close()
    assert n_vectors == len(DOCS) - 1
    assert store_tombstones(db) == 1
    assert _as_schema_3(db) > 50
    store = IndexStore.open(db)
    assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert store.conn.execute("SELECT count(*) FROM signal_docs").fetchone()[0] == n_vectors
    signal_rows = store.conn.execute(
        "SELECT count(*) FROM postings p JOIN terms t ON t.tid = p.tid "
        "WHERE substr(t.term, 1, 1) IN (char(1), char(2))"
    ).fetchone()[0]
    assert signal_rows == 0
    after = Searcher(store, tokenizer).score_terms(terms, 5, text=QUESTION)
    assert after.pids.tolist() == before.pids.tolist()
    assert after.fused is not None and before.fused is not None
    assert after.fused.tolist() == before.fused.tolist()
    store.close()
    report = check(db, tokenizer)
    assert report.ok, report.problems


def test_answers_weigh_passages_by_the_fused_ranking(
    tmp_path: Path, tokenizer: JapaneseTokenizer
) -> None:
    """The excerpt scorer weighs each passage by what the search ranked it by (the fused score),
    not by its word BM25, which here prefers the drug article that repeats 開発."""
    store = build(tmp_path / "f.db", tokenizer)
    searcher = Searcher(store, tokenizer)
    hits = searcher.search(QUESTION, 3).hits
    assert [h.relevance for h in hits] == sorted((h.relevance for h in hits), reverse=True)
    assert all(h.fused is not None and h.relevance == h.fused for h in hits)
    assert hits[0].score < max(h.score for h in hits)  # BM25 alone would rank it lower
    # The picker weighs passages by relevance: the fused order puts the game article first;
    # the same hits weighed by their word BM25 would put the drug article first.
    answerer = Answerer(store, searcher, tokenizer)
    query = answerer._query(list(searcher.analyse(QUESTION)), QUESTION)

    def first_excerpt(pool: list[Hit]) -> str:
        picked = answerer.excerpts.pick(pool, answerer.excerpts.sentences(pool[0], query), query, 3)
        return picked[0].article_id

    assert first_excerpt(list(hits)) == "d0"
    picker, best = answerer.excerpts, hits[0].relevance
    for h in hits:
        rel = picker.read(h, picker.sentences(h, query)[0], query, best).rel
        assert h.fused is not None and rel == pytest.approx(
            h.fused / best
        )  # not h.score / hits[0].score
    store.close()


def test_a_recency_boost_ranks_by_the_fused_score() -> None:
    now = datetime(2026, 11, 20, tzinfo=UTC)
    window = DateWindow("最近", now - timedelta(days=7), None, "boost")

    def hit(pid: int, score: float, fused: float, days: int) -> Hit:
        return Hit(
            pid, f"a{pid}", "t", "", now - timedelta(days=days), None, None, "x", 0, 1,
            score, fused=fused,
        )  # fmt: skip

    hits = [hit(1, 5.0, 1.2, 1), hit(2, 9.0, 0.8, 1), hit(3, 9.0, 1.1, 30)]
    boosted = boost_recent(hits, window, now)
    # by fused score, boosted for freshness (BM25 alone would put 2 first)
    assert [h.passage_id for h in boosted] == [1, 3, 2]
    assert boosted[0].fused is not None and boosted[0].fused > 1.2  # fresh: boosted
    assert next(h for h in boosted if h.passage_id == 3).fused == 1.1  # a month old: not


@pytest.mark.parametrize("colliding", [False, True])
def test_signal_term_lookup_finds_exactly_the_query_terms(colliding: bool) -> None:
    """The candidates' vector entries are matched to the query's signal terms through the low
    16 bits of their ids, or by binary search when two query terms share them: the same
    matches either way, and never an entry that only shares the low bits."""
    from index.search.postings import lookup_terms

    rng = np.random.default_rng(3)
    qt = np.array([70_000, 5, 140_000, 900, 65_541 if colliding else 12], dtype="<i4")
    assert (len(np.unique(qt & 0xFFFF)) < len(qt)) == colliding
    entries = rng.integers(0, 200_000, 5000).astype("<i4")
    entries[::50] = rng.choice(qt, 100)
    entries[7] = 5 + 65_536 * 2  # low bits of a query term, another term
    hit, term = lookup_terms(qt, entries)
    expected = [(i, int(np.flatnonzero(qt == e)[0])) for i, e in enumerate(entries) if e in qt]
    assert sorted(zip(hit.tolist(), term.tolist(), strict=True)) == expected
    assert 7 not in hit.tolist() and len(expected) >= 100


def test_a_schema_4_index_moves_its_word_pairs_out_of_the_terms_table(
    tmp_path: Path, tokenizer: JapaneseTokenizer
) -> None:
    """Opening a schema-4 file gives the word pairs their fixed ids and their dfs the dense
    array: the same fused scores and statistics, `kiji check` clean, no pair left in ``terms``,
    and writes after it keep the counts exact."""
    db = tmp_path / "v4.db"
    store = build(db, tokenizer)
    store.delete_article("d3", tokenizer)
    searcher = Searcher(store, tokenizer)
    terms = searcher.analyse(QUESTION)
    before = searcher.score_terms(terms, 5, text=QUESTION)
    stats, dfs = store.stats()["terms"], pair_dfs.read_all(store.conn)
    mean = store.mean_raw_idf(store.meta_int("n_docs"))
    store.close()
    moved = _as_schema_4(db)
    assert moved == np.count_nonzero(dfs) > 20
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT max(tid) FROM terms").fetchone()[0] < PAIR_BASE
    store = IndexStore.open(db)
    assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert store.conn.execute(
        "SELECT count(*) FROM terms WHERE substr(term, 1, 1) = char(2)"
    ).fetchone()[0] == 0  # fmt: skip
    assert pair_dfs.read_all(store.conn).tolist() == dfs.tolist()
    assert store.stats()["terms"] == stats
    assert store.mean_raw_idf(store.meta_int("n_docs")) == pytest.approx(mean)
    after = Searcher(store, tokenizer).score_terms(terms, 5, text=QUESTION)
    assert after.pids.tolist() == before.pids.tolist()
    assert after.fused is not None and before.fused is not None
    assert after.fused.tolist() == before.fused.tolist()
    assert check(db, tokenizer).ok
    store.add_articles(
        [
            Article(
                id="new", title="新着", sections=(Section(None, ("ポケモンGOの新作を開発した。",)),)
            )
        ],
        tokenizer,
    )
    store.delete_article("d0", tokenizer)
    report = check(db, tokenizer)
    assert report.ok, report.problems
    store.close()
