"""/ask latency in the bot: interaction received → defer() sent, and → followup ready to send.

Drives the real AskCog handler (``cog.ask.callback``) with a fake interaction that timestamps
``response.defer`` and ``followup.send``; the index runs in the bot's reader thread exactly as in
production (settings go to a separate temporary database, so ``--db`` is never written to).

    python bench/bench_bot.py [--db PATH] [--n 300] [--warmup 20]

Every question is asked once (no warm repeats): the sample questions, then livedoor-dev's and
JSQuAD's from ../shared; the core-alone pass asks another ``n`` of them.

Without ``--db`` a database is built from data/articles in a temporary directory. Targets:
defer ≤ 50 ms, followup ready ≤ 100 ms (p99 at ~320k passages). Prints a markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import JSQUAD, REPO, SHARED, header, jsquad, pct, table
from bot.cogs.ask import AskCog
from bot.state.settings import SettingsStore
from bot.worker import IndexWorker
from index.analysis.tokenizer import JapaneseTokenizer
from index.config import SAMPLE_ARTICLES
from index.ingest.ingest import ingest_paths
from index.ops.memory import tune_gc
from index.store.store import IndexStore

JST = ZoneInfo("Asia/Tokyo")
QUESTIONS_FILE = REPO / "bench" / "questions_data.jsonl"
EXTRA_QUESTIONS = [
    "日銀は金利をどうした？",
    "円安の影響は？",
    "通信障害はいつ起きた？",
    "ピッチクロックは何秒？",
    "北斎展の入場料はいくら？",
    "最近の半導体工場のニュース",
    "先週の経済ニュースを教えて",
    "選挙の投票率は？",
    "新しい駅はいつ開業する？",
    "台風の被害は？",
]


class _Response:
    def __init__(self, marks: dict[str, float]) -> None:
        self.marks = marks
        self._done = False

    def is_done(self) -> bool:
        return self._done

    async def defer(self, **kw: Any) -> None:
        self.marks["defer"] = time.perf_counter()
        self._done = True


class _Followup:
    def __init__(self, marks: dict[str, float]) -> None:
        self.marks = marks

    async def send(self, **kw: Any) -> None:
        self.marks["followup"] = time.perf_counter()
        embed = kw.get("embed")
        assert embed is None or len(embed) <= 6000


class _User:
    id = 1


class FakeInteraction:
    """Just the surface AskCog.ask touches."""

    guild_id = 10
    locale = "ja"
    user = _User()

    def __init__(self) -> None:
        self.marks: dict[str, float] = {}
        self.response = _Response(self.marks)
        self.followup = _Followup(self.marks)
        self.extras: dict[str, Any] = {}


def questions() -> list[str]:
    """Distinct questions, each asked once (a repeat would hit warm caches): the sample set's,
    then livedoor-dev's and JSQuAD's when ../shared is there."""
    qs = list(EXTRA_QUESTIONS)
    files = [QUESTIONS_FILE, SHARED / "eval" / "livedoor-dev" / "questions.jsonl"]
    for path in files:
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    record = json.loads(line)
                    qs.append(record.get("question") or record["q"])  # livedoor-dev: "q"
    if JSQUAD.exists():
        qs += [q for q, _, _ in jsquad()[1]]
    return list(dict.fromkeys(qs))


def build_sample_db(directory: Path, tokenizer: JapaneseTokenizer) -> Path:
    db = directory / "sample.db"
    with IndexStore.open(db) as store:
        ingest_paths(store, tokenizer, [SAMPLE_ARTICLES], workers=0)
    return db


async def measure(db: Path, tmp: Path, n: int, warmup: int) -> dict[str, list[float]]:
    tokenizer = JapaneseTokenizer()
    t0 = time.perf_counter()
    async with (
        await IndexWorker.open(db, tokenizer, readonly=True) as reader,
        await SettingsStore.open(tmp / "settings.db") as settings,
    ):
        open_s = time.perf_counter() - t0
        passages = await reader.run(lambda ctx: ctx.store.meta_int("n_docs"))
        cog = AskCog(reader, settings, clock=lambda: datetime.now(JST))
        qs = questions()
        warmup = min(warmup, len(qs) // 3)
        n = min(n, (len(qs) - warmup) // 2)  # without ../shared: the sample questions only
        out: dict[str, list[float]] = {"defer": [], "followup": [], "core": [], "overhead": []}
        last: dict[str, float] = {}
        answer = cog.answer

        async def timed_answer(question: str, *, page: int, **options: Any):  # the core's time
            result = await answer(question, page=page, **options)
            last["took"] = result.took_ms
            return result

        cog.answer = timed_answer  # type: ignore[method-assign]
        for i in range(warmup + n):
            q = qs[i]
            inter = FakeInteraction()
            start = time.perf_counter()
            await cog.ask.callback(cog, inter, question=q)  # type: ignore[arg-type]
            if i < warmup:
                continue
            out["defer"].append((inter.marks["defer"] - start) * 1000)
            out["followup"].append((inter.marks["followup"] - start) * 1000)
            out["overhead"].append(out["followup"][-1] - last["took"])
        # The core alone (Answerer.ask in the reader thread), for comparison.
        for i in range(n):
            q = qs[warmup + n + i]  # questions not asked before
            result = await answer(q, page=0)
            out["core"].append(result.took_ms)
    out["_meta"] = [float(passages), open_s, float(n)]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--db", type=Path, help="kiji database (default: built from data/articles)")
    parser.add_argument("--n", type=int, default=300, help="measured questions")
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()
    tune_gc()  # as `kiji run` does (index.ops.memory)
    with tempfile.TemporaryDirectory(prefix="kiji-bench-bot-") as d:
        tmp = Path(d)
        db = (
            args.db.expanduser().resolve() if args.db else build_sample_db(tmp, JapaneseTokenizer())
        )
        res = asyncio.run(measure(db, tmp, args.n, args.warmup))
    passages, open_s, n = res.pop("_meta")
    header(
        f"/ask in the bot ({int(passages):,} passages, {int(n)} distinct questions, db opened in "
        f"{open_s:.2f} s)"
    )
    rows = []
    for key, label, target in (
        ("defer", "interaction → defer() sent", 50.0),
        ("followup", "interaction → followup ready", 100.0),
        ("core", "Answerer.ask alone (took_ms)", None),
        ("overhead", "bot overhead (followup − Answerer.ask)", None),
    ):
        v = res[key]
        p99 = pct(v, 99)
        verdict = "—" if target is None else ("ok" if p99 <= target else "over")
        rows.append([label, pct(v, 50), pct(v, 95), p99, max(v), target or "—", verdict])
    table(["step", "p50 ms", "p95 ms", "p99 ms", "max ms", "target ms", "p99 vs target"], rows)


if __name__ == "__main__":
    main()
