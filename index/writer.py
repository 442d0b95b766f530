"""Writing to the index: prepare articles (tokenise; runs in worker processes) and apply batches.

Every batch is one transaction: its articles, passages, term statistics and a new postings
segment become visible together or not at all. Small segments are merged into the main segment
by :func:`merge_segments`; queries read all segments, so a merge never changes a result.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from index import doctable
from index.models import Article, ArticleLink, IngestReport, Passage, Section
from index.passages import split_passages
from index.store import IndexStore, normalize_title
from index.tokenizer import JapaneseTokenizer

log = logging.getLogger(__name__)

MAX_TF = 65535  # term counts are stored as uint16


def stub_id(title: str) -> str:
    return "stub-" + hashlib.sha1(normalize_title(title).encode()).hexdigest()[:16]


def passage_terms(
    tokenizer: JapaneseTokenizer, title_terms: Counter[str], heading: str | None, text: str
) -> Counter[str]:
    """The indexed terms of one passage: its article title, its heading and its text."""
    counts = Counter(title_terms)
    if heading:
        counts.update(tokenizer.terms(heading))
    counts.update(tokenizer.terms(text))
    return counts


@dataclass
class PreparedArticle:
    """An article with its passages tokenised: everything a write needs, nothing it must compute."""

    article: Article
    content_hash: str
    passages: list[Passage]
    counts: list[dict[str, int]]
    stubs: list[PreparedArticle] = field(default_factory=list)


def prepare(article: Article, tokenizer: JapaneseTokenizer) -> PreparedArticle:
    """Split and tokenise an article (pure; safe to run in a worker process)."""
    title_terms = Counter(tokenizer.terms(article.title))
    passages = split_passages(article)
    if not passages:  # a title-only article still gets one (empty) passage so it can be found
        passages = [Passage(0, None, 0, 0, "")]
    counts = [dict(passage_terms(tokenizer, title_terms, p.heading, p.text)) for p in passages]
    stubs = []
    seen = {normalize_title(article.title)}
    for link in (*article.related, *article.latest):
        key = normalize_title(link.title)
        if not key or key in seen:
            continue
        seen.add(key)
        stubs.append(prepare(_stub_article(link, article), tokenizer))
    return PreparedArticle(article, article.content_hash(), passages, counts, stubs)


def _stub_article(link: ArticleLink, parent: Article) -> Article:
    return Article(
        id=stub_id(link.title),
        title=link.title,
        sections=(Section(None, (link.summary,) if link.summary else ()),),
        url=link.url,
        published_at=None,
        category=parent.category,
        source=parent.source,
        is_stub=True,
    )


def _url_norm(url: str) -> str | None:
    if not url:
        return None
    from index.urls import normalize_url  # parsers' module; imported lazily

    try:
        return normalize_url(url)
    except ValueError:
        return url


class BatchWriter:
    """Applies prepared articles to a store, one transaction per :meth:`write` call."""

    def __init__(self, store: IndexStore, tokenizer: JapaneseTokenizer) -> None:
        self.store = store
        self.tokenizer = tokenizer
        self._docs: list[tuple[int, int, float, bool, int]] = []  # new passages of this batch

    def write(self, batch: Sequence[PreparedArticle], report: IngestReport) -> None:
        """Write ``batch`` atomically, counting added/updated/unchanged into ``report``."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        self._docs = []
        with self.store.transaction() as conn:
            pending: dict[str, list[tuple[int, int]]] = defaultdict(list)
            df_delta: Counter[str] = Counter()
            len_delta = [0, 0]  # passages, total length
            for prepared in batch:
                outcome = self._apply(conn, prepared, pending, df_delta, len_delta, now)
                if outcome == "added":
                    report.added += 1
                elif outcome == "updated":
                    report.updated += 1
                else:
                    report.unchanged += 1
                if outcome != "unchanged":
                    report.passages += len(prepared.passages)
                    report.chars += len(prepared.article.body)
                for stub in prepared.stubs:
                    self._apply_stub(conn, stub, pending, df_delta, len_delta, now)
            self._flush(conn, pending, df_delta, len_delta)

    # -- one article ----------------------------------------------------------------------
    def _apply(self, conn, prepared, pending, df_delta, len_delta, now) -> str:
        art = prepared.article
        url_norm = _url_norm(art.url)
        row = conn.execute(
            "SELECT rowid, content_hash, added_at, url FROM articles WHERE id = ?", (art.id,)
        ).fetchone()
        if row is not None and row[1] == prepared.content_hash and row[3] != art.url:
            row = (row[0], "", row[2], row[3])  # same content at a new URL: store the new URL
        if row is None and url_norm:
            # The same content under another id at the same URL is a duplicate (feeds re-keying
            # an entry, utm parameters). Different content at a shared URL is another article:
            # corpora such as Aozora Bunko give every passage of a work the work's URL.
            dup = conn.execute(
                "SELECT 1 FROM articles WHERE url_norm = ? AND content_hash = ? AND is_stub = 0 "
                "LIMIT 1",
                (url_norm, prepared.content_hash),
            ).fetchone()
            if dup is not None:
                return "unchanged"
        if row is not None and row[1] == prepared.content_hash:
            return "unchanged"
        added_at = now
        if row is not None:
            added_at = row[2]
            self._delete_rowid(conn, row[0], df_delta, len_delta)
        if not art.is_stub:  # a real article replaces the stub of the same title
            for (stub_rowid,) in conn.execute(
                "SELECT rowid FROM articles WHERE title_norm = ? AND is_stub = 1",
                (normalize_title(art.title),),
            ).fetchall():
                self._delete_rowid(conn, stub_rowid, df_delta, len_delta)
        self._insert(conn, prepared, url_norm, added_at, now, pending, df_delta, len_delta)
        return "updated" if row is not None else "added"

    def _apply_stub(self, conn, stub, pending, df_delta, len_delta, now) -> None:
        exists = conn.execute(
            "SELECT 1 FROM articles WHERE title_norm = ? OR id = ? LIMIT 1",
            (normalize_title(stub.article.title), stub.article.id),
        ).fetchone()
        if exists is None:
            url_norm = _url_norm(stub.article.url)
            self._insert(conn, stub, url_norm, now, now, pending, df_delta, len_delta)

    def _insert(
        self, conn, prepared, url_norm, added_at, now, pending, df_delta, len_delta
    ) -> None:
        art = prepared.article
        meta = {
            "headings": [s.heading for s in art.sections if s.heading],
            "references": list(art.references),
            "related": [[x.title, x.summary, x.url] for x in art.related],
            "latest": [[x.title, x.summary, x.url] for x in art.latest],
        }
        cur = conn.execute(
            "INSERT INTO articles (id, url, url_norm, title, title_norm, published_at, published_ts, "
            "category, source, is_stub, body, meta, content_hash, added_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                art.id,
                art.url,
                url_norm,
                art.title,
                normalize_title(art.title),
                art.published_at.isoformat() if art.published_at else None,
                art.published_at.timestamp() if art.published_at else None,
                art.category,
                art.source,
                int(art.is_stub),
                art.body,
                json.dumps(meta, ensure_ascii=False),
                prepared.content_hash,
                added_at,
                now,
            ),
        )
        rowid = cur.lastrowid
        ts = art.published_at.timestamp() if art.published_at else float("nan")
        for passage, counts in zip(prepared.passages, prepared.counts, strict=True):
            dl = sum(counts.values())
            pid = conn.execute(
                "INSERT INTO passages (article_rowid, ordinal, heading, start, end, dl) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (rowid, passage.ordinal, passage.heading, passage.start, passage.end, dl),
            ).lastrowid
            assert pid is not None
            self._docs.append((pid, dl, ts, art.is_stub, rowid))
            for term, tf in counts.items():
                pending[term].append((pid, min(tf, MAX_TF)))
            df_delta.update(counts.keys())
            len_delta[0] += 1
            len_delta[1] += dl

    def _delete_rowid(self, conn, rowid: int, df_delta, len_delta) -> None:
        """Remove an article: its passages become tombstones and leave the statistics exactly."""
        title, body = conn.execute(
            "SELECT title, body FROM articles WHERE rowid = ?", (rowid,)
        ).fetchone()
        title_terms = Counter(self.tokenizer.terms(title))
        rows = conn.execute(
            "SELECT pid, heading, start, end, dl FROM passages WHERE article_rowid = ?", (rowid,)
        ).fetchall()
        for pid, heading, start, end, dl in rows:
            counts = passage_terms(self.tokenizer, title_terms, heading, body[start:end])
            df_delta.subtract(counts.keys())
            len_delta[0] -= 1
            len_delta[1] -= dl
            conn.execute("INSERT OR IGNORE INTO tombstones(pid) VALUES (?)", (pid,))
        conn.execute("DELETE FROM passages WHERE article_rowid = ?", (rowid,))
        conn.execute("DELETE FROM articles WHERE rowid = ?", (rowid,))

    def delete(self, article_id: str) -> bool:
        """Delete one article by id (a transaction of its own); False if there is none."""
        with self.store.transaction() as conn:
            row = conn.execute("SELECT rowid FROM articles WHERE id = ?", (article_id,)).fetchone()
            if row is None:
                return False
            df_delta: Counter[str] = Counter()
            len_delta = [0, 0]
            self._delete_rowid(conn, row[0], df_delta, len_delta)
            self._flush(conn, {}, df_delta, len_delta)
        return True

    # -- statistics and the new segment ----------------------------------------------------
    def _flush(self, conn, pending, df_delta, len_delta) -> None:
        if not pending and not any(df_delta.values()) and not any(len_delta):
            return  # nothing changed: leave the file (and the generation) untouched
        terms = [t for t, d in df_delta.items() if d] + [t for t in pending if not df_delta[t]]
        tids = _term_ids(conn, list(dict.fromkeys(terms)))
        updates = [(d, tids[t]) for t, d in df_delta.items() if d]
        conn.executemany("UPDATE terms SET df = df + ? WHERE tid = ?", updates)
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        n_docs = int(meta.get("n_docs", 0)) + len_delta[0]
        total = int(meta.get("total_len", 0)) + len_delta[1]
        seg = int(meta.get("next_seg", 1))
        if pending:
            rows = []
            for term, plist in pending.items():
                arr = np.array(plist, dtype=np.int64)
                order = np.argsort(arr[:, 0], kind="stable")
                ids = arr[order, 0].astype("<i4").tobytes()
                tfs = arr[order, 1].astype("<u2").tobytes()
                rows.append((tids[term], seg, ids, tfs))
            conn.executemany("INSERT INTO postings (tid, seg, ids, tfs) VALUES (?, ?, ?, ?)", rows)
            seg += 1
        if self._docs:
            doctable.append_chunk(conn, *zip(*sorted(self._docs), strict=True))
            self._docs = []
        conn.executemany(
            "INSERT INTO meta(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [
                ("n_docs", str(n_docs)),
                ("total_len", str(total)),
                ("next_seg", str(seg)),
                ("small_segs", str(int(meta.get("small_segs", 0)) + (1 if pending else 0))),
                ("generation", str(int(meta.get("generation", 0)) + 1)),
            ],
        )


def _term_ids(conn, terms: list[str]) -> dict[str, int]:
    """Term → tid, creating the missing terms with df 0."""
    tids: dict[str, int] = {}
    for i in range(0, len(terms), 500):
        chunk = terms[i : i + 500]
        marks = ",".join("?" * len(chunk))
        tids.update(
            conn.execute(f"SELECT term, tid FROM terms WHERE term IN ({marks})", chunk).fetchall()
        )
    missing = [t for t in terms if t not in tids]
    if missing:
        next_tid = (conn.execute("SELECT max(tid) FROM terms").fetchone()[0] or 0) + 1
        new = [(next_tid + i, t) for i, t in enumerate(missing)]
        conn.executemany("INSERT INTO terms (tid, term, df) VALUES (?, ?, 0)", new)
        tids.update((t, tid) for tid, t in new)
    return tids


FOLDED_BASE = 1 << 40  # segment numbers from here on are folded (level-2) segments
FOLD_AFTER = 8  # small segments are folded into one level-2 segment past this many
MAIN_AFTER = 8  # level-2 segments merged into the main segment past this many


def segment_levels(store: IndexStore) -> tuple[int, int]:
    """(small segments, folded segments) currently in the postings."""
    small = store.meta_int("small_segs")
    folded = store.meta_int("folded_segs")
    return small, folded


def compact(store: IndexStore) -> str | None:
    """Keep the number of segments a query reads small, cheaply (a size-tiered policy).

    Past FOLD_AFTER small segments they are folded into one level-2 segment (rewriting only the
    small ones); past MAIN_AFTER level-2 segments everything goes into the main segment.
    Returns what was done, or None.
    """
    small, folded = segment_levels(store)
    if folded > MAIN_AFTER:
        merge_segments(store)
        return "main"
    if small > FOLD_AFTER:
        merge_segments(store, fold=True)
        return "fold"
    return None


def merge_segments(
    store: IndexStore, *, full: bool = False, fold: bool = False, chunk_terms: int = 4000
) -> int:
    """Merge segments; results are identical before, during and after (queries read them all).

    - default: every segment goes into the main segment 0 (appending: main keeps its prefix);
    - ``fold``: only the small segments, into one new level-2 segment (main untouched);
    - ``full``: everything into main, purging deleted passages (tombstones) as well.

    Works in chunks of terms, each its own short transaction, so writers and readers keep going.
    Returns the number of terms rewritten.
    """
    conn = store.conn
    dead = store.tombstones() if full else np.zeros(0, dtype=np.int64)
    dead.sort()
    if full:  # every term, every row
        which, where = "seg >= 0", "seg >= 0"
    elif fold:  # terms with small segments; only those rows
        which = where = f"seg > 0 AND seg < {FOLDED_BASE}"
    else:  # terms with any segment besides main; all their rows, main included
        which, where = "seg > 0", "seg >= 0"
    tids = [
        r[0] for r in conn.execute(f"SELECT DISTINCT tid FROM postings WHERE {which} ORDER BY tid")
    ]
    if fold:
        target = FOLDED_BASE + store.meta_int("next_folded", 0)
    for i in range(0, len(tids), chunk_terms):
        chunk = tids[i : i + chunk_terms]
        with store.transaction():
            marks = ",".join("?" * len(chunk))
            rows = conn.execute(
                f"SELECT tid, seg, ids, tfs FROM postings WHERE tid IN ({marks}) AND {where} "
                "ORDER BY tid, seg",
                chunk,
            ).fetchall()
            grouped: dict[int, list[tuple[bytes, bytes]]] = defaultdict(list)
            for tid, _seg, ids, tfs in rows:
                grouped[tid].append((ids, tfs))
            out = []
            for tid, parts in grouped.items():
                ids = np.concatenate([np.frombuffer(p[0], dtype="<i4") for p in parts])
                tfs = np.concatenate([np.frombuffer(p[1], dtype="<u2") for p in parts])
                if len(dead):
                    keep = ~np.isin(ids, dead, assume_unique=False)
                    ids, tfs = ids[keep], tfs[keep]
                order = np.argsort(ids, kind="stable")
                ids, tfs = ids[order], tfs[order]
                if len(ids):
                    out.append((tid, ids.astype("<i4").tobytes(), tfs.astype("<u2").tobytes()))
            conn.executemany(f"DELETE FROM postings WHERE tid IN ({marks}) AND {where}", [chunk])
            conn.executemany(
                f"INSERT INTO postings (tid, seg, ids, tfs) VALUES (?, {target if fold else 0}, ?, ?)",
                out,
            )
            meta: dict[str, object] = {"generation": store.meta_int("generation") + 1}
            if full:  # main blobs may shrink: searchers must drop every cached main segment
                meta["merge_gen"] = store.meta_int("merge_gen") + 1
            store.set_meta(meta)
    with store.transaction():
        if fold:
            store.set_meta(
                {
                    "small_segs": 0,
                    "folded_segs": store.meta_int("folded_segs") + 1,
                    "next_folded": store.meta_int("next_folded") + 1,
                }
            )
        else:
            store.set_meta({"small_segs": 0, "folded_segs": 0})
    if full:
        with store.transaction():
            doctable.rebuild(conn)  # one chunk per 100k passages, deleted ones left out
            conn.executemany("DELETE FROM tombstones WHERE pid = ?", [(int(p),) for p in dead])
            conn.execute(
                "DELETE FROM terms WHERE df <= 0 AND tid NOT IN (SELECT tid FROM postings)"
            )
    return len(tids)


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
        batch.append(prepare(article, tokenizer))
        if len(batch) >= batch_size:
            writer.write(batch, report)
            batch = []
    if batch:
        writer.write(batch, report)
    compact(store)
    return report
