"""The byte counts settle() plans with (main_bytes, seg_bytes in meta) are kept by the writer and
the merges in the same transactions as the postings, on both backends: they always equal the
sums of the postings they stand for, after ingests, adds, deletes, merges and a crash mid-merge."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from index.analysis.tokenizer import JapaneseTokenizer
from index.cli.main import main
from index.models import IngestReport
from index.store import segments
from index.store.segments import (
    SEG_BYTES,
    kept_bytes,
    merge_segments,
    plan,
    settle,
    shifted_bytes,
)
from index.store.store import IndexStore
from index.store.writer import BatchWriter, prepare

from .test_compaction import KILLED_MID_SETTLE, _articles, _item


def _summed(store: IndexStore) -> tuple[int, dict[int, int]]:
    """(main, {segment: bytes}) summed from the postings, as planning did before."""
    rows = store.conn.execute("SELECT seg, sum(length(ids)) FROM postings GROUP BY seg")
    sizes = {int(seg): int(n) for seg, n in rows.fetchall()}
    return sizes.pop(0, 0), sizes


def _kept(store: IndexStore) -> tuple[int, dict[int, int] | None]:
    meta = store.meta()
    return int(meta.get("main_bytes", -1)), kept_bytes(meta.get(SEG_BYTES))


def _assert_exact(store: IndexStore) -> None:
    assert _kept(store) == _summed(store)


def _ingested(location: Path | str, tokenizer: JapaneseTokenizer) -> IndexStore:
    """The articles written in small batches, every segment left as it was written."""
    store = IndexStore.open(location)
    writer = BatchWriter(store, tokenizer)
    articles = _articles()
    for i in range(0, len(articles), 3):
        writer.write([prepare(a, tokenizer) for a in articles[i : i + 3]], IngestReport())
        _assert_exact(store)
    return store


def test_byte_counts_stay_exact_through_writes_merges_and_deletes(
    location: Path | str, tokenizer: JapaneseTokenizer
) -> None:
    store = _ingested(location, tokenizer)
    assert len(_summed(store)[1]) > 5
    steps = settle(store, chunk_bytes=2000, on_step=lambda: _assert_exact(store))
    assert steps == ["main"]
    _assert_exact(store)
    kinds: set[str] = set()
    for i in range(12):  # feed-sized adds, each settled: small, folded and main merges
        store.add_articles([_item(f"feed{i}", f"速報{i}", i)], tokenizer)
        _assert_exact(store)
        kinds.update("folded" if s >= segments.FOLDED_BASE else "small" for s in _summed(store)[1])
    assert kinds == {"small", "folded"}
    assert store.delete_article("feed3", tokenizer)
    _assert_exact(store)
    merge_segments(store, fold=True, chunk_bytes=2000)
    _assert_exact(store)
    merge_segments(store, full=True, chunk_bytes=2000)  # purges the deleted passage's postings
    _assert_exact(store)
    assert _summed(store)[1] == {}
    store.close()


def test_a_database_without_the_counts_measures_them_once(
    location: Path | str, tokenizer: JapaneseTokenizer
) -> None:
    store = _ingested(location, tokenizer)
    expected = plan(store)
    with store.transaction() as conn:
        conn.execute("DELETE FROM meta WHERE key IN ('main_bytes', ?)", (SEG_BYTES,))
    assert plan(store) == expected  # measured, and kept from now on
    _assert_exact(store)
    store.close()


def test_byte_counts_stay_exact_after_a_crash_mid_merge(
    location: Path | str, tokenizer: JapaneseTokenizer
) -> None:
    _ingested(location, tokenizer).close()
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_MID_SETTLE, str(location)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdin is not None and proc.stdout is not None
    for n in range(3):  # three chunks committed, the merge not finished
        assert proc.stdout.readline() == "step\n"
        if n != 2:
            proc.stdin.write("\n")
            proc.stdin.flush()
    proc.kill()
    proc.wait()
    store = IndexStore.open(location)
    main, others = _summed(store)
    assert main and others  # really mid-way
    _assert_exact(store)
    assert settle(store) == ["main"]  # the next settle carries on from the kept counts
    _assert_exact(store)
    store.close()


def test_kiji_check_compares_the_kept_counts_with_the_postings(
    location: Path | str, tokenizer: JapaneseTokenizer, capsys: pytest.CaptureFixture[str]
) -> None:
    store = _ingested(location, tokenizer)
    assert main(["check", "--db", str(location)]) == 0
    _, others = _summed(store)
    seg = max(others)
    with store.transaction():
        store.set_meta({SEG_BYTES: shifted_bytes(store.meta()[SEG_BYTES], {seg: 4})})
    store.close()
    capsys.readouterr()
    assert main(["check", "--db", str(location)]) != 0
    err = capsys.readouterr()
    assert f"セグメント {seg} のバイト数が meta では {others[seg] + 4}" in err.out + err.err
