"""Adding the fusion postings (:mod:`index.ranking.fusion`) to passages indexed before schema 3.

The schema-3 migration only marks them (meta ``signals_missing_below``: passages with a lower
id have no signal vectors (:mod:`index.store.vectors`)); queries rank by plain BM25 until :func:`backfill_signals` (run by
``kiji optimize``) has added them. It works from the newest such passage down, one short
transaction per chunk, each one lowering the mark, so it can be interrupted and resumed, and
readers and writers keep going.
"""

from __future__ import annotations

import numpy as np

from index.analysis.tokenizer import JapaneseTokenizer
from index.ranking.fusion import signal_lengths
from index.store import doctable, vectors
from index.store.counting import MAX_TF
from index.store.prepare import TitleAnalysis, passage_analysis, title_analysis
from index.store.segments import settle
from index.store.store import IndexStore

MARK = "signals_missing_below"


def backfill_signals(store: IndexStore, tokenizer: JapaneseTokenizer, *, chunk: int = 2000) -> int:
    """Add the missing fusion signal vectors; returns the number of passages filled in."""
    from index.store.writer import BatchWriter  # writer imports prepare, which this module does too

    writer = BatchWriter(store, tokenizer)
    done = 0
    conn = store.conn
    while True:
        below = store.meta_int(MARK, 0)
        if not below:
            break
        rows = conn.execute(
            "SELECT p.pid, a.title, p.heading, substr(a.body, p.start + 1, p.end - p.start) "
            "FROM passages p JOIN articles a ON a.rowid = p.article_rowid WHERE p.pid < ? "
            "ORDER BY p.pid DESC LIMIT ?",
            (below, chunk),
        ).fetchall()
        rows.reverse()  # ascending pids
        titles: dict[str, TitleAnalysis] = {}
        pids: list[int] = []
        terms: list[str] = []
        tfs: list[int] = []
        lengths: list[tuple[int, int, int]] = []
        for pid, title, heading, text in rows:
            if title not in titles:
                titles[title] = title_analysis(tokenizer, title)
            _, sig = passage_analysis(tokenizer, titles[title], heading, text)
            pids.extend([pid] * len(sig))
            terms.extend(sig)
            tfs.extend(sig.values())
            lengths.append((*signal_lengths(sig), pid))
        with store.transaction():
            if store.meta_int(MARK, 0) != below:
                continue  # another process is backfilling too: start over from its mark
            meta = store.meta()
            if terms:
                vocab = list(dict.fromkeys(terms))
                index = {t: i for i, t in enumerate(vocab)}
                lut = writer.term_ids(conn, vocab)
                tids = lut[np.array([index[t] for t in terms], dtype=np.int64)]
                pid_arr = np.array(pids, dtype=np.int64)
                tf_arr = np.minimum(np.array(tfs, dtype=np.int64), MAX_TF)
                store.insert_rows(
                    conn, "signal_docs", vectors.COLUMNS, vectors.rows(pid_arr, tids, tf_arr)
                )
                used, counts = np.unique(tids, return_counts=True)
                store.add_dfs(conn, used, counts)
            conn.executemany(
                "UPDATE passages SET dl_bigram = ?, dl_pair = ? WHERE pid = ?", lengths
            )
            low = rows[0][0] if rows else 0
            store.set_meta(
                {
                    "total_len_bigram": int(meta.get("total_len_bigram", 0))
                    + sum(x[0] for x in lengths),
                    "total_len_pair": int(meta.get("total_len_pair", 0))
                    + sum(x[1] for x in lengths),
                    "generation": int(meta.get("generation", 0)) + 1,
                }
            )
            if rows:
                store.set_meta({MARK: low})
            else:  # nothing below the mark: every passage has its signal vectors now
                doctable.rebuild(conn)  # the packed per-passage arrays get the signal lengths
                conn.execute("DELETE FROM meta WHERE key = ?", (MARK,))
                store.set_meta({"merge_gen": int(meta.get("merge_gen", 0)) + 1})
        done += len(rows)
    settle(store)
    return done
