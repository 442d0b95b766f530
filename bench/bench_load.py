"""100 concurrent askers while another process ingests into the same database file.

    python bench/bench_load.py [--db PATH] [--askers 100] [--idle 2000] [--parts 1]
                               [--threads 4] [--ingest-workers 1] [--sample 200]

Builds an index of the livedoor corpus with ``kiji ingest`` (or copies ``--db`` with the online
backup, so the file given is never written), then runs ``--askers`` asyncio tasks that answer
JSQuAD questions through the real answer path (:meth:`Answerer.ask`) off the event loop: a thread
pool with one IndexStore + Searcher + Answerer per thread. First idle, then while a second process
(``kiji ingest --db SAME``) adds Aozora Bunko parts. Every exception counts as an error
("database is locked" included). Afterwards: the article count must equal what the ingest
reported, ``kiji check`` must pass, and sampled ingested passages must be found by search.
Prints markdown tables. Skips cleanly without ../shared.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import AOZORA, LIVEDOOR, header, jsquad, pct, require_shared, table
from index.analysis.tokenizer import JapaneseTokenizer
from index.answer.answer import Answerer
from index.search.search import Searcher
from index.store.store import IndexStore

JST = timezone(timedelta(hours=9))
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=JST)


@dataclass
class Phase:
    name: str
    e2e_ms: list[float] = field(default_factory=list)  # submit → answer, queueing included
    service_ms: list[float] = field(default_factory=list)  # inside the worker thread
    statuses: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0


class Workers:
    """A thread pool whose threads each own a store, a searcher and an answerer (STYLE)."""

    def __init__(self, db: Path, tokenizer: JapaneseTokenizer, threads: int) -> None:
        self.db = db
        self.tokenizer = tokenizer
        self.local = threading.local()
        self.stores: list[IndexStore] = []
        self.lock = threading.Lock()
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="asker")

    def _answerer(self) -> Answerer:
        answerer = getattr(self.local, "answerer", None)
        if answerer is None:
            store = IndexStore.open(self.db, create=False)
            with self.lock:
                self.stores.append(store)
            answerer = Answerer(store, Searcher(store, self.tokenizer), self.tokenizer)
            self.local.answerer = answerer
        return answerer

    def ask(self, question: str) -> tuple[str, float]:
        t0 = time.perf_counter()
        answer = self._answerer().ask(question, now=NOW)
        return answer.status, (time.perf_counter() - t0) * 1000

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        for store in self.stores:
            store.close()


class BotAskers:
    """The bot's own path: the real AskCog.ask handler driven with fake interactions, over the
    bot's IndexWorker (one reader thread), as ``kiji run`` serves /ask."""

    def __init__(self, cog: object) -> None:
        self.cog = cog

    async def ask_async(self, question: str) -> tuple[str, float]:
        from bench.bench_bot import FakeInteraction

        inter = FakeInteraction()
        t0 = time.perf_counter()
        await self.cog.ask.callback(self.cog, inter, question=question)  # type: ignore[attr-defined]
        if "followup" not in inter.marks:
            raise RuntimeError("the /ask handler sent no followup")
        return "sent", (inter.marks["followup"] - t0) * 1000

    def close(self) -> None:
        pass


async def run_phase(
    workers: Workers | BotAskers,
    questions: itertools.cycle,
    askers: int,
    phase: Phase,
    *,
    total: int | None = None,
    until: subprocess.Popen | None = None,
) -> None:
    """``askers`` tasks ask until ``total`` questions were answered or ``until`` exits."""
    loop = asyncio.get_running_loop()
    done = 0

    def more() -> bool:
        if total is not None:
            return done < total
        return until is not None and until.poll() is None

    async def asker() -> None:
        nonlocal done
        while more():
            done += 1
            question = next(questions)
            t0 = time.perf_counter()
            try:
                if isinstance(workers, BotAskers):
                    status, service = await workers.ask_async(question)
                else:
                    status, service = await loop.run_in_executor(
                        workers.pool, workers.ask, question
                    )
            except Exception as e:  # every exception is an error, "database is locked" included
                phase.errors[f"{type(e).__name__}: {e}"] += 1
                continue
            phase.e2e_ms.append((time.perf_counter() - t0) * 1000)
            phase.service_ms.append(service)
            phase.statuses[status] += 1

    t0 = time.perf_counter()
    await asyncio.gather(*(asker() for _ in range(askers)))
    phase.seconds = time.perf_counter() - t0


def start(cmd: list[str], nice: int = 0) -> subprocess.Popen:
    """The second process; it starts in milliseconds, so a blocking call is fine on the loop."""
    prefix = ["nice", "-n", str(nice)] if nice else []
    return subprocess.Popen(
        [*prefix, *cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def build_livedoor(db: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "index.cli", "ingest", "--db", str(db), "--json", str(LIVEDOOR)],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode not in (0, 1):  # 1: some records rejected, reported in the summary
        sys.exit(f"kiji ingest failed: {out.stderr}")
    return json.loads(out.stdout)


def aozora_ids(db: Path) -> set[str]:
    with IndexStore.open(db, create=False) as store:
        return {
            r[0]
            for r in store.conn.execute(
                "SELECT id FROM articles WHERE id LIKE 'aozora-%' AND is_stub = 0"
            )
        }


def verify(
    db: Path, tokenizer: JapaneseTokenizer, before: int, known: set[str], report: dict, sample: int
) -> list:
    """Rows for the "after the ingest" table."""
    from index.ops.ops import check

    rows: list[list[object]] = []
    with IndexStore.open(db, create=False) as store:
        articles = int(store.stats()["articles"])
        expected = before + report["added"]
        rows.append(["articles = before + added", f"{articles:,} = {before:,} + {report['added']:,}",
                     "ok" if articles == expected else "MISMATCH"])  # fmt: skip
        ids = sorted(aozora_ids(db) - known)
        rows.append(["ingested articles present", f"{len(ids):,} of {report['added']:,}",
                     "ok" if len(ids) == report["added"] else "MISMATCH"])  # fmt: skip
        searcher = Searcher(store, tokenizer)
        rng = random.Random(7)
        found = same_text = deeper = skipped = 0
        missing: list[str] = []
        picked = rng.sample(ids, min(sample, len(ids)))
        for article_id in picked:
            passages = store.passages_of(article_id)
            pid, _heading, _s, _e, text = passages[rng.randrange(len(passages))]
            query = text.strip()[:60]
            if len(query) < 20:  # 「八」, a chapter number: thousands of passages tie
                skipped += 1
                continue
            try:
                hits = searcher.search(query, k=10).hits
            except Exception:  # a passage of symbols only has no searchable terms
                skipped += 1
                continue
            if any(h.passage_id == pid for h in hits):
                found += 1
            elif any(h.text == text for h in hits):  # the same passage text in another work
                same_text += 1
            elif any(h.passage_id == pid for h in searcher.search(query, k=1000).hits):
                deeper += 1  # indexed, but outranked (short or formulaic passages)
            else:
                missing.append(f"{article_id} {query[:30]!r}")
        rows.append(["sampled passages found by their own text",
                     f"top 10: {found} (+{same_text} identical text elsewhere), top 1000: "
                     f"{deeper} more, of {len(picked) - skipped}",
                     "ok" if not missing else "MISSING: " + "; ".join(missing[:5])])  # fmt: skip
    t0 = time.perf_counter()
    rep = check(db, tokenizer, sample=200)
    rows.append([f"kiji check ({time.perf_counter() - t0:.0f} s)",
                 "; ".join(rep.problems) or "integrity ok, dfs and postings agree",
                 "ok" if rep.ok else "FAILED"])  # fmt: skip
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--db", type=Path, help="an existing index (copied; default: build livedoor)")
    ap.add_argument("--askers", type=int, default=100)
    ap.add_argument("--idle", type=int, default=2000, help="questions in the idle baseline")
    ap.add_argument("--parts", default="00", help="Aozora parts ingested during the load: 00,01")
    ap.add_argument("--threads", type=int, default=4, help="answer threads (one store each)")
    ap.add_argument("--ingest-workers", type=int, default=1, help="tokenising processes")
    ap.add_argument("--sample", type=int, default=200)
    ap.add_argument("--nice", type=int, default=0, help="niceness of the ingest process")
    ap.add_argument(
        "--via-bot",
        action="store_true",
        help="drive the bot's /ask handler (AskCog) with fake interactions instead of threads",
    )
    args = ap.parse_args()
    require_shared()

    tmp = tempfile.TemporaryDirectory(prefix="kiji-load-")
    db = Path(tmp.name) / "load.db"
    t0 = time.perf_counter()
    if args.db:
        from index.ops.ops import backup

        backup(args.db, db)
        built = f"copy of {args.db}"
    else:
        summary = build_livedoor(db)
        built = f"livedoor: {summary['added']:,} articles in {summary['seconds']:.0f} s"
    build_s = time.perf_counter() - t0
    with IndexStore.open(db, create=False) as store:
        before = int(store.stats()["articles"])
        passages_before = int(store.stats()["passages"])
    known = aozora_ids(db)

    tokenizer = JapaneseTokenizer()
    _, qs = jsquad()
    questions = [q for q, _, _ in qs]
    random.Random(1).shuffle(questions)
    cycle = itertools.cycle(questions)
    workers: Workers | BotAskers = Workers(db, tokenizer, args.threads)

    idle = Phase("idle")
    during = Phase("during ingest")
    after = Phase("idle after ingest (bigger index)")
    wanted = {f"part-{p.strip()}" for p in args.parts.split(",")}
    parts = [str(p) for p in AOZORA if any(w in p.name for w in wanted)]
    if not parts:
        sys.exit(f"no Aozora part matches --parts {args.parts}")
    cmd = [sys.executable, "-m", "index.cli", "ingest", "--db", str(db), "--json",
           "--workers", str(args.ingest_workers), *parts]  # fmt: skip

    async def scenario() -> subprocess.Popen:
        if not args.via_bot:
            return await phases()
        nonlocal workers
        from bot.cogs.ask import AskCog
        from bot.state.settings import SettingsStore
        from bot.worker import IndexWorker

        async with (
            await IndexWorker.open(db, tokenizer) as reader,
            await SettingsStore.open(Path(tmp.name) / "settings.db") as settings,
        ):
            workers = BotAskers(AskCog(reader, settings, clock=lambda: NOW))
            return await phases()

    async def phases() -> subprocess.Popen:
        # Warm every thread's caches first so the baseline is the steady state.
        warm = Phase("warm-up")
        await run_phase(workers, cycle, args.askers, warm, total=args.threads * 50)
        await run_phase(workers, cycle, args.askers, idle, total=args.idle)
        proc = start(cmd, args.nice)
        await run_phase(workers, cycle, args.askers, during, until=proc)
        await asyncio.to_thread(proc.wait)
        await run_phase(workers, cycle, args.askers, after, total=args.idle)
        return proc

    proc = asyncio.run(scenario())
    out, err = proc.communicate()
    workers.close()
    if proc.returncode not in (0, 1):
        sys.exit(f"the concurrent ingest failed ({proc.returncode}): {err[-2000:]}")
    report = json.loads(out)

    header(f"Load: {args.askers} concurrent askers, idle vs during a second-process ingest")
    how = (
        "Asked through the bot's /ask handler (AskCog, fake interactions, one IndexWorker "
        "reader thread)."
        if args.via_bot
        else f"Answer threads: {args.threads}, one store each."
    )
    nice = f"nice -n {args.nice} " if args.nice else ""
    print(
        f"Index: {built} ({before:,} articles, {passages_before:,} passages; prepared in "
        f"{build_s:.0f} s). {how} Concurrent writer: `{nice}kiji ingest --workers "
        f"{args.ingest_workers}` of {', '.join(Path(p).name for p in parts)} in another process.\n"
    )
    rows = []
    for ph in (idle, during, after):
        rows.append([ph.name, len(ph.service_ms), sum(ph.errors.values()),
                     len(ph.service_ms) / ph.seconds if ph.seconds else 0.0,
                     pct(ph.service_ms, 50), pct(ph.service_ms, 99), max(ph.service_ms, default=0.0),
                     pct(ph.e2e_ms, 50), pct(ph.e2e_ms, 99)])  # fmt: skip
    table(["phase", "questions", "errors", "answers/s", "service p50 ms", "service p99 ms",
           "service max ms", "end-to-end p50 ms", "end-to-end p99 ms"], rows)  # fmt: skip
    ratio = pct(during.service_ms, 99) / pct(idle.service_ms, 99)
    ratio_e2e = pct(during.e2e_ms, 99) / pct(idle.e2e_ms, 99)
    print(f"\np99 during / idle: service {ratio:.2f}×, end-to-end {ratio_e2e:.2f}× "
          f"(target ≤ 3×: {'met' if max(ratio, ratio_e2e) <= 3 else 'NOT met'}). "
          f"Statuses idle {dict(idle.statuses)}, during {dict(during.statuses)}.")  # fmt: skip
    print(f"Against the final index idle: p99 during / after = service "
          f"{pct(during.service_ms, 99) / pct(after.service_ms, 99):.2f}×, end-to-end "
          f"{pct(during.e2e_ms, 99) / pct(after.e2e_ms, 99):.2f}× (the index grew from "
          f"{passages_before:,} passages while it was being measured; a faster ingest spends more "
          f"of the window on the bigger index).")  # fmt: skip
    for ph in (idle, during, after):
        for message, n in ph.errors.most_common(5):
            print(f"- error in {ph.name} ({n}×): {message}")
    print(f"\nConcurrent ingest: added {report['added']:,}, unchanged {report['unchanged']:,}, "
          f"rejected {len(report['rejected'])}, {report['passages']:,} passages in "
          f"{report['seconds']:.0f} s.\n")  # fmt: skip
    table(
        ["after the ingest", "value", "result"],
        verify(db, tokenizer, before, known, report, args.sample),
    )
    tmp.cleanup()


if __name__ == "__main__":
    main()
