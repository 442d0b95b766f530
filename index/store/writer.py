"""Writing to the index: prepare articles (tokenise; runs in worker processes) and apply batches.

Every batch is one transaction: its articles, passages, term statistics and a new postings
segment (or, while the index is small beside the batch, its postings appended to the main
segment: :mod:`index.store.concat`) become visible together or not at all. Small segments are
merged into main by :func:`index.store.segments.merge_segments` (a merge changes no result).

A worker hands the writer a :class:`~index.store.prepare.PreparedBatch` (articles as rows,
postings as three numpy arrays): the single writing process does set-wise work per batch.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np

from index.analysis.tokenizer import JapaneseTokenizer
from index.models import Article, IngestReport, Rejection
from index.store import counting, doctable, vectors
from index.store.concat import append_main, appends_to_main
from index.store.existing import Existing, new_term_dfs
from index.store.prepare import (  # re-exported: the writer's API as callers know it
    BODY,
    HASH,
    ID,
    IS_STUB,
    PUB_TS,
    TITLE_NORM,
    URL,
    URL_NORM,
    PreparedArticle,
    PreparedBatch,
    indexed_terms,
    passage_terms,
    paused_gc,
    prepare,
    prepare_batch,
    prepare_guarded,
    stub_id,
)
from index.store.segments import (  # re-exported likewise
    FOLD_AFTER,
    FOLDED_BASE,
    MAIN_AFTER,
    SEG_BYTES,
    compact,
    merge_segments,
    segment_levels,
    segment_rows,
    settle,
    shifted_bytes,
)
from index.store.term_ids import TermIdMemory

if TYPE_CHECKING:  # the store calls the writer; the writer only names the store
    from index.store.store import IndexStore

__all__ = [
    "FOLDED_BASE",
    "FOLD_AFTER",
    "MAIN_AFTER",
    "BatchWriter",
    "PreparedArticle",
    "PreparedBatch",
    "compact",
    "ingest_articles",
    "merge_segments",
    "passage_terms",
    "prepare",
    "prepare_batch",
    "segment_levels",
    "settle",
    "stub_id",
]

log = logging.getLogger(__name__)

ARTICLE_COLUMNS = (
    "rowid", "id", "url", "url_norm", "title", "title_norm", "published_at", "published_ts",
    "category", "source", "is_stub", "body", "meta", "content_hash", "added_at", "updated_at",
)  # fmt: skip
PASSAGE_COLUMNS = (
    "pid", "article_rowid", "ordinal", "heading", "start", '"end"', "dl", "dl_bigram", "dl_pair",
)  # fmt: skip
POSTING_COLUMNS = ("tid", "seg", "ids", "tfs")


class BatchWriter:
    """Applies prepared articles to a store, one transaction per :meth:`write` call."""

    def __init__(self, store: IndexStore, tokenizer: JapaneseTokenizer) -> None:
        self.store = store
        self.tokenizer = tokenizer
        store.tune_for_writes()  # SQLite: a larger WAL between checkpoints
        self.terms = TermIdMemory(store)  # the term ids it has met

    def write(
        self, batch: Sequence[PreparedArticle] | Sequence[PreparedBatch], report: IngestReport
    ) -> None:
        """Write ``batch`` atomically, counting added/updated/unchanged into ``report``."""
        if not batch:
            return
        articles = [item for item in batch if isinstance(item, PreparedArticle)]
        if len(articles) == len(batch):  # in-process writes: one columnar batch for them all
            batches = [PreparedBatch.build(articles)]
        else:
            batches = [
                item if isinstance(item, PreparedBatch) else PreparedBatch.build([item])
                for item in batch
            ]
        try:
            with paused_gc(), self.store.transaction() as conn:
                _Write(self, conn, batches, report).run()
                self.terms.synced(conn)
        except BaseException:
            self.terms.forget()  # may name terms the rollback removed
            raise

    def delete(self, article_id: str) -> bool:
        """Delete one article by id (a transaction of its own); False if there is none."""
        try:
            with self.store.transaction() as conn:
                row = conn.execute(
                    "SELECT rowid FROM articles WHERE id = ?", (article_id,)
                ).fetchone()
                if row is None:
                    return False
                w = _Write(self, conn, [], IngestReport())
                w.delete_rowid(row[0])
                w.flush()
                self.terms.synced(conn)
        except BaseException:
            self.terms.forget()
            raise
        settle(self.store)
        return True

    def term_ids(self, conn, terms: Sequence[str], new: dict[int, str] | None = None) -> np.ndarray:
        """tid of every term (in order), creating the missing terms with df 0; with ``new``,
        a missing term only gets its tid there, for the caller to insert (with its df) later
        in the same transaction (:meth:`index.store.term_ids.TermIdMemory.ids`)."""
        return self.terms.ids(conn, terms, new)


class _Write:
    """One write transaction: decisions per article against :class:`~index.store.existing.Existing`, inserts queued
    and sent with ``executemany``, postings gathered as arrays and written as one new segment."""

    def __init__(
        self, writer: BatchWriter, conn, batches: Sequence[PreparedBatch], report: IngestReport
    ) -> None:
        self.writer = writer
        self.conn = conn
        self.batches = batches
        self.report = report
        self.now = datetime.now(UTC).isoformat(timespec="seconds")
        self.existing = Existing(conn, batches) if batches else None
        self.next_rowid = writer.store.next_id(conn, "articles", "rowid")
        self.next_pid = writer.store.next_id(conn, "passages", "pid")
        self.first_rowid = self.next_rowid
        self.art_rows: list[tuple] = []  # queued INSERTs
        self.passage_rows: list[tuple] = []
        # (pid, dl, ts, stub, rowid, (dl_bigram, dl_pair))
        self.docs: list[tuple[int, int, float, int, int, tuple[int, int]]] = []
        self.post: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (tids, pids, tfs)
        self.sig: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # the same, signal terms
        self.df_removed: Counter[str] = Counter()  # terms of deleted passages
        self.deleted_here: list[int] = []  # passages this write inserted and then deleted
        self.new_terms: dict[int, str] = {}  # tid → term, inserted by flush() with its df
        self.n_docs = 0
        self.total_len = 0
        self.signal_len = [0, 0]  # total bigram and pair lengths (index.ranking.fusion)

    def run(self) -> None:
        report = self.report
        wanted: list[tuple[list[str], np.ndarray, np.ndarray, np.ndarray]] = []
        for b in self.batches:
            pid_of = np.full(len(b.passages), -1, dtype=np.int64)
            for i, row in enumerate(b.rows):
                if row[IS_STUB]:
                    if not self._stub_exists(row):
                        self.insert(b, i, row, self.now, pid_of)
                    continue
                outcome = self._apply(b, i, row, pid_of)
                if outcome == "added":
                    report.added += 1
                elif outcome == "updated":
                    report.updated += 1
                else:
                    report.unchanged += 1
                    continue
                report.passages += b.bounds[i + 1] - b.bounds[i]
                report.chars += len(row[BODY])
            keep = pid_of[b.doc] >= 0
            if keep.all():  # the usual case: everything in the chunk was written
                wanted.append((b.vocab, b.term, pid_of[b.doc], b.tf))
            elif keep.any():  # terms of what was not written (unchanged articles) stay uncreated
                terms = b.term[keep]
                used, inverse = np.unique(terms, return_inverse=True)
                vocab = [b.vocab[j] for j in used.tolist()]
                wanted.append((vocab, inverse, pid_of[b.doc[keep]], b.tf[keep]))
        if wanted:  # the term ids of every chunk in one look-up (new ones in the order of text)
            lut = self.writer.term_ids(self.conn, [t for w in wanted for t in w[0]], self.new_terms)
            start = 0
            for vocab, terms, pids, tfs in wanted:
                tids = lut[start : start + len(vocab)][terms]
                start += len(vocab)
                # fusion signal terms go to the per-passage rows (index.store.vectors)
                sig = counting.signal_mask(vocab)[terms]
                self.post.append((tids[~sig], pids[~sig], tfs[~sig]))
                self.sig.append((tids[sig], pids[sig], tfs[sig]))
        self.flush()

    # -- one article ----------------------------------------------------------------------
    def _apply(self, b: PreparedBatch, i: int, row: tuple, pid_of: np.ndarray) -> str:
        ex = self.existing
        assert ex is not None
        old = ex.by_id.get(row[ID])
        if old is not None and old[1] == row[HASH] and old[3] != row[URL]:
            old = (old[0], "", old[2], old[3])  # same content at a new URL: store the new URL
        if old is None and row[URL_NORM] and ex.dups[(row[URL_NORM], row[HASH])] > 0:
            # The same content under another id at the same URL is a duplicate (feeds re-keying
            # an entry, utm parameters). Different content at a shared URL is another article:
            # corpora such as Aozora Bunko give every passage of a work the work's URL.
            return "unchanged"
        if old is not None and old[1] == row[HASH]:
            return "unchanged"
        added_at = self.now
        if old is not None:
            added_at = old[2]
            self.delete_rowid(old[0])
        for stub_rowid in sorted(ex.stubs.get(row[TITLE_NORM], ())):
            self.delete_rowid(stub_rowid)  # a real article replaces the stub of the same title
        self.insert(b, i, row, added_at, pid_of)
        return "updated" if old is not None else "added"

    def _stub_exists(self, row: tuple) -> bool:
        ex = self.existing
        assert ex is not None
        return ex.titles[row[TITLE_NORM]] > 0 or row[ID] in ex.by_id

    def insert(
        self, b: PreparedBatch, i: int, row: tuple, added_at: str, pid_of: np.ndarray
    ) -> None:
        rowid = self.next_rowid
        self.next_rowid += 1
        self.art_rows.append((rowid, *row, added_at, self.now))
        assert self.existing is not None
        self.existing.add(
            rowid, row[ID], row[HASH], added_at, row[URL], row[URL_NORM], row[TITLE_NORM],
            row[IS_STUB],
        )  # fmt: skip
        ts = row[PUB_TS] if row[PUB_TS] is not None else float("nan")
        for d in range(b.bounds[i], b.bounds[i + 1]):
            ordinal, heading, start, end, dl, dl_bi, dl_pair = b.passages[d]
            pid = self.next_pid
            self.next_pid += 1
            pid_of[d] = pid
            self.passage_rows.append((pid, rowid, ordinal, heading, start, end, dl, dl_bi, dl_pair))
            self.docs.append((pid, dl, ts, row[IS_STUB], rowid, (dl_bi, dl_pair)))
            self.n_docs += 1
            self.total_len += dl
            self.signal_len[0] += dl_bi
            self.signal_len[1] += dl_pair

    def _send_inserts(self) -> None:
        store = self.writer.store
        if self.art_rows:
            store.insert_rows(self.conn, "articles", ARTICLE_COLUMNS, self.art_rows)
            self.art_rows = []
        if self.passage_rows:
            store.insert_rows(self.conn, "passages", PASSAGE_COLUMNS, self.passage_rows)
            self.passage_rows = []

    def delete_rowid(self, rowid: int) -> None:
        """Remove an article: its passages become tombstones and leave the statistics exactly."""
        conn = self.conn
        if rowid >= self.first_rowid:
            self._send_inserts()  # it was inserted by this batch: make it visible first
        title, body = conn.execute(
            "SELECT title, body FROM articles WHERE rowid = ?", (rowid,)
        ).fetchone()
        tokenizer = self.writer.tokenizer
        rows = conn.execute(
            'SELECT pid, heading, start, "end", dl, dl_bigram, dl_pair FROM passages '
            "WHERE article_rowid = ?",
            (rowid,),
        ).fetchall()
        below = int(
            (
                conn.execute(
                    "SELECT value FROM meta WHERE key = 'signals_missing_below'"
                ).fetchone()
                or [0]
            )[0]
        )
        for pid, heading, start, end, dl, dl_bi, dl_pair in rows:
            if pid < below:  # indexed before schema 3: words only (see index.store.schema)
                counts = passage_terms(
                    tokenizer, Counter(tokenizer.terms(title)), heading, body[start:end]
                )
            else:
                counts = indexed_terms(tokenizer, title, heading, body[start:end])
            self.df_removed.update(counts.keys())
            self.n_docs -= 1
            self.total_len -= dl
            self.signal_len[0] -= dl_bi
            self.signal_len[1] -= dl_pair
        conn.executemany(
            "INSERT INTO tombstones(pid) VALUES (?) ON CONFLICT DO NOTHING", [(r[0],) for r in rows]
        )
        vectors.delete(conn, [r[0] for r in rows])
        if rowid >= self.first_rowid:  # their vectors are not written yet (flush deletes them)
            self.deleted_here += [r[0] for r in rows]
        conn.execute("DELETE FROM passages WHERE article_rowid = ?", (rowid,))
        conn.execute("DELETE FROM articles WHERE rowid = ?", (rowid,))
        if self.existing is not None:
            self.existing.remove(rowid)

    # -- statistics and the new segment ----------------------------------------------------
    def flush(self) -> None:
        self._send_inserts()
        conn = self.conn
        if not (self.post or self.sig or self.df_removed or self.docs or self.n_docs):
            return  # nothing changed: leave the file (and the generation) untouched
        removed: Counter[int] = Counter()  # passages removed by term id
        if self.df_removed:
            terms = list(self.df_removed)
            for tid, term in zip(
                self.writer.term_ids(conn, terms, self.new_terms).tolist(), terms, strict=True
            ):
                removed[tid] -= self.df_removed[term]
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        seg = int(meta.get("next_seg", 1))
        rows: Iterable[tuple] = ()
        firsts = sizes = np.zeros(0, dtype=np.int64)
        # The first postings of an index go straight into the main segment: settle() would
        # otherwise rewrite them all into main (most of a first bulk load's batch); so do the
        # next writes while they are large beside main (index.store.concat.appends_to_main).
        first = bool(self.post) and not conn.execute("SELECT 1 FROM postings LIMIT 1").fetchone()
        into_main = first
        if self.post:
            tids, pids, tfs = (np.concatenate([p[i] for p in self.post]) for i in range(3))
            into_main = first or appends_to_main(meta, 4 * len(pids))
            rows, firsts, sizes = segment_rows(tids, pids, tfs, 0 if into_main else seg)
            if into_main:  # byte counts kept exact, as merges keep them
                meta["main_bytes"] = str(4 * len(pids) + (0 if first else int(meta["main_bytes"])))
                meta[SEG_BYTES] = "{}"
            else:
                meta[SEG_BYTES] = shifted_bytes(meta.get(SEG_BYTES), {seg: 4 * len(pids)})
        vecs, used, n_used = vectors.of_parts(self.sig)  # the signal terms' (index.store.vectors)
        # df changes by term, the words' then the signals': a new term is inserted with its df
        new = self.new_terms
        new_tids = np.fromiter(new, dtype=np.int64, count=len(new))
        new_df, old_tids, old_dfs = new_term_dfs(
            new_tids, np.r_[firsts, used], np.r_[sizes, n_used], removed
        )
        self.writer.store.insert_rows(
            conn, "terms", ("tid", "term", "df"),
            zip(new_tids.tolist(), new.values(), new_df.tolist(), strict=True),
        )  # fmt: skip
        self.writer.store.add_dfs(conn, old_tids, old_dfs)
        written = len(firsts) > 0 and not into_main  # a new small segment
        if len(firsts) and into_main and not first:
            append_main(self.writer.store, conn, rows, int(new_tids[0]) if len(new) else 1 << 62)
        elif len(firsts):
            self.writer.store.insert_rows(conn, "postings", POSTING_COLUMNS, rows)
            seg += written
        if vecs:
            self.writer.store.insert_rows(conn, "signal_docs", vectors.COLUMNS, vecs)
            vectors.delete(conn, self.deleted_here)  # (a stub a real article replaced)
        if self.docs:
            doctable.append_chunk(conn, *zip(*self.docs, strict=True))
        conn.executemany(
            "INSERT INTO meta(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [
                *([("main_bytes", meta["main_bytes"])] if into_main else []),
                *([(SEG_BYTES, meta[SEG_BYTES])] if meta.get(SEG_BYTES) is not None else []),
                ("n_docs", str(int(meta.get("n_docs", 0)) + self.n_docs)),
                ("total_len", str(int(meta.get("total_len", 0)) + self.total_len)),
                (
                    "total_len_bigram",
                    str(int(meta.get("total_len_bigram", 0)) + self.signal_len[0]),
                ),
                ("total_len_pair", str(int(meta.get("total_len_pair", 0)) + self.signal_len[1])),
                ("next_seg", str(seg)),
                ("small_segs", str(int(meta.get("small_segs", 0)) + written)),
                ("generation", str(int(meta.get("generation", 0)) + 1)),
            ],
        )


def ingest_articles(
    store: IndexStore,
    tokenizer: JapaneseTokenizer,
    articles: Iterable[Article],
    *,
    batch_size: int = 500,
    report: IngestReport | None = None,
) -> IngestReport:
    """Prepare and write ``articles`` in this process (small ingests, feeds, tests)."""
    report = report or IngestReport()
    writer = BatchWriter(store, tokenizer)
    batch: list[PreparedArticle] = []
    for article in articles:
        prepared, reason = prepare_guarded(article, tokenizer)
        if prepared is None:  # one bad record costs only itself
            report.reject(Rejection.of(f"article {article.id!r}", reason or "?"))
            continue
        batch.append(prepared)
        if len(batch) >= batch_size:
            writer.write(batch, report)
            batch = []
    if batch:
        writer.write(batch, report)
    settle(store)
    return report
