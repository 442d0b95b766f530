"""Operations on a database file: online backup, verified restore, integrity and index checks.

Read-only except :func:`restore`, which replaces the file atomically.
"""

from __future__ import annotations

import os
import random
import shutil
import sqlite3
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index.errors import DatabaseError
from index.schema import SCHEMA_VERSION
from index.store import SQLITE_HEADER, IndexStore
from index.tokenizer import JapaneseTokenizer
from index.writer import passage_terms


@dataclass
class CheckReport:
    ok: bool = True
    problems: list[str] = field(default_factory=list)
    facts: dict[str, object] = field(default_factory=dict)

    def fail(self, message: str) -> None:
        self.ok = False
        self.problems.append(message)


def backup(
    db: Path,
    dest: Path,
    *,
    pages_per_step: int = 256,
    pause: float = 0.0,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Copy a live database with SQLite's online backup API, a few pages at a time.

    Readers and the writer keep working during the copy (in WAL mode the copy's one read
    transaction blocks neither; the WAL grows until it ends). The copy is written to ``dest`` via a temporary file and verified before it is kept.
    Measured (bench/bench_backup.py, 1.1 GB index, 2 cores): 2.3 s with the defaults, while a
    serving thread's search p50/p99 stayed at their idle 3.2/12 ms; ``pause`` only slows the copy.
    The copy is the state committed when it started, however much is written meanwhile.
    """
    dest = Path(dest)
    if dest.exists() and dest.is_dir():
        dest = dest / f"kiji-{time.strftime('%Y%m%d-%H%M%S')}.db"
    tmp = dest.with_name(dest.name + ".partial")
    src = IndexStore.open(db, create=False)
    try:
        target = sqlite3.connect(tmp)
        try:

            def step(status: int, remaining: int, total: int) -> None:
                if progress:
                    progress(total - remaining, total)
                if pause:
                    time.sleep(pause)

            # Hold one read transaction on the source for the whole copy: every step then reads
            # the same snapshot, so commits by other connections (WAL: never blocked by this)
            # no longer make SQLite restart the copy from page 1, which under a steady writer
            # meant never finishing. The WAL grows until the copy ends.
            with src.snapshot() as conn:
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # starts it
                conn.backup(target, pages=pages_per_step, progress=step)
            target.execute("PRAGMA journal_mode = DELETE")
            result = target.execute("PRAGMA quick_check").fetchone()[0]
            if result != "ok":
                raise DatabaseError(
                    f"the backup failed its check ({result}); the source may be damaged"
                )
        finally:
            target.close()
    finally:
        src.close()
    os.replace(tmp, dest)
    return dest


def verify_file(path: Path) -> CheckReport:
    """Integrity of a database file that is not in use (used before a restore)."""
    report = CheckReport()
    if not path.exists():
        report.fail(f"{path} does not exist")
        return report
    with path.open("rb") as f:
        if f.read(16) != SQLITE_HEADER:
            report.fail(f"{path} is not a SQLite database")
            return report
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = conn.execute("PRAGMA integrity_check").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = {
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
        finally:
            conn.close()
    except sqlite3.DatabaseError as e:
        report.fail(f"{path} cannot be read: {e}")
        return report
    if result != "ok":
        report.fail(f"integrity check failed: {result}")
    if not {"articles", "passages", "terms", "postings"} <= tables:
        report.fail(f"{path} is a SQLite file but not a kiji database")
    if version > SCHEMA_VERSION:
        report.fail(f"schema version {version} is newer than this kiji ({SCHEMA_VERSION})")
    report.facts["schema_version"] = version
    return report


def restore(backup_path: Path, db: Path) -> None:
    """Replace ``db`` with a verified copy of ``backup_path`` (stop the bot first)."""
    report = verify_file(backup_path)
    if not report.ok:
        raise DatabaseError("the backup was not restored: " + "; ".join(report.problems))
    db.parent.mkdir(parents=True, exist_ok=True)
    tmp = db.with_name(db.name + ".restoring")
    shutil.copyfile(backup_path, tmp)
    for suffix in ("-wal", "-shm"):
        stale = Path(str(db) + suffix)
        if stale.exists():
            stale.unlink()
    os.replace(tmp, db)
    IndexStore.open(db).close()  # migrates an older backup forward


def check(
    db: Path, tokenizer: JapaneseTokenizer | None = None, *, sample: int = 200
) -> CheckReport:
    """``PRAGMA integrity_check`` plus index consistency: the postings agree with the passages.

    Verifies the document count and total length, every term's document frequency against its
    live postings, that postings only name existing or tombstoned passages, and — for a random
    sample of passages — that re-tokenising the text gives exactly the stored postings.
    """
    report = verify_file(db)
    if not report.ok:
        return report
    store = IndexStore.open(db, create=False)
    try:
        with store.snapshot() as conn:
            n_docs, total = conn.execute(
                "SELECT count(*), ifnull(sum(dl), 0) FROM passages"
            ).fetchone()
            meta = store.meta()
            report.facts.update({"passages": n_docs, "articles": store.stats()["articles"]})
            if int(meta.get("n_docs", 0)) != n_docs:
                report.fail(f"passage count {meta.get('n_docs')} in meta, {n_docs} in passages")
            if int(meta.get("total_len", 0)) != total:
                report.fail(f"total length {meta.get('total_len')} in meta, {total} in passages")
            live = {r[0] for r in conn.execute("SELECT pid FROM passages")}
            dead = {r[0] for r in conn.execute("SELECT pid FROM tombstones")}
            live_arr = np.fromiter(live, dtype=np.int64) if live else np.zeros(0, dtype=np.int64)
            live_arr.sort()
            counted: Counter[int] = Counter()
            unknown = 0
            for tid, ids in conn.execute("SELECT tid, ids FROM postings"):
                arr = np.frombuffer(ids, dtype="<i4").astype(np.int64)
                is_live = np.isin(arr, live_arr, assume_unique=True)
                counted[tid] += int(is_live.sum())
                stray = arr[~is_live]
                unknown += sum(1 for p in stray.tolist() if p not in dead)
            bad_df = 0
            for tid, term, df in conn.execute("SELECT tid, term, df FROM terms"):
                if counted.get(tid, 0) != df:
                    bad_df += 1
                    if bad_df <= 5:
                        report.fail(
                            f"term {term!r}: df {df} but {counted.get(tid, 0)} live postings"
                        )
            if bad_df > 5:
                report.fail(f"… {bad_df} terms in all with a wrong document frequency")
            if unknown:
                report.fail(f"{unknown} postings name passages that do not exist")
            report.facts["terms"] = len(counted)
            if tokenizer is not None and live:
                pids = random.Random(0).sample(sorted(live), min(sample, len(live)))
                mismatched = _sample_postings(store, tokenizer, pids)
                report.facts["sampled_passages"] = len(pids)
                if mismatched:
                    report.fail(
                        f"{mismatched} of {len(pids)} sampled passages disagree with their postings"
                    )
    finally:
        store.close()
    return report


def _sample_postings(store: IndexStore, tokenizer: JapaneseTokenizer, pids: list[int]) -> int:
    conn = store.conn
    mismatched = 0
    for pid in pids:
        title, heading, text = conn.execute(
            "SELECT a.title, p.heading, substr(a.body, p.start + 1, p.end - p.start) FROM passages p "
            "JOIN articles a ON a.rowid = p.article_rowid WHERE p.pid = ?",
            (pid,),
        ).fetchone()
        expected = passage_terms(tokenizer, Counter(tokenizer.terms(title)), heading, text)
        rows = store.lookup_terms(list(expected))
        if len(rows) != len(expected):
            mismatched += 1
            continue
        for tid, term, _df in rows:
            found = 0
            for _seg, ids, tfs in store.postings(tid):
                arr = np.frombuffer(ids, dtype="<i4")
                i = int(np.searchsorted(arr, pid))
                if i < len(arr) and arr[i] == pid:
                    found = int(np.frombuffer(tfs, dtype="<u2")[i])
            if found != min(expected[term], 65535):
                mismatched += 1
                break
    return mismatched
