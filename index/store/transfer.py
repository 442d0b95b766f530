"""Copying a whole index from one store to another (``kiji migrate``: SQLite ⇄ PostgreSQL).

Every table is read in one snapshot of the source, in chunks, and written through the target's
:meth:`~index.store.store.IndexStore.insert_rows` (``COPY`` on PostgreSQL) in one transaction,
so the target holds the whole index or nothing. Ids, segments and packed postings are copied as
they are: the copy answers every query exactly as the source does.
"""

from __future__ import annotations

from collections.abc import Callable

from index.store.feedback_store import FeedbackStore
from index.store.schema import expected_columns
from index.store.store import IndexStore

FEEDBACK_TABLES = {
    "feedback_answers": ("id", "key", "question", "excerpts", "index_version", "created_at"),
    "feedback_votes": (
        "answer_id", "voter", "source", "guild_id", "vote", "voted_at", "voted_ts",
    ),
}  # fmt: skip
# Meta keys that belong to one backend (versions and id counters are kept each its own way).
OWN_KEYS = frozenset({"schema_version", "seq_articles", "seq_passages"})
CHUNK = 5_000


class TargetNotEmpty(Exception):
    """The target already holds an index with articles (a migration only fills an empty one)."""


def _tables(src: IndexStore) -> dict[str, tuple[str, ...]]:
    tables = {
        name: tuple('"end"' if c[0] == "end" else c[0] for c in cols)
        for name, cols in expected_columns().items()
        if name != "meta"
    }
    for name, cols in FEEDBACK_TABLES.items():
        if src.has_table(name):
            tables[name] = cols
    return tables


def copy_index(
    src: IndexStore, dst: IndexStore, *, progress: Callable[[str, int], None] | None = None
) -> dict[str, int]:
    """Copy every kiji table of ``src`` into the empty index ``dst``; returns rows per table.

    Raises :class:`TargetNotEmpty` when ``dst`` already has articles or passages.
    """
    if dst.stats()["articles"] or dst.meta_int("n_docs"):
        raise TargetNotEmpty
    tables = _tables(src)
    if "feedback_answers" in tables:
        FeedbackStore(dst).ensure_schema()
    counts: dict[str, int] = {}
    with src.snapshot() as read, dst.transaction() as write:
        for table, columns in tables.items():
            n = 0
            for rows in src.select_chunks(f"SELECT {', '.join(columns)} FROM {table}", CHUNK):
                dst.insert_rows(write, table, columns, rows)
                n += len(rows)
                if progress is not None:
                    progress(table, n)
            counts[table] = n
        meta: dict[str, object] = {k: v for k, v in src.meta().items() if k not in OWN_KEYS}
        dst.set_meta(meta)
        for table, column in (("articles", "rowid"), ("passages", "pid")):
            dst.set_high_water(write, table, src.next_id(read, table, column) - 1)
        if "feedback_answers" in tables:
            top = src.next_id(read, "feedback_answers", "id") - 1
            dst.set_high_water(write, "feedback_answers", top)
    return counts
