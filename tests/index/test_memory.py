"""Giving the heap's free pages back (index.ops.memory), and a searching connection's page cache."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from index.analysis.tokenizer import JapaneseTokenizer
from index.ops.memory import release_free_heap
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
