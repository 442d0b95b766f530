"""Giving the heap's free pages back and the collector's threshold (index.ops.memory), and a
searching connection's page cache."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

import pytest

from index.analysis.tokenizer import JapaneseTokenizer
from index.cli.main import main as cli_main
from index.ops.memory import GC_YOUNG, release_free_heap, tune_gc
from index.search.search import Searcher
from index.store.sqlite_store import PAGE_CACHE_KB, SEARCH_PAGE_CACHE_KB
from index.store.store import IndexStore
from index.store.writer import BatchWriter


def _heap_rss_kb() -> int:
    """Resident kB of the main C heap (the ``[heap]`` mapping) of this process."""
    total, in_heap = 0, False
    with open("/proc/self/smaps") as f:
        for line in f:
            first = line.split(maxsplit=1)[0]
            if not first.endswith(":"):  # a mapping's header line
                in_heap = line.rstrip().endswith("[heap]")
            elif in_heap and first == "Rss:":
                total += int(line.split()[1])
    return total


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc_trim")
def test_release_gives_the_holes_in_the_heap_back() -> None:
    # 64 KiB blocks come from the heap (below the mmap threshold); keeping every eighth one
    # leaves holes in its middle, which free() never hands back by itself.
    blocks = [bytes([i % 251]) * 65_536 for i in range(480)]
    kept = blocks[7::8]
    del blocks
    before = _heap_rss_kb()
    assert release_free_heap()
    after = _heap_rss_kb()
    assert before - after > 10_000, (before, after)
    assert all(b[0] == (i * 8 + 7) % 251 for i, b in enumerate(kept))  # what is used stays


def test_a_searching_connection_keeps_a_small_page_cache(
    tmp_path: Path, tokenizer: JapaneseTokenizer
) -> None:
    db = tmp_path / "kiji.db"

    def cache_kb(store: IndexStore) -> int:
        return -store.conn.execute("PRAGMA cache_size").fetchone()[0]

    with IndexStore.open(db) as store:
        assert cache_kb(store) == PAGE_CACHE_KB
        Searcher(store, tokenizer)
        assert cache_kb(store) == SEARCH_PAGE_CACHE_KB < PAGE_CACHE_KB
        BatchWriter(store, tokenizer)  # a connection that writes gets the larger one back
        assert cache_kb(store) == PAGE_CACHE_KB
        Searcher(store, tokenizer)
        assert cache_kb(store) == PAGE_CACHE_KB


def test_the_command_line_collects_young_objects_less_often(tmp_path: Path) -> None:
    """Every kiji command raises the youngest generation's threshold (an answer's morphemes and
    tokens die young); the older generations keep theirs. The real CLI, in process."""
    saved = gc.get_threshold()
    try:
        gc.set_threshold(700, 9, 8)
        with IndexStore.open(tmp_path / "kiji.db"):
            pass
        assert cli_main(["stats", "--db", str(tmp_path / "kiji.db"), "--json"]) == 0
        assert gc.get_threshold() == (GC_YOUNG, 9, 8) and GC_YOUNG > 700
        tune_gc()  # twice changes nothing
        assert gc.get_threshold() == (GC_YOUNG, 9, 8)
    finally:
        gc.set_threshold(*saved)
