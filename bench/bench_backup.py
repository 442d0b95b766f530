"""`kiji backup` of a large index while it serves: query latency during the copy.

    python bench/bench_backup.py [--db PATH] [--steps 256:0,64:0.002] [--ask] [--idle 1000]

``--db`` defaults to /tmp/big.db when it exists; otherwise one is built (livedoor + Aozora parts,
one ``kiji ingest`` per file, until the file is at least ``--min-mb``). One thread runs JSQuAD
queries continuously (its own store and searcher; ``--ask`` uses the whole answer path) and
records every latency, first idle, then while another thread runs :func:`index.ops.ops.backup` with
each ``pages_per_step:pause`` setting. Reports max and p99 query latency during each backup
(target: none slower than 100 ms), the backup's duration and size. Skips without ../shared.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import AOZORA, LIVEDOOR, header, jsquad, pct, require_shared, table
from index.analysis.tokenizer import JapaneseTokenizer
from index.answer.answer import Answerer
from index.ops.ops import backup
from index.search.search import Searcher
from index.store.store import IndexStore

JST = timezone(timedelta(hours=9))
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=JST)
DEFAULT_BIG = Path("/tmp/big.db")
SLOW_MS = 100.0


def size_mb(db: Path) -> float:
    return sum(p.stat().st_size for p in (db, Path(f"{db}-wal")) if p.exists()) / 1e6


def build(db: Path, min_mb: float) -> str:
    """Ingest livedoor, then Aozora parts, until the file holds at least ``min_mb``."""
    used = []
    for src in (LIVEDOOR, *AOZORA):
        subprocess.run(
            [sys.executable, "-m", "index.cli", "ingest", "--db", str(db), str(src)],
            check=False,
            capture_output=True,
        )
        used.append(src.name)
        if size_mb(db) >= min_mb:
            break
    return ", ".join(used)


class Querier:
    """Runs queries back to back in its own thread until stopped, timing each one."""

    def __init__(self, db: Path, tokenizer: JapaneseTokenizer, questions: list[str], ask: bool):
        self.db, self.tokenizer, self.questions, self.ask = db, tokenizer, questions, ask
        self.latencies: list[float] = []
        self.times: list[float] = []  # perf_counter at each query's end
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._i = 0

    def run(self, n: int | None = None) -> list[float]:
        """Query ``n`` times here, or until :meth:`stop` when started as a thread."""
        store = IndexStore.open(self.db, create=False)  # one store per thread
        try:
            searcher = Searcher(store, self.tokenizer)
            answerer = Answerer(store, searcher, self.tokenizer)
            out: list[float] = []
            while (n is None and not self._stop.is_set()) or (n is not None and len(out) < n):
                q = self.questions[self._i % len(self.questions)]
                self._i += 1
                t0 = time.perf_counter()
                try:
                    if self.ask:
                        answerer.ask(q, now=NOW)
                    else:
                        searcher.search(q, k=10)
                except Exception as e:
                    self.errors.append(f"{type(e).__name__}: {e}")
                    continue
                end = time.perf_counter()
                out.append((end - t0) * 1000)
                if n is None:
                    self.times.append(end)
            return out
        finally:
            store.close()

    def rewind(self) -> None:
        self._i = 0

    def start(self) -> None:
        self._stop.clear()
        self.latencies = []
        self.times = []
        self._thread = threading.Thread(target=lambda: self.latencies.extend(self.run()))
        self._thread.start()

    def stop(self) -> list[float]:
        self._stop.set()
        assert self._thread is not None
        self._thread.join()
        return self.latencies


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--db", type=Path, help=f"the index to back up (default {DEFAULT_BIG})")
    ap.add_argument("--min-mb", type=float, default=500.0, help="size to build when no --db")
    ap.add_argument("--steps", default="256:0,64:0.002", help="pages_per_step:pause settings")
    ap.add_argument("--ask", action="store_true", help="time the whole answer path, not search")
    ap.add_argument("--idle", type=int, default=4000, help="queries in the idle baseline")
    args = ap.parse_args()
    require_shared()

    tmp = tempfile.TemporaryDirectory(prefix="kiji-backup-")
    db = args.db or DEFAULT_BIG
    built = ""
    if not db.exists():
        db = Path(tmp.name) / "big.db"
        t0 = time.perf_counter()
        built = f" (built here from {build(db, args.min_mb)} in {time.perf_counter() - t0:.0f} s)"
    with IndexStore.open(db, create=False) as store:
        stats = store.stats()

    tokenizer = JapaneseTokenizer()
    _, qs = jsquad()
    querier = Querier(db, tokenizer, [q for q, _, _ in qs], args.ask)
    querier.run(50)  # warm-up: caches and the OS page cache
    querier.rewind()
    idle = querier.run(args.idle)

    rows: list[list[object]] = [
        ["idle (no backup)", "—", "—", "—", len(idle), pct(idle, 50), pct(idle, 99),
         max(idle), sum(v > SLOW_MS for v in idle)],
    ]  # fmt: skip
    phases: list[list[object]] = []
    for setting in args.steps.split(","):
        pages_s, pause_s = setting.split(":")
        pages, pause = int(pages_s), float(pause_s)
        dest = Path(tmp.name) / f"backup-{pages}-{pause}.db"
        querier.rewind()  # the same questions as the idle run, in the same order
        querier.start()
        time.sleep(0.5)  # the querier is running before the backup starts
        copied = [0.0]

        def progress(done: int, total: int, copied: list[float] = copied) -> None:
            if done >= total:
                copied[0] = time.perf_counter()

        t0 = time.perf_counter()
        backup(db, dest, pages_per_step=pages, pause=pause, progress=progress)
        t1 = time.perf_counter()
        took = t1 - t0
        during = querier.stop()
        copy_end = copied[0] or t1
        in_copy = [v for v, t in zip(during, querier.times, strict=True) if t0 <= t <= copy_end]
        in_check = [v for v, t in zip(during, querier.times, strict=True) if copy_end < t <= t1]
        phases.append([f"{pages} pages/step, pause {pause * 1000:g} ms", copy_end - t0,
                       t1 - copy_end, len(in_copy), max(in_copy, default=0.0),
                       sum(v > SLOW_MS for v in in_copy), len(in_check),
                       max(in_check, default=0.0), sum(v > SLOW_MS for v in in_check)])  # fmt: skip
        rows.append([f"backup {pages} pages/step, pause {pause * 1000:g} ms", took,
                     dest.stat().st_size / 1e6, f"{dest.stat().st_size / 1e6 / took:,.0f}",
                     len(during), pct(during, 50), pct(during, 99), max(during, default=0.0),
                     sum(v > SLOW_MS for v in during)])  # fmt: skip
        dest.unlink()

    what = "answers (Answerer.ask)" if args.ask else "searches (Searcher.search, k=10)"
    header(f"Online backup while serving: {what}")
    print(f"Database: {db}{built}: {size_mb(db):,.0f} MB, {stats['articles']:,} articles, "
          f"{stats['passages']:,} passages. One query thread with its own store; the backup in "
          f"another thread (index.ops.ops.backup, verified with quick_check).\n")  # fmt: skip
    table(["phase", "backup s", "backup MB", "MB/s", "queries", "p50 ms", "p99 ms", "max ms",
           f"> {SLOW_MS:g} ms"], rows)  # fmt: skip
    print()
    table(["setting", "copy s", "verify s", "queries in copy", "max ms", f"> {SLOW_MS:g} ms",
           "queries in verify", "max ms", f"> {SLOW_MS:g} ms"], phases)  # fmt: skip
    if querier.errors:
        print(f"\nerrors: {len(querier.errors)}, first: {querier.errors[0]}")
    tmp.cleanup()


if __name__ == "__main__":
    main()
