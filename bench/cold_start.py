"""Cold start: a new process, from its creation to its first answer, on an existing index.

    python bench/cold_start.py DB [--runs 10]

Measured inside the child against CLOCK_BOOTTIME and its own start time from /proc (10 ms
resolution), so the parent's size and psutil's 1-second boot-time rounding play no part.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common

CHILD = r"""
import os, sys, time
from index.store.store import IndexStore
from index.search.search import Searcher
from index.analysis.tokenizer import JapaneseTokenizer
searcher = Searcher(IndexStore.open(sys.argv[1], create=False), JapaneseTokenizer())
searcher.search("日本の首相は誰ですか", 10)
now = time.clock_gettime(time.CLOCK_BOOTTIME)
start_ticks = int(open("/proc/self/stat").read().rsplit(")", 1)[1].split()[19])
print(now - start_ticks / os.sysconf("SC_CLK_TCK"))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("db", type=Path)
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    times = []
    for _ in range(args.runs):
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(args.db)], capture_output=True, text=True, check=True
        )
        times.append(float(out.stdout.strip()))
    from index.store.store import IndexStore

    store = IndexStore.open(args.db, create=False)
    passages = store.stats()["passages"]
    store.close()
    common.header("Cold start: new process → first answer")
    common.table(
        ["passages", "runs", "p50 s", "max s"],
        [[passages, args.runs, common.pct(times, 50), max(times)]],
    )


if __name__ == "__main__":
    main()
