"""Operations on a database file: online backup, verified restore, integrity and index checks.

Read-only except :func:`restore`, which replaces the file atomically once the candidate has
passed every check and no other process has the database open.
"""

from __future__ import annotations

import contextlib
import errno
import os
import random
import shutil
import sqlite3
import stat
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index.analysis.tokenizer import JapaneseTokenizer
from index.errors import DatabaseError, NewsIndexError
from index.messages import Lang, Msg
from index.ranking.fusion import is_signal
from index.store import checks, dblock
from index.store.schema import SCHEMA_VERSION
from index.store.segments import kept_bytes_differ
from index.store.sqlite_store import SqliteStore
from index.store.store import SQLITE_HEADER, IndexStore
from index.store.vectors import unpack
from index.store.writer import indexed_terms, passage_terms


@dataclass
class CheckReport:
    """What ``kiji check`` found: each problem as a catalogue message, said in the reader's
    language by :meth:`texts` (``problems`` gives them in English, for logs and ``--json``)."""

    ok: bool = True
    findings: list[Msg] = field(default_factory=list)
    facts: dict[str, object] = field(default_factory=dict)

    def fail(self, key: str, /, **params: object) -> None:
        self.add(Msg(key, params))

    def add(self, problem: Msg) -> None:
        self.ok = False
        self.findings.append(problem)

    @property
    def problems(self) -> list[str]:
        return self.texts("en")

    def texts(self, lang: Lang) -> list[str]:
        return [m.text(lang) for m in self.findings]


class WriteFailed(DatabaseError):
    """A backup or restore could not write its file (disk full, I/O error); nothing changed."""


def _partial_files(path: Path) -> list[Path]:
    return [path, *(Path(f"{path}{suffix}") for suffix in ("-journal", "-wal", "-shm"))]


def _remove(paths: list[Path]) -> None:
    for p in paths:
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


def storage_problem(error: BaseException) -> Msg | str:
    """One line for a failed write: a full disk says so, anything else keeps SQLite's words."""
    text = str(error)
    errno_ = getattr(error, "errno", None)
    if errno_ in (errno.ENOSPC, errno.EDQUOT) or "database or disk is full" in text:
        return Msg("storage_full")
    if errno_ == errno.EFBIG:
        return Msg("storage_too_large")
    return text or type(error).__name__


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
    transaction blocks neither; the WAL grows until it ends). The copy is written to ``dest`` via
    a temporary ``.partial`` file and verified before it is kept; when anything fails (disk full,
    an unwritable directory) the partial file is removed and :class:`DatabaseError` says why.
    Measured (bench/bench_backup.py, 1.1 GB index, 2 cores): 2.3 s with the defaults, while a
    serving thread's search p50/p99 stayed at their idle 3.2/12 ms; ``pause`` only slows the copy.
    The copy is the state committed when it started, however much is written meanwhile.
    """
    dest = Path(dest)
    if dest.exists() and dest.is_dir():
        dest = dest / f"kiji-{time.strftime('%Y%m%d-%H%M%S')}.db"
    if not dest.parent.is_dir():
        raise DatabaseError.keyed("backup_no_directory", dir=dest.parent)
    tmp = dest.with_name(dest.name + ".partial")
    src = SqliteStore.open_file(db, create=False)
    try:
        _remove(_partial_files(tmp))  # a leftover of an earlier, killed backup

        def step(status: int, remaining: int, total: int) -> None:
            if progress:
                progress(total - remaining, total)
            if pause:
                time.sleep(pause)

        result = checks.copy_snapshot(src, tmp, pages_per_step=pages_per_step, step=step)
        if result != "ok":
            raise DatabaseError.keyed("backup_failed_check", result=result)
        os.replace(tmp, dest)
    except (sqlite3.Error, OSError) as e:
        _remove(_partial_files(tmp))
        reason = storage_problem(e)
        with contextlib.suppress(OSError):  # SQLite reports some ENOSPC as a plain I/O error
            free, needed = shutil.disk_usage(dest.parent).free, db.stat().st_size
            if free < needed:
                reason = Msg("backup_no_space", {"free": free // 1024, "needed": needed // 1024})
        raise WriteFailed.keyed("backup_not_written", dest=dest, reason=reason) from e
    except BaseException:
        _remove(_partial_files(tmp))
        raise
    finally:
        src.close()
    return dest


def file_header(path: Path, directory_key: str) -> Msg | bytes:
    """The first 16 bytes of the regular file ``path``, or why it cannot be read
    (``directory_key`` names the message for a directory)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return Msg("file_missing", {"path": path})
    except OSError as e:
        return Msg("file_unreadable", {"path": path, "error": e.strerror or e})
    if stat.S_ISDIR(st.st_mode):
        return Msg(directory_key, {"path": path})
    if not stat.S_ISREG(st.st_mode):
        return Msg("file_not_regular", {"path": path})
    try:
        with path.open("rb") as f:
            return f.read(16)
    except OSError as e:
        return Msg("file_unreadable", {"path": path, "error": e.strerror or e})


def _readable_file(path: Path) -> Msg | None:
    """Why ``path`` cannot be read as a database file, or None."""
    header = file_header(path, "file_is_directory")
    if isinstance(header, Msg):
        return header
    if header != SQLITE_HEADER:
        return Msg("file_not_sqlite", {"path": path})
    return None


def verify_file(path: Path) -> CheckReport:
    """Integrity of a database file that is not in use (used before a restore)."""
    report = CheckReport()
    problem = _readable_file(path)
    if problem is not None:
        report.add(problem)
        return report
    try:
        facts = checks.file_facts(path)
    except sqlite3.DatabaseError as e:
        report.fail("check_unreadable", path=path, error=e)
        return report
    if facts.integrity != "ok":
        report.fail("check_integrity", result=facts.integrity)
    if not facts.is_kiji:
        report.fail("check_not_kiji", path=path)
    if facts.version > SCHEMA_VERSION:
        report.fail("check_schema_newer", version=facts.version, current=SCHEMA_VERSION)
    report.facts["schema_version"] = facts.version
    return report


def inspect_readonly(db: Path) -> dict[str, object]:
    """Schema version, article and passage counts, and schema problems of ``db``, read through a
    ``mode=ro`` connection: nothing is created, migrated or written (``kiji doctor``)."""
    problem = _readable_file(db)
    if problem is not None:
        raise DatabaseError.keyed(problem.key, **problem.params)
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    except sqlite3.Error as e:
        raise DatabaseError.keyed("db_not_opened_readonly", db=db, error=e) from e
    try:
        return checks.readonly_facts(conn)
    except sqlite3.Error as e:
        raise DatabaseError.keyed("db_not_read", db=db, error=e) from e
    finally:
        conn.close()


def restore(
    backup_path: Path,
    db: Path,
    tokenizer: JapaneseTokenizer | None = None,
    *,
    sample: int = 200,
) -> CheckReport:
    """Replace ``db`` with a fully verified copy of ``backup_path``; the database is unchanged
    unless every step succeeds.

    1. The backup is copied beside ``db`` (``<db>.restoring``, same file system) and only the
       copy is used from then on; it is migrated to this kiji's schema.
    2. The copy must pass what ``kiji check`` checks: ``PRAGMA integrity_check``, every kiji
       table with exactly this kiji's columns, and the postings agreeing with the passages
       (re-tokenising a sample when ``tokenizer`` is given). Otherwise :class:`DatabaseError`.
    3. The swap happens under the exclusive lock of :mod:`index.store.dblock`: when any other process
       has the database open it is refused with :class:`~index.store.dblock.DatabaseInUse` naming the
       processes, so no running process keeps serving (or writing to) the replaced file.

    The copy is removed whatever happens. Returns the report of the checks.
    """
    backup_path, db = Path(backup_path), Path(db)
    problem = _readable_file(backup_path)  # the full checks run on the copy
    if problem is not None:
        raise DatabaseError.keyed("restore_unusable", problem=problem)
    db.parent.mkdir(parents=True, exist_ok=True)
    tmp = db.with_name(db.name + ".restoring")
    partial = _partial_files(tmp)
    try:
        _remove(partial)
        try:
            shutil.copyfile(backup_path, tmp)
        except OSError as e:
            raise WriteFailed.keyed("restore_copy_failed", db=db, problem=storage_problem(e)) from e
        report = check(tmp, tokenizer, sample=sample, lock=False)
        if not report.ok:
            raise DatabaseError.keyed("restore_failed_checks", problems=report.findings)
        with dblock.exclusive(db):
            for suffix in ("-wal", "-shm", "-journal"):  # they belong to the file being replaced
                with contextlib.suppress(FileNotFoundError):
                    Path(f"{db}{suffix}").unlink()
            os.replace(tmp, db)
            _fsync_dir(db.parent)
    finally:
        _remove(partial)
    return report


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def check(
    db: Path | str,
    tokenizer: JapaneseTokenizer | None = None,
    *,
    sample: int = 200,
    lock: bool = True,
) -> CheckReport:
    """``PRAGMA integrity_check`` plus index consistency: the postings agree with the passages.

    Verifies the document count and total length, every term's document frequency against its
    live postings, that postings only name existing or tombstoned passages, and — for a random
    sample of passages — that re-tokenising the text gives exactly the stored postings.
    """
    report = verify_file(db) if isinstance(db, Path) else CheckReport()  # a file, or a URL
    if not report.ok:
        return report
    try:
        store = IndexStore.open(db, create=False, lock=lock)
    except NewsIndexError as e:  # e.g. a migration that cannot apply to these tables
        report.add(e.msg or Msg("check_error", {"error": str(e)}))
        return report
    try:
        for problem in store.schema_problems():
            report.add(problem)
        if not report.ok:
            return report
        with store.snapshot() as conn:
            totals = checks.passage_totals(conn)
            n_docs, total = totals.count, totals.length
            meta = store.meta()
            report.facts.update({"passages": n_docs, "articles": store.stats()["articles"]})
            if int(meta.get("n_docs", 0)) != n_docs:
                report.fail("check_passage_count", meta=meta.get("n_docs"), actual=n_docs)
            if int(meta.get("total_len", 0)) != total:
                report.fail("check_total_length", meta=meta.get("total_len"), actual=total)
            for name, signal_total in totals.signal_lengths.items():  # index.ranking.fusion
                stored = meta.get(f"total_len_{name}", 0)
                if int(stored) != signal_total:
                    report.fail("check_signal_length", name=name, meta=stored, actual=signal_total)
            if "signals_missing_below" in meta:
                report.facts["fusion"] = Msg("fact_fusion_missing")
            live, dead = checks.passage_ids(conn)
            live_arr = np.fromiter(live, dtype=np.int64) if live else np.zeros(0, dtype=np.int64)
            live_arr.sort()
            counted: Counter[int] = Counter()
            unknown = 0
            seg_bytes: Counter[int] = Counter()
            for tid, seg, ids in checks.all_postings_ids(conn):
                seg_bytes[seg] += len(ids)
                arr = np.frombuffer(ids, dtype="<i4").astype(np.int64)
                is_live = np.isin(arr, live_arr, assume_unique=True)
                counted[tid] += int(is_live.sum())
                stray = arr[~is_live]
                unknown += sum(1 for p in stray.tolist() if p not in dead)
            signal_tids: list[np.ndarray] = []  # index.store.vectors: one row per passage
            for pid, tids in checks.all_signal_vectors(conn):
                if pid in live:
                    signal_tids.append(np.frombuffer(tids, dtype="<i4"))
                elif pid not in dead:
                    unknown += 1
            if signal_tids:
                used, n_used = np.unique(np.concatenate(signal_tids), return_counts=True)
                counted.update(dict(zip(used.tolist(), n_used.tolist(), strict=True)))
            bad_df = 0
            listed: set[int] = set()
            for tid, term, df in checks.all_terms(conn):
                listed.add(tid)
                if counted.get(tid, 0) != df:
                    bad_df += 1
                    if bad_df <= 5:
                        live_n = counted.get(tid, 0)
                        report.fail("check_term_df", term=term, df=df, live=live_n)
            for tid, live_n in counted.items():  # in live passages, missing from the dictionary
                if live_n and tid not in listed:
                    bad_df += 1
                    if bad_df <= 5:
                        name = checks.term_name(tid)
                        report.fail("check_term_df", term=name, df=0, live=live_n)
            if bad_df > 5:
                report.fail("check_terms_df_total", n=bad_df)
            if unknown:
                report.fail("check_unknown_postings", n=unknown)
            for segment, stored, actual in kept_bytes_differ(meta, seg_bytes):
                report.fail("check_segment_bytes", segment=segment, meta=stored, actual=actual)
            report.facts["terms"] = len(counted)
            if tokenizer is not None and live:
                pids = random.Random(0).sample(sorted(live), min(sample, len(live)))
                mismatched = _sample_postings(store, tokenizer, pids)
                report.facts["sampled_passages"] = len(pids)
                if mismatched:
                    report.fail("check_sample_mismatch", n=mismatched, sampled=len(pids))
    finally:
        store.close()
    return report


def _sample_postings(store: IndexStore, tokenizer: JapaneseTokenizer, pids: list[int]) -> int:
    conn = store.conn
    mismatched = 0
    below = store.meta_int("signals_missing_below", 0)
    for pid in pids:
        title, heading, text = checks.passage_text(conn, pid)
        if pid < below:  # indexed before schema 3: word terms only
            expected = passage_terms(tokenizer, Counter(tokenizer.terms(title)), heading, text)
        else:  # words and fusion signal terms
            expected = indexed_terms(tokenizer, title, heading, text)
        rows = store.lookup_terms(list(expected))
        if len(rows) != len(expected):
            mismatched += 1
            continue
        vector = store.signal_vectors([pid])  # the fusion signal terms' counts
        _, vtids, vtfs = unpack(vector)
        signal_tf = dict(zip(vtids.tolist(), vtfs.tolist(), strict=True))
        for tid, term, _df in rows:
            found = signal_tf.get(tid, 0) if is_signal(term) else 0
            for _seg, ids, tfs in store.postings(tid):
                arr = np.frombuffer(ids, dtype="<i4")
                i = int(np.searchsorted(arr, pid))
                if i < len(arr) and arr[i] == pid:
                    found = int(np.frombuffer(tfs, dtype="<u2")[i])
            if found != min(expected[term], 65535):
                mismatched += 1
                break
    return mismatched
